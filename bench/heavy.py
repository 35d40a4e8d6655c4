"""Heavy requests and votes: how long the server's event loop stalls (R44), and vote.cast p99.

The server runs as ``bench/serve_probe.py --lag``: ``python -m server serve`` with a task in its
event loop that sleeps 1 ms at a time and records every overshoot longer than 2 ms with its
``time.monotonic()`` (the same clock in every process on Linux), and the garbage collector's
pauses. Each heavy request is timed here from send to answer; the longest overshoot inside
that window is the longest the event loop stalled during it, for everyone — counted as the
part of it the server's process spent working (its CPU time meanwhile), since on a shared
machine a process that waits for a CPU is late through no work of its own; the plain
overshoot is kept too (``late_ms``).

Requests: suggestions for a station of 2,000 notes, a 30 MiB import, the export (JSON, CSV,
Markdown, HTML) of a 5,000-note session, and 600 edits on a 20,000-note board (a compaction
snapshot every 500 ops). Then 40 voters following the control board cast and take back a dot
a second each while 40 writers add notes: the p99 from sending an op to its ack, per kind.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import orjson
from websockets.asyncio.client import connect

from bench import peers

STATIONS = ("relevantie", "toepasbaarheid", "tips")
# Compaction: people editing a 20,000-note board, edits each, seconds between one's edits.
PEOPLE, EDITS, EDIT_EVERY_S = 30, 88, 0.0625
WORDS = ["stage", "bedrijf", "leerling", "docent", "techniek", "gastles", "excursie", "rooster",
         "praktijk", "werkplaats", "mentor", "loopbaan", "keuze", "project", "samen", "regio",
         "planning", "tijd", "geld", "ruimte"]


def http(method: str, url: str, body: bytes | None = None, token: str = "",
         timeout: float = 120) -> tuple[int, bytes]:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def note(i: int, text: str) -> dict[str, Any]:
    return {"id": f"b{i}", "zone": STATIONS[i % 3], "text": text, "color": "yellow",
            "x": float(i % 500), "y": float(i % 300), "author": f"imp{i % 200}",
            "author_name": "", "group": "", "round": 1, "created_seq": i + 1,
            "updated_seq": i + 1, "created_ts": 1.7e9 + i, "updated_ts": 1.7e9 + i,
            "cluster": None, "hidden": False, "edited_by": "", "edited_by_name": ""}


class Heavy:
    def __init__(self, workdir: Path, quick: bool) -> None:
        self.workdir = workdir
        self.quick = quick
        self.lag_file = workdir / "lag.json"
        self.windows: list[tuple[str, float, float, dict[str, Any]]] = []
        self.proc: peers.Proc | None = None

    # --- the server and its sessions ------------------------------------------------------------

    @property
    def base(self) -> str:
        assert self.proc is not None
        return self.proc.http

    @property
    def organiser(self) -> str:
        assert self.proc is not None
        return str(self.proc.extra["organiser"])

    def template(self) -> dict[str, Any]:
        status, body = http("POST", self.base + "/api/sessions",
                            json.dumps({"template": "vier-hoeken"}).encode(), self.organiser)
        assert status == 201, body[:300]
        made = json.loads(body)
        status, body = http("GET", f"{self.base}/api/sessions/{made['session']['id']}/export.json",
                            token=made["facilitator_token"])
        assert status == 200, body[:300]
        return dict(json.loads(body))

    def document(self, notes: list[int], text: Any, editing: str = "own") -> bytes:
        doc = self.template()
        for b, n in zip(doc["boards"], notes, strict=False):
            state = b["state"]
            state["notes"] = [note(i, text(i)) for i in range(n)]
            state["added_by"] = {f"imp{k}": n // 200 + 1 for k in range(min(n, 200))}
            state["seq"] = b["seq"] = n + 1
            state["editing"] = editing
        return orjson.dumps(doc)

    def timed(self, name: str, method: str, url: str, body: bytes | None = None,
              token: str = "") -> tuple[int, bytes]:
        t0 = time.monotonic()
        status, answer = http(method, url, body, token)
        t1 = time.monotonic()
        self.windows.append((name, t0, t1, {"status": status, "bytes": len(answer)}))
        return status, answer

    def imported(self, raw: bytes, name: str = "") -> dict[str, Any]:
        if name:
            status, body = self.timed(name, "POST", self.base + "/api/import", raw,
                                      self.organiser)
        else:
            status, body = http("POST", self.base + "/api/import", raw, self.organiser)
        assert status == 201, body[:300]
        return dict(json.loads(body))

    # --- the requests ---------------------------------------------------------------------------

    def suggest(self) -> None:
        made = self.imported(self.document([1500] * 4, lambda i: " ".join(
            WORDS[(i * k) % len(WORDS)] for k in (1, 3, 7, 11))))
        url = f"{self.base}/api/sessions/{made['session']['id']}/suggest?station=tips"
        for _ in range(2 if self.quick else 3):
            status, body = self.timed("suggestions for a station of 2,000 notes", "GET", url,
                                      token=made["facilitator_token"])
            assert status == 200, body[:300]
            answer = json.loads(body)
            self.windows[-1][3].update(compared=answer["compared"], of=answer["of"])

    def big_import(self) -> None:
        raw = self.document([6500] * 4, lambda i: f"{i} " + "x" * 950)
        for _ in range(1 if self.quick else 2):
            self.imported(raw, f"import of {len(raw) / 2**20:.0f} MiB")

    def export(self) -> None:
        made = self.imported(self.document([1250] * 4, lambda i: f"idee {i} " + "tekst " * 20))
        sid, token = made["session"]["id"], made["facilitator_token"]
        for fmt in ("json", "csv", "md", "html"):
            status, body = self.timed(f"export of a 5,000-note session, {fmt}", "GET",
                                      f"{self.base}/api/sessions/{sid}/export.{fmt}",
                                      token=token)
            assert status == 200, body[:300]

    async def compaction(self) -> None:
        """2,640 edits on a 20,000-note board (shared editing, so anyone may edit), about 480
        a second from 30 people: a snapshot of the whole board comes round once (every 2,500
        ops at 20,000 notes, server/room.py)."""
        made = self.imported(self.document([20_000], lambda i: f"idee {i} " * 6,
                                           editing="shared"))
        board = made["session"]["boards"][0]["id"]
        people = [json.loads(http("GET", f"{self.base}/api/join/{made['code']}")[1])["token"]
                  for _ in range(PEOPLE)]
        ws_url = self.base.replace("http://", "ws://") + "/ws"
        conns = []
        for token in people:
            ws = await connect(ws_url, max_size=None, open_timeout=20)
            await ws.send(json.dumps({"type": "hello", "v": 1, "token": token, "name": "b"}))
            await ws.recv()
            conns.append(ws)
        await conns[0].send(json.dumps({"type": "subscribe", "board": board}))  # load it
        while json.loads(await conns[0].recv())["type"] != "caught_up":
            pass
        await asyncio.sleep(2.0)  # the room encodes its notes a slice at a time after loading
        t0 = time.monotonic()
        acks = 0

        async def edit(ws: Any, who: int) -> None:
            nonlocal acks
            loop = asyncio.get_running_loop()
            start = loop.time() + who * 0.002
            for k in range(EDITS):  # within the participant's burst and rate
                await asyncio.sleep(max(0.0, start + k * EDIT_EVERY_S - loop.time()))
                await ws.send(json.dumps({"type": "op", "id": f"e{who}.{k}", "board": board,
                                          "op": {"kind": "note.edit",
                                                 "note": f"b{who * EDITS + k}",
                                                 "text": f"herzien {k}"}}))
            while True:
                f = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if f["type"] == "ack":
                    acks += 1
                    if f["id"] == f"e{who}.{EDITS - 1}":
                        return

        await asyncio.gather(*(edit(ws, i) for i, ws in enumerate(conns)))
        await asyncio.sleep(1.0)  # the snapshot is written after the batch that crossed 500
        self.windows.append((f"{PEOPLE * EDITS:,} edits on a 20,000-note board (a compaction "
                             "snapshot)", t0,
                             time.monotonic(), {"acks": acks}))
        for ws in conns:
            await ws.close()

    async def votes(self, voters: int = 40, writers: int = 40, seconds: float = 8.0
                    ) -> dict[str, Any]:
        """Voters cast and take back a dot a second each on the control board they follow;
        writers add a note a second each on the corners. p99 from send to ack, per kind."""
        _, body = http("POST", self.base + "/api/sessions",
                       json.dumps({"template": "vier-hoeken"}).encode(), self.organiser)
        made = json.loads(body)
        control = made["session"]["id"] + ".control"
        boards = [b["id"] for b in made["session"]["boards"]]
        ws_url = self.base.replace("http://", "ws://") + "/ws"
        lat: dict[str, list[float]] = {"vote.cast": [], "note.add": []}
        sent: dict[str, tuple[str, float]] = {}

        async def client(token: str, follow: list[str]) -> Any:
            ws = await connect(ws_url, max_size=None, open_timeout=20)
            await ws.send(json.dumps({"type": "hello", "v": 1, "token": token, "name": "v"}))
            await ws.recv()
            for b in follow:
                await ws.send(json.dumps({"type": "subscribe", "board": b}))
            return ws

        fac = await client(made["facilitator_token"], [control, *boards])
        await fac.send(json.dumps({"type": "op", "id": "open", "board": control, "op": {
            "kind": "vote.open", "vote": "v1", "budget": 50, "cap": 50, "anonymous": True}}))
        tokens = [json.loads(http("GET", f"{self.base}/api/join/{made['code']}")[1])["token"]
                  for _ in range(voters + writers)]
        # Everyone follows the control board (the timer, the votes) and their corner.
        clients = [await client(t, [control, boards[i % 4]]) for i, t in enumerate(tokens)]

        async def read(ws: Any) -> None:
            async for raw in ws:
                if '"ack"' in raw[:20]:
                    f = json.loads(raw)
                    kind, t = sent.pop(f["id"], ("", 0.0))
                    if kind:
                        lat[kind].append((time.perf_counter() - t) * 1000)

        readers = [asyncio.create_task(read(ws)) for ws in [fac, *clients]]
        await asyncio.sleep(1.0)

        async def act(i: int, ws: Any) -> None:
            loop = asyncio.get_running_loop()
            start = loop.time() + (i % 40) / 40
            for k in range(int(seconds)):
                await asyncio.sleep(max(0.0, start + k - loop.time()))
                oid = f"{i}.{k}"
                if i < voters:
                    op = {"kind": "vote.cast", "vote": "v1", "board": boards[i % 4],
                          "note": f"seed{i % 4}",
                          "delta": 1 if k % 2 == 0 else -1}
                    frame = {"type": "op", "id": oid, "board": control, "op": op}
                else:
                    frame = {"type": "op", "id": oid, "board": boards[i % 4],
                             "op": {"kind": "note.add", "note": f"w{i}.{k}",
                                    "zone": STATIONS[k % 3], "text": f"idee {k}"}}
                sent[oid] = (str(frame["op"]["kind"]), time.perf_counter())  # type: ignore[index]
                await ws.send(json.dumps(frame))

        for j in range(4):  # the notes the dots go on
            await fac.send(json.dumps({"type": "op", "id": f"seed{j}", "board": boards[j],
                                       "op": {"kind": "note.add", "note": f"seed{j}",
                                              "zone": "tips", "text": "stip hier"}}))
        await asyncio.sleep(0.5)
        t0 = time.monotonic()
        await asyncio.gather(*(act(i, ws) for i, ws in enumerate(clients)))
        await asyncio.sleep(1.0)
        self.windows.append((f"{voters} voters and {writers} writers", t0, time.monotonic(), {}))
        for task in readers:
            task.cancel()
        for ws in [fac, *clients]:
            await ws.close()

        def p99(xs: list[float]) -> float | None:
            return sorted(xs)[min(len(xs) - 1, int(len(xs) * 0.99))] if xs else None

        return {"voters": voters, "writers": writers, "seconds": seconds,
                "vote_p99_ms": p99(lat["vote.cast"]), "note_p99_ms": p99(lat["note.add"]),
                "votes": len(lat["vote.cast"]), "notes": len(lat["note.add"])}

    # --- the whole part -------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.proc = peers.start_vh(self.workdir / "logs", f"sqlite:///{self.workdir}/heavy.db",
                                   "vh_heavy", lag=self.lag_file)
        votes: dict[str, Any] = {}
        failures: list[str] = []
        try:
            for step in (self.suggest, self.big_import, self.export):
                try:
                    step()
                except Exception as exc:  # one failed step does not lose the others
                    failures.append(f"{step.__name__}: {type(exc).__name__}: {exc}"[:2000])
            try:
                asyncio.run(self.compaction())
            except Exception as exc:
                failures.append(f"compaction: {type(exc).__name__}: {exc}"[:2000])
            try:
                votes = asyncio.run(self.votes())
            except Exception as exc:
                failures.append(f"votes: {type(exc).__name__}: {exc}"[:2000])
        finally:
            self.proc.stop()
        probe = json.loads(self.lag_file.read_text()) if self.lag_file.exists() else {}
        lags = probe.get("lags", [])
        gc_pauses = probe.get("pauses", [])
        rows = []
        for name, t0, t1, extra in self.windows:
            inside = [(late, busy) for t, late, busy in lags if t0 <= t <= t1 + 0.05]
            # The server's own stall: the part of an overshoot its process spent working (a
            # process that waits for a CPU other processes hold is late too, not at fault).
            own = [min(late, busy) for late, busy in inside]
            gcs = [p for g, p, t in gc_pauses if t0 <= t <= t1 + 0.05]
            rows.append({"request": name, "seconds": t1 - t0,
                         "stall_ms": max(own, default=0.0) * 1000,
                         "late_ms": max((late for late, _ in inside), default=0.0) * 1000,
                         "stalls_over_20ms": sum(1 for x in own if x > 0.020),
                         "gc_longest_ms": max(gcs, default=0.0) * 1000, **extra})
        def during(t: float) -> str:
            before = [(t0, name) for name, t0, _, _ in self.windows if t0 <= t]
            return f"after the start of: {max(before)[1]}" if before else "setting up"

        top = sorted(gc_pauses, key=lambda g: -g[1])[:5]
        return {"requests": rows, "votes": votes, "failures": failures,
                "gc_top": [{"generation": g, "ms": p * 1000, "when": during(t)}
                           for g, p, t in top],
                "gc_longest_ms": max((p for _, p, _ in gc_pauses), default=0.0) * 1000,
                "probe_overhead": probe.get("ticks")}
