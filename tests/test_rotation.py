"""Groups, rotation plan and round timer in the core, without sockets (R19-R22)."""

from __future__ import annotations

from typing import Any

import pytest

from server import roles
from server.board import Actor, Entry, apply, check
from server.boardstate import BoardState
from server.control import Control, round_robin
from server.protocol import BOARD_OP, CONTROL_KINDS
from server.session import new_session
from server.templates import catalog

CORNERS = ("praatplaat", "matrix", "achtje", "reflectietool")
GROUPS = ("Groep 1", "Groep 2", "Groep 3", "Groep 4", "Online")


def control_board() -> BoardState:
    rec = new_session(catalog(), "vier-hoeken")
    info = rec.control()
    return BoardState(info.id, tuple(info.zones), spec=info.spec())


class Log:
    """Feeds ops through check + apply, as the hub does, with server timestamps."""

    def __init__(self, state: BoardState) -> None:
        self.state = state

    def __call__(self, op: dict[str, Any], ts: float = 0.0, who: str = "fac") -> str:
        parsed = BOARD_OP.validate_python(op)
        error = check(self.state, parsed)
        if error:
            return error[0]
        seq = self.state.seq + 1
        return apply(self.state, Entry(seq, f"o{seq}", ts, Actor(who), 1, parsed)).result

    @property
    def ctl(self) -> Control:
        assert self.state.control is not None
        return self.state.control


def test_R21_default_plan_is_round_robin_over_the_four_corners() -> None:
    plan = round_robin(list(GROUPS), CORNERS)
    assert len(plan) == 4
    assert [r["Groep 1"] for r in plan] == list(CORNERS)
    assert [r["Groep 2"] for r in plan] == ["matrix", "achtje", "reflectietool", "praatplaat"]
    # every round, the four groups are at four different corners
    for r in plan:
        assert sorted(r[g] for g in GROUPS[:4]) == sorted(CORNERS)
    # "Online" rotates like the others (with Groep 1), unless it visits freely
    assert plan[0]["Online"] == "praatplaat"
    assert "Online" not in round_robin(list(GROUPS), CORNERS, {"Online"})[0]


def test_R20_session_control_board_starts_from_the_template() -> None:
    log = Log(control_board())
    ctl = log.ctl
    assert ctl.corners == CORNERS and ctl.groups == list(GROUPS)
    assert ctl.round == 1 and ctl.round_s == 15 * 60 and not ctl.running
    assert ctl.corner_for("Groep 3") == "achtje"
    assert ctl.corner_for("Groep 3", 2) == "reflectietool"


def test_R22_timer_is_data_stamped_with_server_time() -> None:
    log = Log(control_board())
    assert log({"kind": "timer.start"}, ts=1000.0) == "applied"
    assert log.ctl.running and log.ctl.ends_at == 1000.0 + 900
    assert log.ctl.remaining_at(1100.0) == 800.0
    assert log({"kind": "timer.add", "seconds": 60}, ts=1100.0) == "applied"
    assert log.ctl.remaining_at(1100.0) == 860.0
    assert log({"kind": "timer.pause"}, ts=1200.0) == "applied"
    assert not log.ctl.running and log.ctl.remaining == 760.0
    assert log.ctl.remaining_at(5000.0) == 760.0  # a paused clock does not run
    assert log({"kind": "timer.add", "seconds": -1000}, ts=1300.0) == "applied"
    assert log.ctl.remaining == 0.0  # never below zero
    assert log({"kind": "timer.set", "seconds": 600}, ts=1400.0) == "applied"
    assert log.ctl.round_s == 600 and log.ctl.remaining == 600.0 and not log.ctl.running
    assert log({"kind": "timer.start"}, ts=2000.0) == "applied"
    assert log({"kind": "timer.start"}, ts=2100.0) == "applied"  # already running: unchanged
    assert log.ctl.ends_at == 2600.0
    assert log({"kind": "timer.chime", "on": False}) == "applied" and not log.ctl.chime


def test_R22_same_log_same_timer_in_every_process() -> None:
    ops = [({"kind": "timer.start"}, 10.0), ({"kind": "timer.add", "seconds": 30}, 20.0),
           ({"kind": "timer.pause"}, 50.0), ({"kind": "round.next"}, 70.0)]
    a, b = Log(control_board()), Log(control_board())
    for op, ts in ops:
        a(op, ts)
        b(op, ts)
    assert a.ctl.to_dict() == b.ctl.to_dict()
    again = BoardState.from_dict(a.state.to_dict(), a.state.spec)
    assert again.control is not None and again.control.to_dict() == a.ctl.to_dict()


def test_R21_next_round_moves_groups_resets_and_starts_the_clock() -> None:
    log = Log(control_board())
    log({"kind": "summon", "corner": "matrix"}, ts=5.0)
    assert log.ctl.summon == {"corner": "matrix", "ts": 5.0, "seq": 1}
    assert log({"kind": "round.next"}, ts=100.0) == "applied"
    assert log.ctl.round == 2 and log.ctl.running and log.ctl.ends_at == 1000.0
    assert log.ctl.summon is None  # a new round ends a summons
    assert log.ctl.corner_for("Groep 1") == "matrix"
    assert log.ctl.rounds == [{"from": 1, "to": 2, "ts": 100.0, "seq": 2}]
    assert log({"kind": "round.next", "start": False}, ts=200.0) == "applied"
    assert not log.ctl.running and log.ctl.remaining == 900.0
    assert log({"kind": "round.set", "round": 4}) == "applied"
    assert log({"kind": "round.next"}) == "no_such_round"
    assert log({"kind": "round.set", "round": 5}) == "no_such_round"
    assert log.ctl.round == 4


def test_R21_plan_naming_unknown_groups_or_corners_is_refused_with_the_reason() -> None:
    log = Log(control_board())
    before = log.ctl.to_dict()
    bad_group = {"kind": "plan.set", "plan": [{"Groep 9": "matrix"}]}
    bad_corner = {"kind": "plan.set", "plan": [{"Groep 1": "keuken"}]}
    bad_free = {"kind": "plan.set", "plan": [], "free": ["Thuis"]}
    for op in (bad_group, bad_corner, bad_free):
        parsed = BOARD_OP.validate_python(op)
        error = check(log.state, parsed)
        assert error is not None and error[0] == "bad_plan"
    assert "Groep 9" in str(check(log.state, BOARD_OP.validate_python(bad_group)))
    assert "keuken" in str(check(log.state, BOARD_OP.validate_python(bad_corner)))
    assert log.ctl.to_dict() == before
    # A valid hand-made plan, then back to round-robin with Online free
    plan = [{"Groep 1": "matrix", "Groep 2": "matrix"}, {"Groep 1": "achtje"}]
    assert log({"kind": "plan.set", "plan": plan}) == "applied"
    assert log.ctl.corner_for("Groep 2") == "matrix" and log.ctl.corner_for("Groep 3") is None
    assert log({"kind": "plan.set", "plan": [], "free": ["Online"]}) == "applied"
    assert log.ctl.corner_for("Online") is None and len(log.ctl.plan) == 4
    log({"kind": "round.set", "round": 3})
    assert log({"kind": "plan.set", "plan": plan}) == "bad_plan"  # would drop the current round


def test_R21_groups_change_keeps_the_plan_of_the_groups_that_stay() -> None:
    log = Log(control_board())
    log({"kind": "group.join", "group": "Groep 2"}, who="p1")
    log({"kind": "group.join", "group": "Groep 4"}, who="p2")
    assert log({"kind": "group.join", "group": "Groep 7"}, who="p3") == "unknown_group"
    assert log.ctl.group_of("p1") == "Groep 2"
    assert log({"kind": "group.assign", "participant": "p1", "group": "Online"}) == "applied"
    assert log.ctl.group_of("p1") == "Online"
    before = [r["Groep 2"] for r in log.ctl.plan]
    assert log({"kind": "groups.set", "groups": ["Groep 1", "Groep 2", "Groep 3", "Groep 5"]}) \
        == "applied"
    assert [r["Groep 2"] for r in log.ctl.plan] == before
    assert all("Groep 4" not in r for r in log.ctl.plan)
    assert [r["Groep 5"] for r in log.ctl.plan] == ["reflectietool", "praatplaat", "matrix",
                                                     "achtje"]
    assert log.ctl.group_of("p2") is None and log.ctl.group_of("p1") is None
    assert log({"kind": "groups.set", "groups": ["A", "A"]}) == "bad_frame"


def test_R20_announcement_and_summons() -> None:
    log = Log(control_board())
    assert log({"kind": "announce", "text": "  Koffie om 11 uur  "}, ts=3.0) == "applied"
    assert log.ctl.announcement == {"text": "Koffie om 11 uur", "ts": 3.0, "seq": 1}
    assert log({"kind": "announce", "text": ""}) == "applied" and log.ctl.announcement is None
    assert log({"kind": "summon", "corner": "keuken"}) == "unknown_corner"
    assert log({"kind": "summon", "corner": None}) == "applied" and log.ctl.summon is None


def test_R20_control_ops_belong_on_the_control_board_only() -> None:
    rec = new_session(catalog(), "vier-hoeken")
    corner = rec.boards[0]
    state = BoardState(corner.id, tuple(corner.zones), spec=corner.spec())
    err = check(state, BOARD_OP.validate_python({"kind": "round.next"}))
    assert err is not None and err[0] == "wrong_layout"
    log = Log(control_board())
    assert log({"kind": "note.add", "note": "n1", "zone": "relevantie"}) == "unknown_zone"


@pytest.mark.parametrize("kind", sorted(CONTROL_KINDS))
def test_R19_every_control_op_is_placed_in_the_role_table(kind: str) -> None:
    if kind == "material.set":  # the server's own record (R50): nobody may send it
        assert not any(roles.may(role, kind) for role in ("facilitator", "participant", "viewer"))
        return
    assert roles.may("facilitator", kind)
    assert roles.may("participant", kind) == (kind in ("group.join", "vote.cast"))
    assert not roles.may("viewer", kind)
