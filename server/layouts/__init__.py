"""The rules of each kind of board, one rules object per layout (like the browser's
``LAYOUTS``): what an instrument's ops may do on a board of that layout, and how they change
it. ``board`` holds what every board has (notes, moderation) and asks the layout for the rest.

A layout is found by the board's kind: ``control`` and ``decisions`` for the session's control
board and the design team's workspace, else the board's template layout. Corner boards
(``stations``) and the praatplaat have no instrument ops of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ..protocol import BoardOp, ErrorCode

if TYPE_CHECKING:
    from ..board import Actor, Entry
    from ..boardstate import BoardState

Refusal = tuple[ErrorCode, str]


class Layout(Protocol):
    name: str

    def check(self, state: BoardState, op: BoardOp, actor: Actor | None) -> Refusal | None:
        """Refuse, before storage, an op of this layout that could never fit (R12, R17)."""

    def apply(self, state: BoardState, entry: Entry, op: BoardOp) -> None:
        """Apply an op that passed ``check`` against this very state."""


def of(state: BoardState) -> Layout | None:
    from . import achtje, matrix, ontwerp, reflectietool, sessioncontrol

    kind = "control" if state.control is not None else state.spec.layout
    found: dict[str, Layout] = {
        "matrix": matrix.RULES, "achtje": achtje.RULES, "reflectietool": reflectietool.RULES,
        "control": sessioncontrol.RULES, "decisions": ontwerp.RULES,
    }
    return found.get(kind)
