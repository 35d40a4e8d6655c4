"""What one process holds: its connections, the session records and rooms it has loaded, and
whether the store answers (R13).

Rooms are loaded on first use (once, however many ask at the same moment) and unloaded when
nobody has followed them for a while; session records are kept while one of their rooms is
loaded or they were read recently (R45).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass

from .bus import Bus
from .bus.local import LocalBus
from .connection import CLOSE_REMOVED, Connection, encode
from .control import Control
from .drags import BoardDrags, DragExchange
from .presence import Tracker
from .protocol import Error, Status
from .room import Room
from .session import SessionRecord
from .store import Store, StoreUnavailable

log = logging.getLogger("vierhoeken.registry")

# R45: a session record nobody used for this long is dropped from memory (read again when
# needed); with a shared store a record is read again after ``SESSION_FRESH_S``, so a join
# code rotated or a session deleted by another process is seen by this one.
SESSION_IDLE_S = 120.0
SESSION_FRESH_S = 5.0
# How often idle rooms and records are looked for, at most.
SWEEP_EVERY_S = 30.0


@dataclass(slots=True)
class _Cached:
    record: SessionRecord
    read: float  # when it came from the store (or was written by this process)
    used: float


class Registry:
    """Every room and connection of this process."""

    def __init__(self, store: Store, bus: Bus | None = None) -> None:
        self.store = store
        self.bus: Bus = bus or LocalBus("local://")
        self.rooms: dict[str, Room] = {}
        self.connections: set[Connection] = set()
        self._loading: dict[str, asyncio.Task[Room]] = {}
        self._sessions: dict[str, _Cached] = {}
        self.writable = True
        self._prober: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self.node = secrets.token_hex(4)
        self.exchange = (DragExchange(self.bus, self.node, self._drags_of) if self.bus.shared
                         else None)
        self.presence = Tracker(self)

    def _drags_of(self, board_id: str) -> BoardDrags | None:
        room = self.rooms.get(board_id)
        return room.drags if room is not None else None

    # --- sessions ------------------------------------------------------------------------------

    async def session(self, session_id: str) -> SessionRecord | None:
        now = time.monotonic()
        cached = self._sessions.get(session_id)
        if cached is not None:
            cached.used = now
            if not self.store.shared or now - cached.read < SESSION_FRESH_S:
                return cached.record
        try:
            raw = await self.store.get_session(session_id)
        except StoreUnavailable:
            if cached is None:
                raise
            return cached.record  # the store is down: what we had is still the best answer
        if raw is None:
            self._sessions.pop(session_id, None)
            return None
        if cached is not None and cached.record.model_dump_json() == raw:
            cached.read = now
            return cached.record
        rec = SessionRecord.model_validate_json(raw)
        self._sessions[session_id] = _Cached(rec, now, now)
        return rec

    async def put_session(self, rec: SessionRecord) -> None:
        await self.store.put_session(rec.id, rec.code, rec.model_dump_json())
        self.cache_session(rec)

    def cache_session(self, rec: SessionRecord) -> None:
        """A record this process just wrote (its join code rotated, say)."""
        now = time.monotonic()
        self._sessions[rec.id] = _Cached(rec, now, now)

    # --- rooms ---------------------------------------------------------------------------------

    async def room(self, session: SessionRecord, board_id: str) -> Room | None:
        """The room of a board of this session; None when the session has no such board."""
        info = session.board(board_id)
        if info is None:
            return None
        room = self.rooms.get(board_id)
        if room is not None:
            room.used = time.monotonic()
            return room
        task = self._loading.get(board_id)
        if task is None:
            task = self._loading[board_id] = asyncio.create_task(Room.load(self, info))
        try:
            room = await asyncio.shield(task)
        finally:
            self._loading.pop(board_id, None)
        # Several callers may await the same load: the first one keeps it.
        room = self.rooms.setdefault(board_id, room)
        room.used = time.monotonic()
        if self.exchange is not None:
            self.exchange.start()
        return room

    def control_of(self, session_id: str) -> Control | None:
        """The control state of a session, when its control board is loaded here."""
        room = self.rooms.get(f"{session_id}.control")
        return room.state.control if room is not None else None

    # --- what memory holds (R45) ----------------------------------------------------------------

    def start_sweeping(self, idle_s: float) -> None:
        """Unload rooms idle for ``idle_s`` and forget session records nobody uses."""
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(self._sweep_every(idle_s))

    async def _sweep_every(self, idle_s: float) -> None:
        every = max(0.05, min(SWEEP_EVERY_S, idle_s / 4))
        while True:
            await asyncio.sleep(every)
            try:
                await self.sweep(idle_s)
            except Exception:  # never let housekeeping stop for good
                log.exception("sweeping idle rooms failed")

    async def sweep(self, idle_s: float, now: float | None = None) -> list[str]:
        """Unload the rooms nobody followed or used for ``idle_s`` and that have nothing on
        its way (a session's control board stays while another of its boards is loaded, for
        the removal checks); drop unused session records. Answers the boards unloaded."""
        now = time.monotonic() if now is None else now
        idle = [r for r in self.rooms.values()
                if r.idle() and now - r.used >= idle_s and r.board_id not in self._loading]
        busy_sessions = {_session_of(r.board_id) for r in self.rooms.values() if r not in idle}
        unloaded = []
        for room in idle:
            if room.state.control is not None and _session_of(room.board_id) in busy_sessions:
                continue
            if self.rooms.get(room.board_id) is room:
                del self.rooms[room.board_id]
                unloaded.append(room.board_id)
                await room.close()
        loaded = {_session_of(b) for b in self.rooms}
        for sid, cached in list(self._sessions.items()):
            if sid not in loaded and now - cached.used >= SESSION_IDLE_S:
                del self._sessions[sid]
        if unloaded:
            log.info("unloaded %d idle rooms; %d rooms and %d session records in memory",
                     len(unloaded), len(self.rooms), len(self._sessions))
        return unloaded

    async def forget(self, session: SessionRecord) -> None:
        """After a session is deleted: close its rooms, cut its connections, drop the cache."""
        self._sessions.pop(session.id, None)
        for bid in [b.id for b in session.boards] + [session.control_id]:
            room = self.rooms.pop(bid, None)
            if room is not None:
                for conn in list(room.subscribers):
                    conn.cut("the session was deleted")
                await room.close()

    # --- connections ---------------------------------------------------------------------------

    def taken_out(self, session_id: str, participant: str) -> None:
        """R33: someone was taken out of a session: their connections here close now."""
        for conn in list(self.connections):
            grant = conn.grant
            if grant is not None and grant.session == session_id \
                    and grant.participant == participant:
                conn.send(encode(Error(code="removed",
                                       message="you were taken out of this session")))
                conn.cut("removed from the session", CLOSE_REMOVED)

    def attach(self, conn: Connection) -> None:
        self.connections.add(conn)
        self.presence.start()

    def drop(self, conn: Connection) -> None:
        self.connections.discard(conn)
        for board_id in list(conn.boards):
            room = self.rooms.get(board_id)
            if room is not None:
                room.unsubscribe(conn)

    # --- the store's health (R13) --------------------------------------------------------------

    def store_down(self) -> None:
        if self.writable:
            self.writable = False
            log.warning("store %s unreachable: boards are read-only", self.store.kind)
            self._broadcast_status(Status(writable=False, reason="store_unavailable"))
            if self._prober is None or self._prober.done():
                self._prober = asyncio.create_task(self._probe())

    async def _probe(self) -> None:
        """While the store is down, ask it every half second whether it is back."""
        while not self.writable:
            await asyncio.sleep(0.5)
            if await self.store.ping():
                for room in list(self.rooms.values()):
                    with contextlib.suppress(StoreUnavailable):
                        await self._reload_if_reset(room)
                self.store_up()

    async def _reload_if_reset(self, room: Room) -> None:
        """After an outage: catch up, or start over when the store lost the board's history."""
        if await self.store.epoch(room.board_id) == room.epoch:
            await room.catch_up()
            return
        log.warning("board %s: history lost in the store, new epoch", room.board_id)
        subscribers = list(room.subscribers)
        await room.close()
        fresh = await Room.load(self, room.info)
        self.rooms[room.board_id] = fresh
        for conn in subscribers:
            fresh.subscribe(conn, None, 0)  # R8: a new epoch means the full state

    def store_up(self) -> None:
        if not self.writable:
            self.writable = True
            log.warning("store %s reachable again", self.store.kind)
            self._broadcast_status(Status(writable=True))

    def _broadcast_status(self, status: Status) -> None:
        text = encode(status)
        for conn in self.connections:
            conn.send(text)

    async def close(self) -> None:
        tasks = [t for t in (self._prober, self._sweeper) if t is not None]
        if self.exchange is not None:
            tasks.extend(self.exchange.tasks())
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.presence.close()
        for room in list(self.rooms.values()):
            await room.close()
        self.rooms.clear()


def _session_of(board_id: str) -> str:
    return board_id.rsplit(".", 1)[0]
