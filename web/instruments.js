// The four instruments as working boards. Each layout builds its skeleton once (zones via
// view.zoneBox, so notes, drafts and dragging work the same everywhere) and updates its own
// parts (columns, partner names, flags, scores) from the mirror's state in update(extra).

import { aggregates, PARTNERS } from "./aggregate.js";
import { clear, el } from "./html.js";
import { t } from "./i18n.js";
import { Radar } from "./radar.js";

const SVG_NS = "http://www.w3.org/2000/svg";

function items(inst, section) {
  return inst?.sections?.find((s) => s.id === section)?.items || [];
}

function sectionOf(inst, section) {
  return inst?.sections?.find((s) => s.id === section) || null;
}

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** An input that sends `onCommit(value)` on Enter or blur, when the value changed. */
function commitInput(attrs, current, onCommit) {
  const input = el("input", { type: "text", ...attrs });
  input.value = current;
  const commit = () => onCommit(input.value.trim());
  input.addEventListener("change", commit);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); input.blur(); }
  });
  return input;
}

function setIfIdle(input, value) {
  if (document.activeElement !== input && input.value !== value) input.value = value;
}

/** A reflection's title; the default "Reflectie N" (shared data, R18) in the page's language. */
function reflTitle(r) {
  const m = /^Reflectie (\d+)$/.exec(r?.title || "");
  return m ? t("reflectionN", { n: m[1] }) : (r?.title || r?.id || "");
}

function fmt(v, digits = 1) {
  if (v == null || Number.isNaN(v)) return "–";
  return Number(v).toLocaleString(document.documentElement.lang === "en" ? "en" : "nl", {
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  });
}

// --- praatplaat -----------------------------------------------------------------------------

class Praatplaat {
  constructor(view, body) {
    this.view = view;
    this.body = body;
  }

  build() {
    const { view } = this;
    const inst = view.instrument;
    const opgave = items(inst, "opgave")[0];
    const domains = sectionOf(inst, "domeinen");
    const mechs = sectionOf(inst, "mechanismen");
    const ring = el("div", { class: "praat-ring" });
    if (opgave) {
      ring.appendChild(view.zoneBox(opgave.id, {
        title: opgave.title, prompt: opgave.prompt, className: "praat-opgave", heading: "h2",
      }));
    }
    (domains?.items || []).forEach((d, i) => {
      ring.appendChild(view.zoneBox(d.id, {
        title: d.title, prompt: d.prompt, className: `praat-domain praat-domain-${i + 1}`, heading: "h2",
      }));
    });
    const parts = [];
    if (domains) parts.push(el("p", { class: "section-caption", text: domains.title }));
    parts.push(ring);
    if (mechs) {
      parts.push(el("h2", { class: "section-title", text: mechs.title }),
        el("div", { class: "praat-mechs" }, mechs.items.map((m) => view.zoneBox(m.id, {
          title: m.title, prompt: m.prompt, className: "praat-mech", heading: "h3",
        }))));
    }
    this.body.append(...parts);
  }

  update() {}
}

// --- matrix ---------------------------------------------------------------------------------

class Matrix {
  constructor(view, body) {
    this.view = view;
    this.body = body;
    this.key = null;
    this.titleInputs = new Map();
    this.columns = [];
  }

  build() {
    const { view } = this;
    this.rows = items(view.instrument, "vragen");
    const name = el("input", {
      type: "text", id: "new-column-title", maxlength: "80", placeholder: t("activityPlaceholder"),
      "aria-label": t("activityName"),
    });
    const form = el("form", { class: "matrix-add", id: "add-column-form" },
      name, el("button", { type: "submit", class: "primary", id: "add-column", text: t("addColumn") }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const title = name.value.trim() || t("activityN", { n: this.columns.length + 1 });
      view.op({ kind: "column.add", column: view.store.ids.column(), title: title.slice(0, 80) });
      name.value = "";
    });
    this.empty = el("p", { class: "notice matrix-empty", text: t("matrixNoColumns") });
    this.wrap = el("div", {
      class: "matrix-wrap", role: "region", tabindex: "0", "aria-label": t("matrixRegion"),
    });
    this.body.append(...[view.readOnly ? null : form, this.empty, this.wrap].filter(Boolean));
  }

  keyOf(extra) {
    return extra.columns.map((c) => c.id).join("|");
  }

  willRebuild(extra) {
    return this.keyOf(extra) !== this.key;
  }

  update(extra) {
    this.columns = extra.columns;
    const key = this.keyOf(extra);
    if (key !== this.key) {
      this.key = key;
      this.rebuild(extra.columns);
    }
    this.empty.hidden = extra.columns.length > 0;
    extra.columns.forEach((c, i) => {
      const input = this.titleInputs.get(c.id);
      if (input) setIfIdle(input, c.title);
      const title = c.title || t("activityN", { n: i + 1 });
      this.rows.forEach((r, ri) => {
        this.view.zoneTitles.set(`${r.id}@${c.id}`, `${ri + 1}. ${r.title} · ${title}`);
      });
    });
  }

  rebuild(columns) {
    const { view } = this;
    view.lists.clear();
    view.zoneTitles.clear();
    this.titleInputs.clear();
    const n = columns.length;
    const head = el("tr", {},
      el("th", { class: "matrix-corner", scope: "col", text: t("matrixQuestion") }),
      el("th", { class: "matrix-rowcol", scope: "col", text: t("matrixRowNotes") }),
      columns.map((c, i) => {
        const input = commitInput({
          class: "col-title", maxlength: "80", "aria-label": t("columnName", { n: i + 1 }),
          placeholder: t("activityN", { n: i + 1 }), readonly: view.readOnly,
        }, c.title, (value) => {
          const cur = this.columns.find((x) => x.id === c.id);
          if (cur && value !== cur.title) view.op({ kind: "column.rename", column: c.id, title: value.slice(0, 80) });
        });
        this.titleInputs.set(c.id, input);
        const move = (to) => view.op({ kind: "column.move", column: c.id, index: to });
        return el("th", { class: "matrix-col", scope: "col", dataset: { column: c.id } },
          input,
          view.readOnly ? null : el("div", { class: "col-tools" },
            el("button", {
              type: "button", class: "col-left", text: "←", disabled: i === 0,
              "aria-label": t("moveLeft"), title: t("moveLeft"),
              onclick: () => move(this.columns.findIndex((x) => x.id === c.id) - 1),
            }),
            el("button", {
              type: "button", class: "col-right", text: "→", disabled: i === n - 1,
              "aria-label": t("moveRight"), title: t("moveRight"),
              onclick: () => move(this.columns.findIndex((x) => x.id === c.id) + 1),
            })));
      }));
    const body = el("tbody", {}, this.rows.map((r, ri) => el("tr", { dataset: { row: r.id } },
      el("th", { class: "matrix-q", scope: "row" },
        el("span", { class: "q-num", text: `${ri + 1}` }),
        el("span", { class: "q-title", text: r.title }),
        r.prompt ? el("span", { class: "q-prompt", text: r.prompt }) : null),
      el("td", { class: "matrix-cell matrix-rownotes" }, view.zoneBox(r.id, {
        title: r.title, label: `${ri + 1}. ${r.title}`, hideTitle: true, compact: true, className: "cell",
      })),
      columns.map((c, ci) => el("td", { class: "matrix-cell", dataset: { column: c.id } },
        view.zoneBox(`${r.id}@${c.id}`, {
          title: r.title, hideTitle: true, compact: true, className: "cell",
          label: `${ri + 1}. ${r.title} · ${c.title || t("activityN", { n: ci + 1 })}`,
        }))))));
    clear(this.wrap).appendChild(el("table", { class: "matrix" }, el("thead", {}, head), body));
  }
}

// --- het 8-tje ------------------------------------------------------------------------------

const FIG = { w: 340, h: 220, top: 12, band: 62, cx: [130, 230], rx: 50 };

class Achtje {
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
        id: `partner-name-${p}`, class: "partner-name", maxlength: "60", dataset: { partner: p },
        placeholder: laneTpl.get(p) || p, readonly: view.readOnly,
      }, "", (value) => {
        if (value !== (this.partners[p] || "")) view.op({ kind: "partner.name", partner: p, name: value.slice(0, 60) });
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

// --- reflectietool --------------------------------------------------------------------------

class Reflectietool {
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
    const labels = this.scale.labels || {};

    this.select = el("select", { id: "reflection-select", "aria-label": t("reflection") });
    this.select.addEventListener("change", () => {
      this.current = this.select.value;
      this.picked = true;
      view.update();
    });
    const newBtn = view.readOnly ? null : el("button", {
      type: "button", id: "new-reflection", class: "navbtn", text: t("newReflection"),
      onclick: () => {
        const n = (this.extra?.reflections || []).length;
        const id = `r${n + 1}`;
        view.op({ kind: "reflection.add", reflection: id, title: `Reflectie ${n + 1}` }); // shared data: one title for all
        this.current = id;
        this.picked = true;
        view.update();
      },
    });
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
    this.radar = new Radar({
      axes: this.aspects.map((a) => ({ id: a.id, label: a.prompt || a.title })),
      scale: this.scale, title: t("radarTitle"),
    });
    this.legend = el("ul", { class: "radar-legend" });
    this.summaryLine = el("p", { class: "radar-summary" });
    this.body.append(
      el("div", { class: "refl-bar" },
        el("label", { class: "refl-pick" }, el("span", { text: t("reflection") }), this.select),
        newBtn, view.readOnly ? null : partnerPick),
      el("div", { class: "refl-main" },
        list,
        el("aside", { class: "refl-chart" },
          el("h2", { text: t("radarTitle") }), this.radar.svg, this.legend, this.summaryLine)));
  }

  aspectCard(a, labels) {
    const { view } = this;
    const radios = [];
    const scale = el("fieldset", { class: "score-scale", dataset: { aspect: a.id } },
      el("legend", { class: "sr-only", text: a.title }));
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
      class: "score-note", rows: "2", maxlength: "500", placeholder: t("scoreNote"),
      "aria-label": t("scoreNoteFor", { aspect: a.title }), readonly: view.readOnly, dataset: { aspect: a.id },
    });
    note.addEventListener("change", () => {
      if (this.myScore(a.id) != null || radios.some((r) => r.checked)) this.send(a.id);
    });
    const agg = el("div", { class: "aspect-agg", dataset: { aspect: a.id } });
    this.aspectEls.set(a.id, { radios, note, agg });
    return el("article", { class: "aspect", dataset: { aspect: a.id } },
      el("h2", { class: "aspect-title", text: a.title }),
      a.prompt ? el("p", { class: "aspect-prompt", text: a.prompt }) : null,
      scale, note, agg,
      view.zoneBox(a.id, { title: t("notes"), label: a.title, className: "aspect-notes", heading: "h3", compact: true }));
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
      note: els.note.value.trim().slice(0, 500),
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

  update(extra) {
    this.extra = extra;
    const refls = extra.reflections;
    // Until this person picks or scores one, follow the newest reflection (the placeholder
    // state before the first real one has only r1).
    if (!this.picked || !refls.some((r) => r.id === this.current)) this.current = refls[refls.length - 1]?.id || "r1";
    const key = refls.map((r) => `${r.id}:${r.title}`).join("|");
    if (key !== this.reflKey) {
      this.reflKey = key;
      clear(this.select).append(...refls.map((r) => el("option", { value: r.id, text: reflTitle(r) })));
    }
    if (this.select.value !== this.current) this.select.value = this.current;

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
      this.fillAgg(els.agg, cur[a.id], before?.[a.id] ?? null, prev);
    }

    const means = (series) => ids.map((id) => cur[id]?.[series]?.mean ?? null);
    const series = [];
    if (before && ids.some((id) => before[id]?.all?.n)) {
      series.push({ key: "previous", values: ids.map((id) => before[id]?.all?.mean ?? null), label: reflTitle(prev) });
    }
    for (const p of PARTNERS) {
      if (ids.some((id) => cur[id]?.[p]?.n)) series.push({ key: p, values: means(p), label: p === "partner-a" ? t("partnerA") : t("partnerB") });
    }
    series.push({ key: "all", values: means("all"), label: t("everyone") });
    this.radar.update(series);
    clear(this.legend).append(...series.slice().reverse().map((s) => el("li", { class: `legend-${s.key}` },
      el("span", { class: `swatch-line series-${s.key}`, "aria-hidden": "true" }), el("span", { text: s.label }))));
    const n = Math.max(0, ...ids.map((id) => cur[id]?.all?.n || 0));
    this.summaryLine.textContent = t("respondents", { n });
  }

  fillAgg(node, a, prevA, prev) {
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
    if (prev && prevA?.all?.n) node.append(row(t("previous", { title: reflTitle(prev) }), prevA.all, "agg-previous"));
  }
}

export const LAYOUTS = {
  praatplaat: Praatplaat,
  matrix: Matrix,
  achtje: Achtje,
  reflectietool: Reflectietool,
};
