// The design team's decisions on one instrument (R51), live: the workspace board of that
// instrument followed over the websocket like any board. `decision.set` and `decision.undo`
// are ops like notes (ordered, durable, acknowledged); every organiser who follows the board
// gets each decision as an event, and after an undo the server sends the whole state again.
// Own decisions show at once (pending) until their event comes back; after a dropped
// connection the unconfirmed ones go again with their own ids (R5).

import { IdMaker } from "./state.js";
import { Socket } from "./socket.js";

export class DecisionBoard {
  /**
   * @param {object} o
   * @param {string} o.token   the workspace's facilitator token (GET /api/ontwerpslag)
   * @param {string} o.name    who decides (the organiser's name, on every decision)
   * @param {(targets: string[]|null, actor: object|null) => void} o.onChange  null: all of them
   * @param {(state: string) => void} o.onConn  open | connecting | offline
   * @param {(error: object) => void} o.onRefused  an own op the server refused
   */
  constructor({ token, name, onChange, onConn, onRefused }) {
    this.token = token;
    this.name = name;
    this.onChange = onChange;
    this.onRefused = onRefused;
    this.ids = new IdMaker();
    this.board = null;
    this.epoch = null;
    this.seq = 0;
    this.me = "";
    this.confirmed = new Map(); // target -> {decision, rationale, by, by_name, ts, seq}
    this.pending = new Map(); // op id -> {op}: own ops without their event yet
    this.socket = new Socket({
      hello: () => ({ token: this.token, name: this.name }),
      onMessage: (msg) => this.handle(msg),
      onState: onConn,
    });
    this.socket.start();
  }

  /** Follow the board of another instrument: its whole state comes first. */
  follow(board) {
    if (this.board && this.board !== board) this.socket.send({ type: "unsubscribe", board: this.board });
    this.board = board;
    this.pending = new Map();
    this.resync();
  }

  /** The board's whole state again (a gap in the events, another log). */
  resync() {
    this.epoch = null;
    this.seq = 0;
    this.confirmed = new Map();
    this.socket.send({ type: "subscribe", board: this.board });
  }

  /** What `target` shows: an own decision on its way, else the board's. */
  get(target) {
    let shown = this.confirmed.get(target) || null;
    for (const p of this.pending.values()) {
      if (p.op.kind === "decision.set" && p.op.target === target) {
        shown = p.op.decision ? { decision: p.op.decision, rationale: p.op.rationale, by: this.me, by_name: this.name, pending: true } : null;
      }
    }
    return shown;
  }

  /** Every decided target as shown. */
  decided() {
    const out = new Set(this.confirmed.keys());
    for (const p of this.pending.values()) {
      if (p.op.kind !== "decision.set") continue;
      if (p.op.decision) out.add(p.op.target); else out.delete(p.op.target);
    }
    return out;
  }

  set(target, decision, rationale) {
    this.send({ kind: "decision.set", target, decision, rationale: rationale.slice(0, 500) });
    this.onChange([target], null);
  }

  undo() {
    this.send({ kind: "decision.undo" });
  }

  send(op) {
    const id = this.ids.op();
    this.pending.set(id, { op });
    this.socket.send({ type: "op", id, board: this.board, op });
  }

  /** Own ops that never got their answer go again, with the same ids (R5); or just `only`. */
  resend(only = null) {
    for (const [id, p] of this.pending) {
      if (!only || id === only) this.socket.send({ type: "op", id, board: this.board, op: p.op });
    }
  }

  handle(msg) {
    if (msg.type === "welcome") {
      this.me = msg.me?.participant || "";
      this.ids.setParticipant(this.me);
      if (this.board) {
        const frame = { type: "subscribe", board: this.board };
        if (this.epoch) Object.assign(frame, { epoch: this.epoch, seq: this.seq });
        this.socket.send(frame);
      }
      return;
    }
    if (msg.type === "status" && msg.writable) { this.resend(); return; }
    if (msg.type === "error" && msg.ref && this.pending.has(msg.ref)) {
      if (msg.code === "store_unavailable") return; // sent again when the store is back
      if (msg.code === "rate_limited") { setTimeout(() => this.resend(msg.ref), 1000 + Math.random() * 1000); return; }
      const p = this.pending.get(msg.ref);
      this.pending.delete(msg.ref);
      this.onRefused(msg);
      this.onChange(p.op.target ? [p.op.target] : null, null);
      return;
    }
    if (msg.board !== this.board) return;
    if (msg.type === "state") {
      this.epoch = msg.epoch;
      this.seq = msg.seq;
      this.confirmed = new Map(Object.entries(msg.state?.decisions || {}));
      this.onChange(null, null);
    } else if (msg.type === "caught_up") {
      this.resend();
      this.onChange(null, null);
    } else if (msg.type === "event") {
      this.event(msg);
    }
  }

  event(msg) {
    if (msg.epoch !== this.epoch || msg.seq !== this.seq + 1) {
      if (msg.epoch === this.epoch && msg.seq <= this.seq) return; // seen already
      this.resync();
      return;
    }
    this.seq = msg.seq;
    const own = this.pending.get(msg.id);
    this.pending.delete(msg.id);
    const op = msg.op || {};
    if (op.kind === "decision.set" && msg.result === "applied") {
      if (op.decision) {
        this.confirmed.set(op.target, {
          decision: op.decision, rationale: op.rationale || "", by: msg.actor?.participant || "",
          by_name: msg.actor?.name || "", ts: msg.ts, seq: msg.seq,
        });
      } else {
        this.confirmed.delete(op.target);
      }
      this.onChange([op.target], own ? null : msg.actor || null);
    }
    // decision.undo: the server sends the board's whole state right after its event.
  }

  close() {
    this.socket.close();
  }
}
