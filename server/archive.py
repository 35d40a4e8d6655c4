"""A session at one moment, as one JSON document: for exports, archived snapshots and imports.

The document is lossless: the session record and, per board, the full state at one seq (the
same dict the store keeps as its compacted snapshot). Exports in other formats, the diff of two
snapshots and "restore as a new session" all start from it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import ValidationError

from .boardstate import BoardState
from .control import Control
from .schema import DOCUMENT, MATERIAL
from .session import BoardInfo, SessionRecord, new_session
from .templates import Catalog

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
            if note.get("edited_by"):
                note["edited_by"], note["edited_by_name"] = alias(note["edited_by"]), ""
        for score in state.get("scores", ()):
            score["participant"], score["name"] = alias(score["participant"]), ""
        state["undo"] = {alias(p): moves for p, moves in state.get("undo", {}).items()}
        state["added_by"] = {alias(p): n for p, n in state.get("added_by", {}).items()}
        if "control" in state:
            ctl = state["control"]
            ctl["members"] = {}
            ctl["removed"] = sorted(alias(p) for p in ctl.get("removed", ()))
            ctl["removed_at"] = {alias(p): n for p, n in ctl.get("removed_at", {}).items()}
            ctl["cluster_undo"] = {alias(p): m for p, m in ctl.get("cluster_undo", {}).items()}
            for vote in ctl.get("votes", {}).values():
                vote["casts"] = {alias(p): c for p, c in vote.get("casts", {}).items()}
                vote.pop("by", None)
    out["anonymous"] = True
    return out


def until_round(doc: Doc, n: int) -> Doc:
    """The document as it was for round ``n``: notes stamped with a later round left out
    (R53). Pure, for a worker process."""
    out: Doc = dict(doc)
    boards = []
    for board in doc["boards"]:
        state = dict(board["state"])
        for key in ("notes", "trash"):
            if key in state:
                state[key] = [note for note in state[key] if int(note.get("round", 0)) <= n]
        boards.append({**board, "state": state})
    out["boards"] = boards
    return out


def until_round_json(raw: bytes, n: int) -> bytes:
    return orjson.dumps(until_round(orjson.loads(raw), n))


# --- reading a document back -------------------------------------------------------------------

CONTROL = "control"


def load(doc: Doc) -> tuple[SessionRecord, dict[str, BoardState]]:
    """A document this server wrote itself (a snapshot, a live export), read back as it is."""
    session = SessionRecord.model_validate(doc["session"])
    states: dict[str, BoardState] = {}
    for raw in doc["boards"]:
        info = session.board(raw["id"])
        if info is not None:
            states[raw["id"]] = BoardState.from_dict(raw["state"], info.spec())
            states[raw["id"]].zones = tuple(info.zones)
    return session, states


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "document"


def parse(raw: Any, catalog: Catalog, now: float | None = None
          ) -> tuple[SessionRecord, dict[str, BoardState]]:
    """Check an uploaded document completely before anything is written (R24, R35).

    Nothing in it is believed as a reference: the session is made anew from its template
    (fresh id, join code and key; the boards derived from the id), and the document gives only
    the title, the groups, the round length and each board's content, every field held to the
    limits of the wire. Answers the new record and the states under its board ids; a document
    that does not fit is refused whole, naming the first field that does not.
    """
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ImportRefused("not a vierhoeken export (field 'format' is missing or wrong)")
    if raw.get("version") != VERSION:
        raise ImportRefused(f"export version {raw.get('version')!r} is not supported; "
                            f"this server reads version {VERSION}")
    try:
        doc = DOCUMENT.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        raise ImportRefused(f"{_where(first['loc'])}: {first['msg']}") from exc
    shape = doc.session
    try:
        fresh = new_session(catalog, shape.template, shape.title)
    except KeyError as exc:
        raise ImportRefused(f"session.template: no template {shape.template!r}") from exc
    fresh = fresh.model_copy(update={
        "groups": list(shape.groups), "round_minutes": shape.round_minutes,
        "created": time.time() if now is None else now})
    # Which entry is which board: by the instrument the document's session gives its id.
    part_of = {str(b.get("id")): str(b.get("instrument")) for b in shape.boards}
    part_of[f"{shape.id}.control"] = CONTROL
    wanted = {b.instrument: b for b in fresh.boards}
    states: dict[str, BoardState] = {}
    seen: set[str] = set()
    for i, entry in enumerate(doc.boards):
        ids = [n.id for n in entry.state.notes] + [n.id for n in entry.state.trash]
        if len(ids) != len(set(ids)):
            raise ImportRefused(f"boards.{i}.state.notes: a note id appears twice")
        part = part_of.get(entry.id)
        info = fresh.control() if part == CONTROL else wanted.get(part or "")
        if info is None or part in seen:
            raise ImportRefused(f"boards.{i}.id: {entry.id!r} is not (or twice) a board of a "
                                f"{shape.template!r} session")
        assert part is not None
        seen.add(part)
        state_raw = entry.state.model_dump(by_alias=True)
        if state_raw["layout"] != info.layout or entry.seq != entry.state.seq:
            raise ImportRefused(f"boards.{i}.state: a {state_raw['layout']} board at seq "
                                f"{entry.state.seq}, where a {info.layout} board at seq "
                                f"{entry.seq} belongs")
        state_raw["board"] = info.id
        try:
            state = BoardState.from_dict(state_raw, info.spec())
        except (KeyError, TypeError, ValueError) as exc:
            raise ImportRefused(f"boards.{i}.state: incomplete ({exc!r})") from exc
        state.zones = tuple(info.zones)
        _check_references(f"boards.{i}.state", state, fresh)
        states[info.id] = state
    missing = [b.id for b in [*fresh.boards, fresh.control()] if b.id not in states]
    if missing:
        raise ImportRefused(f"boards: the document has no board for {missing}")
    return fresh, states


def material_of(raw: Doc, session: SessionRecord) -> list[tuple[str, str, bytes]]:
    """The corners' material of a document (R50) as (corner, file name, the file): one per
    corner of ``session``, decoded; its kind is decided again by whoever stores it."""
    try:
        items = MATERIAL.validate_python(raw.get("material") or [])
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        raise ImportRefused(f"material.{_where(first['loc'])}: {first['msg']}") from exc
    corners = {b.instrument for b in session.boards}
    out: list[tuple[str, str, bytes]] = []
    for i, item in enumerate(items):
        if item.corner not in corners or any(c == item.corner for c, _, _ in out):
            raise ImportRefused(f"material.{i}.corner: {item.corner!r} is not (or twice) a "
                                "corner of this session")
        try:
            data = base64.b64decode(item.data, validate=True)
        except binascii.Error as exc:
            raise ImportRefused(f"material.{i}.data: not base64") from exc
        out.append((item.corner, item.filename, data))
    return out


def _check_references(where: str, state: BoardState, session: SessionRecord) -> None:
    ids = [n.id for n in state.notes.values()] + [n.id for n in state.trash.values()]
    if len(ids) != len(set(ids)) or len(state.notes) + len(state.trash) != len(ids):
        raise ImportRefused(f"{where}.notes: a note id appears twice")
    for note in [*state.notes.values(), *state.trash.values()]:
        if not state.zone_ok(note.zone):
            raise ImportRefused(f"{where}.notes: note {note.id!r} is in zone {note.zone!r}, "
                                "which the board does not have")
        if note.part is not None and note.part not in state.spec.parts:
            raise ImportRefused(f"{where}.notes: note {note.id!r} names part {note.part!r}, "
                                "which the corner's instrument does not have")
    for sc in state.scores.values():
        if sc.aspect not in state.spec.aspects or not any(
                r["id"] == sc.reflection for r in state.reflections):
            raise ImportRefused(f"{where}.scores: a score names aspect {sc.aspect!r} or "
                                f"reflection {sc.reflection!r}, which the board does not have")
    for flag, level in state.flags:
        if flag not in state.spec.flags or level not in state.spec.levels:
            raise ImportRefused(f"{where}.flags: flag {flag!r} on level {level!r} is unknown")
    if state.control is not None:
        _check_control(where, state.control, session)


def _check_control(where: str, ctl: Control, session: SessionRecord) -> None:
    corners = tuple(b.instrument for b in session.boards)
    if tuple(ctl.corners) != corners:
        raise ImportRefused(f"{where}.control.corners: {list(ctl.corners)} are not the "
                            "session's")
    for i, assignment in enumerate(ctl.plan, start=1):
        for group, corner in assignment.items():
            if group not in ctl.groups or corner not in corners:
                raise ImportRefused(f"{where}.control.plan: round {i} names {group!r} at "
                                    f"{corner!r}, which the session does not have")
    stations = {s.id for s in session.stations}
    boards = {b.id: b for b in session.boards}
    for cid, cluster in ctl.clusters.records.items():
        if cluster.station not in stations or (
                cluster.into is not None and cluster.into not in ctl.clusters.records):
            raise ImportRefused(f"{where}.control.clusters.{cid}: names a station or cluster "
                                "the session does not have")
    for vid, vote in ctl.votes.records.items():
        vote.rename_boards(lambda board: _renamed_board(board, boards))
        if vote.board is None and vote.station is not None and vote.station not in stations:
            raise ImportRefused(f"{where}.control.votes.{vid}: names an unknown station")


def _renamed_board(old: str, boards: Mapping[str, BoardInfo]) -> str:
    """A board id of the document, as the new session's board of the same instrument."""
    instrument = old.rsplit(".", 1)[-1]
    return next((b.id for b in boards.values() if b.instrument == instrument), old)


def with_ids(states: Mapping[str, BoardState], before: SessionRecord, after: SessionRecord
             ) -> dict[str, BoardState]:
    """The states of ``before``'s boards under ``after``'s board ids (same instruments)."""
    out: dict[str, BoardState] = {}
    for old_id, new_id in zip(board_ids(before), board_ids(after), strict=True):
        if old_id in states:
            state = states[old_id]
            state.board_id = new_id
            if state.control is not None:
                for vote in state.control.votes.values():
                    vote.rename_boards(lambda board: _swap(board, before, after) or board)
            out[new_id] = state
    return out


def _swap(board: str | None, before: SessionRecord, after: SessionRecord) -> str | None:
    if board is None:
        return None
    for old, new in zip(before.boards, after.boards, strict=True):
        if board == old.id:
            return new.id
    return board


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
        self.dots: dict[str, int] = self.ctl.votes.dots() if self.ctl else {}

    def cluster(self, note: Any) -> str:
        if self.ctl is None:
            return ""
        cid = self.ctl.resolve(note.cluster, note.zone)
        return "" if cid is None else self.ctl.clusters.title(cid)

    def votes(self, board_id: str, note: Any) -> int:
        return self.dots.get(f"{board_id}/{note.id}", 0)


def _feedback(doc: Doc) -> tuple[dict[str, str | None], dict[str, int]]:
    """Per ``<instrument>/<note>``: its cluster (None when in none) and its dots."""
    session, states = load(doc)
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
    notes added, removed, edited, moved to another station, put in (or out of) a cluster
    (merges followed) and dots changed."""
    a, b = _notes_by_key(before), _notes_by_key(after)
    (ca, va), (cb, vb) = _feedback(before), _feedback(after)
    out: dict[str, list[dict[str, Any]]] = {
        "added": [], "removed": [], "edited": [], "moved": [], "clustered": [], "votes": []}
    for key in sorted(b.keys() - a.keys()):
        out["added"].append(_brief(key, b[key]))
    for key in sorted(a.keys() - b.keys()):
        out["removed"].append(_brief(key, a[key]))
    for key in sorted(a.keys() & b.keys()):
        old, new = a[key], b[key]
        if old["text"] != new["text"]:
            out["edited"].append({**_brief(key, new), "before": old["text"], "after": new["text"]})
        k = f"{key[0]}/{key[1]}"
        if old["zone"] != new["zone"]:
            out["moved"].append({**_brief(key, new),
                                 "from": {"zone": old["zone"], "cluster": ca.get(k)},
                                 "to": {"zone": new["zone"], "cluster": cb.get(k)}})
        elif ca.get(k) != cb.get(k):
            # Put in a cluster, taken out, or its cluster merged: a cluster change, not a
            # move from a station to the same station.
            out["clustered"].append({**_brief(key, new), "from": ca.get(k), "to": cb.get(k)})
        if va.get(k, 0) != vb.get(k, 0):
            out["votes"].append({**_brief(key, new), "before": va.get(k, 0),
                                 "after": vb.get(k, 0)})
    return out


def _brief(key: tuple[str, str], note: dict[str, Any]) -> dict[str, Any]:
    return {"instrument": key[0], "note": key[1], "zone": note["zone"], "text": note["text"]}
