// Dragging notes with pointer events: one controller for the cards of a board and of the
// facilitator's station view. A drag starts after a few pixels (a click stays a click), with
// the mouse anywhere on a card and with touch or pen only from its handle (so a finger still
// scrolls the page); the card floats under the pointer while a placeholder keeps its place;
// the view says where it would land (`locate`) and what a drop does (`end`). A board also
// scrolls near the screen's edges and shows the others where a note is being dragged (R9,
// presence, never log: the final place is one note.move op).

import { el } from "./html.js";
import { t } from "./i18n.js";
import { followPointer } from "./ui.js";

const DRAG_START_PX = 5;
const EDGE_PX = 56; // dragging this close to the top or bottom of the screen scrolls the page

export class DragController {
  /**
   * @param {object} o
   * @param {(d: object, x: number, y: number) => (Element|null|undefined)} o.locate  where the
   *   dragged card would land now; answers the element to mark as the drop target (null: none,
   *   undefined: no change)
   * @param {(d: object, commit: boolean) => void} o.end  the pointer was released (commit:
   *   dropped, not cancelled by the browser), after the card is back in its place
   * @param {(d: object) => void} [o.release]  right before the card goes back (a last measure)
   * @param {(d: object) => void} [o.moved]  after each move while dragging
   * @param {(d: object) => void} [o.stopped]  the drag is over (ended or cancelled)
   * @param {boolean} [o.autoScroll]  scroll near the screen's top and bottom edges
   */
  constructor({ locate, end, release = null, moved = null, stopped = null, autoScroll = false }) {
    this.hooks = { locate, end, release, moved, stopped };
    this.autoScroll = autoScroll;
    this.d = null;
  }

  /** The drag in progress (started or not yet), or null. */
  get active() {
    return this.d;
  }

  /** A pointer went down on `card`: maybe the start of a drag. `fields` go into the drag. */
  pointerDown(e, card, fields = {}) {
    if (e.button !== 0 || this.d) return false;
    const target = e.target;
    if (target.closest("button, select, textarea, input, .note-tools")) return false;
    // Touch and pen drag from the handle only, so scrolling the page still works.
    if (e.pointerType !== "mouse" && !target.closest(".drag-handle")) return false;
    const rect = card.getBoundingClientRect();
    const d = {
      card, pointerId: e.pointerId, started: false, startX: e.clientX, startY: e.clientY,
      offX: e.clientX - rect.left, offY: e.clientY - rect.top, width: rect.width, height: rect.height,
      placeholder: null, over: null, ...fields,
    };
    this.d = d;
    d.unfollow = followPointer((ev) => this.move(ev), (ev, commit) => this.up(ev, commit));
    if (e.pointerType !== "mouse") e.preventDefault();
    return true;
  }

  move(e) {
    const d = this.d;
    if (!d || e.pointerId !== d.pointerId) return;
    if (!d.started) {
      if (Math.hypot(e.clientX - d.startX, e.clientY - d.startY) < DRAG_START_PX) return;
      this.begin();
    }
    e.preventDefault();
    d.lastX = e.clientX;
    d.lastY = e.clientY;
    d.card.style.left = `${e.clientX - d.offX}px`;
    d.card.style.top = `${e.clientY - d.offY}px`;
    this.place();
    this.hooks.moved?.(d);
    if (this.autoScroll) this.scroll();
  }

  begin() {
    const d = this.d;
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

  /** Ask the view where the card would land, and mark the drop target. */
  place() {
    const d = this.d;
    const over = this.hooks.locate(d, d.lastX, d.lastY);
    if (over !== undefined && d.over !== over) {
      d.over?.classList.remove("drop-target");
      over?.classList.add("drop-target");
      d.over = over;
    }
  }

  /** Near the top (below the sticky bar) or the bottom of the screen, scroll while dragging. */
  scroll() {
    const d = this.d;
    if (!d || !d.started) return;
    const top = (document.getElementById("topbar")?.getBoundingClientRect().bottom || 0) + EDGE_PX;
    const bottom = window.innerHeight - EDGE_PX;
    const speed = d.lastY < top ? -Math.ceil((top - d.lastY) / 4)
      : d.lastY > bottom ? Math.ceil((d.lastY - bottom) / 4) : 0;
    if (!speed || d.scrollRaf) return;
    d.scrollRaf = requestAnimationFrame(() => {
      d.scrollRaf = null;
      if (this.d !== d) return;
      const before = window.scrollY;
      window.scrollBy(0, speed);
      if (window.scrollY === before) return; // at the end of the page
      this.place();
      this.scroll();
    });
  }

  up(e, commit) {
    const d = this.d;
    if (!d || e.pointerId !== d.pointerId) return;
    if (d.started) {
      this.hooks.release?.(d);
      // The click that ends a drag does not open the note's editor.
      d.card.dataset.justDragged = "1";
      setTimeout(() => { delete d.card.dataset.justDragged; }, 0);
    }
    this.cancel();
    this.hooks.end(d, commit);
  }

  /** Stop the drag in progress: the card goes back to its place (or away, when it is gone). */
  cancel() {
    const d = this.d;
    if (!d) return;
    this.d = null;
    if (d.scrollRaf) cancelAnimationFrame(d.scrollRaf);
    d.over?.classList.remove("drop-target");
    d.unfollow?.();
    this.hooks.stopped?.(d);
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
}

/**
 * The order key `y` that puts a note at position `index` of `list` (the dragged card left
 * out): between its neighbours there, or one before the first, one after the last.
 */
export function orderBetween(list, index, card) {
  const notes = [...list.querySelectorAll(".note")]
    .filter((c) => c !== card).map((c) => c._note).filter(Boolean);
  const prev = notes[index - 1];
  const next = notes[index];
  let y;
  if (prev && next) y = (prev.y + next.y) / 2;
  else if (prev) y = prev.y + 1;
  else if (next) y = next.y - 1;
  else y = 1;
  return Math.max(-9999, Math.min(9999, y));
}

/** The index in `list` (its cards but the dragged one) a card dropped at height `y` takes. */
export function indexAt(list, y, card) {
  const cards = [...list.querySelectorAll(".note")].filter((c) => c !== card);
  let index = cards.length;
  for (let i = 0; i < cards.length; i += 1) {
    const r = cards[i].getBoundingClientRect();
    if (y < r.top + r.height / 2) { index = i; break; }
  }
  return { index, before: cards[index] || null };
}

/** Others dragging a note on this board (R9): its card says so for a moment. */
export class RemoteDrags {
  constructor(cards, me) {
    this.cards = cards; // note id -> card
    this.me = me; // this page's participant: its own drags come back too
    this.timers = new Map();
  }

  show(moves) {
    for (const m of moves) {
      if (m.by && m.by === this.me) continue;
      const card = this.cards.get(m.note);
      if (!card) continue;
      card.classList.add("remote-drag");
      card.title = t("dragging");
      clearTimeout(this.timers.get(m.note));
      this.timers.set(m.note, setTimeout(() => {
        card.classList.remove("remote-drag");
        card.removeAttribute("title");
        this.timers.delete(m.note);
      }, 1200));
    }
  }

  destroy() {
    for (const tm of this.timers.values()) clearTimeout(tm);
  }
}

const DRAG_THROTTLE_MS = 50;

/**
 * Dragging notes on a board: within a list, to another zone, onto a cluster of the corner
 * board (the layout's `dropInto`); others see where it is being dragged; the drop is one
 * note.move op (and a note.cluster op when a facilitator dropped it onto a cluster).
 */
export class BoardDrag {
  constructor(view) {
    this.view = view;
    this.ctl = new DragController({
      locate: (d, x, y) => this.locate(d, x, y),
      release: (d) => { d.y = this.dropY(d); },
      end: (d, commit) => this.end(d, commit),
      moved: (d) => this.send(d),
      stopped: (d) => clearTimeout(d.sendTimer),
      autoScroll: true,
    });
  }

  get active() {
    return this.ctl.active;
  }

  cancel() {
    this.ctl.cancel();
  }

  pointerDown(e, card) {
    const { view } = this;
    const n = card._note;
    if (!view.mayChange(n)) return;
    this.ctl.pointerDown(e, card, {
      id: card.dataset.noteId, zone: n?.zone, index: 0, list: card.parentNode,
      cluster: view.clusterable ? view.clusterOf(n) : null, lastSent: 0, sendTimer: null,
    });
  }

  locate(d, x, y) {
    const { view } = this;
    const under = document.elementFromPoint(x, y);
    const box = under?.closest?.(".zone[data-zone]");
    const zone = box?.dataset.zone;
    if (!zone || !view.lists.has(zone) || !view.root.contains(box)) return undefined;
    const into = view.impl?.dropInto?.(under, box, zone, d.card._note) || null;
    const list = into?.list || view.lists.get(zone);
    const { index, before } = indexAt(list, y, d.card);
    d.zone = zone;
    d.cluster = into?.cluster || null;
    d.list = list;
    d.index = index;
    if (d.placeholder.parentNode !== list || d.placeholder.nextSibling !== before) {
      list.insertBefore(d.placeholder, before);
    }
    return into?.over || null;
  }

  /** The order key y for the drop position: between the neighbours in the target list. */
  dropY(d) {
    const list = d.list && d.list.isConnected ? d.list : this.view.lists.get(d.zone);
    return orderBetween(list, d.index, d.card);
  }

  /** Where the note is being dragged, to the others (at most every DRAG_THROTTLE_MS). */
  send(d) {
    const now = Date.now();
    const fire = () => {
      if (!this.ctl.active?.started) return;
      d.sendTimer = null;
      d.lastSent = Date.now();
      this.view.store.drag(this.view.board.id, d.id, 0, this.dropY(d));
    };
    if (now - d.lastSent >= DRAG_THROTTLE_MS) {
      clearTimeout(d.sendTimer);
      fire();
    } else if (!d.sendTimer) {
      d.sendTimer = setTimeout(fire, DRAG_THROTTLE_MS - (now - d.lastSent));
    }
  }

  end(d, commit) {
    const { view } = this;
    if (!d.started) return;
    const n = d.card._note;
    if (!commit || !n) { view.update(); return; }
    const { zone, cluster, y } = d;
    const zoneChanged = zone !== n.zone;
    const before = view.clusterable ? view.clusterOf(n) : null;
    // A note moved to another station leaves its cluster by itself (clusters are per station).
    const clusterChanged = view.facilitator && view.clusterable && cluster !== before
      && !(zoneChanged && cluster === null);
    let move = null;
    if (zoneChanged || y !== n.y) {
      move = { kind: "note.move", note: n.id, x: 0, y };
      if (zoneChanged) move.zone = zone;
    }
    if (clusterChanged && zoneChanged) {
      // The server checks the cluster's station against the note's zone: move first.
      view.store.opWait(view.board.id, move).then(() => view.setCluster(n.id, cluster), () => {});
    } else {
      if (move) view.store.op(view.board.id, move);
      if (clusterChanged) view.setCluster(n.id, cluster);
      if (!move && !clusterChanged) view.update();
    }
  }
}
