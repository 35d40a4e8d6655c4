"""A session's life in the store: made under ids nobody had, its join code rotated, deleted for
good (R31, R33, R34).

Ids and join codes of deleted sessions, and codes rotated away, are remembered as tombstones
(records of kind ``gone``) and never given out again, so an old link, poster or token can never
open a session made later.
"""

from __future__ import annotations

import logging
import time

from . import archive, signups
from .decisions import WORKSPACE
from .material import RECORDS
from .session import SessionRecord, new_code, new_id, new_key
from .store import Store

log = logging.getLogger("vierhoeken.lifecycle")

GONE = "gone"
# Co-facilitator links of a session: records of kind "invite:<session>".
INVITES = "invite:"
# Fresh ids collide with a live or dead one about never; this bounds the loop all the same.
TRIES = 20


class NoFreeId(Exception):
    """No unused id or code was found (the store keeps answering 'taken')."""


async def _taken(store: Store, sid: str, code: str) -> bool:
    return (await store.get_session(sid) is not None
            or await store.session_for_code(code) is not None
            or await store.get_record(GONE, f"session:{sid}") is not None
            or await store.get_record(GONE, f"code:{code}") is not None)


async def fresh_ids(store: Store, rec: SessionRecord) -> SessionRecord:
    """``rec`` under an id, code and key that no session has or ever had; its boards follow
    the id (board ids are derived, never taken from elsewhere)."""
    for _ in range(TRIES):
        sid, code = new_id(), new_code()
        if not await _taken(store, sid, code):
            boards = [b.model_copy(update={"id": f"{sid}.{b.instrument}"}) for b in rec.boards]
            return rec.model_copy(update={"id": sid, "code": code, "key": new_key(),
                                          "boards": boards})
    raise NoFreeId("no free session id or join code")


async def claim(store: Store, rec: SessionRecord) -> SessionRecord:
    """A freshly made record as it is when its id and code are free, else under fresh ones."""
    if not await _taken(store, rec.id, rec.code):
        return rec
    return await fresh_ids(store, rec)


async def rotate_code(store: Store, rec: SessionRecord) -> SessionRecord:
    """A new join code; the old one (and its posters and QR codes) stops at once."""
    for _ in range(TRIES):
        code = new_code()
        if (await store.session_for_code(code) is None
                and await store.get_record(GONE, f"code:{code}") is None):
            break
    else:
        raise NoFreeId("no free join code")
    await store.put_record(GONE, f"code:{rec.code}", _stamp(rec.id))
    fresh = rec.model_copy(update={"code": code})
    await store.put_session(fresh.id, fresh.code, fresh.model_dump_json())
    return fresh


async def delete(store: Store, rec: SessionRecord) -> None:
    """Delete a session with its boards and snapshots; its id and code are never used again."""
    await store.put_record(GONE, f"session:{rec.id}", _stamp(rec.id))
    await store.put_record(GONE, f"code:{rec.code}", _stamp(rec.id))
    await store.delete_session(rec.id, archive.board_ids(rec))
    for key, _ in await store.list_records(INVITES + rec.id):
        await store.delete_record(INVITES + rec.id, key)
    await signups.delete_all(store, rec.id)  # with their withdrawal links
    for key, _ in await store.list_records(RECORDS + rec.id):  # the material's listing (R50)
        await store.delete_record(RECORDS + rec.id, key)


async def purge(store: Store, older_than_days: float, now: float | None = None) -> list[str]:
    """Delete sessions (boards, logs, snapshots) created more than ``older_than_days`` ago."""
    limit = (time.time() if now is None else now) - older_than_days * 86400
    gone = []
    for sid in await store.list_sessions():
        raw = await store.get_session(sid)
        if raw is None:
            continue
        session = SessionRecord.model_validate_json(raw)
        if session.id == WORKSPACE:
            continue  # the design team's decisions are its own work, not the day's data
        if session.created < limit:
            await delete(store, session)
            gone.append(sid)
            log.info("retention: session %s (%s) deleted", sid, session.title)
        elif await signups.purge(store, sid, limit):
            log.info("retention: old sign-ups of session %s deleted", sid)
    return gone


def _stamp(sid: str) -> str:
    return f'{{"session":"{sid}","at":{time.time():.0f}}}'
