// One board: its three stations as columns, notes as sticky cards. Keyed DOM updates so an
// open editor survives other people's changes (and keeps its focus when its card moves).
//
// On a corner board the notes of a station are grouped by the session's clusters (R26): a
// facilitator drags a note onto a cluster (or picks one in the note's menu), makes, renames,
// merges and removes clusters and undoes; participants see the groups read-only. A dot vote
// (R27) adds vote buttons to the notes it covers; moderation (R28) hides notes, restores
// deleted ones and sets the board's mode (open, hidden until reveal, locked).

import { ClusterBox, clusterTitle, effectiveCluster, liveClusters, newClusterControl, orderClusters, undoButton } from "./clusters.js";
import { clear, el } from "./html.js";
import { getLang, t } from "./i18n.js";
import { LAYOUTS } from "./instruments.js";
import { COLOR_MARKS, followPointer } from "./ui.js";
import { castDot, currentVote, DotLedger, dotsUsed, myDots, totalOf, voteApplies, VoteAdmin, voteBar } from "./votes.js";

export const COLORS = ["yellow", "pink", "blue", "green", "orange", "purple"];
const EDGE_PX = 56; // dragging this close to the top or bottom of the screen scrolls the page
const DRAG_THROTTLE_MS = 50;
const DRAG_START_PX = 5;
const CHUNK = 30; // cards per group (`.note-chunk`) in a list of a chunked view
export const MODES = ["open", "hidden", "locked"];

function orderOf(a, b) {
  return (a.y - b.y) || ((a.created_seq ?? Infinity) - (b.created_seq ?? Infinity))
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Move `card` to `list` before `at`; an editor inside keeps its focus and selection. */
export function placeCard(list, card, at) {
  const active = document.activeElement;
  const keep = active && active !== document.body && card.contains(active) ? active : null;
  let sel = null;
  if (keep && typeof keep.selectionStart === "number") sel = [keep.selectionStart, keep.selectionEnd];
  if (keep) keep._moving = true;
  list.insertBefore(card, at || null);
  if (keep) {
    keep.focus({ preventScroll: true });
    if (sel) { try { keep.setSelectionRange(sel[0], sel[1]); } catch { /* not a text field */ } }
    keep._moving = false;
  }
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
   * @param {string|null} [o.controlId]  the session's control board (clusters, votes)
   * @param {string|null} [o.token]      facilitator token: reads deleted notes from the export
   * @param {string|null} [o.sessionId]
   * @param {(msg: string) => void} [o.notify]  a short message (toast)
   */
  constructor({ root, board, stations, instrument, store, me, controlId = null, token = null,
    sessionId = null, notify = null, chunked = false }) {
    this.root = root;
    this.board = board;
    this.store = store;
    this.me = me;
    this.instrument = instrument;
    this.controlId = controlId;
    this.token = token;
    this.sessionId = sessionId;
    this.notify = notify || (() => {});
    this.layout = board.layout || "stations";
    this.readOnly = me?.role === "viewer";
    // Cards in groups of CHUNK inside each list (a corner's screen: see projector.js). Only for
    // a read-only view: dragging and moving with the keyboard expect cards right in a list.
    this.chunked = chunked && this.readOnly;
    this.facilitator = me?.role === "facilitator";
    this.clusterable = this.layout === "stations" && !!controlId;
    const byId = new Map((stations || []).map((s) => [s.id, s]));
    this.stations = board.zones.map((z) => byId.get(z) || { id: z, title: z, prompt: "" });
    this.cards = new Map(); // note id -> card element
    this.lists = new Map(); // zone id -> list element (the notes in no cluster)
    this.zoneTitles = new Map(); // zone id -> label (move-to menu), in display order
    this.clusterWraps = new Map(); // zone id -> container of its clusters
    this.clusterBoxes = new Map(); // cluster id -> ClusterBox
    this.looseHeads = new Map(); // zone id -> "not in a cluster" heading
    this.control = null;
    this.vote = null;
    this.mode = "open";
    this.locked = false;
    // Own dots are kept per participant of this browser (R27: an anonymous vote never says).
    this.ledger = controlId ? new DotLedger(`vh.dots.${controlId}.${store.participant || "-"}`) : null;
    this.drag = null;
    this.remoteTimers = new Map();
    this.impl = null;
    this.unsubs = [
      store.onChange((b) => { if (b === board.id || (controlId && b === controlId)) this.update(); }),
      store.onDrag((b, moves) => { if (b === board.id) this.remoteDrag(moves); }),
      store.onError((msg) => this.onError(msg)),
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

  /** Whether this page may change notes now (a locked board is the facilitator's only). */
  get writable() {
    return !this.readOnly && !this.locked;
  }

  onError(msg) {
    if (msg.code === "over_budget" || msg.code === "over_cap" || msg.code === "no_dot" || msg.code === "vote_closed") {
      this.voteBar?.refuse(t(`errorCodes.${msg.code}`));
    }
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
          extraHead: this.clusterable && this.facilitator
            ? newClusterControl({ store: this.store, controlId: this.controlId, station: s.id, stationTitle: s.title })
            : null,
        }));
      }
      body.appendChild(columns);
    }
    this.modeBanner = el("p", { class: "board-mode-banner", id: "board-mode-banner", role: "status", hidden: true });
    this.voteBar = this.controlId && !this.readOnly && !this.facilitator ? voteBar() : null;
    clear(this.root);
    this.hintId = `note-keys-${this.board.id.replace(/[^A-Za-z0-9_-]/g, "-")}`;
    this.boardEl = el("div", { class: "board", dataset: { board: this.board.id, layout: this.layout, mode: "open" } },
      header, this.readOnly ? el("p", { class: "notice", text: t("viewerNote") }) : null,
      this.readOnly ? null : el("p", { class: "sr-only", id: this.hintId, text: t("noteKeysHint") }),
      this.facilitator ? this.buildTools() : null,
      this.modeBanner, this.voteBar?.el, body);
    this.root.appendChild(this.boardEl);
  }

  /** The facilitator's row above the board: mode, undo, vote, deleted notes. */
  buildTools() {
    this.modeSelect = el("select", { id: "board-mode", class: "board-mode", "aria-label": t("modeLabel") },
      MODES.map((m) => el("option", { value: m, text: t(`modes.${m}`) })));
    this.modeSelect.addEventListener("change", () => {
      const mode = this.modeSelect.value;
      if (mode !== this.mode) this.store.op(this.board.id, { kind: "board.mode", mode });
    });
    this.undoBtn = this.clusterable ? undoButton(this.store) : null;
    if (this.controlId) {
      const scopes = [{ value: "board", label: t("voteScopeBoard"), board: this.board.id, station: null }];
      if (this.layout === "stations") {
        for (const s of this.stations) {
          scopes.push({ value: `board:${s.id}`, label: t("voteScopeBoardStation", { station: s.title }), board: this.board.id, station: s.id });
        }
      }
      this.voteAdmin = new VoteAdmin({
        store: this.store, controlId: this.controlId, scopes,
        covers: (v) => this.board.zones.some((z) => voteApplies(v, this.board.id, z)),
      });
    }
    this.trashCount = el("span", { class: "trash-count" });
    this.trashList = el("ul", { class: "trash-list", id: "trash-list" });
    this.trash = el("details", { class: "trash", id: "trash" },
      el("summary", {}, el("span", { text: t("trashTitle") }), " ", this.trashCount), this.trashList);
    this.trash.addEventListener("toggle", () => { if (this.trash.open) this.loadTrash(); });
    return el("div", { class: "board-tools", id: "board-tools" },
      el("div", { class: "ctl-row" },
        el("label", { class: "field inline", for: "board-mode", text: t("modeLabel") }), this.modeSelect,
        this.undoBtn),
      this.voteAdmin?.el, this.trash);
  }

  /**
   * A container notes can live in: data-zone=<zone>, a list, a draft slot and an add button
   * (data-add-station=<zone>). `title` is shown (unless `hideTitle`) and names the zone in menus.
   */
  zoneBox(zone, { title = zone, label, prompt = "", className = "zone-cell", dataset = {}, heading = "h3",
    hideTitle = false, extraHead = null, compact = false } = {}) {
    const list = el("div", { class: "note-list loose-notes" });
    this.lists.set(zone, list);
    this.zoneTitles.set(zone, label || title);
    const draftSlot = el("div", { class: "draft-slot" });
    const addBtn = this.readOnly ? null : el("button", {
      type: "button", class: compact ? "add-note compact" : "add-note", dataset: { addStation: zone },
      "aria-label": t("addNoteTo", { station: label || title }), text: t("addNote"),
      onclick: () => { if (this.writable) this.openDraft(zone, draftSlot); },
    });
    const head = hideTitle && !prompt && !extraHead ? null : el("header", { class: "station-head zone-head" },
      hideTitle ? null : el(heading, { class: "station-title zone-title", text: title }),
      prompt ? el("p", { class: "station-prompt zone-prompt", text: prompt }) : null,
      extraHead);
    let clusters = null;
    let loose = null;
    if (this.clusterable && this.layout === "stations") {
      clusters = el("div", { class: "clusters", dataset: { station: zone } });
      this.clusterWraps.set(zone, clusters);
      loose = el("p", { class: "loose-head", text: t("looseNotes"), hidden: true });
      this.looseHeads.set(zone, loose);
    }
    return el("section", { class: `zone ${className}`, dataset: { ...dataset, zone } },
      head, clusters, loose, list,
      el("p", { class: "station-empty", text: t("emptyStation") }),
      draftSlot, addBtn);
  }

  // --- rendering ---------------------------------------------------------------------------

  update() {
    const mirror = this.store.mirror(this.board.id);
    this.control = this.controlId ? this.store.mirror(this.controlId).control : null;
    this.mode = mirror.mode || "open";
    this.locked = this.mode === "locked" && !this.facilitator && !this.readOnly;
    if (this.impl) {
      if (this.drag && this.impl.willRebuild?.(mirror.viewExtra(this.store.participant))) this.cancelDrag();
      this.impl.update(mirror.viewExtra(this.store.participant), mirror);
    }
    const control = this.control;
    this.vote = control ? currentVote(control, (v) => this.board.zones.some((z) => voteApplies(v, this.board.id, z))) : null;
    // Results show to the facilitator (and a screen) at once, to everyone once the vote closed.
    this.results = !!this.vote && (this.facilitator || !this.vote.open);
    this.mine = this.vote && this.vote.open && this.voteBar ? myDots(this.store, this.controlId, this.ledger, this.vote) : null;
    const notes = mirror.view();
    this.updateChrome(mirror, notes);
    // A card is filled again when its note changed (notes are replaced, never changed in
    // place) or when something every card shows changed: the control board (votes, clusters),
    // the lock, the own dots. An update for one note on a big board touches one card.
    const fillKey = `${this.locked}|${this.results}|${this.remaining}|${this.mine ? JSON.stringify(this.mine) : ""}`;
    if (fillKey !== this.fillKey || control !== this.fillControl) {
      this.fillKey = fillKey;
      this.fillControl = control;
      this.fillEpoch = (this.fillEpoch || 0) + 1;
    }
    const epoch = this.fillEpoch;

    // Which list each note goes in: its live cluster's, else its zone's.
    const boxesSeen = new Set();
    const buckets = new Map([...this.lists.values()].map((l) => [l, []]));
    const zoneCount = new Map([...this.lists.keys()].map((z) => [z, 0]));
    if (this.clusterable) {
      for (const [zone, wrap] of this.clusterWraps) {
        const live = liveClusters(control, zone);
        const votesOf = this.results ? (cid) => this.clusterVotes(cid, notes) : null;
        const ordered = orderClusters(live, votesOf);
        let i = 0;
        for (const c of ordered) {
          let box = this.clusterBoxes.get(c.id);
          if (!box) {
            box = new ClusterBox({ store: this.store, controlId: this.controlId, cluster: c, editable: this.facilitator });
            this.clusterBoxes.set(c.id, box);
          }
          boxesSeen.add(c.id);
          buckets.set(box.list, []);
          if (wrap.children[i] !== box.el) wrap.insertBefore(box.el, wrap.children[i] || null);
          i += 1;
        }
        this.looseHeads.get(zone).hidden = ordered.length === 0;
      }
    }
    for (const n of notes.values()) {
      if (!this.lists.has(n.zone)) continue;
      zoneCount.set(n.zone, zoneCount.get(n.zone) + 1);
      const cid = this.clusterable ? effectiveCluster(control, n) : null;
      const box = cid ? this.clusterBoxes.get(cid) : null;
      buckets.get(box && boxesSeen.has(cid) ? box.list : this.lists.get(n.zone)).push(n);
    }
    const byVotes = this.results
      ? (a, b) => (totalOf(this.vote, this.board.id, b.id) - totalOf(this.vote, this.board.id, a.id)) || orderOf(a, b)
      : orderOf;
    const seen = new Set();
    const destination = new Map();
    for (const [listEl, list] of buckets) for (const n of list) destination.set(n.id, listEl);
    for (const [listEl, list] of buckets) {
      list.sort(byVotes);
      const cards = [];
      for (const n of list) {
        seen.add(n.id);
        let card = this.cards.get(n.id);
        if (!card) {
          card = this.makeCard(n);
          this.cards.set(n.id, card);
        }
        if (card._epoch !== epoch || card._note !== n || card._toolsOpen) {
          this.fillCard(card, n);
          card._epoch = epoch;
        }
        if (this.drag && this.drag.id === n.id && this.drag.started) continue; // in flight
        cards.push(card);
      }
      if (!this.chunked) {
        this.placeCards(listEl, listEl, cards, 0, cards.length, destination);
        continue;
      }
      // Read-only with groups: CHUNK cards in each (a new group is filled before it goes in).
      for (let from = 0, g = 0; from < cards.length; from += CHUNK, g += 1) {
        let chunk = listEl.children[g];
        const added = !chunk;
        if (added) chunk = el("div", { class: "note-chunk" });
        this.placeCards(listEl, chunk, cards, from, Math.min(cards.length, from + CHUNK), destination);
        if (added) listEl.appendChild(chunk);
      }
    }
    if (this.chunked) {
      // Groups no longer needed at the end of a list hold nothing live any more.
      for (const listEl of buckets.keys()) {
        const need = Math.ceil(buckets.get(listEl).length / CHUNK);
        while (listEl.children.length > need) listEl.lastElementChild.remove();
      }
    }
    for (const [zone, listEl] of this.lists) {
      listEl.closest(".zone")?.classList.toggle("is-empty", zoneCount.get(zone) === 0);
    }
    // Cluster headers: title, count, votes, where they can merge to; gone ones go.
    for (const [cid, box] of this.clusterBoxes) {
      if (!boxesSeen.has(cid)) {
        if (this.drag?.list === box.list) this.cancelDrag();
        box.el.remove();
        this.clusterBoxes.delete(cid);
        continue;
      }
      const c = control.clusters[cid];
      const count = buckets.get(box.list)?.length || 0;
      box.update({
        title: c.title || "", count,
        votes: this.results ? this.clusterVotes(cid, notes) : null,
        targets: liveClusters(control, c.station).filter((x) => x.id !== cid),
      });
    }
    for (const [id, card] of this.cards) {
      if (seen.has(id)) continue;
      if (this.drag && this.drag.id === id) this.cancelDrag();
      card.remove();
      this.cards.delete(id);
    }
  }

  /**
   * Put `cards[from..to)` in this order into `box` (the list `listEl`, or one of its groups),
   * moving only what is not in place yet; new cards in a row go in together (a whole station at
   * once on the first state). Anything else left in `box` goes: a card whose note is gone, or a
   * card still to be moved further on (left here until then: moving it keeps its editor's
   * focus, removing it would not).
   */
  placeCards(listEl, box, cards, from, to, destination) {
    let i = 0;
    let fresh = null;
    const flush = () => {
      if (!fresh) return;
      const count = fresh.childNodes.length;
      box.insertBefore(fresh, box.children[i] || null);
      i += count;
      fresh = null;
    };
    for (let k = from; k < to; k += 1) {
      const card = cards[k];
      if (!card.parentNode) {
        (fresh ??= document.createDocumentFragment()).appendChild(card);
        continue;
      }
      flush();
      const at = box.children[i];
      if (at !== card) placeCard(box, card, at);
      i += 1;
    }
    flush();
    while (box.children.length > i) {
      const extra = box.children[i];
      const goesTo = extra._note ? destination.get(extra._note.id) : undefined;
      if (extra.classList.contains("note-placeholder") || (goesTo && (goesTo !== listEl || box !== listEl))) {
        i += 1;
        continue;
      }
      extra.remove();
    }
  }

  clusterVotes(cid, notes) {
    let sum = 0;
    for (const n of notes.values()) {
      if (effectiveCluster(this.control, n) === cid) sum += totalOf(this.vote, this.board.id, n.id);
    }
    return sum;
  }

  /** Mode banner and selector, vote bar and admin, undo, the deleted notes. */
  updateChrome(mirror, notes) {
    this.boardEl.dataset.mode = this.mode;
    this.boardEl.classList.toggle("is-locked", this.locked);
    if (!this.facilitator) {
      const hiddenText = this.readOnly ? t("modeBannerHiddenScreen") : t("modeBannerHidden");
      const text = this.mode === "locked" ? t("modeBannerLocked") : this.mode === "hidden" ? hiddenText : "";
      this.modeBanner.hidden = !text;
      this.modeBanner.dataset.mode = this.mode;
      if (this.modeBanner.textContent !== text) this.modeBanner.textContent = text;
      for (const b of this.root.querySelectorAll("[data-add-station]")) b.disabled = this.locked;
    } else {
      if (document.activeElement !== this.modeSelect) this.modeSelect.value = this.mode;
      this.undoBtn?.sync();
      this.voteAdmin?.update(this.control);
      this.renderTrash(mirror, notes);
    }
    if (this.voteBar) {
      const open = this.vote?.open ? this.vote : null;
      const shown = open || (this.vote && !this.vote.open ? this.vote : null);
      const remaining = open ? Math.max(0, open.budget - dotsUsed(this.mine || {})) : 0;
      const scope = shown?.station ? (this.stations.find((s) => s.id === shown.station)?.title || shown.station) : "";
      this.voteBar.update(shown, remaining, scope);
      this.remaining = remaining;
    }
  }

  /**
   * An empty card of this view in one colour, cloned for every new note of that colour (the
   * listeners are added per card by makeCard).
   */
  cardTemplate(colour) {
    this.templates ??= new Map();
    const key = `${getLang()}|${colour}`;
    let card = this.templates.get(key);
    if (!card) {
      const words = this.colourWords(colour);
      const handle = this.readOnly ? null : el("span", { class: "drag-handle", "aria-hidden": "true", text: "⠿" });
      const mark = el("span", { class: "note-colour", title: words.name, dataset: { color: colour } },
        el("span", { class: "note-colour-mark", "aria-hidden": "true", text: COLOR_MARKS[colour] || "●" }),
        el("span", { class: "sr-only", text: words.label }));
      const menuBtn = this.readOnly ? null : el("button", {
        type: "button", class: "note-menu", "aria-label": t("moreActions"), "aria-expanded": "false",
        text: "⋯",
      });
      card = el("article", {
        class: COLORS.includes(colour) ? `note color-${colour}` : "note", tabindex: "0",
        "aria-describedby": this.readOnly ? null : this.hintId,
      }, el("div", { class: "note-head" }, handle, mark, el("span", { class: "note-meta" }),
        el("span", { class: "note-flag", hidden: true }), menuBtn), el("p", { class: "note-text" }));
      this.templates.set(key, card);
    }
    return card;
  }

  makeCard(n) {
    const colour = n.color || "yellow";
    const card = this.cardTemplate(colour).cloneNode(true);
    card.setAttribute("data-note-id", n.id);
    const head = card.firstChild;
    const mark = this.readOnly ? head.firstChild : head.firstChild.nextSibling;
    const meta = mark.nextSibling;
    const flag = meta.nextSibling;
    const menu = this.readOnly ? null : flag.nextSibling;
    const text = card.lastChild;
    // The parts fillCard writes, and what they show now (as the template made them).
    card._parts = { mark, meta, flag, menu, text };
    card._shown = { classes: `${colour}|false|false|false|false`, colour, text: "", meta: "", flag: "", menuHidden: false };
    menu?.addEventListener("click", (e) => { e.stopPropagation(); this.toggleTools(card); });
    card.addEventListener("keydown", (e) => this.cardKey(e, card));
    if (!this.readOnly) {
      text.addEventListener("click", () => { if (!card.dataset.justDragged) this.openEditor(card); });
      card.addEventListener("pointerdown", (e) => this.pointerDown(e, card));
    }
    return card;
  }

  /**
   * The keyboard on a focused note: Enter or F2 edits; ↑/↓ go to the note above or below;
   * Alt+←/→ moves it to the previous or next station (zone); Alt+↑/↓ moves it up or down in
   * its list; Escape closes its menu.
   */
  cardKey(e, card) {
    if (e.key === "Escape" && card.querySelector(".note-tools")) {
      e.preventDefault();
      this.toggleTools(card);
      card.querySelector(".note-menu")?.focus();
      return;
    }
    if (e.target !== card || e.ctrlKey || e.metaKey) return;
    if (!this.readOnly && !e.altKey && (e.key === "Enter" || e.key === "F2")) {
      e.preventDefault();
      this.openEditor(card);
    } else if (!e.altKey && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      const cards = [...this.root.querySelectorAll(".note[tabindex]")].filter((c) => c.offsetParent !== null);
      const next = cards[cards.indexOf(card) + (e.key === "ArrowDown" ? 1 : -1)];
      e.preventDefault();
      next?.focus();
    } else if (e.altKey && this.writable && e.key.startsWith("Arrow")) {
      e.preventDefault();
      const n = card._note;
      if (!n) return;
      if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
        const zones = [...this.zoneTitles.keys()];
        const zone = zones[zones.indexOf(n.zone) + (e.key === "ArrowRight" ? 1 : -1)];
        if (zone) this.store.op(this.board.id, { kind: "note.move", note: n.id, x: 0, y: this.endY(zone), zone });
      } else {
        const y = this.neighbourY(card, e.key === "ArrowUp" ? -1 : 1);
        if (y !== null) this.store.op(this.board.id, { kind: "note.move", note: n.id, x: 0, y });
      }
      this.notify(t("noteMovedTo", { zone: this.zoneTitles.get(card._note?.zone) || "" }));
    }
  }

  /** The order key that puts `card` one place up (-1) or down (+1) in its list; null at an end. */
  neighbourY(card, dir) {
    const notes = [...card.parentNode.children].filter((c) => c.classList.contains("note")).map((c) => c._note);
    const i = notes.findIndex((x) => x?.id === card._note?.id);
    const a = notes[i + dir];
    if (!a) return null;
    const b = notes[i + 2 * dir];
    const y = b ? (a.y + b.y) / 2 : a.y + dir;
    return Math.max(-9999, Math.min(9999, y));
  }

  focusNote(noteId) {
    this.cards.get(noteId)?.focus();
  }

  /** A colour's name and its label for screen readers, looked up once per language. */
  colourWords(colour) {
    this.colourCache ??= new Map();
    const key = `${getLang()}|${colour}`;
    let words = this.colourCache.get(key);
    if (!words) {
      const name = t(`colours.${colour}`);
      words = { name, label: t("colourOf", { colour: name }) };
      this.colourCache.set(key, words);
    }
    return words;
  }

  fillCard(card, n) {
    card._note = n;
    const parts = card._parts;
    const shownNow = card._shown; // what the card shows: only what differs is written
    const colour = n.color || "yellow";
    const mine = !!this.me && n.author === this.me.participant;
    const classes = `${colour}|${!!n.pending}|${mine}|${!!n.redacted}|${!!n.hidden}`;
    if (shownNow.classes !== classes) {
      shownNow.classes = classes;
      for (const c of COLORS) card.classList.toggle(`color-${c}`, c === colour);
      card.classList.toggle("pending", !!n.pending);
      card.classList.toggle("mine", mine);
      card.classList.toggle("is-redacted", !!n.redacted);
      card.classList.toggle("is-hidden", !!n.hidden);
    }
    if (shownNow.colour !== colour) {
      shownNow.colour = colour;
      const words = this.colourWords(colour);
      const mark = parts.mark;
      mark.dataset.color = colour;
      mark.title = words.name;
      mark.firstChild.textContent = COLOR_MARKS[colour] || "●";
      mark.lastChild.textContent = words.label;
    }
    const shown = n.redacted ? (n.hidden ? t("redactedHidden") : t("redactedUntilReveal")) : n.text;
    if (shownNow.text !== shown) {
      shownNow.text = shown;
      parts.text.textContent = shown;
    }
    const who = n.author_name || (mine ? t("you") : "");
    const by = who && n.group ? `${who} · ${n.group}` : who || n.group || "";
    const metaText = n.pending ? `${by}${by ? " · " : ""}${t("pending")}` : by;
    if (shownNow.meta !== metaText) {
      shownNow.meta = metaText;
      parts.meta.textContent = metaText;
    }
    const flagText = n.hidden && !n.redacted ? (this.facilitator ? t("hiddenFlag") : t("hiddenFlagMine")) : "";
    if (shownNow.flag !== flagText) {
      shownNow.flag = flagText;
      parts.flag.hidden = !flagText;
      parts.flag.textContent = flagText;
    }
    if (parts.menu && shownNow.menuHidden !== this.locked) {
      shownNow.menuHidden = this.locked;
      parts.menu.hidden = this.locked;
    }
    if (this.locked && card._toolsOpen) {
      card.querySelector(".note-tools")?.remove();
      card._toolsOpen = false;
    }
    if (this.vote || card._voteBox) this.fillVote(card, n);
    const tools = card._toolsOpen ? card.querySelector(".note-tools") : null;
    if (tools) this.syncTools(tools, n);
  }

  /** The dot buttons (participants, while the vote is open) and the result (when it shows). */
  fillVote(card, n) {
    const v = this.vote;
    let box = card._voteBox || null;
    const applies = !!v && voteApplies(v, this.board.id, n.zone) && !n.pending;
    const canVote = applies && v.open && !!this.mine;
    const showTotal = applies && this.results;
    if (!canVote && !showTotal) {
      box?.remove();
      card._voteBox = null;
      return;
    }
    if (!box || box.dataset.vote !== v.id || box.dataset.kind !== (canVote ? "cast" : "result")) {
      box?.remove();
      box = el("div", { class: "vote-box", dataset: { vote: v.id, kind: canVote ? "cast" : "result" } });
      card._voteBox = box;
      box.append(el("span", { class: "vote-total", hidden: true }));
      if (canVote) {
        box.append(
          el("button", {
            type: "button", class: "vote-minus", "aria-label": t("voteMinus"), text: "−",
            onclick: (e) => { e.stopPropagation(); this.cast(card, -1); },
          }),
          el("span", { class: "vote-mine", role: "img" }),
          el("button", {
            type: "button", class: "vote-plus",
            onclick: (e) => { e.stopPropagation(); this.cast(card, 1); },
          }, t("votePlus"), el("span", { class: "sr-only", text: t("votePlusMore") })));
      }
      card.appendChild(box);
    }
    const total = box.querySelector(".vote-total");
    total.hidden = !showTotal;
    if (showTotal) {
      const n2 = totalOf(v, this.board.id, n.id);
      const txt = t("dotsTotal", { n: n2 });
      if (total.textContent !== txt) total.textContent = txt;
      total.dataset.total = String(n2);
    }
    if (canVote) {
      const key = `${this.board.id}/${n.id}`;
      const have = this.mine[key] || 0;
      const mineEl = box.querySelector(".vote-mine");
      mineEl.dataset.mine = String(have);
      mineEl.textContent = "●".repeat(Math.min(have, 10));
      mineEl.setAttribute("aria-label", t("myDotsOn", { n: have }));
      box.querySelector(".vote-minus").disabled = have <= 0;
      box.querySelector(".vote-plus").classList.toggle("is-spent", this.remaining <= 0 || have >= v.cap);
    }
  }

  cast(card, delta) {
    const n = card._note;
    if (!n || !this.vote?.open) return;
    castDot(this.store, this.controlId, this.ledger, this.vote, this.board.id, n.id, delta);
  }

  // --- tools: colour, move to station, cluster, hide, delete ----------------------------------

  toggleTools(card) {
    let tools = card.querySelector(".note-tools");
    const btn = card.querySelector(".note-menu");
    if (tools) {
      tools.remove();
      card._toolsOpen = false;
      btn?.setAttribute("aria-expanded", "false");
      return;
    }
    if (!this.writable) return;
    const n = card._note;
    const swatches = el("div", { class: "swatches", role: "group", "aria-label": t("colour") },
      COLORS.map((c) => el("button", {
        type: "button", class: `swatch color-${c}`, dataset: { color: c },
        "aria-label": t(`colours.${c}`), title: t(`colours.${c}`), text: COLOR_MARKS[c],
        onclick: () => {
          const cur = card._note;
          if (cur && cur.color !== c) {
            this.store.op(this.board.id, { kind: "note.color", note: cur.id, color: c });
          }
        },
      })));
    // Shows the note's station; choosing another (also with the arrow keys) moves it there.
    const select = el("select", { class: "move-to", "aria-label": t("moveTo"), title: t("moveTo") },
      [...this.zoneTitles].map(([id, title]) => el("option", { value: id, text: title })));
    select.value = n.zone;
    select.addEventListener("change", () => {
      const zone = select.value;
      const cur = card._note;
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
        // A facilitator can bring it back from the deleted notes; a participant cannot.
        if (!this.facilitator && cur.text && !window.confirm(t("confirmDelete"))) return;
        this.store.op(this.board.id, { kind: "note.delete", note: cur.id });
      },
    });
    const rows = [swatches, el("div", { class: "tool-row" }, select, del)];
    if (this.facilitator) {
      const modRow = el("div", { class: "tool-row" });
      if (this.clusterable) {
        const clusterSel = el("select", { class: "note-cluster", "aria-label": t("clusterOfNote") });
        clusterSel.addEventListener("change", () => {
          const cur = card._note;
          if (!cur) return;
          const value = clusterSel.value || null;
          if (value !== effectiveCluster(this.control, cur)) this.setCluster(cur.id, value);
        });
        modRow.append(clusterSel);
      }
      modRow.append(el("button", {
        type: "button", class: "note-hide",
        onclick: () => {
          const cur = card._note;
          if (cur) this.store.op(this.board.id, { kind: "note.hide", note: cur.id, hidden: !cur.hidden });
        },
      }));
      rows.push(modRow);
    }
    tools = el("div", { class: "note-tools" }, ...rows);
    card.appendChild(tools);
    card._toolsOpen = true; // filled again on every update while open (syncTools)
    btn?.setAttribute("aria-expanded", "true");
    this.syncTools(tools, n);
  }

  syncTools(tools, n) {
    for (const b of tools.querySelectorAll(".swatch")) {
      b.setAttribute("aria-pressed", String(b.dataset.color === n.color));
    }
    const move = tools.querySelector(".move-to");
    if (move && move.value !== n.zone && [...move.options].some((o) => o.value === n.zone)) move.value = n.zone;
    const hide = tools.querySelector(".note-hide");
    if (hide) {
      const text = n.hidden ? t("noteShow") : t("noteHide");
      if (hide.textContent !== text) hide.textContent = text;
      hide.setAttribute("aria-pressed", String(!!n.hidden));
    }
    const sel = tools.querySelector(".note-cluster");
    if (sel && document.activeElement !== sel) {
      const options = liveClusters(this.control, n.zone);
      const key = JSON.stringify([n.zone, options]);
      if (sel.dataset.key !== key) {
        sel.dataset.key = key;
        sel.replaceChildren(
          el("option", { value: "", text: t("clusterNone") }),
          ...options.map((c) => el("option", { value: c.id, text: t("clusterOption", { title: clusterTitle(c) }) })));
      }
      sel.value = effectiveCluster(this.control, n) || "";
    }
  }

  setCluster(noteId, cluster) {
    this.store.clusterOp(this.board.id, { kind: "note.cluster", note: noteId, cluster });
  }

  endY(zone) {
    let max = 0;
    for (const n of this.store.mirror(this.board.id).view().values()) {
      if (n.zone === zone && n.y > max) max = n.y;
    }
    return Math.min(9000, Math.floor(max) + 1);
  }

  // --- deleted notes (facilitator) ----------------------------------------------------------

  renderTrash(mirror, notes) {
    const items = [...mirror.trash.values()].filter((n) => !notes.has(n.id));
    this.trashCount.textContent = `(${items.length})`;
    const key = JSON.stringify(items.map((n) => [n.id, n.text]));
    if (key === this.trashKey) return;
    this.trashKey = key;
    const zoneTitle = (z) => this.zoneTitles.get(z) || z;
    this.trashList.replaceChildren(...(items.length ? items.map((n) => el("li", {
      class: "trash-item", dataset: { noteId: n.id },
    },
    el("span", { class: "trash-text", text: n.text || t("emptyText") }),
    el("span", { class: "trash-meta", text: zoneTitle(n.zone) }),
    el("button", {
      type: "button", class: "ctl small note-restore", dataset: { noteId: n.id }, text: t("restoreNote"),
      onclick: () => this.store.op(this.board.id, { kind: "note.restore", note: n.id }),
    }))) : [el("li", { class: "ov-empty", text: t("trashEmpty") })]));
  }

  /** Deleted notes from before this page was opened: the live export carries them. */
  async loadTrash() {
    if (!this.token || !this.sessionId) return;
    try {
      const res = await fetch(`/api/sessions/${encodeURIComponent(this.sessionId)}/export.json`, {
        headers: { authorization: `Bearer ${this.token}` }, credentials: "same-origin",
      });
      if (!res.ok) return;
      const doc = await res.json();
      const board = (doc.boards || []).find((b) => b.id === this.board.id);
      const mirror = this.store.mirror(this.board.id);
      for (const n of board?.state?.trash || []) {
        if (!mirror.notes.has(n.id)) mirror.trash.set(n.id, n);
      }
      this.store.touch(this.board.id);
    } catch { /* the list keeps what this page saw */ }
  }

  // --- editing -------------------------------------------------------------------------------

  makeEditor(initial, onSave, onCancel) {
    const ta = el("textarea", {
      class: "note-editor", maxlength: "1000", rows: "3",
      placeholder: t("editorPlaceholder"), "aria-label": t("editNote"),
    });
    ta.value = initial;
    let done = false;
    // byKey: closed with Enter or Escape, so the keyboard focus goes to the note (not on a blur).
    const finish = (save, byKey = false) => {
      if (done) return;
      done = true;
      if (save) onSave(ta.value.trim(), byKey); else onCancel(byKey);
    };
    ta.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        finish(true, true);
      } else if (e.key === "Escape") {
        e.preventDefault();
        finish(false, true);
      }
    });
    // A blur while its card is being moved to another list (a cluster) is not the user leaving.
    ta.addEventListener("blur", () => {
      if (ta._moving) return;
      setTimeout(() => { if (document.activeElement !== ta) finish(true); }, 0);
    });
    return ta;
  }

  openDraft(zone, slot) {
    const existing = slot.querySelector(".note-editor");
    if (existing) { existing.focus(); return; }
    const draft = el("div", { class: "note draft color-yellow" });
    const close = () => draft.remove();
    const addBtn = slot.nextElementSibling;
    const ta = this.makeEditor("", (text, byKey) => {
      close();
      if (!text) { if (byKey) addBtn?.focus(); return; }
      const note = this.store.ids.note();
      this.store.op(this.board.id, {
        kind: "note.add", note, zone, text, color: "yellow", x: 0, y: this.endY(zone),
      });
      if (byKey) this.focusNote(note);
    }, (byKey) => { close(); if (byKey) addBtn?.focus(); });
    draft.appendChild(ta);
    slot.appendChild(draft);
    ta.focus();
  }

  openEditor(card) {
    if (card.querySelector(".note-editor")) return;
    const n = card._note;
    if (!n || !this.writable || n.redacted) return;
    const text = card.querySelector(".note-text");
    text.hidden = true;
    const ta = this.makeEditor(n.text, (value, byKey) => {
      ta.remove();
      text.hidden = false;
      const cur = card._note;
      if (cur && value !== cur.text) {
        this.store.op(this.board.id, { kind: "note.edit", note: cur.id, text: value });
      }
      if (byKey) card.focus();
    }, (byKey) => { ta.remove(); text.hidden = false; if (byKey) card.focus(); });
    text.after(ta);
    ta.focus();
    ta.setSelectionRange(ta.value.length, ta.value.length);
  }

  // --- dragging (pointer events) -------------------------------------------------------------

  pointerDown(e, card) {
    if (e.button !== 0 || this.drag || !this.writable) return;
    const target = e.target;
    if (target.closest("button, select, textarea, input, .note-tools")) return;
    // Touch and pen drag from the handle only, so scrolling the page still works.
    if (e.pointerType !== "mouse" && !target.closest(".drag-handle")) return;
    const rect = card.getBoundingClientRect();
    const n = card._note;
    this.drag = {
      id: card.dataset.noteId, card, pointerId: e.pointerId, started: false,
      startX: e.clientX, startY: e.clientY, offX: e.clientX - rect.left, offY: e.clientY - rect.top,
      width: rect.width, height: rect.height, zone: n?.zone, index: 0,
      cluster: this.clusterable ? effectiveCluster(this.control, n) : null, list: card.parentNode,
      lastSent: 0, sendTimer: null, placeholder: null, over: null,
    };
    this.drag.release = followPointer((ev) => this.pointerMove(ev), (ev, commit) => this.pointerUp(ev, commit));
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
    d.lastX = e.clientX;
    d.lastY = e.clientY;
    d.card.style.left = `${e.clientX - d.offX}px`;
    d.card.style.top = `${e.clientY - d.offY}px`;
    this.placeAt(e.clientX, e.clientY);
    this.sendDrag(false);
    this.autoScroll();
  }

  /** Near the top (below the sticky bar) or the bottom of the screen, scroll while dragging. */
  autoScroll() {
    const d = this.drag;
    if (!d || !d.started) return;
    const top = (document.getElementById("topbar")?.getBoundingClientRect().bottom || 0) + EDGE_PX;
    const bottom = window.innerHeight - EDGE_PX;
    const speed = d.lastY < top ? -Math.ceil((top - d.lastY) / 4)
      : d.lastY > bottom ? Math.ceil((d.lastY - bottom) / 4) : 0;
    if (!speed || d.scrollRaf) return;
    d.scrollRaf = requestAnimationFrame(() => {
      d.scrollRaf = null;
      if (this.drag !== d) return;
      const before = window.scrollY;
      window.scrollBy(0, speed);
      if (window.scrollY === before) return; // at the end of the page
      this.placeAt(d.lastX, d.lastY);
      this.autoScroll();
    });
  }

  startDrag() {
    const d = this.drag;
    d.started = true;
    // The editor of a dragged note is closed (saved) first.
    d.card.querySelector(".note-editor")?.blur();
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
    if (!zone || !this.lists.has(zone) || !this.root.contains(box)) return;
    let list = this.lists.get(zone);
    let cluster = null;
    if (this.clusterable) {
      const n = d.card._note;
      if (this.facilitator) {
        // A facilitator drops onto a cluster to put the note in it, elsewhere to take it out.
        const cbox = under.closest(".cluster[data-cluster]");
        const target = cbox && box.contains(cbox) ? this.clusterBoxes.get(cbox.dataset.cluster) : null;
        if (target) { cluster = target.id; list = target.list; }
      } else {
        // Others move notes, never between clusters: within its station a note stays in its own.
        const own = effectiveCluster(this.control, n);
        if (own && zone === n.zone && this.clusterBoxes.get(own)) { cluster = own; list = this.clusterBoxes.get(own).list; }
      }
    }
    const over = cluster ? this.clusterBoxes.get(cluster)?.el : null;
    if (d.over !== over) {
      d.over?.classList.remove("drop-target");
      over?.classList.add("drop-target");
      d.over = over;
    }
    const cards = [...list.querySelectorAll(".note")].filter((c) => c !== d.card);
    let index = cards.length;
    for (let i = 0; i < cards.length; i += 1) {
      const r = cards[i].getBoundingClientRect();
      if (y < r.top + r.height / 2) { index = i; break; }
    }
    d.zone = zone;
    d.cluster = cluster;
    d.list = list;
    d.index = index;
    const before = cards[index] || null;
    if (d.placeholder.parentNode !== list || d.placeholder.nextSibling !== before) {
      list.insertBefore(d.placeholder, before);
    }
  }

  /** The order key y for the drop position: between the neighbours in the target list. */
  dropY() {
    const d = this.drag;
    const list = d.list && d.list.isConnected ? d.list : this.lists.get(d.zone);
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
    const { zone, cluster } = d;
    d.card.dataset.justDragged = "1";
    setTimeout(() => { delete d.card.dataset.justDragged; }, 0);
    this.cancelDrag();
    if (!commit || !n) { this.update(); return; }
    const zoneChanged = zone !== n.zone;
    const before = this.clusterable ? effectiveCluster(this.control, n) : null;
    // A note moved to another station leaves its cluster by itself (clusters are per station).
    const clusterChanged = this.facilitator && this.clusterable && cluster !== before
      && !(zoneChanged && cluster === null);
    let move = null;
    if (zoneChanged || y !== n.y) {
      move = { kind: "note.move", note: n.id, x: 0, y };
      if (zoneChanged) move.zone = zone;
    }
    if (clusterChanged && zoneChanged) {
      // The server checks the cluster's station against the note's zone: move first.
      this.store.opWait(this.board.id, move).then(() => this.setCluster(n.id, cluster), () => {});
    } else {
      if (move) this.store.op(this.board.id, move);
      if (clusterChanged) this.setCluster(n.id, cluster);
      if (!move && !clusterChanged) this.update();
    }
  }

  cancelDrag() {
    const d = this.drag;
    if (!d) return;
    this.drag = null;
    clearTimeout(d.sendTimer);
    if (d.scrollRaf) cancelAnimationFrame(d.scrollRaf);
    d.over?.classList.remove("drop-target");
    d.release?.();
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
