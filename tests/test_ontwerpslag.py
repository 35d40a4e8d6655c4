"""The tweede ontwerpslag over HTTP and the websocket (R51): the feedback of an instrument over
every four-corner session, decisions shared live between two organisers, undo, progress, and
the verantwoording as HTML and XLSX."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from serverproc import ORGANISERS
from test_access import acall, live_organiser
from wsharness import Client, live_server, new_session, participant

from server.config import Settings


@pytest.fixture
async def base(tmp_path: Path) -> AsyncIterator[str]:
    settings = Settings(store_url=f"sqlite:///{tmp_path}/vh.db", secret_key="s",
                        data_dir=tmp_path)
    async with live_server(settings) as b:
        yield b


async def day(base: str, texts: list[str]) -> dict[str, Any]:
    """A session whose matrix corner got notes on Tips, two of them in cluster "Handleiding"."""
    made = await new_session(base)
    board = made["session"]["id"] + ".matrix"
    control = made["session"]["id"] + ".control"
    p = await participant(base, made["code"], "Ans")
    await p.subscribe(board)
    for i, text in enumerate(texts):
        await p.op(board, {"kind": "note.add", "note": f"n{i}", "zone": "tips", "text": text,
                           "part": "doelen" if i == 0 else None})
    f = Client(base, made["facilitator_token"])
    await f.connect()
    await f.subscribe(control)
    await f.subscribe(board)
    await f.op(control, {"kind": "cluster.add", "cluster": "c1", "station": "tips",
                         "title": "Handleiding"})
    for n in ("n0", "n1"):
        await f.op(board, {"kind": "note.cluster", "note": n, "cluster": "c1"})
    await p.close()
    await f.close()
    return made


async def test_R51_two_organisers_triage_one_instrument_live(base: str) -> None:
    one = await day(base, ["Een handleiding!", "Handleiding voor docenten", "Te vaag"])
    two = await day(base, ["Mooi instrument"])
    sid1, sid2 = one["session"]["id"], two["session"]["id"]
    other = await live_organiser(base, "Tweede")
    # strangers and session tokens get nothing
    for token in (None, one["facilitator_token"]):
        assert (await acall("GET", f"{base}/api/ontwerpslag", token))[0] == 401
        assert (await acall("GET", f"{base}/api/ontwerpslag/matrix/feedback", token))[0] == 401
    ws = [json.loads((await acall("GET", f"{base}/api/ontwerpslag", tok))[2])
          for tok in (ORGANISERS[base], other)]
    board = next(i["board"] for i in ws[0]["instruments"] if i["id"] == "matrix")
    found = json.loads((await acall("GET", f"{base}/api/ontwerpslag/matrix/feedback",
                                    ORGANISERS[base]))[2])
    assert {n["target"] for n in found["notes"]} == {
        f"{sid1}/n0", f"{sid1}/n1", f"{sid1}/n2", f"{sid2}/n0"}
    assert {c["target"] for c in found["clusters"]} == {f"{sid1}/cluster/c1",
                                                         f"{sid2}/cluster/c1"}
    assert found["progress"] == {"total": 3, "decided": 0}  # 2 clusters + 1 loose note
    assert next(n for n in found["notes"] if n["target"] == f"{sid1}/n0")["part"] == "doelen"
    # the workspace's own code does not join it
    assert (await acall("GET", f"{base}/api/join/{ws[0]['session']['code']}"))[0] == 404
    a, b = Client(base, ws[0]["token"], "Annelies"), Client(base, ws[1]["token"], "Bart")
    for c in (a, b):
        await c.connect()
        assert c.welcome["type"] == "welcome"
        await c.subscribe(board)
    ack = await a.op(board, {"kind": "decision.set", "target": f"{sid1}/cluster/c1",
                             "decision": "overnemen", "rationale": "Iedereen vraagt erom"})
    assert ack["type"] == "ack"
    event = await b.wait_for(lambda f: f["type"] == "event" and f["op"]["kind"] == "decision.set")
    assert event["actor"]["name"] == "Annelies"
    await b.op(board, {"kind": "decision.set", "target": f"{sid1}/n2", "decision": "aanpassen",
                       "rationale": "Vaag, maar terecht"})
    await b.op(board, {"kind": "decision.set", "target": f"{sid1}/n2",
                       "decision": "niet-overnemen"})
    assert (await b.op(board, {"kind": "decision.undo"}))["type"] == "ack"  # back to aanpassen
    await a.wait_seq(board, 4)
    state = await a.wait_for(lambda f: f["type"] == "state" and f["board"] == board
                             and f["seq"] == 4)
    assert state["state"]["decisions"][f"{sid1}/n2"]["decision"] == "aanpassen"
    found = json.loads((await acall("GET", f"{base}/api/ontwerpslag/matrix/feedback",
                                    other))[2])
    assert found["progress"] == {"total": 3, "decided": 2}
    # the websocket rules hold: a decision is one of four, and belongs on a workspace board;
    # a session's own facilitator cannot reach the workspace
    assert (await a.op(board, {"kind": "decision.set", "target": "x/y",
                               "decision": "misschien"}))["code"] == "bad_frame"
    fac = Client(base, one["facilitator_token"])
    await fac.connect()
    matrix = f"{sid1}.matrix"
    await fac.subscribe(matrix)
    refused = await fac.op(matrix, {"kind": "decision.set", "target": f"{sid1}/n0",
                                    "decision": "overnemen"})
    assert refused["code"] == "wrong_layout"
    mark = len(fac.frames)
    await fac.send({"type": "subscribe", "board": board})
    assert (await fac.wait_for(lambda f: f["type"] == "error", start=mark))["code"] == \
        "unknown_board"
    await fac.close()
    # the verantwoording: every decided cluster with its notes
    status, _, body = await acall("GET", f"{base}/api/ontwerpslag/matrix/verantwoording.html",
                                  other)
    text = body.decode()
    assert status == 200 and "2 van 3 besproken" in text
    assert "Handleiding" in text and "Een handleiding!" in text and "Iedereen vraagt erom" in text
    assert text.index("Overnemen") < text.index("Aanpassen")
    status, _, body = await acall("GET", f"{base}/api/ontwerpslag/matrix/verantwoording.xlsx",
                                  ORGANISERS[base])
    book = openpyxl.load_workbook(io.BytesIO(body))
    rows = list(book["Besluiten"].iter_rows(values_only=True))
    assert rows[0][0] == "Besluit" and rows[1][0] == "Overnemen" and rows[1][6] == 2
    for c in (a, b):
        await c.close()
