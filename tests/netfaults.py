"""Network faults for the reliability tests: a loopback TCP proxy that drops or blackholes
connections, a light websocket probe that measures event latency, a follower that notices a
dead connection by a ping deadline and resumes (R8), a flooder run as its own process, and
readers of /proc for a server subprocess's memory and sockets.

Everything here has a deadline: sockets, waits and loops are bounded so that a fault in the
system under test fails a test instead of hanging it.

The flooder is tests/flooder.py, its own process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import secrets
import socket
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import websockets
from websockets.asyncio.client import ClientConnection, connect
from wsharness import Client, Mirror

SOAK = os.environ.get("VH_SOAK") == "1"


def pick(normal: Any, soak: Any) -> Any:
    """A test's size: ``soak`` under ``make soak`` (VH_SOAK=1), else ``normal``."""
    return soak if SOAK else normal


def median(values: Iterable[float]) -> float:
    data = sorted(values)
    if not data:
        return math.nan
    mid = len(data) // 2
    return data[mid] if len(data) % 2 else (data[mid - 1] + data[mid]) / 2


def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``; nan when there are none."""
    data = sorted(values)
    if not data:
        return math.nan
    k = max(0, min(len(data) - 1, math.ceil(p / 100 * len(data)) - 1))
    return data[k]


# --- /proc of a server subprocess -------------------------------------------------------------


def rss_kib(pid: int) -> int:
    """Resident set size of a process (VmRSS), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


_HZ = os.sysconf("SC_CLK_TCK")


def _cpu_busy_ticks() -> int:
    """CPU time spent by anything (user, nice, system, and steal by the hypervisor), all cores;
    interrupt time is left out: our own loopback traffic is served there."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[7]


def _proc_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    return _proc_ticks(pid) / _HZ


class ForeignCpu:
    """How much CPU other processes than ``pids()`` (the test, its server, its helpers) used
    while it ran, in cores: on a shared 2-core machine a run measured while another process
    took a core says nothing about the system under test."""

    def __init__(self, pids: Callable[[], Iterable[int]]) -> None:
        self.pids = pids
        self.cores = 0.0
        self._start = (0.0, 0, 0)

    def __enter__(self) -> ForeignCpu:
        self._start = (time.monotonic(), _cpu_busy_ticks(),
                       sum(_proc_ticks(p) for p in self.pids()))
        return self

    def __exit__(self, *exc: object) -> None:
        t0, busy0, ours0 = self._start
        ours = sum(_proc_ticks(p) for p in self.pids()) - ours0
        busy = _cpu_busy_ticks() - busy0
        self.cores = max(0.0, (busy - ours) / _HZ / max(time.monotonic() - t0, 1e-3))


@dataclass(frozen=True)
class TcpSocket:
    local_port: int
    remote_port: int
    state: str  # "ESTABLISHED", "FIN_WAIT1", …
    tx_queue: int  # bytes the kernel still holds to send
    rx_queue: int
    inode: int  # 0 once no process holds the socket (closed, orphaned to the kernel)


_TCP_STATES = {
    "01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1",
    "05": "FIN_WAIT2", "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK",
    "0A": "LISTEN", "0B": "CLOSING",
}


def tcp_sockets() -> list[TcpSocket]:
    """The IPv4 TCP sockets of this network namespace (/proc/net/tcp)."""
    out = []
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split()
            local, remote, st, queues = parts[1], parts[2], parts[3], parts[4]
            tx, rx = queues.split(":")
            out.append(TcpSocket(int(local.split(":")[1], 16), int(remote.split(":")[1], 16),
                                 _TCP_STATES.get(st, st), int(tx, 16), int(rx, 16),
                                 int(parts[9])))
    return out


def server_side_of(server_port: int, client_port: int) -> TcpSocket | None:
    """The server's end of the connection from ``client_port``, when the kernel still has it."""
    for s in tcp_sockets():
        if s.local_port == server_port and s.remote_port == client_port:
            return s
    return None


# --- a TCP proxy that can drop and blackhole connections ----------------------------------------


class _Side(asyncio.Protocol):
    def __init__(self, link: _Link) -> None:
        self.link = link
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.link.made(self)

    def data_received(self, data: bytes) -> None:
        self.link.forward(self, data)

    def eof_received(self) -> bool:
        self.link.eof(self)
        return True  # keep the other direction open until it ends too

    def connection_lost(self, exc: Exception | None) -> None:
        self.link.lost(self)

    def pause_writing(self) -> None:
        self.link.peer(self).pause()

    def resume_writing(self) -> None:
        self.link.peer(self).resume()

    def pause(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def resume(self) -> None:
        if (self.transport is not None and not self.transport.is_closing()
                and not self.link.blackholed):
            self.transport.resume_reading()

    def abort(self) -> None:
        """Close with a reset (SO_LINGER 0): the peer sees the connection torn, not ended."""
        if self.transport is None or self.transport.is_closing():
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()


class _Link:
    """One client connection and its upstream connection."""

    def __init__(self, proxy: TcpProxy) -> None:
        self.proxy = proxy
        self.client = _Side(self)
        self.upstream = _Side(self)
        self.pending: list[bytes] = []
        self.blackholed = False
        self.closed = False

    def peer(self, side: _Side) -> _Side:
        return self.upstream if side is self.client else self.client

    def made(self, side: _Side) -> None:
        if side is self.client:
            self.proxy.links.add(self)
            self.client.pause()  # until upstream is there
            task = asyncio.get_running_loop().create_task(self._connect_upstream())
            self.proxy.tasks.add(task)
            task.add_done_callback(self.proxy.tasks.discard)
        else:
            assert side.transport is not None
            for data in self.pending:
                side.transport.write(data)
            self.pending.clear()
            self.client.resume()

    async def _connect_upstream(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.create_connection(
                lambda: self.upstream, self.proxy.host, self.proxy.upstream_port), 5)
        except (OSError, TimeoutError):
            self.client.abort()

    def forward(self, side: _Side, data: bytes) -> None:
        if self.blackholed or self.closed:
            return
        target = self.peer(side)
        if target.transport is None:
            self.pending.append(data)
        elif not target.transport.is_closing():
            target.transport.write(data)
            self.proxy.bytes_forwarded += len(data)

    def eof(self, side: _Side) -> None:
        if self.blackholed:
            return
        target = self.peer(side).transport
        if target is not None and not target.is_closing() and target.can_write_eof():
            target.write_eof()

    def lost(self, side: _Side) -> None:
        if self.blackholed:
            return  # a blackhole says nothing, also not that the other side went away
        self.closed = True
        self.proxy.links.discard(self)
        other = self.peer(side).transport
        if other is not None and not other.is_closing():
            other.close()

    def blackhole(self) -> None:
        """Stop forwarding in both directions and never close: packets vanish, nothing ends."""
        self.blackholed = True
        self.client.pause()
        self.upstream.pause()

    def drop(self) -> None:
        self.closed = True
        self.proxy.links.discard(self)
        self.client.abort()
        self.upstream.abort()


class TcpProxy:
    """Loopback TCP proxy between clients and a server, able to break the connections."""

    def __init__(self, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.host, self.upstream_port = host, upstream_port
        self.links: set[_Link] = set()
        self.blackholes: list[_Link] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.server: asyncio.Server | None = None
        self.port = 0
        self.dropped = 0
        self.blackholed = 0
        self.bytes_forwarded = 0
        #: (client port, when) of every connection blackholed
        self.blackholed_at: list[tuple[int, float]] = []

    async def start(self) -> TcpProxy:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: _Link(self).client, self.host, 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def live(self) -> list[_Link]:
        return [link for link in self.links if not link.blackholed and not link.closed
                and link.upstream.transport is not None]

    def drop(self, links: Iterable[_Link]) -> int:
        n = 0
        for link in list(links):
            link.drop()
            n += 1
        self.dropped += n
        return n

    def blackhole(self, links: Iterable[_Link]) -> int:
        n = 0
        for link in list(links):
            link.blackhole()
            if link.client.transport is not None:
                port = link.client.transport.get_extra_info("peername")[1]
                self.blackholed_at.append((port, time.monotonic()))
            self.links.discard(link)
            self.blackholes.append(link)
            n += 1
        self.blackholed += n
        return n

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for link in [*self.links, *self.blackholes]:
            link.client.abort()
            link.upstream.abort()
        self.links.clear()
        self.blackholes.clear()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.server.wait_closed(), 2)


# --- a light client that measures event latency ---------------------------------------------------


class Probe:
    """A websocket client that keeps only what latency needs: when each event arrived.

    ``sent_at`` is shared by the probes of a test: op id -> time.perf_counter() when sent.
    Events of those ops are timed on arrival while ``recording`` is set. Seq continuity per
    board is checked on every event (``gaps`` counts violations).
    """

    def __init__(self, base: str, token: str, sent_at: dict[str, float],
                 latencies: list[float], name: str = "") -> None:
        self.url = base.replace("http://", "ws://") + "/ws"
        self.token, self.name = token, name
        self.sent_at, self.latencies = sent_at, latencies
        self.recording = False
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.seq: dict[str, int] = {}
        self.epoch: dict[str, str] = {}
        self.gaps = 0
        self.events = 0
        self.acks = 0
        self.errors: dict[str, int] = {}
        self.closed_code: int | None = None
        self._prefix = secrets.token_hex(4)
        self._n = 0

    async def connect(self, boards: Iterable[str], **kwargs: Any) -> Probe:
        self.ws = await asyncio.wait_for(connect(self.url, open_timeout=10, **kwargs), 15)
        await self.ws.send(json.dumps({"type": "hello", "v": 1, "token": self.token,
                                       "name": self.name}))
        welcome = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
        assert welcome["type"] == "welcome", welcome
        for board in boards:
            await self.ws.send(json.dumps({"type": "subscribe", "board": board, "seq": 0}))
            while True:
                f = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
                if f["type"] == "state":
                    self.seq[f["board"]] = f["seq"]
                if f["type"] == "caught_up" and f["board"] == board:
                    self.epoch[board], self.seq[board] = f["epoch"], f["seq"]
                    break
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        clock = time.perf_counter
        try:
            async for raw in self.ws:
                t = clock()
                f = json.loads(raw)
                kind = f["type"]
                if kind == "event":
                    self.events += 1
                    board = f["board"]
                    if f["seq"] != self.seq.get(board, 0) + 1:
                        self.gaps += 1
                    self.seq[board] = f["seq"]
                    if self.recording:
                        sent = self.sent_at.get(f["id"])
                        if sent is not None:
                            self.latencies.append(t - sent)
                elif kind == "ack":
                    self.acks += 1
                elif kind == "error":
                    self.errors[f["code"]] = self.errors.get(f["code"], 0) + 1
        except websockets.ConnectionClosed as exc:
            self.closed_code = exc.rcvd.code if exc.rcvd is not None else 1006

    def next_id(self) -> str:
        self._n += 1
        return f"{self._prefix}.{self._n}"

    async def op(self, board: str, op: dict[str, Any]) -> str:
        assert self.ws is not None
        op_id = self.next_id()
        self.sent_at[op_id] = time.perf_counter()
        await self.ws.send(json.dumps({"type": "op", "id": op_id, "board": board, "op": op}))
        return op_id

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(BaseException):
                await self.reader


async def paced(rate: float, seconds: float, action: Callable[[int], Any]) -> int:
    """Call ``action(k)`` ``rate`` times a second for ``seconds``, on a fixed schedule (late
    calls catch up, so the offered rate does not sag when the loop is busy)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    n = int(rate * seconds)
    for k in range(n):
        due = start + k / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await action(k)
    return n


# --- a follower that notices dead connections and resumes ---------------------------------------


class _FollowerConn(Client):
    """One connection of a ``Follower``: every event it applies is also written down."""

    def __init__(self, follower: Follower) -> None:
        super().__init__(follower.base, follower.token, follower.name)
        self.follower = follower
        self.boards = follower.boards  # the mirror outlives the connection (R8 resume)

    def _mirror(self, f: dict[str, Any]) -> None:
        if f["type"] == "event" and f["board"] == self.follower.board:
            self.follower.seen.append(f["seq"])
        try:
            super()._mirror(f)
        except AssertionError as exc:  # a gap or a repeat: counted by the test from ``seen``
            self.follower.errors.append(str(exc))
            raise


@dataclass
class Follower:
    """Follows one board through unreliable connections: a ping every ``ping_every`` s with a
    deadline of ``deadline`` s tells a live connection from a torn or blackholed one (and
    ``open_deadline`` one that breaks while it is being opened); a dead one is aborted and a
    new one resumes with the mirror's epoch and seq (R8)."""

    base: str
    token: str
    board: str
    name: str = ""
    ping_every: float = 0.2
    deadline: float = 1.0
    #: connecting, hello and subscribing (through a proxy that may blackhole it meanwhile)
    open_deadline: float = 3.0
    boards: dict[str, Mirror] = field(default_factory=dict)
    seen: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    connects: int = 0
    deaths: dict[str, int] = field(default_factory=dict)
    #: per connection: [local port, when it was opened, when the next one had caught up]
    history: list[list[Any]] = field(default_factory=list)

    @property
    def head(self) -> int:
        m = self.boards.get(self.board)
        return m.state.seq if m is not None and m.state is not None else 0

    def notes_equal(self, notes: dict[str, dict[str, Any]]) -> bool:
        m = self.boards.get(self.board)
        return (m is not None and m.state is not None
                and {k: v.to_dict() for k, v in m.state.notes.items()} == notes)

    def _died(self, why: str) -> None:
        self.deaths[why] = self.deaths.get(why, 0) + 1

    def resumed_after(self, port: int, at: float) -> float | None:
        """When the connection that had local ``port`` at time ``at`` was replaced by one
        that had caught up; None when it was not (or was not this follower's)."""
        mine = [h for h in self.history if h[0] == port and h[1] <= at]
        if not mine:
            return None
        resumed: float | None = max(mine, key=lambda h: h[1])[2]
        return resumed

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            conn = _FollowerConn(self)
            try:
                await asyncio.wait_for(self._open(conn), self.open_deadline)
                now = time.monotonic()
                for h in self.history[:-1]:
                    if h[2] is None:
                        h[2] = now
                await self._watch(conn, stop)
            except (OSError, ConnectionError, TimeoutError, websockets.WebSocketException):
                self._died("open")
            finally:
                await self._abort(conn)
            if not stop.is_set():
                await asyncio.sleep(0.05)

    async def _open(self, conn: _FollowerConn) -> None:
        # The socket is made here so that its port is known from the first byte on: a
        # blackhole can hit a connection still in its handshake.
        host, port = urlsplit(self.base).hostname, urlsplit(self.base).port
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        began = time.monotonic()
        try:
            await asyncio.get_running_loop().sock_connect(sock, (host, port))
            self.history.append([sock.getsockname()[1], began, None])
            await conn.connect(sock=sock, open_timeout=3, ping_interval=None, max_size=None)
        except BaseException:
            if conn._ws is None:
                sock.close()
            raise
        if conn.welcome.get("type") != "welcome":
            raise ConnectionError(f"no welcome: {conn.welcome}")
        self.connects += 1
        m = self.boards.get(self.board)
        if m is not None and m.state is not None:
            self.modes.append(await conn.subscribe(self.board, m.epoch, m.state.seq))
        else:
            await conn.subscribe(self.board)

    async def _watch(self, conn: _FollowerConn, stop: asyncio.Event) -> None:
        n = 0
        reader = conn._reader
        assert reader is not None
        while not stop.is_set():
            n += 1
            mark = len(conn.frames)
            await conn.send({"type": "ping", "t": n})
            try:
                await conn.wait_for(lambda f, n=n: f["type"] == "pong" and f["t"] == n,
                                    timeout=self.deadline, start=mark)
            except TimeoutError:
                self._died("ping deadline")
                return
            except ConnectionError:
                self._died("closed")
                return
            done, _ = await asyncio.wait([reader], timeout=self.ping_every)
            if done:
                self._died("closed")
                return

    async def _abort(self, conn: _FollowerConn) -> None:
        ws = conn._ws
        if ws is not None:
            ws.transport.abort()
        if conn._reader is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(conn._reader, 5)
