"""The session's clock and rotation: groups, the plan of rounds x corners, the round timer.

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

from .protocol import (
    Announce,
    BoardOp,
    ClusterAdd,
    ClusterMerge,
    ClusterRemove,
    ClusterRename,
    ClusterUndo,
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
    VoteCast,
    VoteClose,
    VoteOpen,
)

Plan = list[dict[str, str]]
MAX_CLUSTERS = 200
# The participant id of facilitator links an organiser opens from "Mijn sessies" (R33).
OWNER_PREFIX = "o-"
MAX_VOTES = 50
UNDO_DEPTH = 50


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
    # Clusters of the session, per station, shared by all boards (R26):
    # id -> {station, title, into (merged into another cluster) or None, removed}
    clusters: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Per participant, how to undo their cluster edits: (cluster id, (field, value before));
    # field "" undoes an add.
    cluster_undo: dict[str, list[tuple[str, tuple[str, Any]]]] = field(default_factory=dict)
    # Dot votes (R27): id -> {board, station, budget, cap, anonymous, open,
    # casts: {participant: {"<board>/<note>": dots}}}
    votes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # R33: participant ids (and co-facilitator links) taken out of the session, with the seq.
    removed: dict[str, int] = field(default_factory=dict)
    # Per vote, dots per "<board>/<note>" over everyone: kept as casts arrive, so a dot costs
    # the same whatever the number of casts before it (made on first use, never stored).
    tallies: dict[str, dict[str, int]] = field(default_factory=dict, repr=False,
                                               compare=False)

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
            "clusters": {cid: dict(c) for cid, c in self.clusters.items()},
            "votes": {vid: self.vote_record(vid) for vid in self.votes},
            "removed": sorted(self.removed),
        }

    def tally(self, vote: str) -> dict[str, int]:
        """Dots per note of one vote over everyone (the casts summed once, then kept)."""
        totals = self.tallies.get(vote)
        if totals is None:
            totals = self.tallies[vote] = _sum_casts(self.votes[vote])
        return totals

    def vote_record(self, vote: str) -> dict[str, Any]:
        """One vote as every client sees it (``public()['votes'][vote]``)."""
        return vote_public(self.votes[vote], self.tally(vote))

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.public(),
            "members": dict(self.members),
            "votes": {vid: _copy_vote(v) for vid, v in self.votes.items()},
            "cluster_undo": {p: [[cid, name, before] for cid, (name, before) in moves]
                             for p, moves in self.cluster_undo.items()},
            "removed_at": dict(self.removed),
        }

    def resolve(self, cluster: str | None) -> str | None:
        """The cluster a note really is in: merges followed, removed clusters are none."""
        seen = set()
        while cluster is not None and cluster not in seen:
            seen.add(cluster)
            record = self.clusters.get(cluster)
            if record is None or record["removed"]:
                return None
            if record["into"] is None:
                return cluster
            cluster = record["into"]
        return None

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
            clusters={cid: dict(c) for cid, c in data.get("clusters", {}).items()},
            cluster_undo={p: [(str(cid), (str(name), before)) for cid, name, before in moves]
                          for p, moves in data.get("cluster_undo", {}).items()},
            votes={vid: _copy_vote(v) for vid, v in data.get("votes", {}).items()
                   if "casts" in v},
            removed={str(p): int(s) for p, s in data.get("removed_at", {}).items()},
        )


def _copy_vote(v: dict[str, Any]) -> dict[str, Any]:
    return {**v, "casts": {p: dict(c) for p, c in v.get("casts", {}).items()}}


def _sum_casts(v: dict[str, Any]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for casts in v["casts"].values():
        for key, n in casts.items():
            totals[key] = totals.get(key, 0) + n
    return totals


def vote_public(v: dict[str, Any], totals: dict[str, int] | None = None) -> dict[str, Any]:
    """Totals per note, sorted by dots; who voted only when the vote is not anonymous.
    ``totals``: the vote's dots per note when they are known already (``Control.tally``)."""
    if totals is None:
        totals = _sum_casts(v)
    out = {k: v[k] for k in ("board", "station", "budget", "cap", "anonymous", "open")}
    out["totals"] = dict(sorted(((k, n) for k, n in totals.items() if n > 0),
                                key=lambda kv: (-kv[1], kv[0])))
    out["voters"] = len([p for p, c in v["casts"].items() if any(c.values())])
    if not v["anonymous"]:
        out["by"] = {p: {k: n for k, n in c.items() if n} for p, c in v["casts"].items()}
    return out


def dots_of(v: dict[str, Any], participant: str) -> int:
    return sum(v["casts"].get(participant, {}).values())


def check(ctl: Control, op: BoardOp, participant: str | None = None
          ) -> tuple[ErrorCode, str] | None:
    """Refuse, with the reason, an op that names groups, corners, rounds, clusters or votes
    that do not exist, or a dot past the budget or cap (``participant`` is the sender)."""
    if isinstance(op, ClusterAdd | ClusterRename | ClusterMerge | ClusterRemove | ClusterUndo):
        return _check_cluster(ctl, op, participant)
    if isinstance(op, VoteOpen | VoteClose | VoteCast):
        return _check_vote(ctl, op, participant)
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


def _check_cluster(ctl: Control, op: BoardOp, participant: str | None
                   ) -> tuple[ErrorCode, str] | None:
    if isinstance(op, ClusterAdd):
        if op.cluster in ctl.clusters:
            return "unknown_cluster", f"cluster {op.cluster!r} already exists"
        if len(ctl.clusters) >= MAX_CLUSTERS:
            return "unknown_cluster", f"a session has at most {MAX_CLUSTERS} clusters"
        return None
    if isinstance(op, ClusterUndo):
        if participant is not None and not ctl.cluster_undo.get(participant):
            return "nothing_to_undo", "no cluster edit of yours to undo"
        return None
    assert isinstance(op, ClusterRename | ClusterMerge | ClusterRemove)
    record = ctl.clusters.get(op.cluster)
    if record is None or record["removed"] or record["into"] is not None:
        return "unknown_cluster", f"cluster {op.cluster!r} is not (or no longer) there"
    if isinstance(op, ClusterMerge):
        target = ctl.clusters.get(op.into)
        if (target is None or ctl.resolve(op.into) != op.into or op.into == op.cluster
                or target["station"] != record["station"]):
            return "unknown_cluster", f"cannot merge into {op.into!r}: not a cluster of the " \
                                      "same station"
    return None


def _check_vote(ctl: Control, op: BoardOp, participant: str | None
                ) -> tuple[ErrorCode, str] | None:
    if isinstance(op, VoteOpen):
        if op.vote in ctl.votes:
            return "unknown_vote", f"vote {op.vote!r} already exists"
        if len(ctl.votes) >= MAX_VOTES:
            return "unknown_vote", f"a session has at most {MAX_VOTES} votes"
        return None
    assert isinstance(op, VoteClose | VoteCast)
    vote = ctl.votes.get(op.vote)
    if vote is None:
        return "unknown_vote", f"there is no vote {op.vote!r}"
    if isinstance(op, VoteCast):
        if not vote["open"]:
            return "vote_closed", "this vote is closed"
        if vote["board"] is not None and op.board != vote["board"]:
            return "unknown_note", f"this vote is on board {vote['board']!r} only"
        if participant is None:
            return None
        mine = vote["casts"].get(participant, {})
        key = f"{op.board}/{op.note}"
        if op.delta > 0 and dots_of(vote, participant) >= vote["budget"]:
            return "over_budget", f"all your {vote['budget']} dots are used"
        if op.delta > 0 and mine.get(key, 0) >= vote["cap"]:
            return "over_cap", f"at most {vote['cap']} dots on one note"
        if op.delta < 0 and mine.get(key, 0) <= 0:
            return "no_dot", "you have no dot on this note to take back"
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
    if isinstance(op, ClusterAdd | ClusterRename | ClusterMerge | ClusterRemove | ClusterUndo):
        _apply_cluster(ctl, op, participant)
    elif isinstance(op, VoteOpen):
        ctl.votes[op.vote] = {"board": op.board, "station": op.station, "budget": op.budget,
                              "cap": op.cap, "anonymous": op.anonymous, "open": True,
                              "casts": {}}
        ctl.tallies[op.vote] = {}
    elif isinstance(op, VoteClose):
        ctl.votes[op.vote]["open"] = False
    elif isinstance(op, VoteCast):
        totals = ctl.tally(op.vote)
        casts = ctl.votes[op.vote]["casts"].setdefault(participant, {})
        key = f"{op.board}/{op.note}"
        casts[key] = casts.get(key, 0) + op.delta
        if not casts[key]:
            del casts[key]
        totals[key] = totals.get(key, 0) + op.delta
        if not totals[key]:
            del totals[key]
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
        ctl.round_s = op.seconds
        ctl.remaining, ctl.running, ctl.ends_at = float(op.seconds), False, None
    elif isinstance(op, TimerChime):
        ctl.chime = op.on
    elif isinstance(op, RoundNext):
        _to_round(ctl, ctl.round + 1, op.start, ts, seq)
    elif isinstance(op, RoundSet):
        _to_round(ctl, op.round, op.start, ts, seq)
    elif isinstance(op, Announce):
        ctl.announcement = {"text": op.text, "ts": ts, "seq": seq} if op.text else None
    elif isinstance(op, SessionClose):
        ctl.closed = op.closed
        if op.closed:
            ctl.running, ctl.remaining, ctl.ends_at = False, ctl.remaining_at(ts), None
    elif isinstance(op, Summon):
        ctl.summon = {"corner": op.corner, "ts": ts, "seq": seq} if op.corner else None
    elif isinstance(op, ParticipantRemove):
        ctl.removed.setdefault(op.participant, seq)
        ctl.members.pop(op.participant, None)


def _apply_cluster(ctl: Control, op: BoardOp, participant: str) -> None:
    """Each edit records the one field it changed, so undoing it leaves others' edits alone."""
    if isinstance(op, ClusterUndo):
        cid, (name, before) = ctl.cluster_undo[participant].pop()
        if name == "":
            ctl.clusters.pop(cid, None)  # undo of an add (its notes simply have no cluster)
        elif cid in ctl.clusters:
            ctl.clusters[cid][name] = before
        return
    assert isinstance(op, ClusterAdd | ClusterRename | ClusterMerge | ClusterRemove)
    history = ctl.cluster_undo.setdefault(participant, [])
    if isinstance(op, ClusterAdd):
        ctl.clusters[op.cluster] = {"station": op.station, "title": op.title, "into": None,
                                    "removed": False}
        history.append((op.cluster, ("", None)))
    else:
        name, value = (("title", op.title) if isinstance(op, ClusterRename)
                       else ("into", op.into) if isinstance(op, ClusterMerge)
                       else ("removed", True))
        record = ctl.clusters[op.cluster]
        history.append((op.cluster, (name, record[name])))
        record[name] = value
    del history[:-UNDO_DEPTH]


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
