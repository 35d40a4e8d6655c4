"""Clusters of a session (R26): named heaps of notes of one station, shared by the four
corners, kept on the control board. A cluster made at one corner remembers it (R60): on
that corner's board it shows at once, on the others only once it holds notes of theirs.

A note's cluster is a field of the note (``board``); a cluster here is only its definition.
Removing or merging a cluster never touches a note: ``resolve`` follows merges and drops removed
clusters when a note's cluster is read. Every edit records the one field it changed, so
``cluster.undo`` (per sender) restores that field and leaves others' later edits alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .protocol import (
    BoardOp,
    ClusterAdd,
    ClusterMerge,
    ClusterRemove,
    ClusterRename,
    ClusterUndo,
    ErrorCode,
)

MAX_CLUSTERS = 200
UNDO_DEPTH = 50
OPS = (ClusterAdd, ClusterRename, ClusterMerge, ClusterRemove, ClusterUndo)


@dataclass(slots=True)
class Cluster:
    station: str
    title: str = ""
    into: str | None = None  # merged into that cluster
    removed: bool = False
    # R60: the corner (instrument id) it was made at; None: over all four (the station view).
    corner: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"station": self.station, "title": self.title, "into": self.into,
                "removed": self.removed, "corner": self.corner}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cluster:
        into, corner = data.get("into"), data.get("corner")
        return cls(str(data["station"]), str(data.get("title", "")),
                   None if into is None else str(into), bool(data.get("removed", False)),
                   None if corner is None else str(corner))


# (cluster, field changed, its value before); field "" is an add, undone by deleting.
Step = tuple[str, str, Any]


@dataclass(slots=True)
class Clusters:
    records: dict[str, Cluster] = field(default_factory=dict)
    undo: dict[str, list[Step]] = field(default_factory=dict)

    def get(self, cluster: str) -> Cluster | None:
        return self.records.get(cluster)

    def __len__(self) -> int:
        return len(self.records)

    def resolve(self, cluster: str | None, zone: str | None = None) -> str | None:
        """The cluster a note really is in: merges followed, removed clusters are none, and
        with the note's ``zone`` a cluster of another station is none too (a note moved away
        before moving cleared its cluster, R26)."""
        seen = set()
        while cluster is not None and cluster not in seen:
            seen.add(cluster)
            record = self.records.get(cluster)
            if record is None or record.removed:
                return None
            if record.into is None:
                return cluster if zone is None or record.station == zone else None
            cluster = record.into
        return None

    def title(self, cluster: str) -> str:
        record = self.records.get(cluster)
        return (record.title or cluster) if record is not None else cluster

    # --- rules ------------------------------------------------------------------------------

    def check(self, op: BoardOp, participant: str | None) -> tuple[ErrorCode, str] | None:
        if isinstance(op, ClusterAdd):
            if op.cluster in self.records:
                return "unknown_cluster", f"cluster {op.cluster!r} already exists"
            if len(self.records) >= MAX_CLUSTERS:
                return "unknown_cluster", f"a session has at most {MAX_CLUSTERS} clusters"
            return None
        if isinstance(op, ClusterUndo):
            if participant is not None and not self.undo.get(participant):
                return "nothing_to_undo", "no cluster edit of yours to undo"
            return None
        assert isinstance(op, ClusterRename | ClusterMerge | ClusterRemove)
        record = self.records.get(op.cluster)
        if record is None or record.removed or record.into is not None:
            return "unknown_cluster", f"cluster {op.cluster!r} is not (or no longer) there"
        if isinstance(op, ClusterMerge):
            target = self.records.get(op.into)
            if (target is None or self.resolve(op.into) != op.into or op.into == op.cluster
                    or target.station != record.station):
                return "unknown_cluster", (f"cannot merge into {op.into!r}: not a cluster of "
                                           "the same station")
        return None

    def apply(self, op: BoardOp, participant: str) -> None:
        """Apply an op that passed ``check`` against this very state."""
        if isinstance(op, ClusterUndo):
            cid, name, before = self.undo[participant].pop()
            if name == "":
                self.records.pop(cid, None)  # undo of an add (its notes simply have none)
            elif cid in self.records:
                setattr(self.records[cid], name, before)
            return
        history = self.undo.setdefault(participant, [])
        if isinstance(op, ClusterAdd):
            self.records[op.cluster] = Cluster(op.station, op.title, corner=op.corner)
            history.append((op.cluster, "", None))
        else:
            assert isinstance(op, ClusterRename | ClusterMerge | ClusterRemove)
            name, value = (("title", op.title) if isinstance(op, ClusterRename)
                           else ("into", op.into) if isinstance(op, ClusterMerge)
                           else ("removed", True))
            record = self.records[op.cluster]
            history.append((op.cluster, name, getattr(record, name)))
            setattr(record, name, value)
        del history[:-UNDO_DEPTH]

    # --- as data ----------------------------------------------------------------------------

    def public(self) -> dict[str, dict[str, Any]]:
        return {cid: c.to_dict() for cid, c in self.records.items()}

    def undo_dict(self) -> dict[str, list[list[Any]]]:
        return {p: [[cid, name, before] for cid, name, before in steps]
                for p, steps in self.undo.items()}

    @classmethod
    def from_dicts(cls, records: dict[str, Any], undo: dict[str, Any]) -> Clusters:
        return cls({str(cid): Cluster.from_dict(c) for cid, c in records.items()},
                   {str(p): [(str(cid), str(name), before) for cid, name, before in steps]
                    for p, steps in undo.items()})
