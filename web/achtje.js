// Het 8-tje as a working board (R17): three levels by three lanes (partner A, between them,
// partner B) as cells for notes, the partners' names (partner.name), the known failure modes
// raised per level (flag.set), and the figure of the 8 with a marker per raised flag.

import { clear, el, svg as svgEl } from "./html.js";
import { t } from "./i18n.js";
import { maxLength } from "./rules.js";
import { items, sectionOf } from "./template.js";
import { commitInput, setIfIdle } from "./ui.js";

const FIG = { w: 340, h: 220, top: 12, band: 62, cx: [130, 230], rx: 50 };

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
    const laneTpl = new Map(this.lanes.map((l) => [l.id, l.title]));
    this.laneTpl = laneTpl;

    const names = el("div", { class: "partner-names" }, ["partner-a", "partner-b"].map((p) => {
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

    this.figure = this.drawFigure();
    const questions = el("details", { class: "achtje-questions" },
      el("summary", { text: sectionOf(inst, "vragen")?.title || t("questions") }),
      el("ol", {}, this.questions.map((q) => el("li", { text: q.title }))));
    const pitfalls = sectionOf(inst, "valkuilen");

    const levels = this.levels.map((lv) => {
      const toggles = el("div", { class: "flag-toggles", role: "group", "aria-label": pitfalls?.title || t("flags") },
        this.flagsTpl.map((f) => {
          const box = el("input", {
            type: "checkbox", class: "flag-toggle", disabled: view.readOnly,
            dataset: { flag: f.id, level: lv.id },
          });
          box.addEventListener("change", () => {
            view.op({ kind: "flag.set", flag: f.id, level: lv.id, on: box.checked });
          });
          this.flagBoxes.push(box);
          return el("label", { class: "flag-label" }, box, el("span", { text: f.title }));
        }));
      const lanes = el("div", { class: "achtje-lanes" }, this.lanes.map((ln) => {
        const box = view.zoneBox(`${lv.id}@${ln.id}`, {
          title: ln.title, label: `${lv.title} · ${ln.title}`, className: `achtje-cell lane-${ln.id}`,
          heading: "h3", compact: true,
          extraHead: el("details", { class: "cell-questions" },
            el("summary", { text: t("questions") }),
            el("ul", {}, this.questions.map((q) => el("li", { text: q.title })))),
        });
        const title = box.querySelector(".zone-title");
        if (title) this.laneTitles.push({ lane: ln.id, node: title });
        return box;
      }));
      return el("section", { class: "achtje-level", dataset: { level: lv.id } },
        el("header", { class: "level-head" }, el("h2", { class: "level-title", text: lv.title }), toggles),
        lanes);
    });

    this.body.append(
      el("div", { class: "achtje-top" },
        el("div", { class: "achtje-side" }, names, questions,
          pitfalls ? el("p", { class: "notice", text: t("flagHint", { title: pitfalls.title }) }) : null),
        el("figure", { class: "achtje-figure" }, this.figure,
          el("figcaption", { text: t("figureCaption") }))),
      el("div", { class: "achtje-levels" }, levels));
  }

  drawFigure() {
    const { w, h, top, band, cx, rx } = FIG;
    const svg = svgEl("svg", {
      id: "achtje-figure", class: "achtje-svg", viewBox: `0 0 ${w} ${h}`, role: "img",
      "aria-label": t("figureCaption"),
    });
    svg.appendChild(svgEl("title", {}, t("figureCaption")));
    this.levels.forEach((lv, i) => {
      const y = top + i * band;
      svg.appendChild(svgEl("rect", { x: 0, y, width: w, height: band, class: `band band-${i % 2}` }));
      svg.appendChild(svgEl("text", { x: 4, y: y + 14, class: "band-label" }, lv.title.split("/")[0]));
    });
    const cy = top + (band * this.levels.length) / 2;
    const ry = (band * this.levels.length) / 2 - 4;
    for (const x of cx) svg.appendChild(svgEl("ellipse", { cx: x, cy, rx, ry, class: "loop" }));
    this.figLabels = ["partner-a", "partner-b"].map((p, i) => {
      const node = svgEl("text", {
        x: cx[i], y: h - 4, "text-anchor": "middle", class: "loop-label", "data-partner": p,
      }, this.laneTpl.get(p) || p);
      svg.appendChild(node);
      return node;
    });
    this.markers = svgEl("g", { class: "flag-markers" });
    svg.appendChild(this.markers);
    return svg;
  }

  update(extra) {
    this.partners = extra.partners;
    for (const [p, input] of this.nameInputs) setIfIdle(input, extra.partners[p] || "");
    const laneName = (lane) => (extra.partners[lane] || this.laneTpl.get(lane) || lane);
    for (const { lane, node } of this.laneTitles) {
      const text = laneName(lane);
      if (node.textContent !== text) node.textContent = text;
    }
    this.figLabels.forEach((node, i) => {
      const p = i === 0 ? "partner-a" : "partner-b";
      const text = extra.partners[p] || (i === 0 ? t("partnerA") : t("partnerB"));
      if (node.textContent !== text) node.textContent = text;
    });
    for (const [zone] of this.view.zoneTitles) {
      const [lv, lane] = zone.split("@");
      const level = this.levels.find((l) => l.id === lv);
      if (level) this.view.zoneTitles.set(zone, `${level.title} · ${laneName(lane)}`);
    }
    const raised = new Set(extra.flags.map((f) => `${f.flag}|${f.level}`));
    for (const box of this.flagBoxes) {
      box.checked = raised.has(`${box.dataset.flag}|${box.dataset.level}`);
      box.closest(".flag-label")?.classList.toggle("raised", box.checked);
    }
    // Markers on the 8: one red dot per raised flag, at its level's band, near the crossing.
    clear(this.markers);
    const mid = (FIG.cx[0] + FIG.cx[1]) / 2;
    this.levels.forEach((lv, li) => {
      const y = FIG.top + li * FIG.band + FIG.band / 2;
      this.flagsTpl.forEach((f, fi) => {
        if (!raised.has(`${f.id}|${lv.id}`)) return;
        const x = mid + (fi - (this.flagsTpl.length - 1) / 2) * 26;
        const label = `${f.title} (${lv.title})`;
        const g = svgEl("g", {
          class: "flag-marker", "data-flag": f.id, "data-level": lv.id, role: "img", "aria-label": label,
        });
        g.appendChild(svgEl("title", {}, label));
        g.appendChild(svgEl("circle", { cx: x, cy: y, r: 10 }));
        g.appendChild(svgEl("text", { x, y: y + 5, "text-anchor": "middle" }, "!"));
        this.markers.appendChild(g);
      });
    });
  }
}
