"""One websocket connection as the server sees it: who it is and a bounded outbox (R14).

The bytes are ``wire``'s; this is what rooms write to. Every frame is a ``str`` encoded once
(``encode``) and handed to each receiver as the same object, so the wire frames it once too.

R54: a client that said ``batch`` in its hello gets at most one write per tick. The first
frame of a tick goes at once (a lone event is not delayed); what follows within the tick waits
and goes at the tick's end as one ``batch`` frame. One clock (``Ticker``) serves every
connection of the process, and receivers that wait for the same frames get the same batch
object, so it is built and framed once.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

import orjson

from .auth import Grant
from .board import Actor
from .protocol import Frame

# R14: frames waiting for one connection; past this the connection is cut (it can resume).
OUTBOX_FRAMES = 1024
# R45: and characters waiting (a few big states fill memory long before 1,024 frames do).
OUTBOX_BYTES = 8 * 1024 * 1024
# Drag frames are dropped (not queued) once a connection's outbox is this full.
DRAG_DROP_AT = OUTBOX_FRAMES // 4
# Close codes of a cut: the client is too slow and may come back (R14); the client was taken
# out of its session and must not come back (R33).
CLOSE_TOO_SLOW = 4008
CLOSE_REMOVED = 4003


# R54: how long frames after the first of a tick may wait to be sent together. Measured
# (make bench, 300 clients on one board): 20 ms gave the most notes delivered but added ~15 ms
# to every p50 and 9 ms to the workshop's p99; 5 ms keeps the workshop's p99 where it was
# without batches and still delivers 3.6x what a raw relay does.
BATCH_TICK_S = 0.005
# R54: a batch frame holds at most this many frames (a backlog is written in such pieces).
BATCH_MAX_FRAMES = 256


def encode(frame: Frame) -> str:
    return orjson.dumps(frame.model_dump(mode="json", exclude_none=True)).decode()


def batch_text(texts: list[str] | tuple[str, ...]) -> str:
    """R54: several encoded frames as one ``batch`` frame, without decoding them."""
    return '{"type":"batch","frames":[' + ",".join(texts) + "]}"


class Ticker:
    """The process's one batch clock (R54): a tick ends ``BATCH_TICK_S`` after a connection
    wrote with no tick running; then every connection that waited writes its batch."""

    __slots__ = ("armed", "loop", "tick", "waiting")

    def __init__(self) -> None:
        self.tick = 0
        self.armed = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.waiting: list[Connection] = []

    def current(self) -> int:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:  # a new event loop (tests): nothing of the old one carries
            self.loop, self.armed, self.waiting = loop, False, []
            self.tick += 1
        return self.tick

    def arm(self) -> None:
        if not self.armed and self.loop is not None:
            self.armed = True
            self.loop.call_later(BATCH_TICK_S, self._end)

    def _end(self) -> None:
        self.armed = False
        self.tick += 1
        waiting, self.waiting = self.waiting, []
        memo: dict[tuple[str, ...], str] = {}
        for conn in waiting:
            conn.flush(memo)
        if waiting:  # they just wrote: what comes for them next waits for this new tick
            self.arm()


TICKER = Ticker()


class Connection:
    """One websocket as the hub sees it: an identity and a bounded outbox (R14).

    A frame is written at once while the socket takes it. While the transport is paused (its
    buffer is full because the peer reads slowly) frames wait in the outbox; a connection whose
    outbox fills is cut, never waited for. Idle, a connection holds no task and no queue.
    """

    __slots__ = (
        "__weakref__",
        "_on_cut",
        "_write",
        "actor",
        "backlog",
        "batch",
        "batched",
        "boards",
        "cut_reason",
        "grant",
        "limit",
        "paused",
        "presence_sent",
        "queued",
        "sent_tick",
    )

    def __init__(self, write: Callable[[str], object],
                 on_cut: Callable[[str, int], object] | None = None,
                 outbox: int = OUTBOX_FRAMES) -> None:
        self._write = write
        self._on_cut = on_cut
        self.limit = outbox
        self.backlog: deque[str] | None = None
        self.paused = False
        self.queued = 0  # characters in the backlog
        self.grant: Grant | None = None
        self.actor: Actor | None = None
        self.boards: set[str] = set()
        self.cut_reason: str | None = None
        self.presence_sent: str | None = None
        self.batched = False  # R54: the client said it reads batch frames
        self.batch: list[str] | None = None
        self.sent_tick = -1

    def send(self, text: str, droppable: bool = False) -> None:
        if self.cut_reason is not None:
            return
        backlog = self.backlog
        if not self.paused and not backlog:
            if not self.batched:
                self._write(text)
                return
            tick = TICKER.current()
            if self.sent_tick != tick:  # the first frame of this tick goes at once
                self.sent_tick = tick
                self._write(text)
                TICKER.arm()
                return
            batch = self.batch
            if batch is None:
                batch = self.batch = []
                TICKER.waiting.append(self)
            elif droppable and len(batch) >= DRAG_DROP_AT:
                return
            if len(batch) >= self.limit or self.queued + len(text) > OUTBOX_BYTES:
                self.cut("outbox full: the client does not read fast enough")
                return
            batch.append(text)
            self.queued += len(text)
            return
        if backlog is None:
            backlog = self.backlog = deque()
        if droppable and len(backlog) >= DRAG_DROP_AT:
            return
        if len(backlog) >= self.limit or self.queued + len(text) > OUTBOX_BYTES:
            self.cut("outbox full: the client does not read fast enough")
            return
        backlog.append(text)
        self.queued += len(text)

    def flush(self, memo: dict[tuple[str, ...], str] | None = None) -> None:
        """R54: write what waited in this tick as one frame (or, while the transport is
        paused, move it to the outbox)."""
        batch = self.batch
        self.batch = None
        if not batch or self.cut_reason is not None:
            return
        self.queued = 0  # a batch waits only while nothing is in the outbox
        self.sent_tick = TICKER.tick
        if len(batch) == 1:
            self._write(batch[0])
            return
        key = tuple(batch)
        text = memo.get(key) if memo is not None else None
        if text is None:
            text = batch_text(key)
            if memo is not None:
                memo[key] = text
        self._write(text)

    def pause(self) -> None:
        """The transport's buffer is full: hold frames in the outbox (the tick's batch first)."""
        self.paused = True
        if self.batch:
            self.backlog = deque(self.batch)
            self.batch = None

    def resume(self) -> None:
        """The transport drained: write what waited, until it is full again."""
        self.paused = False
        backlog = self.backlog
        while backlog and not self.paused and self.cut_reason is None:
            if self.batched and len(backlog) > 1:
                piece = [backlog.popleft()
                         for _ in range(min(len(backlog), BATCH_MAX_FRAMES))]
                self.queued -= sum(map(len, piece))
                self._write(batch_text(piece))
                continue
            text = backlog.popleft()
            self.queued -= len(text)
            self._write(text)
        if not backlog:
            self.backlog = None
            self.queued = 0

    @property
    def waiting(self) -> int:
        return len(self.backlog) if self.backlog else 0

    def cut(self, reason: str, code: int = CLOSE_TOO_SLOW) -> None:
        if self.cut_reason is None:
            if code != CLOSE_TOO_SLOW:  # a reason said before the close goes out first
                self.flush()
            self.cut_reason = reason
            self.batch = None
            self.backlog = None
            self.queued = 0
            if self._on_cut is not None:
                self._on_cut(reason, code)
