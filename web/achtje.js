// Het 8-tje as a working board (R17): three levels by three lanes (partner A, between them,
// partner B) as cells for notes, the partners' names (partner.name), the known failure modes
// raised where the template places them (flag.set), and the figure of the 8 with a marker per
// raised flag. The figure (EightFigure) is also het 8-tje on its corner (figure.js).

import { clear, el, svg as svgEl } from "./html.js";
import { t } from "./i18n.js";
import { localized } from "./parts.js";
import { maxLength } from "./rules.js";
import { items, sectionOf } from "./template.js";
import { commitInput, setIfIdle } from "./ui.js";

// The level labels in a column on the left, the two loops of the 8 beside them.
const FIG = { w: 390, top: 8, band: 64, cx: [224, 326], rx: 50, labelWidth: 20 };
const BETWEEN = "tussen-niveaus";
const PARTNERS = ["partner-a", "partner-b"];

/**
 * Where a failure mode may be raised: the level the template puts it at (`at`), or — between
 * the levels — each level but the top one (meaning: between it and the level above).
 */
export function flagLevels(failure, levels) {
  if (failure.at === BETWEEN) return levels.slice(1).map((l) => l.id);
  if (levels.some((l) => l.id === failure.at)) return [failure.at];
  return levels.map((l) => l.id);
}

/** A label in at most two lines: split after a "/" or at the space nearest the middle. */
function twoLines(text, width) {
  if (text.length <= width) return [text];
  const slash = text.indexOf("/");
  if (slash > 0 && slash < text.length - 1) return [text.slice(0, slash + 1), text.slice(slash + 1)];
  const mid = text.lastIndexOf(" ", Math.ceil(text.length / 2));
  return mid > 0 ? [text.slice(0, mid), text.slice(mid + 1)] : [text];
}

/**
 * The figure of the 8 from the template: the levels as bands with their full names, the two
 * loops (partners A and B) with the partners' names below (cut short with an ellipsis, the
 * whole name on hover and focus), each failure mode drawn where the template puts it (`at`:
 * on a level, or between the levels), and a legend. `setFlags` marks the raised ones.
 * With `onPick(part)` a level or a failure mode can be tapped (a corner board, R49).
 */
export class EightFigure {
  constructor({ inst, id = null, onPick = null }) {
    const { w, top, band, cx, rx } = FIG;
    this.levels = items(inst, "niveaus");
    this.failures = items(inst, "valkuilen");
    this.lanes = new Map(items(inst, "partners").map((l) => [l.id, localized(l)]));
    this.onPick = onPick;
    const h = top * 2 + band * this.levels.length;
    this.svg = svgEl("svg", {
      id, class: "achtje-svg", viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": t("figureCaption"),
    });
    this.svg.appendChild(svgEl("title", {}, t("figureCaption")));
    this.levels.forEach((lv, i) => {
      const y = top + i * band;
      const g = this.pickable(svgEl("g", { class: "band-part", "data-pick": lv.id }), lv.id, localized(lv));
      g.appendChild(svgEl("rect", { x: 0, y, width: w, height: band, class: `band band-${i % 2}` }));
      const label = svgEl("text", { x: 6, y: y + 18, class: "band-label" });
      twoLines(localized(lv), FIG.labelWidth).forEach((line, li) => {
        label.appendChild(svgEl("tspan", { x: 6, dy: li === 0 ? 0 : 14 }, line));
      });
      g.appendChild(label);
      this.svg.appendChild(g);
    });
    const cy = top + (band * this.levels.length) / 2;
    const ry = (band * this.levels.length) / 2 - 4;
    cx.forEach((x, i) => {
      this.svg.appendChild(svgEl("ellipse", { cx: x, cy, rx, ry, class: "loop" }));
      this.svg.appendChild(svgEl("text", {
        x, y: top + 22, "text-anchor": "middle", class: "loop-letter", "data-partner": PARTNERS[i],
      }, i === 0 ? "A" : "B"));
    });
    this.spots = svgEl("g", { class: "flag-spots" });
    this.markers = svgEl("g", { class: "flag-markers" });
    this.svg.append(this.spots, this.markers);
    for (const f of this.failures) {
      for (const level of flagLevels(f, this.levels)) {
        const { x, y } = this.place(f, level);
        const g = this.pickable(svgEl("g", { class: "flag-spot", "data-flag": f.id, "data-level": level, "data-pick": f.id }),
          f.id, localized(f));
        g.appendChild(svgEl("title", {}, localized(f)));
        g.appendChild(svgEl("circle", { cx: x, cy: y, r: 11 }));
        g.appendChild(svgEl("text", { x, y: y + 5, "text-anchor": "middle" }, "!"));
        this.spots.appendChild(g);
      }
    }
    this.partnerEls = PARTNERS.map((p, i) => el("span", {
      class: "partner-label", tabindex: "0", dataset: { partner: p },
      title: this.lanes.get(p) || (i === 0 ? t("partnerA") : t("partnerB")),
    }, el("span", { class: "partner-letter", "aria-hidden": "true", text: i === 0 ? "A" : "B" }),
    el("span", { class: "partner-text", text: this.lanes.get(p) || "" })));
    this.partnersEl = el("div", { class: "achtje-partners" }, this.partnerEls);
    this.legend = el("ul", { class: "achtje-legend", "aria-label": t("flagLegend") },
      this.failures.map((f) => el("li", { class: "legend-flag", dataset: { flag: f.id } },
        el("span", { class: "legend-mark", "aria-hidden": "true", text: "!" }),
        el("span", { class: "legend-text" }, el("span", { text: localized(f) }), " ",
          el("span", { class: "legend-where", text: this.whereText(f) })))),
      this.failures.length ? el("li", { class: "legend-raised" },
        el("span", { class: "legend-mark is-raised", "aria-hidden": "true", text: "!" }),
        el("span", { class: "legend-text", text: t("flagLegendRaised") })) : null);
  }

  /** In the figure: where the failure mode `f` raised on `level` is drawn. */
  place(f, level) {
    const i = Math.max(0, this.levels.findIndex((l) => l.id === level));
    const mid = (FIG.cx[0] + FIG.cx[1]) / 2;
    const y = f.at === BETWEEN ? FIG.top + i * FIG.band : FIG.top + i * FIG.band + FIG.band / 2;
    return { x: mid, y };
  }

  whereText(f) {
    if (f.at === BETWEEN) return t("flagBetween");
    const level = this.levels.find((l) => l.id === f.at);
    return level ? t("flagAt", { level: localized(level) }) : "";
  }

  /** A part of the figure that can be tapped (and reached with the keyboard) to pick it. */
  pickable(g, part, label) {
    if (!this.onPick) return g;
    g.setAttribute("role", "button");
    g.setAttribute("tabindex", "0");
    g.setAttribute("aria-label", label);
    g.classList.add("pickable");
    g.addEventListener("click", () => this.onPick(part));
    g.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); this.onPick(part); }
    });
    return g;
  }

  /** The partners' names (or the template's lane names) under the loops. */
  setPartners(partners) {
    this.partnerEls.forEach((node, i) => {
      const p = PARTNERS[i];
      const name = partners?.[p] || this.lanes.get(p) || (i === 0 ? t("partnerA") : t("partnerB"));
      const text = node.lastChild;
      if (text.textContent !== name) text.textContent = name;
      if (node.title !== name) node.title = name;
    });
  }

  /** One red marker per raised flag `${flag}|${level}`, where the template puts it. */
  setFlags(raised) {
    clear(this.markers);
    for (const f of this.failures) {
      for (const lv of this.levels) {
        if (!raised.has(`${f.id}|${lv.id}`)) continue;
        const { x, y } = this.place(f, lv.id);
        const label = `${localized(f)} (${localized(lv)})`;
        const g = svgEl("g", {
          class: "flag-marker", "data-flag": f.id, "data-level": lv.id, role: "img", "aria-label": label,
        });
        g.appendChild(svgEl("title", {}, label));
        g.appendChild(svgEl("circle", { cx: x, cy: y, r: 11 }));
        g.appendChild(svgEl("text", { x, y: y + 5, "text-anchor": "middle" }, "!"));
        this.markers.appendChild(g);
      }
    }
  }

  /** Marks the picked part (a level band or a failure mode). */
  setSelected(part) {
    for (const g of this.svg.querySelectorAll("[data-pick]")) g.classList.toggle("is-picked", g.dataset.pick === part);
  }
}

export class Achtje {
  constructor(view, body) {
    this.view = view;
    this.body = body;
    this.nameInputs = new Map();
    this.laneTitles = []; // {lane, node}
    this.flagBoxes = []; // checkbox inputs
    this.partners = { "partner-a": "", "partner-b": "" };
  }

  build() {
    const { view } = this;
    const inst = view.instrument;
    this.levels = items(inst, "niveaus");
    this.lanes = items(inst, "partners");
    this.questions = items(inst, "vragen");
    this.flagsTpl = items(inst, "valkuilen");
    const laneTpl = new Map(this.lanes.map((l) => [l.id, localized(l)]));
    this.laneTpl = laneTpl;

    const names = el("div", { class: "partner-names" }, PARTNERS.map((p) => {
      const input = commitInput({
        id: `partner-name-${p}`, class: "partner-name", maxlength: String(maxLength("partner.name", "name")), dataset: { partner: p },
        placeholder: laneTpl.get(p) || p, readonly: view.readOnly,
      }, "", (value) => {
        if (value !== (this.partners[p] || "")) view.op({ kind: "partner.name", partner: p, name: value.slice(0, maxLength("partner.name", "name")) });
      });
      this.nameInputs.set(p, input);
      return el("label", { class: "partner-field" },
        el("span", { text: t("partnerNameLabel", { partner: laneTpl.get(p) || p }) }), input);
    }));

    this.figure = new EightFigure({ inst, id: "achtje-figure" });
    const questions = el("details", { class: "achtje-questions" },
      el("summary", { text: localized(sectionOf(inst, "vragen")) || t("questions") }),
      el("ol", {}, this.questions.map((q) => el("li", { text: localized(q) }))));
    const pitfalls = sectionOf(inst, "valkuilen");

    const levels = this.levels.map((lv, li) => {
      const here = this.flagsTpl.filter((f) => flagLevels(f, this.levels).includes(lv.id));
      const toggles = here.length ? el("div", { class: "flag-toggles", role: "group", "aria-label": localized(pitfalls) || t("flags") },
        here.map((f) => {
          const box = el("input", {
            type: "checkbox", class: "flag-toggle", disabled: view.readOnly,
            dataset: { flag: f.id, level: lv.id },
          });
          box.addEventListener("change", () => {
            view.op({ kind: "flag.set", flag: f.id, level: lv.id, on: box.checked });
          });
          this.flagBoxes.push(box);
          const between = f.at === BETWEEN && li > 0
            ? t("flagBetweenThese", { above: localized(this.levels[li - 1]), level: localized(lv) }) : "";
          return el("label", { class: "flag-label" }, box, el("span", { class: "flag-mark", "aria-hidden": "true", text: "!" }),
            el("span", { text: localized(f) }), between ? el("span", { class: "flag-where", text: between }) : null);
        })) : null;
      const lanes = el("div", { class: "achtje-lanes" }, this.lanes.map((ln) => {
        const box = view.zoneBox(`${lv.id}@${ln.id}`, {
          title: localized(ln), label: `${localized(lv)} · ${localized(ln)}`, className: `achtje-cell lane-${ln.id}`,
          heading: "h3", compact: true,
          extraHead: el("details", { class: "cell-questions" },
            el("summary", { text: t("questions") }),
            el("ul", {}, this.questions.map((q) => el("li", { text: localized(q) })))),
        });
        const title = box.querySelector(".zone-title");
        if (title) this.laneTitles.push({ lane: ln.id, node: title });
        return box;
      }));
      return el("section", { class: "achtje-level", dataset: { level: lv.id } },
        el("header", { class: "level-head" }, el("h2", { class: "level-title", text: localized(lv) }), toggles),
        lanes);
    });

    this.body.append(
      el("div", { class: "achtje-top" },
        el("div", { class: "achtje-side" }, names, questions,
          pitfalls ? el("p", { class: "notice", text: t("flagHint", { title: localized(pitfalls) }) }) : null),
        el("figure", { class: "achtje-figure" }, this.figure.svg, this.figure.partnersEl, this.figure.legend,
          el("figcaption", { text: t("figureCaption") }))),
      el("div", { class: "achtje-levels" }, levels));
  }

  update(extra) {
    this.partners = extra.partners;
    for (const [p, input] of this.nameInputs) setIfIdle(input, extra.partners[p] || "");
    const laneName = (lane) => (extra.partners[lane] || this.laneTpl.get(lane) || lane);
    for (const { lane, node } of this.laneTitles) {
      const text = laneName(lane);
      if (node.textContent !== text) node.textContent = text;
    }
    this.figure.setPartners(extra.partners);
    for (const [zone] of this.view.zoneTitles) {
      const [lv, lane] = zone.split("@");
      const level = this.levels.find((l) => l.id === lv);
      if (level) this.view.zoneTitles.set(zone, `${localized(level)} · ${laneName(lane)}`);
    }
    const raised = new Set(extra.flags.map((f) => `${f.flag}|${f.level}`));
    for (const box of this.flagBoxes) {
      box.checked = raised.has(`${box.dataset.flag}|${box.dataset.level}`);
      box.closest(".flag-label")?.classList.toggle("raised", box.checked);
    }
    this.figure.setFlags(raised);
  }
}
