"""No request stalls the loop (R44), memory is bounded (R45): the parts, without sockets.

The worker pool (``server/offload.py``), the notes' cached JSON that snapshots and state frames
are joined from (``BoardState.json_parts``), the archive's work as the pool runs it
(``server/jobs.py``), idle rooms unloaded and loaded again, session records forgotten and read
again, the redacted-state cache, a second subscribe, the outbox's byte bound, vote totals kept
as dots arrive, and the garbage collector's pauses.
"""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing
import os
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from server import archive, archivist, jobs, offload, visibility
from server.board import Actor, Entry, apply
from server.boardstate import BoardState
from server.connection import OUTBOX_BYTES, Connection
from server.gcwatch import GcWatch
from server.protocol import BOARD_OP
from server.registry import SESSION_FRESH_S, SESSION_IDLE_S, Registry
from server.room import REDACTED_STATES, Room
from server.session import SessionRecord, new_session
from server.store.memory import MemoryStore
from server.suggest import MAX_COMPARED, suggest
from server.templates import catalog
from server.votes import Vote

FAC = Actor("f1", "Fien", role="facilitator")


def op(**fields: Any) -> Any:
    return BOARD_OP.validate_python(fields)


# --- the pool -------------------------------------------------------------------------------------


def where() -> int:
    return os.getpid()


def die_unless_main() -> str:
    """Kills a worker process; in a thread of the test process it answers."""
    if multiprocessing.parent_process() is not None:
        os._exit(3)
    return "thread"


@pytest.fixture
async def pool() -> AsyncIterator[offload.Pool]:
    p = offload.Pool(1)
    try:
        yield p
    finally:
        await asyncio.to_thread(p.shutdown)


async def test_R44_work_runs_in_a_spawned_worker_and_the_loop_keeps_turning(
        pool: offload.Pool) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    notes = [(f"k{i}", f"stage bedrijf leerling {i % 7} techniek les {i % 13}")
             for i in range(300)]
    t0 = time.monotonic()
    found = await pool.run(suggest, notes)
    elapsed = time.monotonic() - t0
    task.cancel()
    assert await pool.run(where) != os.getpid()
    assert found == suggest(notes)  # the same answer as inline
    assert pool.ran["process"] == 2 and pool.ran["thread"] == 0
    assert ticks >= elapsed / 0.005 / 4  # the loop went on turning meanwhile


async def test_R44_a_worker_that_dies_is_replaced_then_work_falls_back_to_a_thread(
        pool: offload.Pool) -> None:
    assert await pool.run(die_unless_main) == "thread"
    assert pool.ran["thread"] == 1
    assert await pool.run(where) == os.getpid()  # broken for good: threads from now on


async def test_R44_after_shutdown_a_new_pool_is_made_on_demand(pool: offload.Pool) -> None:
    first = await pool.run(where)
    await asyncio.to_thread(pool.shutdown)
    assert not pool.started()
    second = await pool.run(where)
    assert first != second != os.getpid()


def test_R44_suggestions_compare_a_bounded_number_of_notes() -> None:
    assert 100 <= MAX_COMPARED <= 1000


# --- a board's JSON from its notes' cached fragments ------------------------------------------


def random_board(seed: int, n: int = 300) -> BoardState:
    rnd = random.Random(seed)
    rec = new_session(catalog(), "vier-hoeken")
    info = rec.boards[0]
    state = BoardState(board_id=info.id, zones=tuple(info.zones), spec=info.spec())
    seq = 0

    def do(actor: Actor, **fields: Any) -> None:
        nonlocal seq
        seq += 1
        apply(state, Entry(seq, f"o{seq}", 1.7e9 + seq, actor, 1, op(**fields)))

    for i in range(n):
        who = Actor(f"p{i % 9}", f"Naam {i % 9}", "Groep 1")
        do(who, kind="note.add", note=f"n{i}", zone=info.zones[i % 3], text=f"tekst {i} ü ✓",
           color="yellow", x=float(i), y=i % 50)
        k = f"n{rnd.randrange(i + 1)}"
        choice = rnd.random()
        if choice < 0.3:
            do(FAC, kind="note.edit", note=k, text=f"anders {i}")
        elif choice < 0.4:
            do(FAC, kind="note.delete", note=k)
        elif choice < 0.45 and state.trash:
            do(FAC, kind="note.restore", note=rnd.choice(sorted(state.trash)))
        elif choice < 0.55:
            do(FAC, kind="note.hide", note=k, hidden=rnd.random() < 0.7)
        elif choice < 0.6:
            do(FAC, kind="note.move", note=k, x=1.5, y=2.5)
        if i == n // 2:
            do(FAC, kind="board.mode", mode="hidden")
        if rnd.random() < 0.05:
            # between changes someone joins or a snapshot is taken: fragments are made
            state.to_json()
    return state


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_R44_a_snapshot_from_cached_fragments_is_the_plain_dump_byte_for_byte(seed: int) -> None:
    state = random_board(seed)
    assert state.to_json() == orjson.dumps(state.to_dict())
    assert state.public_json() == orjson.dumps(state.public_dict())
    public = state.public_dict()
    for who in ("p1", "p4", "nobody"):
        assert state.public_json(trash=False, redact_for=who) == orjson.dumps(
            visibility.redact_public(state, public, who))
    assert state.public_json(trash=False) == orjson.dumps({**public, "trash": []})
    # and once more after changes: only what changed is encoded again
    apply(state, Entry(state.seq + 1, "x", 1.8e9, FAC, 2,
                       op(kind="note.edit", note=next(iter(state.notes)), text="nieuw")))
    assert state.to_json() == orjson.dumps(state.to_dict())


def test_R44_what_a_snapshot_would_encode_can_be_encoded_ahead_a_slice_at_a_time() -> None:
    made = random_board(4, n=500)
    state = BoardState.from_dict(made.to_dict(), made.spec)  # nothing encoded yet
    stale = state.stale()
    assert len(stale) == len(state.notes) + len(state.trash)
    for note in stale[:100]:
        state.note_json(note)
    assert len(state.stale()) == len(stale) - 100
    for note in state.stale():
        state.note_json(note)
    assert state.stale() == []
    assert state.to_json() == orjson.dumps(state.to_dict())


# --- the archive's work, as the worker runs it ----------------------------------------------------


async def session_with_notes(n: int) -> tuple[Registry, SessionRecord]:
    hub = Registry(MemoryStore())
    rec = new_session(catalog(), "vier-hoeken")
    await hub.put_session(rec)
    room = await hub.room(rec, rec.boards[0].id)
    assert room is not None
    for i in range(n):
        room.submit(f"o{i}", op(kind="note.add", note=f"n{i}", zone="tips", text=f"idee {i}"),
                    Actor(f"p{i % 5}", "P"), 1)
    await room.submit("last", op(kind="note.edit", note="n0", text="herzien"), FAC, 1)
    return hub, rec


async def test_R44_the_live_document_as_json_is_the_document() -> None:
    hub, rec = await session_with_notes(50)
    raw = await archivist.live_json(hub, rec)
    doc = await archivist.live_document(hub, rec)
    got = orjson.loads(raw)
    assert got.pop("exported_at") and doc.pop("exported_at")
    assert got == doc
    assert jobs.render([raw], "csv") == jobs.render([orjson.dumps(doc)], "csv")
    await hub.close()


async def test_R44_an_import_prepared_by_a_worker_is_the_same_session(pool: offload.Pool,
                                                                      monkeypatch: Any) -> None:
    hub, rec = await session_with_notes(30)
    raw = await archivist.live_json(hub, rec)
    monkeypatch.setattr(offload, "POOL", pool)
    monkeypatch.setattr(archivist, "INLINE_BYTES", 0)  # every document to the worker
    store = MemoryStore()
    fresh = await archivist.import_json(store, raw, owner="o1")
    assert pool.ran["process"] >= 1
    assert fresh.id != rec.id and fresh.owner == "o1"
    after = await archivist.stored_document(store, fresh)
    before = orjson.loads(raw)
    assert [len(b["state"]["notes"]) for b in after["boards"]] == \
        [len(b["state"]["notes"]) for b in before["boards"]]
    with pytest.raises(archive.ImportRefused):
        await archivist.import_json(store, b'{"format": "nope"}')
    with pytest.raises(archive.ImportRefused):
        await archivist.import_json(store, b"not json at all")
    await hub.close()


# --- rooms unloaded when idle, records forgotten (R45) --------------------------------------------


async def test_R45_an_idle_room_is_unloaded_and_loaded_again_as_it_was() -> None:
    hub, rec = await session_with_notes(20)
    board = rec.boards[0].id
    before = hub.rooms[board].state.to_json()
    conn = Connection(lambda t: None)
    other = await hub.room(rec, rec.boards[1].id)
    assert other is not None
    other.subscribe(conn, None, 0)
    await hub.room(rec, rec.control_id)
    assert await hub.sweep(60.0) == []  # not idle long enough
    unloaded = await hub.sweep(0.0)
    # the followed board stays, and so does the control board of its session
    assert board in unloaded and rec.boards[1].id not in unloaded
    assert rec.control_id not in unloaded and rec.control_id in hub.rooms
    room = await hub.room(rec, board)
    assert room is not None and room.state.to_json() == before
    other.unsubscribe(conn)
    assert set(await hub.sweep(0.0)) == set(hub.rooms) | {board, rec.boards[1].id,
                                                          rec.control_id} - set(hub.rooms)
    assert hub.rooms == {}
    await hub.close()


async def test_R44_a_big_board_is_loaded_a_slice_at_a_time_as_it_was(monkeypatch: Any) -> None:
    from server import room as rooms

    monkeypatch.setattr(rooms, "WARM_SLICE", 7)
    hub, rec = await session_with_notes(50)
    room = hub.rooms[rec.boards[0].id]
    await room.submit("d", op(kind="note.delete", note="n3"), FAC, 1)
    await room._snapshot()
    before = room.state.to_json()
    assert await hub.sweep(0.0)
    again = await hub.room(rec, rec.boards[0].id)
    assert again is not None and again is not room
    assert again.state.to_json() == before and "n3" in again.state.trash
    await hub.close()


async def test_R45_a_room_with_work_on_its_way_is_not_unloaded() -> None:
    hub, rec = await session_with_notes(1)
    room = hub.rooms[rec.boards[0].id]
    future = room.submit("pending", op(kind="note.add", note="p1", zone="tips"), FAC, 1)
    assert await hub.sweep(0.0) == []
    await future
    await asyncio.sleep(0.05)  # the flusher ends its turn
    assert rec.boards[0].id in await hub.sweep(0.0)
    await hub.close()


async def test_R45_unused_session_records_are_forgotten_and_a_shared_store_is_read_again(
        ) -> None:
    store = MemoryStore()
    hub = Registry(store)
    rec = new_session(catalog(), "vier-hoeken")
    await hub.put_session(rec)
    assert await hub.session(rec.id) is rec
    await hub.sweep(0.0, now=time.monotonic() + SESSION_IDLE_S + 1)
    assert rec.id not in hub._sessions
    again = await hub.session(rec.id)
    assert again is not None and again.id == rec.id and again is not rec
    # another process rotates the code: with a shared store this one sees it within seconds
    store.shared = True
    rotated = again.model_copy(update={"code": "ZZZZ2222"})
    await store.put_session(rotated.id, rotated.code, rotated.model_dump_json())
    assert (await hub.session(rec.id)).code == again.code  # type: ignore[union-attr]
    hub._sessions[rec.id].read -= SESSION_FRESH_S + 1
    assert (await hub.session(rec.id)).code == "ZZZZ2222"  # type: ignore[union-attr]
    store.shared = False
    await hub.close()


# --- what one connection can make the server hold (R45) -------------------------------------------


async def hidden_board(n: int = 40) -> tuple[Registry, SessionRecord, Room]:
    hub, rec = await session_with_notes(n)
    room = hub.rooms[rec.boards[0].id]
    await room.submit("hide", op(kind="board.mode", mode="hidden"), FAC, 1)
    return hub, rec, room


def participant(pid: str, sink: list[str] | None = None) -> Connection:
    from server.auth import Grant

    conn = Connection((sink if sink is not None else []).append)
    conn.grant = Grant(session="s", role="participant", participant=pid, expires=2e9, key="")
    conn.actor = Actor(pid, pid)
    return conn


async def test_R45_redacted_states_are_shared_by_readers_alike_and_kept_per_author() -> None:
    hub, _rec, room = await hidden_board()
    a, b = participant("nobody-a"), participant("nobody-b")
    author = participant("p1")
    assert room.state_frame_for(a) is room.state_frame_for(b)  # one copy for both
    mine = room.state_frame_for(author)
    assert mine != room.state_frame_for(a)
    notes = {n["id"]: n for n in json.loads(mine)["state"]["notes"]}
    assert notes["n1"]["text"] == "idee 1" and notes["n2"]["redacted"] is True
    for i in range(REDACTED_STATES + 10):
        room.state_frame_for(participant(f"p{i % 5}"))
    assert len(room._redacted) <= REDACTED_STATES
    await hub.close()


async def test_R45_a_second_subscribe_of_a_connection_that_does_not_read_queues_no_state(
        ) -> None:
    hub, _rec, room = await hidden_board(200)
    sink: list[str] = []
    conn = participant("nobody", sink)
    room.subscribe(conn, None, 0)
    conn.pause()
    for _ in range(50):
        room.subscribe(conn, None, 0)
    kinds = [json.loads(t)["type"] for t in conn.backlog or ()]
    assert kinds.count("state") <= 1 and kinds.count("caught_up") == 50
    conn.resume()
    sink.clear()
    room.subscribe(conn, None, 0)  # reading again: a client that asks for the state gets it
    assert [json.loads(t)["type"] for t in sink] == ["state", "caught_up"]
    await hub.close()


def test_R45_the_outbox_is_bounded_in_bytes_as_well_as_frames() -> None:
    cuts: list[tuple[str, int]] = []
    conn = Connection(lambda t: None, lambda reason, code: cuts.append((reason, code)))
    conn.pause()
    big = "x" * (1024 * 1024)
    for _ in range(OUTBOX_BYTES // len(big) + 2):
        conn.send(big)
    assert cuts and cuts[0][1] == 4008 and conn.waiting == 0


# --- votes as fast as notes -----------------------------------------------------------------------


async def test_R27_vote_totals_are_kept_as_dots_arrive_and_a_dot_carries_only_its_vote() -> None:
    hub, rec = await session_with_notes(10)
    control = await hub.room(rec, rec.control_id)
    assert control is not None
    sink: list[str] = []
    conn = Connection(sink.append)
    control.subscribe(conn, None, 0)
    await control.submit("v", op(kind="vote.open", vote="v1", budget=5, cap=3), FAC, 1)
    board = rec.boards[0].id
    for i in range(30):
        voter = Actor(f"p{i % 6}", "P")
        note = f"n{i % 4}"
        delta = -1 if i % 7 == 6 and control.state.control.votes.records["v1"].casts.get(  # type: ignore[union-attr]
            voter.participant, {}).get(f"{board}/{note}") else 1
        await control.submit(f"c{i}", op(kind="vote.cast", vote="v1", board=board, note=note,
                                         delta=delta), voter, 1)
    ctl = control.state.control
    assert ctl is not None
    recomputed = Vote.from_dict(ctl.votes.records["v1"].to_dict()).public()
    assert ctl.vote_record("v1") == recomputed  # kept == recomputed
    events = [json.loads(t) for t in sink if '"vote.cast"' in t]
    applied = [e for e in events if e["result"] == "applied"]
    assert applied and all("after" not in e and e["vote"]["totals"] for e in applied)
    assert applied[-1]["vote"] == recomputed
    opened = next(json.loads(t) for t in sink if '"vote.open"' in t)
    assert opened["after"]["votes"]["v1"]["open"] is True  # other control ops: the whole state
    await hub.close()


# --- garbage collection ---------------------------------------------------------------------------


def test_R44_collection_pauses_are_measured() -> None:
    watch = GcWatch()
    before = gc.get_threshold()
    watch.install()
    try:
        assert gc.get_threshold()[0] >= before[0]
        junk = []
        for _ in range(3):
            junk.append([[i] for i in range(10000)])
            gc.collect()
        summary = watch.summary()
        assert summary["count"][2] >= 3 and summary["longest_ms"][2] > 0
    finally:
        watch.uninstall()
    assert gc.get_threshold() == before
