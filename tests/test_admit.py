"""Admission without a socket (issue 17): every rule of what an incoming op may do, decided by
the pure ``admit`` over plain states — the rules that used to need a live server."""

from __future__ import annotations

from typing import Any

import pytest

from server import admit, roles
from server.auth import Grant
from server.board import Actor, Entry, apply
from server.boardstate import BoardState
from server.control import Control
from server.protocol import BOARD_OP, OPS
from server.session import new_session
from server.templates import catalog

NOW = 1_800_000_000.0
REC = new_session(catalog(), "vier-hoeken")
BOARD = REC.boards[1]  # the matrix corner


def op(**fields: Any) -> Any:
    return BOARD_OP.validate_python(fields)


def control() -> BoardState:
    info = REC.control()
    return BoardState(info.id, (), spec=info.spec())


def corner() -> BoardState:
    return BoardState(BOARD.id, tuple(BOARD.zones), spec=BOARD.spec())


def grant(role: str = "participant", who: str = "p1", expires: float = NOW + 60) -> Grant:
    return Grant(REC.id, role, who, expires, REC.key)  # type: ignore[arg-type]


def actor(role: str = "participant", who: str = "p1", group: str = "Groep 1") -> Actor:
    return Actor(who, who.upper(), group, role)


def feed(state: BoardState, entry_op: Any, who: Actor) -> None:
    seq = state.seq + 1
    assert apply(state, Entry(seq, f"o{seq}", NOW, who, 1, entry_op)).result == "applied"


def decide(board: BoardState, the_op: Any, role: str = "participant", who: str = "p1",
           ctl: BoardState | None = None, **kw: Any) -> admit.Admitted | admit.Refused:
    ctl = ctl or control()
    return admit.admit(grant(role, who), actor(role, who), the_op, board, ctl.control,
                       now=NOW, **kw)


def code(result: admit.Admitted | admit.Refused) -> str:
    return result.code if isinstance(result, admit.Refused) else "admitted"


@pytest.mark.parametrize("kind", sorted(OPS))
def test_R19_a_viewer_sends_nothing_and_each_role_only_its_declared_ops(kind: str) -> None:
    """The role matrix, read from each op's declaration: a refused role never gets further."""
    for role in ("participant", "facilitator", "viewer"):
        the_op = BOARD_OP.validate_python(_minimal(kind))
        result = decide(corner(), the_op, role)
        if roles.may(role, kind):  # type: ignore[arg-type]
            assert code(result) != "forbidden", (role, kind, result)
        else:
            assert code(result) == "forbidden", (role, kind, result)


def _minimal(kind: str) -> dict[str, Any]:
    """The smallest valid op of a kind (its required fields filled in)."""
    fields: dict[str, Any] = {"kind": kind}
    schema = OPS[kind].model_json_schema()
    for name in schema.get("required", []):
        if name == "kind":
            continue
        prop = schema["properties"][name]
        options = prop.get("anyOf", [prop])
        kinds = {p.get("type") for p in options}
        enums = [e for p in options for e in p.get("enum", [])]
        if enums:
            fields[name] = enums[0]
        elif "array" in kinds:
            fields[name] = ["Groep 1"] if name == "groups" else []
        elif "integer" in kinds or "number" in kinds:
            fields[name] = 1
        elif "boolean" in kinds:
            fields[name] = True
        elif name == "target":
            fields[name] = "s/n1"
        else:
            fields[name] = "x1"
    return fields


def test_R19_an_expired_token_is_refused_on_the_op() -> None:
    result = admit.admit(grant(expires=NOW - 1), actor(), op(kind="note.add", note="n",
                                                             zone="tips"),
                         corner(), control().control, now=NOW)
    assert code(result) == "bad_token"


def test_R33_someone_taken_out_is_refused_first() -> None:
    ctl = control()
    feed(ctl, op(kind="participant.remove", participant="p1"), actor("facilitator", "f1"))
    assert code(decide(corner(), op(kind="note.add", note="n", zone="tips"), ctl=ctl)) == \
        "removed"
    assert code(decide(corner(), op(kind="note.add", note="n", zone="tips"), who="p2",
                       ctl=ctl)) == "admitted"


def test_R24_a_closed_session_takes_no_notes_but_its_control_board_can_reopen() -> None:
    ctl = control()
    feed(ctl, op(kind="session.close", closed=True), actor("facilitator", "f1"))
    assert code(decide(corner(), op(kind="note.add", note="n", zone="tips"), ctl=ctl)) == \
        "session_closed"
    assert code(decide(ctl, op(kind="session.close", closed=False), "facilitator", "f1",
                       ctl=ctl)) == "admitted"


def test_R21_the_stamp_is_the_group_on_the_control_board_and_its_round() -> None:
    ctl = control()
    feed(ctl, op(kind="group.assign", participant="p1", group="Groep 3"),
         actor("facilitator", "f1"))
    feed(ctl, op(kind="round.next"), actor("facilitator", "f1"))
    result = decide(corner(), op(kind="note.add", note="n", zone="tips"), ctl=ctl)
    assert isinstance(result, admit.Admitted)
    assert (result.actor.group, result.round) == ("Groep 3", 2)


def test_R32_ownership_shared_editing_and_withheld_texts() -> None:
    board = corner()
    feed(board, op(kind="note.add", note="a1", zone="tips", text="van An"), actor(who="p1"))
    edit = op(kind="note.edit", note="a1", text="van Bo")
    assert code(decide(board, edit, who="p2")) == "not_yours"
    assert code(decide(board, edit, who="p1")) == "admitted"
    assert code(decide(board, edit, "facilitator", "f1")) == "admitted"
    feed(board, op(kind="board.editing", editing="shared"), actor("facilitator", "f1"))
    assert code(decide(board, edit, who="p2")) == "admitted"
    feed(board, op(kind="note.hide", note="a1"), actor("facilitator", "f1"))
    assert code(decide(board, edit, who="p2")) == "note_hidden"


def test_R46_quotas_per_board_and_per_participant() -> None:
    board = corner()
    for i in range(3):
        feed(board, op(kind="note.add", note=f"n{i}", zone="tips"), actor())
    small = admit.Quotas(notes_per_board=10, notes_per_participant=3)
    add = op(kind="note.add", note="n9", zone="tips")
    assert code(decide(board, add, quotas=small)) == "quota_exceeded"
    assert code(decide(board, add, who="p2", quotas=small)) == "admitted"
    assert code(decide(board, add, "facilitator", "f1", quotas=small)) == "admitted"
    full = admit.Quotas(notes_per_board=4, notes_per_participant=99)
    assert code(decide(board, add, who="p2", quotas=full, pending_adds={"x"})) == \
        "quota_exceeded"


def test_R12_notes_queued_but_not_stored_count() -> None:
    board = corner()
    add = op(kind="note.add", note="n1", zone="tips")
    assert code(decide(board, add, pending_adds={"n1"})) == "duplicate_note"
    edit = op(kind="note.edit", note="n1", text="x")
    assert code(decide(board, edit)) == "unknown_note"
    assert code(decide(board, edit, pending_adds={"n1"})) == "admitted"


def test_R26_R27_checks_that_need_a_second_board() -> None:
    ctl, board = control(), corner()
    fac = actor("facilitator", "f1")
    feed(ctl, op(kind="cluster.add", cluster="c1", station="relevantie"), fac)
    feed(board, op(kind="note.add", note="t1", zone="tips"), actor())
    cluster = op(kind="note.cluster", note="t1", cluster="c1")
    assert code(decide(board, cluster, "facilitator", "f1", ctl=ctl)) == "unknown_cluster"
    feed(ctl, op(kind="vote.open", vote="v", station="relevantie"), fac)
    dot = op(kind="vote.cast", vote="v", board=board.board_id, note="t1")
    assert code(decide(ctl, dot, ctl=ctl, target=board)) == "unknown_note"  # other station
    assert code(decide(ctl, dot, ctl=ctl, target=None)) == "unknown_note"  # not a board
    feed(ctl, op(kind="vote.open", vote="w"), fac)
    feed(board, op(kind="note.hide", note="t1"), fac)
    hidden = op(kind="vote.cast", vote="w", board=board.board_id, note="t1")
    assert code(decide(ctl, hidden, who="p2", ctl=ctl, target=board)) == "note_hidden"
    assert code(decide(ctl, hidden, who="p1", ctl=ctl, target=board)) == "admitted"


def test_R49_a_part_must_be_one_of_the_corners_instrument() -> None:
    board = corner()
    assert code(decide(board, op(kind="note.add", note="n", zone="tips", part="impact"))) == \
        "admitted"
    assert code(decide(board, op(kind="note.add", note="n", zone="tips",
                                 part="domeinen"))) == "unknown_part"


def test_R17_an_op_for_another_kind_of_board_is_wrong_layout() -> None:
    assert code(decide(corner(), op(kind="column.add", column="k"))) == "wrong_layout"
    assert code(decide(corner(), op(kind="announce", text="x"), "facilitator")) == \
        "wrong_layout"
    assert Control  # the control board's own rules are tested in test_rotation.py
