"""Exports of session documents (see ``archive``) that people open in a spreadsheet: CSV and
XLSX, one row per note; and the outline that the readable report (``report``) is made from.

Every cell that a spreadsheet would take for a formula is made inert (R25). Column headers are
Dutch; times are local (``TIMEZONE``, Europe/Amsterdam by default). Several documents (the
morning and the afternoon session) merge into one report per instrument × station, grouped by
cluster (with their votes) or by the part of the instrument the notes point at (R49).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from . import archive, report, sheets
from .board import aggregates
from .boardstate import BoardState, Note
from .session import SessionRecord
from .templates import Catalog, catalog

TZ = "Europe/Amsterdam"
Grouping = Literal["cluster", "part"]

# One row per note: (key, Dutch header). The keys are what the code and tests read.
COLUMNS: list[tuple[str, str]] = [
    ("session", "Sessie-id"), ("session_title", "Sessie"), ("snapshot", "Snapshot"),
    ("instrument", "Instrument"), ("board", "Bord"), ("zone", "Station-id"),
    ("zone_title", "Station"), ("part", "Onderdeel"), ("cluster", "Cluster"),
    ("votes", "Stemmen"), ("group", "Groep"), ("round", "Ronde"), ("author", "Auteur-id"),
    ("author_name", "Auteur"), ("created", "Geschreven"), ("updated", "Gewijzigd"),
    ("color", "Kleur"), ("note", "Notitie-id"), ("text", "Tekst"),
]
HEADERS = [h for _, h in COLUMNS]


# --- one outline for every format --------------------------------------------------------------


@dataclass
class Item:
    text: str
    group: str
    round: int
    author: str
    session: str
    votes: int = 0
    cluster: str = ""
    score: str = ""  # reflectietool: "4 (partner A)" for a score's note
    part: str = ""  # the title of the instrument's part the note points at (R49)
    seq: int = 0


@dataclass
class Heap:
    """Notes of one station that belong together: a cluster (or a part), with its votes."""

    title: str  # "" for the notes in none
    items: list[Item] = field(default_factory=list)

    @property
    def votes(self) -> int:
        return sum(i.votes for i in self.items)


@dataclass
class Part:
    """A station, or an anchor of a working board, with its notes in heaps."""

    title: str
    items: list[Item] = field(default_factory=list)
    heaps: list[Heap] = field(default_factory=list)


@dataclass
class Corner:
    instrument: str
    title: str
    parts: list[Part] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)  # partner names, raised flags
    # reflectietool: aspect titles and per reflection the mean per aspect (all, per partner)
    aspects: list[str] = field(default_factory=list)
    radar: list[tuple[str, dict[str, list[float | None]]]] = field(default_factory=list)
    tables: list[tuple[str, list[list[str]]]] = field(default_factory=list)


def _titles(cat: Catalog, instrument: str) -> dict[str, str]:
    inst = cat.instruments.get(instrument)
    return {} if inst is None else {i.id: i.title for s in inst.sections for i in s.items}


def zone_title(session: SessionRecord, state: BoardState, zone: str, cat: Catalog) -> str:
    stations = {s.id: s.title for s in session.stations}
    if zone in stations:
        return stations[zone]
    info = session.board(state.board_id)
    titles = _titles(cat, info.instrument if info else "")
    if "@" in zone:
        left, right = zone.split("@", 1)
        cols = {c["id"]: c["title"] for c in state.columns}
        partners = {k: v for k, v in state.partners.items() if v}
        right_title = cols.get(right) or partners.get(right) or titles.get(right, right)
        return f"{titles.get(left, left)} × {right_title}"
    return titles.get(zone, zone)


def part_title(session: SessionRecord, state: BoardState, note: Note, cat: Catalog) -> str:
    if note.part is None:
        return ""
    info = session.board(state.board_id)
    return _titles(cat, info.instrument if info else "").get(note.part, note.part)


def zone_order(session: SessionRecord, state: BoardState) -> list[str]:
    """Zones in reading order: matrix rows each followed by their cells left to right."""
    info = session.board(state.board_id)
    zones = list(info.zones) if info else list(state.zones)
    if state.spec.layout == "matrix":
        return [z for row in state.spec.rows
                for z in [row, *(f"{row}@{c['id']}" for c in state.columns)]]
    return zones


def outline(docs: Sequence[archive.Doc], cat: Catalog | None = None,
            group: Grouping = "cluster") -> list[Corner]:
    """Per instrument (in corner order) and per station or anchor, the notes of all documents,
    in heaps: per cluster (most votes first) or per part of the instrument; the rest last."""
    cat = cat or catalog()
    corners: dict[str, Corner] = {}
    many = len(docs) > 1
    for doc in docs:
        session, states = archive.load(doc)
        label = session.title if many else ""
        feedback = archive.Feedback(session, states)
        for info in session.boards:
            state = states[info.id]
            corner = corners.setdefault(info.instrument, Corner(info.instrument, info.title))
            parts = {p.title: p for p in corner.parts}
            by_zone: dict[str, list[Note]] = {}
            for note in state.notes.values():
                by_zone.setdefault(note.zone, []).append(note)
            for zone in zone_order(session, state):
                title = zone_title(session, state, zone, cat)
                part = parts.get(title)
                if part is None:
                    part = parts[title] = Part(title)
                    corner.parts.append(part)
                for n in sorted(by_zone.get(zone, ()), key=lambda n: n.created_seq):
                    part.items.append(Item(n.text, n.group, n.round, n.author_name, label,
                                           feedback.votes(info.id, n), feedback.cluster(n),
                                           part=part_title(session, state, n, cat),
                                           seq=n.created_seq))
                for sc in sorted(state.scores.values(), key=lambda sc: sc.seq):
                    if sc.aspect == zone and sc.note:
                        who = {"partner-a": " (partner A)", "partner-b": " (partner B)"}
                        part.items.append(Item(sc.note, "", 0, sc.name, label,
                                               score=f"{sc.score}{who.get(sc.partner, '')}"))
            _instrument_facts(corner, session, state, cat, label)
    for corner in corners.values():
        for part in corner.parts:
            part.heaps = _heaps(part.items, group)
    return list(corners.values())


def _heaps(items: list[Item], group: Grouping) -> list[Heap]:
    heaps: dict[str, Heap] = {}
    for item in items:
        key = item.cluster if group == "cluster" else item.part
        heaps.setdefault(key, Heap(key)).items.append(item)
    for heap in heaps.values():
        heap.items.sort(key=lambda i: -i.votes)  # stable: reading order among equals
    named = sorted((h for h in heaps.values() if h.title),
                   key=lambda h: (-h.votes, h.title.casefold()))
    return named + [h for h in heaps.values() if not h.title]


def _instrument_facts(corner: Corner, session: SessionRecord, state: BoardState, cat: Catalog,
                      label: str) -> None:
    titles = _titles(cat, corner.instrument)
    prefix = f"{label}: " if label else ""
    if state.spec.layout == "achtje":
        for key, name in sorted(state.partners.items()):
            if name:
                corner.facts.append(f"{prefix}{titles.get(key, key)}: {name}")
        for flag, level in sorted(state.flags):
            corner.facts.append(f"{prefix}⚑ {titles.get(flag, flag)} — {titles.get(level, level)}")
    if state.spec.layout == "reflectietool":
        corner.aspects = [titles.get(a, a) for a in state.spec.aspects]
        agg = aggregates(state)
        for refl in state.reflections:
            per_aspect = agg.get(refl["id"], {})
            series: dict[str, list[float | None]] = {}
            rows = []
            for who in ("all", "partner-a", "partner-b"):
                series[who] = [per_aspect.get(a, {}).get(who, {}).get("mean")
                               for a in state.spec.aspects]
            for aspect, title in zip(state.spec.aspects, corner.aspects, strict=True):
                s = per_aspect.get(aspect, {}).get("all", {})
                rows.append([title, str(s.get("n", 0)), _num(s.get("mean")), _num(s.get("sd"))])
            name = f"{prefix}{refl['title']}"
            corner.radar.append((name, series))
            corner.tables.append((name, rows))


def _num(value: Any) -> str:
    return "–" if value is None else f"{value:.2f}".replace(".", ",")


# --- rows for spreadsheets ---------------------------------------------------------------------


def rows(docs: Sequence[archive.Doc], tz: str = TZ, cat: Catalog | None = None
         ) -> list[dict[str, Any]]:
    """One dict per note (keys of ``COLUMNS``), in reading order."""
    cat = cat or catalog()
    out: list[dict[str, Any]] = []
    for doc in docs:
        session, states = archive.load(doc)
        snap = (doc.get("snapshot") or {}).get("name", "")
        feedback = archive.Feedback(session, states)
        for info in session.boards:
            state = states[info.id]
            order = {z: i for i, z in enumerate(zone_order(session, state))}
            for n in sorted(state.notes.values(),
                            key=lambda n: (order.get(n.zone, len(order)), n.created_seq)):
                out.append({
                    "session": session.id, "session_title": session.title, "snapshot": snap,
                    "instrument": info.instrument, "board": info.id, "zone": n.zone,
                    "zone_title": zone_title(session, state, n.zone, cat),
                    "part": part_title(session, state, n, cat),
                    "cluster": feedback.cluster(n), "votes": feedback.votes(info.id, n),
                    "group": n.group, "round": n.round, "author": n.author,
                    "author_name": n.author_name, "created": sheets.local(n.created_ts, tz),
                    "updated": sheets.local(n.updated_ts, tz), "color": n.color,
                    "note": n.id, "text": n.text})
    return out


def to_csv(docs: Sequence[archive.Doc], cat: Catalog | None = None, tz: str = TZ,
           semicolon: bool = False) -> str:
    """One row per note with a BOM (Excel reads UTF-8), ``;`` for Dutch Excel on request."""
    return sheets.to_csv(HEADERS, [[r[k] for k, _ in COLUMNS] for r in rows(docs, tz, cat)],
                         semicolon=semicolon)


def to_xlsx(docs: Sequence[archive.Doc], cat: Catalog | None = None, tz: str = TZ) -> bytes:
    """A workbook with one sheet per station (notes of every corner and session), filters on."""
    found = rows(docs, tz, cat)
    stations: dict[str, list[dict[str, Any]]] = {}
    for r in found:
        stations.setdefault(r["zone_title"] if r["instrument"] and r["zone"] else "Notities",
                            []).append(r)
    return sheets.to_xlsx([(title, HEADERS, [[r[k] for k, _ in COLUMNS] for r in notes])
                           for title, notes in stations.items()])


# The readable formats live in ``report``; these keep one entry point per format here.
def to_markdown(docs: Sequence[archive.Doc], cat: Catalog | None = None, tz: str = TZ,
                group: Grouping = "cluster") -> str:
    return report.to_markdown(outline(docs, cat, group), docs, tz, group)


def to_html(docs: Sequence[archive.Doc], cat: Catalog | None = None, tz: str = TZ,
            group: Grouping = "cluster") -> str:
    return report.to_html(outline(docs, cat, group), docs, tz, group)
