"""Board state and its rules: plain synchronous code, no I/O.

``apply(state, entry)`` is deterministic and total. Every process that applies the same log in
the same order reaches the same state; an op that no longer fits (its note was deleted meanwhile)
becomes a recorded no-op, never an exception (R10). ``check`` is the stricter gate run before an
op is stored: it turns ops that never could fit into typed errors (R12).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .protocol import (
    BOARD_OP,
    BoardOp,
    ErrorCode,
    NoteAdd,
    NoteColor,
    NoteDelete,
    NoteEdit,
    NoteMove,
)

Result = Literal["applied", "noop"]
# How many no-op reasons a board remembers, so a retried op id gets its first answer (R5).
NOOP_MEMORY = 2000


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made an op, as stamped by the server (never taken from the op itself)."""

    participant: str
    name: str = ""
    group: str = ""
    role: str = "participant"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Entry:
    """One op of a board's log with everything the server stamped on it."""

    seq: int
    op_id: str
    ts: float
    actor: Actor
    round: int
    op: BoardOp

    def payload(self) -> dict[str, Any]:
        """The stored form, without ``seq`` (the store assigns it)."""
        return {
            "id": self.op_id,
            "ts": self.ts,
            "actor": self.actor.to_dict(),
            "round": self.round,
            "op": self.op.model_dump(mode="json"),
        }

    @classmethod
    def from_payload(cls, seq: int, data: dict[str, Any]) -> Entry:
        actor = data.get("actor") or {}
        return cls(
            seq=seq,
            op_id=str(data["id"]),
            ts=float(data["ts"]),
            actor=Actor(
                participant=str(actor.get("participant", "")),
                name=str(actor.get("name", "")),
                group=str(actor.get("group", "")),
                role=str(actor.get("role", "participant")),
            ),
            round=int(data.get("round", 0)),
            op=BOARD_OP.validate_python(data["op"]),
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    result: Result
    reason: str | None = None


APPLIED = Outcome("applied")


@dataclass(slots=True)
class Note:
    id: str
    zone: str
    text: str
    color: str
    x: float
    y: float
    author: str
    author_name: str
    group: str
    round: int
    created_seq: int
    updated_seq: int
    created_ts: float
    updated_ts: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class BoardState:
    """One board: its notes, the zones notes may live in, and the last applied seq."""

    board_id: str
    zones: tuple[str, ...]
    seq: int = 0
    notes: dict[str, Note] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    noops: OrderedDict[int, str] = field(default_factory=OrderedDict)

    def outcome_of(self, seq: int) -> Outcome:
        """The recorded outcome of an already applied seq."""
        reason = self.noops.get(seq)
        return APPLIED if reason is None else Outcome("noop", reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "board": self.board_id,
            "zones": list(self.zones),
            "seq": self.seq,
            "notes": [n.to_dict() for n in self.notes.values()],
            "deleted": sorted(self.deleted),
            "noops": [[s, r] for s, r in self.noops.items()],
        }

    def public_dict(self) -> dict[str, Any]:
        """What clients get in a ``state`` frame: no bookkeeping."""
        return {
            "board": self.board_id,
            "zones": list(self.zones),
            "seq": self.seq,
            "notes": [n.to_dict() for n in self.notes.values()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BoardState:
        state = cls(board_id=data["board"], zones=tuple(data["zones"]), seq=int(data["seq"]))
        for raw in data["notes"]:
            note = Note(**raw)
            state.notes[note.id] = note
        state.deleted = set(data.get("deleted", ()))
        state.noops = OrderedDict((int(s), str(r)) for s, r in data.get("noops", ()))
        return state


def check(state: BoardState, op: BoardOp) -> tuple[ErrorCode, str] | None:
    """Reject, before it is stored, an op that could never fit this board (R12).

    Ops on a note that existed but was deleted pass: they are stored and become no-ops (R10),
    because a client that raced a delete did nothing wrong.
    """
    if isinstance(op, NoteAdd):
        if op.note in state.notes or op.note in state.deleted:
            return "duplicate_note", f"note {op.note!r} already exists on this board"
        if op.zone not in state.zones:
            return "unknown_zone", f"zone {op.zone!r} is not part of this board"
        return None
    if op.note not in state.notes and op.note not in state.deleted:
        return "unknown_note", f"note {op.note!r} is not on this board"
    if isinstance(op, NoteMove) and op.zone is not None and op.zone not in state.zones:
        return "unknown_zone", f"zone {op.zone!r} is not part of this board"
    return None


def apply(state: BoardState, entry: Entry) -> Outcome:
    """Apply one log entry in place. Total: every input gives an outcome (R10)."""
    outcome = _apply(state, entry)
    state.seq = entry.seq
    if outcome.result == "noop":
        state.noops[entry.seq] = outcome.reason or "noop"
        while len(state.noops) > NOOP_MEMORY:
            state.noops.popitem(last=False)
    return outcome


def _apply(state: BoardState, entry: Entry) -> Outcome:
    op = entry.op
    if isinstance(op, NoteAdd):
        if op.note in state.notes or op.note in state.deleted:
            return Outcome("noop", "note_exists")
        if op.zone not in state.zones:
            return Outcome("noop", "unknown_zone")
        state.notes[op.note] = Note(
            id=op.note,
            zone=op.zone,
            text=op.text,
            color=op.color,
            x=op.x,
            y=op.y,
            author=entry.actor.participant,
            author_name=entry.actor.name,
            group=entry.actor.group,
            round=entry.round,
            created_seq=entry.seq,
            updated_seq=entry.seq,
            created_ts=entry.ts,
            updated_ts=entry.ts,
        )
        return APPLIED
    note = state.notes.get(op.note)
    if note is None:
        return Outcome("noop", "note_deleted" if op.note in state.deleted else "unknown_note")
    if isinstance(op, NoteEdit):
        note.text = op.text
    elif isinstance(op, NoteColor):
        note.color = op.color
    elif isinstance(op, NoteMove):
        if op.zone is not None:
            if op.zone not in state.zones:
                return Outcome("noop", "unknown_zone")
            note.zone = op.zone
        note.x, note.y = op.x, op.y
    elif isinstance(op, NoteDelete):
        del state.notes[op.note]
        state.deleted.add(op.note)
        return APPLIED
    note.updated_seq = entry.seq
    note.updated_ts = entry.ts
    return APPLIED
