// The board's rules as this browser applies them: the same as server/board.py `apply`, op for
// op, so an own op shows at once what the server will make of it, and an event from others is
// applied without asking for the whole state. tests/test_golden.py runs the same logs through
// both and fails when they differ in any field.
//
// Which kinds there are, who may send them, on which boards they belong and which of them the
// client cannot apply from the event alone are not kept here: they are read from web/ops.js,
// generated from the server's published protocol schema. Control-board ops have no rules here
// at all: every control event carries the state after it (R20).

import { OPS } from "./ops.js";

const kinds = (test) => new Set(Object.keys(OPS).filter((k) => test(OPS[k])));

/** Ops on one note of a board with notes (they name it in `note`). */
export const NOTE_KINDS = kinds((d) => d.boards.includes("notes") && "note" in d.fields);
/** Ops of the session's control board: their state comes with their event (`after`, R20). */
export const CONTROL_KINDS = kinds((d) => d.boards.includes("control"));
/** Ops whose event alone cannot say what changed (an undo, a restore): the state follows. */
export const REDRAW_KINDS = kinds((d) => d.redraws);
/** Ops that carry a note's text (withheld per receiver where it is hidden, R28). */
export const TEXT_KINDS = kinds((d) => d.carries_text);

export function isNoteOp(op) {
  return NOTE_KINDS.has(op?.kind);
}

/** Whether someone of `role` may send ops of `kind` (R19; the server checks it again). */
export function maySend(role, kind) {
  return !!OPS[kind]?.senders.includes(role);
}

/** The longest text the server takes in `field` of an op of `kind` (R11, R37). */
export function maxLength(kind, field) {
  return OPS[kind]?.fields[field]?.maxLength ?? 1000;
}

/** The values the server takes in `field` of an op of `kind` (colours, modes, …). */
export function choices(kind, field) {
  return OPS[kind]?.fields[field]?.enum || [];
}

/** The op with its declared defaults filled in, as the server reads it. */
export function withDefaults(op) {
  const fields = OPS[op?.kind]?.fields;
  if (!fields) return op;
  let out = op;
  for (const [name, f] of Object.entries(fields)) {
    if (out[name] === undefined && "default" in f) {
      if (out === op) out = { ...op };
      out[name] = f.default;
    }
  }
  return out;
}

// --- the board as the browser keeps it -------------------------------------------------------

/** The parts of a working board beside its notes (matrix, 8-tje, reflectietool). */
export function emptyExtra() {
  return {
    layout: "stations",
    columns: [],
    partners: { "partner-a": "", "partner-b": "" },
    flags: [],
    reflections: [{ id: "r1", title: "Reflectie 1", ts: null }],
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
    x.reflections = state.reflections.map((r) => ({ id: r.id, title: r.title ?? "", ts: r.ts ?? null }));
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
 * A board's data: `notes` and `trash` (deleted notes as they were, R28) are Maps of note
 * objects that are replaced, never changed in place (a view compares them by identity);
 * `mode`, `editing`; `extra` holds the working board's columns, partners, flags, reflections
 * and scores.
 */
export function emptyBoard() {
  return { notes: new Map(), trash: new Map(), mode: "open", editing: "own", extra: emptyExtra() };
}

// --- apply -------------------------------------------------------------------------------------

/**
 * Apply one op to board data `b` in place, by the server's rules (server/board.py `_apply`).
 * Total: an op that does not fit returns false and changes nothing.
 * `meta`: who and when as the server stamps it — {participant, name, group, round, seq, ts} —
 * and `redacted` when the server withheld the text from this page (R28).
 */
export function apply(b, rawOp, meta = {}) {
  const op = withDefaults(rawOp);
  if (NOTE_KINDS.has(op.kind)) return applyNote(b, op, meta);
  switch (op.kind) {
    case "board.mode":
      b.mode = op.mode;
      return true;
    case "board.editing":
      b.editing = op.editing === "shared" ? "shared" : "own";
      return true;
    case "column.remove":
      return removeColumn(b, op, meta);
    default:
      return applyExtra(b.extra, op, meta);
  }
}

/** A changed note carries the seq and time of its last change (as the server stamps it). */
function stamped(note, meta) {
  return { ...note, updated_seq: meta.seq ?? Infinity, updated_ts: meta.ts ?? note.updated_ts ?? 0 };
}

function applyNote(b, op, meta) {
  const { notes, trash } = b;
  const note = notes.get(op.note);
  if (op.kind === "note.add") {
    if (note || trash.has(op.note)) return false;
    const seq = meta.seq ?? Infinity;
    const ts = meta.ts ?? 0;
    notes.set(op.note, {
      id: op.note, zone: op.zone, text: op.text, color: op.color, x: op.x, y: op.y,
      author: meta.participant || "", author_name: meta.name || "", group: meta.group || "",
      round: meta.round ?? 0, created_seq: seq, updated_seq: seq, created_ts: ts, updated_ts: ts,
      cluster: null, hidden: false, edited_by: "", edited_by_name: "", part: op.part ?? null,
      ...(meta.redacted ? { redacted: true } : {}),
    });
    return true;
  }
  if (op.kind === "note.restore") {
    const old = trash.get(op.note);
    if (note || !old) return false;
    trash.delete(op.note);
    notes.set(op.note, stamped(old, meta));
    return true;
  }
  if (!note) return false;
  let next;
  switch (op.kind) {
    case "note.edit":
      next = { ...note, text: op.text };
      if (meta.redacted) next.redacted = true; else delete next.redacted;
      // R32: a text edit by someone else than the author says by whom.
      if ((meta.participant || "") !== note.author) {
        next.edited_by = meta.participant || "";
        next.edited_by_name = meta.name || "";
      }
      break;
    case "note.color":
      next = { ...note, color: op.color };
      break;
    case "note.move":
      next = { ...note, x: op.x, y: op.y };
      if (op.zone != null) {
        // A cluster belongs to one station (R26): a note moved to another one leaves it.
        if (op.zone !== note.zone) next.cluster = null;
        next.zone = op.zone;
      }
      break;
    case "note.pin":
      next = { ...note, part: op.part ?? null };
      break;
    case "note.cluster":
      next = { ...note, cluster: op.cluster ?? null };
      break;
    case "note.hide":
      next = { ...note, hidden: !!op.hidden };
      break;
    case "note.delete":
      trash.set(op.note, note);
      notes.delete(op.note);
      return true;
    default:
      return false; // note ops whose effect only the server knows
  }
  notes.set(op.note, stamped(next, meta));
  return true;
}

/** Matrix: a column goes; the notes in its cells (kept or deleted) go to their row. */
function removeColumn(b, op, meta) {
  const x = b.extra;
  if (!x.columns.some((c) => c.id === op.column)) return false;
  x.columns = x.columns.filter((c) => c.id !== op.column);
  for (const map of [b.notes, b.trash]) {
    for (const [id, n] of map) {
      const at = n.zone.indexOf("@");
      if (at >= 0 && n.zone.slice(at + 1) === op.column) map.set(id, stamped({ ...n, zone: n.zone.slice(0, at) }, meta));
    }
  }
  return true;
}

const byFlag = (a, b) => (a.flag < b.flag ? -1 : a.flag > b.flag ? 1 : a.level < b.level ? -1 : a.level > b.level ? 1 : 0);

/**
 * Apply one instrument op to `x` (the working board's extra parts) in place, by the server's
 * rules (server/board.py `_apply_instrument`). Total: an op that does not fit returns false.
 */
export function applyExtra(x, op, meta = {}) {
  const colAt = (id) => x.columns.findIndex((c) => c.id === id);
  switch (op.kind) {
    case "column.add": {
      if (colAt(op.column) >= 0) return false;
      const index = op.index == null ? x.columns.length : Math.min(op.index, x.columns.length);
      x.columns.splice(index, 0, { id: op.column, title: op.title });
      return true;
    }
    case "column.rename": {
      const i = colAt(op.column);
      if (i < 0) return false;
      x.columns[i] = { ...x.columns[i], title: op.title };
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
      x.partners = { ...x.partners, [op.partner]: op.name };
      return true;
    case "flag.set": {
      // A set of (flag, level), kept in the server's order.
      const rest = x.flags.filter((f) => !(f.flag === op.flag && f.level === op.level));
      x.flags = op.on ? [...rest, { flag: op.flag, level: op.level }].sort(byFlag) : rest;
      return true;
    }
    case "reflection.add":
      if (x.reflections.some((r) => r.id === op.reflection)) return false;
      // Stamped with when it was started (the server's time, to the millisecond).
      x.reflections.push({
        id: op.reflection, title: op.title || `Reflectie ${x.reflections.length + 1}`,
        ts: meta.ts ?? null,
      });
      return true;
    case "score.set": {
      if (!x.reflections.some((r) => r.id === op.reflection)) return false;
      // One score per participant, aspect and reflection: a second one replaces the first.
      const participant = meta.participant || "";
      const score = {
        reflection: op.reflection, participant, name: meta.name || "", aspect: op.aspect,
        score: op.score, partner: op.partner, note: op.note, seq: meta.seq ?? Infinity,
      };
      const i = x.scores.findIndex((sc) => sc.reflection === op.reflection
        && sc.participant === participant && sc.aspect === op.aspect);
      if (i >= 0) x.scores[i] = score; else x.scores.push(score);
      return true;
    }
    default:
      return false;
  }
}
