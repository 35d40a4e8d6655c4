"""The Python load generator: one process of many websocket clients, open-loop senders.

Run by bench/run.py as ``python -m bench.loadgen CONFIG.json``, usually as several processes
(``proc``/``procs`` in the config: all writers in process 0, the other clients spread over
the rest). It prints one JSON object per line on stdout (``ready``, then one ``phase`` per
``GO <index> <start>`` line it reads on stdin, ``idle`` steps, ``bulk``, ``done``) and stops at
``STOP`` or at the end of its input; every mode is bounded in time (``max_s``).

Peers it speaks to:
- ``relay``: the raw relays (bench/relay_ws.py, bench/relay_starlette.py): a text frame
  ``{"c": "a"|"d", "p": phase, "w": writer, "k": n, ...}`` is sent to everyone in the room.
- ``vh``: this project's server with its real protocol: HTTP join, ``hello``, ``subscribe``,
  ``op`` ``note.add`` and ``drag``; events are checked per board by ``seq`` (no gap, no
  repeat), drags per note by their counter (carried in ``x``; the phase in ``y``).

Workload of a phase: ``W`` writers each add a note every ``1/add_hz`` s and drag a note at
``drag_hz``; every client (writers too) receives. Latency runs from the intended send time
(bench/common.py) to receipt, counted for ops due inside the measured window. A frame that
every subscriber gets as the same bytes is parsed once (``CACHE``) and its result shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from bench import wsclient
from bench.common import bucket, intended

TEXTS = [
    "Meer tijd voor gesprekken met het bedrijfsleven",
    "Koppel de opgave aan het regionale arbeidsmarktbeeld",
    "Docenten laten meelopen bij partners",
    "Wie is eigenaar van de samenwerking?",
    "Begin klein, met één opleiding en één bedrijf",
    "Leerlingen zelf laten presenteren aan partners",
    "Gebruik het 8-tje bij de jaarplanning",
    "Te veel overleg, te weinig doen",
    "Matrix helpt om activiteiten te ordenen; kolommen per partner",
    "Reflectie na elk kwartaal",
]
ZONES = ["relevantie", "toepasbaarheid", "tips"]


# Parsed frames by their bytes: a broadcast frame is parsed once for all receivers.
CACHE: dict[bytes, tuple[Any, ...]] = {}
FRAME_ID = 0
LAST_DRAG: dict[tuple[str, int, int, int], int] = {}


def cache(payload: bytes, hit: tuple[Any, ...]) -> None:
    if len(CACHE) > 20000:
        CACHE.clear()
    CACHE[payload] = hit


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def read_line() -> str:
    return await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


class Phase:
    """One load phase: its schedule and everything measured in it."""

    def __init__(self, idx: int, spec: dict[str, Any], start: float) -> None:
        self.idx = idx
        self.spec = spec
        self.name = spec.get("name", f"phase{idx}")
        self.W = int(spec["W"])
        self.add_hz = float(spec.get("add_hz", 1.0))
        self.drag_hz = float(spec.get("drag_hz", 30.0))
        self.start = start
        self.w0 = start + float(spec.get("warmup", 2.0))
        self.w1 = self.w0 + float(spec.get("measure", 8.0))
        self.hist: dict[str, dict[int, int]] = {}
        self.lag: dict[int, int] = {}
        self.ack: dict[int, int] = {}
        self.sent = {"add": 0, "drag": 0}
        self.sent_total = {"add": 0, "drag": 0}
        self.delivered = {"add": 0, "drag": 0}
        self.delivered_total = {"add": 0, "drag": 0}
        self.expected_total = {"add": 0, "drag": 0}
        self.acked_total = 0
        self.frames = 0
        self.bytes = 0
        self.dups = 0
        self.gaps = 0
        self.reorders = 0
        self.drain_s = 0.0

    def t_add(self, w: int, k: int) -> float:
        return intended(self.start, self.W, self.add_hz, w, k)

    def t_drag(self, w: int, k: int) -> float:
        return intended(self.start, self.W, self.drag_hz, w, k)

    def record(self, kind: str, t_int: float, now: float, cat: str) -> None:
        self.delivered_total[kind] += 1
        if self.w0 <= t_int < self.w1:
            self.delivered[kind] += 1
            h = self.hist.get(cat)
            if h is None:
                h = self.hist[cat] = {}
            b = bucket(now - t_int)
            h[b] = h.get(b, 0) + 1

    def result(self, n_clients: int, complete_kinds: tuple[str, ...]) -> dict[str, Any]:
        lost = {k: max(0, self.expected_total[k] - self.delivered_total[k])
                for k in complete_kinds}
        return {
            "event": "phase", "name": self.name, "W": self.W, "add_hz": self.add_hz,
            "drag_hz": self.drag_hz, "clients": n_clients, "window": [self.w0, self.w1],
            "measure": self.w1 - self.w0, "sent": self.sent, "sent_total": self.sent_total,
            "delivered": self.delivered, "delivered_total": self.delivered_total,
            "expected_total": self.expected_total, "lost": lost, "dups": self.dups,
            "gaps": self.gaps, "reorders": self.reorders, "frames": self.frames,
            "bytes": self.bytes, "acked_total": self.acked_total, "hist": self.hist,
            "lag": self.lag, "ack": self.ack, "drain_s": self.drain_s,
        }


class Run:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.phases: list[Phase] = []
        self.cur: Phase | None = None
        self.errors: dict[str, int] = {}
        self.disconnects = 0
        self.clients: list[Client] = []
        self.writer_server: list[int] = []
        self.multi_server = len({c.get("server", 0) for c in cfg["clients"]}) > 1

    def error(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1


class Client:
    """One websocket connection of the load generator."""

    def __init__(self, run: Run, idx: int, spec: dict[str, Any]) -> None:
        self.run = run
        self.idx = idx
        self.url: str = spec["url"]
        self.http: str = spec.get("http", "")
        self.boards: list[str] = list(spec.get("boards", []))
        self.token: str | None = spec.get("token")
        self.tag: str = spec.get("tag", "p")
        self.server: int = int(spec.get("server", 0))
        self.conn: wsclient.WSClient | None = None
        self.dropping = False
        self._cats: dict[tuple[str, int], str] = {}

    def cat(self, kind: str, w: int) -> str:
        key = (kind, w)
        c = self._cats.get(key)
        if c is None:
            c = kind
            if self.tag != "p":
                c += "." + self.tag
            if self.run.multi_server:
                c += ".cross" if self.run.writer_server[w] != self.server else ".same"
            self._cats[key] = c
        return c

    def on_close(self, conn: wsclient.WSClient) -> None:
        if not self.dropping and conn is self.conn:
            self.run.disconnects += 1

    def on_message(self, op: int, payload: bytes, now: float) -> None:
        raise NotImplementedError

    def count_frame(self, payload: bytes, now: float) -> None:
        ph = self.run.cur
        if ph is not None and ph.w0 <= now < ph.w1:
            ph.frames += 1
            ph.bytes += len(payload)


class RelayClient(Client):
    def __init__(self, run: Run, idx: int, spec: dict[str, Any]) -> None:
        super().__init__(run, idx, spec)
        self.last: dict[tuple[int, int, str], int] = {}

    async def connect(self) -> None:
        self.conn = await wsclient.connect(self.url, self.on_message, self.on_close)

    def on_message(self, op: int, payload: bytes, now: float) -> None:
        self.count_frame(payload, now)
        hit = CACHE.get(payload)
        if hit is None:
            f = orjson.loads(payload)
            c, p, w, k = f["c"], f["p"], f["w"], f["k"]
            ph = self.run.phases[p]
            kind = "add" if c == "a" else "drag"
            hit = (ph, (p, w, c), k, kind, w, ph.t_add(w, k) if c == "a" else ph.t_drag(w, k))
            cache(payload, hit)
        ph, key, k, kind, w, t_int = hit
        last = self.last.get(key, -1)
        if k != last + 1:
            if k <= last:
                ph.dups += 1
                return
            ph.gaps += k - last - 1
        self.last[key] = k
        ph.record(kind, t_int, now, self.cat(kind, w))

    def send_add(self, ph: Phase, w: int, k: int, board: str) -> None:
        assert self.conn is not None
        self.conn.send_text(orjson.dumps({
            "c": "a", "p": ph.idx, "w": w, "k": k, "b": board,
            "note": {"zone": ZONES[k % 3], "text": TEXTS[k % len(TEXTS)], "color": "yellow",
                     "x": 10.0 + k % 50, "y": 20.0}}))

    def send_drag(self, ph: Phase, w: int, k: int, board: str) -> None:
        assert self.conn is not None
        self.conn.send_text(orjson.dumps({"c": "d", "p": ph.idx, "w": w, "k": k, "b": board,
                                          "x": k, "y": ph.idx}))


class VhClient(Client):
    def __init__(self, run: Run, idx: int, spec: dict[str, Any]) -> None:
        super().__init__(run, idx, spec)
        self.epoch: dict[str, str] = {}
        self.last_seq: dict[str, int] = {}
        self.drag_last: dict[str, int] = {}
        self.welcome: asyncio.Future[dict[str, Any]] | None = None
        self.caught: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.got_state: dict[str, int] = {}
        self.state_bytes = 0

    async def connect(self, resume: bool = False) -> dict[str, float]:
        """Open, hello, subscribe to every board; returns how long each step took."""
        loop = asyncio.get_running_loop()
        t0 = time.monotonic()
        self.conn = await wsclient.connect(self.url, self.on_message, self.on_close)
        t1 = time.monotonic()
        self.welcome = loop.create_future()
        self.conn.send_text(orjson.dumps({"type": "hello", "v": 1, "token": self.token,
                                          "name": f"bench {self.idx}",
                                          "batch": bool(self.run.cfg.get("batch", True))}))
        await asyncio.wait_for(self.welcome, 30)
        t2 = time.monotonic()
        for b in self.boards:
            self.caught[b] = loop.create_future()
            frame: dict[str, Any] = {"type": "subscribe", "board": b, "seq": 0}
            if resume and b in self.epoch:
                frame["epoch"] = self.epoch[b]
                frame["seq"] = self.last_seq.get(b, 0)
            self.conn.send_text(orjson.dumps(frame))
        await asyncio.wait_for(asyncio.gather(*self.caught.values()), 60)
        t3 = time.monotonic()
        return {"connect": t1 - t0, "hello": t2 - t1, "subscribe": t3 - t2, "end": t3}

    def on_message(self, op: int, payload: bytes, now: float) -> None:
        self.count_frame(payload, now)
        hit = CACHE.get(payload)
        if hit is None:
            hit = self.parse(payload)
        if hit[0] == "b":  # R54: a batch is its frames, in order
            for one in hit[1]:
                self.on_hit(one, payload, now)
        else:
            self.on_hit(hit, payload, now)

    def on_hit(self, hit: tuple[Any, ...], payload: bytes, now: float) -> None:
        kind = hit[0]
        if kind == "e":
            self.on_event(hit, now)
        elif kind == "d":
            self.on_drag(hit, now)
        else:
            self.on_other(hit[1], payload)

    def parse(self, payload: bytes) -> tuple[Any, ...]:
        """A frame as the receivers need it; events, drags and batches of them are the same
        bytes for every subscriber (R14, R54), so they are parsed once and the result shared
        by all receivers."""
        f = orjson.loads(payload)
        if f["type"] == "batch":
            hit: tuple[Any, ...] = ("b", [self.parse_one(one) for one in f["frames"]])
            if any(one[0] == "o" for one in hit[1]):
                return hit  # acks, states: one receiver's own, never shared
        else:
            hit = self.parse_frame(f)
            if hit[0] == "o":
                return hit
        cache(payload, hit)
        return hit

    def parse_one(self, f: dict[str, Any]) -> tuple[Any, ...]:
        """A frame inside a batch. A drag frame is looked up by its own bytes (the server's,
        re-encoded the same way): another receiver may have had it alone, and parsing it twice
        would count its position as going back."""
        if f["type"] != "drag":
            return self.parse_frame(f)
        key = orjson.dumps(f)
        hit = CACHE.get(key)
        if hit is None:
            hit = self.parse_frame(f)
            cache(key, hit)
        return hit

    def parse_frame(self, f: dict[str, Any]) -> tuple[Any, ...]:
        t = f["type"]
        phases = self.run.phases
        hit: tuple[Any, ...]
        if t == "event":
            op = f["op"]
            rec = None
            note = op.get("note", "") if op.get("kind") == "note.add" else ""
            if note[:1] == "a":
                p_s, w_s, k_s = note[1:].split(".")
                ph = phases[int(p_s)]
                w = int(w_s)
                rec = (ph, w, ph.t_add(w, int(k_s)))
            hit = ("e", f["board"], f["seq"], rec)
        elif t == "drag":
            global FRAME_ID
            FRAME_ID += 1
            moves = []
            ph = None
            for m in f["moves"]:
                note = m["note"]
                if note[:1] != "d":
                    continue
                w, k, p = int(note[1:]), int(m["x"]), int(m["y"])
                ph = phases[p]
                # Per server process: with two, a receiver on the writer's own process sees a
                # position before one on the other process does, and both must only go forward.
                key = (f["board"], w, p, self.server)
                if k <= LAST_DRAG.get(key, -1):
                    ph.reorders += 1  # the server sent an older position than before
                LAST_DRAG[key] = k
                moves.append((w, ph.t_drag(w, k)))
            hit = ("d", f["board"], FRAME_ID, ph, moves)
        else:
            return ("o", f)
        return hit

    def on_other(self, f: dict[str, Any], payload: bytes) -> None:
        t = f["type"]
        if t == "ack":
            self.on_ack(f, time.monotonic())
        elif t == "state":
            b = f["board"]
            self.epoch[b] = f["epoch"]
            self.last_seq[b] = f["seq"]
            self.got_state[b] = self.got_state.get(b, 0) + 1
            self.state_bytes = len(payload)
        elif t == "caught_up":
            b = f["board"]
            self.epoch[b] = f["epoch"]
            fut = self.caught.get(b)
            if fut is not None and not fut.done():
                fut.set_result(f)
        elif t == "welcome":
            if self.welcome is not None and not self.welcome.done():
                self.welcome.set_result(f)
        elif t == "error":
            self.run.error(f.get("code", "?"))
            ref = f.get("ref")
            fut = self.acks.pop(ref, None) if ref else None
            if fut is not None and not fut.done():
                fut.set_exception(RuntimeError(f"{f.get('code')}: {f.get('message')}"))
            if self.welcome is not None and not self.welcome.done():
                self.welcome.set_exception(RuntimeError(f"{f.get('code')}: {f.get('message')}"))

    def on_event(self, hit: tuple[Any, ...], now: float) -> None:
        _, b, seq, rec = hit
        last = self.last_seq.get(b, 0)
        if seq != last + 1:
            ph = self.run.cur
            if ph is not None:
                if seq <= last:
                    ph.dups += 1
                else:
                    ph.gaps += seq - last - 1
            if seq <= last:
                return
        self.last_seq[b] = seq
        if rec is not None:
            ph2, w, t_int = rec
            ph2.record("add", t_int, now, self.cat("add", w))

    def on_drag(self, hit: tuple[Any, ...], now: float) -> None:
        _, b, fid, ph, moves = hit
        if ph is None:
            return
        if fid <= self.drag_last.get(b, 0):
            ph.reorders += 1
            return
        self.drag_last[b] = fid
        record = ph.record
        cat = self.cat
        for w, t_int in moves:
            record("drag", t_int, now, cat("drag", w))

    def on_ack(self, f: dict[str, Any], now: float) -> None:
        op_id: str = f["id"]
        fut = self.acks.pop(op_id, None)
        if fut is not None:
            if not fut.done():
                fut.set_result(f)
            return
        if op_id[0] == "o":
            p_s, w_s, k_s = op_id[1:].split(".")
            ph = self.run.phases[int(p_s)]
            ph.acked_total += 1
            t_int = ph.t_add(int(w_s), int(k_s))
            if ph.w0 <= t_int < ph.w1:
                b = bucket(now - t_int)
                ph.ack[b] = ph.ack.get(b, 0) + 1

    async def op(self, board: str, op: dict[str, Any], op_id: str) -> dict[str, Any]:
        assert self.conn is not None
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.acks[op_id] = fut
        self.conn.send_text(orjson.dumps({"type": "op", "id": op_id, "board": board, "op": op}))
        return await asyncio.wait_for(fut, 30)

    def send_add(self, ph: Phase, w: int, k: int, board: str) -> None:
        assert self.conn is not None
        self.conn.send_text(orjson.dumps({
            "type": "op", "id": f"o{ph.idx}.{w}.{k}", "board": board,
            "op": {"kind": "note.add", "note": f"a{ph.idx}.{w}.{k}", "zone": ZONES[k % 3],
                   "text": TEXTS[k % len(TEXTS)], "color": "yellow", "x": 10.0 + k % 50,
                   "y": 20.0}}))

    def send_drag(self, ph: Phase, w: int, k: int, board: str) -> None:
        assert self.conn is not None
        self.conn.send_text(orjson.dumps({"type": "drag", "board": board, "note": f"d{w}",
                                          "x": k, "y": ph.idx}))


# --- setting up -----------------------------------------------------------------------------


async def gather_limited(n: int, coros: list[Any]) -> list[Any]:
    sem = asyncio.Semaphore(n)

    async def one(c: Any) -> Any:
        async with sem:
            return await c

    return await asyncio.gather(*(one(c) for c in coros))


async def vh_tokens(clients: list[VhClient], code: str) -> None:
    need = [c for c in clients if not c.token]
    if not need:
        return
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=16)) as http:
        async def join(c: VhClient) -> None:
            r = await http.get(f"{c.http}/api/join/{code}")
            r.raise_for_status()
            c.token = r.json()["token"]

        await gather_limited(16, [join(c) for c in need])


async def connect_all(run: Run, clients: list[Client]) -> dict[str, Any]:
    t0 = time.monotonic()
    if run.cfg["peer"] == "vh":
        await vh_tokens([c for c in clients if isinstance(c, VhClient)], run.cfg.get("code", ""))
    t1 = time.monotonic()
    steps = await gather_limited(32, [c.connect() for c in clients])
    t2 = time.monotonic()
    subs = sorted(s["subscribe"] for s in steps if s) if steps and steps[0] else []
    return {"http_s": t1 - t0, "connect_s": t2 - t1,
            "subscribe_p50_ms": subs[len(subs) // 2] * 1000 if subs else None,
            "subscribe_max_ms": subs[-1] * 1000 if subs else None}


def make_clients(run: Run) -> list[Client]:
    cls: type[Client] = VhClient if run.cfg["peer"] == "vh" else RelayClient
    return [cls(run, i, spec) for i, spec in enumerate(run.cfg["clients"])]


async def add_drag_notes(run: Run, writers: list[Client], boards: list[str]) -> None:
    """Every writer of the vh peer drags a note of its own: add it before the load starts."""
    async def one(w: int, c: Client) -> None:
        assert isinstance(c, VhClient)
        ack = await c.op(boards[w], {"kind": "note.add", "note": f"d{w}", "zone": "tips",
                                     "text": f"sleep mij ({w})", "x": 5.0, "y": 5.0},
                         f"setup.{w}")
        if ack.get("result") not in ("applied", None):
            raise RuntimeError(f"drag note d{w}: {ack}")

    await gather_limited(16, [one(w, c) for w, c in enumerate(writers)])


# --- load phases ----------------------------------------------------------------------------


def receivers_per_board(clients: list[Client]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in clients:
        for b in c.boards:
            out[b] = out.get(b, 0) + 1
    return out


async def drive(run: Run, ph: Phase, writers: list[Client], boards: list[str]) -> None:
    """Send every op of the phase at its intended time (open loop)."""
    heap: list[tuple[float, int, int, int]] = []  # (due, kind 0=add 1=drag, w, k)
    end = ph.w1
    for w in range(ph.W):
        if ph.add_hz > 0:
            heap.append((ph.t_add(w, 0), 0, w, 0))
        if ph.drag_hz > 0:
            heap.append((ph.t_drag(w, 0), 1, w, 0))
    heapq.heapify(heap)
    lag = ph.lag
    monotonic = time.monotonic
    while heap:
        due = heap[0][0]
        now = monotonic()
        if due > now:
            await asyncio.sleep(due - now)
            continue
        _, kind, w, k = heapq.heappop(heap)
        c, board = writers[w], boards[w]
        name = "add" if kind == 0 else "drag"
        if kind == 0:
            c.send_add(ph, w, k, board)  # type: ignore[attr-defined]
        else:
            c.send_drag(ph, w, k, board)  # type: ignore[attr-defined]
        ph.sent_total[name] += 1
        if ph.w0 <= due < ph.w1:
            ph.sent[name] += 1
            b = bucket(now - due)
            lag[b] = lag.get(b, 0) + 1
        nk = k + 1
        nt = ph.t_add(w, nk) if kind == 0 else ph.t_drag(w, nk)
        if nt < end:
            heapq.heappush(heap, (nt, kind, w, nk))


async def drain(run: Run, ph: Phase, complete: tuple[str, ...], timeout: float,
                drives: bool) -> None:
    await asyncio.sleep(max(0.0, ph.w1 - time.monotonic()))
    t0 = time.monotonic()
    vh = run.cfg["peer"] == "vh"
    while time.monotonic() - t0 < timeout:
        done = all(ph.delivered_total[k] >= ph.expected_total[k] for k in complete)
        if vh and drives:
            done = done and ph.acked_total >= ph.sent_total["add"]
        if done:
            break
        await asyncio.sleep(0.02)
    ph.drain_s = time.monotonic() - t0
    await asyncio.sleep(0.1)  # the last drag tick of a coalescing server


def owner(cfg: dict[str, Any]) -> list[int]:
    """Which load-generator process drives each client: the writers all in process 0 (so
    their send times are not held up by receivers' work), the other clients spread over the
    remaining processes."""
    procs = int(cfg.get("procs", 1))
    writers = set(cfg.get("writers", []))
    out, n = [], 0
    for i in range(len(cfg["clients"])):
        if procs == 1 or i in writers:
            out.append(0)
        else:
            out.append(1 + n % (procs - 1))
            n += 1
    return out


def planned(ph: Phase, kind: str) -> list[int]:
    """How many ops of ``kind`` each writer sends in the phase (the schedule is fixed)."""
    hz = ph.add_hz if kind == "add" else ph.drag_hz
    t = ph.t_add if kind == "add" else ph.t_drag
    out = []
    for w in range(ph.W):
        k = 0
        if hz > 0:
            while t(w, k) < ph.w1:
                k += 1
        out.append(k)
    return out


async def load(run: Run) -> None:
    cfg = run.cfg
    me = int(cfg.get("proc", 0))
    clients = make_clients(run)
    owners = owner(cfg)
    mine = [c for c in clients if owners[c.idx] == me]
    run.clients = mine
    setup = await connect_all(run, mine)
    writers = [clients[i] for i in cfg["writers"]]
    run.writer_server = [c.server for c in writers]
    boards = [c.boards[0] for c in writers]
    max_w = max(int(p["W"]) for p in cfg["phases"])
    drives = me == 0
    if cfg["peer"] == "vh" and drives:
        await add_drag_notes(run, writers[:max_w], boards)
    receivers = receivers_per_board(mine)
    complete: tuple[str, ...] = ("add",) if cfg["peer"] == "vh" else ("add", "drag")
    emit({"event": "ready", "setup": setup, "clients": len(mine)})
    storm = cfg.get("storm")
    while True:
        line = (await read_line()).split()
        if not line or line[0] != "GO":
            break
        i, start = int(line[1]), float(line[2])
        ph = Phase(i, cfg["phases"][i], start)
        while len(run.phases) <= i:
            run.phases.append(ph)
        run.phases[i] = ph
        run.cur = ph
        for kind in ("add", "drag"):
            ph.expected_total[kind] = sum(n * receivers.get(boards[w], 0)
                                          for w, n in enumerate(planned(ph, kind)))
        errors_before = dict(run.errors)
        disconnects_before = run.disconnects
        tasks = []
        if drives:
            tasks.append(asyncio.create_task(drive(run, ph, writers, boards)))
        if storm and i == storm.get("phase", 0):
            tasks.append(asyncio.create_task(do_storm(run, ph, clients, owners, me, storm)))
        results = await asyncio.gather(*tasks)
        await drain(run, ph, complete, float(cfg.get("drain", 4.0)), drives)
        res = ph.result(len(mine), complete)
        res["errors"] = {k: v - errors_before.get(k, 0) for k, v in run.errors.items()
                         if v - errors_before.get(k, 0)}
        res["disconnects"] = run.disconnects - disconnects_before
        if cfg["peer"] == "vh":
            res["seqs"] = seq_report(run)
        storms = [r for r in results if isinstance(r, dict)]
        if storms:
            res["storm"] = storms[0]
        emit(res)
        run.cur = None


def seq_report(run: Run) -> dict[str, dict[str, int]]:
    """Per board: the highest seq any client here reached, their sum and count (the
    orchestrator works out how far behind the top every client ended up)."""
    top: dict[str, int] = {}
    total: dict[str, int] = {}
    n: dict[str, int] = {}
    for c in run.clients:
        assert isinstance(c, VhClient)
        for b in c.boards:
            s = c.last_seq.get(b, 0)
            top[b] = max(top.get(b, 0), s)
            total[b] = total.get(b, 0) + s
            n[b] = n.get(b, 0) + 1
    return {"top": top, "sum": total, "n": n}


# --- a reconnect storm (vh) -----------------------------------------------------------------


async def do_storm(run: Run, ph: Phase, clients: list[Client], owners: list[int], me: int,
                   spec: dict[str, Any]) -> dict[str, Any]:
    """``count`` clients (not writers) vanish at once, stay away ``gap_s`` while the writers go
    on, then all resume at once with ``subscribe {epoch, seq}`` (R8)."""
    at = ph.w0 + float(spec.get("after_s", 2.0))
    gap = float(spec.get("gap_s", 1.0))
    writers = set(run.cfg["writers"])
    chosen = [c for c in clients if c.idx not in writers][: int(spec["count"])]
    victims = [c for c in chosen if owners[c.idx] == me and isinstance(c, VhClient)]
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    seq_before = {c.idx: dict(c.last_seq) for c in victims}
    for c in victims:
        c.dropping = True
        assert c.conn is not None
        c.conn.abort()
    t_resume = at + gap
    await asyncio.sleep(max(0.0, t_resume - time.monotonic()))
    states_before = {c.idx: sum(c.got_state.values()) for c in victims}

    async def resume(c: VhClient) -> float:
        assert isinstance(c, VhClient)
        steps = await c.connect(resume=True)
        c.dropping = False
        return float(steps["end"] - t_resume)

    times = await asyncio.gather(*(resume(c) for c in victims), return_exceptions=True)
    ok = [t for t in times if isinstance(t, float)]
    failures = [repr(t) for t in times if not isinstance(t, float)]
    return {
        "clients": len(victims), "gap_s": gap, "times": ok, "failures": failures[:5],
        "failed": len(failures),
        "full_states": sum(sum(c.got_state.values()) - states_before[c.idx] for c in victims),
        "missed_before": sum(1 for c in victims for b in c.boards
                             if c.last_seq.get(b, 0) < seq_before[c.idx].get(b, 0)),
    }


# --- idle connections -----------------------------------------------------------------------


async def idle(run: Run) -> None:
    clients = make_clients(run)
    run.clients = clients
    done = 0
    for step in run.cfg["idle_steps"]:
        batch = clients[done:step]
        info = await connect_all(run, batch)
        done = step
        await asyncio.sleep(1.0)
        emit({"event": "idle", "n": done, "setup": info, "disconnects": run.disconnects,
              "errors": run.errors})
        await read_line()


# --- a big board (vh) -----------------------------------------------------------------------


async def bulk(run: Run) -> None:
    """Fill a board with ``notes`` notes, then time fresh clients' full-state joins."""
    cfg = run.cfg
    spec = cfg["bulk"]
    clients = make_clients(run)
    run.clients = clients
    n_writers = int(spec.get("writers", 20))
    writers = clients[:n_writers]
    await connect_all(run, writers)
    total = int(spec["notes"])
    per = total // n_writers
    board = writers[0].boards[0]
    rate = float(spec.get("rate", 50.0))
    rnd = random.Random(7)
    t0 = time.monotonic()

    async def fill(i: int, c: Client) -> None:
        assert isinstance(c, VhClient)
        futs = []
        start = time.monotonic()
        for k in range(per):
            due = start + k / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            text = " ".join(rnd.choice(TEXTS).split()[: rnd.randint(3, 9)])
            futs.append(asyncio.ensure_future(c.op(board, {
                "kind": "note.add", "note": f"b{i}.{k}", "zone": ZONES[k % 3], "text": text,
                "color": ["yellow", "pink", "blue", "green"][k % 4],
                "x": float(rnd.randint(0, 400)), "y": float(rnd.randint(0, 300))},
                f"b{i}.{k}")))
        await asyncio.gather(*futs)

    await asyncio.gather(*(fill(i, c) for i, c in enumerate(writers)))
    fill_s = time.monotonic() - t0
    for c in writers:
        if c.conn is not None:
            c.conn.close()
    joins: list[dict[str, float]] = []
    sizes: list[int] = []
    for c in clients[n_writers:]:
        assert isinstance(c, VhClient)
        if not c.token:
            await vh_tokens([c], cfg.get("code", ""))
        steps = await c.connect()
        joins.append({k: v * 1000 for k, v in steps.items() if k != "end"})
        sizes.append(c.state_bytes)
        assert c.conn is not None
        c.conn.close()
        await asyncio.sleep(0.2)
    emit({"event": "bulk", "notes": per * n_writers, "fill_s": fill_s, "joins_ms": joins,
          "state_bytes": max(sizes) if sizes else 0, "errors": run.errors})


async def main_async(cfg: dict[str, Any]) -> None:
    run = Run(cfg)
    mode = cfg.get("mode", "load")
    modes: dict[str, Callable[[Run], Any]] = {"load": load, "idle": idle, "bulk": bulk}
    try:
        # Bounded whatever happens to the orchestrator: it also ends at end of input.
        await asyncio.wait_for(modes[mode](run), float(cfg.get("max_s", 900)))
    finally:
        for c in run.clients:
            c.dropping = True
            if c.conn is not None:
                with contextlib.suppress(Exception):
                    c.conn.close()
        await asyncio.sleep(0.2)
    emit({"event": "done", "errors": run.errors, "disconnects": run.disconnects})


def main() -> None:
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    try:  # the servers under test run on uvloop too (uvicorn picks it when installed)
        import uvloop
    except ImportError:
        asyncio.run(main_async(cfg))
    else:
        uvloop.run(main_async(cfg))


if __name__ == "__main__":
    main()
