// Board mirrors: the server's confirmed state per board, plus our own ops that are not yet
// confirmed, applied optimistically on top. Unacked ops keep their id and are sent again,
// with the SAME id, after a reconnect (the server answers a repeat with its first answer, R5).
// With a journal (offline.js) they also survive a reload; with a cache, so does the state.

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

const NOTE_KINDS = new Set([
  "note.add", "note.edit", "note.color", "note.move", "note.delete",
  "note.cluster", "note.hide", "note.restore",
]);
// Ops on a notes board after which this client cannot know the result from the op alone
// (the server keeps the undo history): it asks for the board's state again.
const RESYNC_KINDS = new Set(["cluster.undo"]);

export function isNoteOp(op) {
  return NOTE_KINDS.has(op?.kind);
}

/** The parts of a working board beside its notes (matrix, 8-tje, reflectietool). */
export function emptyExtra() {
  return {
    layout: "stations",
    columns: [],
    partners: { "partner-a": "", "partner-b": "" },
    flags: [],
    reflections: [{ id: "r1", title: "Reflectie 1" }],
    scores: [],
  };
}

export function extraFromState(state = {}) {
  const x = emptyExtra();
  if (state.layout) x.layout = state.layout;
  if (Array.isArray(state.columns)) x.columns = state.columns.map((c) => ({ id: c.id, title: c.title ?? "" }));
  if (state.partners && typeof state.partners === "object") x.partners = { ...x.partners, ...state.partners };
  if (Array.isArray(state.flags)) x.flags = state.flags.map((f) => ({ flag: f.flag, level: f.level }));
  if (Array.isArray(state.reflections) && state.reflections.length) {
    x.reflections = state.reflections.map((r) => ({ id: r.id, title: r.title ?? "" }));
  }
  if (Array.isArray(state.scores)) x.scores = state.scores.map((sc) => ({ ...sc }));
  return x;
}

export function cloneExtra(x) {
  return {
    layout: x.layout,
    columns: x.columns.map((c) => ({ ...c })),
    partners: { ...x.partners },
    flags: x.flags.map((f) => ({ ...f })),
    reflections: x.reflections.map((r) => ({ ...r })),
    scores: x.scores.map((sc) => ({ ...sc })),
  };
}

/**
 * Apply one instrument op to `x` in place, by the server's rules (server/board.py
 * _apply_instrument). Total: an op that does not fit returns false and changes nothing.
 */
export function applyExtra(x, op, meta = {}) {
  const colAt = (id) => x.columns.findIndex((c) => c.id === id);
  switch (op.kind) {
    case "column.add": {
      if (colAt(op.column) >= 0) return false;
      const index = op.index == null ? x.columns.length : Math.min(op.index, x.columns.length);
      x.columns.splice(index, 0, { id: op.column, title: op.title ?? "" });
      return true;
    }
    case "column.rename": {
      const i = colAt(op.column);
      if (i < 0) return false;
      x.columns[i] = { ...x.columns[i], title: op.title ?? "" };
      return true;
    }
    case "column.move": {
      const i = colAt(op.column);
      if (i < 0) return false;
      const [col] = x.columns.splice(i, 1);
      x.columns.splice(Math.min(op.index, x.columns.length), 0, col);
      return true;
    }
    case "partner.name":
      if (op.partner !== "partner-a" && op.partner !== "partner-b") return false;
      x.partners = { ...x.partners, [op.partner]: op.name ?? "" };
      return true;
    case "flag.set": {
      const has = x.flags.some((f) => f.flag === op.flag && f.level === op.level);
      if (op.on && !has) x.flags.push({ flag: op.flag, level: op.level });
      if (!op.on && has) x.flags = x.flags.filter((f) => !(f.flag === op.flag && f.level === op.level));
      return true;
    }
    case "reflection.add":
      if (x.reflections.some((r) => r.id === op.reflection)) return false;
      x.reflections.push({ id: op.reflection, title: op.title || `Reflectie ${x.reflections.length + 1}` });
      return true;
    case "score.set": {
      const reflection = op.reflection || "r1";
      if (!x.reflections.some((r) => r.id === reflection)) return false;
      const participant = meta.participant || "";
      const score = {
        reflection, participant, name: meta.name || "", aspect: op.aspect, score: op.score,
        partner: op.partner || "", note: op.note || "", seq: meta.seq ?? Infinity,
      };
      const i = x.scores.findIndex((sc) => sc.reflection === reflection
        && sc.participant === participant && sc.aspect === op.aspect);
      if (i >= 0) x.scores[i] = score; else x.scores.push(score);
      return true;
    }
    default:
      return false;
  }
}

/**
 * Apply one op to a notes Map in place (same rules as the server, total, never throws).
 * `meta.redacted`: the server withheld the text from us (R28). `trash`: deleted notes as they
 * were, for note.restore (read here, kept up to date by the mirror).
 */
export function applyOp(notes, op, meta = {}, trash = null) {
  const note = notes.get(op.note);
  switch (op.kind) {
    case "note.add":
      if (note) return false;
      notes.set(op.note, {
        id: op.note, zone: op.zone, text: op.text ?? "", color: op.color || "yellow",
        x: op.x ?? 0, y: op.y ?? 0, author: meta.participant || "", author_name: meta.name || "",
        group: meta.group || "", round: meta.round ?? 0, created_seq: meta.seq ?? Infinity,
        cluster: null, hidden: false, ...(meta.redacted ? { redacted: true } : {}),
      });
      return true;
    case "note.edit": {
      if (!note) return false;
      const next = { ...note, text: op.text };
      if (meta.redacted) next.redacted = true; else delete next.redacted;
      notes.set(op.note, next);
      return true;
    }
    case "note.color":
      if (!note) return false;
      notes.set(op.note, { ...note, color: op.color });
      return true;
    case "note.move":
      if (!note) return false;
      notes.set(op.note, { ...note, x: op.x, y: op.y, zone: op.zone ?? note.zone });
      return true;
    case "note.cluster":
      if (!note) return false;
      notes.set(op.note, { ...note, cluster: op.cluster ?? null });
      return true;
    case "note.hide":
      if (!note) return false;
      notes.set(op.note, { ...note, hidden: op.hidden !== false });
      return true;
    case "note.restore": {
      const old = trash?.get(op.note);
      if (note || !old) return false;
      notes.set(op.note, { ...old });
      return true;
    }
    case "note.delete":
      return notes.delete(op.note);
    default:
      return false;
  }
}

export class BoardMirror {
  constructor(boardId) {
    this.board = boardId;
    this.epoch = null;
    this.seq = 0;
    this.loaded = false;
    this.notes = new Map(); // confirmed by the server
    this.extra = emptyExtra(); // confirmed columns, partners, flags, reflections, scores
    this.pending = new Map(); // op id -> {id, op, ackSeq: number|null, sent: bool}
    this.control = null; // the control board only: the public control state (R20)
    this.mode = "open"; // open | hidden (until reveal) | locked (R28)
    // Deleted notes as this page saw them go (the state frame does not carry them), so a
    // facilitator can restore them; filled from the export too (see board.js).
    this.trash = new Map();
    this.stale = false; // an event we cannot apply ourselves: ask for the state again
  }

  /** The notes as this client shows them: confirmed + own pending ops. */
  view() {
    const notes = new Map(this.notes);
    for (const p of this.pending.values()) {
      if (p.ackSeq !== null && p.ackSeq <= this.seq) continue;
      if (!isNoteOp(p.op)) continue;
      if (applyOp(notes, p.op, { seq: Infinity }, this.trash)) {
        const n = notes.get(p.op.note);
        if (n) notes.set(n.id, { ...n, pending: true });
      }
    }
    return notes;
  }

  /** Columns, partners, flags, reflections, scores as this client shows them (own ops on top). */
  viewExtra(participant = "") {
    const x = cloneExtra(this.extra);
    for (const p of this.pending.values()) {
      if (p.ackSeq !== null && p.ackSeq <= this.seq) continue;
      if (isNoteOp(p.op)) continue;
      applyExtra(x, p.op, { participant, seq: Infinity });
    }
    return x;
  }

  pendingFor(noteId) {
    for (const p of this.pending.values()) if (p.op.note === noteId) return true;
    return false;
  }

  /** The confirmed state, to keep across a reload (offline.js BoardCache). */
  snapshot() {
    if (!this.epoch) return null;
    return {
      v: 1, epoch: this.epoch, seq: this.seq, notes: [...this.notes.values()], extra: this.extra,
      mode: this.mode, control: this.control,
    };
  }

  /** Start from a kept state; subscribing then resumes from its seq (R8). */
  restoreSnapshot(snap) {
    if (!snap || this.epoch) return;
    this.epoch = snap.epoch;
    this.seq = snap.seq;
    this.notes = new Map((snap.notes || []).map((n) => [n.id, n]));
    this.extra = extraFromState(snap.extra || {});
    this.mode = snap.mode || "open";
    this.control = snap.control || null;
  }

  applyState(frame) {
    this.epoch = frame.epoch;
    this.seq = frame.seq;
    this.notes = new Map((frame.state?.notes || []).map((n) => [n.id, n]));
    this.extra = extraFromState(frame.state || {});
    this.mode = frame.state?.mode || "open";
    for (const id of this.notes.keys()) this.trash.delete(id);
    if (frame.state?.control) this.control = frame.state.control;
    this.loaded = true;
    this._prune();
  }

  applyEvent(frame) {
    if (frame.epoch !== this.epoch) return "resync"; // a different log: ask for the state
    if (frame.seq <= this.seq) return "old";
    if (frame.seq !== this.seq + 1) return "gap";
    this.seq = frame.seq;
    // Control board: every event carries the whole state after it; never re-implement the rules.
    if (frame.after) this.control = frame.after;
    if (frame.result === "applied" && frame.op) {
      const op = frame.op;
      const meta = { ...(frame.actor || {}), seq: frame.seq, round: frame.round, redacted: !!frame.redacted };
      if (op.kind === "note.delete" && this.notes.has(op.note)) this.trash.set(op.note, this.notes.get(op.note));
      if (isNoteOp(op)) {
        const done = applyOp(this.notes, op, meta, this.trash);
        if (op.kind === "note.restore") {
          if (done) this.trash.delete(op.note); else if (!this.notes.has(op.note)) this.stale = true;
        }
      } else if (op.kind === "board.mode") {
        this.mode = op.mode;
      } else if (RESYNC_KINDS.has(op.kind) && !this.control) {
        this.stale = true;
      } else {
        applyExtra(this.extra, op, meta);
      }
    }
    const own = this.pending.get(frame.id);
    if (own) own.ackSeq = frame.seq;
    this._prune();
    return "ok";
  }

  applyAck(frame) {
    const own = this.pending.get(frame.id);
    if (!own) return;
    own.ackSeq = frame.seq;
    if (frame.epoch !== this.epoch) {
      // Our op landed in a log we do not mirror yet; the state that follows will carry it.
      this.pending.delete(frame.id);
      return;
    }
    this._prune();
  }

  reject(opId) {
    return this.pending.delete(opId);
  }

  _prune() {
    for (const [id, p] of this.pending) {
      if (p.ackSeq !== null && p.ackSeq <= this.seq) this.pending.delete(id);
    }
  }
}

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
    this.participant = "";
    this.waiters = new Map(); // op id -> {resolve, reject}: opWait()
    this.outcomeListeners = new Set();
    this.journal = null; // offline.js OpJournal: unacked ops across a reload
    this.cache = null; // offline.js BoardCache: confirmed states across a reload
    this.cacheTimers = new Map();
    // This page's cluster edits, newest last: {board, id}; Undo sends cluster.undo to the
    // board of the newest (R26).
    this.clusterEdits = [];
  }

  mirror(boardId) {
    let m = this.mirrors.get(boardId);
    if (!m) {
      m = new BoardMirror(boardId);
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
      if (!m.pending.has(e.id)) m.pending.set(e.id, { id: e.id, op: e.op, ackSeq: null });
    }
    for (const b of new Set(entries.map((e) => e.board))) this._changed(b);
  }

  /** The own ops still waiting for the server: distinct notes they touch, and all of them. */
  waiting() {
    const notes = new Set();
    let ops = 0;
    let other = 0;
    for (const m of this.mirrors.values()) {
      for (const p of m.pending.values()) {
        if (p.ackSeq !== null) continue;
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
    m.pending.set(id, { id, op, ackSeq: null });
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

  /** Number of own ops not yet confirmed, over all boards. */
  get unconfirmed() {
    let n = 0;
    for (const m of this.mirrors.values()) n += m.pending.size;
    return n;
  }
}
