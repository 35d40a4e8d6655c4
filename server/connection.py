"""One websocket connection as the server sees it: who it is and a bounded outbox (R14).

The bytes are ``wire``'s; this is what rooms write to. Every frame is a ``str`` encoded once
(``encode``) and handed to each receiver as the same object, so the wire frames it once too.
"""

from __future__ import annotations

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


def encode(frame: Frame) -> str:
    return orjson.dumps(frame.model_dump(mode="json", exclude_none=True)).decode()


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
        "boards",
        "cut_reason",
        "grant",
        "limit",
        "paused",
        "presence_sent",
        "queued",
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

    def send(self, text: str, droppable: bool = False) -> None:
        if self.cut_reason is not None:
            return
        backlog = self.backlog
        if not self.paused and not backlog:
            self._write(text)
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

    def pause(self) -> None:
        """The transport's buffer is full: hold frames in the outbox."""
        self.paused = True

    def resume(self) -> None:
        """The transport drained: write what waited, until it is full again."""
        self.paused = False
        backlog = self.backlog
        while backlog and not self.paused and self.cut_reason is None:
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
            self.cut_reason = reason
            self.backlog = None
            self.queued = 0
            if self._on_cut is not None:
                self._on_cut(reason, code)
