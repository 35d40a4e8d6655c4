"""A board of the tweede ontwerpslag as a layout: its rules are ``decisions`` (R51)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import decisions
from ..protocol import BoardOp, DecisionSet, DecisionUndo
from . import Refusal

if TYPE_CHECKING:
    from ..board import Actor, Entry
    from ..boardstate import BoardState


class Ontwerp:
    name = "decisions"

    def check(self, state: BoardState, op: BoardOp, actor: Actor | None) -> Refusal | None:
        if state.decisions is None or not isinstance(op, DecisionSet | DecisionUndo):
            return None
        return decisions.check(state.decisions, op, actor.participant if actor else None)

    def apply(self, state: BoardState, entry: Entry, op: BoardOp) -> None:
        if state.decisions is not None and isinstance(op, DecisionSet | DecisionUndo):
            decisions.apply(state.decisions, op, entry.actor.participant, entry.actor.name,
                            entry.ts, entry.seq)


RULES = Ontwerp()
