"""Rooms: fan-out (R9, R14) and compaction (R8) with the real registry and store, without
sockets."""

from __future__ import annotations

import asyncio
import json

from server.board import Actor
from server.connection import OUTBOX_FRAMES, Connection
from server.protocol import BOARD_OP
from server.registry import Registry as Hub
from server.room import Room
from server.session import new_session
from server.store.memory import MemoryStore
from server.templates import catalog

ACTOR = Actor("p1", "An")


async def setup() -> tuple[Hub, Room]:
    hub = Hub(MemoryStore())
    rec = new_session(catalog(), "vier-hoeken")
    await hub.put_session(rec)
    room = await hub.room(rec, rec.boards[0].id)
    assert room is not None
    return hub, room


async def test_R14_a_client_that_never_reads_is_cut_and_delays_nobody() -> None:
    hub, room = await setup()
    received: list[str] = []
    cuts: list[str] = []
    healthy = Connection(received.append)
    frozen = Connection(lambda t: None, lambda reason, code: cuts.append(reason))
    room.subscribe(healthy, None, 0)
    room.subscribe(frozen, None, 0)
    frozen.pause()  # its transport is full: the peer's receive window stays shut
    n = OUTBOX_FRAMES + 200
    futures = [
        room.submit(f"o{i}", BOARD_OP.validate_python(
            {"kind": "note.add", "note": f"n{i}", "zone": "tips", "text": "x" * 200}),
            ACTOR, 1)
        for i in range(n)
    ]
    done = await asyncio.wait_for(asyncio.gather(*futures), 10)
    assert [seq for seq, _ in done] == list(range(1, n + 1))
    assert frozen.cut_reason is not None and len(cuts) == 1
    assert frozen.waiting == 0  # what waited is freed at the cut
    assert healthy.cut_reason is None
    events = [json.loads(t) for t in received if '"event"' in t]
    assert [e["seq"] for e in events] == list(range(1, n + 1))
    await hub.close()


async def test_R14_a_paused_connection_gets_its_backlog_in_order_on_resume() -> None:
    hub, room = await setup()
    received: list[str] = []
    conn = Connection(received.append)
    room.subscribe(conn, None, 0)
    received.clear()
    conn.pause()
    for i in range(10):
        await room.submit(f"o{i}", BOARD_OP.validate_python(
            {"kind": "note.add", "note": f"n{i}", "zone": "tips"}), ACTOR, 1)
    assert received == [] and conn.waiting == 10
    conn.resume()
    assert [json.loads(t)["seq"] for t in received] == list(range(1, 11))
    assert conn.waiting == 0
    await hub.close()


async def test_R14_event_is_encoded_once_for_all_receivers() -> None:
    hub, room = await setup()
    sinks: list[list[str]] = [[], [], []]
    conns = [Connection(sink.append) for sink in sinks]
    for c in conns:
        room.subscribe(c, None, 0)
    for sink in sinks:
        sink.clear()
    await room.submit("o1", BOARD_OP.validate_python(
        {"kind": "note.add", "note": "n1", "zone": "tips"}), ACTOR, 1)
    texts = [sink[0] for sink in sinks]
    assert texts[0] is texts[1] is texts[2]  # one string object, not three encodings
    await hub.close()


async def test_R14_a_frame_is_framed_once_for_all_receivers() -> None:
    from server.wire import _framed, frame_text

    text = '{"type":"pong"}' * 20
    assert _framed(text) is _framed(text)
    assert frame_text(text) == _framed(text)
    for n in (0, 125, 126, 65535, 65536):
        data = frame_text("a" * n)
        assert data[0] == 0x81 and data.endswith(b"a" * n) and len(data) - n in (2, 4, 10)


async def test_R9_drags_are_coalesced_per_note_per_tick() -> None:
    """The first drag after a quiet tick goes at once; the rest of that tick is coalesced and
    sent when the tick ends: at most one frame per tick, the last position always arrives."""
    from server.drags import DRAG_TICK_S

    hub, room = await setup()
    frames: list[tuple[float, str]] = []
    loop = asyncio.get_running_loop()
    mover = Connection(lambda t: None)
    watcher = Connection(lambda t: frames.append((loop.time(), t)))
    mover.actor = ACTOR
    room.subscribe(watcher, None, 0)
    await room.submit("o1", BOARD_OP.validate_python(
        {"kind": "note.add", "note": "n1", "zone": "tips"}), ACTOR, 1)
    frames.clear()
    for i in range(100):
        room.drag(mover, "n1", float(i), float(i))
    room.drag(mover, "ghost", 1.0, 1.0)  # unknown notes are ignored
    assert len(frames) == 1  # the leading edge: no wait at low load
    await asyncio.sleep(0.1)
    moves = [json.loads(t) for _, t in frames]
    assert len(moves) == 2
    assert moves[0]["moves"] == [{"note": "n1", "x": 0.0, "y": 0.0, "by": "p1"}]
    assert moves[1]["moves"] == [{"note": "n1", "x": 99.0, "y": 99.0, "by": "p1"}]
    assert frames[1][0] - frames[0][0] >= DRAG_TICK_S * 0.95
    await hub.close()


async def test_R8_restart_loads_snapshot_plus_log_tail(tmp_path: object) -> None:
    from server import room as hubmod

    store = MemoryStore()
    hub = Hub(store)
    rec = new_session(catalog(), "vier-hoeken")
    await hub.put_session(rec)
    board_id = rec.boards[0].id
    room = await hub.room(rec, board_id)
    assert room is not None
    n = hubmod.SNAPSHOT_EVERY + 30
    await asyncio.gather(*(room.submit(f"o{i}", BOARD_OP.validate_python(
        {"kind": "note.add", "note": f"n{i}", "zone": "tips"}), ACTOR, 1) for i in range(n)))
    snap = await store.get_snapshot(board_id)
    assert snap is not None and snap[0] >= hubmod.SNAPSHOT_EVERY
    before = room.state.to_dict()
    await hub.close()
    again = Hub(store)
    room2 = await again.room(rec, board_id)
    assert room2 is not None and room2.state.to_dict() == before
    await again.close()
