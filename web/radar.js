// A radar (spider) chart in SVG, built with createElementNS only (no innerHTML, no inline style).
// One polygon per series; each carries data-series and data-values (the values joined by ",").

import { svg as svgEl } from "./html.js";

const SIZE = 340;
const C = SIZE / 2;
const R = 110;
const PAD_X = 40; // room for the axis labels left and right

/** Split a label into lines of about `width` characters, at spaces. */
function wrap(text, width) {
  const lines = [];
  let line = "";
  for (const word of String(text).split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function point(i, n, r) {
  const angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
  return [C + r * Math.cos(angle), C + r * Math.sin(angle)];
}

export function formatValues(values) {
  return values.map((v) => (v == null ? "" : String(v))).join(",");
}

export class Radar {
  /**
   * @param {object} o
   * @param {Array<{id: string, label: string}>} o.axes
   * @param {{min: number, max: number}} o.scale
   * @param {string} o.title  accessible name
   */
  constructor({ axes, scale, title, id = "radar" }) {
    this.axes = axes;
    this.scale = scale;
    this.polys = new Map();
    const n = axes.length;
    this.svg = svgEl("svg", {
      id, class: "radar", viewBox: `${-PAD_X} 0 ${SIZE + 2 * PAD_X} ${SIZE}`, role: "img", "aria-label": title,
    });
    this.svg.appendChild(svgEl("title", {}, title));
    const grid = svgEl("g", { class: "radar-grid" });
    for (let v = scale.min; v <= scale.max; v += 1) {
      const r = this.radius(v);
      const pts = axes.map((_, i) => point(i, n, r).map((x) => x.toFixed(1)).join(",")).join(" ");
      grid.appendChild(svgEl("polygon", { points: pts, class: "radar-ring" }));
      if (r > 0) {
        const [x, y] = point(0, n, r);
        grid.appendChild(svgEl("text", { x: x + 4, y: y + 4, class: "radar-tick" }, String(v)));
      }
    }
    axes.forEach((axis, i) => {
      const [x, y] = point(i, n, R);
      grid.appendChild(svgEl("line", { x1: C, y1: C, x2: x.toFixed(1), y2: y.toFixed(1), class: "radar-axis" }));
      const [lx, ly] = point(i, n, R + 18);
      const anchor = Math.abs(lx - C) < 10 ? "middle" : lx > C ? "start" : "end";
      const lines = wrap(axis.label, 16);
      const top = ly < C - 10 ? ly - 12 * (lines.length - 1) : ly; // labels above grow upwards
      const label = svgEl("text", {
        x: lx.toFixed(1), y: (top + 4).toFixed(1), "text-anchor": anchor, class: "radar-label",
      });
      lines.forEach((line, li) => {
        label.appendChild(svgEl("tspan", { x: lx.toFixed(1), dy: li === 0 ? 0 : 12 }, line));
      });
      grid.appendChild(label);
    });
    this.svg.appendChild(grid);
    this.layer = svgEl("g", { class: "radar-series" });
    this.svg.appendChild(this.layer);
  }

  radius(v) {
    const { min, max } = this.scale;
    if (v == null || max === min) return 0;
    return (R * (Math.max(min, Math.min(max, v)) - min)) / (max - min);
  }

  /** series: [{key, values: [number|null], label}] in drawing order (last on top). */
  update(series) {
    const n = this.axes.length;
    const keep = new Set();
    for (const s of series) {
      keep.add(s.key);
      let poly = this.polys.get(s.key);
      if (!poly) {
        poly = svgEl("polygon", { class: `radar-poly series-${s.key}`, "data-series": s.key });
        poly.appendChild(svgEl("title"));
        this.polys.set(s.key, poly);
      }
      const pts = s.values.map((v, i) => point(i, n, this.radius(v)).map((x) => x.toFixed(1)).join(","));
      poly.setAttribute("points", pts.join(" "));
      poly.setAttribute("data-values", formatValues(s.values));
      poly.firstChild.textContent = s.label || s.key;
      this.layer.appendChild(poly); // (re)append keeps the drawing order
    }
    for (const [key, poly] of this.polys) {
      if (!keep.has(key)) {
        poly.remove();
        this.polys.delete(key);
      }
    }
  }
}
