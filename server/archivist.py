"""The archive's I/O: a session's document live or from the store, named snapshots, import,
restore, deletion and retention. Used by the app (HTTP) and by the command line alike.

The pure parts (document format, hash, diff, checks) are in ``archive``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson

from . import archive
from .board import BoardState, Entry, apply
from .hub import Hub
from .session import SessionRecord, normalise_code
from .store import ArchiveExists, Store

log = logging.getLogger("vierhoeken.archive")

MAX_SNAPSHOT_NAME = 80


class NotFound(Exception):
    """No such session or snapshot."""


async def find_session(store: Store, key: str) -> SessionRecord:
    """A session by id or by join code."""
    raw = await store.get_session(key)
    if raw is None:
        sid = await store.session_for_code(normalise_code(key))
        raw = await store.get_session(sid) if sid else None
    if raw is None:
        raise NotFound(f"geen sessie {key!r}")
    return SessionRecord.model_validate_json(raw)


async def replay(store: Store, session: SessionRecord, board_id: str) -> BoardState:
    """A board's state from its stored snapshot and log, without a running server."""
    info = session.board(board_id)
    assert info is not None
    spec = info.spec()
    snap = await store.get_snapshot(board_id)
    if snap is not None:
        state = BoardState.from_dict(orjson.loads(snap[1]), spec)
        state.zones = tuple(info.zones)
    else:
        state = BoardState(board_id=board_id, zones=tuple(info.zones), spec=spec)
    while True:
        rows = await store.read(board_id, state.seq)
        if not rows:
            return state
        for seq, payload in rows:
            try:
                apply(state, Entry.from_payload(seq, orjson.loads(payload)))
            except (ValueError, KeyError, TypeError):
                state.seq = seq  # R16: skipped alike everywhere
                state.noops[seq] = "corrupt_entry"


async def stored_document(store: Store, session: SessionRecord) -> archive.Doc:
    states = {bid: await replay(store, session, bid) for bid in archive.board_ids(session)}
    return archive.document(session, states)


async def live_document(hub: Hub, session: SessionRecord) -> archive.Doc:
    """Every board of the session at one moment: rooms are brought up to date first, then
    read without awaiting in between, so each board is exactly at one seq (R24)."""
    rooms = []
    for bid in archive.board_ids(session):
        room = await hub.room(session, bid)
        assert room is not None
        if hub.store.shared:
            await room.catch_up()
        rooms.append(room)
    return archive.document(session, {r.board_id: r.state for r in rooms})


def capture_now(hub: Hub, session: SessionRecord) -> dict[str, BoardState]:
    """Copies of the boards loaded in this process, taken without awaiting (one moment)."""
    out = {}
    for bid in archive.board_ids(session):
        room = hub.rooms.get(bid)
        if room is not None:
            out[bid] = BoardState.from_dict(room.state.to_dict(), room.state.spec)
    return out


async def complete(hub: Hub, session: SessionRecord, states: dict[str, BoardState]
                   ) -> archive.Doc:
    """A document from ``capture_now``; boards not loaded then are loaded now (nobody wrote
    to them through this process in between)."""
    missing = [bid for bid in archive.board_ids(session) if bid not in states]
    if missing:
        later = await live_document(hub, session)
        for board in later["boards"]:
            if board["id"] in missing:
                info = session.board(board["id"])
                assert info is not None
                states[board["id"]] = BoardState.from_dict(board["state"], info.spec())
    return archive.document(session, states)


# --- named snapshots ---------------------------------------------------------------------------


async def take(store: Store, doc: archive.Doc, name: str, reason: str,
               unique: bool = False) -> dict[str, Any]:
    """Freeze ``doc`` under ``name``; with ``unique`` a taken name gets " (2)", " (3)", …"""
    session_id = doc["session"]["id"]
    # A name is part of the snapshot's URL: no slashes, no control characters.
    base = " ".join(name.replace("/", "-").replace("\\", "-").split())[:MAX_SNAPSHOT_NAME]
    if not base:
        raise ValueError("a snapshot needs a name")
    for attempt in range(1, 50):
        candidate = base if attempt == 1 else f"{base} ({attempt})"
        taken = time.time()
        meta = archive.snapshot_meta(doc, candidate, reason, taken)
        frozen = dict(doc, snapshot={k: meta[k] for k in ("name", "reason", "taken", "hash")})
        try:
            await store.put_archive(session_id, candidate, orjson.dumps(meta).decode(),
                                    orjson.dumps(frozen).decode())
            return meta
        except ArchiveExists:
            if not unique:
                raise
    raise ArchiveExists(base)


async def snapshots(store: Store, session_id: str) -> list[dict[str, Any]]:
    return [orjson.loads(meta) for _, meta in await store.list_archives(session_id)]


async def open_snapshot(store: Store, session_id: str, name: str) -> archive.Doc:
    raw = await store.get_archive(session_id, name)
    if raw is None:
        raise NotFound(f"geen snapshot {name!r} in sessie {session_id}")
    doc: archive.Doc = orjson.loads(raw)
    frozen = (doc.get("snapshot") or {}).get("hash")
    if frozen != archive.content_hash(doc):
        raise archive.ImportRefused(f"snapshot {name!r} does not match its recorded hash")
    return doc


# --- import, restore, delete -------------------------------------------------------------------


async def import_document(store: Store, doc: Any, as_new: bool = False, title: str = ""
                          ) -> SessionRecord:
    """Write a checked document as a session; refuses (ImportRefused) before writing anything.

    The session record is written last: until then the boards are unreachable, so a crash in
    between leaves nothing half-visible.
    """
    session, states = archive.parse(doc)
    if as_new:
        session, states = archive.renamed(session, states, title)
    elif await store.get_session(session.id) is not None:
        raise archive.ImportRefused(f"session {session.id} already exists; import it as new")
    elif await store.session_for_code(session.code) is not None:
        raise archive.ImportRefused(f"join code {session.code} is taken; import it as new")
    for bid in states:
        if await store.head(bid) or await store.get_snapshot(bid) is not None:
            raise archive.ImportRefused(f"board {bid} already has content")
    for bid, state in states.items():
        await store.restore_board(bid, state.seq, orjson.dumps(state.to_dict()).decode())
    await store.put_session(session.id, session.code, session.model_dump_json())
    return session


async def delete(store: Store, session: SessionRecord) -> None:
    await store.delete_session(session.id, archive.board_ids(session))


async def purge(store: Store, older_than_days: float, now: float | None = None) -> list[str]:
    """Delete sessions (boards, logs, snapshots) created more than ``older_than_days`` ago."""
    limit = (time.time() if now is None else now) - older_than_days * 86400
    gone = []
    for sid in await store.list_sessions():
        raw = await store.get_session(sid)
        if raw is None:
            continue
        session = SessionRecord.model_validate_json(raw)
        if session.created < limit:
            await delete(store, session)
            gone.append(sid)
            log.info("retention: session %s (%s) deleted", sid, session.title)
    return gone
