"""One client cannot take the server down: the server's part (R27, R41, R44-R46).

Each row of the issue's table, beside a workshop (tests/attackkit.py: the server as its own
process, 50 normal participants writing on the four corners, runs without and with the attack
in pairs): the normal clients' p99 rises by at most 20 ms (median of paired differences), none
of them is disconnected, and the server's RSS growth is reported. The attacks run in this
test process (their CPU is counted as ours): suggestions on a station of 2,000 notes, a 30 MiB
import, a connection that subscribes again and again to a hidden board without reading, one
token on ten connections, writes that make a 10,000-note board's snapshot come round, 40
people voting. The quotas (R46) are checked over the wire without timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import psutil
import pytest
from attackkit import TEXT, RawWs, Workshop, beside_workshop, client_frame, tokens
from netfaults import percentile
from serverproc import organiser_headers
from wsharness import live_server, participant
from wsharness import new_session as harness_session

from server import suggest
from server.config import Settings
from server.gateway import OPS_PER_PARTICIPANT_BURST, OPS_PER_PARTICIPANT_S
from server.room import SNAPSHOT_EVERY, SNAPSHOT_PER_NOTES

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

MIB = 1024 * 1024
# The server's work without the disk's: what R44 is about (see the tests that use it).
MEMORY_STORE = {"STORE_URL": "memory://"}


# --- helpers --------------------------------------------------------------------------------------


def workers_counted(w: Workshop) -> None:
    """The server's worker processes (R44) are the server's CPU, not another process's."""
    def pids() -> list[int]:
        try:
            kids = [p.pid for p in psutil.Process(w.server.pid).children(recursive=True)]
        except psutil.Error:
            kids = []
        return [*w.pids(), *kids]

    w.phases.pids = pids


def http(method: str, url: str, body: bytes | None = None,
         headers: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def note(i: int, zone: str, author: str, text: str) -> dict[str, Any]:
    return {"id": f"b{i}", "zone": zone, "text": text, "color": "yellow", "x": float(i % 500),
            "y": float(i % 300), "author": author, "author_name": "", "group": "", "round": 1,
            "created_seq": i + 1, "updated_seq": i + 1, "created_ts": 1.7e9 + i,
            "updated_ts": 1.7e9 + i, "cluster": None, "hidden": False, "edited_by": "",
            "edited_by_name": ""}


WORDS = ["stage", "bedrijf", "leerling", "docent", "techniek", "gastles", "excursie", "rooster",
         "praktijk", "werkplaats", "mentor", "loopbaan", "keuze", "project", "samen", "regio",
         "planning", "tijd", "geld", "ruimte"]


def big_document(doc: dict[str, Any], notes: list[int], text: Callable[[int], str],
                 mode: str = "open") -> bytes:
    """An export of a fresh session with ``notes[i]`` notes on its board i."""
    for b, n in zip(doc["boards"], notes, strict=False):
        state = b["state"]
        state["notes"] = [note(i, ("relevantie", "toepasbaarheid", "tips")[i % 3],
                               f"imp{i % 200}", text(i)) for i in range(n)]
        state["added_by"] = {f"imp{k}": n // 200 + 1 for k in range(min(n, 200))}
        state["seq"] = b["seq"] = n + 1
        state["mode"] = mode
    return orjson.dumps(doc)


async def imported(base: str, raw: bytes) -> dict[str, Any]:
    status, body = await asyncio.to_thread(
        http, "POST", base + "/api/import", raw,
        {"content-type": "application/json", **organiser_headers(base)})
    assert status == 201, body[:300]
    return dict(json.loads(body))


async def template_document(base: str) -> dict[str, Any]:
    made = await harness_session(base)
    status, body = await asyncio.to_thread(
        http, "GET", f"{base}/api/sessions/{made['session']['id']}/export.json", None,
        {"authorization": f"Bearer {made['facilitator_token']}"})
    assert status == 200
    return dict(json.loads(body))


def gc_longest_ms(log: str) -> float | None:
    """The longest collection pause the server reported when it stopped (``gcwatch``)."""
    found = re.findall(r"garbage collection: .*'longest_ms': \[([^\]]*)\]", log)
    return max(float(x) for x in found[-1].split(",")) if found else None


class Senders:
    """Connections that send op frames at a steady rate and count the answers (as
    tests/flooder.py does, in this process): ``ops(k, i)`` gives connection i's k-th op."""

    def __init__(self, base: str, tokens_: list[str], boards: list[str],
                 ops: Callable[[int, int], dict[str, Any]], rate_each: float,
                 follow: list[str] | None = None) -> None:
        self.base, self.tokens, self.boards, self.ops = base, tokens_, boards, ops
        self.rate_each, self.follow = rate_each, follow or []
        self.counts = {"ack": 0, "rate_limited": 0, "error": 0, "closed": 0, "sent": 0}
        self.ack_ms: list[float] = []
        self._sent_at: dict[str, float] = {}
        self.conns: list[RawWs] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.running = False

    async def open(self) -> Senders:
        for token in self.tokens:
            raw, head = await RawWs.open(self.base)
            assert raw is not None, head
            assert (await raw.hello(token))["type"] == "welcome"
            for board in self.follow:
                await raw.send_json({"type": "subscribe", "board": board, "seq": 0})
            self.conns.append(raw)
            self.tasks.append(asyncio.create_task(self._read(raw)))
        return self

    async def _read(self, raw: RawWs) -> None:
        # Read straight from the stream (no task per frame, as RawWs.frame makes): 40 voters
        # following the control board get 1,600 frames a second, and a slow reader would
        # time itself, not the server.
        reader = raw.reader
        with contextlib.suppress(asyncio.IncompleteReadError, OSError):
            while True:
                b0, b1 = await reader.readexactly(2)
                n = b1 & 0x7F
                if n == 126:
                    n = int.from_bytes(await reader.readexactly(2), "big")
                elif n == 127:
                    n = int.from_bytes(await reader.readexactly(8), "big")
                opcode, data = b0 & 0x0F, await reader.readexactly(n)
                if opcode == 0x8:
                    self.counts["closed"] += 1
                    return
                if b'"type":"ack"' in data:
                    self.counts["ack"] += 1
                    sent = self._sent_at.pop(json.loads(data)["id"], None)
                    if sent is not None:
                        self.ack_ms.append((time.perf_counter() - sent) * 1000)
                elif b'"type":"error"' in data:
                    self.counts["error"] += 1
                    self.counts["rate_limited"] += b'"rate_limited"' in data

    async def run(self, seconds: float, start_k: int = 0) -> int:
        """Send for ``seconds``; answers how many ops each connection sent. The connections
        take turns within each interval, as people do, not all in the same millisecond."""
        k, t0 = start_k, time.monotonic()
        loop = asyncio.get_running_loop()
        n = len(self.conns)
        while time.monotonic() - t0 < seconds:
            begin = loop.time()
            due = begin + 1 / self.rate_each
            for i, raw in enumerate(self.conns):
                await asyncio.sleep(max(0.0, begin + i / n / self.rate_each - loop.time()))
                oid = f"s{i}.{k}.{time.monotonic_ns()}"
                frame = {"type": "op", "id": oid, "board": self.boards[i % len(self.boards)],
                         "op": self.ops(k, i)}
                self._sent_at[oid] = time.perf_counter()
                raw.send(client_frame(TEXT, orjson.dumps(frame)))
                self.counts["sent"] += 1
            k += 1
            await asyncio.sleep(max(0.0, due - loop.time()))
        return k

    def close(self) -> None:
        for t in self.tasks:
            t.cancel()
        for raw in self.conns:
            raw.close()


async def in_background(w: Workshop, work: Callable[[asyncio.Event], Awaitable[Any]]
                        ) -> list[Any]:
    """``w.paired`` with an attack that is a coroutine of this process, stopped by an event."""
    async def start() -> tuple[asyncio.Event, asyncio.Task[Any]]:
        stop = asyncio.Event()
        task = asyncio.create_task(work(stop))
        await asyncio.sleep(0.3)
        return stop, task

    async def stop(handle: tuple[asyncio.Event, asyncio.Task[Any]]) -> Any:
        handle[0].set()
        return await asyncio.wait_for(handle[1], 120)

    return await w.paired(start, stop)


# --- R44: heavy requests run off the event loop ---------------------------------------------------


async def test_R44_suggestions_on_2000_notes_beside_a_workshop_stall_nobody(
        tmp_path: Path, figure: Any) -> None:
    """Before: suggestions on a station of 2,000 notes froze every client for 11.2 s."""
    async with beside_workshop(tmp_path) as w:
        workers_counted(w)
        doc = await template_document(w.base)
        # 2,000 notes on the tips station, over the four corners
        made = await imported(w.base, big_document(
            doc, [1500, 1500, 1500, 1500],
            lambda i: " ".join(WORDS[(i * k) % len(WORDS)] for k in (1, 3, 7, 11))))
        sid, fac = made["session"]["id"], made["facilitator_token"]
        url = f"{w.base}/api/sessions/{sid}/suggest?station=tips"
        answers: list[dict[str, Any]] = []
        seconds: list[float] = []
        # Once before the runs: the session's boards are loaded (their memory taken) and the
        # worker started, so the runs measure answering, not the first load.
        status, _ = await asyncio.to_thread(
            http, "GET", url, None, {"authorization": f"Bearer {fac}"})
        assert status == 200

        async def attack(stop: asyncio.Event) -> None:
            while not stop.is_set():
                t0 = time.monotonic()
                status, body = await asyncio.to_thread(
                    http, "GET", url, None, {"authorization": f"Bearer {fac}"})
                assert status == 200, body[:300]
                answers.append(json.loads(body))
                seconds.append(time.monotonic() - t0)

        await in_background(w, attack)
        ok = w.report(figure, "suggestions on 2,000 notes")
    last = answers[-1]
    figure("suggestions: notes compared of the station's", f"{last['compared']} of {last['of']}",
           "", f"≤ {suggest.MAX_COMPARED}, truncated flagged",
           last["compared"] <= suggest.MAX_COMPARED and last["truncated"] is True)
    figure("suggestions: one answer took (median)", round(sorted(seconds)[len(seconds) // 2], 2),
           "s", "off the event loop")
    assert last["of"] == 2000 and last["compared"] == suggest.MAX_COMPARED and last["truncated"]
    assert last["clusters"], last
    assert ok, w.phases.describe()


async def test_R44_a_30_mib_import_beside_a_workshop_stalls_nobody(
        tmp_path: Path, figure: Any) -> None:
    """Before: one 30 MiB import stalled the event loop up to 441 ms (and its dicts made the
    collector pause 130-160 ms). Now it is parsed and checked in a worker process.

    The store is the in-memory one: with SQLite the import's boards (7.7 MB each) are written
    by the store's one writer, and every op's commit waits behind each of them (20-40 ms
    here, most of it SQLite's automatic checkpoint after a big commit) — the store's cost,
    not the event loop's, and measured apart (docs/PERFORMANCE.md)."""
    async with beside_workshop(tmp_path, env=MEMORY_STORE) as w:
        workers_counted(w)
        doc = await template_document(w.base)
        raw = big_document(doc, [6500] * 4, lambda i: f"{i} " + "x" * 950)
        figure("import: document size", round(len(raw) / MIB, 1), "MiB")
        assert 28 * MIB <= len(raw) <= 32 * MIB
        # The imports come from the attacker's process, one after another: the test's own
        # process runs the normal clients it measures and sends none of the 30 MiB.
        document = tmp_path / "big-import.json"
        document.write_bytes(raw)
        runs = await w.paired_attack("file_body", file=str(document), path="/api/import",
                                     headers=organiser_headers(w.base), gap=0.0)
        # While one is stored the server holds the document a few times over (the body, what
        # goes to the worker, the boards' JSON coming back): transient, and at most two
        # bodies this large are read at a time (R43).
        ok = w.report(figure, "a 30 MiB import", rss_mib=8 * len(raw) / MIB)
    longest = gc_longest_ms(w.server.log_text())
    assert all(set(r["codes"]) <= {"http 201"} for r in runs), runs
    assert sum(r["codes"].get("http 201", 0) for r in runs) >= len(runs), runs
    figure("import: one took (median)", round(sorted(
        r["median_s"] for r in runs if r["median_s"] is not None)[len(runs) // 2], 2), "s")
    figure("server's longest garbage-collection pause", longest, "ms", "≤ 20 ms",
           longest is not None and longest <= 20)
    assert ok, w.phases.describe()


async def test_R44_snapshots_of_a_10000_note_board_beside_a_workshop_stall_nobody(
        tmp_path: Path, figure: Any) -> None:
    """Before: the snapshot written every 500 ops took 26 ms on the event loop at 10,000 notes.
    Twenty people edit their notes, 200 ops/s in all (a snapshot of a 10,000-note board comes
    round every 1,250 ops): in the runs with the attack on a 10,000-note board, in the runs
    without on a nearly empty board of the same session — the same load, so the pairs differ
    only in what a big board and its snapshots cost. The store is the in-memory one, as for
    the import: a SQLite store's one writer takes a 3.5 MB snapshot's write and checkpoint."""
    async with beside_workshop(tmp_path, env=MEMORY_STORE, run_s=3.0) as w:
        doc = await template_document(w.base)
        # 9,980 notes, and each of the twenty adds one of their own (the board holds 10,000)
        made = await imported(w.base, big_document(doc, [9_980], lambda i: f"idee {i} " * 8))
        big, small = (b["id"] for b in made["session"]["boards"][:2])
        people = await tokens(w.base, made["code"], 20)
        added: set[tuple[str, int]] = set()

        def ops(k: int, i: int) -> dict[str, Any]:
            board = senders.boards[0]
            if (board, i) not in added:
                added.add((board, i))
                return {"kind": "note.add", "note": f"a{i}", "zone": "tips", "text": "start"}
            return {"kind": "note.edit", "note": f"a{i}", "text": f"nu {k}"}

        senders = await Senders(w.base, people, [big], ops, OPS_PER_PARTICIPANT_S).open()
        # Both boards are loaded (and their memory taken) before the runs, and each person
        # has a note on each.
        ks = [await senders.run(0.5)]
        senders.boards = [small]
        ks[0] = await senders.run(0.5, ks[0])
        await asyncio.sleep(2.0)
        acked = {big: 0, small: 0}
        inner = w.run

        async def run(kind: str, *rest: Any) -> None:
            board = big if kind == "with" else small
            senders.boards = [board]
            halt = asyncio.Event()

            async def load() -> None:
                while not halt.is_set():
                    ks[0] = await senders.run(0.5, ks[0])

            before = senders.counts["ack"]
            task = asyncio.create_task(load())
            await asyncio.sleep(0.3)
            try:
                await inner(kind, *rest)
            finally:
                halt.set()
                await task
                await asyncio.sleep(0.3)
                acked[board] += senders.counts["ack"] - before

        async def nothing() -> None:
            return None

        async def done(_: None) -> None:
            return None

        w.run = run  # type: ignore[method-assign]
        await w.paired(nothing, done)
        ok = w.report(figure, "snapshots of a 10,000-note board")
        senders.close()
    every = max(SNAPSHOT_EVERY, 10_000 // SNAPSHOT_PER_NOTES)
    figure("ops stored on the 10,000-note board during the runs with it", acked[big], "",
           f"≥ {every} (a snapshot every {every} ops)", acked[big] >= every)
    figure("ops stored on the small board during the runs without", acked[small])
    assert acked[big] >= every, (acked, senders.counts)
    assert ok, w.phases.describe()


# --- R45: memory is bounded ----------------------------------------------------------------------


async def test_R45_subscribing_again_and_again_without_reading_keeps_memory_bounded(
        tmp_path: Path, figure: Any) -> None:
    """Before: one connection within the rate limit, subscribing again and again to a board
    with hidden text and never reading, took the server from 74 to 575 MiB in 8 s. Now a
    connection that has not read what it was sent gets no second state, redacted states are
    cached, and the outbox is bounded in bytes as well as frames."""
    async with beside_workshop(tmp_path) as w:
        doc = await template_document(w.base)
        made = await imported(w.base, big_document(doc, [2000], lambda i: f"geheim {i} " * 20,
                                                   mode="hidden"))
        board = made["session"]["boards"][0]["id"]
        sent = [0]
        # Someone reads the board first: it is loaded (and its memory taken) before the runs.
        reader = await participant(w.base, made["code"], "lezer")
        await reader.subscribe(board)
        await reader.close()

        async def attack(stop: asyncio.Event) -> None:
            [token] = await tokens(w.base, made["code"], 1)
            raw, head = await RawWs.open(w.base)
            assert raw is not None, head
            assert (await raw.hello(token))["type"] == "welcome"
            frame = client_frame(TEXT, json.dumps({"type": "subscribe", "board": board,
                                                   "seq": 0}).encode())
            try:
                while not stop.is_set():  # 40 a second: within the connection's rate
                    raw.send(frame)
                    sent[0] += 1
                    await asyncio.sleep(0.025)
            finally:
                raw.close()

        await in_background(w, attack)
        ok = w.report(figure, "a connection subscribing again without reading")
    figure("subscribes sent by the connection that does not read", sent[0])
    assert sent[0] >= 100
    assert ok, w.phases.describe()


# --- R41: one participant's ops over all their connections ----------------------------------------


async def test_R41_one_token_on_ten_connections_is_limited_as_one_participant(
        tmp_path: Path, figure: Any) -> None:
    """Before: one token on 10 connections stored 2,922 notes in 5 s without one
    rate_limited. The limit is the participant's, over all their connections."""
    async with beside_workshop(tmp_path) as w:
        [token] = await tokens(w.base, w.session["code"], 1)
        senders = await Senders(w.base, [token] * 10, [w.boards[2]],
                                lambda k, i: {"kind": "note.add", "note": f"t{i}-{k}",
                                              "zone": "tips", "text": f"veel {k}"}, 30.0).open()
        ks = [0]
        busy = [0.0, 0]

        async def attack(stop: asyncio.Event) -> None:
            t0 = time.monotonic()
            while not stop.is_set():
                ks[0] = await senders.run(0.5, ks[0])
            busy[0] += time.monotonic() - t0
            busy[1] += 1

        await in_background(w, attack)
        await asyncio.sleep(1.0)  # the last answers arrive
        ok = w.report(figure, "one token on ten connections")
        senders.close()
    c = senders.counts
    # Each run finds the bucket full again (it refills between runs).
    allowed = busy[1] * OPS_PER_PARTICIPANT_BURST + OPS_PER_PARTICIPANT_S * busy[0]
    figure("one token on 10 connections: ops offered", c["sent"], f"in {busy[0]:.1f} s")
    figure("… stored", c["ack"], "",
           f"≤ a burst a run + {OPS_PER_PARTICIPANT_S:g}/s = {allowed:.0f}",
           c["ack"] <= allowed + 5)
    figure("… refused with rate_limited", c["rate_limited"], "", "the rest",
           c["rate_limited"] > 0)
    assert c["ack"] <= allowed + 5 and c["rate_limited"] >= c["sent"] // 2, c
    assert ok, w.phases.describe()


# --- R27: votes as fast as notes ------------------------------------------------------------------


async def test_R27_forty_people_voting_beside_a_workshop_is_as_fast_as_notes(
        tmp_path: Path, figure: Any) -> None:
    """Before: vote.cast p99 169-394 ms against note.add's 22-42 ms with 40 people voting:
    every dot carried the whole control state to every client of the session. Forty voters
    follow the control board and cast (and take back) a dot a second each."""
    async with beside_workshop(tmp_path) as w:
        control = f"{w.session['session']['id']}.control"
        opener = await Senders(w.base, [w.session["facilitator_token"]], [control],
                               lambda k, i: {"kind": "vote.open", "vote": "v1", "budget": 50,
                                             "cap": 50, "anonymous": True}, 1.0).open()
        await opener.run(0.5)
        await asyncio.sleep(0.5)
        assert opener.counts["ack"] == 1, opener.counts
        opener.close()
        voters = await Senders(
            w.base, await tokens(w.base, w.session["code"], 40), [control],
            lambda k, i: {"kind": "vote.cast", "vote": "v1", "board": w.boards[i % 4],
                          "note": f"n{i % 4}", "delta": 1 if k % 2 == 0 else -1},
            1.0, follow=[control]).open()
        ks = [0]

        async def attack(stop: asyncio.Event) -> None:
            while not stop.is_set():
                ks[0] = await voters.run(1.0, ks[0])

        await in_background(w, attack)
        await asyncio.sleep(0.5)
        ok = w.report(figure, "forty people voting")
        voters.close()
    p99 = percentile(voters.ack_ms, 99)
    figure("vote.cast: dots acknowledged", voters.counts["ack"], "",
           "every one sent", voters.counts["ack"] >= voters.counts["sent"] * 0.95)
    # On a machine other processes keep busy the figure says so and is not held to the target
    # (make bench measures it alone).
    measured = w.phases.measured
    figure("vote.cast p99 (send to ack), 40 voters", round(p99, 1), "ms",
           "≤ 50 ms" if measured else "not held: other processes used the CPU",
           p99 <= 50 if measured else None)
    assert voters.counts["closed"] == 0 and voters.counts["rate_limited"] == 0, voters.counts
    assert p99 <= 50 or not measured, sorted(voters.ack_ms)[-10:]
    assert ok, w.phases.describe()


# --- R46: quotas ----------------------------------------------------------------------------------


async def test_R46_quotas_per_participant_and_per_board_hold_over_the_wire(
        tmp_path: Path) -> None:
    settings = replace(Settings(store_url="memory://", secret_key="k", data_dir=tmp_path),
                       max_notes_per_board=5, max_notes_per_participant=3)
    async with live_server(settings) as base:
        made = await harness_session(base)
        board = made["session"]["boards"][0]["id"]
        ans = await participant(base, made["code"], "Ans")
        bo = await participant(base, made["code"], "Bo")
        for c in (ans, bo):
            await c.subscribe(board)
        add = {"kind": "note.add", "zone": "tips", "text": "x"}
        results = [await ans.op(board, {**add, "note": f"a{i}"}) for i in range(4)]
        assert [r.get("result", r.get("code")) for r in results] == [
            "applied", "applied", "applied", "quota_exceeded"]
        assert "at most 3" in results[-1]["message"]
        more = [await bo.op(board, {**add, "note": f"b{i}"}) for i in range(3)]
        assert [r.get("result", r.get("code")) for r in more] == [
            "applied", "applied", "quota_exceeded"]
        assert "at most 5" in more[-1]["message"]
        # deleting makes room on the board, not in the participant's count
        await ans.op(board, {"kind": "note.delete", "note": "a0"})
        again = await ans.op(board, {**add, "note": "a9"})
        assert again.get("code") == "quota_exceeded"
        assert (await bo.op(board, {**add, "note": "b9"}))["result"] == "applied"
        # other ops are not counted
        assert (await ans.op(board, {"kind": "note.edit", "note": "a1",
                                     "text": "y"}))["result"] == "applied"
        for c in (ans, bo):
            await c.close()
