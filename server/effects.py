"""What the server does by itself after an op is applied: round-end and closing snapshots
(R24), and hiding the notes of someone taken out of the session (R33). Also the daily
retention purge (RETENTION_DAYS, and SIGNUP_RETENTION_DAYS for sign-ups).

Only the process that stored the op does these, so there is one snapshot per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from . import archive, archivist, lifecycle, signups
from .board import Actor
from .gateway import hide_notes_of
from .protocol import ParticipantRemove
from .registry import Registry
from .room import Room
from .session import SessionRecord
from .store import StoreUnavailable

log = logging.getLogger("vierhoeken.effects")


class Effects:
    def __init__(self, registry: Registry, round_grace_s: float = 60.0) -> None:
        self.registry = registry
        self.round_grace_s = round_grace_s
        self.store = registry.store
        self._background: set[asyncio.Task[Any]] = set()
        self._snapshot_lock = asyncio.Lock()
        # Round ends waiting for their grace, per session: closing the session ends the wait.
        self._ending: dict[str, tuple[asyncio.Event, asyncio.Task[Any]]] = {}

    def keep(self, task: asyncio.Task[Any]) -> None:
        """A task of the server's own, cancelled when it stops."""
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def applied(self, session: SessionRecord, room: Room, op: Any, round_before: int,
                actor: Actor) -> None:
        if room.state.control is None:
            return
        if isinstance(op, ParticipantRemove) and op.hide_notes:
            self.keep(asyncio.create_task(self._hide(session, op, actor)))
        ctl = room.state.control
        if op.kind in ("round.next", "round.set"):
            # Only a round that ended ends: "Vorige ronde" (back to round 3 from 4) does not.
            if ctl.round > round_before:
                ending = asyncio.Event()
                task = asyncio.create_task(self._round_end(session, round_before, ending))
                self._ending[session.id] = (ending, task)
                self.keep(task)
        elif op.kind == "session.close" and op.closed:
            waiting = self._ending.pop(session.id, None)
            if waiting is not None:
                waiting[0].set()  # the round's end is archived now, before the closing
            now = archivist.capture_now(self.registry, session)
            self.keep(asyncio.create_task(self._snapshot(
                session, archive.CLOSED, now, after=waiting[1] if waiting else None)))

    async def _round_end(self, session: SessionRecord, n: int, ending: asyncio.Event) -> None:
        """R53: "Einde ronde N" holds every note stamped round N and none of a later round.
        It is taken once the grace for notes still being typed is over (ops in flight, on
        this process or another, are stored by then), without the notes of later rounds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ending.wait(), self.round_grace_s)
        if self._ending.get(session.id, (None,))[0] is ending:
            del self._ending[session.id]
        try:
            async with self._snapshot_lock:
                raw = await archivist.live_json(self.registry, session)
                doc = await archivist.work(len(raw), archive.until_round_json, raw, n)
                await archivist.take(self.store, doc, archive.ROUND_END.format(n=n), "auto",
                                     unique=True, session_id=session.id)
        except Exception:  # never let an archive failure touch the live session
            log.exception("snapshot of the end of round %d of session %s failed", n,
                          session.id)

    async def _hide(self, session: SessionRecord, op: ParticipantRemove, actor: Actor) -> None:
        try:
            n = await hide_notes_of(self.registry, session, op, actor)
            log.info("session %s: %d notes of a removed participant hidden", session.id, n)
        except StoreUnavailable:
            log.warning("session %s: notes of a removed participant not hidden (store down)",
                        session.id)

    async def _snapshot(self, session: SessionRecord, name: str, now: archivist.Captured,
                        after: asyncio.Task[Any] | None = None) -> None:
        if after is not None:
            with contextlib.suppress(Exception):
                await after  # the end of the last round is archived first
        try:
            async with self._snapshot_lock:  # FIFO: archived in the order they happened
                doc = await archivist.complete(self.registry, session, now)
                await archivist.take(self.store, doc, name, "auto", unique=True,
                                     session_id=session.id)
        except Exception:  # never let an archive failure touch the live session
            log.exception("automatic snapshot %r of session %s failed", name, session.id)

    async def retention(self, days: int, signup_days: int) -> None:
        """Old sessions (``days``, when positive) and sign-ups older than ``signup_days`` are
        deleted at start-up and then once a day."""
        while True:
            try:
                if days > 0:
                    await lifecycle.purge(self.store, days)
                if await signups.purge_everywhere(self.store, time.time() - signup_days * 86400):
                    log.info("retention: sign-ups older than %d days deleted", signup_days)
            except StoreUnavailable:
                log.warning("retention: the store is unreachable; trying again in an hour")
                await asyncio.sleep(3600)
                continue
            await asyncio.sleep(86400)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
