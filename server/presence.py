"""Who is where: ephemeral, counted from open connections, never logged (R23).

A person is a participant id (two tabs of one phone count once) with the boards they follow.
Facilitators see every person; the counts per corner board and per group are over the
participants only (facilitators and screens watch, they do not visit a corner).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Person = dict[str, Any]


def person(participant: str, name: str, group: str, role: str, boards: Iterable[str]) -> Person:
    return {"participant": participant, "name": name, "group": group, "role": role,
            "boards": sorted(boards)}


def merge(people: Iterable[Person]) -> list[Person]:
    """One entry per participant; the boards of their connections together."""
    out: dict[str, Person] = {}
    for p in people:
        seen = out.get(p["participant"])
        if seen is None:
            out[p["participant"]] = dict(p, boards=sorted(set(p["boards"])))
        else:
            seen["boards"] = sorted(set(seen["boards"]) | set(p["boards"]))
    return sorted(out.values(), key=lambda p: (p["role"], p["group"], p["name"], p["participant"]))


def counts(people: Iterable[Person]) -> dict[str, dict[str, Any]]:
    """Per board: how many participants follow it, in total and per group ("" = no group)."""
    boards: dict[str, dict[str, Any]] = {}
    for p in people:
        if p["role"] != "participant":
            continue
        for board_id in p["boards"]:
            entry = boards.setdefault(board_id, {"total": 0, "groups": {}})
            entry["total"] += 1
            entry["groups"][p["group"]] = entry["groups"].get(p["group"], 0) + 1
    return boards
