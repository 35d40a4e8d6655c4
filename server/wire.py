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

HTTP requests never come here: uvicorn hands a connection to this class only when it asks to
upgrade. Plain HTTP stays with Starlette, and so does everything the messages mean
(``Server.receive``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
import struct
from collections import deque
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, ClassVar, cast

from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from .hub import Connection, encode
from .protocol import Error
from .ratelimit import TokenBucket

if TYPE_CHECKING:
    from .app import Server

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


def frame_text(text: str) -> bytes:
    """An unmasked, unfragmented server text frame (RFC 6455 §5.2)."""
    payload = text.encode()
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload


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


class Wire(asyncio.Protocol):
    """One websocket connection (uvicorn's ``ws`` protocol class; see ``bind``)."""

    server: ClassVar[Server]
    live: ClassVar[set[Wire]]
    keepalive: ClassVar[asyncio.Task[None] | None]
    ping_interval: ClassVar[float | None]
    echo_enabled: ClassVar[bool]

    __slots__ = (
        "awaiting_pong",
        "bucket",
        "close_timer",
        "conn",
        "connections",
        "echo",
        "fragments",
        "fragments_binary",
        "inbox",
        "reading",
        "transport",
        "worker",
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
        self.reading = True
        self.fragments: list[bytes] | None = None
        self.fragments_binary = False
        self.echo = False
        self.awaiting_pong = False
        self.close_timer: asyncio.TimerHandle | None = None

    # --- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports quack like asyncio.Transport but do not subclass it.
        self.transport = cast(asyncio.Transport, transport)
        self.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self.live.discard(self)
        if self.close_timer is not None:
            self.close_timer.cancel()
            self.close_timer = None
        conn = self.conn
        if conn is not None:
            if conn.cut_reason is None:
                conn.cut_reason = "gone"  # nothing more is written to it
            self.server.hub.drop(conn)
        if self.worker is not None:
            self.worker.cancel()
        self.inbox = None

    def pause_writing(self) -> None:
        if self.conn is not None:
            self.conn.pause()

    def resume_writing(self) -> None:
        if self.conn is not None:
            self.conn.resume()

    def data_received(self, data: bytes) -> None:
        ws = self.ws
        ws.receive_data(data)
        # Pongs (and close replies) the parser queued go out before any answer to the
        # messages of this read (RFC 6455 §5.5.2: as soon as practical).
        self._flush()
        for event in ws.events_received():
            if isinstance(event, Frame):
                self._frame(event)
            elif isinstance(event, Request):
                self._handshake(event)
        self._flush()

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        self._flush()
        return None

    # --- handshake -----------------------------------------------------------------------------

    def _handshake(self, request: Request) -> None:
        ws = self.ws
        path = request.path.partition("?")[0]
        origin, host = request.headers.get("Origin"), request.headers.get("Host", "")
        self.echo = path == ECHO_PATH and self.echo_enabled
        if path != WS_PATH and not self.echo:
            response = ws.reject(404, "Not Found\n")
        elif not self.server.origin_allowed(origin, host):
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
        self.bucket = TokenBucket()
        self.live.add(self)
        self._start_keepalive()
        self.server.opened(self.conn)

    # --- reading -------------------------------------------------------------------------------

    def _frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        self.awaiting_pong = False  # anything from the peer shows it is there
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            self.fragments_binary = opcode is Opcode.BINARY
            if not frame.fin:
                self.fragments = [bytes(frame.data)]
                return
            self._message(bytes(frame.data))
        elif opcode is Opcode.CONT:
            if self.fragments is None:
                return  # the parser has failed the connection already
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
        conn, bucket = self.conn, self.bucket
        if conn is None or bucket is None or self.ws.state is not State.OPEN:
            return
        try:
            text = data.decode()
        except UnicodeDecodeError:
            self.ws.fail(1007, "invalid UTF-8")
            return
        if not bucket.take():
            # R15: the excess is answered, not handled.
            conn.send(encode(Error(code="rate_limited",
                                   message="te veel berichten; even rustig aan")))
            return
        if self.worker is not None:
            # Earlier messages are still being handled: keep the order.
            inbox = self.inbox
            if inbox is None:
                inbox = self.inbox = deque()
            inbox.append(text)
            if len(inbox) >= INBOX_PAUSE_AT and self.reading and self.transport is not None:
                self.reading = False
                self.transport.pause_reading()
            return
        pending = self._receive(conn, text)
        if pending is not None:
            self.worker = asyncio.get_running_loop().create_task(self._work(pending))

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
            while self.inbox:
                text = self.inbox.popleft()
                if not self.reading and len(self.inbox) < INBOX_PAUSE_AT // 2:
                    self.reading = True
                    if self.transport is not None and not self.transport.is_closing():
                        self.transport.resume_reading()
                pending = self._receive(conn, text)
                if pending is not None:
                    await self._guarded(pending)
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
                self.ws.fail(1007, "invalid UTF-8")
        self._flush()

    # --- writing -------------------------------------------------------------------------------

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
                # The protocol's EOF: the closing handshake is done (or failed), end TCP.
                transport.close()
                return
        if self.ws.close_expected() and self.close_timer is None:
            self.close_timer = asyncio.get_running_loop().call_later(
                CLOSE_TIMEOUT_S, self.abort)

    def close(self, code: int, reason: str = "") -> None:
        if self.ws.state is State.OPEN:
            self.ws.send_close(code, reason)
            self._flush()

    def _cut(self, reason: str) -> None:
        """R14: the peer does not read. Say why (if the buffer still takes it), then drop the
        socket without waiting for a buffer that will not drain."""
        log.info("connection cut: %s", reason)
        self.close(CLOSE_TOO_SLOW, "too slow")
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
            self.ws.fail(1011, "keepalive ping timeout")
            self._flush()
            return
        self.awaiting_pong = True
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


def bind(server: Server, ping_interval: float | None, echo: bool = False) -> type[Wire]:
    """The protocol class uvicorn builds for each websocket upgrade, bound to one server."""
    return type("BoundWire", (Wire,), {
        "__slots__": (), "server": server, "live": set(), "keepalive": None,
        "ping_interval": ping_interval, "echo_enabled": echo,
    })
