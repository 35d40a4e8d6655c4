"""The rules of a board: plain synchronous code, no I/O (what a board holds is ``boardstate``).

``apply(state, entry)`` is deterministic and total. Every process that applies the same log in
the same order reaches the same state; an op that no longer fits (its note was deleted meanwhile)
becomes a recorded no-op, never an exception (R10). ``check`` is the stricter gate run before an
op is stored: it turns ops that never could fit into typed errors (R12).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from . import layouts
from .boardstate import APPLIED, UNDO_DEPTH, BoardState, Note, Outcome, withheld
from .layouts import reflectietool
from .protocol import (
    BOARD_OP,
    CONTROL_KINDS,
    BoardEditing,
    BoardModeSet,
    BoardOp,
    ClusterUndo,
    ErrorCode,
    NoteAdd,
    NoteCluster,
    NoteColor,
    NoteDelete,
    NoteEdit,
    NoteHide,
    NoteMove,
    NotePin,
    NoteRestore,
)

log = logging.getLogger("vierhoeken.board")

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




def check(state: BoardState, op: BoardOp, actor: Actor | None = None
          ) -> tuple[ErrorCode, str] | None:
    """Reject, before it is stored, an op that could never fit this board (R12).

    Ops on a note that existed but was deleted pass: they are stored and become no-ops (R10),
    because a client that raced a delete did nothing wrong. With the sender's ``actor`` the
    board's mode and the sender's undo history are checked too.
    """
    if actor is not None and _locked_for(state, actor):
        return "board_locked", "this board is locked: only a facilitator may change it"
    if isinstance(op, NoteAdd):
        if op.note in state.notes or op.note in state.deleted:
            return "duplicate_note", f"note {op.note!r} already exists on this board"
        if not state.zone_ok(op.zone):
            return "unknown_zone", f"zone {op.zone!r} is not part of this board"
        return _part_error(state, op.part)
    if isinstance(op, NotePin) and _part_error(state, op.part):
        return _part_error(state, op.part)
    if isinstance(op, NoteEdit | NoteColor | NoteMove | NotePin | NoteDelete | NoteCluster
                  | NoteHide):
        if op.note not in state.notes and op.note not in state.deleted:
            return "unknown_note", f"note {op.note!r} is not on this board"
        if isinstance(op, NoteMove) and op.zone is not None and not state.zone_ok(op.zone):
            return "unknown_zone", f"zone {op.zone!r} is not part of this board"
        note = state.notes.get(op.note)
        if actor is not None and note is not None:
            refused = touch_refused(state, actor, note)
            if refused is not None:
                return refused, TOUCH_REASONS[refused]
        return None
    if isinstance(op, NoteRestore | BoardModeSet | BoardEditing) and state.control is not None:
        return "wrong_layout", f"{op.kind} belongs on a board with notes"
    if isinstance(op, NoteRestore):
        if op.note not in state.trash:
            return "unknown_note", f"note {op.note!r} is not among the deleted notes"
        return None
    if isinstance(op, BoardModeSet | BoardEditing):
        return None
    if isinstance(op, ClusterUndo) and state.control is None:
        if actor is not None and not state.undo.get(actor.participant):
            return "nothing_to_undo", "no cluster move of yours on this board to undo"
        return None
    return _check_instrument(state, op, actor)


def _part_error(state: BoardState, part: str | None) -> tuple[ErrorCode, str] | None:
    if part is None or part in state.spec.parts:
        return None
    return "unknown_part", f"{part!r} is not a part of this corner's instrument"


TOUCH_REASONS: dict[ErrorCode, str] = {
    "not_yours": "only its author or a facilitator may change this note",
    "note_hidden": "this note's text is withheld from you, so you cannot change it",
}


def touch_refused(state: BoardState, actor: Actor, note: Note) -> ErrorCode | None:
    """R32: a participant changes their own notes; on a board set to shared editing also the
    notes of others they can read. A facilitator changes any note."""
    if actor.role == "facilitator" or note.author == actor.participant:
        return None
    if withheld(state, note):
        return "note_hidden"
    if state.editing != "shared":
        return "not_yours"
    return None


def _locked_for(state: BoardState, actor: Actor) -> bool:
    return state.mode == "locked" and actor.role != "facilitator" and state.control is None


def belongs(state: BoardState, op: BoardOp) -> bool:
    """Whether the op is declared for this kind of board (R17, ``protocol.Op.boards``)."""
    kind = "control" if state.control is not None else state.spec.layout
    return kind in op.boards or ("notes" in op.boards and kind != "control")


def _check_instrument(state: BoardState, op: BoardOp, actor: Actor | None = None
                      ) -> tuple[ErrorCode, str] | None:
    if not belongs(state, op) or (op.kind in CONTROL_KINDS and state.control is None):
        where = " or ".join(sorted(op.boards))
        return "wrong_layout", f"{op.kind} belongs on a {where} board, this is {state.spec.layout}"
    layout = layouts.of(state)
    return layout.check(state, op, actor) if layout is not None else None


def apply(state: BoardState, entry: Entry) -> Outcome:
    """Apply one log entry in place. Total: every input gives an outcome (R10); a rule that
    fails on a state it did not expect (say, from a damaged file) is a recorded no-op too."""
    try:
        outcome = _apply(state, entry)
    except Exception:
        log.exception("board %s: seq %d could not be applied", state.board_id, entry.seq)
        outcome = Outcome("noop", "apply_failed")
    state.seq = entry.seq
    if outcome.result == "noop":
        state.noops[entry.seq] = outcome.reason or "noop"
        while len(state.noops) > NOOP_MEMORY:
            state.noops.popitem(last=False)
    return outcome


def _apply(state: BoardState, entry: Entry) -> Outcome:
    op = entry.op
    if _locked_for(state, entry.actor):
        return Outcome("noop", "board_locked")  # locked after this op passed its check
    if (isinstance(op, NoteRestore | BoardModeSet | BoardEditing | ClusterUndo)
            and state.control is None):
        return _apply_moderation(state, entry, op)
    if not isinstance(op, NoteAdd | NoteEdit | NoteColor | NoteMove | NotePin | NoteDelete
                      | NoteCluster | NoteHide):
        error = _check_instrument(state, op, entry.actor)
        if error is not None:
            return Outcome("noop", error[0])
        _apply_instrument(state, entry, op)
        return APPLIED
    if isinstance(op, NoteAdd):
        if op.note in state.notes or op.note in state.deleted:
            return Outcome("noop", "note_exists")
        if not state.zone_ok(op.zone):
            return Outcome("noop", "unknown_zone")
        if _part_error(state, op.part):
            return Outcome("noop", "unknown_part")
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
            part=op.part,
        )
        author = entry.actor.participant
        state.added_by[author] = state.added_by.get(author, 0) + 1
        return APPLIED
    note = state.notes.get(op.note)
    if note is None:
        return Outcome("noop", "note_deleted" if op.note in state.deleted else "unknown_note")
    refused = touch_refused(state, entry.actor, note)
    if refused is not None:
        return Outcome("noop", refused)  # the board's editing or mode changed since the check
    if isinstance(op, NoteEdit):
        note.text = op.text
        if entry.actor.participant != note.author:
            note.edited_by, note.edited_by_name = entry.actor.participant, entry.actor.name
    elif isinstance(op, NoteColor):
        note.color = op.color
    elif isinstance(op, NoteMove):
        if op.zone is not None:
            if not state.zone_ok(op.zone):
                return Outcome("noop", "unknown_zone")
            if op.zone != note.zone:
                # A cluster belongs to one station (R26): a note moved to another one leaves it.
                note.cluster = None
            note.zone = op.zone
        note.x, note.y = op.x, op.y
    elif isinstance(op, NotePin):
        if _part_error(state, op.part):
            return Outcome("noop", "unknown_part")
        note.part = op.part
    elif isinstance(op, NoteDelete):
        state.trash[op.note] = state.notes.pop(op.note)
        state.deleted.add(op.note)
        return APPLIED
    elif isinstance(op, NoteCluster):
        moves = state.undo.setdefault(entry.actor.participant, [])
        moves.append((note.id, note.cluster))
        del moves[:-UNDO_DEPTH]
        note.cluster = op.cluster
    elif isinstance(op, NoteHide):
        note.hidden = op.hidden
    note.updated_seq = entry.seq
    note.updated_ts = entry.ts
    return APPLIED


def _apply_moderation(state: BoardState, entry: Entry,
                      op: NoteRestore | BoardModeSet | BoardEditing | ClusterUndo) -> Outcome:
    if isinstance(op, BoardModeSet):
        state.mode = op.mode
        return APPLIED
    if isinstance(op, BoardEditing):
        state.editing = op.editing
        return APPLIED
    if isinstance(op, NoteRestore):
        note = state.trash.pop(op.note, None)
        if note is None:
            return Outcome("noop", "unknown_note")
        state.deleted.discard(op.note)
        state.notes[op.note] = note
        note.updated_seq, note.updated_ts = entry.seq, entry.ts
        return APPLIED
    # cluster.undo: the sender's last note.cluster whose note is still there goes back
    moves = state.undo.get(entry.actor.participant, [])
    while moves:
        note_id, before = moves.pop()
        target = state.notes.get(note_id)
        if target is not None:
            target.cluster = before
            target.updated_seq, target.updated_ts = entry.seq, entry.ts
            return APPLIED
    return Outcome("noop", "nothing_to_undo")


def _apply_instrument(state: BoardState, entry: Entry, op: BoardOp) -> None:
    """Instrument ops that passed ``_check_instrument`` against this very state."""
    layout = layouts.of(state)
    if layout is not None:
        layout.apply(state, entry, op)


def aggregates(state: BoardState) -> dict[str, dict[str, dict[str, Any]]]:
    """The reflectietool's aggregates (R18); nothing for other layouts."""
    return reflectietool.aggregates(state)
