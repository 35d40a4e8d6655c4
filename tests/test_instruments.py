"""The four instruments as working boards: anchors, columns, flags, scores (core and wire)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from wsharness import live_server, new_session, participant

from server.board import Actor, Entry, aggregates, apply, check
from server.boardstate import BoardState
from server.protocol import BOARD_OP
from server.session import new_session as make_session
from server.templates import catalog


def board_of(template: str) -> BoardState:
    info = make_session(catalog(), template).boards[0]
    return BoardState(info.id, tuple(info.zones), spec=info.spec())


def run(state: BoardState, ops: list[dict[str, Any]], who: str = "p1", name: str = "") -> list[str]:
    out = []
    for op in ops:
        parsed = BOARD_OP.validate_python(op)
        err = check(state, parsed)
        if err:
            out.append(err[0])
            continue
        seq = state.seq + 1
        out.append(apply(state, Entry(seq, f"o{seq}", 0.0, Actor(who, name), 1, parsed)).result)
    return out


def test_praatplaat_note_carries_its_domain_or_mechanism_anchor() -> None:
    s = board_of("praatplaat")
    assert run(s, [{"kind": "note.add", "note": "a", "zone": "inhoud"},
                   {"kind": "note.add", "note": "b", "zone": "flexibiliteit"},
                   {"kind": "note.add", "note": "c", "zone": "de-opgave"},
                   {"kind": "note.add", "note": "d", "zone": "bestaat-niet"}]) == [
        "applied", "applied", "applied", "unknown_zone"]
    assert s.notes["b"].zone == "flexibiliteit"


def test_matrix_columns_cells_and_reading_order() -> None:
    s = board_of("matrix")
    assert s.spec.rows[0] == "impact" and len(s.spec.rows) == 7
    assert run(s, [
        {"kind": "column.add", "column": "k1", "title": "Open dag"},
        {"kind": "column.add", "column": "k2", "title": "Gastles"},
        {"kind": "column.add", "column": "k0", "title": "Eerst", "index": 0},
        {"kind": "note.add", "note": "n1", "zone": "impact@k1", "text": "leerlingen"},
        {"kind": "note.add", "note": "n2", "zone": "doelen"},
        {"kind": "note.add", "note": "n3", "zone": "impact@k9"},
        {"kind": "note.add", "note": "n4", "zone": "geen-rij@k1"},
        {"kind": "column.move", "column": "k2", "index": 0},
        {"kind": "column.rename", "column": "k1", "title": "Open dag vmbo"},
        {"kind": "column.rename", "column": "zz", "title": "x"},
        {"kind": "column.add", "column": "k1", "title": "dubbel"},
    ]) == ["applied"] * 5 + ["unknown_zone", "unknown_zone", "applied", "applied",
                             "unknown_anchor", "unknown_anchor"]
    assert [c["id"] for c in s.columns] == ["k2", "k0", "k1"]
    assert s.columns[2]["title"] == "Open dag vmbo"
    assert s.notes["n1"].zone == "impact@k1"
    again = BoardState.from_dict(s.to_dict(), s.spec)
    assert again.to_dict() == s.to_dict()


def test_achtje_levels_partners_flags() -> None:
    s = board_of("achtje")
    assert "management@tussen" in s.zones and "bestuurlijk@partner-a" in s.zones
    assert run(s, [
        {"kind": "note.add", "note": "n1", "zone": "management@tussen", "text": "taal"},
        {"kind": "partner.name", "partner": "partner-a", "name": "Vmbo De Brug"},
        {"kind": "flag.set", "flag": "spraakverwarring", "level": "management", "on": True},
        {"kind": "flag.set", "flag": "bestuurlijke-betrokkenheid", "level": "bestuurlijk",
         "on": True},
        {"kind": "flag.set", "flag": "bestuurlijke-betrokkenheid", "level": "bestuurlijk",
         "on": False},
        {"kind": "flag.set", "flag": "onbekend", "level": "management", "on": True},
        {"kind": "flag.set", "flag": "spraakverwarring", "level": "kelder", "on": True},
        {"kind": "column.add", "column": "k1"},
    ]) == ["applied"] * 5 + ["unknown_anchor", "unknown_anchor", "wrong_layout"]
    assert s.partners["partner-a"] == "Vmbo De Brug"
    assert s.flags == {("spraakverwarring", "management")}
    assert s.public_dict()["flags"] == [{"flag": "spraakverwarring", "level": "management"}]


def test_reflectietool_scores_replace_and_aggregate() -> None:
    s = board_of("reflectietool")
    assert s.spec.scale == (1, 5)
    assert run(s, [{"kind": "score.set", "aspect": "ambitie", "score": 2, "partner": "partner-a"},
                   {"kind": "score.set", "aspect": "ambitie", "score": 4,
                    "partner": "partner-a"}], "p1") == ["applied", "applied"]
    run(s, [{"kind": "score.set", "aspect": "ambitie", "score": 5, "partner": "partner-b",
             "note": "goed"}], "p2")
    run(s, [{"kind": "score.set", "aspect": "ambitie", "score": 3}], "p3")
    agg = aggregates(s)["r1"]["ambitie"]
    # p1's second score replaced the first: 4, 5, 3 -> mean 4, not (2+4+5+3)/4.
    assert agg["all"]["n"] == 3 and agg["all"]["mean"] == 4.0
    assert agg["all"]["dist"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    assert round(agg["all"]["sd"], 3) == 0.816
    assert agg["partner-a"]["mean"] == 4.0 and agg["partner-b"]["mean"] == 5.0
    assert aggregates(s)["r1"]["proces"]["all"] == {
        "n": 0, "mean": None, "sd": None, "dist": {str(v): 0 for v in range(1, 6)}}
    assert run(s, [{"kind": "score.set", "aspect": "ambitie", "score": 6},
                   {"kind": "score.set", "aspect": "ambitie", "score": 0},
                   {"kind": "score.set", "aspect": "geluk", "score": 3},
                   {"kind": "score.set", "aspect": "ambitie", "score": 3, "reflection": "r2"},
                   {"kind": "reflection.add", "reflection": "r2", "title": "Na een half jaar"},
                   {"kind": "score.set", "aspect": "ambitie", "score": 1, "reflection": "r2"},
                   ], "p1") == ["score_out_of_range", "score_out_of_range", "unknown_anchor",
                                "unknown_anchor", "applied", "applied"]
    later = aggregates(s)
    assert later["r2"]["ambitie"]["all"]["mean"] == 1.0
    assert later["r1"]["ambitie"]["all"]["mean"] == 4.0  # the earlier reflection is kept apart


def test_instrument_ops_on_a_corner_board_are_wrong_layout() -> None:
    info = make_session(catalog(), "vier-hoeken").boards[0]
    s = BoardState(info.id, tuple(info.zones), spec=info.spec())
    assert run(s, [{"kind": "score.set", "aspect": "ambitie", "score": 3}]) == ["wrong_layout"]


@pytest.fixture
async def base(tmp_path: Path) -> AsyncIterator[str]:
    from server.config import Settings

    async with live_server(Settings(store_url=f"sqlite:///{tmp_path}/vh.db", secret_key="k",
                                    data_dir=tmp_path)) as b:
        yield b


async def test_anchors_and_scores_over_the_wire(base: str) -> None:
    s = await new_session(base, "reflectietool")
    board = s["session"]["boards"][0]["id"]
    assert s["session"]["boards"][0]["layout"] == "reflectietool"
    a = await participant(base, s["code"], "An")
    b = await participant(base, s["code"], "Bo")
    for c in (a, b):
        await c.subscribe(board)
    assert (await a.op(board, {"kind": "score.set", "aspect": "relaties", "score": 2}))[
        "type"] == "ack"
    assert (await a.op(board, {"kind": "score.set", "aspect": "relaties", "score": 5}))[
        "type"] == "ack"
    err = await a.op(board, {"kind": "score.set", "aspect": "relaties", "score": 9})
    assert err["code"] == "score_out_of_range"
    err = await a.op(board, {"kind": "note.add", "note": "x", "zone": "nergens"})
    assert err["code"] == "unknown_zone"
    await b.op(board, {"kind": "score.set", "aspect": "relaties", "score": 3,
                       "partner": "partner-b"})
    await a.wait_seq(board, 3)
    late = await participant(base, s["code"])
    await late.subscribe(board)
    state = next(f for f in late.frames if f["type"] == "state")["state"]
    agg = state["aggregates"]["r1"]["relaties"]
    assert (agg["all"]["n"], agg["all"]["mean"]) == (2, 4.0)
    assert agg["partner-b"]["mean"] == 3.0
    for c in (a, b, late):
        await c.close()


def test_R17_a_matrix_column_can_be_removed_and_its_notes_stay_on_their_question() -> None:
    from server.board import Actor, Entry, apply, check
    from server.boardstate import BoardState
    from server.protocol import BOARD_OP
    from server.session import new_session
    from server.templates import catalog

    rec = new_session(catalog(), "matrix")
    info = rec.boards[0]
    state = BoardState(info.id, tuple(info.zones), spec=info.spec())
    me = Actor("p1", "An")
    for seq, op in enumerate([{"kind": "column.add", "column": "k1", "title": "Open dag"},
                              {"kind": "note.add", "note": "n1", "zone": "impact@k1"},
                              {"kind": "column.remove", "column": "k1"}], start=1):
        parsed = BOARD_OP.validate_python(op)
        assert check(state, parsed, me) is None
        assert apply(state, Entry(seq, f"o{seq}", 1.0, me, 1, parsed)).result == "applied"
    assert state.columns == [] and state.notes["n1"].zone == "impact"
    gone = BOARD_OP.validate_python({"kind": "column.remove", "column": "k1"})
    assert check(state, gone, me) == ("unknown_anchor", "column 'k1' is not on this board")
