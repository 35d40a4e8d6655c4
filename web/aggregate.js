// Reflectietool aggregates, recomputed on the client from the scores (same formula as the
// server's server/board.py aggregates(): n, mean, population sd, distribution; 3 decimals;
// tests/test_golden.py checks both give the same).

export const PARTNERS = ["partner-a", "partner-b"];

function round3(v) {
  return Math.round(v * 1000) / 1000;
}

/** n, mean, sd (population) and dist {"1": count, …} of a list of integer scores. */
export function summary(values, scale = { min: 1, max: 5 }) {
  const dist = {};
  for (let v = scale.min; v <= scale.max; v += 1) dist[String(v)] = 0;
  for (const v of values) dist[String(v)] = (dist[String(v)] || 0) + 1;
  const n = values.length;
  if (n === 0) return { n: 0, mean: null, sd: null, dist };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / n);
  return { n, mean: round3(mean), sd: round3(sd), dist };
}

/**
 * {<reflection>: {<aspect>: {all, "partner-a", "partner-b"}}} from
 * scores [{reflection, aspect, score, partner, ...}] (one per participant, aspect, reflection).
 */
export function aggregates(scores, reflections, aspects, scale = { min: 1, max: 5 }) {
  const out = {};
  for (const refl of reflections) {
    const rid = typeof refl === "string" ? refl : refl.id;
    const perAspect = {};
    for (const aspect of aspects) {
      const these = scores.filter((s) => s.reflection === rid && s.aspect === aspect);
      perAspect[aspect] = { all: summary(these.map((s) => s.score), scale) };
      for (const p of PARTNERS) {
        perAspect[aspect][p] = summary(these.filter((s) => s.partner === p).map((s) => s.score), scale);
      }
    }
    out[rid] = perAspect;
  }
  return out;
}
