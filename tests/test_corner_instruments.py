"""The instruments on the day, over the wire: blind scoring on a hidden reflectietool (R62),
reflections started by a facilitator and stamped with their day (R63, R64), and a corner's
material reaching open pages live, going with the JSON export and import and with the session
when it is deleted (R50)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from serverproc import ORGANISERS
from test_access import acall
from test_material import pdf, png
from wsharness import SERVERS, Client, live_server, new_session

from server.config import MIB, Settings

SECRET = "geheim: alleen voor de begeleider"


@pytest.fixture
async def base(tmp_path: Path) -> AsyncIterator[str]:
    settings = Settings(store_url=f"sqlite:///{tmp_path}/vh.db", secret_key="s",
                        data_dir=tmp_path, upload_max_bytes=4 * MIB)
    async with live_server(settings) as b:
        yield b


class Reader(Client):
    """A client that, like the browser, lets an event withheld from it (someone's score on a
    hidden board, R62) change nothing but its seq."""

    def _mirror(self, f: dict[str, Any]) -> None:
        m = self.boards.get(f.get("board", ""))
        if f["type"] == "event" and f.get("redacted") and f["op"].get("kind") == "score.set":
            assert m is not None and m.state is not None and f["seq"] == m.state.seq + 1
            m.state.seq = f["seq"]
            return
        super()._mirror(f)


async def joined(base: str, code: str, name: str) -> Reader:
    _, _, body = await acall("GET", f"{base}/api/join/{code}")
    c = Reader(base, json.loads(body)["token"], name)
    await c.connect()
    return c


def state_of(c: Client, board: str, start: int = 0) -> dict[str, Any]:
    frames = [f for f in c.frames[start:] if f["type"] == "state" and f["board"] == board]
    assert frames, "no state frame"
    found: dict[str, Any] = frames[-1]["state"]
    return found


def score(aspect: str, value: int, note: str = "", reflection: str = "r1") -> dict[str, Any]:
    return {"kind": "score.set", "reflection": reflection, "aspect": aspect, "score": value,
            "note": note}


async def test_R62_hidden_scores_are_sent_to_nobody_but_their_scorer(base: str) -> None:
    made = await new_session(base, "reflectietool")
    board = made["session"]["boards"][0]["id"]
    fac = Reader(base, made["facilitator_token"], "Fee")
    await fac.connect()
    await fac.subscribe(board)
    assert (await fac.op(board, {"kind": "board.mode", "mode": "hidden"}))["type"] == "ack"
    ans, bo = await joined(base, made["code"], "Ans"), await joined(base, made["code"], "Bo")
    for c in (ans, bo):
        await c.subscribe(board)
    mark = len(bo.frames)
    assert (await ans.op(board, score("ambitie", 5, SECRET)))["type"] == "ack"
    assert (await bo.op(board, score("ambitie", 2)))["type"] == "ack"
    await bo.wait_seq(board, 3)
    # What Bo got live of Ans's score: that one was given, not what or why.
    theirs = [f for f in bo.frames[mark:] if f["type"] == "event" and f["op"]["kind"] == "score.set"
              and f["actor"]["name"] == "Ans"]
    assert len(theirs) == 1 and theirs[0]["redacted"] is True
    assert theirs[0]["op"] == {"kind": "score.set", "reflection": "r1", "aspect": "ambitie"}
    assert SECRET not in json.dumps(bo.frames)
    # A fresh state for each: their own score, no aggregates; a screen: nothing at all.
    for c, own in ((ans, 5), (bo, 2)):
        again = Reader(base, c.token)
        await again.connect()
        await again.subscribe(board)
        state = state_of(again, board)
        assert [s["score"] for s in state["scores"]] == [own] and state["aggregates"] == {}
        await again.close()
    screen = Reader(base, made["viewer_token"])
    await screen.connect()
    await screen.subscribe(board)
    assert state_of(screen, board)["scores"] == [] and SECRET not in json.dumps(screen.frames)
    # A resume from before the scores is a state as Bo may read it, never a replay.
    late = Reader(base, bo.token)
    await late.connect()
    epoch = next(f["epoch"] for f in bo.frames if f["type"] == "state")
    assert await late.subscribe(board, epoch=epoch, seq=1) == "state"
    assert SECRET not in json.dumps(late.frames)
    # The facilitator reads everything.
    again = Reader(base, made["facilitator_token"])
    await again.connect()
    await again.subscribe(board)
    everything = state_of(again, board)
    assert sorted(s["score"] for s in everything["scores"]) == [2, 5]
    assert everything["aggregates"]["r1"]["ambitie"]["all"]["n"] == 2
    await again.close()
    # The reveal: everyone gets the whole board again.
    mark = len(bo.frames)
    assert (await fac.op(board, {"kind": "board.mode", "mode": "open"}))["type"] == "ack"
    await bo.wait_for(lambda f: f["type"] == "state" and f["board"] == board, start=mark)
    revealed = state_of(bo, board, mark)
    assert sorted(s["score"] for s in revealed["scores"]) == [2, 5]
    assert revealed["aggregates"]["r1"]["ambitie"]["all"]["n"] == 2
    assert SECRET in json.dumps(revealed)
    for c in (fac, ans, bo, screen, late):
        await c.close()


async def test_R63_R64_a_facilitator_starts_a_reflection_stamped_with_its_start(
        base: str) -> None:
    made = await new_session(base, "reflectietool")
    board = made["session"]["boards"][0]["id"]
    ans = await joined(base, made["code"], "Ans")
    await ans.subscribe(board)
    refused = await ans.op(board, {"kind": "reflection.add", "reflection": "r2"})
    assert refused["type"] == "error" and refused["code"] == "forbidden"
    fac = Reader(base, made["facilitator_token"], "Fee")
    await fac.connect()
    await fac.subscribe(board)
    assert (await fac.op(board, {"kind": "reflection.add", "reflection": "r2"}))["type"] == "ack"
    event = await ans.wait_for(lambda f: f["type"] == "event"
                               and f["op"]["kind"] == "reflection.add")
    await ans.wait_seq(board, event["seq"])
    state = ans.boards[board].state
    assert state is not None
    assert state.reflections[1] == {"id": "r2", "title": "Reflectie 2", "ts": event["ts"]}
    for c in (ans, fac):
        await c.close()


async def upload(base: str, made: dict[str, Any], corner: str, data: bytes,
                 name: str = "poster.pdf", method: str = "PUT") -> tuple[int, dict[str, Any]]:
    sid = made["session"]["id"]
    status, _, body = await acall(method, f"{base}/api/sessions/{sid}/material/{corner}?name="
                                  + quote(name), made["facilitator_token"],
                                  raw=data if method == "PUT" else None,
                                  headers={"content-type": "application/octet-stream"})
    return status, json.loads(body) if body else {}


async def test_R50_a_change_of_material_reaches_open_pages_live(base: str) -> None:
    made = await new_session(base)
    control = f"{made['session']['id']}.control"
    ans = await joined(base, made["code"], "Ans")
    await ans.subscribe(control)
    status, record = await upload(base, made, "matrix", pdf(3))
    assert status == 201
    event = await ans.wait_for(lambda f: f["type"] == "event"
                               and f["op"].get("kind") == "material.set")
    assert event["op"] == {"kind": "material.set", "corner": "matrix",
                           "version": record["version"], "pages": 3}
    assert event["actor"]["role"] == "facilitator"
    # Refused uploads announce nothing; a removal does.
    mark = len(ans.frames)
    assert (await upload(base, made, "matrix", b"<html></html>"))[0] == 415
    assert (await upload(base, made, "matrix", b"", method="DELETE"))[0] == 200
    gone = await ans.wait_for(lambda f: f["type"] == "event"
                              and f["op"].get("kind") == "material.set", start=mark)
    assert gone["op"]["corner"] == "matrix" and gone["op"]["pages"] == 0
    assert len([f for f in ans.frames[mark:] if f["type"] == "event"]) == 1
    # Nobody may send it themselves.
    refused = await ans.op(control, {"kind": "material.set", "corner": "matrix"})
    assert refused["type"] == "error" and refused["code"] == "forbidden"
    await ans.close()


async def exported(base: str, made: dict[str, Any]) -> dict[str, Any]:
    sid = made["session"]["id"]
    status, _, body = await acall("GET", f"{base}/api/sessions/{sid}/export.json",
                                  made["facilitator_token"])
    assert status == 200
    doc: dict[str, Any] = json.loads(body)
    return doc


async def imported(base: str, doc: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, _, body = await acall("POST", f"{base}/api/import", ORGANISERS[base],
                                  raw=json.dumps(doc).encode())
    return status, json.loads(body)


async def test_R50_the_material_goes_with_the_json_export_and_import(base: str) -> None:
    made = await new_session(base)
    poster, picture = pdf(3), png()
    assert (await upload(base, made, "matrix", poster, "matrix <b>poster</b>.pdf"))[0] == 201
    assert (await upload(base, made, "achtje", picture, "figuur.png"))[0] == 201
    doc = await exported(base, made)
    by_corner = {m["corner"]: m for m in doc["material"]}
    assert set(by_corner) == {"matrix", "achtje"}
    assert base64.b64decode(by_corner["matrix"]["data"]) == poster
    assert by_corner["matrix"]["filename"] == "matrix <b>poster</b>.pdf"
    assert not any("material" in json.dumps(b) for b in doc["boards"])
    status, fresh = await imported(base, doc)
    assert status == 201, fresh
    sid = fresh["session"]["id"]
    _, _, body = await acall("GET", f"{base}/api/join/{fresh['code']}")
    token = json.loads(body)["token"]
    listed = json.loads((await acall("GET", f"{base}/api/sessions/{sid}/material", token))[2])
    assert {c: r["pages"] for c, r in listed["material"].items()} == {"matrix": 3, "achtje": 1}
    assert listed["material"]["matrix"]["filename"] == "matrix <b>poster</b>.pdf"
    assert listed["material"]["matrix"]["title"] == ""  # the PDF has none
    status, _, page = await acall("GET", f"{base}/api/sessions/{sid}/material/matrix/3.webp",
                                  token)
    assert status == 200 and page[8:12] == b"WEBP"

    # A document whose material is not what it claims, or names a corner the session lacks,
    # is refused whole: no session is made.
    before = len(await SERVERS[base].store.list_sessions())
    bad = dict(doc, material=[{**by_corner["matrix"],
                               "data": base64.b64encode(b"<html>x</html>").decode()}])
    status, answer = await imported(base, bad)
    assert status == 400 and answer["error"] == "import_refused"
    assert "material" in answer["message"]
    status, answer = await imported(base, dict(doc, material=[{**by_corner["matrix"],
                                                               "corner": "nergens"}]))
    assert status == 400 and "material.0.corner" in answer["message"]
    status, answer = await imported(base, dict(doc, material=[by_corner["matrix"]] * 2))
    assert status == 400
    status, answer = await imported(base, dict(doc, material=[{**by_corner["matrix"],
                                                               "data": "not base64!"}]))
    assert status == 400
    assert len(await SERVERS[base].store.list_sessions()) == before


async def test_R50_deleting_a_session_deletes_its_material(base: str) -> None:
    made = await new_session(base)
    sid = made["session"]["id"]
    assert (await upload(base, made, "praatplaat", pdf(1)))[0] == 201
    store = SERVERS[base].store
    assert await store.list_records(f"material:{sid}")
    status, _, _ = await acall("DELETE", f"{base}/api/sessions/{sid}", ORGANISERS[base])
    assert status == 200
    assert await store.list_records(f"material:{sid}") == []
    assert await store.get_blob(sid, "material/praatplaat/original") is None
