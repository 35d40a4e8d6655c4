"""A session at one moment, as one JSON document: for exports, archived snapshots and imports.

The document is lossless: the session record and, per board, the full state at one seq (the
same dict the store keeps as its compacted snapshot). Exports in other formats, the diff of two
snapshots and "restore as a new session" all start from it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping
from typing import Annotated, Any

import orjson
from pydantic import Field, TypeAdapter, ValidationError

from .board import BoardState
from .protocol import MAX_GROUPS, MAX_NAME, MAX_NOTE_TEXT, GroupName
from .rotation import Control
from .session import SessionRecord, new_code

# As POST /api/sessions keeps it.
MAX_SESSION_TITLE = 120
GROUP_NAMES: TypeAdapter[list[str]] = TypeAdapter(
    Annotated[list[GroupName], Field(min_length=1, max_length=MAX_GROUPS)])

FORMAT = "vierhoeken-export"
VERSION = 1
# Names of the snapshots the server takes by itself.
ROUND_END = "Einde ronde {n}"
CLOSED = "Sessie gesloten"


class ImportRefused(Exception):
    """The document cannot be imported; nothing was written. The message says why."""


Doc = dict[str, Any]


def board_ids(session: SessionRecord) -> list[str]:
    """The boards of a session in reading order, the control board last."""
    return [b.id for b in session.boards] + [session.control_id]


def document(session: SessionRecord, states: Mapping[str, BoardState],
             snapshot: Mapping[str, Any] | None = None, now: float | None = None) -> Doc:
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": round(time.time() if now is None else now, 3),
        "snapshot": dict(snapshot) if snapshot else None,
        "session": session.model_dump(mode="json"),
        "boards": [{"id": bid, "seq": states[bid].seq, "state": states[bid].to_dict()}
                   for bid in board_ids(session) if bid in states],
    }


def content_hash(doc: Doc) -> str:
    """SHA-256 of the content (session and boards), independent of when it was exported."""
    body = orjson.dumps({"session": doc["session"], "boards": doc["boards"]},
                        option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


def counts(doc: Doc) -> dict[str, Any]:
    per_board = {b["id"]: len(b["state"].get("notes", ())) for b in doc["boards"]}
    scores = sum(len(b["state"].get("scores", ())) for b in doc["boards"])
    return {"notes": sum(per_board.values()), "scores": scores, "boards": per_board}


def snapshot_meta(doc: Doc, name: str, reason: str, taken: float) -> dict[str, Any]:
    return {"name": name, "reason": reason, "taken": round(taken, 3), "hash": content_hash(doc),
            "counts": counts(doc), "seqs": {b["id"]: b["seq"] for b in doc["boards"]}}


def anonymise(doc: Doc) -> Doc:
    """The same document without who wrote what: names and participant ids go, groups stay."""
    out: Doc = orjson.loads(orjson.dumps(doc))
    aliases: dict[str, str] = {}

    def alias(pid: str) -> str:
        return aliases.setdefault(pid, f"deelnemer-{len(aliases) + 1}") if pid else ""

    for board in out["boards"]:
        state = board["state"]
        for note in [*state.get("notes", ()), *state.get("trash", ())]:
            note["author"], note["author_name"] = alias(note["author"]), ""
        for score in state.get("scores", ()):
            score["participant"], score["name"] = alias(score["participant"]), ""
        state["undo"] = {alias(p): moves for p, moves in state.get("undo", {}).items()}
        if "control" in state:
            ctl = state["control"]
            ctl["members"] = {}
            ctl["cluster_undo"] = {alias(p): m for p, m in ctl.get("cluster_undo", {}).items()}
            for vote in ctl.get("votes", {}).values():
                vote["casts"] = {alias(p): c for p, c in vote.get("casts", {}).items()}
                vote.pop("by", None)
    out["anonymous"] = True
    return out


# --- reading a document back -------------------------------------------------------------------


def parse(doc: Any) -> tuple[SessionRecord, dict[str, BoardState]]:
    """Check a document completely before anything is written (R24)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ImportRefused("not a vierhoeken export (field 'format' is missing or wrong)")
    if doc.get("version") != VERSION:
        raise ImportRefused(f"export version {doc.get('version')!r} is not supported; "
                            f"this server reads version {VERSION}")
    try:
        session = SessionRecord.model_validate(doc.get("session"))
    except ValidationError as exc:
        raise ImportRefused(f"session: {exc.errors()[0]['msg']}") from exc
    _check_limits(session)
    boards = doc.get("boards")
    if not isinstance(boards, list):
        raise ImportRefused("boards: expected a list")
    expected = board_ids(session)
    got = [b.get("id") if isinstance(b, dict) else None for b in boards]
    if sorted(map(str, got)) != sorted(expected):
        raise ImportRefused(f"boards {got} do not match the session's boards {expected}")
    states: dict[str, BoardState] = {}
    for raw in boards:
        bid = raw["id"]
        info = session.board(bid)
        assert info is not None
        try:
            state = BoardState.from_dict(raw["state"], info.spec())
        except (KeyError, TypeError, ValueError) as exc:
            raise ImportRefused(f"board {bid}: state is incomplete ({exc!r})") from exc
        if state.board_id != bid or state.seq != raw.get("seq"):
            raise ImportRefused(f"board {bid}: its state names board {state.board_id!r} "
                                f"at seq {state.seq}, the entry says {raw.get('seq')}")
        state.zones = tuple(info.zones)
        _check_references(bid, state)
        states[bid] = state
    return session, states


def _check_limits(session: SessionRecord) -> None:
    """An import is checked against the limits the protocol keeps on the wire (R11): what a
    client could never have typed does not come in by a file either."""
    if len(session.title) > MAX_SESSION_TITLE:
        raise ImportRefused(f"session: the title is longer than {MAX_SESSION_TITLE} characters")
    try:
        GROUP_NAMES.validate_python(session.groups)
    except ValidationError as exc:
        raise ImportRefused(f"session: group names: {exc.errors()[0]['msg']}") from exc


def _check_references(bid: str, state: BoardState) -> None:
    for note in state.notes.values():
        if len(note.text) > MAX_NOTE_TEXT or len(note.author_name) > MAX_NAME:
            raise ImportRefused(f"board {bid}: note {note.id!r} has a text over "
                                f"{MAX_NOTE_TEXT} or a name over {MAX_NAME} characters")
        if not state.zone_ok(note.zone):
            raise ImportRefused(f"board {bid}: note {note.id!r} is in zone {note.zone!r}, "
                                "which the board does not have")
    for sc in state.scores.values():
        if sc.aspect not in state.spec.aspects or not any(
                r["id"] == sc.reflection for r in state.reflections):
            raise ImportRefused(f"board {bid}: a score names aspect {sc.aspect!r} or "
                                f"reflection {sc.reflection!r}, which the board does not have")
    for flag, level in state.flags:
        if flag not in state.spec.flags or level not in state.spec.levels:
            raise ImportRefused(f"board {bid}: flag {flag!r} on level {level!r} is unknown")
    if state.control is not None:
        _check_control(bid, state.control, state.spec.corners)


def _check_control(bid: str, ctl: Control, corners: tuple[str, ...]) -> None:
    if tuple(ctl.corners) != corners:
        raise ImportRefused(f"board {bid}: corners {list(ctl.corners)} are not the session's")
    for i, assignment in enumerate(ctl.plan, start=1):
        for group, corner in assignment.items():
            if group not in ctl.groups or corner not in corners:
                raise ImportRefused(f"board {bid}: round {i} of the plan names {group!r} at "
                                    f"{corner!r}, which the session does not have")


def renamed(session: SessionRecord, states: Mapping[str, BoardState], title: str = ""
            ) -> tuple[SessionRecord, dict[str, BoardState]]:
    """The same content under a fresh session id and join code (restore as a new session)."""
    sid = secrets.token_hex(5)
    boards = [b.model_copy(update={"id": f"{sid}.{b.instrument}"}) for b in session.boards]
    fresh = session.model_copy(update={"id": sid, "code": new_code(), "boards": boards,
                                       "title": title or session.title,
                                       "created": time.time()})
    moved: dict[str, BoardState] = {}
    for old_id, new_id in zip(board_ids(session), board_ids(fresh), strict=True):
        if old_id in states:
            info = fresh.board(new_id)
            assert info is not None
            data = states[old_id].to_dict()
            data["board"] = new_id
            moved[new_id] = BoardState.from_dict(data, info.spec())
    return fresh, moved


# --- comparing two snapshots -------------------------------------------------------------------


def _notes_by_key(doc: Doc) -> dict[tuple[str, str], dict[str, Any]]:
    session = doc["session"]
    instrument = {b["id"]: b["instrument"] for b in session["boards"]}
    out = {}
    for board in doc["boards"]:
        inst = instrument.get(board["id"])
        if inst is None:
            continue
        for note in board["state"].get("notes", ()):
            out[(inst, note["id"])] = note
    return out


class Feedback:
    """A note's cluster (title, merges followed) and its dots, read from the control board."""

    def __init__(self, session: SessionRecord, states: Mapping[str, BoardState]) -> None:
        control = states.get(session.control_id)
        self.ctl = control.control if control is not None else None
        self.dots: dict[str, int] = {}
        for vote in (self.ctl.votes.values() if self.ctl else ()):
            for casts in vote["casts"].values():
                for key, n in casts.items():
                    self.dots[key] = self.dots.get(key, 0) + n

    def cluster(self, note: Any) -> str:
        if self.ctl is None:
            return ""
        cid = self.ctl.resolve(note.cluster)
        return "" if cid is None else str(self.ctl.clusters[cid]["title"] or cid)

    def votes(self, board_id: str, note: Any) -> int:
        return self.dots.get(f"{board_id}/{note.id}", 0)


def _feedback(doc: Doc) -> tuple[dict[str, str | None], dict[str, int]]:
    """Per ``<instrument>/<note>``: its cluster (None when in none) and its dots."""
    session, states = parse(doc)
    feedback = Feedback(session, states)
    clusters: dict[str, str | None] = {}
    dots: dict[str, int] = {}
    for info in session.boards:
        for note in states[info.id].notes.values():
            key = f"{info.instrument}/{note.id}"
            clusters[key] = feedback.cluster(note) or None
            dots[key] = feedback.votes(info.id, note)
    return clusters, dots


def diff(before: Doc, after: Doc) -> dict[str, list[dict[str, Any]]]:
    """What changed between two snapshots of one session, note by note (per instrument):
    notes added, removed, edited, moved (zone or cluster, merges followed) and dots changed."""
    a, b = _notes_by_key(before), _notes_by_key(after)
    (ca, va), (cb, vb) = _feedback(before), _feedback(after)
    out: dict[str, list[dict[str, Any]]] = {
        "added": [], "removed": [], "edited": [], "moved": [], "votes": []}
    for key in sorted(b.keys() - a.keys()):
        out["added"].append(_brief(key, b[key]))
    for key in sorted(a.keys() - b.keys()):
        out["removed"].append(_brief(key, a[key]))
    for key in sorted(a.keys() & b.keys()):
        old, new = a[key], b[key]
        if old["text"] != new["text"]:
            out["edited"].append({**_brief(key, new), "before": old["text"], "after": new["text"]})
        k = f"{key[0]}/{key[1]}"
        if old["zone"] != new["zone"] or ca.get(k) != cb.get(k):
            out["moved"].append({**_brief(key, new),
                                 "from": {"zone": old["zone"], "cluster": ca.get(k)},
                                 "to": {"zone": new["zone"], "cluster": cb.get(k)}})
        if va.get(k, 0) != vb.get(k, 0):
            out["votes"].append({**_brief(key, new), "before": va.get(k, 0),
                                 "after": vb.get(k, 0)})
    return out


def _brief(key: tuple[str, str], note: dict[str, Any]) -> dict[str, Any]:
    return {"instrument": key[0], "note": key[1], "zone": note["zone"], "text": note["text"]}
