"""The reflectietool: five aspects scored on a scale, per person, per reflection; aggregates
over everyone and per partner (R18). A later reflection of the same group is compared with the
earlier ones; each is stamped with when it was started."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..protocol import BoardOp, ReflectionAdd, ScoreSet
from . import Refusal

if TYPE_CHECKING:
    from ..board import Actor, Entry
    from ..boardstate import BoardState

MAX_REFLECTIONS = 20


class Reflectietool:
    name = "reflectietool"

    def check(self, state: BoardState, op: BoardOp, actor: Actor | None) -> Refusal | None:
        if isinstance(op, ReflectionAdd):
            if any(r["id"] == op.reflection for r in state.reflections):
                return "unknown_anchor", f"reflection {op.reflection!r} already exists"
            if len(state.reflections) >= MAX_REFLECTIONS:
                return "unknown_anchor", f"at most {MAX_REFLECTIONS} reflections per board"
        elif isinstance(op, ScoreSet):
            if op.aspect not in state.spec.aspects:
                return "unknown_anchor", f"aspect {op.aspect!r} is not in this template"
            if not any(r["id"] == op.reflection for r in state.reflections):
                return "unknown_anchor", f"reflection {op.reflection!r} is not on this board"
            lo, hi = state.spec.scale
            if not lo <= op.score <= hi:
                return "score_out_of_range", f"score {op.score} is outside the scale {lo}-{hi}"
        return None

    def apply(self, state: BoardState, entry: Entry, op: BoardOp) -> None:
        from ..boardstate import Score

        if isinstance(op, ReflectionAdd):
            title = op.title or f"Reflectie {len(state.reflections) + 1}"
            state.reflections.append({"id": op.reflection, "title": title,
                                      "ts": entry.ts})
        elif isinstance(op, ScoreSet):
            # One score per participant, aspect and reflection: a second replaces the first.
            key = (op.reflection, entry.actor.participant, op.aspect)
            state.scores[key] = Score(op.reflection, entry.actor.participant, entry.actor.name,
                                      op.aspect, op.score, op.partner, op.note, entry.seq)


RULES = Reflectietool()


def _summary(values: list[int], scale: tuple[int, int]) -> dict[str, Any]:
    n = len(values)
    dist = {str(v): 0 for v in range(scale[0], scale[1] + 1)}
    for v in values:
        dist[str(v)] = dist.get(str(v), 0) + 1
    if n == 0:
        return {"n": 0, "mean": None, "sd": None, "dist": dist}
    mean = sum(values) / n
    sd = (sum((v - mean) ** 2 for v in values) / n) ** 0.5
    return {"n": n, "mean": round(mean, 3), "sd": round(sd, 3), "dist": dist}


def aggregates(state: BoardState) -> dict[str, dict[str, dict[str, Any]]]:
    """Per reflection and aspect: mean, spread (population sd) and distribution of the scores,
    over everyone and per partner."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    if state.spec.layout != "reflectietool":
        return out
    for refl in state.reflections:
        per_aspect: dict[str, dict[str, Any]] = {}
        for aspect in state.spec.aspects:
            scores = [s for s in state.scores.values()
                      if s.reflection == refl["id"] and s.aspect == aspect]
            per_aspect[aspect] = {
                "all": _summary([s.score for s in scores], state.spec.scale),
                **{p: _summary([s.score for s in scores if s.partner == p], state.spec.scale)
                   for p in ("partner-a", "partner-b")},
            }
        out[refl["id"]] = per_aspect
    return out
