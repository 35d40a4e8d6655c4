"""The archive's I/O: a session's document live or from the store, named snapshots, import,
restore, deletion and retention. Used by the app (HTTP) and by the command line alike.

The pure parts (document format, hash, diff, checks) are in ``archive``.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson

from . import archive, jobs, lifecycle, material_http, offload
from .board import Entry, apply
from .boardstate import BoardState
from .registry import Registry
from .session import SessionRecord, normalise_code
from .store import ArchiveExists, Store
from .templates import Catalog

MAX_SNAPSHOT_NAME = 80
# R44: documents up to this size are worked on inline; larger ones in a worker process.
INLINE_BYTES = 256 * 1024
# R44: the pause between an import's large boards, each decoded on the event loop.
BREATH_S = 0.005

T = TypeVar("T")


async def work(size: int, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` (a function of ``jobs``) inline for a small document, else off the
    event loop (R44)."""
    if size <= INLINE_BYTES:
        return fn(*args)
    return await offload.run(fn, *args)


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


async def live_document(registry: Registry, session: SessionRecord) -> archive.Doc:
    """Every board of the session at one moment: rooms are brought up to date first, then
    read without awaiting in between, so each board is exactly at one seq (R24)."""
    rooms = []
    for bid in archive.board_ids(session):
        room = await registry.room(session, bid)
        assert room is not None
        if registry.store.shared:
            await room.catch_up()
        rooms.append(room)
    return archive.document(session, {r.board_id: r.state for r in rooms})


# --- documents as JSON, for the heavy work off the event loop (R44) ----------------------------

Captured = dict[str, tuple[int, list[bytes]]]


def capture_now(registry: Registry, session: SessionRecord) -> Captured:
    """The boards loaded in this process as JSON pieces (``BoardState.json_parts``), taken
    without awaiting, so each is the state at one seq and all at one moment."""
    out = {}
    for bid in archive.board_ids(session):
        room = registry.rooms.get(bid)
        if room is not None:
            out[bid] = (room.state.seq, room.state.json_parts())
    return out


async def live_json(registry: Registry, session: SessionRecord) -> bytes:
    """``live_document`` as JSON: the rooms are loaded, caught up and their notes encoded
    first; then every board is taken in one step and joined in a thread."""
    rooms = []
    for bid in archive.board_ids(session):
        room = await registry.room(session, bid)
        assert room is not None
        if registry.store.shared:
            await room.catch_up()
        await room.warm()
        rooms.append(room)
    captured = {r.board_id: (r.state.seq, r.state.json_parts()) for r in rooms}
    return await asyncio.to_thread(document_json, session, captured)


async def complete(registry: Registry, session: SessionRecord, captured: Captured) -> bytes:
    """A document from ``capture_now``; boards not loaded then are loaded now (nobody wrote
    to them through this process in between)."""
    missing = [bid for bid in archive.board_ids(session) if bid not in captured]
    for bid in missing:
        room = await registry.room(session, bid)
        assert room is not None
        await room.warm()
        captured = {**captured, bid: (room.state.seq, room.state.json_parts())}
    return await asyncio.to_thread(document_json, session, captured)


def document_json(session: SessionRecord, captured: Captured, now: float | None = None
                  ) -> bytes:
    """``orjson.dumps(archive.document(session, states))`` from the boards' JSON pieces."""
    head = orjson.dumps({"format": archive.FORMAT, "version": archive.VERSION,
                         "exported_at": round(time.time() if now is None else now, 3),
                         "snapshot": None, "session": session.model_dump(mode="json")})
    boards = []
    for bid in archive.board_ids(session):
        if bid in captured:
            seq, parts = captured[bid]
            boards.append(b"".join([b'{"id":', orjson.dumps(bid), b',"seq":', str(seq).encode(),
                                    b',"state":', *parts, b"}"]))
    return b"".join([head[:-1], b',"boards":[', b",".join(boards), b"]}"])


# --- named snapshots ---------------------------------------------------------------------------


async def take(store: Store, doc: archive.Doc | bytes, name: str, reason: str,
               unique: bool = False, session_id: str = "") -> dict[str, Any]:
    """Freeze ``doc`` (or its JSON, of session ``session_id``) under ``name``; with ``unique``
    a taken name gets " (2)", " (3)", …"""
    if not isinstance(doc, bytes):
        session_id = doc["session"]["id"]
        doc = orjson.dumps(doc)
    # A name is part of the snapshot's URL: no slashes, no control characters.
    base = " ".join(name.replace("/", "-").replace("\\", "-").split())[:MAX_SNAPSHOT_NAME]
    if not base:
        raise ValueError("a snapshot needs a name")
    for attempt in range(1, 50):
        candidate = base if attempt == 1 else f"{base} ({attempt})"
        meta, frozen = await work(len(doc), jobs.frozen, doc, candidate, reason, time.time())
        try:
            await store.put_archive(session_id, candidate, meta, frozen)
            return dict(orjson.loads(meta))
        except ArchiveExists:
            if not unique:
                raise
    raise ArchiveExists(base)


async def snapshots(store: Store, session_id: str) -> list[dict[str, Any]]:
    return [orjson.loads(meta) for _, meta in await store.list_archives(session_id)]


async def snapshot_json(store: Store, session_id: str, name: str) -> str:
    """A frozen snapshot as it is stored (its hash not checked yet: ``jobs.load``)."""
    raw = await store.get_archive(session_id, name)
    if raw is None:
        raise NotFound(f"geen snapshot {name!r} in sessie {session_id}")
    return raw


async def open_snapshot(store: Store, session_id: str, name: str) -> archive.Doc:
    raw = await store.get_archive(session_id, name)
    if raw is None:
        raise NotFound(f"geen snapshot {name!r} in sessie {session_id}")
    doc: archive.Doc = orjson.loads(raw)
    frozen = (doc.get("snapshot") or {}).get("hash")
    if frozen != archive.content_hash(doc):
        raise archive.ImportRefused(f"snapshot {name!r} does not match its recorded hash")
    return doc


# --- import, restore ---------------------------------------------------------------------------


async def import_document(store: Store, catalog: Catalog, doc: Any, owner: str = "",
                          title: str = "") -> SessionRecord:
    """Write a checked document as a new session; refuses (ImportRefused) before writing
    anything (R35). The session gets ids nobody had (``lifecycle``), never the document's.

    The session record is written last: until then the boards are unreachable, so a crash in
    between leaves nothing half-visible. A document as JSON is worked on off the event loop.
    """
    if isinstance(doc, bytes | str):
        return await import_json(store, doc, owner=owner, title=title)
    parsed, states = archive.parse(doc, catalog)
    session = await lifecycle.fresh_ids(store, parsed.model_copy(update={
        "owner": owner, "title": title or parsed.title}))
    states = archive.with_ids(states, parsed, session)
    for bid in states:
        if await store.head(bid) or await store.get_snapshot(bid) is not None:
            raise archive.ImportRefused(f"board {bid} already has content")
    for bid, state in states.items():
        await store.restore_board(bid, state.seq, orjson.dumps(state.to_dict()).decode())
    await store.put_session(session.id, session.code, session.model_dump_json())
    return session


async def import_json(store: Store, raw: bytes | str, owner: str = "", title: str = "",
                      verify: bool = False) -> SessionRecord:
    """``import_document`` from the document's JSON (with ``verify``: a frozen snapshot,
    its hash checked): parsed, checked and encoded off the event loop (R44)."""
    data = raw.encode() if isinstance(raw, str) else raw
    with tempfile.TemporaryDirectory(prefix="vh-import-") as tmp:
        source = Path(tmp) / "document.json"
        await asyncio.to_thread(source.write_bytes, data)
        return await import_file(store, source, owner=owner, title=title, verify=verify)


async def import_file(store: Store, source: Path, owner: str = "", title: str = "",
                      verify: bool = False) -> SessionRecord:
    """``import_json`` of a document in a file (an upload, written there as it came)."""
    now = time.time()
    size = source.stat().st_size
    with tempfile.TemporaryDirectory(prefix="vh-import-") as tmp:
        spill = Path(tmp)
        prepared = await work(size, jobs.prepare_import, source, spill, now, verify)
        parsed = SessionRecord.model_validate_json(prepared.session)
        wanted = parsed.model_copy(update={"owner": owner, "title": title or parsed.title})
        session = await lifecycle.claim(store, wanted)
        if session.id != parsed.id:  # the ids parse made were taken after all: again
            prepared = await work(size, jobs.prepare_import, source, spill, now, verify,
                                  session.model_dump_json())
        for bid, _, _ in prepared.boards:
            if await store.head(bid) or await store.get_snapshot(bid) is not None:
                raise archive.ImportRefused(f"board {bid} already has content")
        for bid, seq, path in prepared.boards:
            # R44: the file is read by a thread (the read lets go of the interpreter lock) and
            # decoded here in one step: about 5 ms for a board of 8 MiB, most of it the new
            # string's first touch of its memory. Decoding or joining it in a thread instead
            # held the lock in turns of the switch interval (5 ms), so every turn of the event
            # loop waited that long while it ran. After each board the loop has a breath of
            # its own, so the stalls of the boards do not come one after another.
            data = await asyncio.to_thread(Path(path).read_bytes)
            await store.restore_board(bid, seq, data.decode())
            del data
            await asyncio.sleep(BREATH_S)
        for item in prepared.material:  # R50: checked and rendered with the rest
            await material_http.keep_spilled(store, session.id, item)
    await store.put_session(session.id, session.code, session.model_dump_json())
    return session
