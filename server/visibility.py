"""Who may read a note's text (R28): hidden-until-reveal boards and notes hidden by a facilitator.

Filtering happens on the server: a participant or a screen is sent an empty text with
``redacted: true`` for every note it may not read, in states and in events alike. Facilitators
read everything; an author always reads their own notes.
"""

from __future__ import annotations

from typing import Any

from .boardstate import BoardState, Note, withheld
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


def text_hidden(state: BoardState, note: Note) -> bool:
    """Whether this note's text is withheld from people other than its author."""
    return withheld(state, note)


def redacting(state: BoardState) -> bool:
    """Whether some note text is withheld from some receiver (then resumes get states)."""
    return state.mode == "hidden" or any(n.hidden for n in state.notes.values())


def sees_all(role: str, participant: str, author: str | None = None) -> bool:
    return role == "facilitator" or (author is not None and participant == author)


def redact_public(state: BoardState, public: dict[str, Any], participant: str
                  ) -> dict[str, Any]:
    """A ``public_dict`` as ``participant`` may read it."""
    notes = []
    for raw in public["notes"]:
        note = state.notes.get(raw["id"])
        if note is not None and text_hidden(state, note) and note.author != participant:
            raw = {**raw, "text": "", "redacted": True}
        notes.append(raw)
    return {**public, "notes": notes, "trash": []}
