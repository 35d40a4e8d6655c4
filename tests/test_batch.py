"""Events batched per tick (R54): at most one write per tick per connection, a lone frame at
once, the same order, the same frames; only for clients that ask for it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from wsharness import Client, ahttp, live_server, new_session, participant

from server import connection
from server.config import Settings
from server.connection import CLOSE_REMOVED, TICKER, Connection


def batched(sink: list[str], **kwargs: Any) -> Connection:
    conn = Connection(sink.append, **kwargs)
    conn.batched = True
    return conn


def unpacked(texts: list[str]) -> list[Any]:
    out: list[Any] = []
    for text in texts:
        frame = json.loads(text)
        out.extend(frame["frames"] if frame.get("type") == "batch" else [frame])
    return out


async def next_tick() -> None:
    await asyncio.sleep(connection.BATCH_TICK_S * 3)


async def test_R54_a_lone_frame_goes_at_once_and_the_rest_of_the_tick_as_one_batch() -> None:
    sink: list[str] = []
    conn = batched(sink)
    conn.send('{"n":1}')
    assert sink == ['{"n":1}']  # the leading edge is not delayed
    conn.send('{"n":2}')
    conn.send('{"n":3}')
    assert len(sink) == 1
    await next_tick()
    assert len(sink) == 2
    assert json.loads(sink[1]) == {"type": "batch", "frames": [{"n": 2}, {"n": 3}]}
    await next_tick()
    conn.send('{"n":4}')  # a quiet tick later: at once again
    assert sink[-1] == '{"n":4}' and len(sink) == 3


async def test_R54_one_frame_waiting_in_a_tick_goes_as_itself() -> None:
    sink: list[str] = []
    conn = batched(sink)
    conn.send('{"n":1}')
    conn.send('{"n":2}')
    await next_tick()
    assert sink == ['{"n":1}', '{"n":2}']


async def test_R54_receivers_waiting_for_the_same_frames_share_one_batch_object() -> None:
    sinks: list[list[str]] = [[] for _ in range(5)]
    conns = [batched(s) for s in sinks]
    texts = ['{"n":1}', '{"n":2}', '{"n":3}']
    for text in texts:
        for conn in conns:
            conn.send(text)
    await next_tick()
    batches = [s[1] for s in sinks]
    assert all(b is batches[0] for b in batches)  # built once, so the wire frames it once


async def test_R54_a_client_that_did_not_ask_gets_every_frame_alone() -> None:
    sink: list[str] = []
    conn = Connection(sink.append)
    for i in range(5):
        conn.send(f'{{"n":{i}}}')
    assert sink == [f'{{"n":{i}}}' for i in range(5)]


async def test_R54_R14_a_pause_within_a_tick_keeps_the_order() -> None:
    sink: list[str] = []
    conn = batched(sink)
    conn.send('{"n":1}')
    conn.send('{"n":2}')
    conn.pause()  # the transport filled up: the tick's batch goes to the outbox first
    conn.send('{"n":3}')
    await next_tick()
    assert unpacked(sink) == [{"n": 1}]
    conn.resume()
    assert unpacked(sink) == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert conn.waiting == 0 and conn.queued == 0


async def test_R54_R14_a_batch_counts_toward_the_outbox_limit() -> None:
    cuts: list[int] = []
    conn = Connection(lambda t: None, lambda reason, code: cuts.append(code), outbox=10)
    conn.batched = True
    for i in range(12):
        conn.send(f'{{"n":{i}}}')
    assert cuts == [connection.CLOSE_TOO_SLOW]


async def test_R54_R33_what_the_tick_held_goes_out_before_a_removal_closes() -> None:
    sink: list[str] = []
    closes: list[int] = []
    conn = Connection(sink.append, lambda reason, code: closes.append(code))
    conn.batched = True
    conn.send('{"n":1}')
    conn.send('{"type":"error","code":"removed"}')
    conn.cut("removed from the session", CLOSE_REMOVED)
    assert unpacked(sink)[-1]["code"] == "removed" and closes == [CLOSE_REMOVED]


async def test_R54_the_ticker_stops_when_nobody_writes() -> None:
    sink: list[str] = []
    conn = batched(sink)
    conn.send("{}")
    conn.send("{}")
    await asyncio.sleep(connection.BATCH_TICK_S * 6)
    assert not TICKER.armed and TICKER.waiting == []


async def test_R54_over_the_wire_batches_keep_order_acks_and_redaction(tmp_path: Path) -> None:
    """A burst of ops reaches a batching observer in batches and a plain observer one frame at
    a time, the same events in the same order; each op's ack arrives; the participant who
    wrote them sees the same log as the facilitator."""
    settings = Settings(store_url="memory://", secret_key="k", data_dir=tmp_path)
    async with live_server(settings) as base:
        made = await new_session(base)
        board = made["session"]["boards"][0]["id"]
        fac = Client(base, made["facilitator_token"], "F")
        await fac.connect()
        plain = Client(base, made["facilitator_token"], "P", batch=False)
        await plain.connect()
        writer = await participant(base, made["code"], "W")
        for c in (fac, plain, writer):
            await c.subscribe(board)
        n = 40
        ids = [writer.next_id() for _ in range(n)]
        for i, op_id in enumerate(ids):  # as fast as the socket takes them, no waiting
            await writer.send({"type": "op", "id": op_id, "board": board, "op": {
                "kind": "note.add", "note": f"b{i}", "zone": "tips", "text": f"tip {i}"}})
        acks = [await writer.wait_for(lambda f, i=i: f["type"] == "ack" and f["id"] == i)
                for i in ids]
        last = max(a["seq"] for a in acks)
        for c in (fac, plain, writer):
            await c.wait_seq(board, last)
        assert fac.batches > 0, "a burst of events in one tick comes as batch frames"
        assert plain.batches == 0
        logs = [[f["seq"] for f in c.frames if f["type"] == "event"] for c in (fac, plain, writer)]
        assert logs[0] == logs[1] == logs[2] == sorted(logs[0])
        assert fac.notes(board) == plain.notes(board) == writer.notes(board)
        for c in (fac, plain, writer):
            await c.close()


async def test_R54_the_batch_frame_and_the_hello_field_are_published(tmp_path: Path) -> None:
    settings = Settings(store_url="memory://", secret_key="k", data_dir=tmp_path)
    async with live_server(settings) as base:
        schema = await ahttp(base + "/api/protocol.schema.json")
    defs = schema["server"]["$defs"]
    assert schema["client"]["$defs"]["Hello"]["properties"]["batch"]["type"] == "boolean"
    batch = defs["Batch"]
    assert batch["properties"]["type"]["const"] == "batch"
    assert "frames" in batch["required"]
