// De reflectietool as a working board (R17, R18): five aspects scored on the template's scale,
// one score per person per aspect and reflection (score.set replaces), for partner A or B or
// neither; a later reflection (reflection.add, a facilitator's: everyone moves to it, R64),
// named by the day it was started (R63); the aggregates recomputed here from the scores
// (aggregate.js) beside a live radar chart; notes per aspect. While the board is hidden until
// reveal (R62) a participant's page has only their own scores (the server sends no others):
// it shows those and says the rest comes when the facilitator reveals.

import { aggregates, PARTNERS } from "./aggregate.js";
import { clear, el } from "./html.js";
import { getLang, t } from "./i18n.js";
import { localized } from "./parts.js";
import { maxLength, maySend } from "./rules.js";
import { Radar } from "./radar.js";
import { items } from "./template.js";
import { setIfIdle } from "./ui.js";

const DAY = { day: "numeric", month: "long", year: "numeric" };

function locale() {
  return getLang() === "en" ? "en-GB" : "nl-NL";
}

/**
 * A reflection's name (R63): the default "Reflectie N" (shared data, R18) as the day it was
 * started ("Reflectie 3 december 2026", with the time when another one started that day); a
 * title someone gave it with that day beside it; the first one, started with the board, by
 * its number.
 */
export function reflTitle(r, all = []) {
  const m = /^Reflectie (\d+)$/.exec(r?.title || "");
  let date = "";
  if (r?.ts) {
    const when = new Date(r.ts * 1000);
    date = when.toLocaleDateString(locale(), DAY);
    if (all.some((o) => o !== r && o.ts && new Date(o.ts * 1000).toDateString() === when.toDateString())) {
      date += ` ${when.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" })}`;
    }
  }
  if (m) return date ? t("reflectionOn", { date }) : t("reflectionN", { n: m[1] });
  const title = r?.title || r?.id || "";
  return date ? t("reflectionTitled", { title, date }) : title;
}

/** The radar's axes: the aspects by their short name (their prompt), in template order. */
export function aspectAxes(aspects) {
  return aspects.map((a) => ({ id: a.id, label: localized(a, "prompt") || localized(a) }));
}

function fmt(v, digits = 1) {
  if (v == null || Number.isNaN(v)) return "–";
  return Number(v).toLocaleString(document.documentElement.lang === "en" ? "en" : "nl", {
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  });
}

export class Reflectietool {
  constructor(view, body) {
    this.view = view;
    this.body = body;
    this.current = null;
    this.picked = false;
    this.aspectEls = new Map();
    this.reflKey = null;
    this.extra = null;
    this.partnerKey = `vh.partner.${view.board.id}`;
    try { this.partner = localStorage.getItem(this.partnerKey) || ""; } catch { this.partner = ""; }
    if (!PARTNERS.includes(this.partner)) this.partner = "";
  }

  build() {
    const { view } = this;
    const inst = view.instrument;
    this.aspects = items(inst, "aspecten");
    this.scale = inst.scale || { min: 1, max: 5, labels: {} };
    const labels = (getLang() === "en" ? this.scale.labels_en : null) || this.scale.labels || {};

    this.select = el("select", { id: "reflection-select", "aria-label": t("reflection") });
    this.select.addEventListener("change", () => {
      this.current = this.select.value;
      this.picked = true;
      this.moved.hidden = true;
      view.update();
    });
    // R64: a facilitator starts the next reflection; everyone on the board moves to it.
    const newBtn = view.readOnly || !maySend(view.me?.role, "reflection.add") ? null : el("button", {
      type: "button", id: "new-reflection", class: "navbtn", text: t("newReflection"),
      onclick: () => {
        const have = new Set((this.extra?.reflections || []).map((r) => r.id));
        let n = have.size + 1;
        while (have.has(`r${n}`)) n += 1;
        view.op({ kind: "reflection.add", reflection: `r${n}` }); // the server names it "Reflectie N"
      },
    });
    this.moved = el("p", { class: "notice refl-moved", id: "reflection-moved", role: "status", hidden: true });
    const partnerPick = el("fieldset", { class: "speaks-for", id: "speaks-for" },
      el("legend", { text: t("speaksFor") }),
      [["partner-a", t("partnerA")], ["partner-b", t("partnerB")], ["", t("partnerNone")]].map(([value, text]) => {
        const radio = el("input", {
          type: "radio", name: "speaks-for", value, checked: this.partner === value,
          id: `speaks-for-${value || "none"}`,
        });
        radio.addEventListener("change", () => {
          if (!radio.checked) return;
          this.partner = value;
          try { localStorage.setItem(this.partnerKey, value); } catch { /* ignore */ }
          this.resendMine();
        });
        return el("label", { class: "pick" }, radio, el("span", { text }));
      }));

    const list = el("div", { class: "aspects" }, this.aspects.map((a) => this.aspectCard(a, labels)));
    this.radar = new Radar({ axes: aspectAxes(this.aspects), scale: this.scale, title: t("radarTitle") });
    this.legend = el("ul", { class: "radar-legend" });
    this.summaryLine = el("p", { class: "radar-summary" });
    this.body.append(
      el("div", { class: "refl-bar" },
        el("label", { class: "refl-pick" }, el("span", { text: t("reflection") }), this.select),
        newBtn, view.readOnly ? null : partnerPick),
      this.moved,
      el("div", { class: "refl-main" },
        list,
        el("aside", { class: "refl-chart" },
          el("h2", { text: t("radarTitle") }), this.radar.svg, this.legend, this.summaryLine)));
  }

  aspectCard(a, labels) {
    const { view } = this;
    const radios = [];
    const scale = el("fieldset", { class: "score-scale", dataset: { aspect: a.id } },
      el("legend", { class: "sr-only", text: localized(a) }));
    for (let v = this.scale.min; v <= this.scale.max; v += 1) {
      const radio = el("input", {
        type: "radio", name: `score-${a.id}`, value: String(v), disabled: view.readOnly,
        dataset: { aspect: a.id, score: String(v) }, "aria-label": `${v}${labels[String(v)] ? ` – ${labels[String(v)]}` : ""}`,
      });
      radio.addEventListener("change", () => { if (radio.checked) this.send(a.id); });
      radios.push(radio);
      scale.appendChild(el("label", { class: "score-opt" }, radio,
        el("span", { class: "score-num", text: String(v) }),
        el("span", { class: "score-lbl", text: labels[String(v)] || "" })));
    }
    const note = el("textarea", {
      class: "score-note", rows: "2", maxlength: String(maxLength("score.set", "note")), placeholder: t("scoreNote"),
      "aria-label": t("scoreNoteFor", { aspect: localized(a) }), readonly: view.readOnly, dataset: { aspect: a.id },
    });
    note.addEventListener("change", () => {
      if (this.myScore(a.id) != null || radios.some((r) => r.checked)) this.send(a.id);
    });
    const agg = el("div", { class: "aspect-agg", dataset: { aspect: a.id } });
    this.aspectEls.set(a.id, { radios, note, agg });
    return el("article", { class: "aspect", dataset: { aspect: a.id } },
      el("h2", { class: "aspect-title", text: localized(a) }),
      localized(a, "prompt") ? el("p", { class: "aspect-prompt", text: localized(a, "prompt") }) : null,
      scale, note, agg,
      view.zoneBox(a.id, { title: t("notes"), label: localized(a), className: "aspect-notes", heading: "h3", compact: true }));
  }

  myScores(reflection = this.current) {
    const me = this.view.store.participant;
    return (this.extra?.scores || []).filter((s) => s.reflection === reflection && s.participant === me);
  }

  myScore(aspect) {
    return this.myScores().find((s) => s.aspect === aspect)?.score ?? null;
  }

  send(aspect) {
    const els = this.aspectEls.get(aspect);
    const checked = els.radios.find((r) => r.checked);
    const score = checked ? Number(checked.value) : this.myScore(aspect);
    if (score == null) return;
    this.picked = true; // scoring this reflection: stay on it when someone adds another
    this.view.op({
      kind: "score.set", reflection: this.current || "r1", aspect, score, partner: this.partner,
      note: els.note.value.trim().slice(0, maxLength("score.set", "note")),
    });
  }

  /** After choosing another partner: my scores of this reflection count for that partner. */
  resendMine() {
    for (const s of this.myScores()) {
      if (s.partner === this.partner) continue;
      this.view.op({
        kind: "score.set", reflection: s.reflection, aspect: s.aspect, score: s.score,
        partner: this.partner, note: s.note || "",
      });
    }
  }

  update(extra, mirror) {
    this.extra = extra;
    const refls = extra.reflections;
    // R64: a reflection started since the last update moves everyone to it, with a word why
    // (counted from the first state the server sent, not from the empty board before it).
    const started = this.known ? refls.filter((r) => !this.known.has(r.id)) : [];
    if (mirror?.epoch) this.known = new Set(refls.map((r) => r.id));
    if (started.length) {
      this.current = started[started.length - 1].id;
      this.picked = false;
      const said = t("reflectionStarted", { title: reflTitle(started[started.length - 1], refls) });
      this.moved.textContent = said;
      this.moved.hidden = false;
      this.view.notify(said); // also seen by whoever is scrolled down, scoring
    }
    // Until this person picks or scores one, follow the newest reflection (the placeholder
    // state before the first real one has only r1).
    if (!this.picked || !refls.some((r) => r.id === this.current)) this.current = refls[refls.length - 1]?.id || "r1";
    const key = refls.map((r) => `${r.id}:${r.title}:${r.ts}`).join("|") + getLang();
    if (key !== this.reflKey) {
      this.reflKey = key;
      clear(this.select).append(...refls.map((r) => el("option", { value: r.id, text: reflTitle(r, refls) })));
    }
    if (this.select.value !== this.current) this.select.value = this.current;
    // R62: hidden until reveal, a participant (or screen) has only their own scores.
    const blind = this.view.mode === "hidden" && !this.view.facilitator;
    this.blind = blind;

    const ids = this.aspects.map((a) => a.id);
    const agg = aggregates(extra.scores, refls, ids, this.scale);
    const idx = refls.findIndex((r) => r.id === this.current);
    const prev = idx > 0 ? refls[idx - 1] : null;
    const cur = agg[this.current] || {};
    const before = prev ? agg[prev.id] : null;

    const mine = new Map(this.myScores().map((s) => [s.aspect, s]));
    for (const a of this.aspects) {
      const els = this.aspectEls.get(a.id);
      const my = mine.get(a.id);
      for (const r of els.radios) r.checked = my != null && Number(r.value) === my.score;
      setIfIdle(els.note, my?.note || "");
      if (blind) this.fillHidden(els.agg);
      else this.fillAgg(els.agg, cur[a.id], before?.[a.id] ?? null, prev, refls);
    }

    const means = (series) => ids.map((id) => cur[id]?.[series]?.mean ?? null);
    const series = [];
    if (blind) {
      series.push({ key: "mine", values: ids.map((id) => mine.get(id)?.score ?? null), label: t("myScores") });
    } else {
      if (before && ids.some((id) => before[id]?.all?.n)) {
        series.push({ key: "previous", values: ids.map((id) => before[id]?.all?.mean ?? null), label: reflTitle(prev, refls) });
      }
      for (const p of PARTNERS) {
        if (ids.some((id) => cur[id]?.[p]?.n)) series.push({ key: p, values: means(p), label: p === "partner-a" ? t("partnerA") : t("partnerB") });
      }
      series.push({ key: "all", values: means("all"), label: t("everyone") });
    }
    this.radar.update(series);
    clear(this.legend).append(...series.slice().reverse().map((s) => el("li", { class: `legend-${s.key}` },
      el("span", { class: `swatch-line series-${s.key}`, "aria-hidden": "true" }), el("span", { text: s.label }))));
    const n = Math.max(0, ...ids.map((id) => cur[id]?.all?.n || 0));
    this.summaryLine.textContent = blind ? t("scoresHidden") : t("respondents", { n });
  }

  /** R62: instead of the others' scores, until the facilitator reveals them. */
  fillHidden(node) {
    if (node.dataset.hidden === "true") return;
    node.dataset.hidden = "true";
    clear(node).append(el("p", { class: "agg-hidden", text: t("scoresHiddenShort") }));
  }

  fillAgg(node, a, prevA, prev, refls) {
    delete node.dataset.hidden;
    clear(node);
    const all = a?.all || { n: 0, mean: null, sd: null, dist: {} };
    const row = (label, s, cls) => el("div", { class: `agg-row ${cls}` },
      el("span", { class: "agg-label", text: label }),
      el("span", { class: "agg-mean", dataset: { mean: s.mean == null ? "" : String(s.mean) }, text: fmt(s.mean) }),
      el("span", { class: "agg-extra", text: s.n ? t("sdN", { sd: fmt(s.sd), n: s.n }) : t("noScores") }));
    node.append(row(t("everyone"), all, "agg-all"));
    const dist = el("div", { class: "agg-dist", "aria-label": t("distribution") });
    const max = Math.max(1, ...Object.values(all.dist || {}));
    for (let v = this.scale.min; v <= this.scale.max; v += 1) {
      const count = all.dist?.[String(v)] || 0;
      const bar = el("span", { class: "dist-bar" });
      bar.style.height = `${Math.round((count / max) * 100)}%`;
      dist.appendChild(el("span", { class: "dist-col", title: `${v}: ${count}`, dataset: { score: String(v), count: String(count) } },
        el("span", { class: "dist-track" }, bar), el("span", { class: "dist-num", text: String(v) })));
    }
    node.append(dist);
    for (const p of PARTNERS) {
      const s = a?.[p];
      if (s?.n) node.append(row(p === "partner-a" ? t("partnerA") : t("partnerB"), s, `agg-${p}`));
    }
    if (prev && prevA?.all?.n) node.append(row(t("previous", { title: reflTitle(prev, refls) }), prevA.all, "agg-previous"));
  }
}
