"""What a stranger can make the server hold, bounded before it is held (R39, R42, R43).

- ``Gate`` counts open connections per client address (IPv6: per /64) and in all, from the
  moment TCP accepts them until they close, HTTP and websocket alike; it also keeps the write
  budget each address shares over its websockets (R41, used by ``wire``).
- ``GuardedHttp`` is uvicorn's HTTP protocol with the gate at the door: past a limit a new
  connection gets a short 503 and is closed before anything is read; a request head must be
  complete within ``head_timeout_s`` and ``HEAD_MAX_BYTES``. On a websocket upgrade its place
  in the count goes with the transport to ``wire.Wire``, which gives it back when it closes.
- ``bodies.Bodies`` (its own module) holds request bodies to their route's cap.

A connection that has not shown it is a client yet (no complete request head, idle between
requests, a websocket without ``hello``, or one whose keepalive ping is unanswered) is
*unproven*. When a limit is reached, the oldest
unproven connection is closed to make room for the new one, and only when there is none is
the new one refused: at a venue everyone shares one address, so an attacker holding idle
sockets must not lock the room out; it only ever loses its own oldest sockets.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import resource
import time
from collections.abc import Callable
from typing import Any, ClassVar

import orjson
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.utils import get_remote_addr
from uvicorn.server import ServerState

from .config import Settings
from .ratelimit import ADDRESS_BURST_S, TokenBucket

log = logging.getLogger("vierhoeken.guard")

# Open files kept free for everything else: the store, log files, the listening socket, the
# event loop's own. MAX_CONNECTIONS is lowered to fit the open-file limit less this.
FD_RESERVE = 64
# A request head (request line and headers) larger than this is refused with 431. Browsers send
# a few KiB; nginx's default allows 32 KiB.
HEAD_MAX_BYTES = 64 * 1024
# R39: headers that must come at most once; two values would let two parts of the stack see
# two different requests.
SINGLE_HEADERS = (b"host", b"origin", b"content-length", b"authorization", b"cookie")
RETRY_AFTER_S = 5
# After an answer given before the request's body was read (413), the client has this long to
# read it before the connection is dropped.
LINGER_S = 2.0


def _raw(status: str, code: str, message: str, extra: str = "") -> bytes:
    body = orjson.dumps({"error": code, "message": message})
    return (f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n{extra}connection: close\r\n"
            "x-content-type-options: nosniff\r\n\r\n").encode() + body


BUSY = _raw("503 Service Unavailable", "busy", "too many connections; try again shortly",
            f"retry-after: {RETRY_AFTER_S}\r\n")
HEAD_LATE = _raw("408 Request Timeout", "timeout", "the request head did not arrive in time")
HEAD_TOO_LARGE = _raw("431 Request Header Fields Too Large", "too_large",
                      "the request head is too large")


class Tally:
    """Log lines about one kind of event at most once per ``every`` seconds, with how many
    there were: an attack must neither fill the disk nor drown the lines that matter."""

    def __init__(self, what: str, every: float = 1.0, level: int = logging.WARNING) -> None:
        self.what, self.every, self.level = what, every, level
        self.count = 0
        self.detail = ""
        self.logged_at = -math.inf
        self.timer: asyncio.TimerHandle | None = None

    def __call__(self, detail: str) -> None:
        self.count += 1
        self.detail = detail
        wait = self.logged_at + self.every - time.monotonic()
        if wait <= 0:
            self._emit()
        elif self.timer is None:
            try:
                self.timer = asyncio.get_running_loop().call_later(wait, self._emit)
            except RuntimeError:  # no loop (a unit test): say it now
                self._emit()

    def _emit(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.count:
            log.log(self.level, "%s: %d in the last %.0f s (last: %s)", self.what, self.count,
                    self.every, self.detail)
        self.count = 0
        self.logged_at = time.monotonic()


def address_key(host: str | None) -> str:
    """The address a client is counted under: IPv4 as it is, IPv6 by its /64 (one device or
    one network gets a whole /64, so single addresses cost an attacker nothing)."""
    if not host:
        return "-"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def raise_fd_limit() -> tuple[int, int]:
    """Raise the soft open-file limit to the hard one: every connection is a file. Returns
    (before, after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            return soft, soft
        return soft, target
    return soft, soft


class Slot:
    """One counted connection. ``evict`` closes it when the gate needs its place."""

    __slots__ = ("evict", "gate", "key", "open", "proven")

    def __init__(self, gate: Gate, key: str, evict: Callable[[], None]) -> None:
        self.gate, self.key, self.evict = gate, key, evict
        self.open = True
        self.proven = False

    def prove(self) -> None:
        """It is a client (a complete request head, a websocket that said hello)."""
        if self.open and not self.proven:
            self.proven = True
            self.gate._forget_doubt(self)

    def doubt(self) -> None:
        """It may be gone or idle (an HTTP connection between requests, a websocket whose
        ping is unanswered): it may make room."""
        if self.open and self.proven:
            self.proven = False
            self.gate._note_doubt(self)

    def release(self) -> None:
        """The connection closed. Safe to call more than once."""
        if self.open:
            self.open = False
            self.gate._release(self)


class Gate:
    """Open connections per client address and in all (R42), and each address's shared write
    budget (R41)."""

    def __init__(self, settings: Settings) -> None:
        total = settings.max_connections
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        if soft != resource.RLIM_INFINITY and total > soft - FD_RESERVE:
            fitted = max(1, soft - FD_RESERVE)
            log.warning("MAX_CONNECTIONS=%d does not fit the open-file limit %d (less %d kept "
                        "for the store and logs): at most %d connections", total, soft,
                        FD_RESERVE, fitted)
            total = fitted
        self.total = total
        self.per_address = settings.max_connections_per_address
        self.write_rate = settings.writes_per_address_per_s
        self.open = 0
        self.count: dict[str, int] = {}
        # Unproven connections, oldest first (dicts keep insertion order), in all and per key.
        self.doubtful: dict[Slot, None] = {}
        self.doubtful_of: dict[str, dict[Slot, None]] = {}
        self.budgets: dict[str, TokenBucket] = {}
        # The slot of the connection being upgraded, taken by the websocket protocol.
        self.handing: Slot | None = None
        self.refusals = Tally("connections refused (503) at the limit")
        self.evictions = Tally("idle connections closed to make room", level=logging.INFO)
        self.late = Tally("connections closed: request head not complete in time",
                          level=logging.INFO)

    def admit(self, host: str | None, evict: Callable[[], None]) -> Slot | None:
        """Count a new connection, making room by closing the oldest unproven one when a
        limit is reached; None when there is no room (the caller refuses it)."""
        key = address_key(host)
        if self.count.get(key, 0) >= self.per_address and not self._make_room(
                self.doubtful_of.get(key)):
            self.refusals(f"{key} has {self.count.get(key, 0)} open "
                          f"(MAX_CONNECTIONS_PER_ADDRESS={self.per_address})")
            return None
        if self.open >= self.total and not self._make_room(self.doubtful):
            self.refusals(f"{self.open} open in all (MAX_CONNECTIONS, fitted: {self.total})")
            return None
        slot = Slot(self, key, evict)
        self.open += 1
        self.count[key] = self.count.get(key, 0) + 1
        self._note_doubt(slot)
        return slot

    def writes(self, key: str) -> TokenBucket:
        """The write budget the connections of ``key`` share (R41); it lives as long as the
        address has a connection."""
        bucket = self.budgets.get(key)
        if bucket is None:
            bucket = self.budgets[key] = TokenBucket(self.write_rate,
                                                     self.write_rate * ADDRESS_BURST_S)
        return bucket

    def _make_room(self, candidates: dict[Slot, None] | None) -> bool:
        if not candidates:
            return False
        victim = next(iter(candidates))
        self.evictions(f"{victim.key}, to make room")
        victim.release()
        victim.evict()
        return True

    def _note_doubt(self, slot: Slot) -> None:
        self.doubtful[slot] = None
        self.doubtful_of.setdefault(slot.key, {})[slot] = None

    def _forget_doubt(self, slot: Slot) -> None:
        self.doubtful.pop(slot, None)
        mine = self.doubtful_of.get(slot.key)
        if mine is not None:
            mine.pop(slot, None)
            if not mine:
                del self.doubtful_of[slot.key]

    def _release(self, slot: Slot) -> None:
        self._forget_doubt(slot)
        self.open -= 1
        left = self.count[slot.key] - 1
        if left:
            self.count[slot.key] = left
        else:
            del self.count[slot.key]
            self.budgets.pop(slot.key, None)


class GuardedHttp(HttpToolsProtocol):
    """uvicorn's HTTP protocol (httptools) with the gate at the door and a deadline and a size
    for every request head (R42). Bound to one gate by ``bind``."""

    gate: ClassVar[Gate]
    head_timeout: ClassVar[float]

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.slot: Slot | None = None
        self.head_timer: asyncio.TimerHandle | None = None
        self.head_bytes = 0
        self.refused = False

    def connection_made(  # type: ignore[override]
            self, transport: asyncio.Transport) -> None:
        peer = get_remote_addr(transport)
        slot = self.gate.admit(peer[0] if peer else None, self._evicted)
        if slot is None:
            # Refused before a byte is read: uvicorn never sees this connection.
            self.refused = True
            self.transport = transport
            transport.write(BUSY)
            transport.close()
            return
        self.slot = slot
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        if self.refused:
            return
        if self.slot is not None:
            self.slot.release()
            self.slot = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        waiting = self.head_timer is not None
        super().data_received(data)
        if waiting and self.head_timer is not None:  # the head is still not complete
            self.head_bytes += len(data)
            if self.head_bytes > HEAD_MAX_BYTES:
                self._stop_head_timer()
                self._refuse(HEAD_TOO_LARGE)

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        if self.slot is not None:
            self.slot.prove()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        cycle = self.cycle
        idle = not self.pipeline and cycle is not None and cycle.response_complete
        closing = self.transport.is_closing()
        if (idle or closing) and self.slot is not None:
            # Done (closing), or waiting for the next request: until that comes this
            # connection may make room for another.
            self.slot.doubt()
        if idle and not closing and cycle.more_body:
            self._linger()
        elif idle and not closing:
            self._await_head()  # the next request's head gets a deadline of its own

    def _linger(self) -> None:
        """Answered before the body was read (R43: 413): read none of the rest. Closing at
        once would reset the connection while the client is still sending, and a reset can
        cost it the answer; so the answer is followed by our end of the stream (FIN), the
        socket is not read any more, and the client has LINGER_S to read it and go."""
        self._unset_keepalive_if_required()
        self._stop_head_timer()
        transport = self.transport
        transport.pause_reading()
        if transport.can_write_eof():
            transport.write_eof()
        self.head_timer = self.loop.call_later(LINGER_S, transport.abort)

    def handle_websocket_upgrade(self) -> None:
        # The count goes with the transport: the websocket protocol takes the slot in its
        # connection_made (wire.Wire) and gives it back when it closes.
        slot, self.slot = self.slot, None
        if slot is not None:
            slot.doubt()  # a websocket shows it is a client by saying hello (wire)
        self.gate.handing = slot
        try:
            super().handle_websocket_upgrade()
        finally:
            left, self.gate.handing = self.gate.handing, None
            if left is not None:  # a websocket protocol that does not count: uncounted
                left.release()

    def _await_head(self) -> None:
        self._stop_head_timer()
        self.head_bytes = 0
        self.head_timer = self.loop.call_later(self.head_timeout, self._head_late)

    def _stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_late(self) -> None:
        self.head_timer = None
        peer = self.client[0] if self.client else "-"
        self.gate.late(f"{peer}, {self.head_bytes} bytes of a head in {self.head_timeout:g} s")
        self._refuse(HEAD_LATE)

    def _refuse(self, answer: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(answer)
            self.transport.close()

    def _evicted(self) -> None:
        self.slot = None  # the gate has let go of it already
        self._stop_head_timer()
        if self.transport.is_closing():
            self.transport.abort()  # still writing its last answer to a peer that does not read
        else:
            self.transport.close()


def bind(gate: Gate, head_timeout_s: float) -> type[GuardedHttp]:
    """The HTTP protocol class uvicorn builds for each connection, bound to one gate."""
    return type("BoundGuardedHttp", (GuardedHttp,), {"gate": gate,
                                                     "head_timeout": head_timeout_s})
