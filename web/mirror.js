// One board as this page knows it: the server's confirmed state (from `state` frames and the
// events after it, in seq order, R7) plus this page's own ops that are not confirmed yet, shown
// on top as the server will apply them (rules.js). Pending ops keep their id and are sent
// again with the same id after a reconnect (R5); the store (state.js) does the sending.

import { apply, cloneExtra, CONTROL_KINDS, emptyBoard, extraFromState, isNoteOp, REDRAW_KINDS, TEXT_KINDS } from "./rules.js";

export class BoardMirror {
  constructor(boardId) {
    this.board = boardId;
    this.epoch = null;
    this.seq = 0;
    this.loaded = false;
    this.data = emptyBoard(); // confirmed by the server
    this.pending = new Map(); // op id -> {id, op, ackSeq: number|null}: own ops
    this.control = null; // the control board only: the public control state (R20)
    this._participant = ""; // who this page is (own pending notes are theirs)
    this.stale = false; // an event we cannot apply ourselves: ask for the state again
    this.shownCache = null; // what view() shows, until something changes
  }

  // --- the confirmed state ---------------------------------------------------------------------

  get notes() { return this.data.notes; }
  /** Deleted notes as they were (the state gives them to facilitators, R28), for a restore. */
  get trash() { return this.data.trash; }
  get extra() { return this.data.extra; }
  /** open | hidden (until reveal) | locked (R28) */
  get mode() { return this.data.mode; }
  /** own | shared: whose notes a participant may change (R32) */
  get editing() { return this.data.editing; }

  get participant() { return this._participant; }

  set participant(value) {
    if (value === this._participant) return;
    this._participant = value;
    this.changed();
  }

  /** What this page shows may have changed: computed again when asked. */
  changed() {
    this.shownCache = null;
  }

  // --- what this page shows: confirmed + own pending ops ---------------------------------------

  /** The board as this page shows it (computed once per change). */
  shown() {
    if (this.shownCache) return this.shownCache;
    const b = {
      notes: new Map(this.data.notes), trash: new Map(this.data.trash),
      mode: this.data.mode, editing: this.data.editing, extra: cloneExtra(this.data.extra),
    };
    const meta = { seq: Infinity, participant: this.participant };
    for (const p of this.waiting()) {
      if (apply(b, p.op, meta) && isNoteOp(p.op)) {
        const n = b.notes.get(p.op.note);
        if (n) b.notes.set(n.id, { ...n, pending: true });
      }
    }
    this.shownCache = b;
    return b;
  }

  /** The notes as this page shows them: confirmed + own pending ops. */
  view() {
    return this.shown().notes;
  }

  /** Columns, partners, flags, reflections, scores as this page shows them. */
  viewExtra() {
    return this.shown().extra;
  }

  /** "own" or "shared" as this page shows it: the server's, or our own change on its way. */
  editingView() {
    return this.shown().editing;
  }

  // --- own ops ---------------------------------------------------------------------------------

  /** Own ops not yet confirmed in this mirror's seq, oldest first. */
  *waiting() {
    for (const p of this.pending.values()) {
      if (p.ackSeq !== null && p.ackSeq <= this.seq) continue;
      yield p;
    }
  }

  /** Own ops sent (or to be sent) that have no answer yet. */
  *unanswered() {
    for (const p of this.pending.values()) if (p.ackSeq === null) yield p;
  }

  /** Whether own op `id` is not confirmed yet (or refused meanwhile). */
  isPending(id) {
    return this.pending.has(id);
  }

  /** Whether an own op of `kind` is not confirmed yet. */
  hasPending(kind) {
    for (const p of this.pending.values()) if (p.op.kind === kind) return true;
    return false;
  }

  addPending(id, op) {
    if (this.pending.has(id)) return;
    this.pending.set(id, { id, op, ackSeq: null });
    this.changed();
  }

  reject(opId) {
    const had = this.pending.delete(opId);
    if (had) this.changed();
    return had;
  }

  dropPending() {
    this.pending.clear();
    this.changed();
  }

  // --- the cache across a reload (offline.js BoardCache) ---------------------------------------

  /** The confirmed state, to keep across a reload. */
  snapshot() {
    if (!this.epoch) return null;
    return {
      v: 1, epoch: this.epoch, seq: this.seq, notes: [...this.notes.values()],
      trash: [...this.trash.values()], extra: this.extra, mode: this.mode, editing: this.editing,
      control: this.control,
    };
  }

  /** Start from a kept state; subscribing then resumes from its seq (R8). */
  restoreSnapshot(snap) {
    if (!snap || this.epoch) return;
    this.epoch = snap.epoch;
    this.seq = snap.seq;
    this.data = {
      notes: new Map((snap.notes || []).map((n) => [n.id, n])),
      trash: new Map((snap.trash || []).map((n) => [n.id, n])),
      mode: snap.mode || "open",
      editing: snap.editing === "shared" ? "shared" : "own",
      extra: extraFromState(snap.extra || {}),
    };
    this.control = snap.control || null;
    this.changed();
  }

  // --- frames ----------------------------------------------------------------------------------

  applyState(frame) {
    const state = frame.state || {};
    this.epoch = frame.epoch;
    this.seq = frame.seq;
    const notes = new Map((state.notes || []).map((n) => [n.id, n]));
    let trash = this.data.trash;
    if (Array.isArray(state.trash)) {
      trash = new Map(state.trash.map((n) => [n.id, n])); // a facilitator's state has them
    } else {
      // Others get no deleted notes: they keep those they saw go.
      for (const id of notes.keys()) trash.delete(id);
    }
    this.data = {
      notes, trash, mode: state.mode || "open", editing: state.editing === "shared" ? "shared" : "own",
      extra: extraFromState(state),
    };
    if (state.control) this.control = state.control;
    this.loaded = true;
    this._prune();
    this.changed();
  }

  applyEvent(frame) {
    if (frame.epoch !== this.epoch) return "resync"; // a different log: ask for the state
    if (frame.seq <= this.seq) return "old";
    if (frame.seq !== this.seq + 1) return "gap";
    this.seq = frame.seq;
    // Control board: every event carries the whole state after it; never re-implement the rules.
    if (frame.after) this.control = frame.after;
    // A dot carries only its vote's record after it (R27): swap that one vote in.
    if (frame.vote && this.control && frame.op?.vote) {
      this.control = { ...this.control, votes: { ...this.control.votes, [frame.op.vote]: frame.vote } };
    }
    const op = frame.op;
    // On the control board the state came with the event; elsewhere the rules apply it here.
    // An op withheld from this page (someone's score on a hidden board, R62) changes nothing here.
    const withheld = !!frame.redacted && !TEXT_KINDS.has(op?.kind);
    if (frame.result === "applied" && op?.kind && !withheld && !(this.control && CONTROL_KINDS.has(op.kind))) {
      const meta = {
        ...(frame.actor || {}), seq: frame.seq, ts: frame.ts, round: frame.round,
        redacted: !!frame.redacted && TEXT_KINDS.has(op.kind),
      };
      const done = apply(this.data, op, meta);
      // An op whose effect only the server knows (an undo; a restore of a note this page
      // never saw deleted): the store asks for the state again.
      if (!done && REDRAW_KINDS.has(op.kind) && !(op.note && this.data.notes.has(op.note))) this.stale = true;
    }
    const own = this.pending.get(frame.id);
    if (own) own.ackSeq = frame.seq;
    this._prune();
    this.changed();
    return "ok";
  }

  applyAck(frame) {
    const own = this.pending.get(frame.id);
    if (!own) return;
    own.ackSeq = frame.seq;
    if (frame.epoch !== this.epoch) {
      // Our op landed in a log we do not mirror yet; the state that follows will carry it.
      this.pending.delete(frame.id);
    }
    this._prune();
    this.changed();
  }

  _prune() {
    for (const [id, p] of this.pending) {
      if (p.ackSeq !== null && p.ackSeq <= this.seq) this.pending.delete(id);
    }
  }
}
