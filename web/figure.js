// The instrument on its corner (R49): an instrument drawn from its template, read-only, in the
// same shapes as its working board — the praatplaat's ring and band (praatplaat.js), the
// matrix's questions (matrix.js), the figure of the 8 (achtje.js), the reflectietool's aspects
// and radar (reflectietool.js, radar.js). Each part of it is a button to tap (then write a note
// about it), showing how many notes point at it. Without `onPick` (a screen) nothing is tapped.

import { EightFigure } from "./achtje.js";
import { el } from "./html.js";
import { getLang, t } from "./i18n.js";
import { questionHead } from "./matrix.js";
import { countParts, localized, partsOf } from "./parts.js";
import { praatplaatShape } from "./praatplaat.js";
import { Radar } from "./radar.js";
import { aspectAxes } from "./reflectietool.js";
import { items, sectionOf } from "./template.js";

// Empty activity columns beside the matrix's questions, as on the printed matrix.
const MATRIX_COLUMNS = 3;

export class InstrumentFigure {
  /**
   * @param {object} o
   * @param {object} o.instrument   the instrument's template
   * @param {(part: string) => void} [o.onPick]  a part was tapped
   * @param {string} [o.id]          the element's id (and a prefix of the ids inside it)
   */
  constructor({ instrument, onPick = null, id = "figure" }) {
    this.inst = instrument;
    this.onPick = onPick;
    this.id = id;
    this.parts = new Map(); // part id -> {node, count}
    this.eight = null;
    this.partIds = new Set(partsOf(instrument).map((p) => p.id));
    const layout = instrument.layout;
    this.el = el("div", { class: `figure figure-${layout}`, id, dataset: { instrument: instrument.id } }, this.draw(layout));
  }

  draw(layout) {
    const inst = this.inst;
    if (layout === "praatplaat") return praatplaatShape(inst, (item, className) => this.part(item, className));
    if (layout === "matrix") return this.matrix();
    if (layout === "achtje") return this.achtje();
    if (layout === "reflectietool") return this.reflectietool();
    return (inst.sections || []).filter((s) => s.part !== false).map((s) => el("section", { class: "figure-section" },
      el("h3", { class: "section-title", text: localized(s) }),
      el("div", { class: "figure-list" }, s.items.map((item) => this.part(item)))));
  }

  /** One part: a button (or, on a screen, a box) with its title, prompt and count. */
  part(item, className = "", content = null) {
    if (!this.partIds.has(item.id)) return el("div", { class: `figure-cell ${className}` }, el("span", { class: "part-title", text: localized(item) }));
    const count = el("span", { class: "part-count", hidden: true });
    const prompt = localized(item, "prompt");
    const pick = this.onPick;
    const node = el(pick ? "button" : "div", {
      type: pick ? "button" : null, class: `figure-part ${className}`, dataset: { part: item.id, count: "0" },
      "aria-pressed": pick ? "false" : null, onclick: pick ? () => pick(item.id) : null,
    }, content || [
      el("span", { class: "part-title", text: localized(item) }),
      prompt ? el("span", { class: "part-prompt", text: prompt }) : null,
    ], count);
    this.parts.set(item.id, { node, count });
    return node;
  }

  matrix() {
    const rows = items(this.inst, "vragen");
    const blanks = Array.from({ length: MATRIX_COLUMNS }, (_, i) => i + 1);
    return el("div", { class: "matrix-wrap figure-matrix", role: "region", tabindex: "0", "aria-label": t("matrixRegion") },
      el("table", { class: "matrix" },
        el("thead", {}, el("tr", {},
          el("th", { class: "matrix-corner", scope: "col", text: t("matrixQuestion") }),
          blanks.map((n) => el("th", { class: "matrix-col figure-blank", scope: "col", text: t("activityN", { n }) })))),
        el("tbody", {}, rows.map((r, ri) => el("tr", { dataset: { row: r.id } },
          el("th", { class: "matrix-q", scope: "row" }, this.part(r, "figure-question", questionHead(r, ri))),
          blanks.map(() => el("td", { class: "matrix-cell figure-blank" })))))));
  }

  achtje() {
    const eight = new EightFigure({ inst: this.inst, id: `${this.id}-eight`, onPick: this.onPick });
    eight.setPartners({});
    this.eight = eight;
    const levels = sectionOf(this.inst, "niveaus");
    const failures = sectionOf(this.inst, "valkuilen");
    return [
      el("figure", { class: "achtje-figure" }, eight.svg, eight.partnersEl, eight.legend),
      el("div", { class: "figure-list figure-achtje-parts" },
        levels ? el("h3", { class: "section-title", text: localized(levels) }) : null,
        (levels?.items || []).map((lv) => this.part(lv, "figure-level")),
        failures ? el("h3", { class: "section-title", text: localized(failures) }) : null,
        (failures?.items || []).map((f) => this.part(f, "figure-failure", [
          el("span", { class: "legend-mark", "aria-hidden": "true", text: "!" }),
          el("span", { class: "part-title", text: localized(f) }),
        ]))),
    ];
  }

  reflectietool() {
    const aspects = items(this.inst, "aspecten");
    const scale = this.inst.scale || { min: 1, max: 5, labels: {} };
    const labels = (getLang() === "en" ? scale.labels_en : null) || scale.labels || {};
    const steps = [];
    for (let v = scale.min; v <= scale.max; v += 1) {
      steps.push(el("li", { class: "scale-step" }, el("span", { class: "score-num", text: String(v) }),
        labels[String(v)] ? el("span", { class: "score-lbl", text: labels[String(v)] }) : null));
    }
    const radar = new Radar({ axes: aspectAxes(aspects), scale, title: t("radarTitle"), id: `${this.id}-radar` });
    return [
      el("div", { class: "figure-list figure-aspects" }, aspects.map((a) => this.part(a, "figure-aspect"))),
      el("div", { class: "figure-scale" },
        el("p", { class: "figure-scale-title", text: t("figureScale") }),
        el("ol", { class: "scale-steps" }, steps)),
      el("div", { class: "figure-radar" }, radar.svg),
    ];
  }

  /** How many notes point at each part (part id -> n). */
  setCounts(counts) {
    for (const [id, { node, count }] of this.parts) {
      const n = counts.get(id) || 0;
      if (node.dataset.count === String(n)) continue;
      node.dataset.count = String(n);
      count.hidden = !n;
      count.textContent = String(n);
      count.setAttribute("aria-label", t("partNotes", { n }));
    }
  }

  /** The part being written about (null: none). */
  setSelected(part) {
    for (const [id, { node }] of this.parts) {
      node.classList.toggle("is-picked", id === part);
      if (this.onPick) node.setAttribute("aria-pressed", String(id === part));
    }
    this.eight?.setSelected(part);
  }

  /** Whether the parts can be tapped now (a locked board: no). */
  setEnabled(on) {
    if (!this.onPick) return;
    for (const { node } of this.parts.values()) node.disabled = !on;
  }
}

/**
 * The instrument of a corner board drawn into `root` for its screen (projector.js): read-only,
 * its counts kept live from the board's notes. Answers {destroy()}.
 */
export function drawFigure(root, { instrument, store, board }) {
  if (!instrument || (board.layout || "stations") !== "stations") return { destroy() {} };
  const boardId = board.id;
  const figure = new InstrumentFigure({ instrument, id: `screen-figure-${instrument.id}` });
  const box = el("aside", { class: "screen-figure", "aria-label": localized(instrument) }, figure.el);
  root.appendChild(box);
  const count = () => figure.setCounts(countParts(store.mirror(boardId).view()));
  const unsub = store.onChange((b) => { if (b === boardId) count(); });
  count();
  return { destroy() { unsub(); box.remove(); } };
}
