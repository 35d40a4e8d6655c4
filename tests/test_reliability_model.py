"""A stateful model test over the wire (issue 10): add, edit, move, delete, cluster, vote,
shared editing, reconnect and duplicate op ids against a reference model; every client must
match it. Whose note is whose (R32) is part of the model: client 0 is the facilitator."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from wsharness import Client, live_server, new_session, participant

from server.config import Settings

pytestmark = [pytest.mark.reliability, pytest.mark.slow]
SOAK = os.environ.get("VH_SOAK") == "1"
STATIONS = ["relevantie", "toepasbaarheid", "tips"]
# What a phone sends: no control characters (R37).
TEXTS = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)
RESULTS = {"steps": 0, "checks": 0, "divergences": 0, "duplicates": 0, "reconnects": 0}


class WireModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp = Path(os.environ.get("TMPDIR", "/tmp"))
        self.server = live_server(Settings(store_url="memory://", secret_key="m",
                                           data_dir=self.tmp))
        self.base = self.run(self.server.__aenter__())
        made = self.run(new_session(self.base))
        self.board = made["session"]["boards"][0]["id"]
        self.control = made["session"]["id"] + ".control"
        fac = Client(self.base, made["facilitator_token"], "F")
        self.run(fac.connect())
        self.clients = [fac] + [self.run(participant(self.base, made["code"], f"P{i}"))
                                for i in range(2)]
        for c in self.clients:
            self.run(c.subscribe(self.board))
            self.run(c.subscribe(self.control))
        self.run(fac.op(self.control, {"kind": "cluster.add", "cluster": "c1",
                                       "station": "tips", "title": "C"}))
        self.run(fac.op(self.control, {"kind": "vote.open", "vote": "v", "budget": 3,
                                       "cap": 2}))
        self.notes: dict[str, dict[str, Any]] = {}
        self.deleted: set[str] = set()
        self.sent: list[tuple[int, str, str, dict[str, Any], dict[str, Any]]] = []
        self.dots: dict[str, int] = {}
        self.authors: dict[str, int] = {}
        self.shared = False
        self.n = 0

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(coro, 30))

    def teardown(self) -> None:
        for c in self.clients:
            self.run(c.close())
        self.run(self.server.__aexit__(None, None, None))
        self.loop.close()

    def send(self, who: int, board: str, op: dict[str, Any]) -> dict[str, Any]:
        RESULTS["steps"] += 1
        answer: dict[str, Any] = self.run(self.clients[who].op(board, op))
        if answer["type"] == "ack":
            self.sent.append((who, board, answer["id"], op, answer))
        return answer

    def may_change(self, who: int, note: str) -> bool:
        """R32: the facilitator (client 0) and the author; anyone on a shared board."""
        return who == 0 or self.authors[note] == who or self.shared

    def changed(self, who: int, note: str, answer: dict[str, Any]) -> bool:
        allowed = self.may_change(who, note)
        assert (answer["type"] == "ack") == allowed, (who, note, answer)
        if not allowed:
            assert answer["code"] == "not_yours", answer
        return allowed

    @rule(who=st.integers(0, 2), zone=st.sampled_from(STATIONS), text=TEXTS)
    def add(self, who: int, zone: str, text: str) -> None:
        self.n += 1
        note = f"n{self.n}"
        if self.send(who, self.board, {"kind": "note.add", "note": note, "zone": zone,
                                       "text": text})["result"] == "applied":
            self.notes[note] = {"text": text, "zone": zone, "cluster": None}
            self.authors[note] = who

    @precondition(lambda self: self.notes)
    @rule(who=st.integers(0, 2), data=st.data(), text=TEXTS)
    def edit(self, who: int, data: st.DataObject, text: str) -> None:
        note = data.draw(st.sampled_from(sorted(self.notes)))
        answer = self.send(who, self.board, {"kind": "note.edit", "note": note, "text": text})
        if self.changed(who, note, answer):
            self.notes[note]["text"] = text

    @precondition(lambda self: self.notes)
    @rule(who=st.integers(0, 2), data=st.data(), zone=st.sampled_from(STATIONS))
    def move(self, who: int, data: st.DataObject, zone: str) -> None:
        note = data.draw(st.sampled_from(sorted(self.notes)))
        answer = self.send(who, self.board, {"kind": "note.move", "note": note, "x": 1, "y": 2,
                                             "zone": zone})
        if self.changed(who, note, answer):
            if zone != self.notes[note]["zone"]:
                self.notes[note]["cluster"] = None  # a cluster is of one station (R26)
            self.notes[note]["zone"] = zone

    @precondition(lambda self: self.notes)
    @rule(who=st.integers(0, 2), data=st.data())
    def delete(self, who: int, data: st.DataObject) -> None:
        note = data.draw(st.sampled_from(sorted(self.notes)))
        answer = self.send(who, self.board, {"kind": "note.delete", "note": note})
        if self.changed(who, note, answer):
            del self.notes[note]
            self.deleted.add(note)

    @rule(shared=st.booleans())
    def editing(self, shared: bool) -> None:
        """The facilitator opens the board to shared editing, or closes it again (R32)."""
        answer = self.send(0, self.board, {"kind": "board.editing",
                                           "editing": "shared" if shared else "own"})
        assert answer["type"] == "ack", answer
        self.shared = shared

    @precondition(lambda self: self.notes)
    @rule(data=st.data(), out=st.booleans())
    def cluster(self, data: st.DataObject, out: bool) -> None:
        note = data.draw(st.sampled_from(sorted(self.notes)))
        target = None if out else "c1"
        answer = self.send(0, self.board, {"kind": "note.cluster", "note": note,
                                           "cluster": target})
        if answer["type"] == "ack":
            self.notes[note]["cluster"] = target
        else:  # a note outside the cluster's station is refused (R26)
            assert answer["code"] == "unknown_cluster" and self.notes[note]["zone"] != "tips"

    @precondition(lambda self: self.notes)
    @rule(who=st.integers(1, 2), data=st.data())
    def vote(self, who: int, data: st.DataObject) -> None:
        note = data.draw(st.sampled_from(sorted(self.notes)))
        answer = self.send(who, self.control, {"kind": "vote.cast", "vote": "v",
                                               "board": self.board, "note": note})
        key = f"{who}/{note}"
        mine = sum(v for k, v in self.dots.items() if k.startswith(f"{who}/"))
        expect_ok = mine < 3 and self.dots.get(key, 0) < 2
        assert (answer["type"] == "ack") == expect_ok, answer
        if expect_ok:
            self.dots[key] = self.dots.get(key, 0) + 1

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def duplicate(self, data: st.DataObject) -> None:
        """A retry of an op that was stored gets the first answer and changes nothing."""
        who, board, op_id, op, first = data.draw(st.sampled_from(self.sent))
        RESULTS["duplicates"] += 1
        again = self.run(self.clients[who].op(board, op, op_id=op_id))
        assert (again.get("seq"), again.get("result")) == (first["seq"], first["result"]), again

    @rule(who=st.integers(0, 2))
    def reconnect(self, who: int) -> None:
        """Drop without a goodbye and resume from the last seen seq (R8)."""
        old = self.clients[who]
        self.run(old.drop())
        fresh = Client(self.base, old.token, old.name)
        fresh.boards = old.boards
        self.run(fresh.connect())
        for board in (self.board, self.control):
            mirror = fresh.boards[board]
            assert mirror.state is not None
            self.run(fresh.subscribe(board, mirror.epoch, mirror.state.seq))
        self.clients[who] = fresh
        RESULTS["reconnects"] += 1

    @invariant()
    def every_client_matches_the_model(self) -> None:
        head = max((c.boards[self.board].state.seq for c in self.clients  # type: ignore[union-attr]
                    ), default=0)
        for c in self.clients:
            self.run(c.wait_seq(self.board, head))
            got = {k: {"text": v["text"], "zone": v["zone"], "cluster": v["cluster"]}
                   for k, v in c.notes(self.board).items()}
            RESULTS["checks"] += 1
            if got != self.notes:
                RESULTS["divergences"] += 1
            assert got == self.notes


def test_wire_model_every_client_matches_the_model(figure: Any) -> None:
    """The state machine and its figures in one test, so it depends on no other."""
    for key in RESULTS:
        RESULTS[key] = 0
    run_state_machine_as_test(WireModel, settings=settings(
        max_examples=40 if SOAK else 8, stateful_step_count=25, deadline=None,
        suppress_health_check=list(HealthCheck)))
    figure("model steps over the wire (ops, duplicates, reconnects)",
           f"{RESULTS['steps']}, {RESULTS['duplicates']}, {RESULTS['reconnects']}")
    figure("client states compared with the model", RESULTS["checks"])
    figure("divergences", RESULTS["divergences"], target="0", ok=RESULTS["divergences"] == 0)
    assert RESULTS["checks"] > 0 and RESULTS["divergences"] == 0
