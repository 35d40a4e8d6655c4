// The instrument on a corner board (R49, R50): the concept material (material.js) and the
// instrument drawn from its template (figure.js), in a panel that folds away — open on a
// participant's first visit to that corner, then as they left it (kept per corner). Tap a
// part, then write: the note goes to the chosen station pointing at that part
// (`note.add {…, part}`). The figure counts, live, the notes that point at each part.

import { CornerMaterial } from "./material.js";
import { InstrumentFigure } from "./figure.js";
import { el } from "./html.js";
import { t } from "./i18n.js";
import { countParts, localized, partLabel, partsOf } from "./parts.js";
import { maxLength, maySend } from "./rules.js";

const STATION_KEY = "vh.pinStation";

function remembered(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}

function remember(key, value) {
  try { localStorage.setItem(key, value); } catch { /* storage may be off */ }
}

export class CornerFigure {
  /** @param {import("./board.js").BoardView} view  a corner board (layout "stations") */
  constructor(view) {
    this.view = view;
    this.inst = view.instrument;
    this.picked = null;
    this.el = null;
    if (!this.inst || !partsOf(this.inst).length) return;
    const { board } = view;
    const canPin = !view.readOnly && maySend(view.me?.role, "note.add");
    this.figure = new InstrumentFigure({
      instrument: this.inst, id: `figure-${board.instrument}`, onPick: canPin ? (part) => this.pick(part) : null,
    });
    this.material = new CornerMaterial({
      sid: board.id.split(".")[0], corner: board.instrument, controlId: view.controlId || `${board.id.split(".")[0]}.control`,
      store: view.store, facilitator: view.facilitator,
    });
    this.composer = el("div", { class: "pin-slot" });
    this.openKey = `vh.figureOpen.${board.id}`;
    // A participant's first visit: open. A facilitator (whose board holds their tools too)
    // opens it when they want it.
    const kept = remembered(this.openKey);
    const open = kept ? kept === "open" : !view.facilitator;
    this.el = el("details", { class: "corner-figure", id: "corner-figure", open },
      el("summary", { class: "corner-figure-head" },
        el("span", { class: "corner-figure-title", text: t("figureTitle", { title: localized(this.inst) }) }),
        el("span", { class: "corner-figure-toggle", "aria-hidden": "true" })),
      el("div", { class: "corner-figure-body" },
        this.material.el,
        canPin ? el("p", { class: "figure-hint", text: t("figureHint") }) : null,
        this.figure.el, this.composer));
    this.el.addEventListener("toggle", () => remember(this.openKey, this.el.open ? "open" : "closed"));
  }

  destroy() {
    this.material?.destroy();
  }

  /** Counts per part, and whether parts can be tapped (a locked board: not by a participant). */
  update(notes) {
    if (!this.el) return;
    this.figure.setCounts(countParts(notes));
    this.figure.setEnabled(this.view.writable);
    if (!this.view.writable && this.picked) this.close();
  }

  pick(part) {
    if (this.picked === part) { this.close(); return; }
    this.picked = part;
    this.figure.setSelected(part);
    this.write(part);
  }

  close() {
    this.picked = null;
    this.figure.setSelected(null);
    this.composer.replaceChildren();
  }

  /** Writing a note about `part`: which station it is for, and the text. */
  write(part) {
    const { view } = this;
    const stations = view.stations;
    const kept = remembered(STATION_KEY);
    let station = stations.some((s) => s.id === kept) ? kept : (stations.find((s) => s.id === "tips") || stations[0])?.id;
    const label = partLabel(this.inst, part);
    const text = el("textarea", {
      class: "note-editor pin-text", id: "pin-text", rows: "3", maxlength: String(maxLength("note.add", "text")),
      placeholder: t("editorPlaceholder"), "aria-label": t("pinTextFor", { part: label }),
    });
    const choice = el("div", { class: "pin-stations", role: "radiogroup", "aria-label": t("pinStation") },
      stations.map((s) => {
        const radio = el("input", { type: "radio", name: "pin-station", value: s.id, checked: s.id === station, dataset: { station: s.id } });
        radio.addEventListener("change", () => { if (radio.checked) { station = s.id; remember(STATION_KEY, s.id); } });
        return el("label", { class: "pin-station" }, radio, el("span", { text: s.title }));
      }));
    const send = () => {
      const value = text.value.trim();
      if (!value || !view.writable) return;
      const note = view.store.ids.note();
      view.op({ kind: "note.add", note, zone: station, text: value, color: "yellow", x: 0, y: view.endY(station), part });
      this.close();
      const title = stations.find((s) => s.id === station)?.title || station;
      view.notify(t("pinAdded", { station: title }));
    };
    text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
      if (e.key === "Escape") { e.preventDefault(); this.close(); }
    });
    const form = el("form", { class: "pin-composer", id: "pin-composer", dataset: { part } },
      el("p", { class: "pin-about" }, el("span", { class: "pin-about-label", text: t("pinAbout") }), " ",
        el("strong", { class: "pin-part", text: label })),
      choice, text,
      el("div", { class: "ctl-row" },
        el("button", { type: "submit", class: "ctl primary pin-send", text: t("pinSend") }),
        el("button", { type: "button", class: "ctl pin-cancel", text: t("cancel"), onclick: () => this.close() })));
    form.addEventListener("submit", (e) => { e.preventDefault(); send(); });
    this.composer.replaceChildren(form);
    text.focus({ preventScroll: true });
    form.scrollIntoView({ block: "nearest" });
  }
}
