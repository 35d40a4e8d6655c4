"""One board in this process: ordering, durability, fan-out (R6-R8, R14, R28).

A ``Room`` owns one board's in-memory state. Ops are queued, stored in batches (one transaction,
one fsync for all ops that arrived meanwhile), applied in seq order and only then acknowledged
(R6). Every frame is encoded once and handed to each subscriber's bounded outbox; a subscriber
whose outbox is full is cut, never waited for (R14).

Longer than most modules on purpose: ordering, storage, fan-out and the cached state frames all
turn on one board's state and seq at one moment; the parts that do not (drags, presence, the
redaction rules, the outbox) live in their own modules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from . import board as rules
from . import visibility
from .board import Actor, Entry
from .boardstate import BoardState, Note, Outcome, Spec
from .connection import Connection, encode
from .drags import BoardDrags
from .protocol import (
    Ack,
    BoardOp,
    Event,
    NoteAdd,
    Replay,
    VoteCast,
)
from .session import BoardInfo
from .store import Draft, StoreUnavailable

if TYPE_CHECKING:
    from .registry import Registry

log = logging.getLogger("vierhoeken.room")

# R8: events kept in memory per board for replay on resume; older gaps get the full state.
REPLAY_WINDOW = 2000
# Ops stored in one transaction at most.
MAX_BATCH = 256
# A state snapshot is written every this many ops, so start-up replays at most this many —
# on a big board every eighth of its notes in ops: its snapshot costs the store's one writer
# in proportion to its size, and is written as often per note as a small board's (R44).
SNAPSHOT_EVERY = 500
SNAPSHOT_PER_NOTES = 8
# R27: the actor of an anonymous vote as every receiver sees it.
ANONYMOUS = {"participant": "", "name": "", "group": "", "role": "participant"}
# R44: notes encoded per loop turn while a big board's fragments are made (a few ms), and
# ops of a stored batch applied and fanned out per loop turn.
WARM_SLICE = 1000
APPLY_SLICE = 64
# R45: redacted states kept per board (one per participant at the current seq), by count and
# by size; a participant who subscribes again gets the same string, not a new one.
REDACTED_STATES = 64
REDACTED_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Recent:
    """An event kept for replay (R8), with its redacted copy when its text was withheld from
    some receivers, so a replay is never more than the live event was (R36)."""

    seq: int
    text: str
    redacted: str | None = None
    author: str | None = None
    #: A replay of what follows cannot be trusted to a participant: the event deleted a note
    #: (whose text earlier events carry) or changed what people may read.
    sensitive: bool = False


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

    def __init__(self, registry: Registry, info: BoardInfo, epoch: str, state: BoardState) -> None:
        self.registry = registry
        self.store = registry.store
        self.info = info
        self.board_id = info.id
        self.epoch = epoch
        self.state = state
        self.subscribers: set[Connection] = set()
        self.recent: deque[Recent] = deque(maxlen=REPLAY_WINDOW)
        self._pending: list[_Pending] = []
        self.pending_adds: set[str] = set()
        self._flusher: asyncio.Task[None] | None = None
        self._follower: asyncio.Task[None] | None = None
        self.drags = BoardDrags(self, registry.exchange)
        self._state_cache: tuple[int, str] | None = None
        self._public_cache: tuple[int, str] | None = None  # without the trash
        # Per participant, their redacted state at ``_redacted_seq`` (R28, R45).
        self._redacted: OrderedDict[str, str] = OrderedDict()
        self._redacted_seq = -1
        self._redacted_bytes = 0
        self._withheld_authors: set[str] = set()
        self._snapshot_seq = state.seq
        self._catch_up_lock = asyncio.Lock()
        self._warmer: asyncio.Task[None] | None = None
        # The last seq after which participants may read other texts than before (R28).
        self.reveal_seq = 0
        #: When someone last used this room (R45: idle rooms are unloaded).
        self.used = time.monotonic()
        self.closed = False

    @classmethod
    async def load(cls, registry: Registry, info: BoardInfo) -> Room:
        store = registry.store
        epoch = await store.epoch(info.id)
        snap = await store.get_snapshot(info.id)
        spec = info.spec()
        state = BoardState(board_id=info.id, zones=tuple(info.zones), spec=spec)
        if snap is not None:
            state = await _from_snapshot(snap[1], spec)
            state.zones = tuple(info.zones)
        room = cls(registry, info, epoch, state)
        await room.catch_up()
        room._snapshot_seq = room.state.seq
        if store.shared:
            room._follower = asyncio.create_task(room._follow())
        if len(room.state.notes) + len(room.state.trash) > WARM_SLICE:
            # The first state frame or snapshot of a big board would encode every note at
            # once; encode them now, a slice per loop turn (R44).
            room._warmer = asyncio.create_task(room.warm())
        return room

    async def ready(self) -> None:
        """Once the notes' JSON of a board just loaded is made (at once for most boards)."""
        warmer = self._warmer
        if warmer is not None and not warmer.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(warmer)

    async def warm(self) -> None:
        """Bring every note's cached JSON up to date, a slice per loop turn (R44)."""
        stale = self.state.stale()
        for i in range(0, len(stale), WARM_SLICE):
            if i:
                await asyncio.sleep(0)
            for note in stale[i:i + WARM_SLICE]:
                self.state.note_json(note)

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
            cast_on = ctl.votes.get(entry.op.vote)
            if cast_on is None or cast_on.anonymous:
                # R27: who voted is sent to nobody; the sender learns its dot from its ack.
                actor, op_id = dict(ANONYMOUS), ""
        after: dict[str, Any] | None = None
        vote: dict[str, Any] | None = None
        if ctl is not None and isinstance(entry.op, VoteCast):
            # A dot changes one vote: its event carries that vote's record, not the whole
            # control state (R20, R27) — dots are the control board's busiest ops.
            if outcome.result == "applied" and ctl.votes.get(entry.op.vote) is not None:
                vote = ctl.vote_record(entry.op.vote)
        elif ctl is not None:
            after = ctl.public()
        event = Event(board=self.board_id, epoch=self.epoch, seq=entry.seq, id=op_id,
                      actor=actor, ts=entry.ts, round=entry.round, op=op,
                      result=outcome.result, reason=outcome.reason, after=after, vote=vote)
        redacted, author = None, None
        held = (visibility.withheld_op(self.state, op, entry.actor.participant)
                if outcome.result == "applied" else None)
        if held is not None:  # R28, R62: what the others get of it
            author = held[0]
            redacted = encode(event.model_copy(update={"op": held[1], "redacted": True}))
        self._fan_out(entry.seq, encode(event), redacted, author,
                      op["kind"] in visibility.REPLAY_SENSITIVE_KINDS)
        if outcome.result == "applied" and op["kind"] in visibility.RESYNC_KINDS:
            # What someone may read changed, or the event alone cannot say what changed
            # (an undo, a restore): subscribers get the board's state again (R28).
            self.reveal_seq = entry.seq
            for conn in self.subscribers:
                if op["kind"] in visibility.EFFECT_KINDS or not self._sees_all(conn):
                    conn.send(self.state_frame_for(conn))
        if outcome.result == "applied" and op["kind"] == "participant.remove":
            # R33: in every process that follows the control board, their connections close.
            self.registry.taken_out(self.board_id.rsplit(".", 1)[0], op["participant"])
        return outcome

    def _fan_out(self, seq: int, text: str, redacted: str | None = None,
                 author: str | None = None, sensitive: bool = False) -> None:
        self.recent.append(Recent(seq, text, redacted, author, sensitive))
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
                self.registry.store_down()
                await asyncio.sleep(0.5)

    # --- ops from clients ---------------------------------------------------------------------

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
            self.pending_adds.add(op.note)
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
                self.registry.store_down()
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(exc)
                self._forget_adds(batch)
                continue
            self.registry.store_up()
            for i, (p, res) in enumerate(zip(batch, results, strict=True)):
                if i and i % APPLY_SLICE == 0:
                    # R44: a full batch applied and fanned out at once holds the loop for
                    # tens of ms; others get a turn in between (every op is stored already,
                    # and each is applied in seq order whoever applies it).
                    await asyncio.sleep(0)
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
            if self.state.seq - self._snapshot_seq >= self._snapshot_every():
                await self._snapshot()
            await asyncio.sleep(0)  # let the writers drain before the next batch

    def _forget_adds(self, batch: list[_Pending]) -> None:
        for p in batch:
            if isinstance(p.op, NoteAdd):
                self.pending_adds.discard(p.op.note)

    def _snapshot_every(self) -> int:
        notes = len(self.state.notes) + len(self.state.trash)
        return max(SNAPSHOT_EVERY, notes // SNAPSHOT_PER_NOTES)

    async def _snapshot(self) -> None:
        # R44: the notes that changed since the last snapshot are encoded a slice at a time;
        # then the pieces are taken in one step (the state at one seq) and joined in a thread.
        await self.warm()
        seq = self.state.seq
        parts = self.state.json_parts()
        data = await asyncio.to_thread(_joined, parts)
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
        """Add a subscriber and bring it up to date; answers "replay", "state" or "again"
        (R8). A connection that follows this board already and has not read what it was sent
        gets no second state (R45): only ``caught_up``, and it asks again once it reads."""
        again = conn in self.subscribers
        self.subscribers.add(conn)
        conn.boards.add(self.board_id)
        self.used = time.monotonic()
        if again and (conn.waiting or conn.paused):
            conn.send(encode(Replay(board=self.board_id, epoch=self.epoch, seq=self.state.seq)))
            return "again"
        mode = "state"
        everything = self._sees_all(conn)
        filtered = not everything and (
            self.reveal_seq > seq or visibility.redacting(self.state))
        if epoch == self.epoch and seq <= self.state.seq and not filtered:
            if seq == self.state.seq:
                mode = "replay"
            elif self.recent and self.recent[0].seq <= seq + 1:
                missed = [r for r in self.recent if r.seq > seq]
                if everything or not any(r.sensitive for r in missed):
                    mode = "replay"
                    me = conn.actor.participant if conn.actor is not None else ""
                    for r in missed:
                        private = not everything and r.redacted is not None and r.author != me
                        conn.send(r.redacted if private and r.redacted else r.text)
        if mode == "state":
            conn.send(self.state_frame_for(conn))
        conn.send(encode(Replay(board=self.board_id, epoch=self.epoch, seq=self.state.seq)))
        return mode

    def unsubscribe(self, conn: Connection) -> None:
        self.subscribers.discard(conn)
        conn.boards.discard(self.board_id)
        self.used = time.monotonic()

    def idle(self) -> bool:
        """Nobody follows it and nothing is on its way through it (R45)."""
        return (not self.subscribers and not self._pending
                and (self._flusher is None or self._flusher.done()))

    def state_frame(self) -> str:
        cached = self._state_cache
        if cached is None or cached[0] != self.state.seq:
            text = self._encode_state(self.state.public_json())
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
                public = self.state.public_json(trash=False)
                cached = self._public_cache = (self.state.seq, self._encode_state(public))
            return cached[1]
        participant = conn.actor.participant if conn.actor is not None else ""
        return self._redacted_for(participant)

    def _redacted_for(self, participant: str) -> str:
        """R28, R45: the state as ``participant`` may read it, kept per participant at this
        seq in a small cache bounded by count and bytes."""
        if self._redacted_seq != self.state.seq:
            self._redacted.clear()
            self._redacted_seq, self._redacted_bytes = self.state.seq, 0
            # Only authors of withheld notes (and scorers, R62) read something others do
            # not: everyone else shares one copy.
            self._withheld_authors = visibility.private_readers(self.state)
        key = participant if participant in self._withheld_authors else ""
        text = self._redacted.get(key)
        if text is not None:
            self._redacted.move_to_end(key)
            return text
        text = self._encode_state(self.state.public_json(trash=False, redact_for=participant))
        self._redacted[key] = text
        self._redacted_bytes += len(text)
        while self._redacted and (len(self._redacted) > REDACTED_STATES
                                  or self._redacted_bytes > REDACTED_BYTES):
            _, dropped = self._redacted.popitem(last=False)
            self._redacted_bytes -= len(dropped)
        return text

    def _encode_state(self, public: bytes) -> str:
        # The same frame as State(...), put together from the state's JSON: validating and
        # dumping a 5,000-note state through the model cost more than building it.
        head = orjson.dumps({"type": "state", "board": self.board_id, "epoch": self.epoch,
                             "seq": self.state.seq})
        return b"".join([head[:-1], b',"state":', public, b"}"]).decode()

    # --- drags (R9) ----------------------------------------------------------------------------

    def has_note(self, note: str) -> bool:
        return note in self.state.notes

    def drag(self, conn: Connection, note: str, x: float, y: float) -> None:
        self.drags.move(conn, note, x, y)

    async def close(self) -> None:
        self.closed = True
        self.drags.close()
        self._redacted.clear()
        for task in (self._follower, self._flusher, self._warmer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, StoreUnavailable):
                    await task


def _joined(parts: list[bytes]) -> str:
    return b"".join(parts).decode()


async def _from_snapshot(data: str, spec: Spec) -> BoardState:
    """``BoardState.from_dict`` of a stored snapshot, its notes made a slice per loop turn
    (R44): a 20,000-note board took 100 ms in one go. Nobody sees the state until it is done."""
    raw = orjson.loads(data)
    notes, trash = raw.get("notes", []), raw.get("trash", [])
    state = BoardState.from_dict({**raw, "notes": [], "trash": []}, spec)
    for source, into in ((notes, state.notes), (trash, state.trash)):
        for i in range(0, len(source), WARM_SLICE):
            if i:
                await asyncio.sleep(0)
            for fields in source[i:i + WARM_SLICE]:
                note = Note(**fields)
                into[note.id] = note
    return state
