"""The core over the wire: a real uvicorn server and real websocket clients."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from wsharness import Client, ahttp, live_server, new_session, participant

from server.config import Settings


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def base(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "redis":
        url = request.getfixturevalue("redis_server").url
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/vh.db"
    else:
        url = "memory://"
    settings = Settings(store_url=url, secret_key="test-secret", data_dir=tmp_path)
    async with live_server(settings) as b:
        yield b


async def corner(base: str) -> tuple[dict[str, Any], str]:
    s = await new_session(base)
    return s, s["session"]["boards"][1]["id"]


def add(note: str, zone: str = "tips", text: str = "", **kw: Any) -> dict[str, Any]:
    return {"kind": "note.add", "note": note, "zone": zone, "text": text, **kw}


async def test_R7_two_clients_see_each_others_notes(base: str) -> None:
    s, board = await corner(base)
    a = await participant(base, s["code"], "An", "Groep 1")
    b = await participant(base, s["code"], "Bo", "Groep 2")
    assert a.welcome["type"] == "welcome" and a.welcome["me"]["group"] == "Groep 1"
    await a.subscribe(board)
    await b.subscribe(board)
    ack = await a.op(board, add("n1", "relevantie", "Sluit aan op de praktijk"))
    assert ack["type"] == "ack" and ack["seq"] == 1 and ack["result"] == "applied"
    await b.wait_seq(board, 1)
    note = b.notes(board)["n1"]
    assert (note["text"], note["author_name"], note["group"], note["round"]) == (
        "Sluit aan op de praktijk", "An", "Groep 1", 1)
    # R32: Bo may not change An's note, until a facilitator opens the board to shared editing;
    # then the note says who changed it.
    edit = {"kind": "note.edit", "note": "n1", "text": "Aangevuld door Bo"}
    refused = await b.op(board, edit)
    assert (refused["type"], refused["code"]) == ("error", "not_yours")
    f = Client(base, s["facilitator_token"], "Fee")
    await f.connect()
    assert (await f.op(board, {"kind": "board.editing", "editing": "shared"}))["type"] == "ack"
    assert (await b.op(board, edit))["type"] == "ack"
    await a.wait_seq(board, 3)
    note = a.notes(board)["n1"]
    assert (note["text"], note["author_name"], note["edited_by_name"]) == (
        "Aangevuld door Bo", "An", "Bo")
    for c in (a, b, f):
        await c.close()


async def test_R7_twenty_clients_converge(base: str) -> None:
    s, board = await corner(base)
    clients = [await participant(base, s["code"], f"P{i}") for i in range(20)]
    for c in clients:
        await c.subscribe(board)
    zones = ["relevantie", "toepasbaarheid", "tips"]

    async def work(i: int, c: Client) -> list[dict[str, Any]]:
        rng = random.Random(i)
        mine: list[str] = []
        answers = []
        for k in range(15):
            r = rng.random()
            if r < 0.5 or not mine:
                nid = f"c{i}n{k}"
                mine.append(nid)
                answers.append(await c.op(board, add(nid, rng.choice(zones), f"tekst {i}.{k}")))
            elif r < 0.7:
                answers.append(await c.op(board, {"kind": "note.move", "note": rng.choice(mine),
                                                  "x": rng.random() * 50, "y": rng.random() * 50,
                                                  "zone": rng.choice(zones)}))
            elif r < 0.85:
                answers.append(await c.op(board, {"kind": "note.edit", "note": rng.choice(mine),
                                                  "text": f"bewerkt {i}.{k}"}))
            else:
                victim = mine.pop(rng.randrange(len(mine)))
                answers.append(await c.op(board, {"kind": "note.delete", "note": victim}))
        return answers

    results = await asyncio.gather(*(work(i, c) for i, c in enumerate(clients)))
    acks = [a for r in results for a in r]
    assert all(a["type"] == "ack" for a in acks), [a for a in acks if a["type"] != "ack"]
    seqs = sorted(a["seq"] for a in acks)
    assert seqs == list(range(1, len(acks) + 1))  # one total order, no gaps, no repeats
    last = seqs[-1]
    for c in clients:
        await c.wait_seq(board, last)
    late = await participant(base, s["code"])
    await late.subscribe(board)
    expected = late.notes(board)
    assert expected
    for c in clients:
        assert c.notes(board) == expected
        assert c.boards[board].seqs == list(range(1, last + 1))
    for c in [*clients, late]:
        await c.close()


async def test_R8_resume_replays_missed_events_once(base: str) -> None:
    s, board = await corner(base)
    a = await participant(base, s["code"], "An")
    b = await participant(base, s["code"], "Bo")
    await a.subscribe(board)
    await b.subscribe(board)
    for i in range(5):
        await b.op(board, add(f"n{i}"))
    await a.wait_seq(board, 5)
    epoch, seq = a.boards[board].epoch, a.boards[board].state.seq  # type: ignore[union-attr]
    await a.drop()
    for i in range(5, 41):
        await b.op(board, add(f"n{i}", text=f"gemist {i}"))
    a2 = Client(base, a.token, "An")
    a2.boards[board] = a.boards[board]  # keep the mirror: resume continues it
    await a2.connect()
    mode = await a2.subscribe(board, epoch, seq)
    assert mode == "replay"
    await a2.wait_seq(board, 41)
    assert a2.boards[board].seqs == list(range(1, 42))  # nothing missed, nothing doubled
    assert a2.notes(board) == b.notes(board)
    # R36: a deletion among the missed events means a fresh state for a participant (a replay
    # would carry the deleted note's text); the mirror still ends up the same.
    seq = a2.boards[board].state.seq  # type: ignore[union-attr]
    await a2.drop()
    await b.op(board, {"kind": "note.delete", "note": "n0"})
    a3 = Client(base, a.token, "An")
    a3.boards[board] = a2.boards[board]
    await a3.connect()
    assert await a3.subscribe(board, epoch, seq) == "state"
    assert a3.notes(board) == b.notes(board)
    # An unknown epoch always gets the full state.
    c = Client(base, a.token)
    await c.connect()
    assert await c.subscribe(board, "other", 3) == "state"
    for x in (a3, b, c):
        await x.close()


async def test_R5_retried_op_id_creates_no_duplicate(base: str) -> None:
    s, board = await corner(base)
    a = await participant(base, s["code"])
    await a.subscribe(board)
    first = await a.op(board, add("n1", text="een keer"), op_id="retry-1")
    again = await a.op(board, add("n1", text="een keer"), op_id="retry-1")
    assert first["type"] == again["type"] == "ack"
    assert (first["seq"], first["result"]) == (again["seq"], again["result"])
    # Retry after the connection dropped, before the ack was seen: same answer again.
    await a.op(board, {"kind": "note.edit", "note": "n1", "text": "twee"}, op_id="retry-2",
               wait=False)
    await a.drop()
    b = Client(base, a.token)
    await b.connect()
    await b.subscribe(board)
    ack = await b.op(board, {"kind": "note.edit", "note": "n1", "text": "twee"}, op_id="retry-2")
    assert ack["type"] == "ack" and ack["seq"] == 2
    # Two ops with the same id in flight at once: one stored.
    await b.op(board, add("n2"), op_id="burst", wait=False)
    await b.op(board, add("n2"), op_id="burst", wait=False)
    # One is stored. The other gets that answer again or, while the first is still being
    # stored, a refusal that stores nothing (R5); either way it is answered.
    first = await b.wait_for(lambda f: f.get("id") == "burst" and f["type"] == "ack")
    assert first["seq"] == 3
    other = await b.wait_for(lambda f: f is not first and (
        (f["type"] == "ack" and f.get("id") == "burst")
        or (f["type"] == "error" and f.get("ref") == "burst")))
    assert other["type"] == "error" or other["seq"] == 3, other
    await b.wait_seq(board, 3)
    assert sorted(b.notes(board)) == ["n1", "n2"]
    await asyncio.sleep(0.1)
    assert b.boards[board].state.seq == 3  # type: ignore[union-attr]
    await b.close()


BAD_FRAMES: list[tuple[str, Any, str]] = [
    ("malformed json", '{"type": "op", ', "bad_json"),
    ("unknown type", {"type": "explode"}, "unknown_type"),
    ("wrong field type", {"type": "op", "id": "x1", "board": "B",
                          "op": {"kind": "note.move", "note": "n1", "x": "links", "y": 1}},
     "bad_frame"),
    ("text over limit", {"type": "op", "id": "x2", "board": "B",
                         "op": add("n9", text="x" * 1001)}, "text_too_long"),
    ("unknown board", {"type": "op", "id": "x3", "board": "nope.matrix", "op": add("n9")},
     "unknown_board"),
    ("unknown note", {"type": "op", "id": "x4", "board": "B",
                      "op": {"kind": "note.edit", "note": "ghost", "text": "boe"}},
     "unknown_note"),
    ("unknown zone", {"type": "op", "id": "x5", "board": "B", "op": add("n9", zone="kelder")},
     "unknown_zone"),
    ("duplicate note id", {"type": "op", "id": "x6", "board": "B", "op": add("n1")},
     "duplicate_note"),
    ("other session's board", {"type": "op", "id": "x7", "board": "OTHER", "op": add("n9")},
     "unknown_board"),
    ("binary frame", b"\x00\x01", "bad_json"),
]


@pytest.mark.parametrize(("what", "frame", "code"), BAD_FRAMES, ids=[b[0] for b in BAD_FRAMES])
async def test_R11_R12_bad_input_gets_typed_error_and_changes_nothing(
    base: str, what: str, frame: Any, code: str
) -> None:
    s, board = await corner(base)
    other, _ = await corner(base)
    a = await participant(base, s["code"])
    watcher = await participant(base, s["code"])
    await a.subscribe(board)
    await watcher.subscribe(board)
    await a.op(board, add("n1", text="blijft"))
    await watcher.wait_seq(board, 1)
    if isinstance(frame, dict):
        raw = json.dumps(frame).replace('"B"', json.dumps(board))
        raw = raw.replace('"OTHER"', json.dumps(other["session"]["boards"][1]["id"]))
        frame = raw
    mark = len(a.frames)
    await a.send(frame)
    err = await a.wait_for(lambda f: f["type"] == "error", start=mark)
    assert err["code"] == code, err
    # Still connected, and nothing changed for anyone.
    pong_mark = len(a.frames)
    await a.send({"type": "ping", "t": 1})
    await a.wait_for(lambda f: f["type"] == "pong", start=pong_mark)
    ack = await a.op(board, {"kind": "note.edit", "note": "n1", "text": "nog steeds"})
    assert ack["seq"] == 2
    await watcher.wait_seq(board, 2)
    assert watcher.boards[board].seqs == [1, 2]  # the bad frame left no trace
    await a.close()
    await watcher.close()


async def test_R1_R2_frames_before_hello_and_bad_tokens(base: str) -> None:
    s, board = await corner(base)
    c = Client(base, "v1.forged.token")
    await c.connect(hello=False)
    await c.send({"type": "subscribe", "board": board})
    assert (await c.wait_for(lambda f: f["type"] == "error"))["code"] == "not_joined"
    await c.send({"type": "hello", "v": 1, "token": "v1.forged.token"})
    assert (await c.wait_for(lambda f: f.get("ref") == "hello"))["code"] == "bad_token"
    mark = len(c.frames)
    await c.send({"type": "hello", "v": 99, "token": s["viewer_token"]})
    assert (await c.wait_for(lambda f: f["type"] == "error", start=mark))["code"] == "bad_version"
    await c.close()
    viewer = Client(base, s["viewer_token"])
    await viewer.connect()
    assert viewer.welcome["me"]["role"] == "viewer"
    await viewer.subscribe(board)
    err = await viewer.op(board, add("v1"))
    assert err["code"] == "forbidden"
    await viewer.close()


async def test_R3_oversized_frame_is_closed_with_1009(base: str) -> None:
    s, board = await corner(base)
    a = await participant(base, s["code"])
    other = await participant(base, s["code"])
    await other.subscribe(board)
    await a.send("x" * (64 * 1024 + 1))
    await asyncio.wait_for(a._reader, 5)  # type: ignore[arg-type]
    assert a._ws.close_code == 1009
    ack = await other.op(board, add("ok"))
    assert ack["type"] == "ack"
    await other.close()


async def test_R3_no_compression_is_negotiated(base: str) -> None:
    async with websockets.connect(base.replace("http", "ws") + "/ws",
                                  compression="deflate") as ws:
        assert ws.response.headers.get("Sec-WebSocket-Extensions") is None


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [(None, True), ("SELF", True), ("https://sto.example.nl", True),
     ("https://evil.example", False), ("null", False)],
)
async def test_R4_origin_is_checked(tmp_path: Path, origin: str | None, allowed: bool) -> None:
    settings = Settings(store_url="memory://", secret_key="k", data_dir=tmp_path,
                        allowed_origins=("https://sto.example.nl",))
    async with live_server(settings) as b:
        url = b.replace("http", "ws") + "/ws"
        if origin == "SELF":
            origin = b
        kwargs = {} if origin is None else {"origin": origin}
        if allowed:
            async with websockets.connect(url, **kwargs) as ws:
                await ws.send(json.dumps({"type": "ping", "t": 0}))
                assert json.loads(await ws.recv())["type"] == "pong"
        else:
            with pytest.raises(websockets.InvalidStatus) as info:
                await websockets.connect(url, **kwargs)
            assert info.value.response.status_code == 403


async def test_R15_flood_is_rate_limited(base: str) -> None:
    s, _ = await corner(base)
    a = await participant(base, s["code"])
    for _ in range(200):
        await a.send({"type": "ping", "t": 0})
    await a.wait_for(lambda f: f["type"] == "error" and f["code"] == "rate_limited")
    await a.close()


async def test_http_api_and_schemas(base: str) -> None:
    health = await ahttp(base + "/healthz")
    assert health["ok"] is True and health["reachable"] is True
    schema = await ahttp(base + "/api/protocol.schema.json")
    assert schema["version"] == 1
    tpl = await ahttp(base + "/api/templates.schema.json")
    assert "instrument" in json.dumps(tpl)
    with pytest.raises(Exception, match="404"):
        await ahttp(base + "/api/join/ZZZZZZ")
    # R31: only a signed-in organiser makes sessions
    with pytest.raises(Exception, match="401"):
        await ahttp(base + "/api/sessions", {"template": "reflectietool"})
    one = await new_session(base, "reflectietool")
    assert [b["instrument"] for b in one["session"]["boards"]] == ["reflectietool"]
    assert "key" not in one["session"] and "owner" not in one["session"]
