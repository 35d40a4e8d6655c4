"""The heavy, pure work of the archive, as the worker processes run it (R44).

Each function takes the document as JSON bytes (or text) and gives back text or small values:
what crosses between processes is pickled, and bytes cost a copy where a tree of dicts would
cost a walk. Everything here is deterministic and does no I/O, so it runs the same in a worker
(``offload``), in a thread, or inline for small documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from . import archive, export, material, votes
from .session import SessionRecord
from .templates import catalog

Raw = bytes | str


def load(raw: Raw, verify: bool = False) -> archive.Doc:
    """A document from its JSON; with ``verify``, a frozen snapshot whose hash must match."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise archive.ImportRefused("not JSON") from exc
    if verify:
        frozen = (doc.get("snapshot") or {}).get("hash") if isinstance(doc, dict) else None
        if frozen != archive.content_hash(doc):
            raise archive.ImportRefused("the snapshot does not match its recorded hash")
    return dict(doc) if isinstance(doc, dict) else {"format": None}


@dataclass(frozen=True, slots=True)
class Prepared:
    """A checked import, ready to write: the session record and each board's stored state."""

    session: str  # SessionRecord as JSON
    # (board id, seq, the file its state's JSON was written to)
    boards: list[tuple[str, int, str]]
    # The corners' material, checked and rendered again (R50)
    material: list[material.Spilled] = field(default_factory=list)


def prepare_import(source: Path, spill: Path, now: float, verify: bool = False,
                   into: str | None = None) -> Prepared:
    """Check the document in ``source`` whole (R35) and write each board's state, as the store
    keeps it, into a file in ``spill``. The session gets the fresh ids ``archive.parse`` made,
    or those of ``into`` (a record as JSON).

    Files, not arguments: tens of MiB pickled to or from a worker are copied in one step that
    holds the caller's interpreter lock; a file is read in slices by a thread."""
    doc = load(source.read_bytes(), verify)
    session, states = archive.parse(doc, catalog(), now=now)
    files = []
    for corner, name, data in archive.material_of(doc, session):
        try:
            files.append(material.spill(corner, name, data, spill))
        except material.MaterialRefused as exc:
            raise archive.ImportRefused(f"material {corner!r}: {exc}") from exc
    del doc
    if into is not None:
        target = SessionRecord.model_validate_json(into)
        states = archive.with_ids(states, session, target)
        session = target
    boards = []
    for i, (bid, state) in enumerate(states.items()):
        path = spill / f"board-{i}.json"
        path.write_bytes(state.to_json())
        boards.append((bid, state.seq, str(path)))
    return Prepared(session.model_dump_json(), boards, files)


def _docs(raws: list[Raw], anonymous: bool, verify: bool) -> list[archive.Doc]:
    docs = [load(raw, verify) for raw in raws]
    return [archive.anonymise(doc) for doc in docs] if anonymous else docs


def render(raws: list[Raw], fmt: str, anonymous: bool = False, verify: bool = False,
           tz: str = export.TZ, semicolon: bool = False) -> str:
    """An export (one document) or a report (several) in ``fmt``: json, csv, md or html, its
    times in ``tz``; a CSV with ``;`` between cells on request (R48)."""
    docs = _docs(raws, anonymous, verify)
    if fmt == "json":
        if len(docs) != 1:
            raise ValueError("a JSON export holds one session")
        return orjson.dumps(docs[0], option=orjson.OPT_INDENT_2).decode()
    if fmt == "csv":
        return export.to_csv(docs, tz=tz, semicolon=semicolon)
    if fmt == "md":
        return export.to_markdown(docs, tz=tz)
    return export.to_html(docs, tz=tz)


def render_xlsx(raws: list[Raw], anonymous: bool = False, verify: bool = False,
                tz: str = export.TZ) -> bytes:
    """The same as a workbook: a sheet per station (R48)."""
    return export.to_xlsx(_docs(raws, anonymous, verify), tz=tz)


def frozen(raw: Raw, name: str, reason: str, taken: float) -> tuple[str, str]:
    """A snapshot of a document under ``name``: (its meta, the frozen document), as JSON."""
    doc = load(raw)
    meta = archive.snapshot_meta(doc, name, reason, taken)
    frozen_doc = dict(doc, snapshot={k: meta[k] for k in ("name", "reason", "taken", "hash")})
    return orjson.dumps(meta).decode(), orjson.dumps(frozen_doc).decode()


def diff(before: Raw, after: Raw, verify_after: bool) -> dict[str, list[dict[str, Any]]]:
    return archive.diff(load(before, True), load(after, verify_after))


def public_snapshot(raw: Raw) -> bytes:
    """A frozen snapshot as a facilitator's page reads it: without bookkeeping (members,
    undo histories, no-ops) and with each vote's totals instead of its casts."""
    doc = load(raw, True)
    public = dict(doc, boards=[{**b, "state": _public_state(b["state"])} for b in doc["boards"]])
    return orjson.dumps(public)


def _public_state(state: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in state.items() if k not in ("noops", "deleted")}
    if "control" in out:
        ctl = {k: v for k, v in out["control"].items() if k not in ("members", "cluster_undo")}
        ctl["votes"] = {vid: votes.public_of(v) for vid, v in ctl.get("votes", {}).items()}
        out["control"] = ctl
    out.pop("undo", None)
    return out
