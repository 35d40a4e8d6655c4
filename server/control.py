"""The control board of a session: groups, the plan of rounds x corners, the round timer, the
announcement and summons, who was taken out, and — each with rules of its own — the session's
clusters (``clusters``) and dot votes (``votes``).

Plain synchronous code like ``board``: it lives in the state of the session's control board
(``<session>.control``) and changes only by ops of that board's log, so every process and every
client that follows the log agrees on the round, the plan and the timer (R19-R22).

The timer is kept as data, not as a running clock: ``ends_at`` (server time, stamped on the op
by the server) while it runs, ``remaining`` while it is paused. A client shows
``ends_at - server_now`` and corrects ``server_now`` with the offset it measured by ping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import clusters as clustering
from . import votes as voting
from .clusters import Clusters
from .protocol import (
    Announce,
    BoardOp,
    ClusterAdd,
    ErrorCode,
    GroupAssign,
    GroupJoin,
    GroupsSet,
    ParticipantRemove,
    PlanSet,
    RoundNext,
    RoundSet,
    SessionClose,
    Summon,
    TimerAdd,
    TimerChime,
    TimerPause,
    TimerSet,
    TimerStart,
)
from .votes import Votes

Plan = list[dict[str, str]]
# The participant id of facilitator links an organiser opens from "Mijn sessies" (R33).
OWNER_PREFIX = "o-"


def round_robin(groups: list[str], corners: tuple[str, ...],
                free: set[str] | frozenset[str] = frozenset()) -> Plan:
    """One round per corner; rotating group ``i`` is at corner ``(i + r) mod n`` in round ``r``.

    With more groups than corners two groups share a corner (an "Online" group rotating with
    "Groep 1", for example); free groups are not in the plan at all.
    """
    if not corners:
        return []
    rotating = [g for g in groups if g not in free]
    n = len(corners)
    return [{g: corners[(i + r) % n] for i, g in enumerate(rotating)} for r in range(n)]


@dataclass(slots=True)
class Control:
    """Groups, plan and timer of one session."""

    corners: tuple[str, ...]
    groups: list[str]
    plan: Plan
    round_s: int
    remaining: float
    free: set[str] = field(default_factory=set)
    round: int = 1
    running: bool = False
    ends_at: float | None = None
    chime: bool = True
    closed: bool = False
    announcement: dict[str, Any] | None = None
    summon: dict[str, Any] | None = None
    # Round changes with their server time and seq: for the projector and round-end snapshots.
    rounds: list[dict[str, Any]] = field(default_factory=list)
    # participant id -> group, as picked by the participant or assigned by the facilitator.
    members: dict[str, str] = field(default_factory=dict)
    # Clusters of the session, per station, shared by all boards (R26).
    clusters: Clusters = field(default_factory=Clusters)
    # Dot votes (R27).
    votes: Votes = field(default_factory=Votes)
    # R33: participant ids (and co-facilitator links) taken out of the session, with the seq.
    removed: dict[str, int] = field(default_factory=dict)

    @classmethod
    def fresh(cls, corners: tuple[str, ...], groups: tuple[str, ...], round_s: int) -> Control:
        return cls(corners=corners, groups=list(groups), plan=round_robin(list(groups), corners),
                   round_s=round_s, remaining=float(round_s))

    # --- reading --------------------------------------------------------------------------------

    def corner_for(self, group: str, round_: int | None = None) -> str | None:
        """The corner (instrument id) of a group in a round; None for free or unknown groups."""
        r = self.round if round_ is None else round_
        if group in self.free or not 1 <= r <= len(self.plan):
            return None
        return self.plan[r - 1].get(group)

    def group_of(self, participant: str) -> str | None:
        group = self.members.get(participant)
        return group if group in self.groups else None

    def remaining_at(self, now: float) -> float:
        if self.running and self.ends_at is not None:
            return max(0.0, self.ends_at - now)
        return self.remaining

    def public(self) -> dict[str, Any]:
        """What every client sees (the member list is for facilitators, by presence)."""
        return {
            "corners": list(self.corners),
            "groups": list(self.groups),
            "plan": [dict(r) for r in self.plan],
            "free": sorted(self.free),
            "round": self.round,
            "rounds_planned": len(self.plan),
            "round_s": self.round_s,
            "timer": {"running": self.running, "ends_at": self.ends_at,
                      "remaining": self.remaining, "chime": self.chime},
            "announcement": dict(self.announcement) if self.announcement else None,
            "summon": dict(self.summon) if self.summon else None,
            "closed": self.closed,
            "rounds": [dict(r) for r in self.rounds],
            "clusters": self.clusters.public(),
            "votes": self.votes.public(),
            "removed": sorted(self.removed),
        }

    def tally(self, vote: str) -> dict[str, int]:
        """Dots per "<board>/<note>" of one vote over everyone."""
        record = self.votes.get(vote)
        return dict(record.totals) if record is not None else {}

    def vote_record(self, vote: str) -> dict[str, Any]:
        """One vote as every client sees it (``public()['votes'][vote]``)."""
        record = self.votes.get(vote)
        assert record is not None
        return record.public()

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.public(),
            "members": dict(self.members),
            "votes": self.votes.to_dict(),
            "cluster_undo": self.clusters.undo_dict(),
            "removed_at": dict(self.removed),
        }

    def resolve(self, cluster: str | None, zone: str | None = None) -> str | None:
        """The cluster a note really is in (``Clusters.resolve``)."""
        return self.clusters.resolve(cluster, zone)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Control:
        timer = data.get("timer") or {}
        return cls(
            corners=tuple(data["corners"]),
            groups=list(data["groups"]),
            plan=[dict(r) for r in data["plan"]],
            free=set(data.get("free", ())),
            round_s=int(data["round_s"]),
            round=int(data.get("round", 1)),
            running=bool(timer.get("running", False)),
            ends_at=timer.get("ends_at"),
            remaining=float(timer.get("remaining", data["round_s"])),
            chime=bool(timer.get("chime", True)),
            announcement=data.get("announcement"),
            summon=data.get("summon"),
            closed=bool(data.get("closed", False)),
            rounds=[dict(r) for r in data.get("rounds", ())],
            members=dict(data.get("members", {})),
            clusters=Clusters.from_dicts(data.get("clusters", {}),
                                         data.get("cluster_undo", {})),
            votes=Votes.from_dict(data.get("votes", {})),
            removed={str(p): int(s) for p, s in data.get("removed_at", {}).items()},
        )


def check(ctl: Control, op: BoardOp, participant: str | None = None
          ) -> tuple[ErrorCode, str] | None:
    """Refuse, with the reason, an op that names groups, corners, rounds, clusters or votes
    that do not exist, or a dot past the budget or cap (``participant`` is the sender)."""
    if isinstance(op, ClusterAdd) and op.corner is not None and op.corner not in ctl.corners:
        return "unknown_corner", f"corner {op.corner!r} is not one of {list(ctl.corners)}"  # R60
    if isinstance(op, clustering.OPS):
        return ctl.clusters.check(op, participant)
    if isinstance(op, voting.OPS):
        return ctl.votes.check(op, participant)
    if isinstance(op, GroupsSet):
        if len(set(op.groups)) != len(op.groups):
            return "bad_frame", "group names must be different from each other"
    elif isinstance(op, GroupJoin | GroupAssign):
        if op.group and op.group not in ctl.groups:
            return "unknown_group", f"group {op.group!r} is not one of {ctl.groups}"
    elif isinstance(op, PlanSet):
        return _check_plan(ctl, op)
    elif isinstance(op, RoundNext):
        if ctl.round >= len(ctl.plan):
            return "no_such_round", f"round {ctl.round} is the last round of the plan"
    elif isinstance(op, RoundSet):
        if op.round > len(ctl.plan):
            return "no_such_round", f"the plan has {len(ctl.plan)} rounds, not {op.round}"
    elif isinstance(op, Summon) and op.corner is not None and op.corner not in ctl.corners:
        return "unknown_corner", f"corner {op.corner!r} is not one of {list(ctl.corners)}"
    elif isinstance(op, ParticipantRemove):
        if op.participant == participant:
            return "forbidden", "you cannot take yourself out of the session"
        if op.participant.startswith(OWNER_PREFIX):
            return "forbidden", "the organiser's own facilitator link cannot be taken out"
    return None


def _check_plan(ctl: Control, op: PlanSet) -> tuple[ErrorCode, str] | None:
    for name in op.free or ():
        if name not in ctl.groups:
            return "bad_plan", f"free group {name!r} is not one of {ctl.groups}"
    for i, assignment in enumerate(op.plan, start=1):
        for group, corner in assignment.items():
            if group not in ctl.groups:
                return "bad_plan", f"round {i}: group {group!r} is not one of {ctl.groups}"
            if corner not in ctl.corners:
                return "bad_plan", f"round {i}: corner {corner!r} is not one of {list(ctl.corners)}"
    if op.plan and ctl.round > len(op.plan):
        return "bad_plan", f"the session is in round {ctl.round}; the plan has {len(op.plan)}"
    return None


def apply(ctl: Control, op: BoardOp, ts: float, seq: int, participant: str) -> None:
    """Apply an op that passed ``check`` against this very state."""
    if isinstance(op, clustering.OPS):
        ctl.clusters.apply(op, participant)
    elif isinstance(op, voting.OPS):
        ctl.votes.apply(op, participant)
    elif isinstance(op, GroupsSet):
        _set_groups(ctl, list(op.groups))
    elif isinstance(op, GroupJoin):
        _set_member(ctl, participant, op.group)
    elif isinstance(op, GroupAssign):
        _set_member(ctl, op.participant, op.group)
    elif isinstance(op, PlanSet):
        if op.free is not None:
            ctl.free = set(op.free)
        ctl.plan = ([dict(r) for r in op.plan] if op.plan
                    else round_robin(ctl.groups, ctl.corners, ctl.free))
    elif isinstance(op, TimerStart):
        if not ctl.running:
            ctl.running, ctl.ends_at = True, ts + ctl.remaining
    elif isinstance(op, TimerPause):
        if ctl.running:
            ctl.remaining = ctl.remaining_at(ts)
            ctl.running, ctl.ends_at = False, None
    elif isinstance(op, TimerAdd):
        if ctl.running and ctl.ends_at is not None:
            ctl.ends_at = max(ts, ctl.ends_at + op.seconds)
        else:
            ctl.remaining = max(0.0, ctl.remaining + op.seconds)
    elif isinstance(op, TimerSet):
        # R55: a running round keeps its clock; the new length is for the rounds to come.
        ctl.round_s = op.seconds
        if not ctl.running:
            ctl.remaining = float(op.seconds)
    elif isinstance(op, TimerChime):
        ctl.chime = op.on
    elif isinstance(op, RoundNext):
        _to_round(ctl, ctl.round + 1, op.start, ts, seq)
    elif isinstance(op, RoundSet):
        _to_round(ctl, op.round, op.start, ts, seq)
    elif isinstance(op, Announce):
        ctl.announcement = _announcement(op, ts, seq)
    elif isinstance(op, SessionClose):
        ctl.closed = op.closed
        if op.closed:
            ctl.running, ctl.remaining, ctl.ends_at = False, ctl.remaining_at(ts), None
    elif isinstance(op, Summon):
        ctl.summon = {"corner": op.corner, "ts": ts, "seq": seq} if op.corner else None
    elif isinstance(op, ParticipantRemove):
        ctl.removed.setdefault(op.participant, seq)
        ctl.members.pop(op.participant, None)


def _announcement(op: Announce, ts: float, seq: int) -> dict[str, Any] | None:
    """R56: the banner as stored; with ``until`` (server time) when it ends by itself."""
    if not op.text:
        return None
    shown: dict[str, Any] = {"text": op.text, "ts": ts, "seq": seq}
    if op.seconds is not None:
        shown["until"] = ts + op.seconds
    return shown


def _to_round(ctl: Control, round_: int, start: bool, ts: float, seq: int) -> None:
    ctl.rounds.append({"from": ctl.round, "to": round_, "ts": ts, "seq": seq})
    ctl.round = round_
    ctl.remaining = float(ctl.round_s)
    ctl.running, ctl.ends_at = (True, ts + ctl.round_s) if start else (False, None)
    ctl.summon = None  # a new round ends a summons: everyone goes to their group's corner


def _set_member(ctl: Control, participant: str, group: str) -> None:
    if group:
        ctl.members[participant] = group
    else:
        ctl.members.pop(participant, None)


def _set_groups(ctl: Control, groups: list[str]) -> None:
    """New groups keep the plan of the groups that stay; new ones join the round-robin."""
    old = ctl.groups
    ctl.groups = groups
    ctl.free &= set(groups)
    rotating = [g for g in groups if g not in ctl.free]
    n = len(ctl.corners)
    for r, assignment in enumerate(ctl.plan):
        for g in list(assignment):
            if g not in groups:
                del assignment[g]
        for i, g in enumerate(rotating):
            if g not in old and n:
                assignment[g] = ctl.corners[(i + r) % n]
    ctl.members = {p: g for p, g in ctl.members.items() if g in groups}
