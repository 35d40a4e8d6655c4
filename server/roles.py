"""Who may do what: every op is checked against the sender's role on every frame (R2, R19).

The facilitator (secret link) may do everything; a participant (join code) writes notes and the
instrument parts and picks their own group; a viewer (a screen's link) only watches. A new op
kind must be placed here, or nobody may send it.
"""

from __future__ import annotations

from .auth import Role

PARTICIPANT_KINDS: frozenset[str] = frozenset({
    "note.add", "note.edit", "note.color", "note.move", "note.delete",
    "column.add", "column.rename", "column.move",
    "partner.name", "flag.set", "reflection.add", "score.set",
    "group.join", "vote.cast",
})

FACILITATOR_KINDS: frozenset[str] = PARTICIPANT_KINDS | frozenset({
    "groups.set", "group.assign", "plan.set",
    "timer.start", "timer.pause", "timer.add", "timer.set", "timer.chime",
    "round.next", "round.set", "announce", "summon", "session.close",
    "note.cluster", "note.hide", "note.restore", "board.mode",
    "cluster.add", "cluster.rename", "cluster.merge", "cluster.remove", "cluster.undo",
    "vote.open", "vote.close",
})

ALLOWED: dict[Role, frozenset[str]] = {
    "facilitator": FACILITATOR_KINDS,
    "participant": PARTICIPANT_KINDS,
    "viewer": frozenset(),
}


def may(role: Role, kind: str) -> bool:
    return kind in ALLOWED.get(role, frozenset())
