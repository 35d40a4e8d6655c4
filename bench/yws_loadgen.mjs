// Peer (3)'s load generator: the same workload as bench/loadgen.py, spoken to a y-websocket
// server (node_modules/y-websocket/bin/server.js) through the Yjs sync protocol.
//
// Every note is a Y.Map in the document's top-level map "notes"; a note.add is one transaction
// that creates it, a drag is one transaction that sets x, y and a marker on the writer's own
// drag note. Each op carries a marker string "A|phase|writer|k" or "D|phase|writer|k", which
// Yjs stores verbatim (ContentAny strings), so receivers find it in the update bytes without
// applying the update. Writers hold a real Y.Doc; a few receivers per run ("verifiers") apply
// every update to a real Y.Doc and check at the end that every note is there.
//
// Same config (JSON file in argv[2]) and the same output lines as loadgen.py, histograms with the
// same bucket formula (bench/common.py), times on the same clock (CLOCK_MONOTONIC).

import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import WebSocket from "ws";
import * as Y from "yjs";
import * as syncProtocol from "y-protocols/sync";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const BUCKETS_PER_E = 100;
const perf0 = performance.now();
const mono0 = Number(process.hrtime.bigint()) / 1e9;
const mono = () => mono0 + (performance.now() - perf0) / 1000;
const sleep = (s) => new Promise((r) => setTimeout(r, Math.max(0, s * 1000)));
const bucket = (lat) => { const us = lat * 1e6; return us > 1 ? Math.floor(Math.log(us) * BUCKETS_PER_E) : 0; };
const intended = (start, writers, hz, w, k) => start + (w / writers + k) / hz;
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const TEXTS = ["Meer tijd voor gesprekken met het bedrijfsleven", "Docenten laten meelopen bij partners",
  "Wie is eigenaar van de samenwerking?", "Begin klein, met één opleiding en één bedrijf"];
const ZONES = ["relevantie", "toepasbaarheid", "tips"];

let stdinLines = null;
function readLine() {
  if (!stdinLines) {
    const rl = createInterface({ input: process.stdin });
    stdinLines = { queue: [], waiters: [] };
    rl.on("line", (l) => { const w = stdinLines.waiters.shift(); if (w) w(l); else stdinLines.queue.push(l); });
    rl.on("close", () => { stdinLines.closed = true; for (const w of stdinLines.waiters.splice(0)) w(""); });
  }
  if (stdinLines.queue.length) return Promise.resolve(stdinLines.queue.shift());
  if (stdinLines.closed) return Promise.resolve("");
  return new Promise((r) => stdinLines.waiters.push(r));
}

class Phase {
  constructor(idx, spec, start) {
    this.idx = idx; this.spec = spec; this.name = spec.name || `phase${idx}`;
    this.W = spec.W; this.add_hz = spec.add_hz ?? 1; this.drag_hz = spec.drag_hz ?? 30;
    this.start = start; this.w0 = start + (spec.warmup ?? 2); this.w1 = this.w0 + (spec.measure ?? 8);
    this.hist = {}; this.lag = {};
    this.sent = { add: 0, drag: 0 }; this.sent_total = { add: 0, drag: 0 };
    this.delivered = { add: 0, drag: 0 }; this.delivered_total = { add: 0, drag: 0 };
    this.expected_total = { add: 0, drag: 0 };
    this.frames = 0; this.bytes = 0; this.dups = 0; this.gaps = 0; this.reorders = 0; this.drain_s = 0;
  }
  tAdd(w, k) { return intended(this.start, this.W, this.add_hz, w, k); }
  tDrag(w, k) { return intended(this.start, this.W, this.drag_hz, w, k); }
  record(kind, tInt, now, cat) {
    this.delivered_total[kind] += 1;
    if (tInt >= this.w0 && tInt < this.w1) {
      this.delivered[kind] += 1;
      const h = this.hist[cat] || (this.hist[cat] = {});
      const b = bucket(now - tInt);
      h[b] = (h[b] || 0) + 1;
    }
  }
  result(nClients) {
    const lost = {};
    for (const k of ["add", "drag"]) lost[k] = Math.max(0, this.expected_total[k] - this.delivered_total[k]);
    return {
      event: "phase", name: this.name, W: this.W, add_hz: this.add_hz, drag_hz: this.drag_hz,
      clients: nClients, window: [this.w0, this.w1], measure: this.w1 - this.w0, sent: this.sent,
      sent_total: this.sent_total, delivered: this.delivered, delivered_total: this.delivered_total,
      expected_total: this.expected_total, lost, dups: this.dups, gaps: this.gaps,
      reorders: this.reorders, frames: this.frames, bytes: this.bytes, acked_total: 0,
      hist: this.hist, lag: this.lag, ack: {}, drain_s: this.drain_s,
    };
  }
}

const run = { phases: [], cur: null, errors: {}, disconnects: 0, clients: [], writerServer: [], addsByBoard: {} };
run.multi = new Set(cfg.clients.map((c) => c.server || 0)).size > 1;

const emptyDoc = new Y.Doc();
function step1(doc) {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  syncProtocol.writeSyncStep1(e, doc);
  return encoding.toUint8Array(e);
}
function step2(doc) {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  syncProtocol.writeSyncStep2(e, doc);
  return encoding.toUint8Array(e);
}
const EMPTY_STEP1 = step1(emptyDoc);
const EMPTY_STEP2 = step2(emptyDoc);

class Client {
  constructor(idx, spec, role) {
    this.idx = idx; this.url = spec.url; this.boards = spec.boards || []; this.tag = spec.tag || "p";
    this.server = spec.server || 0; this.role = role; // "light" | "writer" | "verifier"
    this.last = new Map(); this.cats = new Map(); this.dropping = false;
    this.doc = role === "light" ? null : new Y.Doc();
    this.synced = null; this.syncBytes = 0;
    if (role === "writer") {
      this.doc.on("update", (u, origin) => {
        if (origin === "remote") return;
        const e = encoding.createEncoder();
        encoding.writeVarUint(e, 0);
        syncProtocol.writeUpdate(e, u);
        this.send(encoding.toUint8Array(e));
      });
    }
  }
  cat(kind, w) {
    const key = w * 2 + kind;
    let c = this.cats.get(key);
    if (c === undefined) {
      c = kind === 0 ? "add" : "drag";
      if (this.tag !== "p") c += "." + this.tag;
      if (run.multi) c += run.writerServer[w] !== this.server ? ".cross" : ".same";
      this.cats.set(key, c);
    }
    return c;
  }
  send(data) { if (this.ws && this.ws.readyState === 1) this.ws.send(data); }
  connect() {
    return new Promise((resolve, reject) => {
      const t0 = mono();
      let synced = false;
      this.ws = new WebSocket(this.url, { perMessageDeflate: false });
      this.ws.binaryType = "nodebuffer";
      this.synced = () => { if (!synced) { synced = true; resolve({ join: mono() - t0, bytes: this.syncBytes }); } };
      this.ws.on("open", () => { this.send(this.doc ? step1(this.doc) : EMPTY_STEP1); });
      this.ws.on("message", (data) => this.onMessage(data));
      this.ws.on("error", (err) => { if (process.env.YDEBUG) console.error("error", this.idx, err.message); if (!synced) reject(err); });
      this.ws.on("close", (code, reason) => { if (!this.dropping) { run.disconnects += 1; if (process.env.YDEBUG) console.error("close", this.idx, code, String(reason)); } if (!synced) reject(new Error("closed")); });
    });
  }
  onMessage(buf) {
    const now = mono();
    const ph = run.cur;
    if (ph && now >= ph.w0 && now < ph.w1) { ph.frames += 1; ph.bytes += buf.length; }
    if (buf[0] !== 0) return; // awareness and others
    const sub = buf[1];
    if (sub === 2) {
      if (this.role === "verifier") {
        const d = decoding.createDecoder(buf);
        decoding.readVarUint(d); decoding.readVarUint(d);
        Y.applyUpdate(this.doc, decoding.readVarUint8Array(d), "remote");
      }
      this.scan(buf, now);
      return;
    }
    if (this.doc) {
      const d = decoding.createDecoder(buf);
      decoding.readVarUint(d);
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, 0);
      syncProtocol.readSyncMessage(d, e, this.doc, "remote");
      if (encoding.length(e) > 1) this.send(encoding.toUint8Array(e));
    } else if (sub === 0) {
      this.send(EMPTY_STEP2);
    }
    if (sub === 1) { this.syncBytes = buf.length; if (this.synced) this.synced(); }
  }
  scan(buf, now) {
    // Find the marker "A|p|w|k" or "D|p|w|k" in the update bytes without making strings.
    let i = buf.indexOf(124, 3); // '|'
    while (i > 0) {
      const c = buf[i - 1];
      if (c === 65 || c === 68) { // 'A' or 'D'
        const v = [0, 0, 0];
        let j = i + 1;
        let ok = true;
        for (let n = 0; n < 3; n++) {
          const s = j;
          let x = 0;
          while (j < buf.length && buf[j] >= 48 && buf[j] <= 57) { x = x * 10 + buf[j] - 48; j++; }
          if (j === s) { ok = false; break; }
          v[n] = x;
          if (n < 2) { if (buf[j] !== 124) { ok = false; break; } j++; }
        }
        if (ok) { this.mark(c === 65, v[0], v[1], v[2], now); i = buf.indexOf(124, j); continue; }
      }
      i = buf.indexOf(124, i + 1);
    }
  }
  mark(isAdd, p, w, k, now) {
    const ph = run.phases[p];
    if (!ph) return;
    const key = (p * 100000 + w) * 2 + (isAdd ? 0 : 1);
    const last = this.last.has(key) ? this.last.get(key) : -1;
    if (k !== last + 1) {
      if (k <= last) { ph.dups += 1; return; }
      ph.gaps += k - last - 1;
    }
    this.last.set(key, k);
    if (isAdd) ph.record("add", ph.tAdd(w, k), now, this.cat(0, w));
    else ph.record("drag", ph.tDrag(w, k), now, this.cat(1, w));
  }
  close() { this.dropping = true; try { this.ws.close(); } catch { /* gone */ } }
}

async function gatherLimited(n, fns) {
  const out = new Array(fns.length);
  let i = 0;
  async function worker() { while (i < fns.length) { const j = i++; out[j] = await fns[j](); } }
  await Promise.all(Array.from({ length: Math.min(n, fns.length) }, worker));
  return out;
}

function makeClients() {
  // One verifier (a full Y.Doc applying every update) per document, the first non-writer on it.
  const writers = new Set(cfg.writers || []);
  const verified = new Set();
  return cfg.clients.map((spec, i) => {
    let role = "light";
    const doc = (spec.boards || [])[0];
    if (writers.has(i)) role = "writer";
    else if (cfg.verifiers !== 0 && !verified.has(doc)) { role = "verifier"; verified.add(doc); }
    return new Client(i, spec, role);
  });
}

async function connectAll(clients) {
  const t0 = mono();
  const joins = await gatherLimited(32, clients.map((c) => () => c.connect()));
  const js = joins.map((j) => j.join).sort((a, b) => a - b);
  return { http_s: 0, connect_s: mono() - t0, subscribe_p50_ms: js[js.length >> 1] * 1000, subscribe_max_ms: js[js.length - 1] * 1000 };
}

function receiversPerBoard(clients) {
  const out = {};
  for (const c of clients) for (const b of c.boards) out[b] = (out[b] || 0) + 1;
  return out;
}

function dragNote(c, w) {
  const notes = c.doc.getMap("notes");
  let m = notes.get(`d${w}`);
  if (!m) {
    c.doc.transact(() => {
      m = new Y.Map();
      notes.set(`d${w}`, m);
      m.set("zone", "tips"); m.set("text", `sleep mij (${w})`); m.set("color", "yellow");
      m.set("x", 5); m.set("y", 5);
    });
  }
  return m;
}

function sendAdd(c, ph, w, k) {
  const notes = c.doc.getMap("notes");
  c.doc.transact(() => {
    const m = new Y.Map();
    notes.set(`a${ph.idx}.${w}.${k}`, m);
    m.set("zone", ZONES[k % 3]); m.set("text", TEXTS[k % TEXTS.length]); m.set("color", "yellow");
    m.set("x", 10 + (k % 50)); m.set("y", 20); m.set("m", `A|${ph.idx}|${w}|${k}`);
  });
}

function sendDrag(c, dm, ph, w, k) {
  c.doc.transact(() => { dm.set("x", k); dm.set("y", ph.idx); dm.set("m", `D|${ph.idx}|${w}|${k}`); });
}

class Heap {
  constructor() { this.a = []; }
  push(x) { const a = this.a; a.push(x); let i = a.length - 1; while (i > 0) { const p = (i - 1) >> 1; if (a[p][0] <= a[i][0]) break; [a[p], a[i]] = [a[i], a[p]]; i = p; } }
  pop() {
    const a = this.a; const top = a[0]; const last = a.pop();
    if (a.length) { a[0] = last; let i = 0; for (;;) { const l = 2 * i + 1, r = l + 1; let m = i; if (l < a.length && a[l][0] < a[m][0]) m = l; if (r < a.length && a[r][0] < a[m][0]) m = r; if (m === i) break; [a[m], a[i]] = [a[i], a[m]]; i = m; } }
    return top;
  }
  get size() { return this.a.length; }
  peek() { return this.a[0]; }
}

async function drive(ph, writers, dragNotes, boards) {
  const heap = new Heap();
  for (let w = 0; w < ph.W; w++) {
    if (ph.add_hz > 0) heap.push([ph.tAdd(w, 0), 0, w, 0]);
    if (ph.drag_hz > 0) heap.push([ph.tDrag(w, 0), 1, w, 0]);
  }
  while (heap.size) {
    const due = heap.peek()[0];
    const now = mono();
    if (due > now) { await sleep(due - now); continue; }
    const [, kind, w, k] = heap.pop();
    const c = writers[w];
    const name = kind === 0 ? "add" : "drag";
    if (kind === 0) {
      sendAdd(c, ph, w, k);
      run.addsByBoard[boards[w]] = (run.addsByBoard[boards[w]] || 0) + 1;
    } else sendDrag(c, dragNotes[w], ph, w, k);
    ph.sent_total[name] += 1;
    if (due >= ph.w0 && due < ph.w1) {
      ph.sent[name] += 1;
      const b = bucket(now - due);
      ph.lag[b] = (ph.lag[b] || 0) + 1;
    }
    const nk = k + 1;
    const nt = kind === 0 ? ph.tAdd(w, nk) : ph.tDrag(w, nk);
    if (nt < ph.w1) heap.push([nt, kind, w, nk]);
  }
}

async function drain(ph, timeout) {
  await sleep(ph.w1 - mono());
  const t0 = mono();
  while (mono() - t0 < timeout) {
    if (ph.delivered_total.add >= ph.expected_total.add && ph.delivered_total.drag >= ph.expected_total.drag) break;
    await sleep(0.02);
  }
  ph.drain_s = mono() - t0;
  await sleep(0.1);
}

function owners() {
  // Writers all in process 0 (their send times are not held up by receivers' work), the other
  // clients spread over the other processes; the same rule as loadgen.py.
  const procs = cfg.procs ?? 1;
  const writers = new Set(cfg.writers || []);
  const out = [];
  let n = 0;
  for (let i = 0; i < cfg.clients.length; i++) {
    if (procs === 1 || writers.has(i)) out.push(0);
    else { out.push(1 + (n % (procs - 1))); n += 1; }
  }
  return out;
}

function planned(ph, kind) {
  const hz = kind === "add" ? ph.add_hz : ph.drag_hz;
  const out = [];
  for (let w = 0; w < ph.W; w++) {
    let k = 0;
    if (hz > 0) while ((kind === "add" ? ph.tAdd(w, k) : ph.tDrag(w, k)) < ph.w1) k += 1;
    out.push(k);
  }
  return out;
}

async function load() {
  const me = cfg.proc ?? 0;
  const own = owners();
  const all = makeClients();
  const mine = all.filter((c) => own[c.idx] === me);
  run.clients = mine;
  const setup = await connectAll(mine);
  const writers = cfg.writers.map((i) => all[i]);
  run.writerServer = writers.map((c) => c.server);
  const boards = writers.map((c) => c.boards[0]);
  const maxW = Math.max(...cfg.phases.map((p) => p.W));
  const drives = me === 0;
  const dragNotes = drives ? writers.slice(0, maxW).map((c, w) => dragNote(c, w)) : [];
  const receivers = receiversPerBoard(mine);
  emit({ event: "ready", setup, clients: mine.length });
  for (;;) {
    const line = (await readLine()).trim().split(/\s+/);
    if (line[0] !== "GO") break;
    const i = +line[1];
    const ph = new Phase(i, cfg.phases[i], +line[2]);
    run.phases[i] = ph;
    run.cur = ph;
    for (const kind of ["add", "drag"]) {
      ph.expected_total[kind] = planned(ph, kind).reduce((s, n, w) => s + n * (receivers[boards[w]] || 0), 0);
    }
    const before = run.disconnects;
    if (drives) await drive(ph, writers, dragNotes, boards);
    await drain(ph, cfg.drain ?? 4);
    const res = ph.result(mine.length);
    res.errors = {};
    res.disconnects = run.disconnects - before;
    emit(res);
    run.cur = null;
  }
  // The verifiers applied every update to a real Y.Doc: every note sent must be in it. An
  // overloaded server may still be sending: wait until their documents stop growing (bounded).
  const count = () => mine.filter((c) => c.role === "verifier")
    .reduce((s, c) => s + c.doc.getMap("notes").size, 0);
  const t0 = mono();
  let last = count();
  let stable = mono();
  while (mono() - t0 < 30 && mono() - stable < 3) {
    await sleep(0.1);
    const now = count();
    if (now !== last) { last = now; stable = mono(); }
  }
  const verify = [];
  for (const c of mine) {
    if (c.role !== "verifier") continue;
    let adds = 0;
    for (const [id] of c.doc.getMap("notes")) if (id[0] === "a") adds += 1;
    verify.push({ client: c.idx, board: c.boards[0], notes: adds });
  }
  emit({ event: "verify", adds_by_board: run.addsByBoard, verifiers: verify, waited_s: mono() - t0 });
}

async function idle() {
  const clients = makeClients();
  run.clients = clients;
  let done = 0;
  for (const step of cfg.idle_steps) {
    const setup = await connectAll(clients.slice(done, step));
    done = step;
    await sleep(1.0);
    emit({ event: "idle", n: done, setup, disconnects: run.disconnects, errors: run.errors });
    await readLine();
  }
}

async function bulk() {
  const spec = cfg.bulk;
  const clients = makeClients();
  run.clients = clients;
  const writer = new Client(0, cfg.clients[0], "writer");
  await writer.connect();
  const notes = writer.doc.getMap("notes");
  const t0 = mono();
  for (let k = 0; k < spec.notes; k++) {
    writer.doc.transact(() => {
      const m = new Y.Map();
      notes.set(`b0.${k}`, m);
      m.set("zone", ZONES[k % 3]); m.set("text", TEXTS[k % TEXTS.length]);
      m.set("color", ["yellow", "pink", "blue", "green"][k % 4]);
      m.set("x", (k * 37) % 400); m.set("y", (k * 53) % 300);
    });
    if (k % 200 === 199) await sleep(0.005);
  }
  // A second connection that follows the document tells when the server has it all.
  const probe = new Client(1, cfg.clients[0], "verifier");
  await probe.connect();
  while (probe.doc.getMap("notes").size < spec.notes && mono() - t0 < 60) await sleep(0.05);
  const fillS = mono() - t0;
  writer.close(); probe.close();
  const joins = [];
  for (let i = 0; i < (spec.joins ?? 5); i++) {
    const light = new Client(2 + i, cfg.clients[0], "light");
    const j = await light.connect();
    light.close();
    const full = new Client(100 + i, cfg.clients[0], "verifier");
    const t = mono();
    await full.connect();
    const applied = mono() - t;
    const n = full.doc.getMap("notes").size;
    full.close();
    joins.push({ subscribe: j.join * 1000, bytes: j.bytes, applied_ms: applied * 1000, notes: n });
    await sleep(0.2);
  }
  emit({ event: "bulk", notes: spec.notes, fill_s: fillS, joins_ms: joins, state_bytes: joins.length ? joins[0].bytes : 0, errors: run.errors });
}

// Bounded whatever happens to the orchestrator.
setTimeout(() => { emit({ event: "done", errors: { timeout: 1 }, disconnects: run.disconnects }); process.exit(3); }, (cfg.max_s ?? 900) * 1000).unref();
const modes = { load, idle, bulk };
try {
  await modes[cfg.mode || "load"]();
} finally {
  for (const c of run.clients) c.close();
  await sleep(0.2);
}
emit({ event: "done", errors: run.errors, disconnects: run.disconnects });
process.exit(0);
