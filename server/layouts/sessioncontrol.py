"""The session's control board as a layout: its rules are ``control`` (and, inside it,
``clusters`` and ``votes``). ``material.set`` is the server's own record that a corner's
material changed (R50): it names a corner of the session and changes nothing here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import control
from ..protocol import BoardOp, MaterialSet
from . import Refusal

if TYPE_CHECKING:
    from ..board import Actor, Entry
    from ..boardstate import BoardState


class SessionControl:
    name = "control"

    def check(self, state: BoardState, op: BoardOp, actor: Actor | None) -> Refusal | None:
        assert state.control is not None
        if isinstance(op, MaterialSet):
            if op.corner not in state.control.corners:
                return "unknown_corner", f"corner {op.corner!r} is not one of this session's"
            return None
        return control.check(state.control, op, actor.participant if actor else None)

    def apply(self, state: BoardState, entry: Entry, op: BoardOp) -> None:
        assert state.control is not None
        if isinstance(op, MaterialSet):
            return
        control.apply(state.control, op, entry.ts, entry.seq, entry.actor.participant)


RULES = SessionControl()
