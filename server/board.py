"""Board state and its rules: plain synchronous code, no I/O.

``apply(state, entry)`` is deterministic and total. Every process that applies the same log in
the same order reaches the same state; an op that no longer fits (its note was deleted meanwhile)
becomes a recorded no-op, never an exception (R10). ``check`` is the stricter gate run before an
op is stored: it turns ops that never could fit into typed errors (R12).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import orjson

from . import control as controlboard
from . import decisions as triage
from . import layouts
from .layouts import reflectietool
from .protocol import (
    BOARD_OP,
    CONTROL_KINDS,
    BoardEditing,
    BoardModeSet,
    BoardOp,
    ClusterUndo,
    ErrorCode,
    NoteAdd,
    NoteCluster,
    NoteColor,
    NoteDelete,
    NoteEdit,
    NoteHide,
    NoteMove,
    NotePin,
    NoteRestore,
)

log = logging.getLogger("vierhoeken.board")

Result = Literal["applied", "noop"]
# How many no-op reasons a board remembers, so a retried op id gets its first answer (R5).
NOOP_MEMORY = 2000


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made an op, as stamped by the server (never taken from the op itself)."""

    participant: str
    name: str = ""
    group: str = ""
    role: str = "participant"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Entry:
    """One op of a board's log with everything the server stamped on it."""

    seq: int
    op_id: str
    ts: float
    actor: Actor
    round: int
    op: BoardOp

    def payload(self) -> dict[str, Any]:
        """The stored form, without ``seq`` (the store assigns it)."""
        return {
            "id": self.op_id,
            "ts": self.ts,
            "actor": self.actor.to_dict(),
            "round": self.round,
            "op": self.op.model_dump(mode="json"),
        }

    @classmethod
    def from_payload(cls, seq: int, data: dict[str, Any]) -> Entry:
        actor = data.get("actor") or {}
        return cls(
            seq=seq,
            op_id=str(data["id"]),
            ts=float(data["ts"]),
            actor=Actor(
                participant=str(actor.get("participant", "")),
                name=str(actor.get("name", "")),
                group=str(actor.get("group", "")),
                role=str(actor.get("role", "participant")),
            ),
            round=int(data.get("round", 0)),
            op=BOARD_OP.validate_python(data["op"]),
        )


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
        middle = orjson.dumps({
            **self._extras(),
            **({"control": self.control.public()} if self.control else {}),
        })
        tail = orjson.dumps({"aggregates": aggregates(self)})
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


def check(state: BoardState, op: BoardOp, actor: Actor | None = None
          ) -> tuple[ErrorCode, str] | None:
    """Reject, before it is stored, an op that could never fit this board (R12).

    Ops on a note that existed but was deleted pass: they are stored and become no-ops (R10),
    because a client that raced a delete did nothing wrong. With the sender's ``actor`` the
    board's mode and the sender's undo history are checked too.
    """
    if actor is not None and _locked_for(state, actor):
        return "board_locked", "this board is locked: only a facilitator may change it"
    if isinstance(op, NoteAdd):
        if op.note in state.notes or op.note in state.deleted:
            return "duplicate_note", f"note {op.note!r} already exists on this board"
        if not state.zone_ok(op.zone):
            return "unknown_zone", f"zone {op.zone!r} is not part of this board"
        return _part_error(state, op.part)
    if isinstance(op, NotePin) and _part_error(state, op.part):
        return _part_error(state, op.part)
    if isinstance(op, NoteEdit | NoteColor | NoteMove | NotePin | NoteDelete | NoteCluster
                  | NoteHide):
        if op.note not in state.notes and op.note not in state.deleted:
            return "unknown_note", f"note {op.note!r} is not on this board"
        if isinstance(op, NoteMove) and op.zone is not None and not state.zone_ok(op.zone):
            return "unknown_zone", f"zone {op.zone!r} is not part of this board"
        note = state.notes.get(op.note)
        if actor is not None and note is not None:
            refused = touch_refused(state, actor, note)
            if refused is not None:
                return refused, TOUCH_REASONS[refused]
        return None
    if isinstance(op, NoteRestore | BoardModeSet | BoardEditing) and state.control is not None:
        return "wrong_layout", f"{op.kind} belongs on a board with notes"
    if isinstance(op, NoteRestore):
        if op.note not in state.trash:
            return "unknown_note", f"note {op.note!r} is not among the deleted notes"
        return None
    if isinstance(op, BoardModeSet | BoardEditing):
        return None
    if isinstance(op, ClusterUndo) and state.control is None:
        if actor is not None and not state.undo.get(actor.participant):
            return "nothing_to_undo", "no cluster move of yours on this board to undo"
        return None
    return _check_instrument(state, op, actor)


def _part_error(state: BoardState, part: str | None) -> tuple[ErrorCode, str] | None:
    if part is None or part in state.spec.parts:
        return None
    return "unknown_part", f"{part!r} is not a part of this corner's instrument"


TOUCH_REASONS: dict[ErrorCode, str] = {
    "not_yours": "only its author or a facilitator may change this note",
    "note_hidden": "this note's text is withheld from you, so you cannot change it",
}


def withheld(state: BoardState, note: Note) -> bool:
    """Whether this note's text is withheld from people other than its author (R28)."""
    return note.hidden or state.mode == "hidden"


def touch_refused(state: BoardState, actor: Actor, note: Note) -> ErrorCode | None:
    """R32: a participant changes their own notes; on a board set to shared editing also the
    notes of others they can read. A facilitator changes any note."""
    if actor.role == "facilitator" or note.author == actor.participant:
        return None
    if withheld(state, note):
        return "note_hidden"
    if state.editing != "shared":
        return "not_yours"
    return None


def _locked_for(state: BoardState, actor: Actor) -> bool:
    return state.mode == "locked" and actor.role != "facilitator" and state.control is None


def belongs(state: BoardState, op: BoardOp) -> bool:
    """Whether the op is declared for this kind of board (R17, ``protocol.Op.boards``)."""
    kind = "control" if state.control is not None else state.spec.layout
    return kind in op.boards or ("notes" in op.boards and kind != "control")


def _check_instrument(state: BoardState, op: BoardOp, actor: Actor | None = None
                      ) -> tuple[ErrorCode, str] | None:
    if not belongs(state, op) or (op.kind in CONTROL_KINDS and state.control is None):
        where = " or ".join(sorted(op.boards))
        return "wrong_layout", f"{op.kind} belongs on a {where} board, this is {state.spec.layout}"
    layout = layouts.of(state)
    return layout.check(state, op, actor) if layout is not None else None


def apply(state: BoardState, entry: Entry) -> Outcome:
    """Apply one log entry in place. Total: every input gives an outcome (R10); a rule that
    fails on a state it did not expect (say, from a damaged file) is a recorded no-op too."""
    try:
        outcome = _apply(state, entry)
    except Exception:
        log.exception("board %s: seq %d could not be applied", state.board_id, entry.seq)
        outcome = Outcome("noop", "apply_failed")
    state.seq = entry.seq
    if outcome.result == "noop":
        state.noops[entry.seq] = outcome.reason or "noop"
        while len(state.noops) > NOOP_MEMORY:
            state.noops.popitem(last=False)
    return outcome


def _apply(state: BoardState, entry: Entry) -> Outcome:
    op = entry.op
    if _locked_for(state, entry.actor):
        return Outcome("noop", "board_locked")  # locked after this op passed its check
    if (isinstance(op, NoteRestore | BoardModeSet | BoardEditing | ClusterUndo)
            and state.control is None):
        return _apply_moderation(state, entry, op)
    if not isinstance(op, NoteAdd | NoteEdit | NoteColor | NoteMove | NotePin | NoteDelete
                      | NoteCluster | NoteHide):
        error = _check_instrument(state, op, entry.actor)
        if error is not None:
            return Outcome("noop", error[0])
        _apply_instrument(state, entry, op)
        return APPLIED
    if isinstance(op, NoteAdd):
        if op.note in state.notes or op.note in state.deleted:
            return Outcome("noop", "note_exists")
        if not state.zone_ok(op.zone):
            return Outcome("noop", "unknown_zone")
        if _part_error(state, op.part):
            return Outcome("noop", "unknown_part")
        state.notes[op.note] = Note(
            id=op.note,
            zone=op.zone,
            text=op.text,
            color=op.color,
            x=op.x,
            y=op.y,
            author=entry.actor.participant,
            author_name=entry.actor.name,
            group=entry.actor.group,
            round=entry.round,
            created_seq=entry.seq,
            updated_seq=entry.seq,
            created_ts=entry.ts,
            updated_ts=entry.ts,
            part=op.part,
        )
        author = entry.actor.participant
        state.added_by[author] = state.added_by.get(author, 0) + 1
        return APPLIED
    note = state.notes.get(op.note)
    if note is None:
        return Outcome("noop", "note_deleted" if op.note in state.deleted else "unknown_note")
    refused = touch_refused(state, entry.actor, note)
    if refused is not None:
        return Outcome("noop", refused)  # the board's editing or mode changed since the check
    if isinstance(op, NoteEdit):
        note.text = op.text
        if entry.actor.participant != note.author:
            note.edited_by, note.edited_by_name = entry.actor.participant, entry.actor.name
    elif isinstance(op, NoteColor):
        note.color = op.color
    elif isinstance(op, NoteMove):
        if op.zone is not None:
            if not state.zone_ok(op.zone):
                return Outcome("noop", "unknown_zone")
            if op.zone != note.zone:
                # A cluster belongs to one station (R26): a note moved to another one leaves it.
                note.cluster = None
            note.zone = op.zone
        note.x, note.y = op.x, op.y
    elif isinstance(op, NotePin):
        if _part_error(state, op.part):
            return Outcome("noop", "unknown_part")
        note.part = op.part
    elif isinstance(op, NoteDelete):
        state.trash[op.note] = state.notes.pop(op.note)
        state.deleted.add(op.note)
        return APPLIED
    elif isinstance(op, NoteCluster):
        moves = state.undo.setdefault(entry.actor.participant, [])
        moves.append((note.id, note.cluster))
        del moves[:-UNDO_DEPTH]
        note.cluster = op.cluster
    elif isinstance(op, NoteHide):
        note.hidden = op.hidden
    note.updated_seq = entry.seq
    note.updated_ts = entry.ts
    return APPLIED


def _apply_moderation(state: BoardState, entry: Entry,
                      op: NoteRestore | BoardModeSet | BoardEditing | ClusterUndo) -> Outcome:
    if isinstance(op, BoardModeSet):
        state.mode = op.mode
        return APPLIED
    if isinstance(op, BoardEditing):
        state.editing = op.editing
        return APPLIED
    if isinstance(op, NoteRestore):
        note = state.trash.pop(op.note, None)
        if note is None:
            return Outcome("noop", "unknown_note")
        state.deleted.discard(op.note)
        state.notes[op.note] = note
        note.updated_seq, note.updated_ts = entry.seq, entry.ts
        return APPLIED
    # cluster.undo: the sender's last note.cluster whose note is still there goes back
    moves = state.undo.get(entry.actor.participant, [])
    while moves:
        note_id, before = moves.pop()
        target = state.notes.get(note_id)
        if target is not None:
            target.cluster = before
            target.updated_seq, target.updated_ts = entry.seq, entry.ts
            return APPLIED
    return Outcome("noop", "nothing_to_undo")


def _apply_instrument(state: BoardState, entry: Entry, op: BoardOp) -> None:
    """Instrument ops that passed ``_check_instrument`` against this very state."""
    layout = layouts.of(state)
    if layout is not None:
        layout.apply(state, entry, op)


def aggregates(state: BoardState) -> dict[str, dict[str, dict[str, Any]]]:
    """The reflectietool's aggregates (R18); nothing for other layouts."""
    return reflectietool.aggregates(state)
