"""Dot votes of a session (R27), kept on the control board so budget and cap hold in one order
for the whole session, also across processes.

A vote is on one board, one station, or both; each participant has ``budget`` dots, at most
``cap`` of them on one note. Totals per note are kept as dots arrive (a dot costs the same
whatever the number before it), and what clients see of a vote — totals sorted by dots, the
number of voters, who voted only when the vote is not anonymous, whether its result still
shows (R59: until a facilitator dismisses it) — is ``Vote.public``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .protocol import BoardOp, ErrorCode, VoteCast, VoteClose, VoteDismiss, VoteOpen

MAX_VOTES = 50
OPS = (VoteOpen, VoteClose, VoteDismiss, VoteCast)


@dataclass(slots=True)
class Vote:
    board: str | None
    station: str | None
    budget: int
    cap: int
    anonymous: bool = True
    open: bool = True
    # R59: its result shows on the boards and screens once it closed, until dismissed.
    shown: bool = True
    # participant -> "<board>/<note>" -> dots
    casts: dict[str, dict[str, int]] = field(default_factory=dict)
    # "<board>/<note>" -> dots over everyone; derived from ``casts``, never stored
    totals: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def dots_of(self, participant: str) -> int:
        return sum(self.casts.get(participant, {}).values())

    def cast(self, participant: str, key: str, delta: int) -> None:
        mine = self.casts.setdefault(participant, {})
        mine[key] = mine.get(key, 0) + delta
        if not mine[key]:
            del mine[key]
        self.totals[key] = self.totals.get(key, 0) + delta
        if not self.totals[key]:
            del self.totals[key]

    def public(self) -> dict[str, Any]:
        """Totals per note, most dots first; who voted only when the vote is not anonymous."""
        out: dict[str, Any] = {"board": self.board, "station": self.station,
                               "budget": self.budget, "cap": self.cap,
                               "anonymous": self.anonymous, "open": self.open,
                               "shown": self.shown}
        out["totals"] = dict(sorted(((k, n) for k, n in self.totals.items() if n > 0),
                                    key=lambda kv: (-kv[1], kv[0])))
        out["voters"] = len([p for p, c in self.casts.items() if any(c.values())])
        if not self.anonymous:
            out["by"] = {p: {k: n for k, n in c.items() if n} for p, c in self.casts.items()}
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"board": self.board, "station": self.station, "budget": self.budget,
                "cap": self.cap, "anonymous": self.anonymous, "open": self.open,
                "shown": self.shown, "casts": {p: dict(c) for p, c in self.casts.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vote:
        vote = cls(board=data.get("board"), station=data.get("station"),
                   budget=int(data["budget"]), cap=int(data["cap"]),
                   anonymous=bool(data.get("anonymous", True)), open=bool(data.get("open", True)),
                   shown=bool(data.get("shown", True)),
                   casts={str(p): {str(k): int(n) for k, n in c.items()}
                          for p, c in (data.get("casts") or {}).items()})
        for casts in vote.casts.values():
            for key, n in casts.items():
                vote.totals[key] = vote.totals.get(key, 0) + n
        return vote

    def rename_boards(self, rename: Callable[[str], str]) -> None:
        """The same vote with its board ids changed (an import under new ids)."""
        if self.board is not None:
            self.board = rename(self.board)

        def key(k: str) -> str:
            board, _, note = k.partition("/")
            return f"{rename(board)}/{note}"

        self.casts = {p: {key(k): n for k, n in c.items()} for p, c in self.casts.items()}
        self.totals = {key(k): n for k, n in self.totals.items()}


def public_of(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored vote (``to_dict``) as clients see it."""
    return Vote.from_dict(stored).public()


@dataclass(slots=True)
class Votes:
    records: dict[str, Vote] = field(default_factory=dict)

    def get(self, vote: str) -> Vote | None:
        return self.records.get(vote)

    def values(self) -> list[Vote]:
        return list(self.records.values())

    def dots(self) -> dict[str, int]:
        """Dots per "<board>/<note>" over every vote of the session."""
        out: dict[str, int] = {}
        for vote in self.records.values():
            for key, n in vote.totals.items():
                out[key] = out.get(key, 0) + n
        return out

    def check(self, op: BoardOp, participant: str | None) -> tuple[ErrorCode, str] | None:
        if isinstance(op, VoteOpen):
            if op.vote in self.records:
                return "unknown_vote", f"vote {op.vote!r} already exists"
            if len(self.records) >= MAX_VOTES:
                return "unknown_vote", f"a session has at most {MAX_VOTES} votes"
            return None
        assert isinstance(op, VoteClose | VoteDismiss | VoteCast)
        vote = self.records.get(op.vote)
        if vote is None:
            return "unknown_vote", f"there is no vote {op.vote!r}"
        if not isinstance(op, VoteCast):
            return None
        if not vote.open:
            return "vote_closed", "this vote is closed"
        if vote.board is not None and op.board != vote.board:
            return "unknown_note", f"this vote is on board {vote.board!r} only"
        if participant is None:
            return None
        mine = vote.casts.get(participant, {})
        key = f"{op.board}/{op.note}"
        if op.delta > 0 and vote.dots_of(participant) >= vote.budget:
            return "over_budget", f"all your {vote.budget} dots are used"
        if op.delta > 0 and mine.get(key, 0) >= vote.cap:
            return "over_cap", f"at most {vote.cap} dots on one note"
        if op.delta < 0 and mine.get(key, 0) <= 0:
            return "no_dot", "you have no dot on this note to take back"
        return None

    def apply(self, op: BoardOp, participant: str) -> None:
        """Apply an op that passed ``check`` against this very state."""
        if isinstance(op, VoteOpen):
            self.records[op.vote] = Vote(op.board, op.station, op.budget, op.cap, op.anonymous)
        elif isinstance(op, VoteClose):
            self.records[op.vote].open = False
        elif isinstance(op, VoteDismiss):
            self.records[op.vote].open = self.records[op.vote].shown = False
        elif isinstance(op, VoteCast):
            self.records[op.vote].cast(participant, f"{op.board}/{op.note}", op.delta)

    def public(self) -> dict[str, dict[str, Any]]:
        return {vid: v.public() for vid, v in self.records.items()}

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {vid: v.to_dict() for vid, v in self.records.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Votes:
        return cls({str(vid): Vote.from_dict(v) for vid, v in data.items()
                    if isinstance(v, dict) and "casts" in v})
