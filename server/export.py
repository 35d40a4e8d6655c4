"""Exports of a session document (see ``archive``): CSV, Markdown and a printable HTML report.

Every piece of user text is escaped for its format (R25): CSV cells never start a formula,
Markdown text creates no markup, links or blocks, HTML text is entity-escaped. Several documents
(the morning and the afternoon session) merge into one report per instrument x station.
"""

from __future__ import annotations

import csv
import html
import io
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import archive
from .board import BoardState, aggregates
from .session import SessionRecord
from .templates import Catalog, catalog

CSV_COLUMNS = [
    "session", "session_title", "snapshot", "instrument", "board", "zone", "zone_title",
    "cluster", "votes", "group", "round", "author", "author_name", "created", "updated",
    "color", "note", "text",
]
# A spreadsheet treats a cell starting with one of these as a formula (or strips it).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)) if ts else ""


def csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


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


@dataclass
class Part:
    """A station, or an anchor of a working board, with its notes in reading order."""

    title: str
    items: list[Item] = field(default_factory=list)


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


def zone_order(session: SessionRecord, state: BoardState) -> list[str]:
    """Zones in reading order: matrix rows each followed by their cells left to right."""
    info = session.board(state.board_id)
    zones = list(info.zones) if info else list(state.zones)
    if state.spec.layout == "matrix":
        return [z for row in state.spec.rows
                for z in [row, *(f"{row}@{c['id']}" for c in state.columns)]]
    return zones


def outline(docs: Sequence[archive.Doc], cat: Catalog | None = None) -> list[Corner]:
    """Per instrument (in corner order) and per station or anchor, the notes of all documents."""
    cat = cat or catalog()
    corners: dict[str, Corner] = {}
    many = len(docs) > 1
    for doc in docs:
        session, states = archive.parse(doc)
        label = session.title if many else ""
        feedback = archive.Feedback(session, states)
        for info in session.boards:
            state = states[info.id]
            corner = corners.setdefault(info.instrument, Corner(info.instrument, info.title))
            parts = {p.title: p for p in corner.parts}
            by_zone: dict[str, list[Any]] = {}
            for note in state.notes.values():
                by_zone.setdefault(note.zone, []).append(note)
            for zone in zone_order(session, state):
                title = zone_title(session, state, zone, cat)
                part = parts.get(title)
                if part is None:
                    part = parts[title] = Part(title)
                    corner.parts.append(part)
                notes = sorted(by_zone.get(zone, ()), key=lambda n: n.created_seq)
                items = [Item(n.text, n.group, n.round, n.author_name, label,
                              feedback.votes(info.id, n), feedback.cluster(n)) for n in notes]
                # clustered notes together (by cluster title), then by dots, then in order
                items.sort(key=lambda i: (i.cluster == "", i.cluster, -i.votes))
                part.items.extend(items)
                for sc in sorted(state.scores.values(), key=lambda sc: sc.seq):
                    if sc.aspect == zone and sc.note:
                        who = {"partner-a": " (partner A)", "partner-b": " (partner B)"}
                        part.items.append(Item(sc.note, "", 0, sc.name, label,
                                               score=f"{sc.score}{who.get(sc.partner, '')}"))
            _instrument_facts(corner, session, state, cat, label)
    return list(corners.values())


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


def _tag(item: Item) -> str:
    bits = [item.score and f"score {item.score}", item.session, item.group,
            f"ronde {item.round}" if item.round else "",
            item.author, f"cluster {item.cluster}" if item.cluster else "",
            f"{item.votes} stemmen" if item.votes else ""]
    return " · ".join(b for b in bits if b)


# --- CSV -----------------------------------------------------------------------------------------


def to_csv(docs: Sequence[archive.Doc], cat: Catalog | None = None) -> str:
    """One row per note, in reading order; formula-safe for spreadsheets (R25)."""
    cat = cat or catalog()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for doc in docs:
        session, states = archive.parse(doc)
        snap = (doc.get("snapshot") or {}).get("name", "")
        feedback = archive.Feedback(session, states)
        for info in session.boards:
            state = states[info.id]
            order = {z: i for i, z in enumerate(zone_order(session, state))}
            notes = sorted(state.notes.values(),
                           key=lambda n: (order.get(n.zone, len(order)), n.created_seq))
            for n in notes:
                row = [session.id, session.title, snap, info.instrument, info.id, n.zone,
                       zone_title(session, state, n.zone, cat), feedback.cluster(n),
                       feedback.votes(info.id, n), n.group, n.round, n.author, n.author_name,
                       iso(n.created_ts), iso(n.updated_ts), n.color, n.id, n.text]
                writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


# --- Markdown ------------------------------------------------------------------------------------

_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&:@\"'=$%^;,?/])")
# After these an invisible word joiner stops autolinkers (www.x.nl, mail@x.nl, http://).
_LINK_BREAK = re.compile(r"([.:@])")


def md_text(text: str) -> str:
    """User text as inert Markdown: one line, every punctuation mark escaped, no autolinks."""
    flat = " ".join(text.split())
    return _MD_PUNCT.sub(r"\\\1", _LINK_BREAK.sub("\\1\u2060", flat))


def to_markdown(docs: Sequence[archive.Doc], cat: Catalog | None = None) -> str:
    corners = outline(docs, cat)
    titles = [md_text(d["session"]["title"]) for d in docs]
    lines = ["# " + " \\+ ".join(titles), "", "Export: " + _subtitle(docs, md_text)]
    for corner in corners:
        lines += ["", f"## {md_text(corner.title)}"]
        for fact in corner.facts:
            lines.append(f"- {md_text(fact)}")
        for name, rows in corner.tables:
            lines += ["", f"### {md_text(name)}", "", "| Aspect | n | gemiddelde | spreiding |",
                      "|---|---|---|---|"]
            lines += [f"| {md_text(r[0])} | {r[1]} | {r[2]} | {r[3]} |" for r in rows]
        for part in corner.parts:
            if not part.items:
                continue
            lines += ["", f"### {md_text(part.title)}", ""]
            for item in part.items:
                tag = _tag(item)
                lines.append(f"- {md_text(item.text)}" + (f" — *{md_text(tag)}*" if tag else ""))
    return "\n".join(lines) + "\n"


def _subtitle(docs: Sequence[archive.Doc], escape: Callable[[str], str]) -> str:
    """Join code and snapshot name (user text, escaped) or export time of each document."""
    bits = []
    for d in docs:
        snap = (d.get("snapshot") or {}).get("name")
        when = "snapshot " + escape(snap) if snap else iso(d.get("exported_at") or 0)
        bits.append(f"{d['session']['code']} ({when})")
    return ", ".join(bits)


# --- HTML ----------------------------------------------------------------------------------------

REPORT_CSS = """
body{font:15px/1.45 system-ui,sans-serif;color:#111;margin:2rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:1.8rem}h2{border-bottom:3px solid #111;margin-top:2.5rem;page-break-before:auto}
h3{margin:1.4rem 0 .4rem}ul{padding-left:1.2rem}li{margin:.2rem 0}
.tag{color:#555;font-size:.85em}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #999;padding:.2rem .5rem;text-align:left}
svg{max-width:22rem;display:block}.legend span{margin-right:1rem}
@media print{body{margin:0;max-width:none}h2{page-break-before:always}}
"""
SERIES = {"all": ("#1f4e9c", "iedereen"), "partner-a": ("#c2410c", "partner A"),
          "partner-b": ("#15803d", "partner B")}


def e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def to_html(docs: Sequence[archive.Doc], cat: Catalog | None = None) -> str:
    """A printable report: no script, all user text entity-escaped (R25)."""
    corners = outline(docs, cat)
    title = " + ".join(d["session"]["title"] for d in docs)
    out = ["<!doctype html>", '<html lang="nl"><head><meta charset="utf-8">',
           f"<title>{e(title)}</title><style>{REPORT_CSS}</style></head><body>",
           f"<h1>{e(title)}</h1>", f'<p class="tag">Export: {_subtitle(docs, e)}</p>']
    for corner in corners:
        out.append(f"<section><h2>{e(corner.title)}</h2>")
        if corner.facts:
            out.append("<ul>" + "".join(f"<li>{e(f)}</li>" for f in corner.facts) + "</ul>")
        for (name, series), (_, rows) in zip(corner.radar, corner.tables, strict=True):
            out.append(f"<h3>{e(name)}</h3>")
            out.append(radar_svg(corner.aspects, series))
            out.append("<table><tr><th>Aspect</th><th>n</th><th>gemiddelde</th>"
                       "<th>spreiding</th></tr>"
                       + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>"
                                 for r in rows) + "</table>")
        for part in corner.parts:
            if not part.items:
                continue
            out.append(f"<h3>{e(part.title)}</h3><ul>")
            for item in part.items:
                tag = _tag(item)
                out.append(f"<li>{e(item.text)}"
                           + (f' <span class="tag">— {e(tag)}</span>' if tag else "") + "</li>")
            out.append("</ul>")
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def radar_svg(labels: list[str], series: dict[str, list[float | None]], lo: float = 1,
              hi: float = 5) -> str:
    """The reflectietool's radar chart as inline SVG, one polygon per series with data."""
    size, r = 320, 110
    cx = cy = size / 2
    n = max(len(labels), 1)

    def point(i: int, v: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        k = (v - lo) / (hi - lo) if hi > lo else 0
        return cx + r * k * math.cos(angle), cy + r * k * math.sin(angle)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
             f'aria-label="radar">']
    for level in range(int(lo), int(hi) + 1):
        ring = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, level) for i in range(n)))
        parts.append(f'<polygon points="{ring}" fill="none" stroke="#ccc"/>')
    for i, label in enumerate(labels):
        x, y = point(i, hi + 0.35)
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="10" text-anchor="middle">'
                     f"{e(label[:28])}</text>")
    for key, values in series.items():
        if all(v is None for v in values):
            continue  # no scores yet; an aspect without scores sits in the centre
        color = SERIES.get(key, ("#333", key))[0]
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in
                       (point(i, float(v or lo)) for i, v in enumerate(values)))
        parts.append(f'<polygon points="{pts}" fill="{color}" fill-opacity=".15" '
                     f'stroke="{color}" stroke-width="2" data-series="{e(key)}"/>')
    parts.append("</svg>")
    legend = "".join(f'<span style="color:{c}">■ {e(name)}</span>' for c, name in SERIES.values())
    return "".join(parts) + f'<p class="legend">{legend}</p>'
