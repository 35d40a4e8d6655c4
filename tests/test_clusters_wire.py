"""Clusters, votes, board modes and moderation over the wire (R26-R29)."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from wsharness import Client, live_server, new_session, participant

from server.config import Settings


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def base(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    url = request.getfixturevalue("redis_server").url if request.param == "redis" else "memory://"
    async with live_server(Settings(store_url=url, secret_key="k", data_dir=tmp_path)) as b:
        yield b


async def room(base: str) -> tuple[dict[str, Any], Client, str, str]:
    made = await new_session(base)
    fac = Client(base, made["facilitator_token"], "Leiding")
    await fac.connect()
    board = made["session"]["boards"][0]["id"]
    control = made["session"]["id"] + ".control"
    await fac.subscribe(board)
    await fac.subscribe(control)
    return made, fac, board, control


async def test_R27_vote_budget_and_cap_over_the_wire(base: str) -> None:
    made, fac, board, control = await room(base)
    for i in range(4):
        await fac.op(board, {"kind": "note.add", "note": f"n{i}", "zone": "tips"})
    assert (await fac.op(control, {"kind": "vote.open", "vote": "v1", "budget": 3, "cap": 2,
                                   "station": "tips"}))["result"] == "applied"
    p = await participant(base, made["code"], "Ans")
    await p.subscribe(control)
    cast = {"kind": "vote.cast", "vote": "v1", "board": board}
    assert (await p.op(control, {**cast, "note": "n9"}))["code"] == "unknown_note"
    assert (await p.op(control, {**cast, "note": "n0"}))["result"] == "applied"
    assert (await p.op(control, {**cast, "note": "n0"}))["result"] == "applied"
    assert (await p.op(control, {**cast, "note": "n0"}))["code"] == "over_cap"
    assert (await p.op(control, {**cast, "note": "n1"}))["result"] == "applied"
    assert (await p.op(control, {**cast, "note": "n2"}))["code"] == "over_budget"
    # the same person on a second connection, many dots at once: the budget still holds
    twin = Client(base, p.token, "Ans")
    await twin.connect()
    await p.op(control, {**cast, "note": "n0", "delta": -1})
    sent = [await twin.op(control, {**cast, "note": f"n{2 + i % 2}"}, wait=False)
            for i in range(6)]
    answers = [await twin.wait_for(lambda f, i=s["id"]: f.get("ref", f.get("id")) == i
                                   and f["type"] in ("ack", "error")) for s in sent]
    applied = [a for a in answers if a.get("result") == "applied"]
    assert len(applied) == 1
    ev = await fac.wait_for(lambda f: f["type"] == "event" and f["board"] == control
                            and f["seq"] == applied[0]["seq"])
    # A dot's event carries its vote's record, not the whole control state (R27).
    assert "after" not in ev
    totals = ev["vote"]["totals"]
    assert sum(totals.values()) == 3 and ev["actor"]["participant"] == ""  # anonymous
    assert list(totals.values()) == sorted(totals.values(), reverse=True)  # sorted by dots
    for c in (fac, p, twin):
        await c.close()


async def test_R28_hidden_mode_never_sends_another_participants_text(base: str) -> None:
    made, fac, board, _control = await room(base)
    a = await participant(base, made["code"], "Ans")
    b = await participant(base, made["code"], "Bo")
    await b.subscribe(board)
    await a.subscribe(board)
    await a.op(board, {"kind": "note.add", "note": "open1", "zone": "tips", "text": "zichtbaar"})
    assert (await fac.op(board, {"kind": "board.mode", "mode": "hidden"}))["result"] == "applied"
    secret, edited = "GEHEIM-7731", "NOG-GEHEIMER-5512"
    await a.op(board, {"kind": "note.add", "note": "s1", "zone": "tips", "text": secret})
    await a.op(board, {"kind": "note.edit", "note": "s1", "text": edited})
    await fac.wait_for(lambda f: f["type"] == "event" and f["op"].get("text") == edited)
    late = await participant(base, made["code"], "Cas")  # joins while hidden
    await late.subscribe(board)
    await b.wait_seq(board, fac.boards[board].state.seq)  # type: ignore[union-attr]
    for c in (b, late):
        raw = json.dumps(c.frames)
        assert secret not in raw and edited not in raw
        assert c.notes(board)["s1"]["text"] == ""
    assert any(f.get("redacted") for f in b.frames if f["type"] == "event")
    assert a.notes(board)["s1"]["text"] == edited  # the author reads their own
    assert fac.notes(board)["s1"]["text"] == edited
    # reveal: everyone gets the state with the texts
    await fac.op(board, {"kind": "board.mode", "mode": "open"})
    shown = await b.wait_for(lambda f: f["type"] == "state" and any(
        n["text"] == edited for n in f["state"]["notes"]))
    assert shown["state"]["mode"] == "open"
    for c in (fac, a, b, late):
        await c.close()


async def test_R28_moderation_hide_delete_restore_and_locked_board(base: str) -> None:
    made, fac, board, _control = await room(base)
    a = await participant(base, made["code"], "Ans")
    b = await participant(base, made["code"], "Bo")
    for c in (a, b):
        await c.subscribe(board)
    await a.op(board, {"kind": "note.add", "note": "bad", "zone": "tips", "text": "SCHELDWOORD"})
    assert (await a.op(board, {"kind": "note.hide", "note": "bad"}))["code"] == "forbidden"
    await fac.op(board, {"kind": "note.hide", "note": "bad"})
    st = await b.wait_for(lambda f: f["type"] == "state" and any(
        n["id"] == "bad" and n.get("redacted") for n in f["state"]["notes"]))
    assert "SCHELDWOORD" not in json.dumps(st)
    await fac.op(board, {"kind": "note.delete", "note": "bad"})
    assert (await fac.op(board, {"kind": "note.restore", "note": "bad"}))["result"] == "applied"
    assert fac.notes(board)["bad"]["text"] == "SCHELDWOORD"
    assert (await fac.op(board, {"kind": "note.restore", "note": "bad"}))["code"] == \
        "unknown_note"
    await fac.op(board, {"kind": "board.mode", "mode": "locked"})
    assert (await b.op(board, {"kind": "note.add", "note": "x", "zone": "tips"}))["code"] == \
        "board_locked"
    assert (await fac.op(board, {"kind": "note.add", "note": "y", "zone": "tips"}))["result"] \
        == "applied"
    for c in (fac, a, b):
        await c.close()


async def test_R26_bad_cluster_input_is_typed_and_changes_nothing(base: str) -> None:
    made, fac, board, control = await room(base)
    other = made["session"]["boards"][1]["id"]
    await fac.subscribe(other)
    await fac.op(other, {"kind": "note.add", "note": "elders", "zone": "tips"})
    await fac.op(board, {"kind": "note.add", "note": "hier", "zone": "tips"})
    await fac.op(control, {"kind": "cluster.add", "cluster": "c1", "station": "tips"})
    await fac.op(control, {"kind": "cluster.add", "cluster": "r1", "station": "relevantie"})
    seq_before = {b: fac.boards[b].state.seq for b in (board, other)}  # type: ignore[union-attr]
    cases = [
        (board, {"kind": "note.cluster", "note": "elders", "cluster": "c1"}, "unknown_note"),
        (board, {"kind": "note.cluster", "note": "hier", "cluster": "nope"}, "unknown_cluster"),
        (board, {"kind": "note.cluster", "note": "hier", "cluster": "r1"}, "unknown_cluster"),
        (board, {"kind": "cluster.undo"}, "nothing_to_undo"),
        (control, {"kind": "cluster.merge", "cluster": "c1", "into": "r1"}, "unknown_cluster"),
        (control, {"kind": "cluster.rename", "cluster": "zz", "title": "x"}, "unknown_cluster"),
        (board, {"kind": "board.mode", "mode": "hidden", "x": 1}, "bad_frame"),
    ]
    for target, op, code in cases:
        assert (await fac.op(target, op))["code"] == code, op
    p = await participant(base, made["code"], "Ans")
    for target, op in ((board, {"kind": "note.cluster", "note": "hier", "cluster": "c1"}),
                       (control, {"kind": "cluster.add", "cluster": "c9", "station": "tips"}),
                       (control, {"kind": "vote.open", "vote": "v"}),
                       (board, {"kind": "board.mode", "mode": "open"})):
        assert (await p.op(target, op))["code"] == "forbidden"
    await fac.op(board, {"kind": "note.add", "note": "barrier", "zone": "tips"})
    assert fac.boards[board].state.seq == seq_before[board] + 1  # type: ignore[union-attr]
    assert fac.boards[other].state.seq == seq_before[other]  # type: ignore[union-attr]
    for c in (fac, p):
        await c.close()


async def test_R29_suggested_clusters_over_http(base: str) -> None:
    made, fac, board, control = await room(base)
    texts = ["Meer stageplekken bij bedrijven", "Bedrijven bieden te weinig stageplaatsen",
             "Bestuurders eerder betrekken", "Bestuurlijke betrokkenheid ontbreekt vaak",
             "Koffie"]
    for i, text in enumerate(texts):
        await fac.op(board, {"kind": "note.add", "note": f"n{i}", "zone": "tips", "text": text})
    sid = made["session"]["id"]

    def get(token: str) -> tuple[int, Any]:
        req = urllib.request.Request(f"{base}/api/sessions/{sid}/suggest?station=tips",
                                     headers={"authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, None

    status, body = await asyncio.to_thread(get, made["facilitator_token"])
    assert status == 200
    groups = [sorted(n["note"] for n in c["notes"]) for c in body["clusters"]]
    assert ["n0", "n1"] in groups and ["n2", "n3"] in groups
    assert (await asyncio.to_thread(get, made["viewer_token"]))[0] == 403
    # accepted: clustered notes are not suggested again
    await fac.op(control, {"kind": "cluster.add", "cluster": "c1", "station": "tips",
                           "title": body["clusters"][0]["title"]})
    for n in body["clusters"][0]["notes"]:
        await fac.op(board, {"kind": "note.cluster", "note": n["note"], "cluster": "c1"})
    status, again = await asyncio.to_thread(get, made["facilitator_token"])
    assert len(again["clusters"]) == len(body["clusters"]) - 1
    await fac.close()
