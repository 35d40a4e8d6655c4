"""Who may read what (R28, R62): hidden-until-reveal boards and notes hidden by a facilitator;
on a reflectietool board in hidden mode, other people's scores and everything made of them.

Filtering happens on the server: a participant or a screen is sent an empty text with
``redacted: true`` for every note it may not read, in states and in events alike; on a
reflectietool board in hidden mode it gets only its own scores, no aggregates, and the event
of someone else's score without the score. Facilitators read everything; an author always
reads their own notes and scores.
"""

from __future__ import annotations

from typing import Any

from .boardstate import BoardState, Note, scores_withheld, withheld
from .protocol import OPS

# Read from each op's declaration (protocol.Op):
# ops after which what a participant may read changes: they get their board's state again;
VISIBILITY_KINDS = frozenset(k for k, op in OPS.items() if op.reveals)
# ops whose event does not say what changed: every subscriber gets the state again;
EFFECT_KINDS = frozenset(k for k, op in OPS.items() if op.redraws)
RESYNC_KINDS = VISIBILITY_KINDS | EFFECT_KINDS
# ops that carry a note's text, withheld per receiver;
TEXT_KINDS = frozenset(k for k, op in OPS.items() if op.carries_text)
# R36: after one of these, a participant resuming gets a fresh state, not a replay: a replay
# would carry the text of notes since deleted (or what they may no longer read).
REPLAY_SENSITIVE_KINDS = RESYNC_KINDS | frozenset(k for k, op in OPS.items() if op.removes_text)
# R62: what of a score.set event a receiver gets while the scores are withheld from them.
SCORE_SHOWN = ("kind", "reflection", "aspect")


def text_hidden(state: BoardState, note: Note) -> bool:
    """Whether this note's text is withheld from people other than its author."""
    return withheld(state, note)


def redacting(state: BoardState) -> bool:
    """Whether something is withheld from some receiver (then resumes get states)."""
    return state.mode == "hidden" or any(n.hidden for n in state.notes.values())


def sees_all(role: str, participant: str, author: str | None = None) -> bool:
    return role == "facilitator" or (author is not None and participant == author)


def private_readers(state: BoardState) -> set[str]:
    """The participants who read something the others do not: authors of withheld notes and,
    while scores are withheld (R62), everyone who scored. Everyone else shares one copy of a
    redacted state (R45)."""
    readers = {n.author for n in state.notes.values() if withheld(state, n)}
    if scores_withheld(state):
        readers |= {s.participant for s in state.scores.values()}
    return readers


def withheld_op(state: BoardState, op: dict[str, Any], actor: str
                ) -> tuple[str, dict[str, Any]] | None:
    """An applied op whose event not everyone may read in full: (whose it is, the op as the
    others get it); None when everyone may read it. The op is already applied to ``state``."""
    if op["kind"] in TEXT_KINDS:
        note = state.notes.get(op["note"])
        if note is not None and text_hidden(state, note):
            return note.author, {**op, "text": ""}
    elif op["kind"] == "score.set" and scores_withheld(state):
        return actor, {k: op[k] for k in SCORE_SHOWN if k in op}
    return None


def redact_public(state: BoardState, public: dict[str, Any], participant: str
                  ) -> dict[str, Any]:
    """A ``public_dict`` as ``participant`` may read it (``BoardState.public_json`` with
    ``redact_for`` gives the same, faster)."""
    notes = []
    for raw in public["notes"]:
        note = state.notes.get(raw["id"])
        if note is not None and text_hidden(state, note) and note.author != participant:
            raw = {**raw, "text": "", "redacted": True}
        notes.append(raw)
    out = {**public, "notes": notes, "trash": []}
    if scores_withheld(state):
        out["scores"] = [s for s in public["scores"] if s["participant"] == participant]
        out["aggregates"] = {}
    return out
