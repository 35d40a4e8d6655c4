"""Who may read a note's text (R28): hidden-until-reveal boards and notes hidden by a facilitator.

Filtering happens on the server: a participant or a screen is sent an empty text with
``redacted: true`` for every note it may not read, in states and in events alike. Facilitators
read everything; an author always reads their own notes.
"""

from __future__ import annotations

from typing import Any

from .board import BoardState, Note

# Ops after which what a participant may read changes: they get their board's state again.
VISIBILITY_KINDS = frozenset({"board.mode", "note.hide", "note.restore"})
# Ops whose event does not say what changed: every subscriber gets the state again.
EFFECT_KINDS = frozenset({"note.restore", "cluster.undo"})
RESYNC_KINDS = VISIBILITY_KINDS | EFFECT_KINDS
TEXT_KINDS = frozenset({"note.add", "note.edit"})


def text_hidden(state: BoardState, note: Note) -> bool:
    """Whether this note's text is withheld from people other than its author."""
    return note.hidden or state.mode == "hidden"


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
