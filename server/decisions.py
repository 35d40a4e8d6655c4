"""The tweede ontwerpslag: what the design team decides about each piece of feedback (R51).

The feedback of the day (notes and clusters of an instrument's corners, over every
four-corner session on the server) is triaged on one board per instrument of the workspace
session ``ontwerpslag``: a ``decision.set`` gives a note or a cluster a decision — overnemen,
aanpassen, niet overnemen, nader onderzoeken — with a short rationale and who decided. The
board is a board like any other (ordered, durable, live over every process), so two team
members triage at once and see each other; ``decision.undo`` takes back the sender's last
decision change and restores what was there before it, leaving others' later changes alone.

Plain synchronous rules like ``board``; the HTTP side is ``ontwerpslag_http``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .protocol import DecisionSet, DecisionUndo, ErrorCode

# The workspace session and its boards: ``ontwerpslag.<instrument>``.
WORKSPACE = "ontwerpslag"
LAYOUT = "decisions"
CHOICES = ("overnemen", "aanpassen", "niet-overnemen", "nader-onderzoeken")
UNDO_DEPTH = 50
MAX_DECISIONS = 50_000


@dataclass(slots=True)
class Decision:
    decision: str
    rationale: str
    by: str
    by_name: str
    ts: float
    seq: int

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "rationale": self.rationale, "by": self.by,
                "by_name": self.by_name, "ts": self.ts, "seq": self.seq}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        return cls(str(data["decision"]), str(data.get("rationale", "")), str(data.get("by", "")),
                   str(data.get("by_name", "")), float(data.get("ts", 0.0)),
                   int(data.get("seq", 0)))


@dataclass(slots=True)
class Decisions:
    """A decisions board's state: per target (``<session>/<note>`` or
    ``<session>/cluster/<cluster>``) its decision, and per sender what undo restores."""

    by_target: dict[str, Decision] = field(default_factory=dict)
    undo: dict[str, list[tuple[str, Decision | None]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"decisions": {t: d.to_dict() for t, d in self.by_target.items()},
                "decision_undo": {p: [[t, d.to_dict() if d else None] for t, d in steps]
                                  for p, steps in self.undo.items()}}

    def public(self) -> dict[str, Any]:
        return {"decisions": {t: d.to_dict() for t, d in self.by_target.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decisions:
        return cls(
            by_target={str(t): Decision.from_dict(d)
                       for t, d in (data.get("decisions") or {}).items()},
            undo={str(p): [(str(t), Decision.from_dict(d) if d else None) for t, d in steps]
                  for p, steps in (data.get("decision_undo") or {}).items()})


def check(state: Decisions, op: DecisionSet | DecisionUndo, participant: str | None
          ) -> tuple[ErrorCode, str] | None:
    if isinstance(op, DecisionUndo):
        if participant is not None and not state.undo.get(participant):
            return "nothing_to_undo", "no decision of yours to undo"
        return None
    if op.target not in state.by_target and len(state.by_target) >= MAX_DECISIONS:
        return "quota_exceeded", f"at most {MAX_DECISIONS} decisions per instrument"
    return None


def apply(state: Decisions, op: DecisionSet | DecisionUndo, participant: str, name: str,
          ts: float, seq: int) -> None:
    """Apply an op that passed ``check`` against this very state."""
    if isinstance(op, DecisionUndo):
        target, before = state.undo[participant].pop()
        if before is None:
            state.by_target.pop(target, None)
        else:
            state.by_target[target] = before
        return
    steps = state.undo.setdefault(participant, [])
    steps.append((op.target, state.by_target.get(op.target)))
    del steps[:-UNDO_DEPTH]
    if op.decision is None:
        state.by_target.pop(op.target, None)
    else:
        state.by_target[op.target] = Decision(op.decision, op.rationale, participant, name, ts,
                                              seq)
