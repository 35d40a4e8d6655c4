"""Het 8-tje: levels × partners, the names a group gives its partners, and the known failure
modes raised as flags per level (R17)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..protocol import BoardOp, FlagSet, PartnerName
from . import Refusal

if TYPE_CHECKING:
    from ..board import Actor, Entry
    from ..boardstate import BoardState


class Achtje:
    name = "achtje"

    def check(self, state: BoardState, op: BoardOp, actor: Actor | None) -> Refusal | None:
        if isinstance(op, FlagSet):
            if op.flag not in state.spec.flags:
                return "unknown_anchor", f"flag {op.flag!r} is not in this template"
            if op.level not in state.spec.levels:
                return "unknown_anchor", f"level {op.level!r} is not in this template"
        return None

    def apply(self, state: BoardState, entry: Entry, op: BoardOp) -> None:
        if isinstance(op, PartnerName):
            state.partners[op.partner] = op.name
        elif isinstance(op, FlagSet):
            if op.on:
                state.flags.add((op.flag, op.level))
            else:
                state.flags.discard((op.flag, op.level))


RULES = Achtje()
