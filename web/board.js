// One board: its three stations as columns, notes as sticky cards. Keyed DOM updates so an
// open editor survives other people's changes.

import { clear, el } from "./html.js";
import { t } from "./i18n.js";
import { LAYOUTS } from "./instruments.js";

export const COLORS = ["yellow", "pink", "blue", "green", "orange", "purple"];
const DRAG_THROTTLE_MS = 50;
const DRAG_START_PX = 5;

function orderOf(a, b) {
  return (a.y - b.y) || ((a.created_seq ?? Infinity) - (b.created_seq ?? Infinity))
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export class BoardView {
  /**
   * @param {object} o
   * @param {HTMLElement} o.root
   * @param {object} o.board      {id, instrument, title, corner, zones, layout}
   * @param {Array} o.stations    [{id, title, prompt}]
   * @param {object|null} o.instrument  template {title, need, question, number, sections, scale}
   * @param {import("./state.js").BoardStore} o.store
   * @param {object} o.me         welcome.me
   */
  constructor({ root, board, stations, instrument, store, me }) {
    this.root = root;
    this.board = board;
    this.store = store;
    this.me = me;
    this.instrument = instrument;
    this.layout = board.layout || "stations";
    this.readOnly = me?.role === "viewer";
    const byId = new Map((stations || []).map((s) => [s.id, s]));
    this.stations = board.zones.map((z) => byId.get(z) || { id: z, title: z, prompt: "" });
    this.cards = new Map(); // note id -> card element
    this.lists = new Map(); // zone id -> list element
    this.zoneTitles = new Map(); // zone id -> label (move-to menu), in display order
    this.drag = null;
    this.remoteTimers = new Map();
    this.impl = null;
    this.unsubs = [
      store.onChange((b) => { if (b === board.id) this.update(); }),
      store.onDrag((b, moves) => { if (b === board.id) this.remoteDrag(moves); }),
    ];
    this.build();
    this.update();
  }

  destroy() {
    // A note being typed when the view goes (a new round moves the page) is kept, not lost.
    const active = document.activeElement;
    if (active && this.root.contains(active) && active.classList?.contains("note-editor")) active.blur();
    for (const u of this.unsubs) u();
    for (const tm of this.remoteTimers.values()) clearTimeout(tm);
    this.cancelDrag();
    this.impl?.destroy?.();
  }

  /** Send one board op (the store applies it optimistically and retries it). */
  op(op) {
    if (this.readOnly) return null;
    return this.store.op(this.board.id, op);
  }

  build() {
    const inst = this.instrument;
    const working = this.layout !== "stations";
    const header = el("div", { class: "board-head" },
      working ? null : el("p", { class: "board-corner", text: t("corner", { n: this.board.corner }) }),
      el("h1", { class: "board-title", text: inst?.title || this.board.title }),
      working && inst?.question ? el("p", { class: "board-need", text: inst.question })
        : inst?.need ? el("p", { class: "board-need", text: inst.need }) : null,
      working && inst?.challenge ? el("p", { class: "board-challenge", text: inst.challenge }) : null,
    );
    const body = el("div", { class: `layout layout-${this.layout}` });
    const Impl = LAYOUTS[this.layout];
    if (working && Impl && inst) {
      this.impl = new Impl(this, body);
      this.impl.build();
    } else {
      const columns = el("div", { class: "stations" });
      for (const s of this.stations) {
        columns.appendChild(this.zoneBox(s.id, {
          title: s.title, prompt: s.prompt, className: `station station-${s.id}`,
          dataset: { station: s.id }, heading: "h2",
        }));
      }
      body.appendChild(columns);
    }
    clear(this.root);
    this.root.appendChild(el("div", { class: "board", dataset: { board: this.board.id, layout: this.layout } },
      header, this.readOnly ? el("p", { class: "notice", text: t("viewerNote") }) : null, body));
  }

  /**
   * A container notes can live in: data-zone=<zone>, a list, a draft slot and an add button
   * (data-add-station=<zone>). `title` is shown (unless `hideTitle`) and names the zone in menus.
   */
  zoneBox(zone, { title = zone, label, prompt = "", className = "zone-cell", dataset = {}, heading = "h3",
    hideTitle = false, extraHead = null, compact = false } = {}) {
    const list = el("div", { class: "note-list" });
    this.lists.set(zone, list);
    this.zoneTitles.set(zone, label || title);
    const draftSlot = el("div", { class: "draft-slot" });
    const addBtn = this.readOnly ? null : el("button", {
      type: "button", class: compact ? "add-note compact" : "add-note", dataset: { addStation: zone },
      "aria-label": t("addNoteTo", { station: label || title }), text: t("addNote"),
      onclick: () => this.openDraft(zone, draftSlot),
    });
    const head = hideTitle && !prompt && !extraHead ? null : el("header", { class: "station-head zone-head" },
      hideTitle ? null : el(heading, { class: "station-title zone-title", text: title }),
      prompt ? el("p", { class: "station-prompt zone-prompt", text: prompt }) : null,
      extraHead);
    return el("section", { class: `zone ${className}`, dataset: { ...dataset, zone } },
      head, list,
      el("p", { class: "station-empty", text: t("emptyStation") }),
      draftSlot, addBtn);
  }

  // --- rendering ---------------------------------------------------------------------------

  update() {
    const mirror = this.store.mirror(this.board.id);
    if (this.impl) {
      if (this.drag && this.impl.willRebuild?.(mirror.viewExtra(this.store.participant))) this.cancelDrag();
      this.impl.update(mirror.viewExtra(this.store.participant), mirror);
    }
    const notes = mirror.view();
    const byZone = new Map([...this.lists.keys()].map((z) => [z, []]));
    for (const n of notes.values()) {
      if (!byZone.has(n.zone)) continue;
      byZone.get(n.zone).push(n);
    }
    const seen = new Set();
    for (const [zone, list] of byZone) {
      list.sort(orderOf);
      const listEl = this.lists.get(zone);
      let i = 0;
      for (const n of list) {
        seen.add(n.id);
        let card = this.cards.get(n.id);
        if (!card) {
          card = this.makeCard(n);
          this.cards.set(n.id, card);
        }
        this.fillCard(card, n);
        if (this.drag && this.drag.id === n.id && this.drag.started) continue; // in flight
        const at = listEl.children[i];
        if (at !== card) listEl.insertBefore(card, at || null);
        i += 1;
      }
      // Anything else left in the list (a card whose note moved away) goes.
      while (listEl.children.length > i) {
        const extra = listEl.children[i];
        if (extra.classList.contains("note-placeholder")) { i += 1; continue; }
        extra.remove();
      }
      listEl.closest(".zone")?.classList.toggle("is-empty", list.length === 0);
    }
    for (const [id, card] of this.cards) {
      if (seen.has(id)) continue;
      if (this.drag && this.drag.id === id) this.cancelDrag();
      card.remove();
      this.cards.delete(id);
    }
  }

  makeCard(n) {
    const card = el("article", { class: "note", dataset: { noteId: n.id }, tabindex: "0" });
    const handle = el("span", { class: "drag-handle", "aria-hidden": "true", text: "⠿" });
    const meta = el("span", { class: "note-meta" });
    const menuBtn = this.readOnly ? null : el("button", {
      type: "button", class: "note-menu", "aria-label": t("moreActions"), "aria-expanded": "false",
      text: "⋯",
      onclick: (e) => { e.stopPropagation(); this.toggleTools(card); },
    });
    const text = el("p", { class: "note-text" });
    card.append(el("div", { class: "note-head" }, this.readOnly ? null : handle, meta, menuBtn), text);
    if (!this.readOnly) {
      text.addEventListener("click", () => { if (!card.dataset.justDragged) this.openEditor(card); });
      card.addEventListener("keydown", (e) => {
        if (e.target === card && (e.key === "Enter" || e.key === "F2")) {
          e.preventDefault();
          this.openEditor(card);
        }
      });
      card.addEventListener("pointerdown", (e) => this.pointerDown(e, card));
    }
    return card;
  }

  fillCard(card, n) {
    card._note = n;
    for (const c of COLORS) card.classList.toggle(`color-${c}`, c === (n.color || "yellow"));
    card.classList.toggle("pending", !!n.pending);
    card.classList.toggle("mine", !!this.me && n.author === this.me.participant);
    const text = card.querySelector(".note-text");
    if (text.textContent !== n.text) text.textContent = n.text;
    const who = [n.author_name || (n.author === this.me?.participant ? t("you") : ""), n.group]
      .filter(Boolean).join(" · ");
    const meta = card.querySelector(".note-meta");
    const metaText = n.pending ? `${who}${who ? " · " : ""}${t("pending")}` : who;
    if (meta.textContent !== metaText) meta.textContent = metaText;
    const tools = card.querySelector(".note-tools");
    if (tools) this.syncTools(tools, n);
  }

  // --- tools: colour, move to station, delete ------------------------------------------------

  toggleTools(card) {
    let tools = card.querySelector(".note-tools");
    const btn = card.querySelector(".note-menu");
    if (tools) {
      tools.remove();
      btn?.setAttribute("aria-expanded", "false");
      return;
    }
    const n = card._note;
    const swatches = el("div", { class: "swatches", role: "group", "aria-label": t("colour") },
      COLORS.map((c) => el("button", {
        type: "button", class: `swatch color-${c}`, dataset: { color: c },
        "aria-label": t(`colours.${c}`), title: t(`colours.${c}`),
        onclick: () => {
          const cur = card._note;
          if (cur && cur.color !== c) {
            this.store.op(this.board.id, { kind: "note.color", note: cur.id, color: c });
          }
        },
      })));
    const select = el("select", { class: "move-to", "aria-label": t("moveTo") },
      el("option", { value: "", text: t("moveTo") }),
      [...this.zoneTitles].map(([id, title]) => el("option", { value: id, text: title })));
    select.addEventListener("change", () => {
      const zone = select.value;
      const cur = card._note;
      select.value = "";
      if (!zone || !cur || zone === cur.zone) return;
      this.store.op(this.board.id, {
        kind: "note.move", note: cur.id, x: 0, y: this.endY(zone), zone,
      });
    });
    const del = el("button", {
      type: "button", class: "note-delete", text: t("deleteNote"),
      onclick: () => {
        const cur = card._note;
        if (!cur) return;
        if (cur.text && !window.confirm(t("confirmDelete"))) return;
        this.store.op(this.board.id, { kind: "note.delete", note: cur.id });
      },
    });
    tools = el("div", { class: "note-tools" }, swatches, el("div", { class: "tool-row" }, select, del));
    card.appendChild(tools);
    btn?.setAttribute("aria-expanded", "true");
    this.syncTools(tools, n);
  }

  syncTools(tools, n) {
    for (const b of tools.querySelectorAll(".swatch")) {
      b.setAttribute("aria-pressed", String(b.dataset.color === n.color));
    }
  }

  endY(zone) {
    let max = 0;
    for (const n of this.store.mirror(this.board.id).view().values()) {
      if (n.zone === zone && n.y > max) max = n.y;
    }
    return Math.min(9000, Math.floor(max) + 1);
  }

  // --- editing -------------------------------------------------------------------------------

  makeEditor(initial, onSave, onCancel) {
    const ta = el("textarea", {
      class: "note-editor", maxlength: "1000", rows: "3",
      placeholder: t("editorPlaceholder"), "aria-label": t("editNote"),
    });
    ta.value = initial;
    let done = false;
    const finish = (save) => {
      if (done) return;
      done = true;
      if (save) onSave(ta.value.trim()); else onCancel();
    };
    ta.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        finish(true);
      } else if (e.key === "Escape") {
        e.preventDefault();
        finish(false);
      }
    });
    ta.addEventListener("blur", () => finish(true));
    return ta;
  }

  openDraft(zone, slot) {
    const existing = slot.querySelector(".note-editor");
    if (existing) { existing.focus(); return; }
    const draft = el("div", { class: "note draft color-yellow" });
    const close = () => draft.remove();
    const ta = this.makeEditor("", (text) => {
      close();
      if (!text) return;
      this.store.op(this.board.id, {
        kind: "note.add", note: this.store.ids.note(), zone, text, color: "yellow",
        x: 0, y: this.endY(zone),
      });
    }, close);
    draft.appendChild(ta);
    slot.appendChild(draft);
    ta.focus();
  }

  openEditor(card) {
    if (card.querySelector(".note-editor")) return;
    const n = card._note;
    if (!n) return;
    const text = card.querySelector(".note-text");
    text.hidden = true;
    const ta = this.makeEditor(n.text, (value) => {
      ta.remove();
      text.hidden = false;
      const cur = card._note;
      if (cur && value !== cur.text) {
        this.store.op(this.board.id, { kind: "note.edit", note: cur.id, text: value });
      }
    }, () => { ta.remove(); text.hidden = false; });
    text.after(ta);
    ta.focus();
    ta.setSelectionRange(ta.value.length, ta.value.length);
  }

  // --- dragging (pointer events) -------------------------------------------------------------

  pointerDown(e, card) {
    if (e.button !== 0 || this.drag) return;
    const target = e.target;
    if (target.closest("button, select, textarea, .note-tools")) return;
    // Touch and pen drag from the handle only, so scrolling the page still works.
    if (e.pointerType !== "mouse" && !target.closest(".drag-handle")) return;
    const rect = card.getBoundingClientRect();
    this.drag = {
      id: card.dataset.noteId, card, pointerId: e.pointerId, started: false,
      startX: e.clientX, startY: e.clientY, offX: e.clientX - rect.left, offY: e.clientY - rect.top,
      width: rect.width, height: rect.height, zone: card._note?.zone, index: 0,
      lastSent: 0, sendTimer: null, placeholder: null,
    };
    const move = (ev) => this.pointerMove(ev);
    const up = (ev) => this.pointerUp(ev, true);
    const cancel = (ev) => this.pointerUp(ev, false);
    this.drag.listeners = { move, up, cancel };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    window.addEventListener("pointercancel", cancel);
    if (e.pointerType !== "mouse") e.preventDefault();
  }

  pointerMove(e) {
    const d = this.drag;
    if (!d || e.pointerId !== d.pointerId) return;
    if (!d.started) {
      if (Math.hypot(e.clientX - d.startX, e.clientY - d.startY) < DRAG_START_PX) return;
      this.startDrag();
    }
    e.preventDefault();
    d.card.style.left = `${e.clientX - d.offX}px`;
    d.card.style.top = `${e.clientY - d.offY}px`;
    this.placeAt(e.clientX, e.clientY);
    this.sendDrag(false);
  }

  startDrag() {
    const d = this.drag;
    d.started = true;
    const ph = el("div", { class: "note-placeholder" });
    ph.style.height = `${d.height}px`;
    d.placeholder = ph;
    d.card.replaceWith(ph);
    d.card.classList.add("dragging");
    d.card.style.width = `${d.width}px`;
    document.body.appendChild(d.card);
    document.body.classList.add("is-dragging");
  }

  placeAt(x, y) {
    const d = this.drag;
    const under = document.elementFromPoint(x, y);
    const box = under?.closest?.(".zone[data-zone]");
    const zone = box?.dataset.zone;
    if (!zone || !this.lists.has(zone)) return;
    const list = this.lists.get(zone);
    const cards = [...list.querySelectorAll(".note")].filter((c) => c !== d.card);
    let index = cards.length;
    for (let i = 0; i < cards.length; i += 1) {
      const r = cards[i].getBoundingClientRect();
      if (y < r.top + r.height / 2) { index = i; break; }
    }
    d.zone = zone;
    d.index = index;
    const before = cards[index] || null;
    if (d.placeholder.parentNode !== list || d.placeholder.nextSibling !== before) {
      list.insertBefore(d.placeholder, before);
    }
  }

  /** The order key y for the drop position: between the neighbours in the target list. */
  dropY() {
    const d = this.drag;
    const list = this.lists.get(d.zone);
    const notes = [...list.querySelectorAll(".note")]
      .filter((c) => c !== d.card).map((c) => c._note).filter(Boolean);
    const prev = notes[d.index - 1];
    const next = notes[d.index];
    let y;
    if (prev && next) y = (prev.y + next.y) / 2;
    else if (prev) y = prev.y + 1;
    else if (next) y = next.y - 1;
    else y = 1;
    return Math.max(-9999, Math.min(9999, y));
  }

  sendDrag(force) {
    const d = this.drag;
    const now = Date.now();
    const fire = () => {
      if (!this.drag || !this.drag.started) return;
      this.drag.sendTimer = null;
      this.drag.lastSent = Date.now();
      this.store.drag(this.board.id, d.id, 0, this.dropY());
    };
    if (force || now - d.lastSent >= DRAG_THROTTLE_MS) {
      clearTimeout(d.sendTimer);
      fire();
    } else if (!d.sendTimer) {
      d.sendTimer = setTimeout(fire, DRAG_THROTTLE_MS - (now - d.lastSent));
    }
  }

  pointerUp(e, commit) {
    const d = this.drag;
    if (!d || e.pointerId !== d.pointerId) return;
    if (!d.started) { this.cancelDrag(); return; }
    const y = this.dropY();
    const n = d.card._note;
    const zone = d.zone;
    d.card.dataset.justDragged = "1";
    setTimeout(() => { delete d.card.dataset.justDragged; }, 0);
    this.cancelDrag();
    if (commit && n && (zone !== n.zone || y !== n.y)) {
      const op = { kind: "note.move", note: n.id, x: 0, y };
      if (zone !== n.zone) op.zone = zone;
      this.store.op(this.board.id, op);
    } else {
      this.update();
    }
  }

  cancelDrag() {
    const d = this.drag;
    if (!d) return;
    this.drag = null;
    clearTimeout(d.sendTimer);
    const { move, up, cancel } = d.listeners || {};
    window.removeEventListener("pointermove", move);
    window.removeEventListener("pointerup", up);
    window.removeEventListener("pointercancel", cancel);
    if (d.started) {
      d.card.classList.remove("dragging");
      d.card.style.left = "";
      d.card.style.top = "";
      d.card.style.width = "";
      if (d.placeholder?.parentNode) d.placeholder.replaceWith(d.card);
      else d.card.remove();
      document.body.classList.remove("is-dragging");
    }
  }

  remoteDrag(moves) {
    for (const m of moves) {
      if (m.by && m.by === this.me?.participant) continue;
      const card = this.cards.get(m.note);
      if (!card) continue;
      card.classList.add("remote-drag");
      card.title = t("dragging");
      clearTimeout(this.remoteTimers.get(m.note));
      this.remoteTimers.set(m.note, setTimeout(() => {
        card.classList.remove("remote-drag");
        card.removeAttribute("title");
        this.remoteTimers.delete(m.note);
      }, 1200));
    }
  }
}
