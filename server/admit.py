"""Admission: what an incoming op may do, decided without I/O.

``admit`` takes the sender (their token's grant and the actor the connection speaks for), the
op, the state of its board, the session's control state and, for a dot, the state of the board
voted on. It answers the op stamped with who sent it and in which round, or the error that
refuses it. The gateway awaits the states and the store; this module only decides, so every
rule here is tested without a socket (tests/test_admit.py).

In order: the token (R19: expiry on every op), removal (R33), the role (R19), a closed session
(R24), the stamp (R21), quotas (R46), the board's own rules (R12, R17, R26-R28, R32) and the
checks that need a second board (R26, R27).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from . import board as rules
from . import roles
from .auth import Grant
from .board import Actor
from .boardstate import BoardState, withheld
from .control import Control
from .protocol import BoardOp, ErrorCode, NoteAdd, NoteCluster, VoteCast


@dataclass(frozen=True, slots=True)
class Quotas:
    """R46: how many notes a board holds, and how many one participant may add to it."""

    notes_per_board: int = 10_000
    notes_per_participant: int = 500


@dataclass(frozen=True, slots=True)
class Admitted:
    """The op may be stored: by ``actor`` (group stamped from the control board), in ``round``."""

    actor: Actor
    round: int


@dataclass(frozen=True, slots=True)
class Refused:
    code: ErrorCode
    message: str


def admit(grant: Grant, actor: Actor, op: BoardOp, board: BoardState, control: Control | None,
          *, now: float, pending_adds: Collection[str] = (), target: BoardState | None = None,
          quotas: Quotas = Quotas(), grace_s: float = 60.0) -> Admitted | Refused:
    """Decide one op. ``control`` is the session's control state (the board's own when ``board``
    is the control board); ``pending_adds`` are notes queued on this board but not stored yet;
    ``target`` is the board a ``vote.cast`` names (None when it is not in the session)."""
    if grant.expires < now:
        return Refused("bad_token", "token expired")
    if control is not None and grant.participant in control.removed:
        return Refused("removed", "you were taken out of this session")
    if not roles.may(grant.role, op.kind):
        reason = ("this link may only watch" if grant.role == "viewer"
                  else f"a {grant.role} may not send {op.kind}")
        return Refused("forbidden", reason)
    started = op.started_round if isinstance(op, NoteAdd) else None
    stamped, round_ = stamp(actor, board, control, now, grace_s, started)
    if board.control is None and control is not None and control.closed:
        return Refused("session_closed", "de sessie is gesloten")
    refused = _quota(stamped, op, board, pending_adds, quotas)
    if refused is not None:
        return refused
    error = _board_rules(board, op, stamped, pending_adds)
    if error is None:
        error = _cross_board(op, board, control, target, stamped)
    if error is not None:
        return Refused(*error)
    return Admitted(stamped, round_)


def stamp(actor: Actor, board: BoardState, control: Control | None, now: float = 0.0,
          grace_s: float = 0.0, started: int | None = None) -> tuple[Actor, int]:
    """R21: an op carries the sender's group (from the control board) and the round of the
    moment it is admitted. R53: a note begun in the round that just ended (``started``) and
    finished at the corner the sender's group had then, within ``grace_s`` of its end,
    counts for that round."""
    if control is None:
        return actor, 1
    if board.control is not None:
        return actor, control.round
    group = control.group_of(actor.participant) or (
        actor.group if actor.group in control.groups else "")
    stamped = replace(actor, group=group) if group != actor.group else actor
    round_ = control.round
    corner = board.board_id.rsplit(".", 1)[-1]
    if started is not None and group and control.rounds:
        last = control.rounds[-1]
        before = int(last.get("from", 0))
        if (started == before and last.get("to") == round_
                and now - float(last.get("ts", 0)) <= grace_s
                and control.corner_for(group, before) == corner):
            round_ = before
    return stamped, round_


def _quota(actor: Actor, op: BoardOp, board: BoardState, pending_adds: Collection[str],
           quotas: Quotas) -> Refused | None:
    if not isinstance(op, NoteAdd):
        return None
    if len(board.notes) + len(pending_adds) >= quotas.notes_per_board:
        return Refused("quota_exceeded",
                       f"this board holds at most {quotas.notes_per_board} notes")
    if (actor.role != "facilitator"
            and board.added_by.get(actor.participant, 0) >= quotas.notes_per_participant):
        return Refused("quota_exceeded", f"one person adds at most "
                                         f"{quotas.notes_per_participant} notes to a board")
    return None


def _board_rules(board: BoardState, op: BoardOp, actor: Actor, pending_adds: Collection[str]
                 ) -> tuple[ErrorCode, str] | None:
    """R12, counting ops that are queued but not stored yet."""
    if isinstance(op, NoteAdd) and op.note in pending_adds:
        return "duplicate_note", f"note {op.note!r} already exists on this board"
    error = rules.check(board, op, actor)
    if error and error[0] == "unknown_note" and getattr(op, "note", "") in pending_adds:
        return None
    return error


def _cross_board(op: BoardOp, board: BoardState, control: Control | None,
                 target: BoardState | None, actor: Actor) -> tuple[ErrorCode, str] | None:
    """Checks that need two boards: a note's cluster (control board) must be of the note's
    station (R26); a dot must go to a note that is on its board, in the vote's scope, and
    readable by the voter (R27, R32)."""
    if isinstance(op, NoteCluster) and op.cluster is not None:
        note = board.notes.get(op.note)
        if control is None or control.resolve(op.cluster) != op.cluster:
            return "unknown_cluster", f"cluster {op.cluster!r} is not (or no longer) there"
        record = control.clusters.get(op.cluster)
        assert record is not None  # resolve() found it
        station = record.station
        if note is not None and note.zone != station:
            return "unknown_cluster", (f"cluster {op.cluster!r} belongs to {station!r}, "
                                       f"the note is in {note.zone!r}")
    if isinstance(op, VoteCast):
        note = target.notes.get(op.note) if target is not None else None
        if target is None or target.control is not None or note is None:
            return "unknown_note", f"note {op.note!r} is not on board {op.board!r}"
        vote = control.votes.get(op.vote) if control is not None else None
        if vote is not None and vote.station and note.zone != vote.station:
            return "unknown_note", f"this vote is on {vote.station!r} notes only"
        if (actor.role != "facilitator" and note.author != actor.participant
                and withheld(target, note)):
            return "note_hidden", rules.TOUCH_REASONS["note_hidden"]
    return None
