// All boards of one connection: a mirror per board (mirror.js), subscriptions and resuming
// (R8), sending own ops and matching their answers (R5, R6), drags (R9), errors, and keeping
// unacked ops and confirmed states across a reload (offline.js journal and cache); and the ids
// this page makes (IdMaker).

import { BoardMirror } from "./mirror.js";
import { isNoteOp } from "./rules.js";

// --- the ids this page makes ------------------------------------------------------------------

// Ids this page makes: op ids (R5: a retry after a dropped connection sends the same id again),
// note, column, cluster and vote ids, and the anonymous op id of a dot (R27).

const ID_RE = /^[A-Za-z0-9_.:\-]+$/;

function rand(n) {
  const alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  let s = "";
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

export class IdMaker {
  constructor() {
    this.prefix = rand(6);
    this.counter = 0;
  }

  setParticipant(participant) {
    const clean = String(participant || "").replace(/[^A-Za-z0-9]/g, "").slice(0, 16);
    if (clean) this.prefix = `${clean}.${rand(4)}`;
  }

  op() {
    this.counter += 1;
    const id = `${this.prefix}:${this.counter.toString(36)}:${rand(6)}`;
    return ID_RE.test(id) && id.length <= 64 ? id : `op:${rand(20)}`;
  }

  note() {
    return `n-${rand(12)}`;
  }

  column() {
    return `k-${rand(8)}`;
  }

  cluster() {
    return `c-${rand(10)}`;
  }

  vote() {
    return `v-${rand(8)}`;
  }

  /** An op id that says nothing about who sent it (a dot of an anonymous vote, R27). */
  anonymous() {
    return `a:${rand(24)}`;
  }
}

// --- the boards ---------------------------------------------------------------------------------

/**
 * All boards of this connection. `send(frame)` returns false if the socket is down; unsent and
 * unacked ops stay in `pending` and go out again from resume().
 */
export class BoardStore {
  constructor(send) {
    this.send = send;
    this.ids = new IdMaker();
    this.mirrors = new Map();
    this.subscribed = new Set();
    this.listeners = new Set();
    this.dragListeners = new Set();
    this.errorListeners = new Set();
    this.eventListeners = new Set();
    this.writable = true;
    this._participant = "";
    this.waiters = new Map(); // op id -> {resolve, reject}: opWait()
    this.outcomeListeners = new Set();
    this.journal = null; // offline.js OpJournal: unacked ops across a reload
    this.cache = null; // offline.js BoardCache: confirmed states across a reload
    this.cacheTimers = new Map();
    // This page's cluster edits, newest last: {board, id}; Undo sends cluster.undo to the
    // board of the newest (R26).
    this.clusterEdits = [];
  }

  /** Who this page is (welcome.me.participant): own pending notes are shown as theirs. */
  get participant() { return this._participant; }

  set participant(value) {
    this._participant = value || "";
    for (const m of this.mirrors.values()) m.participant = this._participant;
  }

  mirror(boardId) {
    let m = this.mirrors.get(boardId);
    if (!m) {
      m = new BoardMirror(boardId);
      m.participant = this._participant;
      if (this.cache) m.restoreSnapshot(this.cache.load(boardId));
      this.mirrors.set(boardId, m);
    }
    return m;
  }

  /** Keep states from now on (and start the boards not yet seen from what was kept). */
  useCache(cache) {
    this.cache = cache;
    for (const [id, m] of this.mirrors) {
      if (!m.epoch) m.restoreSnapshot(cache.load(id));
    }
  }

  _scheduleCache(boardId) {
    if (!this.cache || this.cacheTimers.has(boardId)) return;
    this.cacheTimers.set(boardId, setTimeout(() => this._saveCache(boardId), 500));
  }

  _saveCache(boardId) {
    clearTimeout(this.cacheTimers.get(boardId));
    this.cacheTimers.delete(boardId);
    const snap = this.mirrors.get(boardId)?.snapshot();
    if (snap && this.cache) this.cache.save(boardId, snap);
  }

  /** Write every kept state now (the page is going away). */
  flushCache() {
    for (const id of [...this.cacheTimers.keys()]) this._saveCache(id);
  }

  /**
   * Ops a previous page of this session sent and never saw confirmed (offline.js OpJournal):
   * shown at once as pending, and sent again with their own ids once the board is caught up.
   */
  restore(entries) {
    for (const e of entries) {
      const m = this.mirror(e.board);
      m.addPending(e.id, e.op);
    }
    for (const b of new Set(entries.map((e) => e.board))) this._changed(b);
  }

  /** The own ops still waiting for the server: distinct notes they touch, and all of them. */
  waiting() {
    const notes = new Set();
    let ops = 0;
    let other = 0;
    for (const m of this.mirrors.values()) {
      for (const p of m.unanswered()) {
        ops += 1;
        if (isNoteOp(p.op)) notes.add(`${m.board}/${p.op.note}`); else other += 1;
      }
    }
    return { ops, notes: notes.size, other };
  }

  /** Own ops that got their answer: fn({id, board, op, result, reason}). */
  onOutcome(fn) { this.outcomeListeners.add(fn); return () => this.outcomeListeners.delete(fn); }

  onChange(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); }
  onDrag(fn) { this.dragListeners.add(fn); return () => this.dragListeners.delete(fn); }
  onError(fn) { this.errorListeners.add(fn); return () => this.errorListeners.delete(fn); }
  /** Every new event (in seq order, after it is applied to the mirror). */
  onEvent(fn) { this.eventListeners.add(fn); return () => this.eventListeners.delete(fn); }
  _changed(boardId) {
    this._scheduleCache(boardId);
    for (const fn of this.listeners) fn(boardId);
  }
  /** Tell the views to redraw this board (something beside the mirror changed). */
  touch(boardId) { this._changed(boardId); }

  subscribe(boardId) {
    const m = this.mirror(boardId);
    this.subscribed.add(boardId);
    const frame = { type: "subscribe", board: boardId };
    if (m.epoch) {
      frame.epoch = m.epoch;
      frame.seq = m.seq;
    }
    this.send(frame);
  }

  unsubscribe(boardId) {
    if (this.subscribed.delete(boardId)) this.send({ type: "unsubscribe", board: boardId });
  }

  /**
   * After (re)connecting and welcome: resubscribe with what we have; their ops go after
   * caught_up. Ops kept for a board this page does not follow (now) go at once.
   */
  resume() {
    for (const boardId of this.subscribed) this.subscribe(boardId);
    for (const boardId of this.mirrors.keys()) {
      if (!this.subscribed.has(boardId)) this._resendPending(boardId);
    }
  }

  _resendPending(boardId) {
    const m = this.mirrors.get(boardId);
    if (!m) return;
    for (const p of m.pending.values()) {
      if (p.ackSeq !== null) continue;
      this.send({ type: "op", id: p.id, board: boardId, op: p.op });
    }
  }

  /**
   * Make, apply locally, and send one op. Returns the op id.
   * @param {object} [opts]
   * @param {boolean} [opts.anonymous]  an id that does not name the sender (R27)
   */
  op(boardId, op, opts = {}) {
    const m = this.mirror(boardId);
    const id = opts.anonymous ? this.ids.anonymous() : this.ids.op();
    m.addPending(id, op);
    this.journal?.add(id, boardId, op); // before sending: a reload right after keeps it
    this.send({ type: "op", id, board: boardId, op });
    this._changed(boardId);
    return id;
  }

  /**
   * Like op(), and a promise of its outcome: resolves with "applied" or "noop" once stored,
   * rejects with the server's error frame when it is refused.
   */
  opWait(boardId, op, opts = {}) {
    let id = null;
    const promise = new Promise((resolve, reject) => {
      id = this.op(boardId, op, opts);
      this.waiters.set(id, { resolve, reject });
    });
    promise.catch(() => {}); // the error listeners say it; a caller may still await it
    promise.id = id;
    return promise;
  }

  /** A cluster edit (R26): sent like op(), and remembered for Undo. */
  clusterOp(boardId, op) {
    const promise = this.opWait(boardId, op);
    this.clusterEdits.push({ board: boardId, id: promise.id });
    if (this.clusterEdits.length > 50) this.clusterEdits.shift();
    return promise;
  }

  /** Undo this page's newest cluster edit (on the board it was made on). */
  clusterUndo() {
    const last = this.clusterEdits.pop();
    if (!last) return null;
    return this.opWait(last.board, { kind: "cluster.undo" });
  }

  _settle(id, result, error) {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    if (error) w.reject(error); else w.resolve(result);
  }

  drag(boardId, note, x, y) {
    this.send({ type: "drag", board: boardId, note, x, y });
  }

  /** The own op `id` on `board` when it still waits for its answer. */
  _unanswered(board, id) {
    const p = id ? this.mirrors.get(board)?.pending.get(id) : null;
    return p && p.ackSeq === null ? p : null;
  }

  /** An own op got its answer (stored, maybe as a no-op): out of the journal, tell listeners. */
  _answered(p, msg) {
    this.journal?.remove([p.id]);
    const outcome = { id: p.id, board: msg.board, op: p.op, result: msg.result, reason: msg.reason || null };
    for (const fn of this.outcomeListeners) fn(outcome);
  }

  handle(msg) {
    const own = msg.type === "ack" || msg.type === "event" ? this._unanswered(msg.board, msg.id) : null;
    this._handle(msg);
    if (own && (own.ackSeq !== null || !this.mirrors.get(msg.board)?.pending.has(own.id))) {
      this._answered(own, msg);
    }
  }

  _handle(msg) {
    switch (msg.type) {
      case "state": {
        this.mirror(msg.board).applyState(msg);
        this._changed(msg.board);
        break;
      }
      case "event": {
        const m = this.mirror(msg.board);
        const r = m.applyEvent(msg);
        if (r === "gap" || r === "resync") {
          // Should not happen (R7); recover by subscribing again from what we have.
          if (r === "resync") m.epoch = null;
          this.subscribe(msg.board);
        }
        if (r === "ok" && m.stale) {
          // An op whose effect only the server knows (an undo, a restore we never saw
          // deleted): the whole state again, from what we have (R8 sends it).
          m.stale = false;
          m.epoch = null;
          this.subscribe(msg.board);
        }
        if (r === "ok") for (const fn of this.eventListeners) fn(msg);
        this._changed(msg.board);
        if (r === "ok" || r === "old") this._settle(msg.id, msg.result);
        break;
      }
      case "ack": {
        this.mirror(msg.board).applyAck(msg);
        this._changed(msg.board);
        this._settle(msg.id, msg.result);
        break;
      }
      case "caught_up": {
        const m = this.mirror(msg.board);
        if (m.epoch !== msg.epoch || m.seq !== msg.seq) {
          // Replay did not bring us to the server's seq: ask for the full state.
          m.epoch = null;
          this.subscribe(msg.board);
          break;
        }
        m.loaded = true;
        this._resendPending(msg.board);
        this._changed(msg.board);
        break;
      }
      case "drag": {
        for (const fn of this.dragListeners) fn(msg.board, msg.moves || []);
        break;
      }
      case "status": {
        const was = this.writable;
        this.writable = !!msg.writable;
        if (this.writable && !was) for (const b of this.subscribed) this._resendPending(b);
        for (const b of this.subscribed) this._changed(b);
        break;
      }
      case "error": {
        this._error(msg);
        break;
      }
      default:
        break;
    }
  }

  _error(msg) {
    // An error that answers one of our ops: drop it, unless it may succeed later.
    const retryLater = msg.code === "store_unavailable" || msg.code === "rate_limited"
      || msg.code === "not_joined";
    if (msg.ref) {
      for (const m of this.mirrors.values()) {
        const p = m.pending.get(msg.ref);
        if (!p) continue;
        if (retryLater) {
          if (msg.code === "rate_limited") {
            setTimeout(() => {
              if (m.pending.has(p.id) && p.ackSeq === null) {
                this.send({ type: "op", id: p.id, board: m.board, op: p.op });
              }
            }, 1000 + Math.random() * 1000);
          }
        } else {
          m.reject(msg.ref);
          this._changed(m.board);
        }
      }
      if (!retryLater) {
        this.journal?.remove([msg.ref]);
        this.clusterEdits = this.clusterEdits.filter((e) => e.id !== msg.ref);
        this._settle(msg.ref, null, msg);
      }
    }
    for (const fn of this.errorListeners) fn(msg);
  }

  /** Forget every own op not yet confirmed (this page may no longer write, R33). */
  dropPending() {
    for (const m of this.mirrors.values()) m.dropPending();
    this.journal?.clear();
    for (const [id, w] of this.waiters) w.reject({ type: "error", code: "removed", ref: id });
    this.waiters.clear();
  }
}
