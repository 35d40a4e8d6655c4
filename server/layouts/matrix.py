"""The matrix: seven questions as rows, the activities a region adds as columns; a note is on
a question or in a cell ``<row>@<column>`` (R17)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..protocol import BoardOp, ColumnAdd, ColumnMove, ColumnRemove, ColumnRename
from . import Refusal

if TYPE_CHECKING:
    from ..board import Actor, Entry
    from ..boardstate import BoardState

MAX_COLUMNS = 50


def _has(state: BoardState, column: str) -> bool:
    return any(c["id"] == column for c in state.columns)


class Matrix:
    name = "matrix"

    def check(self, state: BoardState, op: BoardOp, actor: Actor | None) -> Refusal | None:
        if isinstance(op, ColumnAdd):
            if _has(state, op.column):
                return "unknown_anchor", f"column {op.column!r} already exists"
            if len(state.columns) >= MAX_COLUMNS:
                return "unknown_anchor", f"a matrix has at most {MAX_COLUMNS} columns"
        elif isinstance(op, ColumnRename | ColumnMove | ColumnRemove) and not _has(state,
                                                                                  op.column):
            return "unknown_anchor", f"column {op.column!r} is not on this board"
        return None

    def apply(self, state: BoardState, entry: Entry, op: BoardOp) -> None:
        if isinstance(op, ColumnAdd):
            index = len(state.columns) if op.index is None else min(op.index, len(state.columns))
            state.columns.insert(index, {"id": op.column, "title": op.title})
        elif isinstance(op, ColumnRename):
            next(c for c in state.columns if c["id"] == op.column)["title"] = op.title
        elif isinstance(op, ColumnMove):
            col = next(c for c in state.columns if c["id"] == op.column)
            state.columns.remove(col)
            state.columns.insert(min(op.index, len(state.columns)), col)
        elif isinstance(op, ColumnRemove):
            state.columns = [c for c in state.columns if c["id"] != op.column]
            for note in [*state.notes.values(), *state.trash.values()]:
                row, _, cell = note.zone.partition("@")
                if cell == op.column:  # nothing is lost: the note stays on its question
                    note.zone = row
                    note.updated_seq, note.updated_ts = entry.seq, entry.ts


RULES = Matrix()
