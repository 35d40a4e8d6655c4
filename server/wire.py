"""The websocket wire: uvicorn's protocol for ``/ws``, built on the sans-I/O ``websockets``
``ServerProtocol`` and talking to the server directly instead of through ASGI.

Why not the ASGI websocket: every frame to every receiver went through an ``asyncio.Queue``,
a writer task, Starlette's ``WebSocket`` state checks, its exception-handler wrapper and
uvicorn's ``send`` — the largest share of the server's CPU at load — and each idle phone held
three tasks, two queues and a handful of events (docs/PERFORMANCE.md). Here a connection is
this protocol object, one ``Connection`` and the ``websockets`` parser; it holds no task while
idle. A frame is encoded to JSON once per event (hub), framed once for all receivers (below)
and written straight to each transport; frames wait in the ``Connection``'s bounded outbox
only while a transport is paused (R14).

Reading is budgeted (R15, R40, R41): what arrives is fed to the parser a slice at a time while
the connection's frame and byte budgets last, and a complete message is acted on only while
its message budget (and its address's write budget, for ops) lasts. When one is spent the
socket is not read until it has refilled: nothing is dropped or answered meanwhile, the peer
waits in TCP. A peer that keeps its frame budget spent is closed (1008).

HTTP requests never come here: uvicorn hands a connection to this class only when it asks to
upgrade (``guard.GuardedHttp`` hands over its place in the connection count with it). Plain
HTTP stays with Starlette, and so does everything the messages mean: the wire knows the server
only through ``Messages`` (opened, receive, closed, and the few settings it reads).

This module is longer than the others because it is one concept with many edges — the
handshake, budgeted reading, writing and closing, keepalive — that share one connection's
state; split, each part would reach into the others' fields.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import secrets
import socket
import struct
import time
from collections import deque
from collections.abc import Awaitable
from typing import Any, ClassVar, Protocol, cast

import orjson
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from .connection import Connection, encode
from .guard import SINGLE_HEADERS, Gate, Slot, Tally
from .protocol import Error
from .ratelimit import (
    BURST,
    BYTE_BURST,
    BYTES_PER_S,
    BYTES_TO_RESUME,
    FRAME_BURST,
    FRAMES_PER_S,
    FRAMES_TO_RESUME,
    MESSAGES_TO_RESUME,
    RATE_PER_S,
    STRAIN_MAX_S,
    Strain,
    TokenBucket,
)

log = logging.getLogger("vierhoeken.wire")

WS_PATH = "/ws"
# Only with VH_CONFORMANCE=1: the same wire, echoing every message (Autobahn's fuzzing client
# tests an echo server; see tests/autobahn/). Not part of the protocol.
ECHO_PATH = "/ws-echo"
# R14: a cut connection gets this close code; the client reconnects and resumes.
CLOSE_TOO_SLOW = 4008
# After our close frame, how long the peer has to answer before the socket is dropped.
CLOSE_TIMEOUT_S = 2.0
# Messages read but not handled yet; past this, reading pauses (TCP pushes back on the peer).
INBOX_PAUSE_AT = 32
# R40: the parser is fed this much at a time, so a read full of tiny frames is parsed a few
# hundred frames at a time and the budget is checked in between.
SLICE_BYTES = 4096
# One connection reads at most this much in one turn of the event loop; then the others.
TURN_BYTES = 64 * 1024
# R40: fragments of one message; a browser never fragments, Autobahn's cases use a few dozen.
MAX_FRAGMENTS = 64
# The shortest pause for a budget: fewer timers for a peer that is always over it.
MIN_PAUSE_S = 0.01
# TCP states (Linux, tcp_states.h) in which the peer has gone: reset, or sent FIN.
_TCP_GONE = (7, 8)

_RATE_LIMITED = encode(Error(code="rate_limited", message="te veel berichten; even rustig aan"))


class Messages(Protocol):
    """All the wire asks of the server (``app.Server``; tests may bring their own)."""

    @property
    def hello_timeout_s(self) -> float:
        """R42: how long a websocket may take to say hello."""
        ...

    def origin_allowed(self, origin: str | None, host: str) -> bool:
        """R4, R38: whether a browser of this origin may open a websocket here."""
        ...

    def opened(self, conn: Connection) -> None:
        """A websocket completed its handshake."""
        ...

    def receive(self, conn: Connection, data: str) -> Awaitable[None] | None:
        """One message; the work to await, or None when it is done."""
        ...

    def closed(self, conn: Connection) -> None:
        """The websocket is gone; nothing more is written to it."""
        ...

    def keep(self, task: asyncio.Task[Any]) -> None:
        """Hold a background task until it ends."""
        ...


class Hold(enum.IntFlag):
    """Why a connection is not being read (any one is enough)."""

    BUDGET = 1  # frames or bytes (R40)
    RATE = 2  # messages of this connection (R15) or writes of its address (R41)
    INBOX = 4  # messages waiting for earlier ones to be handled
    WRITE = 8  # the peer does not read what we write: read nothing more from it either
    TURN = 16  # read enough in this turn of the event loop


def frame_text(text: str) -> bytes:
    """An unmasked, unfragmented server text frame (RFC 6455 §5.2)."""
    payload = text.encode()
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload


def is_op(data: bytes) -> bool:
    """Whether a message is an ``op`` (a write: R41 counts these per address). Parsed, not
    searched: JSON lets a key be spelt with escapes."""
    try:
        frame = orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    return isinstance(frame, dict) and frame.get("type") == "op"


class _Parser(ServerProtocol):
    """``websockets``' server protocol, except that a close frame in the middle of a
    fragmented message closes normally (RFC 6455 §5.4 lets control frames come between
    fragments; the unfinished message is dropped) instead of failing with 1002."""

    def recv_frame(self, frame: Frame) -> None:
        if frame.opcode is Opcode.CLOSE:
            self.current_size = None
        super().recv_frame(frame)


class _FrameCache:
    """The hub sends the same ``str`` object to every subscriber of a board: frame it once."""

    __slots__ = ("data", "text")

    def __init__(self) -> None:
        self.text: str | None = None
        self.data = b""

    def __call__(self, text: str) -> bytes:
        if text is not self.text:
            self.data = frame_text(text)
            self.text = text
        return self.data


_framed = _FrameCache()
_strained = Tally("websockets closed (1008): frames over budget")
_silent = Tally("websockets closed (1008): no hello in time", level=logging.INFO)
_duplicated = Tally("websocket handshakes refused (400): duplicated header")


class Wire(asyncio.Protocol):
    """One websocket connection (uvicorn's ``ws`` protocol class; see ``bind``)."""

    server: ClassVar[Messages]
    live: ClassVar[set[Wire]]
    keepalive: ClassVar[asyncio.Task[None] | None]
    ping_interval: ClassVar[float | None]
    echo_enabled: ClassVar[bool]
    gate: ClassVar[Gate | None]

    __slots__ = (
        "awaiting_pong",
        "bucket",
        "bytes_budget",
        "close_timer",
        "conn",
        "connections",
        "echo",
        "eof",
        "fragments",
        "fragments_binary",
        "frame_budget",
        "held",
        "hello_timer",
        "holds",
        "inbox",
        "notice_due",
        "slot",
        "starved_at",
        "strain",
        "timer",
        "transport",
        "unread",
        "unread_at",
        "waiting",
        "worker",
        "writes",
        "ws",
    )

    def __init__(self, config: Any, server_state: Any, app_state: Any = None,
                 _loop: Any = None) -> None:
        self.ws = _Parser(max_size=config.ws_max_size, logger=log)
        self.connections: set[Any] = server_state.connections
        self.transport: asyncio.Transport | None = None
        self.conn: Connection | None = None
        self.bucket: TokenBucket | None = None
        self.inbox: deque[str] | None = None
        self.worker: asyncio.Task[None] | None = None
        self.fragments: list[bytes] | None = None
        self.fragments_binary = False
        self.echo = False
        self.awaiting_pong = False
        self.close_timer: asyncio.TimerHandle | None = None
        # Reading (R15, R40, R41): input not yet parsed, frames parsed but not acted on, and
        # a message that waits for its budget.
        self.unread = b""
        self.unread_at = 0
        self.held: deque[Frame] | None = None  # made when needed: idle connections are many
        self.waiting: bytes | None = None
        self.holds = Hold(0)
        self.timer: asyncio.TimerHandle | None = None
        self.eof = False
        self.frame_budget = TokenBucket(FRAMES_PER_S, FRAME_BURST)
        self.bytes_budget = TokenBucket(BYTES_PER_S, BYTE_BURST)
        self.strain: Strain | None = None
        self.starved_at = 0.0
        self.notice_due = True
        # R41, R42: this connection's place in the count and its address's write budget.
        self.slot: Slot | None = None
        self.writes: TokenBucket | None = None
        self.hello_timer: asyncio.TimerHandle | None = None

    # --- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports quack like asyncio.Transport but do not subclass it.
        self.transport = cast(asyncio.Transport, transport)
        self.connections.add(self)
        gate = self.gate
        if gate is not None and gate.handing is not None:
            slot, gate.handing = gate.handing, None
            slot.evict = self._evicted
            self.slot = slot
            self.writes = gate.writes(slot.key)

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self.live.discard(self)
        for timer in (self.close_timer, self.timer, self.hello_timer):
            if timer is not None:
                timer.cancel()
        self.close_timer = self.timer = self.hello_timer = None
        if self.slot is not None:
            self.slot.release()
            self.slot = None
        conn = self.conn
        if conn is not None:
            if conn.cut_reason is None:
                conn.cut_reason = "gone"  # nothing more is written to it
            self.server.closed(conn)
        if self.worker is not None:
            self.worker.cancel()
        self.inbox = None
        self.unread, self.waiting, self.held = b"", None, None

    def pause_writing(self) -> None:
        if self.conn is not None:
            self.conn.pause()
        # A peer that does not read what it is sent (pongs, answers) is not read either: what
        # it makes us write stays bounded by the transport's buffer.
        self._hold(Hold.WRITE)

    def resume_writing(self) -> None:
        if self.conn is not None:
            self.conn.resume()
            if self.conn.paused:  # its outbox filled the buffer again
                return
        self._release(Hold.WRITE)

    def data_received(self, data: bytes) -> None:
        if self.unread_at < len(self.unread):
            self.unread = self.unread[self.unread_at:] + data
        else:
            self.unread = data
        self.unread_at = 0
        self._pump()

    def eof_received(self) -> bool | None:
        if self.held or self.waiting is not None or self.unread_at < len(self.unread):
            self.eof = True  # what came before the end is read first (see _pump)
            return True
        self.ws.receive_eof()
        self._flush()
        return None

    # --- reading under budgets (R15, R40, R41) ---------------------------------------------------

    def _pump(self) -> None:
        """Act on what was received, as far as the budgets allow; stop at the first hold."""
        turn = TURN_BYTES
        while not self.holds:
            transport = self.transport
            if transport is None or transport.is_closing():
                return
            if self.waiting is not None:
                data = self.waiting
                if not self._admit(data):
                    return
                self.waiting = None
                self._deliver(data)
            elif self.held:
                self._frame(self.held.popleft())
            elif self.unread_at < len(self.unread):
                if turn <= 0:
                    self._hold(Hold.TURN)
                    asyncio.get_running_loop().call_soon(self._release, Hold.TURN)
                    return
                frames, nbytes = self.frame_budget.level(), self.bytes_budget.level()
                if frames < 1 or nbytes < 1:
                    self._starve()
                    return
                n = int(min(SLICE_BYTES, turn, nbytes))
                chunk = self.unread[self.unread_at:self.unread_at + n]
                self.unread_at += len(chunk)
                turn -= len(chunk)
                if self.unread_at >= len(self.unread):
                    self.unread, self.unread_at = b"", 0
                self._parse(chunk)
            else:
                self.held = None
                if self.eof:
                    self.eof = False
                    self.ws.receive_eof()
                    self._flush()
                return

    def _parse(self, chunk: bytes) -> None:
        ws = self.ws
        ws.receive_data(chunk)
        # Pongs (and close replies) the parser queued go out before any answer to the
        # messages of this read (RFC 6455 §5.5.2: as soon as practical).
        self._flush()
        frames = 0
        for event in ws.events_received():
            if isinstance(event, Frame):
                frames += 1
                if self.held is None:
                    self.held = deque()
                self.held.append(event)
            elif isinstance(event, Request):
                self._handshake(event)
        # R40: every frame costs, control frames too; what was parsed is paid for afterwards
        # (a slice holds at most SLICE_BYTES / 6 frames), and reading waits until it is paid.
        self.frame_budget.spend(frames)
        self.bytes_budget.spend(len(chunk))

    def _hold(self, why: Hold) -> None:
        transport = self.transport
        if not self.holds and transport is not None and not transport.is_closing():
            transport.pause_reading()
        self.holds |= why

    def _release(self, why: Hold) -> None:
        if not self.holds & why:
            return
        self.holds &= ~why
        transport = self.transport
        if not self.holds and transport is not None and not transport.is_closing():
            transport.resume_reading()
            self._pump()

    def _hold_for(self, why: Hold, seconds: float) -> None:
        # Only _pump holds for a time, and it stops at the first hold: one timer at a time.
        self._hold(why)
        self.timer = asyncio.get_running_loop().call_later(
            max(seconds, MIN_PAUSE_S), self._waited, why)

    def _starve(self) -> None:
        """R40: the frame or byte budget is spent and more input is there."""
        self.starved_at = time.monotonic()
        self._hold_for(Hold.BUDGET, max(self.frame_budget.wait(FRAMES_TO_RESUME),
                                        self.bytes_budget.wait(BYTES_TO_RESUME)))

    def _waited(self, why: Hold) -> None:
        self.timer = None
        if why is Hold.BUDGET:
            now = time.monotonic()
            strain = self.strain
            if strain is None:
                strain = self.strain = Strain()
            strain.add(self.starved_at, now)
            if strain.total(now) > STRAIN_MAX_S:
                _strained(f"paused for its budget {strain.total(now):.1f} s of the last "
                          f"{len(strain.bins)} s")
                self._refuse(1008, "too many frames")
                return
        if self._peer_gone():
            # What it sent meanwhile is not read: an op without an ack is sent again by the
            # client (R5). Without this a flood would go on being read after the flooder left.
            self.abort()
            return
        self._release(why)

    def _peer_gone(self) -> bool:
        info = getattr(socket, "TCP_INFO", None)
        sock = self.transport.get_extra_info("socket") if self.transport is not None else None
        if info is None or sock is None:
            return False
        try:
            return sock.getsockopt(socket.IPPROTO_TCP, info, 1)[0] in _TCP_GONE
        except (OSError, ValueError):
            return False

    def _admit(self, data: bytes) -> bool:
        """R15, R41: whether a complete message may be acted on now; if not, reading stops
        until it may (and the peer is told once per episode)."""
        bucket = self.bucket
        if bucket is None:
            return True
        level = bucket.level()
        if level < 1:
            return self._limited(bucket)
        writes = self.writes
        if writes is not None and is_op(data):
            if writes.level() < 1:
                return self._limited(writes)
            writes.spend(1)
        if level >= bucket.burst:
            self.notice_due = True  # it was quiet long enough: a new episode may be told
        bucket.spend(1)
        return True

    def _limited(self, bucket: TokenBucket) -> bool:
        if self.notice_due and self.conn is not None:
            self.notice_due = False
            self.conn.send(_RATE_LIMITED)
        self._hold_for(Hold.RATE, bucket.wait(MESSAGES_TO_RESUME))
        return False

    # --- handshake -----------------------------------------------------------------------------

    def _handshake(self, request: Request) -> None:
        ws = self.ws
        path = request.path.partition("?")[0]
        twice = next((name.decode() for name in SINGLE_HEADERS
                      if len(request.headers.get_all(name.decode())) > 1), None)
        self.echo = path == ECHO_PATH and self.echo_enabled
        if twice is not None:
            _duplicated(f"{twice} on {path}")  # R39
            response = ws.reject(400, f"Bad Request: the {twice} header is there twice\n")
        elif path != WS_PATH and not self.echo:
            response = ws.reject(404, "Not Found\n")
        elif not self.server.origin_allowed(request.headers.get("Origin"),
                                            request.headers.get("Host", "")):
            response = ws.reject(403, "Forbidden: origin not allowed\n")  # R4
        else:
            response = ws.accept(request)
        ws.send_response(response)
        self._flush()  # the response before any frame the server writes straight away
        if response.status_code != 101:
            log.info('"WebSocket %s" %d', path, response.status_code)
            return
        if self.echo:
            self.live.add(self)
            self._start_keepalive()
            return
        self.conn = Connection(self._write, self._cut)
        self.bucket = TokenBucket(RATE_PER_S, BURST)
        self.live.add(self)
        self._start_keepalive()
        # R42: a websocket that does not say hello in time only holds a place.
        self.hello_timer = asyncio.get_running_loop().call_later(
            self.server.hello_timeout_s, self._hello_late)
        self.server.opened(self.conn)

    def _hello_late(self) -> None:
        self.hello_timer = None
        if self.conn is None or self.conn.grant is not None:
            return
        _silent(f"after {self.server.hello_timeout_s:g} s")
        self._refuse(1008, "hello expected")

    def _granted(self) -> None:
        """After a message: once ``hello`` has been granted, the connection has shown it is a
        client and no longer makes room for others (R42)."""
        if (self.hello_timer is not None and self.conn is not None
                and self.conn.grant is not None):
            self.hello_timer.cancel()
            self.hello_timer = None
            if self.slot is not None:
                self.slot.prove()

    def _evicted(self) -> None:
        """The gate needs this connection's place (it has not said hello, or has not answered
        its keepalive ping): the client may come back (1013, try again later)."""
        self.slot = None  # the gate has let go of it already
        self._refuse(1013, "server full; try again later")

    # --- acting on frames ----------------------------------------------------------------------

    def _frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if self.awaiting_pong:  # anything from the peer shows it is there
            self.awaiting_pong = False
            if self.slot is not None and self.conn is not None and self.conn.grant is not None:
                self.slot.prove()
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            self.fragments_binary = opcode is Opcode.BINARY
            if not frame.fin:
                self.fragments = [bytes(frame.data)]
                return
            self._message(bytes(frame.data))
        elif opcode is Opcode.CONT:
            if self.fragments is None:
                return  # the parser has failed the connection already
            if len(self.fragments) >= MAX_FRAGMENTS:
                # R40: empty fragments cost the parser nothing but a list entry each.
                self._refuse(1009, "too many fragments")
                return
            self.fragments.append(bytes(frame.data))
            if frame.fin:
                data, self.fragments = b"".join(self.fragments), None
                self._message(data)
        elif opcode is Opcode.CLOSE:
            self.inbox = None  # what was read but not handled yet is dropped with the line
        # PING: the parser queued the pong; PONG: noted above.

    def _message(self, data: bytes) -> None:
        if self.echo:
            self._echo(data)
            return
        if self.conn is None or self.ws.state is not State.OPEN:
            return
        if not self._admit(data):
            self.waiting = data  # read again when the budget allows (_pump)
            return
        self._deliver(data)

    def _deliver(self, data: bytes) -> None:
        conn = self.conn
        if conn is None or self.ws.state is not State.OPEN:
            return
        try:
            text = data.decode()
        except UnicodeDecodeError:
            self._refuse(1007, "invalid UTF-8")
            return
        if self.worker is not None:
            # Earlier messages are still being handled: keep the order.
            inbox = self.inbox
            if inbox is None:
                inbox = self.inbox = deque()
            inbox.append(text)
            if len(inbox) >= INBOX_PAUSE_AT:
                self._hold(Hold.INBOX)
            return
        pending = self._receive(conn, text)
        if pending is not None:
            self.worker = asyncio.get_running_loop().create_task(self._work(pending))
        else:
            self._granted()

    def _receive(self, conn: Connection, text: str) -> Awaitable[None] | None:
        try:
            return self.server.receive(conn, text)
        except Exception:
            self._failed(conn)
            return None

    @staticmethod
    def _failed(conn: Connection) -> None:
        # One bad message must not end the connection, let alone the server.
        log.exception("handling a message failed")
        conn.send(encode(Error(code="server_error", message="handling this message failed")))

    async def _work(self, first: Awaitable[None]) -> None:
        """Handle messages that need to wait (store, loading a board) one after another."""
        conn = self.conn
        assert conn is not None
        try:
            await self._guarded(first)
            self._granted()
            while self.inbox:
                text = self.inbox.popleft()
                if len(self.inbox) < INBOX_PAUSE_AT // 2:
                    self._release(Hold.INBOX)
                pending = self._receive(conn, text)
                if pending is not None:
                    await self._guarded(pending)
                self._granted()
        finally:
            self.worker = None

    async def _guarded(self, pending: Awaitable[None]) -> None:
        try:
            await pending
        except asyncio.CancelledError:
            raise
        except Exception:
            if self.conn is not None:
                self._failed(self.conn)

    def _echo(self, data: bytes) -> None:
        if self.ws.state is not State.OPEN:
            return
        if self.fragments_binary:
            self.ws.send_binary(data)
        else:
            try:
                self.ws.send_text(data.decode().encode())
            except UnicodeDecodeError:
                self._refuse(1007, "invalid UTF-8")
                return
        self._flush()

    # --- writing and closing -------------------------------------------------------------------

    def _write(self, text: str) -> None:
        transport = self.transport
        if transport is None or self.ws.state is not State.OPEN or transport.is_closing():
            return
        transport.write(_framed(text))

    def _flush(self) -> None:
        """Write what the parser has to say (handshake, pongs, close frames) and act on it."""
        transport = self.transport
        if transport is None:
            return
        for data in self.ws.data_to_send():
            if data:
                transport.write(data)
            else:
                # The protocol's EOF: the closing handshake is done (or failed), end TCP; a
                # peer that does not read what is left in the buffer is dropped after a while.
                transport.close()
                self._abort_after(CLOSE_TIMEOUT_S)
                return
        if self.ws.close_expected():
            self._abort_after(CLOSE_TIMEOUT_S)

    def _abort_after(self, seconds: float) -> None:
        if self.close_timer is None:
            self.close_timer = asyncio.get_running_loop().call_later(seconds, self.abort)

    def close(self, code: int, reason: str = "") -> None:
        if self.ws.state is State.OPEN:
            if self.conn is not None:
                self.conn.flush()  # R54: what the tick held goes before the close
            self.ws.send_close(code, reason)
            self._flush()

    def _refuse(self, code: int, reason: str) -> None:
        """Fail the connection (RFC 6455 §7.1.7): a close frame, then the end of TCP; nothing
        more it sent is read."""
        self.unread, self.unread_at, self.waiting, self.held = b"", 0, None, None
        self.fragments = None
        self.ws.fail(code, reason)
        self._flush()

    def _cut(self, reason: str, code: int = CLOSE_TOO_SLOW) -> None:
        """R14: the peer does not read (or, R33, may no longer be here). Say why (if the
        buffer still takes it), then drop the socket without waiting for a buffer that will
        not drain."""
        log.info("connection cut: %s", reason)
        self.close(code, "too slow" if code == CLOSE_TOO_SLOW else reason[:100])
        if self.close_timer is not None:
            self.close_timer.cancel()
        self.close_timer = asyncio.get_running_loop().call_later(1.0, self.abort)

    def abort(self) -> None:
        """Drop the TCP connection without flushing (linger 0: a reset frees the kernel's
        send buffer at once, not after retries)."""
        self.close_timer = None
        transport = self.transport
        if transport is None:
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()

    # --- uvicorn -------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """uvicorn stops: tell the client to come back (1012) and end the connection."""
        if self.ws.state is State.OPEN:
            self.close(1012, "server restarting")
        elif self.transport is not None:
            self.transport.close()

    # --- keepalive -----------------------------------------------------------------------------

    def _start_keepalive(self) -> None:
        cls = type(self)
        if cls.ping_interval and (cls.keepalive is None or cls.keepalive.done()):
            cls.keepalive = asyncio.get_running_loop().create_task(_keepalive(cls))
            self.server.keep(cls.keepalive)

    def ping(self) -> None:
        """Ping, or give up on a peer that did not answer the last ping (venue Wi-Fi: a phone
        that walked out leaves a half-open TCP connection)."""
        if self.ws.state is not State.OPEN:
            return
        if self.awaiting_pong:
            self._refuse(1011, "keepalive ping timeout")
            return
        self.awaiting_pong = True
        if self.slot is not None:
            # Until it answers it may be gone (Wi-Fi dropped it): it may make room for the
            # connection its phone opens again (R42).
            self.slot.doubt()
        self.ws.send_ping(secrets.token_bytes(4))
        self._flush()


async def _keepalive(cls: type[Wire]) -> None:
    """One task for all connections: every interval, ping each; no answer by the next round
    closes it."""
    interval = cls.ping_interval
    assert interval
    while cls.live:
        await asyncio.sleep(interval)
        for wire in list(cls.live):
            wire.ping()


def bind(server: Messages, ping_interval: float | None, echo: bool = False,
         gate: Gate | None = None) -> type[Wire]:
    """The protocol class uvicorn builds for each websocket upgrade, bound to one server (and
    to the gate that counts connections, R42)."""
    return type("BoundWire", (Wire,), {
        "__slots__": (), "server": server, "live": set(), "keepalive": None,
        "ping_interval": ping_interval, "echo_enabled": echo, "gate": gate,
    })
