"""The connections of one process and the boards they follow: ordering, durability, fan-out.

A ``Room`` owns one board's in-memory state. Ops are queued, stored in batches (one transaction,
one fsync for all ops that arrived meanwhile), applied in seq order and only then acknowledged
(R6). Every frame is encoded once and handed to each subscriber's bounded outbox; a subscriber
whose outbox is full is cut, never waited for (R14).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from . import board as rules
from . import presence, visibility
from .auth import Grant
from .board import Actor, BoardState, Entry, Outcome
from .protocol import (
    Ack,
    BoardOp,
    DragMoves,
    ErrorCode,
    Event,
    Frame,
    NoteAdd,
    Presence,
    Replay,
    Status,
    VoteCast,
)
from .rotation import Control
from .session import BoardInfo, SessionRecord
from .store import Draft, Store, StoreUnavailable

log = logging.getLogger("vierhoeken.hub")

# R14: frames waiting for one connection; past this the connection is cut (it can resume).
OUTBOX_FRAMES = 1024
# Drag frames are dropped (not queued) once a connection's outbox is this full.
DRAG_DROP_AT = OUTBOX_FRAMES // 4
# R9: drag positions are coalesced per note and sent at most once per tick per board.
DRAG_TICK_S = 0.033
# R8: events kept in memory per board for replay on resume; older gaps get the full state.
REPLAY_WINDOW = 2000
# Ops stored in one transaction at most.
MAX_BATCH = 256
# A state snapshot is written every this many ops, so start-up replays at most this many.
SNAPSHOT_EVERY = 500
# R27: the actor of an anonymous vote as every receiver sees it.
ANONYMOUS = {"participant": "", "name": "", "group": "", "role": "participant"}
# R23: presence is counted and sent to facilitators this often (only when it changed).
PRESENCE_TICK_S = 1.0
# With a shared store, a process's published presence counts this long without an update.
PRESENCE_TTL_S = 5.0


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
    )

    def __init__(self, write: Callable[[str], object],
                 on_cut: Callable[[str], object] | None = None,
                 outbox: int = OUTBOX_FRAMES) -> None:
        self._write = write
        self._on_cut = on_cut
        self.limit = outbox
        self.backlog: deque[str] | None = None
        self.paused = False
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
        if len(backlog) >= self.limit:
            self.cut("outbox full: the client does not read fast enough")
            return
        backlog.append(text)

    def pause(self) -> None:
        """The transport's buffer is full: hold frames in the outbox."""
        self.paused = True

    def resume(self) -> None:
        """The transport drained: write what waited, until it is full again."""
        self.paused = False
        backlog = self.backlog
        while backlog and not self.paused and self.cut_reason is None:
            self._write(backlog.popleft())
        if not backlog:
            self.backlog = None

    @property
    def waiting(self) -> int:
        return len(self.backlog) if self.backlog else 0

    def cut(self, reason: str) -> None:
        if self.cut_reason is None:
            self.cut_reason = reason
            self.backlog = None
            if self._on_cut is not None:
                self._on_cut(reason)


@dataclass
class _Pending:
    draft: Draft
    op: BoardOp
    actor: Actor
    round: int
    ts: float
    future: asyncio.Future[tuple[int, Outcome]] = field(repr=False)


class Room:
    """One board in this process."""

    def __init__(self, hub: Hub, info: BoardInfo, epoch: str, state: BoardState) -> None:
        self.hub = hub
        self.store = hub.store
        self.info = info
        self.board_id = info.id
        self.epoch = epoch
        self.state = state
        self.subscribers: set[Connection] = set()
        self.recent: deque[tuple[int, str]] = deque(maxlen=REPLAY_WINDOW)
        self._pending: list[_Pending] = []
        self._pending_adds: set[str] = set()
        self._flusher: asyncio.Task[None] | None = None
        self._follower: asyncio.Task[None] | None = None
        self._drags: dict[str, dict[str, Any]] = {}
        self._drags_here: dict[str, dict[str, Any]] = {}  # of them, from this process's clients
        self._drag_timer: asyncio.TimerHandle | None = None
        self._drag_sent = 0.0
        self._state_cache: tuple[int, str] | None = None
        self._public_cache: tuple[int, str] | None = None  # without the trash
        self._snapshot_seq = state.seq
        self._catch_up_lock = asyncio.Lock()
        # The last seq after which participants may read other texts than before (R28).
        self.reveal_seq = 0

    @classmethod
    async def load(cls, hub: Hub, info: BoardInfo) -> Room:
        store = hub.store
        epoch = await store.epoch(info.id)
        snap = await store.get_snapshot(info.id)
        spec = info.spec()
        state = BoardState(board_id=info.id, zones=tuple(info.zones), spec=spec)
        if snap is not None:
            state = BoardState.from_dict(orjson.loads(snap[1]), spec)
            state.zones = tuple(info.zones)
        room = cls(hub, info, epoch, state)
        await room.catch_up()
        room._snapshot_seq = room.state.seq
        if store.shared:
            room._follower = asyncio.create_task(room._follow())
        return room

    # --- the log, in order --------------------------------------------------------------------

    async def catch_up(self, upto: int | None = None) -> None:
        """Apply stored entries this process has not seen yet (all, or up to ``upto``)."""
        async with self._catch_up_lock:
            while upto is None or self.state.seq < upto:
                rows = await self.store.read(self.board_id, self.state.seq)
                if not rows:
                    break
                for seq, payload in rows:
                    self._ingest_payload(seq, payload)

    def _ingest_payload(self, seq: int, payload: str) -> None:
        if seq <= self.state.seq:
            return
        if seq != self.state.seq + 1:
            # Compacted away behind a snapshot we did not load: nothing to apply in between.
            log.warning("board %s: log jumps from %d to %d", self.board_id, self.state.seq, seq)
        try:
            entry = Entry.from_payload(seq, orjson.loads(payload))
        except (ValueError, KeyError, TypeError) as exc:
            log.error("board %s: corrupt entry at seq %d skipped: %s", self.board_id, seq, exc)
            self.state.seq = seq
            self.state.noops[seq] = "corrupt_entry"
            # Still an event, so subscribers see every seq once and no gap (R7).
            self._fan_out(seq, encode(Event(
                board=self.board_id, epoch=self.epoch, seq=seq, id="", actor={}, ts=0.0,
                round=0, op={}, result="noop", reason="corrupt_entry")))
            return
        self._apply(entry)

    def _apply(self, entry: Entry) -> Outcome:
        outcome = rules.apply(self.state, entry)
        op = entry.op.model_dump(mode="json")
        actor, op_id = entry.actor.to_dict(), entry.op_id
        ctl = self.state.control
        if ctl is not None and isinstance(entry.op, VoteCast):
            vote = ctl.votes.get(entry.op.vote)
            if vote is None or vote["anonymous"]:
                # R27: who voted is sent to nobody; the sender learns its dot from its ack.
                actor, op_id = dict(ANONYMOUS), ""
        event = Event(board=self.board_id, epoch=self.epoch, seq=entry.seq, id=op_id,
                      actor=actor, ts=entry.ts, round=entry.round, op=op,
                      result=outcome.result, reason=outcome.reason,
                      after=ctl.public() if ctl is not None else None)
        redacted, author = None, None
        if outcome.result == "applied" and op["kind"] in visibility.TEXT_KINDS:
            note = self.state.notes.get(op["note"])
            if note is not None and visibility.text_hidden(self.state, note):
                author = note.author
                redacted = encode(event.model_copy(update={"op": {**op, "text": ""},
                                                           "redacted": True}))
        self._fan_out(entry.seq, encode(event), redacted, author)
        if outcome.result == "applied" and op["kind"] in visibility.RESYNC_KINDS:
            # What someone may read changed, or the event alone cannot say what changed
            # (an undo, a restore): subscribers get the board's state again (R28).
            self.reveal_seq = entry.seq
            for conn in self.subscribers:
                if op["kind"] in visibility.EFFECT_KINDS or not self._sees_all(conn):
                    conn.send(self.state_frame_for(conn))
        return outcome

    def _fan_out(self, seq: int, text: str, redacted: str | None = None,
                 author: str | None = None) -> None:
        self.recent.append((seq, text))
        for conn in self.subscribers:
            if redacted is not None and not self._sees_all(conn, author):
                conn.send(redacted)
            else:
                conn.send(text)

    @staticmethod
    def _sees_all(conn: Connection, author: str | None = None) -> bool:
        if conn.grant is None or conn.actor is None:
            return False
        return visibility.sees_all(conn.grant.role, conn.actor.participant, author)

    async def _follow(self) -> None:
        """For shared stores: apply what other processes append, as it arrives."""
        while True:
            try:
                rows = await self.store.tail(self.board_id, self.state.seq, 5000)
                if rows:
                    async with self._catch_up_lock:
                        for seq, payload in rows:
                            self._ingest_payload(seq, payload)
            except StoreUnavailable:
                self.hub.store_down()
                await asyncio.sleep(0.5)

    # --- ops from clients ---------------------------------------------------------------------

    def check(self, op: BoardOp, actor: Actor | None = None) -> tuple[ErrorCode, str] | None:
        """R12, counting ops that are queued but not stored yet."""
        if isinstance(op, NoteAdd) and op.note in self._pending_adds:
            return "duplicate_note", f"note {op.note!r} already exists on this board"
        error = rules.check(self.state, op, actor)
        if error and error[0] == "unknown_note" and getattr(op, "note", "") in self._pending_adds:
            return None
        return error

    def submit(self, op_id: str, op: BoardOp, actor: Actor, round_: int) -> asyncio.Future[
        tuple[int, Outcome]
    ]:
        """Queue an op; the future gives (seq, outcome) once it is stored and applied."""
        ts = round(time.time() * 1000) / 1000
        payload = {
            "id": op_id,
            "ts": ts,
            "actor": actor.to_dict(),
            "round": round_,
            "op": op.model_dump(mode="json"),
        }
        future: asyncio.Future[tuple[int, Outcome]] = asyncio.get_running_loop().create_future()
        draft = Draft(op_id, orjson.dumps(payload).decode())
        self._pending.append(_Pending(draft, op, actor, round_, ts, future))
        if isinstance(op, NoteAdd):
            self._pending_adds.add(op.note)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return future

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[:MAX_BATCH]
            del self._pending[:MAX_BATCH]
            try:
                results = await self.store.append(self.board_id, [p.draft for p in batch])
                if self.store.shared:
                    await self.catch_up(min(r.seq for r in results) - 1)
            except StoreUnavailable as exc:
                self.hub.store_down()
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(exc)
                self._forget_adds(batch)
                continue
            self.hub.store_up()
            for p, res in zip(batch, results, strict=True):
                if res.seq == self.state.seq + 1 and not res.duplicate:
                    entry = Entry(res.seq, p.draft.op_id, p.ts, p.actor, p.round, p.op)
                    outcome = self._apply(entry)
                else:
                    if res.seq > self.state.seq:
                        await self.catch_up(res.seq)
                    outcome = self.state.outcome_of(res.seq)
                if not p.future.done():
                    p.future.set_result((res.seq, outcome))
            self._forget_adds(batch)
            if self.state.seq - self._snapshot_seq >= SNAPSHOT_EVERY:
                await self._snapshot()
            await asyncio.sleep(0)  # let the writers drain before the next batch

    def _forget_adds(self, batch: list[_Pending]) -> None:
        for p in batch:
            if isinstance(p.op, NoteAdd):
                self._pending_adds.discard(p.op.note)

    async def _snapshot(self) -> None:
        seq = self.state.seq
        data = orjson.dumps(self.state.to_dict()).decode()
        try:
            await self.store.put_snapshot(self.board_id, seq, data)
            self._snapshot_seq = seq
        except StoreUnavailable:
            log.warning("board %s: snapshot at %d not written", self.board_id, seq)

    def ack(self, op_id: str, seq: int, outcome: Outcome) -> str:
        return encode(Ack(id=op_id, board=self.board_id, epoch=self.epoch, seq=seq,
                          result=outcome.result, reason=outcome.reason))

    # --- subscribers ---------------------------------------------------------------------------

    def subscribe(self, conn: Connection, epoch: str | None, seq: int) -> str:
        """Add a subscriber and bring it up to date; answers "replay" or "state" (R8)."""
        self.subscribers.add(conn)
        conn.boards.add(self.board_id)
        mode = "state"
        filtered = not self._sees_all(conn) and (
            self.reveal_seq > seq or visibility.redacting(self.state))
        if epoch == self.epoch and seq <= self.state.seq and not filtered:
            if seq == self.state.seq:
                mode = "replay"
            elif self.recent and self.recent[0][0] <= seq + 1:
                mode = "replay"
                for s, text in self.recent:
                    if s > seq:
                        conn.send(text)
        if mode == "state":
            conn.send(self.state_frame_for(conn))
        conn.send(encode(Replay(board=self.board_id, epoch=self.epoch, seq=self.state.seq)))
        return mode

    def unsubscribe(self, conn: Connection) -> None:
        self.subscribers.discard(conn)
        conn.boards.discard(self.board_id)

    def state_frame(self) -> str:
        cached = self._state_cache
        if cached is None or cached[0] != self.state.seq:
            text = self._encode_state(self.state.public_dict())
            cached = self._state_cache = (self.state.seq, text)
        return cached[1]

    def state_frame_for(self, conn: Connection) -> str:
        """The state as this subscriber may read it (R28): deleted notes (kept for a restore)
        only for facilitators, withheld texts redacted per participant."""
        if self._sees_all(conn) or (not self.state.trash
                                    and not visibility.redacting(self.state)):
            return self.state_frame()
        if not visibility.redacting(self.state):
            cached = self._public_cache
            if cached is None or cached[0] != self.state.seq:
                public = {**self.state.public_dict(), "trash": []}
                cached = self._public_cache = (self.state.seq, self._encode_state(public))
            return cached[1]
        participant = conn.actor.participant if conn.actor is not None else ""
        public = visibility.redact_public(self.state, self.state.public_dict(), participant)
        return self._encode_state(public)

    def _encode_state(self, public: dict[str, Any]) -> str:
        # The same frame as State(...), encoded straight from the dict: validating and dumping
        # a 5,000-note state through the model cost more than building it.
        return orjson.dumps({"type": "state", "board": self.board_id, "epoch": self.epoch,
                             "seq": self.state.seq, "state": public}).decode()

    # --- presence ------------------------------------------------------------------------------

    def drag(self, conn: Connection, note: str, x: float, y: float) -> None:
        if note not in self.state.notes or conn.actor is None:
            return
        move = {"note": note, "x": x, "y": y, "by": conn.actor.participant}
        self._drags[note] = move
        if self.store.shared:
            self._drags_here[note] = move
        self._schedule_drags()

    def remote_drags(self, moves: list[dict[str, Any]]) -> None:
        """Drags another process published (shared stores), already coalesced into its tick:
        passed on at once as a frame of their own, not held for this process's tick."""
        clean = []
        for move in moves:
            try:
                note, x, y, by = move["note"], float(move["x"]), float(move["y"]), str(move["by"])
            except (KeyError, TypeError, ValueError):
                continue
            if isinstance(note, str) and note in self.state.notes:
                clean.append({"note": note, "x": x, "y": y, "by": by})
        if clean:
            text = encode(DragMoves(board=self.board_id, moves=clean))
            for conn in self.subscribers:
                conn.send(text, droppable=True)

    def _schedule_drags(self) -> None:
        """R9: at most one drag frame per tick. The first drag after a quiet tick goes at
        once; what follows within the tick is coalesced and sent when the tick ends."""
        if self._drag_timer is not None:
            return
        loop = asyncio.get_running_loop()
        wait = self._drag_sent + DRAG_TICK_S - loop.time()
        if wait <= 0:
            self._flush_drags()
        else:
            self._drag_timer = loop.call_later(wait, self._flush_drags)

    def _flush_drags(self) -> None:
        self._drag_timer = None
        if not self._drags:
            return
        self._drag_sent = asyncio.get_running_loop().time()
        moves, self._drags = list(self._drags.values()), {}
        text = encode(DragMoves(board=self.board_id, moves=moves))
        for conn in self.subscribers:
            conn.send(text, droppable=True)
        if self._drags_here:
            here, self._drags_here = list(self._drags_here.values()), {}
            self.hub.publish_drags(self.board_id, here)

    async def close(self) -> None:
        if self._drag_timer is not None:
            self._drag_timer.cancel()
        for task in (self._follower, self._flusher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, StoreUnavailable):
                    await task


class Hub:
    """Every room and connection of this process."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rooms: dict[str, Room] = {}
        self.connections: set[Connection] = set()
        self._loading: dict[str, asyncio.Task[Room]] = {}
        self._sessions: dict[str, SessionRecord] = {}
        self.writable = True
        self._prober: asyncio.Task[None] | None = None
        self.node = secrets.token_hex(4)
        self._presence: asyncio.Task[None] | None = None
        self._drag_feed: asyncio.Task[None] | None = None
        self._drag_out: asyncio.Task[None] | None = None
        self._drag_queue: deque[tuple[str, str]] = deque(maxlen=1000)

    async def session(self, session_id: str) -> SessionRecord | None:
        rec = self._sessions.get(session_id)
        if rec is None:
            raw = await self.store.get_session(session_id)
            if raw is None:
                return None
            rec = self._sessions[session_id] = SessionRecord.model_validate_json(raw)
        return rec

    async def put_session(self, rec: SessionRecord) -> None:
        await self.store.put_session(rec.id, rec.code, rec.model_dump_json())
        self._sessions[rec.id] = rec

    async def room(self, session: SessionRecord, board_id: str) -> Room | None:
        """The room of a board of this session; None when the session has no such board."""
        info = session.board(board_id)
        if info is None:
            return None
        room = self.rooms.get(board_id)
        if room is not None:
            return room
        task = self._loading.get(board_id)
        if task is None:
            task = self._loading[board_id] = asyncio.create_task(
                Room.load(self, info)
            )
        try:
            room = await asyncio.shield(task)
        finally:
            self._loading.pop(board_id, None)
        self.rooms[board_id] = room
        self.start_drag_feed()
        return room

    # --- drags between processes (R9) ------------------------------------------------------

    def publish_drags(self, board_id: str, moves: list[dict[str, Any]]) -> None:
        """Hand this tick's own drags of a board to the other processes; never waits, and a
        tick that cannot be published is dropped (the final position is an op anyway)."""
        self._drag_queue.append((board_id, orjson.dumps({"node": self.node,
                                                         "moves": moves}).decode()))
        if self._drag_out is None or self._drag_out.done():
            self._drag_out = asyncio.create_task(self._publish_drags())

    async def _publish_drags(self) -> None:
        while self._drag_queue:
            board_id, data = self._drag_queue.popleft()
            try:
                await self.store.publish_drags(board_id, data)
            except StoreUnavailable:
                self._drag_queue.clear()

    async def _follow_drags(self) -> None:
        """Apply what other processes publish to the rooms this process has."""
        while True:
            try:
                async for board_id, data in self.store.drag_feed():
                    room = self.rooms.get(board_id)
                    if room is None:
                        continue
                    try:
                        msg = orjson.loads(data)
                    except orjson.JSONDecodeError:
                        continue
                    if msg.get("node") != self.node and isinstance(msg.get("moves"), list):
                        room.remote_drags(msg["moves"])
                return  # the store closed
            except StoreUnavailable:
                await asyncio.sleep(0.5)

    def start_drag_feed(self) -> None:
        if self.store.shared and (self._drag_feed is None or self._drag_feed.done()):
            self._drag_feed = asyncio.create_task(self._follow_drags())

    def control_of(self, session_id: str) -> Control | None:
        """The control state of a session, when its control board is loaded here."""
        room = self.rooms.get(f"{session_id}.control")
        return room.state.control if room is not None else None

    # --- presence (R23) -------------------------------------------------------------------------

    def attach(self, conn: Connection) -> None:
        self.connections.add(conn)
        if self._presence is None or self._presence.done():
            self._presence = asyncio.create_task(self._presence_loop())

    async def _presence_loop(self) -> None:
        while True:
            await asyncio.sleep(PRESENCE_TICK_S)
            try:
                await self.presence_tick()
            except StoreUnavailable:
                pass
            except Exception:  # presence must never take the hub down
                log.exception("presence tick failed")

    def _local_people(self) -> tuple[dict[str, list[presence.Person]], dict[str, list[Connection]]]:
        people: dict[str, list[presence.Person]] = {}
        watchers: dict[str, list[Connection]] = {}
        for conn in self.connections:
            grant, actor = conn.grant, conn.actor
            if grant is None or actor is None or conn.cut_reason is not None:
                continue
            control_id = f"{grant.session}.control"
            if grant.role == "facilitator" and control_id in conn.boards:
                watchers.setdefault(grant.session, []).append(conn)
            ctl = self.control_of(grant.session)
            group = (ctl.group_of(actor.participant) if ctl else None) or (
                actor.group if ctl is None or actor.group in ctl.groups else "")
            people.setdefault(grant.session, []).append(presence.person(
                actor.participant, actor.name, group, grant.role,
                (b for b in conn.boards if b != control_id)))
        return people, watchers

    async def presence_tick(self) -> None:
        """Publish this process's people (shared stores) and tell facilitators what changed."""
        people, watchers = self._local_people()
        if self.store.shared:
            for sid, local in people.items():
                await self.store.put_presence(sid, self.node, orjson.dumps(local).decode(),
                                              PRESENCE_TTL_S)
        for sid, conns in watchers.items():
            everyone = list(people.get(sid, ()))
            if self.store.shared:
                for node, data in (await self.store.get_presence(sid)).items():
                    if node != self.node:
                        everyone.extend(orjson.loads(data))
            merged = presence.merge(everyone)
            text = encode(Presence(session=sid, boards=presence.counts(merged), people=merged))
            for conn in conns:
                if conn.presence_sent != text:
                    conn.presence_sent = text
                    conn.send(text)

    async def forget(self, session: SessionRecord) -> None:
        """After a session is deleted: close its rooms, cut its connections, drop the cache."""
        self._sessions.pop(session.id, None)
        for bid in [b.id for b in session.boards] + [session.control_id]:
            room = self.rooms.pop(bid, None)
            if room is not None:
                for conn in list(room.subscribers):
                    conn.cut("the session was deleted")
                await room.close()

    def store_down(self) -> None:
        if self.writable:
            self.writable = False
            log.warning("store %s unreachable: boards are read-only", self.store.kind)
            self._broadcast_status(Status(writable=False, reason="store_unavailable"))
            if self._prober is None or self._prober.done():
                self._prober = asyncio.create_task(self._probe())

    async def _probe(self) -> None:
        """While the store is down, ask it every half second whether it is back (R13)."""
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

    def drop(self, conn: Connection) -> None:
        self.connections.discard(conn)
        for board_id in list(conn.boards):
            room = self.rooms.get(board_id)
            if room is not None:
                room.unsubscribe(conn)

    async def close(self) -> None:
        for task in (self._prober, self._presence, self._drag_feed, self._drag_out):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for room in list(self.rooms.values()):
            await room.close()
        self.rooms.clear()
