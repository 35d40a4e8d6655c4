"""Facilitating the day over the wire: roles per op, rotation, timer, presence, QR (R19-R23)."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from wsharness import Client, ahttp, live_server, new_session, participant

from server import roles
from server.auth import Signer
from server.config import Settings
from server.protocol import BOARD_OP

SECRET = "test-secret"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def base(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    url = request.getfixturevalue("redis_server").url if request.param == "redis" else "memory://"
    async with live_server(Settings(store_url=url, secret_key=SECRET, data_dir=tmp_path)) as b:
        yield b


def every_kind() -> set[str]:
    """Every op kind the protocol knows, read from the op union itself, but those of the
    design team's workspace only (R51: tested with its own tokens in test_ontwerpslag.py)."""
    from server.protocol import OPS

    union = BOARD_OP.json_schema()["discriminator"]["mapping"]
    return {k for k in union if OPS[k].boards != {"decisions"}}


def sample_ops(rec: dict[str, Any], tag: str) -> list[tuple[str, dict[str, Any]]]:
    """One op of every kind that fits this session, in an order a permitted sender can apply."""
    sid = rec["id"]
    board = rec["boards"][0]
    b, layout = board["id"], board.get("layout", "stations")
    n, k = f"n-{tag}", f"k-{tag}"
    zone = board["zones"][0]
    m = f"m-{tag}"
    ops: list[tuple[str, dict[str, Any]]] = [
        (b, {"kind": "note.add", "note": m, "zone": zone, "text": "blijft"}),
        (b, {"kind": "note.add", "note": n, "zone": zone, "text": "hallo"}),
        (b, {"kind": "note.edit", "note": n, "text": "hallo!"}),
        (b, {"kind": "note.color", "note": n, "color": "pink"}),
        (b, {"kind": "note.move", "note": n, "x": 3, "y": 4}),
        (b, {"kind": "note.pin", "note": n, "part": None}),
        (b, {"kind": "note.hide", "note": n, "hidden": False}),
        (b, {"kind": "note.cluster", "note": n, "cluster": None}),
        (b, {"kind": "cluster.undo"}),
        (b, {"kind": "note.delete", "note": n}),
        (b, {"kind": "note.restore", "note": n}),
        (b, {"kind": "board.mode", "mode": "open"}),
        (b, {"kind": "board.editing", "editing": "own"}),
    ]
    if layout == "matrix":
        ops += [(b, {"kind": "column.add", "column": k, "title": "Open dag"}),
                (b, {"kind": "column.rename", "column": k, "title": "Gastles"}),
                (b, {"kind": "column.move", "column": k, "index": 0}),
                (b, {"kind": "column.add", "column": k + "x", "title": "Weg"}),
                (b, {"kind": "column.remove", "column": k + "x"})]
    if layout == "achtje":
        ops += [(b, {"kind": "partner.name", "partner": "partner-a", "name": "ROC"}),
                (b, {"kind": "flag.set", "flag": board["flags"][0], "level": board["levels"][0],
                     "on": True})]
    if layout == "reflectietool":
        ops += [(b, {"kind": "reflection.add", "reflection": f"r-{tag}"}),
                (b, {"kind": "score.set", "aspect": board["aspects"][0], "score": 4})]
    control = f"{sid}.control"
    groups = rec["groups"]
    corner = board["instrument"]
    ops += [(control, op) for op in (
        {"kind": "group.join", "group": groups[0]},
        {"kind": "groups.set", "groups": groups},
        {"kind": "group.assign", "participant": "someone", "group": groups[0]},
        {"kind": "plan.set", "plan": [{groups[0]: corner}, {groups[0]: corner}]},
        {"kind": "timer.set", "seconds": 600},
        {"kind": "timer.start"},
        {"kind": "timer.add", "seconds": 60},
        {"kind": "timer.pause"},
        {"kind": "timer.chime", "on": False},
        {"kind": "announce", "text": "Koffie"},
        {"kind": "summon", "corner": corner},
        {"kind": "material.set", "corner": corner},  # the server's own: nobody may send it
        {"kind": "round.set", "round": 1},
        {"kind": "round.next"},
        {"kind": "session.close", "closed": False},
        {"kind": "participant.remove", "participant": f"weg-{tag}"},
        {"kind": "cluster.add", "cluster": f"a-{tag}", "station": zone, "title": "Stages"},
        {"kind": "cluster.add", "cluster": f"b-{tag}", "station": zone},
        {"kind": "cluster.rename", "cluster": f"a-{tag}", "title": "Stageplekken"},
        {"kind": "cluster.merge", "cluster": f"a-{tag}", "into": f"b-{tag}"},
        {"kind": "cluster.remove", "cluster": f"b-{tag}"},
        {"kind": "cluster.undo"},
        {"kind": "vote.open", "vote": f"v-{tag}", "budget": 3, "cap": 2},
        {"kind": "vote.cast", "vote": "v-all", "board": b, "note": m},
        {"kind": "vote.close", "vote": f"v-{tag}"},
        {"kind": "vote.dismiss", "vote": f"v-{tag}"},
    )]
    return ops


async def run_case(base: str, token: str | None, ops: list[tuple[str, dict[str, Any]]]
                   ) -> list[dict[str, Any]]:
    c = Client(base, token or "")
    await c.connect(hello=token is not None)
    for board in sorted({b for b, _ in ops}):
        await c.send({"type": "subscribe", "board": board})
    answers = []
    for board, op in ops:
        answers.append(await c.op(board, op))
    await c.close()
    return answers


@pytest.mark.parametrize("template", ["vier-hoeken", "matrix", "achtje", "reflectietool"])
async def test_R19_role_matrix_every_op_every_role_every_bad_token(base: str, template: str
                                                                   ) -> None:
    made = await new_session(base, template)
    other = await new_session(base, template)
    rec = made["session"]
    signer = Signer(SECRET.encode())
    join = await ahttp(f"{base}/api/join/{made['code']}")
    cases: dict[str, tuple[str | None, str]] = {
        "facilitator": (made["facilitator_token"], "allowed"),
        "participant": (join["token"], "allowed"),
        "viewer": (made["viewer_token"], "allowed"),
        "none": (None, "not_joined"),
        "expired": (signer.issue(rec["id"], "facilitator", -10), "not_joined"),
        "forged": (made["facilitator_token"][:-4] + "AAAA", "not_joined"),
        "other-session": (other["facilitator_token"], "unknown_board"),
    }
    # a vote every permitted sender can put a dot in
    opener = Client(base, made["facilitator_token"])
    await opener.connect()
    control = rec["id"] + ".control"
    await opener.subscribe(control)
    assert (await opener.op(control, {"kind": "vote.open", "vote": "v-all", "budget": 20,
                                      "cap": 20}))["result"] == "applied"
    await opener.close()
    kinds_seen: set[str] = set()
    for name, (token, expect) in cases.items():
        ops = sample_ops(rec, name)
        answers = await run_case(base, token, ops)
        for (_, op), answer in zip(ops, answers, strict=True):
            kinds_seen.add(op["kind"])
            if expect == "allowed" and roles.may(name, op["kind"]):  # type: ignore[arg-type]
                assert answer["type"] == "ack" and answer["result"] == "applied", (name, op,
                                                                                    answer)
            elif expect == "allowed":
                assert answer.get("code") == "forbidden", (name, op, answer)
            else:
                assert answer.get("code") == expect, (name, op, answer)
    # Whatever was refused left no trace: replay the boards and count ops by refused senders.
    watcher = Client(base, made["facilitator_token"])
    await watcher.connect()
    applied_by: dict[str, int] = {}
    for board in {b for b, _ in sample_ops(rec, "x")}:
        await watcher.subscribe(board)
    fac_events = [f for f in watcher.frames if f["type"] == "event"]
    assert not fac_events  # the subscribe gave states, not events
    control = watcher.boards[f"{rec['id']}.control"].state
    assert control is not None
    for f in watcher.frames:
        if f["type"] == "state":
            for note in f["state"]["notes"]:
                applied_by[note["author"]] = applied_by.get(note["author"], 0) + 1
    assert set(applied_by) <= {join_pid(join["token"]), join_pid(made["facilitator_token"])}
    await watcher.close()
    # every op kind of the protocol was tried for this layout's board or the control board
    assert {"note.add", "round.next", "group.join", "announce"} <= kinds_seen


def test_R19_the_role_matrix_covers_every_op_kind() -> None:
    from server.session import new_session as make
    from server.templates import catalog

    tried: set[str] = set()
    for template in ("vier-hoeken", "matrix", "achtje", "reflectietool"):
        rec = make(catalog(), template).public()
        tried |= {op["kind"] for _, op in sample_ops(rec, "x")}
    assert tried == every_kind()


def join_pid(token: str) -> str:
    return Signer(SECRET.encode()).verify(token).participant


async def test_R19_a_token_that_expires_during_the_day_is_refused_on_the_next_op(base: str
                                                                                 ) -> None:
    made = await new_session(base)
    rec = made["session"]
    signer = Signer(SECRET.encode())
    key = signer.verify(made["facilitator_token"]).key  # R33: tokens carry the session's key
    short = signer.issue(rec["id"], "participant", 1.5, key=key)
    c = Client(base, short)
    await c.connect()
    assert c.welcome["type"] == "welcome"
    board = rec["boards"][0]["id"]
    await c.subscribe(board)
    ok = await c.op(board, {"kind": "note.add", "note": "n1", "zone": "tips"})
    assert ok["type"] == "ack"
    await asyncio.sleep(1.7)
    late = await c.op(board, {"kind": "note.add", "note": "n2", "zone": "tips"})
    assert late["code"] == "bad_token"
    again = await c.op(board, {"kind": "note.add", "note": "n3", "zone": "tips"})
    assert again["code"] == "not_joined"
    assert set(c.notes(board)) == {"n1"}
    await c.close()


async def test_R21_participant_timer_and_plan_commands_are_refused(base: str) -> None:
    made = await new_session(base)
    control = made["session"]["id"] + ".control"
    p = await participant(base, made["code"], "Ans", "Groep 1")
    await p.subscribe(control)
    for op in ({"kind": "timer.start"}, {"kind": "round.next"},
               {"kind": "plan.set", "plan": []}, {"kind": "announce", "text": "hoi"}):
        answer = await p.op(control, op)
        assert answer["code"] == "forbidden", answer
    fac = Client(base, made["facilitator_token"])
    await fac.connect()
    await fac.subscribe(control)
    bad = await fac.op(control, {"kind": "plan.set", "plan": [{"Groep 1": "keuken"}]})
    assert bad["code"] == "bad_plan" and "keuken" in bad["message"]
    bad = await fac.op(control, {"kind": "plan.set", "plan": [{"Groep 9": "matrix"}]})
    assert bad["code"] == "bad_plan" and "Groep 9" in bad["message"]
    state = fac.boards[control].state
    assert state is not None and state.seq == 0  # nothing changed
    await p.close()
    await fac.close()


def corner_board(rec: dict[str, Any], corner: str) -> str:
    return next(b["id"] for b in rec["boards"] if b["instrument"] == corner)


async def test_R21_R23_a_whole_rotation_with_four_groups(base: str) -> None:
    made = await new_session(base)
    rec = made["session"]
    control = rec["id"] + ".control"
    fac = Client(base, made["facilitator_token"], "Leiding")
    await fac.connect()
    await fac.subscribe(control)
    assert (await fac.op(control, {"kind": "plan.set", "plan": [], "free": ["Online"]})
            )["result"] == "applied"
    groups = ["Groep 1", "Groep 2", "Groep 3", "Groep 4"]
    people = [await participant(base, made["code"], f"Deelnemer {i + 1}") for i in range(4)]
    online = await participant(base, made["code"], "Thuis")
    for p, g in zip(people, groups, strict=True):
        await p.subscribe(control)
        assert (await p.op(control, {"kind": "group.join", "group": g}))["result"] == "applied"
    await online.subscribe(control)
    await online.op(control, {"kind": "group.join", "group": "Online"})
    await fac.op(control, {"kind": "timer.start"})
    here: dict[int, str] = {}
    for rnd in range(1, 5):
        for i, (p, g) in enumerate(zip(people, groups, strict=True)):
            ctl = p.boards[control].state.control  # type: ignore[union-attr]
            assert ctl is not None and ctl.round == rnd
            board = corner_board(rec, ctl.corner_for(g) or "")
            if i in here:
                await p.send({"type": "unsubscribe", "board": here[i]})
            await p.subscribe(board)
            here[i] = board
            answer = await p.op(board, {"kind": "note.add", "note": f"g{i}r{rnd}",
                                        "zone": "relevantie", "text": f"{g} in ronde {rnd}"})
            assert answer["result"] == "applied"
        if rnd == 1:
            # R23: the facilitator sees one participant of each group at each corner
            free = corner_board(rec, "matrix")
            await online.subscribe(free)

            def counted(f: dict[str, Any]) -> bool:
                boards = f.get("boards", {})
                return f["type"] == "presence" and all(
                    boards.get(corner_board(rec, c), {}).get("total") == (2 if c == "matrix"
                                                                         else 1)
                    for c in (b["instrument"] for b in rec["boards"]))

            seen = await fac.wait_for(counted, timeout=10)
            assert seen["boards"][corner_board(rec, "praatplaat")]["groups"] == {"Groep 1": 1}
            assert seen["boards"][free]["groups"] == {"Groep 2": 1, "Online": 1}
            names = {p["name"]: p for p in seen["people"]}
            assert names["Thuis"]["group"] == "Online" and names["Leiding"]["role"] == \
                "facilitator"
        if rnd < 4:
            moved = await fac.op(control, {"kind": "round.next"})
            assert moved["result"] == "applied"
            for p in people:
                await p.wait_seq(control, moved["seq"])
    assert (await fac.op(control, {"kind": "round.next"}))["code"] == "no_such_round"
    # Every corner has one note of each group, each stamped with group, round and station.
    watcher = Client(base, made["viewer_token"])
    await watcher.connect()
    for b in rec["boards"]:
        await watcher.subscribe(b["id"])
        notes = watcher.notes(b["id"])
        assert sorted(n["group"] for n in notes.values()) == groups
        for n in notes.values():
            i = groups.index(n["group"])
            assert n["round"] == int(n["id"].split("r")[1])
            assert n["zone"] == "relevantie"
            # the plan put this group at this corner in that round
            assert (i + n["round"] - 1) % 4 == b["corner"] - 1
    for c in [fac, online, watcher, *people]:
        await c.close()


async def test_R20_control_events_carry_the_state_after_and_resume_works(base: str) -> None:
    made = await new_session(base)
    control = made["session"]["id"] + ".control"
    fac = Client(base, made["facilitator_token"])
    await fac.connect()
    await fac.subscribe(control)
    await fac.op(control, {"kind": "announce", "text": "Welkom <b>allemaal</b>"})
    ev = await fac.wait_for(lambda f: f["type"] == "event" and f["board"] == control)
    assert ev["after"]["announcement"]["text"] == "Welkom <b>allemaal</b>"
    assert "members" not in ev["after"]  # who is in which group goes to facilitators only
    epoch, seq = fac.boards[control].epoch, ev["seq"]
    await fac.op(control, {"kind": "timer.start"})
    viewer = Client(base, made["viewer_token"])
    await viewer.connect()
    assert abs(viewer.welcome["server_time"] - ev["ts"]) < 60
    assert await viewer.subscribe(control, epoch, seq) == "replay"
    last = [f for f in viewer.frames if f["type"] == "event"][-1]
    assert last["after"]["timer"]["running"] is True
    await fac.close()
    await viewer.close()


def fetch(url: str, token: str | None = None) -> tuple[int, str, bytes]:
    req = urllib.request.Request(url)
    if token:
        req.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get("content-type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read()


async def test_qr_codes_and_links_for_the_session_and_each_corner(base: str) -> None:
    made = await new_session(base)
    code, sid = made["code"], made["session"]["id"]
    status, ctype, body = await asyncio.to_thread(fetch, f"{base}/qr/{code}.svg")
    assert status == 200 and ctype.startswith("image/svg+xml") and body.startswith(b"<svg")
    status, ctype, body = await asyncio.to_thread(fetch, f"{base}/qr/{code}/matrix.png")
    assert status == 200 and ctype == "image/png" and body[:8] == b"\x89PNG\r\n\x1a\n"
    # R47, R58: the join screen's second code is the sign-up page's.
    from server import qr
    status, ctype, body = await asyncio.to_thread(fetch, f"{base}/qr/{code}/aanmelden.svg")
    assert status == 200 and body == qr.render(f"{base}/aanmelden/{code}", "svg")
    assert (await asyncio.to_thread(fetch, f"{base}/qr/ZZZZZZ.svg"))[0] == 404
    assert (await asyncio.to_thread(fetch, f"{base}/qr/{code}/keuken.svg"))[0] == 404
    assert (await asyncio.to_thread(fetch, f"{base}/qr/{code}.gif"))[0] == 404
    links_url = f"{base}/api/sessions/{sid}/links"
    status, _, body = await asyncio.to_thread(fetch, links_url, made["facilitator_token"])
    assert status == 200
    import json
    links = json.loads(body)
    assert links["corner_join_urls"]["matrix"].endswith(f"/j/{code}/matrix")
    assert set(links["projector_urls"]) == {"praatplaat", "matrix", "achtje", "reflectietool"}
    assert links["qr"]["corners"]["achtje"] == f"/qr/{code}/achtje.svg"
    assert (await asyncio.to_thread(fetch, links_url, made["viewer_token"]))[0] == 403
    assert (await asyncio.to_thread(fetch, links_url, "v1.x.y"))[0] == 401
    assert (await asyncio.to_thread(fetch, links_url))[0] == 401
    # the corner join link serves the client
    status, ctype, _ = await asyncio.to_thread(fetch, f"{base}/j/{code}/matrix")
    assert status == 200 and ctype.startswith("text/html")
