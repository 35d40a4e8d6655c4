"""The rules core without sockets or an event loop (R7, R10, R12)."""

from __future__ import annotations

import copy
import random

from server.board import Actor, Entry, apply, check
from server.boardstate import BoardState
from server.protocol import BOARD_OP

ZONES = ("relevantie", "toepasbaarheid", "tips")
AN = Actor("p1", "An", "Groep 1")


def entry(seq: int, op: dict[str, object], op_id: str | None = None) -> Entry:
    return Entry(seq, op_id or f"o{seq}", 1000.0 + seq, AN, 2, BOARD_OP.validate_python(op))


def fresh() -> BoardState:
    return BoardState("s.matrix", ZONES)


def test_add_stamps_author_group_round_and_zone() -> None:
    state = fresh()
    out = apply(state, entry(1, {"kind": "note.add", "note": "n1", "zone": "tips", "text": "hoi"}))
    assert out.result == "applied"
    note = state.notes["n1"]
    assert (note.zone, note.text, note.author, note.group, note.round) == (
        "tips", "hoi", "p1", "Groep 1", 2)
    assert state.seq == 1


def test_edit_color_move_delete() -> None:
    state = fresh()
    apply(state, entry(1, {"kind": "note.add", "note": "n1", "zone": "tips"}))
    apply(state, entry(2, {"kind": "note.edit", "note": "n1", "text": "nieuw"}))
    apply(state, entry(3, {"kind": "note.color", "note": "n1", "color": "pink"}))
    apply(state, entry(4, {"kind": "note.move", "note": "n1", "x": 3, "y": 4,
                           "zone": "relevantie"}))
    n = state.notes["n1"]
    assert (n.text, n.color, n.x, n.y, n.zone, n.updated_seq) == (
        "nieuw", "pink", 3, 4, "relevantie", 4)
    apply(state, entry(5, {"kind": "note.delete", "note": "n1"}))
    assert "n1" not in state.notes and "n1" in state.deleted


def test_R10_op_on_deleted_note_is_recorded_noop() -> None:
    state = fresh()
    apply(state, entry(1, {"kind": "note.add", "note": "n1", "zone": "tips"}))
    apply(state, entry(2, {"kind": "note.delete", "note": "n1"}))
    out = apply(state, entry(3, {"kind": "note.edit", "note": "n1", "text": "te laat"}))
    assert (out.result, out.reason) == ("noop", "note_deleted")
    assert state.seq == 3 and state.outcome_of(3) == out
    assert state.outcome_of(2).result == "applied"


def test_R10_apply_is_total_for_unknown_notes_zones_and_repeats() -> None:
    state = fresh()
    assert apply(state, entry(1, {"kind": "note.move", "note": "x", "x": 1, "y": 1})).reason == (
        "unknown_note")
    assert apply(state, entry(2, {"kind": "note.add", "note": "n", "zone": "elders"})).reason == (
        "unknown_zone")
    apply(state, entry(3, {"kind": "note.add", "note": "n", "zone": "tips"}))
    assert apply(state, entry(4, {"kind": "note.add", "note": "n", "zone": "tips"})).reason == (
        "note_exists")
    assert apply(state, entry(5, {"kind": "note.move", "note": "n", "x": 0, "y": 0,
                                  "zone": "nergens"})).reason == "unknown_zone"


def test_R12_check_refuses_ops_that_never_fit() -> None:
    state = fresh()
    op = BOARD_OP.validate_python
    assert check(state, op({"kind": "note.edit", "note": "x", "text": ""}))[0] == "unknown_note"  # type: ignore[index]
    assert check(state, op({"kind": "note.add", "note": "x", "zone": "zz"}))[0] == "unknown_zone"  # type: ignore[index]
    apply(state, entry(1, {"kind": "note.add", "note": "x", "zone": "tips"}))
    assert check(state, op({"kind": "note.add", "note": "x", "zone": "tips"}))[0] == (  # type: ignore[index]
        "duplicate_note")
    apply(state, entry(2, {"kind": "note.delete", "note": "x"}))
    # Raced a delete: allowed through, becomes a no-op (R10).
    assert check(state, op({"kind": "note.edit", "note": "x", "text": "t"})) is None


def random_log(rng: random.Random, n: int) -> list[Entry]:
    ids: list[str] = []
    out = []
    for seq in range(1, n + 1):
        r = rng.random()
        if r < 0.35 or not ids:
            nid = f"n{seq}"
            ids.append(nid)
            op = {"kind": "note.add", "note": nid, "zone": rng.choice(ZONES), "text": f"t{seq}"}
        else:
            nid = rng.choice(ids)
            kind = rng.choice(["note.edit", "note.move", "note.color", "note.delete"])
            op = {"kind": kind, "note": nid}
            if kind == "note.edit":
                op["text"] = f"e{seq}"
            elif kind == "note.move":
                op.update(x=rng.random() * 100, y=rng.random() * 100, zone=rng.choice(ZONES))
            elif kind == "note.color":
                op["color"] = rng.choice(["pink", "blue", "green"])
        out.append(entry(seq, op))
    return out


def test_R7_same_log_same_state_and_snapshot_roundtrip() -> None:
    log = random_log(random.Random(7), 400)
    a, b = fresh(), fresh()
    for e in log:
        apply(a, e)
    for e in log[:200]:
        apply(b, e)
    b = BoardState.from_dict(copy.deepcopy(b.to_dict()))
    for e in log[200:]:
        apply(b, e)
    assert a.to_dict() == b.to_dict()


def test_note_to_dict_is_every_field() -> None:
    """Note.to_dict is written out for speed; it must stay the same as dataclasses.asdict."""
    from dataclasses import asdict

    from server.boardstate import Note

    note = Note("n", "tips", "t", "pink", 1.0, 2.0, "p", "A", "G", 2, 3, 4, 5.0, 6.0, "c", True)
    assert note.to_dict() == asdict(note)
