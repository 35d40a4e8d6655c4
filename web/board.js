// One board, live: its layout (layouts.js: the corner board's three stations, or an
// instrument's working board) with notes as cards in keyed lists, so an open editor survives
// other people's changes (and keeps its focus when its card moves). Each update reads the
// board's state, lets the layout draw its own parts, the banners and the facilitator's tools,
// puts each note in its list and fills only the cards that changed.
//
// The pieces live next door: cards.js (a note as a card, its dots, the keyboard), notemenu.js
// (a note's menu), editor.js (typing), drag.js (dragging), lists.js (placing cards in lists),
// boardtools.js (the facilitator's row), votes.js (the participant's vote bar).

import { effectiveCluster } from "./clusters.js";
import { NoteCards } from "./cards.js";
import { BoardDrag, RemoteDrags } from "./drag.js";
import { NoteEditor } from "./editor.js";
import { BoardTools } from "./boardtools.js";
import { clear, el } from "./html.js";
import { t } from "./i18n.js";
import { LAYOUTS } from "./layouts.js";
import { placeCards, trimChunks } from "./lists.js";
import { NoteMenu } from "./notemenu.js";
import { maySend } from "./rules.js";
import { currentVote, DotLedger, dotsUsed, myDots, totalOf, voteApplies, voteBar } from "./votes.js";

/** Reading order in a list: by place (y), then by age, then by id. */
function orderOf(a, b) {
  return (a.y - b.y) || ((a.created_seq ?? Infinity) - (b.created_seq ?? Infinity))
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** "De reflectietool: hoe verloopt …?" under the title "De reflectietool": "Hoe verloopt …?" */
function withoutTitle(text, title) {
  const head = `${title}:`;
  if (!title || !text.toLowerCase().startsWith(head.toLowerCase())) return text;
  const rest = text.slice(head.length).trim();
  return rest ? rest[0].toUpperCase() + rest.slice(1) : text;
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
   * @param {(msg: string) => void} [o.notify]  a short message (toast)
   * @param {boolean} [o.chunked]  cards in groups (a corner's screen, read-only: projector.js)
   */
  constructor({ root, board, stations, instrument, store, me, controlId = null, notify = null, chunked = false }) {
    this.root = root;
    this.board = board;
    this.store = store;
    this.me = me;
    this.instrument = instrument;
    this.controlId = controlId;
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
    this.control = null;
    this.vote = null;
    this.mode = "open";
    this.editing = "own"; // own | shared (R32): whose notes a participant may change
    this.locked = false;
    // Own dots are kept per participant of this browser (R27: an anonymous vote never says).
    this.ledger = controlId ? new DotLedger(`vh.dots.${controlId}.${store.participant || "-"}`) : null;
    this.cardKit = new NoteCards(this);
    this.menu = new NoteMenu(this);
    this.editor = new NoteEditor(this);
    this.drags = new BoardDrag(this);
    this.remote = new RemoteDrags(this.cards, me?.participant);
    this.impl = null;
    this.unsubs = [
      store.onChange((b) => { if (b === board.id || (controlId && b === controlId)) this.update(); }),
      store.onDrag((b, moves) => { if (b === board.id) this.remote.show(moves); }),
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
    this.remote.destroy();
    this.drags.cancel();
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

  /**
   * R32: may this page change note `n` (its text, colour, place, or delete it)? A begeleider
   * any note; a participant their own, and on a board set to "samen bewerken" also others'
   * notes whose text they can read. The server decides; this only shows the controls that work.
   */
  mayChange(n) {
    if (!n || !this.writable) return false;
    if (this.facilitator) return true;
    const me = this.me?.participant || this.store.participant;
    if (me && n.author === me) return true;
    return this.editing === "shared" && !n.redacted && !n.hidden;
  }

  /** The live cluster note `n` is in (R26), or null. */
  clusterOf(n) {
    return effectiveCluster(this.control, n);
  }

  setCluster(noteId, cluster) {
    this.store.clusterOp(this.board.id, { kind: "note.cluster", note: noteId, cluster });
  }

  onError(msg) {
    if (msg.code === "over_budget" || msg.code === "over_cap" || msg.code === "no_dot" || msg.code === "vote_closed") {
      this.voteBar?.refuse(t(`errorCodes.${msg.code}`));
    }
  }

  /** The order key for a note added at the end of `zone`. */
  endY(zone) {
    let max = 0;
    for (const n of this.store.mirror(this.board.id).view().values()) {
      if (n.zone === zone && n.y > max) max = n.y;
    }
    return Math.min(9000, Math.floor(max) + 1);
  }

  // --- building ------------------------------------------------------------------------------

  build() {
    const inst = this.instrument;
    const working = this.layout !== "stations";
    const header = el("div", { class: "board-head" },
      working ? null : el("p", { class: "board-corner", text: t("corner", { n: this.board.corner }) }),
      el("h1", { class: "board-title", text: inst?.title || this.board.title }),
      working && inst?.question ? el("p", { class: "board-need", text: inst.question })
        : inst?.need ? el("p", { class: "board-need", text: withoutTitle(inst.need, inst.title) }) : null,
      working && inst?.challenge ? el("p", { class: "board-challenge", text: inst.challenge }) : null,
    );
    const body = el("div", { class: `layout layout-${this.layout}` });
    // A working board without its template (offline, never loaded) shows its zones as columns.
    const Impl = (working && !inst) || !LAYOUTS[this.layout] ? LAYOUTS.stations : LAYOUTS[this.layout];
    this.impl = new Impl(this, body);
    this.impl.build();
    this.modeBanner = el("p", { class: "board-mode-banner", id: "board-mode-banner", role: "status", hidden: true });
    this.editingBanner = this.facilitator || this.readOnly ? null
      : el("p", { class: "board-editing-banner", id: "board-editing-banner", role: "status", hidden: true });
    this.voteBar = this.controlId && !this.readOnly && !this.facilitator ? voteBar(this) : null;
    this.tools = maySend(this.me?.role, "board.mode") ? new BoardTools(this) : null;
    clear(this.root);
    this.hintId = `note-keys-${this.board.id.replace(/[^A-Za-z0-9_-]/g, "-")}`;
    this.boardEl = el("div", {
      class: "board", dataset: { board: this.board.id, instrument: this.board.instrument, layout: this.layout, mode: "open" },
    },
      header, this.readOnly ? el("p", { class: "notice", text: t("viewerNote") }) : null,
      this.readOnly ? null : el("p", { class: "sr-only", id: this.hintId, text: t("noteKeysHint") }),
      this.tools?.el, this.modeBanner, this.editingBanner, this.voteBar?.el, body);
    this.root.appendChild(this.boardEl);
  }

  /**
   * A container notes can live in: data-zone=<zone>, a list, a draft slot and an add button
   * (data-add-station=<zone>). `title` is shown (unless `hideTitle`) and names the zone in menus;
   * `before` goes between the head and the list (the corner board's clusters).
   */
  zoneBox(zone, { title = zone, label, prompt = "", className = "zone-cell", dataset = {}, heading = "h3",
    hideTitle = false, extraHead = null, compact = false, before = [] } = {}) {
    const list = el("div", { class: "note-list loose-notes" });
    this.lists.set(zone, list);
    this.zoneTitles.set(zone, label || title);
    const draftSlot = el("div", { class: "draft-slot" });
    const addBtn = this.readOnly ? null : el("button", {
      type: "button", class: compact ? "add-note compact" : "add-note", dataset: { addStation: zone },
      "aria-label": t("addNoteTo", { station: label || title }), text: t("addNote"),
      onclick: () => { if (this.writable) this.editor.draft(zone, draftSlot); },
    });
    const head = hideTitle && !prompt && !extraHead ? null : el("header", { class: "station-head zone-head" },
      hideTitle ? null : el(heading, { class: "station-title zone-title", text: title }),
      prompt ? el("p", { class: "station-prompt zone-prompt", text: prompt }) : null,
      extraHead);
    return el("section", { class: `zone ${className}`, dataset: { ...dataset, zone } },
      head, ...before, list,
      el("p", { class: "station-empty", text: t("emptyStation") }),
      draftSlot, addBtn);
  }

  // --- updating ------------------------------------------------------------------------------

  update() {
    const mirror = this.store.mirror(this.board.id);
    this.readState(mirror);
    const extra = mirror.viewExtra();
    if (this.drags.active && this.impl.willRebuild?.(extra)) this.drags.cancel();
    this.impl.update(extra, mirror);
    const notes = mirror.view();
    this.updateBanners();
    this.tools?.update(mirror, notes);
    this.updateVoteBar();
    const epoch = this.fillEpoch();
    const { buckets, zoneCount } = this.distribute(notes);
    const seen = this.placeAll(buckets, epoch);
    for (const [zone, listEl] of this.lists) {
      listEl.closest(".zone")?.classList.toggle("is-empty", zoneCount.get(zone) === 0);
    }
    this.impl.placed?.(buckets, notes);
    this.dropGone(seen);
  }

  /** The board's mode and editing, the control board, the vote shown and my dots in it. */
  readState(mirror) {
    this.control = this.controlId ? this.store.mirror(this.controlId).control : null;
    this.mode = mirror.mode || "open";
    this.editing = mirror.editing || "own";
    this.locked = this.mode === "locked" && !this.facilitator && !this.readOnly;
    this.vote = this.control ? currentVote(this.control, (v) => this.board.zones.some((z) => voteApplies(v, this.board.id, z))) : null;
    // Results show to the facilitator (and a screen) at once, to everyone once the vote closed.
    this.results = !!this.vote && (this.facilitator || !this.vote.open);
    this.mine = this.vote && this.vote.open && this.voteBar ? myDots(this.store, this.controlId, this.ledger, this.vote) : null;
  }

  /** The mode and "samen bewerken" banners, and the add buttons of a locked board. */
  updateBanners() {
    this.boardEl.dataset.mode = this.mode;
    this.boardEl.classList.toggle("is-locked", this.locked);
    if (this.facilitator) return;
    const hiddenText = this.readOnly ? t("modeBannerHiddenScreen") : t("modeBannerHidden");
    const text = this.mode === "locked" ? t("modeBannerLocked") : this.mode === "hidden" ? hiddenText : "";
    this.modeBanner.hidden = !text;
    this.modeBanner.dataset.mode = this.mode;
    if (this.modeBanner.textContent !== text) this.modeBanner.textContent = text;
    for (const b of this.root.querySelectorAll("[data-add-station]")) b.disabled = this.locked;
    if (this.editingBanner) {
      const shared = this.editing === "shared" && !this.readOnly && !this.locked;
      this.editingBanner.hidden = !shared;
      this.editingBanner.textContent = shared ? t("editingBannerShared") : "";
    }
  }

  /** The participant's vote bar: the vote shown, the dots left. */
  updateVoteBar() {
    if (!this.voteBar) return;
    const open = this.vote?.open ? this.vote : null;
    const shown = open || (this.vote && !this.vote.open ? this.vote : null);
    const remaining = open ? Math.max(0, open.budget - dotsUsed(this.mine || {})) : 0;
    const scope = shown?.station ? (this.stations.find((s) => s.id === shown.station)?.title || shown.station) : "";
    this.voteBar.update(shown, remaining, scope);
    this.remaining = remaining;
  }

  /**
   * A card is filled again when its note changed (notes are replaced, never changed in
   * place) or when something every card shows changed: the control board (votes, clusters),
   * the lock, the own dots. An update for one note on a big board touches one card.
   */
  fillEpoch() {
    const key = `${this.locked}|${this.editing}|${this.results}|${this.remaining}|${this.mine ? JSON.stringify(this.mine) : ""}`;
    if (key !== this.fillKey || this.control !== this.fillControl) {
      this.fillKey = key;
      this.fillControl = this.control;
      this.fillEpochN = (this.fillEpochN || 0) + 1;
    }
    return this.fillEpochN;
  }

  /** Which list each note goes in (the layout may say: a cluster's), else its zone's. */
  distribute(notes) {
    const buckets = new Map([...this.lists.values()].map((l) => [l, []]));
    const zoneCount = new Map([...this.lists.keys()].map((z) => [z, 0]));
    const listOf = this.impl.listsFor?.(notes, buckets) || null;
    for (const n of notes.values()) {
      if (!this.lists.has(n.zone)) continue;
      zoneCount.set(n.zone, zoneCount.get(n.zone) + 1);
      buckets.get(listOf?.(n) || this.lists.get(n.zone)).push(n);
    }
    return { buckets, zoneCount };
  }

  /** Each list's cards in order, filled where needed; answers the note ids placed. */
  placeAll(buckets, epoch) {
    const byVotes = this.results
      ? (a, b) => (totalOf(this.vote, this.board.id, b.id) - totalOf(this.vote, this.board.id, a.id)) || orderOf(a, b)
      : orderOf;
    const drag = this.drags.active;
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
          card = this.cardKit.make(n);
          this.cards.set(n.id, card);
        }
        if (card._epoch !== epoch || card._note !== n || card._toolsOpen) {
          this.cardKit.fill(card, n);
          card._epoch = epoch;
        }
        if (drag && drag.id === n.id && drag.started) continue; // in flight
        cards.push(card);
      }
      placeCards(listEl, cards, destination, this.chunked);
    }
    if (this.chunked) for (const [listEl, list] of buckets) trimChunks(listEl, list.length);
    return seen;
  }

  /** Cards whose note is gone (deleted, hidden from this page) go. */
  dropGone(seen) {
    for (const [id, card] of this.cards) {
      if (seen.has(id)) continue;
      if (this.drags.active?.id === id) this.drags.cancel();
      card.remove();
      this.cards.delete(id);
    }
  }
}
