"""Attacks beside a workshop, measured: a harness for the "one client cannot take the server
down" tests (tests/test_attacks_wire.py) and for the next ones.

    from attackkit import beside_workshop

    async def test_R99_my_attack_is_harmless(tmp_path, figure):
        async with beside_workshop(tmp_path, env={"HELLO_TIMEOUT_S": "2"}) as w:
            runs = await w.paired_attack("pings")           # an attack of tests/attacker.py
            # or: runs = await w.paired(start, stop)         # any attack of your own
            ok = w.report(figure, "the ping flood")          # latency, disconnects, RSS
        assert ok, w.phases.describe()

What ``beside_workshop(tmp, env=…, nofile=…, clients=50, rate=25)`` gives (``Workshop``):

- ``w.server``: ``python -m server serve`` as its own process on a free port (SQLite in
  ``tmp``; ``env`` added to its environment, e.g. low limits; ``nofile``: its open-file limit,
  soft and hard). ``w.base``, ``w.port``, ``w.server.log_text()``.
- ``w.clients``: ``clients`` normal participants (``netfaults.Probe``) spread over the four
  corner boards of one session (``w.session``), one note each; during a run they write ``rate``
  ops a second in all (note.edit of their own note, every tenth a note.add) and every event's
  latency is taken from its send to its arrival at each subscriber.
- ``w.paired(start, stop)``: runs without and with the attack in pairs, back to back, in turn
  A B, B A … (``Phases``: the figure is the median over pairs of the difference in p99, and a
  pair during which other processes used the CPU is set aside). ``await start()`` begins the
  attack before each run with it, ``await stop(handle)`` ends it after; what ``stop`` returns is
  collected and returned. The server's RSS and open files are sampled throughout.
- ``w.attacker``: tests/attacker.py, one process for the whole test (its CPU is counted as
  ours, not as foreign): ``await w.attacker.start(name, **params)`` / ``await
  w.attacker.stop()`` → the attack's counts. ``w.paired_attack(name, **params)`` pairs that.
- ``w.report(figure, what)``: the figures every attack row has (normal clients' p99 with and
  without, the median paired excess against 20 ms, normal clients disconnected or with gaps,
  server RSS growth and open files) and whether the targets are met.
- ``new_session(base)`` is the only place a session is made (it needs an organiser, R31), and
  ``tokens(base, code, n)`` gets participant tokens.

Everything is bounded in time and count, and only 127.0.0.1 is used. ``RawWs``, ``raw_http``
and ``client_frame`` speak the protocol byte by byte for tests without timing.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import resource
import struct
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from netfaults import ForeignCpu, Probe, median, paced, percentile, rss_kib
from serverproc import ROOT, free_port, read_log, stop, wait_healthy
from wsharness import ahttp
from wsharness import new_session as _harness_session

ZONES = ["relevantie", "toepasbaarheid", "tips"]
TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


# --- sessions: the one place they are made -------------------------------------------------------


async def new_session(base: str) -> dict[str, Any]:
    """A four-corner session (``{session, code, facilitator_token, viewer_token, ...}``).
    Making one needs an organiser (R31): this is the one place that knows how."""
    return await _harness_session(base, "vier-hoeken")


async def tokens(base: str, code: str, n: int) -> list[str]:
    return [(await ahttp(f"{base}/api/join/{code}"))["token"] for _ in range(n)]


# --- bytes on the wire, for tests without timing -------------------------------------------------


def client_frame(opcode: int, payload: bytes = b"", fin: bool = True) -> bytes:
    """A masked client frame (RFC 6455 §5.2)."""
    mask = os.urandom(4)
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _host_port(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


class RawWs:
    """A websocket client that does nothing by itself: no pongs, no close replies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, base: str, path: str = "/ws", headers: str = ""
                   ) -> tuple[RawWs | None, bytes]:
        """(the connection, or None when the server did not switch protocols; the head of
        the server's answer)."""
        host, port = _host_port(base)
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      f"Sec-WebSocket-Version: 13\r\n{headers}\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        if not head.startswith(b"HTTP/1.1 101"):
            writer.close()
            return None, head
        return cls(reader, writer), head

    def send(self, *frames: bytes) -> None:
        self.writer.write(b"".join(frames))  # one write: the server reads them together

    async def send_json(self, obj: Any) -> None:
        self.send(client_frame(TEXT, json.dumps(obj).encode()))
        await self.writer.drain()

    async def frame(self, timeout: float = 5.0) -> tuple[int, bytes]:
        async def read() -> tuple[int, bytes]:
            b0, b1 = await self.reader.readexactly(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", await self.reader.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
            return b0 & 0x0F, await self.reader.readexactly(n)

        return await asyncio.wait_for(read(), timeout)

    async def frames(self, quiet: float, limit: int = 100_000) -> list[tuple[int, bytes]]:
        """Every frame until none came for ``quiet`` seconds (or the connection ended)."""
        got: list[tuple[int, bytes]] = []
        with contextlib.suppress(TimeoutError, asyncio.IncompleteReadError, OSError):
            while len(got) < limit:
                got.append(await self.frame(quiet))
        return got

    async def hello(self, token: str) -> dict[str, Any]:
        await self.send_json({"type": "hello", "v": 1, "token": token, "name": "raw"})
        while True:
            opcode, data = await self.frame()
            if opcode == TEXT:
                answer: dict[str, Any] = json.loads(data)
                if answer["type"] in ("welcome", "error"):
                    return answer

    def close(self) -> None:
        self.writer.close()


def close_code(frame: tuple[int, bytes]) -> int | None:
    opcode, data = frame
    return struct.unpack("!H", data[:2])[0] if opcode == CLOSE and len(data) >= 2 else None


async def raw_http(base: str, request: bytes, timeout: float = 5.0) -> bytes:
    """Send ``request`` as it is and read the answer until the server closes (or ``timeout``)."""
    host, port = _host_port(base)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
    try:
        writer.write(request)
        out = b""
        with contextlib.suppress(TimeoutError, OSError):
            async with asyncio.timeout(timeout):
                while chunk := await reader.read(65536):
                    out += chunk
        return out
    finally:
        writer.close()


# --- the server as its own process ---------------------------------------------------------------


@dataclass
class Served:
    port: int
    proc: Any
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    def log_text(self) -> str:
        return read_log(self.proc)


@contextlib.asynccontextmanager
async def serve(tmp: Path, env: dict[str, str] | None = None, nofile: int | None = None
                ) -> AsyncIterator[Served]:
    """``python -m server serve`` on a free port with SQLite in ``tmp``; ``nofile`` sets its
    open-file limit (soft and hard, so the server cannot raise it)."""
    full = {**os.environ, "STORE_URL": f"sqlite:///{tmp}/vh.db", "SECRET_KEY": "attacks",
            "DATA_DIR": str(tmp), "PYTHONUNBUFFERED": "1", **(env or {})}
    port = free_port()
    log_path = tmp / "server.log"
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed by serverproc.stop

    def limit() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=full, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        preexec_fn=limit)
    proc.log_path = str(log_path)  # type: ignore[attr-defined]
    proc.log_file = log  # type: ignore[attr-defined]
    srv = Served(port, proc, log_path)
    try:
        await asyncio.to_thread(wait_healthy, port, 20.0, proc)
        yield srv
    finally:
        stop(proc)


# --- timing: paired runs with and without a fault ------------------------------------------------


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


class Phases:
    """Event latencies of runs without and with a fault, in pairs run back to back (in turn
    A B, B A, …, so that the boards' growth favours neither kind). Both runs of a pair see
    nearly the same machine, so the figure held against the target is the median over pairs
    of the pair's difference in p99.

    This 2-core machine is shared: a pair during which other processes used more than
    ``FOREIGN_CORES`` of CPU (``ForeignCpu``) measured them, not the system under test. Before
    each pair the test waits (a bounded time) for the machine to be quiet; a disturbed pair is
    set aside and another is run, up to ``extra`` more. When no pair at all was undisturbed,
    the latency is not measured: ``measured`` is false and the figures say so."""

    FOREIGN_CORES = 0.25
    QUIET_WAIT_S = 10.0

    def __init__(self, pairs: int, extra: int, pids: Any) -> None:
        self.pairs, self.extra, self.pids = pairs, extra, pids
        self.done: list[dict[str, tuple[list[float], float]]] = []
        self._current: dict[str, tuple[list[float], float]] = {}
        self._waited = 0.0
        self.busiest = 0.0

    async def schedule(self) -> AsyncIterator[tuple[str, str]]:
        """The order of the next pair's runs, until enough clean pairs (or tries) are done."""
        n = 0
        while len(self.clean()) < self.pairs and n < self.pairs + self.extra:
            await self._quiet()
            self._current = {}
            yield ("without", "with") if n % 2 == 0 else ("with", "without")
            self.done.append(self._current)
            self.busiest = max(self.busiest, *(c for _, c in self._current.values()))
            n += 1

    async def _quiet(self) -> None:
        while self._waited < self.QUIET_WAIT_S:
            with ForeignCpu(self.pids) as foreign:
                await asyncio.sleep(0.5)
            if foreign.cores <= self.FOREIGN_CORES:
                return
            self._waited += 0.5

    @property
    def measured(self) -> bool:
        return bool(self.clean())

    @contextlib.contextmanager
    def run(self, kind: str) -> Iterator[list[float]]:
        """Measure one run: the caller puts its latency samples into the yielded list."""
        samples: list[float] = []
        with ForeignCpu(self.pids) as foreign:
            yield samples
        self._current[kind] = (samples, foreign.cores)

    def clean(self) -> list[dict[str, tuple[list[float], float]]]:
        return [p for p in self.done if max(c for _, c in p.values()) <= self.FOREIGN_CORES]

    def used(self) -> list[dict[str, tuple[list[float], float]]]:
        return self.clean() or self.done

    def p99s(self, kind: str) -> list[float]:
        return [percentile(p[kind][0], 99) for p in self.used()]

    def p99(self, kind: str) -> float:
        """The median over this kind's runs of the run's p99."""
        return median(self.p99s(kind))

    def excess(self) -> float:
        """The median over pairs of p99 with the fault minus p99 without it."""
        return median(w - wo for w, wo in zip(self.p99s("with"), self.p99s("without"),
                                              strict=True))

    def p50(self, kind: str) -> float:
        return median(percentile(p[kind][0], 50) for p in self.used())

    def discarded(self) -> int:
        return len(self.done) - len(self.clean())

    def describe(self) -> str:
        foreign = [round(max(c for _, c in p.values()), 2) for p in self.done]
        return "; ".join(
            f"{k}: p50 {ms(self.p50(k))} ms, p99 per run {[ms(x) for x in self.p99s(k)]} ms"
            for k in ("without", "with")
        ) + (f"; excess p99 (median of pairs) {ms(self.excess())} ms; other processes' CPU "
             f"per pair {foreign} cores ({self.discarded()} pairs set aside)")


def latency_figures(figure: Any, phases: Phases, who: str, fault: str) -> bool:
    """Record the latency figures of a paired test; true when the target is met (or could not
    be measured on a machine busy with other work, which the figure then says)."""
    figure("paired runs set aside: other processes used the CPU", phases.discarded(), "",
           f"of {len(phases.done)}")
    if not phases.measured:
        figure(f"p99 added by {fault}", "not measured", "",
               f"machine busy: other processes used up to {phases.busiest:.1f} cores")
        print(f"LATENCY NOT MEASURED: other processes used up to {phases.busiest:.1f} cores")
        return True
    figure(f"{who} p99 event latency without {fault}", ms(phases.p99("without")), "ms")
    figure(f"{who} p99 event latency with {fault}", ms(phases.p99("with")), "ms")
    within = phases.excess() <= 0.020
    figure(f"p99 added by {fault} (median of paired runs)", ms(phases.excess()), "ms",
           "≤ 20 ms", within)
    return within


async def timed_run(probes: list[Probe], rate: float, seconds: float, write: Any,
                    samples: list[float]) -> None:
    """Offer ``rate`` writes a second for ``seconds``; the probes put the event latencies
    they see into ``samples``."""
    for p in probes:
        p.latencies = samples
        p.recording = True
    await paced(rate, seconds, write)
    await asyncio.sleep(0.5)  # the last events arrive
    for p in probes:
        p.recording = False


class RssSampler:
    """Samples a process's RSS (and, with ``fds``, its open files) every 50 ms while it runs."""

    def __init__(self, pid: int, fds: bool = False) -> None:
        self.pid = pid
        self.samples: list[tuple[float, int]] = []
        self.fds: list[int] = []
        self._proc = psutil.Process(pid) if fds else None
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(OSError, psutil.Error):
                self.samples.append((time.monotonic(), rss_kib(self.pid)))
                if self._proc is not None:
                    self.fds.append(self._proc.num_fds())
            await asyncio.sleep(0.05)

    def __enter__(self) -> RssSampler:
        self.task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self.task is not None:
            self.task.cancel()

    def growth_kib(self, since: float, until: float) -> int:
        before = [kib for t, kib in self.samples if t <= since]
        window = [kib for t, kib in self.samples if since <= t <= until]
        if not window:
            return 0
        start = before[-1] if before else window[0]
        return max(window) - start


# --- the attacker process ------------------------------------------------------------------------


class Attacker:
    """tests/attacker.py as its own process, running one attack at a time."""

    def __init__(self, proc: asyncio.subprocess.Process, port: int) -> None:
        self.proc, self.port = proc, port

    @classmethod
    async def spawn(cls, port: int) -> Attacker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).with_name("attacker.py")),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        return cls(proc, port)

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    async def _say(self, line: str, timeout: float) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()
        answer = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not answer:
            err = await self.proc.stderr.read() if self.proc.stderr is not None else b""
            raise RuntimeError(f"attacker exited: {err.decode()[-2000:]}")
        result: dict[str, Any] = json.loads(answer)
        return result

    async def start(self, attack: str, **params: Any) -> None:
        await self._say(json.dumps({"attack": attack, "port": self.port, **params}), 10)

    async def stop(self) -> dict[str, Any]:
        result = await self._say("stop", 30)
        if result.get("error"):
            raise RuntimeError(f"attack failed: {result['error']}")
        return result

    async def close(self) -> None:
        if self.proc.returncode is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


# --- the workshop --------------------------------------------------------------------------------


@dataclass
class Workshop:
    server: Served
    session: dict[str, Any]
    clients: list[Probe]
    attacker: Attacker
    rate: float
    run_s: float
    phases: Phases
    rss: RssSampler
    growth: dict[str, int] = field(default_factory=lambda: {"without": 0, "with": 0})
    helpers: list[int] = field(default_factory=list)  # more pids of ours (an extra process)
    _counter: Iterator[int] = field(default_factory=itertools.count)

    @property
    def base(self) -> str:
        return self.server.base

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def boards(self) -> list[str]:
        return [b["id"] for b in self.session["session"]["boards"]]

    def pids(self) -> list[int]:
        return [os.getpid(), self.server.pid, self.attacker.pid, *self.helpers]

    async def write(self, _: int) -> None:
        """One op of the workshop: mostly editing one's own note, now and then a new one."""
        k = next(self._counter)
        i = k % len(self.clients)
        board = self.boards[i % 4]
        if k % 10 == 9:
            op = {"kind": "note.add", "note": f"w{k}", "zone": ZONES[k % 3], "text": f"nieuw {k}"}
        else:
            op = {"kind": "note.edit", "note": f"n{i}", "text": f"gewoon {k}"}
        await self.clients[i].op(board, op)

    async def run(self, kind: str, since: float | None = None) -> None:
        """One measured run; the server's RSS growth is taken from ``since`` (before the
        attack began) to its end."""
        t0 = time.monotonic() if since is None else since
        with self.phases.run(kind) as samples:
            await timed_run(self.clients, self.rate, self.run_s, self.write, samples)
        self.growth[kind] = max(self.growth[kind], self.rss.growth_kib(t0, time.monotonic()))

    async def paired(self, start: Callable[[], Awaitable[Any]],
                     stop: Callable[[Any], Awaitable[Any]]) -> list[Any]:
        """Runs without and with the attack (see the module's docstring); returns what
        ``stop`` returned after each run with it."""
        results = []
        async for pair in self.phases.schedule():
            for kind in pair:
                if kind == "without":
                    await self.run(kind)
                    continue
                since = time.monotonic()
                handle = await start()
                try:
                    await self.run(kind, since)
                finally:
                    results.append(await stop(handle))
        return results

    async def paired_attack(self, attack: str, settle_s: float = 0.3, **params: Any
                            ) -> list[dict[str, Any]]:
        """``paired`` with an attack of tests/attacker.py; ``settle_s`` after it starts (so the
        run sees the attack going, not its first connection being made)."""
        async def start() -> None:
            await self.attacker.start(attack, **params)
            await asyncio.sleep(settle_s)

        async def stop(_: None) -> dict[str, Any]:
            return await self.attacker.stop()

        return await self.paired(start, stop)

    def disconnected(self) -> int:
        return sum(1 for p in self.clients if p.closed_code is not None)

    def gaps(self) -> int:
        return sum(p.gaps for p in self.clients)

    def report(self, figure: Any, what: str, rss_mib: float = 16) -> bool:
        """The figures of every attack row; true when its targets are met (``rss_mib``: the
        server's RSS growth allowed beyond the run without)."""
        within = latency_figures(figure, self.phases, "normal clients'", what)
        lost = self.disconnected()
        figure("normal clients disconnected or with a gap", f"{lost} / {self.gaps()}",
               f"of {len(self.clients)}", "0 / 0", lost == 0 and self.gaps() == 0)
        extra = (self.growth["with"] - self.growth["without"]) / 1024
        figure(f"server RSS growth in a run with {what}", round(self.growth["with"] / 1024, 1),
               "MiB", f"without: {self.growth['without'] / 1024:.1f} MiB")
        figure(f"server RSS growth with {what}, beyond the run without", round(extra, 1),
               "MiB", f"≤ {rss_mib:g} MiB", extra <= rss_mib)
        if self.rss.fds:
            figure("server open files (most)", max(self.rss.fds))
        print(f"{what}: {self.phases.describe()}; RSS growth {self.growth} KiB; "
              f"open files up to {max(self.rss.fds, default=0)}")
        return within and lost == 0 and self.gaps() == 0 and extra <= rss_mib


@contextlib.asynccontextmanager
async def beside_workshop(tmp: Path, env: dict[str, str] | None = None,
                          nofile: int | None = None, clients: int = 50, rate: float = 25.0,
                          run_s: float = 2.5, pairs: int = 3, extra: int = 0
                          ) -> AsyncIterator[Workshop]:
    """A server, ``clients`` normal participants writing ``rate`` ops/s in all, an attacker
    process and paired runs (see the module's docstring)."""
    async with serve(tmp, env, nofile) as srv:
        s = await new_session(srv.base)
        boards = [b["id"] for b in s["session"]["boards"]]
        sent_at: dict[str, float] = {}
        probes = []
        for i, token in enumerate(await tokens(srv.base, s["code"], clients)):
            probes.append(await Probe(srv.base, token, sent_at, [], f"P{i}").connect(
                [boards[i % 4]]))
        for i, p in enumerate(probes):
            await p.op(boards[i % 4], {"kind": "note.add", "note": f"n{i}",
                                       "zone": ZONES[i % 3], "text": "gewoon"})
        attacker = await Attacker.spawn(srv.port)
        with RssSampler(srv.pid, fds=True) as rss:
            w = Workshop(srv, s, probes, attacker, rate, run_s, Phases(pairs, extra, None), rss)
            w.phases.pids = w.pids
            try:
                yield w
            finally:
                for p in probes:
                    await p.close()
                await attacker.close()
