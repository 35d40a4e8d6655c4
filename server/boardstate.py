"""What a board holds, and how it is written down: its notes, the parts of its instrument,
its mode, and — for the session's control board and the design team's workspace — their
state; as the dicts the store and the export keep, the state frames clients get, and the same
as JSON from each note's cached encoding (R44). The rules that change it are ``board``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import orjson

from . import control as controlboard
from . import decisions as triage
from .layouts.reflectietool import aggregates

Result = Literal["applied", "noop"]


@dataclass(frozen=True, slots=True)
class Outcome:
    result: Result
    reason: str | None = None


APPLIED = Outcome("applied")



@dataclass(slots=True)
class Note:
    id: str
    zone: str
    text: str
    color: str
    x: float
    y: float
    author: str
    author_name: str
    group: str
    round: int
    created_seq: int
    updated_seq: int
    created_ts: float
    updated_ts: float
    cluster: str | None = None  # a cluster of the session's control board (R26)
    hidden: bool = False  # hidden by a facilitator (R28)
    # R32: who last changed the text when that was not the author (shared editing).
    edited_by: str = ""
    edited_by_name: str = ""
    part: str | None = None  # the part of the corner's instrument it is about (R49)

    def to_dict(self) -> dict[str, Any]:
        # Written out: dataclasses.asdict deep-copies field by field and was the cost of
        # every snapshot and state frame (about 30 us a note).
        return {"id": self.id, "zone": self.zone, "text": self.text, "color": self.color,
                "x": self.x, "y": self.y, "author": self.author,
                "author_name": self.author_name, "group": self.group, "round": self.round,
                "created_seq": self.created_seq, "updated_seq": self.updated_seq,
                "created_ts": self.created_ts, "updated_ts": self.updated_ts,
                "cluster": self.cluster, "hidden": self.hidden,
                "edited_by": self.edited_by, "edited_by_name": self.edited_by_name,
                "part": self.part}


@dataclass(frozen=True, slots=True)
class Spec:
    """What a board's template allows: fixed from its session, never changed by ops."""

    layout: str = "stations"
    rows: tuple[str, ...] = ()  # matrix questions, in reading order
    levels: tuple[str, ...] = ()  # 8-tje levels
    flags: tuple[str, ...] = ()  # 8-tje failure modes
    aspects: tuple[str, ...] = ()  # reflectietool aspects
    scale: tuple[int, int] = (1, 5)
    corners: tuple[str, ...] = ()  # control board: the session's corners (instrument ids)
    groups: tuple[str, ...] = ()  # control board: the groups the template starts with
    round_s: int = 900  # control board: the length of a round
    parts: tuple[str, ...] = ()  # corner board: the instrument's parts a note may name (R49)


@dataclass(slots=True)
class Score:
    reflection: str
    participant: str
    name: str
    aspect: str
    score: int
    partner: str
    note: str
    seq: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


FIRST_REFLECTION = {"id": "r1", "title": "Reflectie 1", "ts": None}
# Cluster edits a participant can undo, per board (and on the control board).
UNDO_DEPTH = 50


@dataclass(slots=True)
class BoardState:
    """One board: its notes, the zones notes may live in, and the last applied seq.

    Working boards add the parts of their instrument: matrix columns, 8-tje partner names and
    flags, reflectietool scores.
    """

    board_id: str
    zones: tuple[str, ...]
    spec: Spec = field(default_factory=Spec)
    seq: int = 0
    notes: dict[str, Note] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    noops: OrderedDict[int, str] = field(default_factory=OrderedDict)
    columns: list[dict[str, str]] = field(default_factory=list)
    partners: dict[str, str] = field(default_factory=lambda: {"partner-a": "", "partner-b": ""})
    flags: set[tuple[str, str]] = field(default_factory=set)
    reflections: list[dict[str, Any]] = field(default_factory=lambda: [dict(FIRST_REFLECTION)])
    scores: dict[tuple[str, str, str], Score] = field(default_factory=dict)
    control: controlboard.Control | None = None
    decisions: triage.Decisions | None = None  # a board of the tweede ontwerpslag (R51)
    mode: str = "open"  # open | hidden (until reveal) | locked (R28)
    editing: str = "own"  # own | shared: whose notes a participant may change (R32)
    # Notes each participant added to this board, deleted ones included (R46 quotas).
    added_by: dict[str, int] = field(default_factory=dict)
    # Deleted notes as they were, so a facilitator can restore them (R28).
    trash: dict[str, Note] = field(default_factory=dict)
    # Per participant, their note.cluster moves as (note, cluster before): for undo (R26).
    undo: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    # R44: each note's JSON as last encoded and the seq it was encoded at (every change of a
    # note sets its updated_seq), so a snapshot or state frame of a big board encodes only the
    # notes that changed since the last one and joins the rest. Plain str -> int / bytes
    # dicts, which the garbage collector does not track, so they add nothing to its pauses.
    _frag_seq: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    _frags: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    # The same for the redacted copies of withheld notes (R28).
    _rfrag_seq: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    _rfrags: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.spec.layout == "control" and self.control is None:
            self.control = controlboard.Control.fresh(self.spec.corners, self.spec.groups,
                                                  self.spec.round_s)
        if self.spec.layout == triage.LAYOUT and self.decisions is None:
            self.decisions = triage.Decisions()

    def zone_ok(self, zone: str) -> bool:
        """A static zone, or a matrix cell ``<row>@<column>`` of an existing column."""
        if zone in self.zones:
            return True
        if self.spec.layout == "matrix" and "@" in zone:
            row, col = zone.split("@", 1)
            return row in self.spec.rows and any(c["id"] == col for c in self.columns)
        return False

    def _extras(self) -> dict[str, Any]:
        return {
            "layout": self.spec.layout,
            "mode": self.mode,
            "editing": self.editing,
            "columns": [dict(c) for c in self.columns],
            "partners": dict(self.partners),
            "flags": [{"flag": f, "level": lv} for f, lv in sorted(self.flags)],
            "reflections": [dict(r) for r in self.reflections],
            "scores": [sc.to_dict() for sc in self.scores.values()],
            **(self.decisions.public() if self.decisions is not None else {}),
        }

    def _bookkeeping(self) -> dict[str, Any]:
        """What only the stored state keeps beside the extras: undo of decisions."""
        if self.decisions is None:
            return {}
        return {"decision_undo": self.decisions.to_dict()["decision_undo"]}

    def outcome_of(self, seq: int) -> Outcome:
        """The recorded outcome of an already applied seq."""
        reason = self.noops.get(seq)
        return APPLIED if reason is None else Outcome("noop", reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "board": self.board_id,
            "zones": list(self.zones),
            "seq": self.seq,
            "notes": [n.to_dict() for n in self.notes.values()],
            "deleted": sorted(self.deleted),
            "noops": [[s, r] for s, r in self.noops.items()],
            **self._extras(),
            **self._bookkeeping(),
            **({"control": self.control.to_dict()} if self.control else {}),
            "trash": [n.to_dict() for n in self.trash.values()],
            "undo": {p: [list(u) for u in moves] for p, moves in self.undo.items()},
            "added_by": dict(self.added_by),
        }

    def public_dict(self) -> dict[str, Any]:
        """What clients get in a ``state`` frame: no bookkeeping, plus live aggregates."""
        return {
            "board": self.board_id,
            "zones": list(self.zones),
            "seq": self.seq,
            "notes": [n.to_dict() for n in self.notes.values()],
            **self._extras(),
            **({"control": self.control.public()} if self.control else {}),
            "trash": [n.to_dict() for n in self.trash.values()],  # facilitators only (R28)
            "aggregates": aggregates(self),
        }

    # --- the same dicts as JSON, from the notes' cached fragments (R44) ---------------------------

    def note_json(self, note: Note) -> bytes:
        """``orjson.dumps(note.to_dict())``, encoded again only after the note changed."""
        if self._frag_seq.get(note.id) == note.updated_seq:
            return self._frags[note.id]
        text = orjson.dumps(note.to_dict())
        self._frags[note.id] = text
        self._frag_seq[note.id] = note.updated_seq
        return text

    def _redacted_json(self, note: Note) -> bytes:
        if self._rfrag_seq.get(note.id) == note.updated_seq:
            return self._rfrags[note.id]
        text = orjson.dumps({**note.to_dict(), "text": "", "redacted": True})
        self._rfrags[note.id] = text
        self._rfrag_seq[note.id] = note.updated_seq
        return text

    def stale(self) -> list[Note]:
        """The notes (and deleted ones) whose JSON is not made yet or out of date: what a
        snapshot would encode. A caller can encode them a slice at a time (``note_json``)."""
        seqs = self._frag_seq
        self._prune()
        return [n for n in [*self.notes.values(), *self.trash.values()]
                if seqs.get(n.id) != n.updated_seq]

    def _prune(self) -> None:
        if len(self._frags) > len(self.notes) + len(self.trash) + 1000:
            live = self.notes.keys() | self.trash.keys()
            for cache in (self._frags, self._frag_seq, self._rfrags, self._rfrag_seq):
                for k in [k for k in cache if k not in live]:
                    del cache[k]

    def _notes_parts(self, out: list[bytes], notes: Any, redact_for: str | None = None) -> None:
        """Append ``[`` note, ``,`` note, … ``]`` to ``out``: the hot loop of a big board's
        snapshot, so the cache is read inline."""
        frags, seqs = self._frags, self._frag_seq
        out.append(b"[")
        first = True
        for note in notes:
            if not first:
                out.append(b",")
            first = False
            if redact_for is not None and note.author != redact_for and withheld(self, note):
                out.append(self._redacted_json(note))
                continue
            if seqs.get(note.id) == note.updated_seq:
                out.append(frags[note.id])
            else:
                out.append(self.note_json(note))
        out.append(b"]")

    def json_parts(self) -> list[bytes]:
        """``orjson.dumps(self.to_dict())`` in pieces (joined, they are the same bytes): taken
        at one seq without encoding unchanged notes, joined wherever that is cheapest."""
        head = orjson.dumps({"board": self.board_id, "zones": list(self.zones),
                             "seq": self.seq})
        middle = orjson.dumps({
            "deleted": sorted(self.deleted),
            "noops": [[s, r] for s, r in self.noops.items()],
            **self._extras(),
            **self._bookkeeping(),
            **({"control": self.control.to_dict()} if self.control else {}),
        })
        tail = orjson.dumps({
            "undo": {p: [list(u) for u in moves] for p, moves in self.undo.items()},
            "added_by": dict(self.added_by),
        })
        self._prune()
        out = [head[:-1], b',"notes":']
        self._notes_parts(out, self.notes.values())
        out += [b",", middle[1:-1], b',"trash":']
        self._notes_parts(out, self.trash.values())
        out += [b",", tail[1:]]
        return out

    def to_json(self) -> bytes:
        """``orjson.dumps(self.to_dict())``, byte for byte."""
        return b"".join(self.json_parts())

    def public_json(self, trash: bool = True, redact_for: str | None = None) -> bytes:
        """``orjson.dumps(self.public_dict())``; without the trash, or with the texts
        ``redact_for`` (a participant) may not read redacted, as ``visibility.redact_public``
        gives them."""
        head = orjson.dumps({"board": self.board_id, "zones": list(self.zones),
                             "seq": self.seq})
        extras = self._extras()
        aggs = aggregates(self)
        if redact_for is not None and scores_withheld(self):  # R62: own scores only
            extras["scores"] = [s for s in extras["scores"] if s["participant"] == redact_for]
            aggs = {}
        middle = orjson.dumps({
            **extras,
            **({"control": self.control.public()} if self.control else {}),
        })
        tail = orjson.dumps({"aggregates": aggs})
        out = [head[:-1], b',"notes":']
        self._notes_parts(out, self.notes.values(), redact_for)
        out += [b",", middle[1:-1], b',"trash":']
        if trash:
            self._notes_parts(out, self.trash.values())
        else:
            out.append(b"[]")
        out += [b",", tail[1:]]
        return b"".join(out)

    @classmethod
    def from_dict(cls, data: dict[str, Any], spec: Spec | None = None) -> BoardState:
        state = cls(board_id=data["board"], zones=tuple(data["zones"]), seq=int(data["seq"]),
                    spec=spec or Spec(layout=str(data.get("layout", "stations"))))
        for raw in data["notes"]:
            note = Note(**raw)
            state.notes[note.id] = note
        state.deleted = set(data.get("deleted", ()))
        state.mode = str(data.get("mode", "open"))
        state.editing = str(data.get("editing", "own"))
        state.added_by = {str(p): int(n) for p, n in data.get("added_by", {}).items()}
        for raw in data.get("trash", ()):
            note = Note(**raw)
            state.trash[note.id] = note
        state.undo = {p: [(str(n), c) for n, c in moves]
                      for p, moves in data.get("undo", {}).items()}
        state.noops = OrderedDict((int(s), str(r)) for s, r in data.get("noops", ()))
        state.columns = [dict(c) for c in data.get("columns", ())]
        state.partners.update(data.get("partners", {}))
        state.flags = {(f["flag"], f["level"]) for f in data.get("flags", ())}
        state.reflections = [dict(r) for r in data.get("reflections", [FIRST_REFLECTION])]
        for raw in data.get("scores", ()):
            sc = Score(**raw)
            state.scores[(sc.reflection, sc.participant, sc.aspect)] = sc
        if data.get("control") is not None:
            state.control = controlboard.Control.from_dict(data["control"])
        if state.spec.layout == triage.LAYOUT or data.get("decisions") is not None:
            state.decisions = triage.Decisions.from_dict(data)
        return state


def withheld(state: BoardState, note: Note) -> bool:
    """Whether this note's text is withheld from people other than its author (R28)."""
    return note.hidden or state.mode == "hidden"


def scores_withheld(state: BoardState) -> bool:
    """Whether the reflectietool's scores are withheld from everyone but their own scorer and
    facilitators, with every aggregate made of them (R62: hidden until reveal)."""
    return state.mode == "hidden" and state.spec.layout == "reflectietool"
