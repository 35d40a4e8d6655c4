"""The gateway: from one parsed websocket message to its effect.

``wire`` hands every message to ``receive``. What can be answered at once is (a ping, a drag
on a followed board); the rest returns the work to await, which the wire runs in the order the
messages came. The gateway awaits what a decision needs — the session record, the rooms, the
store's memory of op ids — and lets ``admit`` decide; the room orders, stores, applies and
fans out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from . import admit as admission
from . import protocol
from .auth import BadToken, Grant, Signer
from .board import Actor
from .boardstate import BoardState, Outcome
from .connection import CLOSE_REMOVED, Connection, encode
from .protocol import (
    PROTOCOL_VERSION,
    Drag,
    Error,
    ErrorCode,
    Hello,
    NoteHide,
    OpFrame,
    ParticipantRemove,
    Ping,
    Pong,
    Subscribe,
    Unsubscribe,
    VoteCast,
    Welcome,
)
from .ratelimit import TokenBucket
from .registry import Registry
from .room import Room
from .session import SessionRecord
from .store import StoreUnavailable

log = logging.getLogger("vierhoeken.gateway")

# R41: ops one participant may send per second over all their connections (and the burst an
# offline phone's queue may replay at once); the excess is refused with rate_limited and the
# client sends it again a moment later.
OPS_PER_PARTICIPANT_S = 10.0
OPS_PER_PARTICIPANT_BURST = 60.0
# Buckets of people not heard from for this long are forgotten (memory stays bounded).
BUCKET_IDLE_S = 60.0

Applied = Callable[[SessionRecord, Room, Any, int, Actor], None]


class Gateway:
    def __init__(self, registry: Registry, signer: Signer, quotas: admission.Quotas,
                 on_applied: Applied | None = None, grace_s: float = 60.0) -> None:
        self.registry = registry
        self.store = registry.store
        self.signer = signer
        self.quotas = quotas
        self.grace_s = grace_s
        self.on_applied = on_applied
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._swept = time.monotonic()

    # --- the wire's interface ------------------------------------------------------------------

    def opened(self, conn: Connection) -> None:
        """A websocket completed its handshake."""
        self.registry.attach(conn)
        if not self.registry.writable:
            conn.send(encode(protocol.Status(writable=False, reason="store_unavailable")))

    def receive(self, conn: Connection, data: str) -> Awaitable[None] | None:
        """One message from a client; the work to await, or None when it is done."""
        frame = protocol.parse_client(data)
        if isinstance(frame, Error):
            conn.send(encode(frame))
            return None
        if isinstance(frame, Ping):
            conn.send(encode(Pong(t=frame.t, server_time=time.time())))
            return None
        if isinstance(frame, Drag) and frame.board in conn.boards:
            # Subscribed means the board is of this connection's session and loaded.
            room = self.registry.rooms.get(frame.board)
            grant = conn.grant
            if room is not None and grant is not None:
                if grant.can_write and not self._removed(grant):
                    room.drag(conn, frame.note, frame.x, frame.y)
                return None
        return self._handle(conn, frame)

    def closed(self, conn: Connection) -> None:
        self.registry.drop(conn)

    # --- messages ------------------------------------------------------------------------------

    def _error(self, conn: Connection, code: ErrorCode, message: str,
               ref: str | None = None) -> None:
        conn.send(encode(Error(code=code, message=message, ref=ref)))

    def _removed(self, grant: Grant) -> bool:
        ctl = self.registry.control_of(grant.session)
        return ctl is not None and grant.participant in ctl.removed

    async def _session_of(self, conn: Connection, grant: Grant, ref: str | None
                          ) -> SessionRecord | None:
        """The token's session, if it still exists under the key the token was made for."""
        try:
            session = await self.registry.session(grant.session)
        except StoreUnavailable:
            self._error(conn, "store_unavailable", "the store is unreachable", ref=ref)
            return None
        if session is None or session.key != grant.key:
            self._error(conn, "bad_token", "the session of this token no longer exists",
                        ref=ref)
            return None
        return session

    async def _handle(self, conn: Connection, frame: Any) -> None:
        if isinstance(frame, Hello):
            await self._hello(conn, frame)
            return
        grant = conn.grant
        ref = frame.id if isinstance(frame, OpFrame) else frame.type
        if grant is None:
            self._error(conn, "not_joined", "send hello with a token first", ref=ref)
            return
        session = await self._session_of(conn, grant, ref)
        if session is None:
            return
        if isinstance(frame, Unsubscribe):
            room = self.registry.rooms.get(frame.board)
            if room is not None:
                room.unsubscribe(conn)
            return
        try:
            room = await self.registry.room(session, frame.board)
        except StoreUnavailable:
            self._error(conn, "store_unavailable", "the store is unreachable", ref=ref)
            return
        if room is None:
            self._error(conn, "unknown_board", f"board {frame.board!r} is not in this session",
                        ref=ref)
            return
        if isinstance(frame, Subscribe):
            if self._removed(grant):
                self._refuse_removed(conn, ref)
                return
            # R44: a big board just loaded encodes its notes a slice per loop turn; its first
            # state waits for that instead of encoding them all in one step.
            await room.ready()
            room.subscribe(conn, frame.epoch, frame.seq)
        elif isinstance(frame, Drag):
            if grant.can_write and not self._removed(grant):
                room.drag(conn, frame.note, frame.x, frame.y)
        elif isinstance(frame, OpFrame):
            if not self._take(grant):
                self._error(conn, "rate_limited", "te veel wijzigingen; even rustig aan",
                            ref=frame.id)
                return
            await self._op(conn, grant, session, room, frame)

    def _refuse_removed(self, conn: Connection, ref: str | None) -> None:
        self._error(conn, "removed", "you were taken out of this session", ref=ref)
        conn.cut("removed from the session", CLOSE_REMOVED)

    async def _hello(self, conn: Connection, frame: Hello) -> None:
        if frame.v != PROTOCOL_VERSION:
            self._error(conn, "bad_version",
                        f"protocol version {frame.v} not supported, use {PROTOCOL_VERSION}")
            return
        try:
            grant = self.signer.verify(frame.token)
        except BadToken as exc:
            self._error(conn, "bad_token", str(exc), ref="hello")
            return
        session = await self._session_of(conn, grant, "hello")
        if session is None:
            return
        try:
            control = await self.registry.room(session, session.control_id)
        except StoreUnavailable:
            self._error(conn, "store_unavailable", "the store is unreachable", ref="hello")
            return
        ctl = control.state.control if control is not None else None
        if ctl is not None and grant.participant in ctl.removed:
            self._refuse_removed(conn, "hello")
            return
        groups = ctl.groups if ctl is not None else session.groups
        group = frame.group if frame.group in groups else ""
        if ctl is not None:
            group = ctl.group_of(grant.participant) or group
        conn.grant = grant
        conn.batched = frame.batch
        conn.actor = Actor(participant=grant.participant, name=frame.name, group=group,
                           role=grant.role)
        conn.send(encode(Welcome(
            session=session.public(),
            me={"participant": grant.participant, "role": grant.role, "name": frame.name,
                "group": group},
            server_time=time.time(),
        )))

    def _take(self, grant: Grant) -> bool:
        """R41: one participant's ops over all their connections."""
        now = time.monotonic()
        if now - self._swept > BUCKET_IDLE_S:
            self._swept = now
            self._buckets = {k: b for k, b in self._buckets.items()
                             if now - b.stamp < BUCKET_IDLE_S}
        key = (grant.session, grant.participant)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(OPS_PER_PARTICIPANT_S,
                                                      OPS_PER_PARTICIPANT_BURST)
        return bucket.take()

    async def _op(self, conn: Connection, grant: Grant, session: SessionRecord, room: Room,
                  frame: OpFrame) -> None:
        assert conn.actor is not None
        try:
            control = room if room.state.control is not None else await self.registry.room(
                session, session.control_id)
            target = await self._target(session, room, frame.op)
        except StoreUnavailable:
            self._error(conn, "store_unavailable", "the store is unreachable", ref=frame.id)
            return
        decision = admission.admit(
            grant, conn.actor, frame.op, room.state,
            control.state.control if control is not None else None,
            now=time.time(), pending_adds=room.pending_adds, target=target,
            quotas=self.quotas, grace_s=self.grace_s)
        if isinstance(decision, admission.Refused):
            if decision.code in ("bad_token", "removed"):
                if decision.code == "removed":
                    self._refuse_removed(conn, frame.id)
                    return
                conn.grant = None  # R19: an expired token must say hello again
            # A retry of an op that is already stored gets its first answer (R5).
            try:
                seq = await self.store.seq_of(room.board_id, frame.id)
            except StoreUnavailable:
                seq = None
            if seq is not None and seq <= room.state.seq:
                conn.send(room.ack(frame.id, seq, room.state.outcome_of(seq)))
                return
            self._error(conn, decision.code, decision.message, ref=frame.id)
            return
        actor, round_ = decision.actor, decision.round
        future = room.submit(frame.id, frame.op, actor, round_)

        def answer(f: asyncio.Future[tuple[int, Outcome]]) -> None:
            if f.cancelled():
                return
            if f.exception() is not None:
                self._error(conn, "store_unavailable", "not acknowledged: the store did not "
                            "confirm it; send it again later with the same id", ref=frame.id)
                return
            seq, outcome = f.result()
            conn.send(room.ack(frame.id, seq, outcome))
            if outcome.result == "applied" and self.on_applied is not None:
                self.on_applied(session, room, frame.op, round_, actor)

        future.add_done_callback(answer)

    async def _target(self, session: SessionRecord, room: Room, op: Any) -> BoardState | None:
        """For a dot: the board it is put on (loaded when it has to be)."""
        if not isinstance(op, VoteCast):
            return None
        if op.board == room.board_id:
            return room.state
        target = await self.registry.room(session, op.board)
        return target.state if target is not None else None


async def hide_notes_of(registry: Registry, session: SessionRecord, op: ParticipantRemove,
                        by: Actor) -> int:
    """R33: the notes of someone taken out are hidden on every board (as the facilitator who
    took them out); answers how many."""
    hidden = 0
    for info in session.boards:
        room = await registry.room(session, info.id)
        if room is None:
            continue
        for note in list(room.state.notes.values()):
            if note.author == op.participant and not note.hidden:
                room.submit(f"hide-{op.participant}-{note.id}"[:64],
                            NoteHide(kind="note.hide", note=note.id, hidden=True), by,
                            room.state.control.round if room.state.control else 1)
                hidden += 1
    return hidden
