"""Notes being dragged: presence, never log (R9).

``BoardDrags`` coalesces one board's drag positions per note and sends them at most once per
tick; the first drag after a quiet tick goes at once. ``DragExchange`` carries each process's
own drags to the other processes of a shared store (Redis pub/sub, per board), which pass them
on as they arrive. The final position is a ``note.move`` op, stored like any other.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Collection, Iterable
from typing import Any, Protocol

import orjson

from .bus import Bus, BusUnavailable
from .connection import Connection, encode
from .protocol import DragMoves

log = logging.getLogger("vierhoeken.drags")

# R9: drag positions are coalesced per note and sent at most once per tick per board.
DRAG_TICK_S = 0.033
# Ticks waiting to be published to the other processes; older ones are dropped.
PUBLISH_QUEUE = 1000


class DragRoom(Protocol):
    """What ``BoardDrags`` needs of its room."""

    board_id: str
    subscribers: set[Connection]

    def has_note(self, note: str) -> bool: ...


class BoardDrags:
    """One board's drags in this process."""

    def __init__(self, room: DragRoom, exchange: DragExchange | None) -> None:
        self.room = room
        self.exchange = exchange
        self._moves: dict[str, dict[str, Any]] = {}
        self._here: dict[str, dict[str, Any]] = {}  # of them, from this process's clients
        self._timer: asyncio.TimerHandle | None = None
        self._sent = 0.0

    def move(self, conn: Connection, note: str, x: float, y: float) -> None:
        if conn.actor is None or not self.room.has_note(note):
            return
        move = {"note": note, "x": x, "y": y, "by": conn.actor.participant}
        self._moves[note] = move
        if self.exchange is not None:
            self._here[note] = move
        self._schedule()

    def remote(self, moves: Iterable[Any]) -> None:
        """Drags another process published, already coalesced into its tick: passed on at
        once as a frame of their own, not held for this process's tick."""
        clean = []
        for move in moves:
            try:
                note, x, y, by = move["note"], float(move["x"]), float(move["y"]), str(move["by"])
            except (KeyError, TypeError, ValueError):
                continue
            if isinstance(note, str) and self.room.has_note(note):
                clean.append({"note": note, "x": x, "y": y, "by": by})
        if clean:
            self._send(clean)

    def _send(self, moves: list[dict[str, Any]]) -> None:
        text = encode(DragMoves(board=self.room.board_id, moves=moves))
        for conn in self.room.subscribers:
            conn.send(text, droppable=True)

    def _schedule(self) -> None:
        """At most one drag frame per tick: the first drag after a quiet tick goes at once;
        what follows within the tick is coalesced and sent when the tick ends."""
        if self._timer is not None:
            return
        loop = asyncio.get_running_loop()
        wait = self._sent + DRAG_TICK_S - loop.time()
        if wait <= 0:
            self._flush()
        else:
            self._timer = loop.call_later(wait, self._flush)

    def _flush(self) -> None:
        self._timer = None
        if not self._moves:
            return
        self._sent = asyncio.get_running_loop().time()
        moves, self._moves = list(self._moves.values()), {}
        self._send(moves)
        if self._here and self.exchange is not None:
            here, self._here = list(self._here.values()), {}
            self.exchange.publish(self.room.board_id, here)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class DragExchange:
    """Drags between the processes of a shared store (R9)."""

    def __init__(self, bus: Bus, node: str,
                 drags_of: Callable[[str], BoardDrags | None]) -> None:
        self.bus = bus
        self.node = node
        self._drags_of = drags_of
        self._queue: deque[tuple[str, str]] = deque(maxlen=PUBLISH_QUEUE)
        self._out: asyncio.Task[None] | None = None
        self._feed: asyncio.Task[None] | None = None

    def publish(self, board_id: str, moves: list[dict[str, Any]]) -> None:
        """Hand this tick's own drags of a board to the other processes; never waits, and a
        tick that cannot be published is dropped (the final position is an op anyway)."""
        self._queue.append((board_id, orjson.dumps({"node": self.node,
                                                    "moves": moves}).decode()))
        if self._out is None or self._out.done():
            self._out = asyncio.create_task(self._publish())

    async def _publish(self) -> None:
        while self._queue:
            board_id, data = self._queue.popleft()
            try:
                await self.bus.publish_drags(board_id, data)
            except BusUnavailable:
                self._queue.clear()

    def start(self) -> None:
        if self._feed is None or self._feed.done():
            self._feed = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        """Pass what other processes publish to the boards this process has."""
        while True:
            try:
                async for board_id, data in self.bus.drag_feed():
                    drags = self._drags_of(board_id)
                    if drags is None:
                        continue
                    try:
                        msg = orjson.loads(data)
                    except orjson.JSONDecodeError:
                        continue
                    if (isinstance(msg, dict) and msg.get("node") != self.node
                            and isinstance(msg.get("moves"), list)):
                        drags.remote(msg["moves"])
                return  # the bus closed
            except BusUnavailable:
                await asyncio.sleep(0.5)

    def tasks(self) -> Collection[asyncio.Task[None]]:
        return [t for t in (self._out, self._feed) if t is not None]
