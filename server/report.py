"""The readable report of one or more sessions: Markdown and printable HTML (R25, R37).

Both are made from ``export.outline``: per instrument and station, the notes in heaps (a
cluster with its votes, most first; or a part of the instrument), each note with who wrote it,
when and where. User text is escaped for its format and nothing more: Markdown escapes only
what would otherwise become markup (so it still reads as plain text), HTML is entity-escaped
and bidi-isolated, and carries its own Content-Security-Policy so it stays inert when opened
from disk.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from . import sheets

if TYPE_CHECKING:
    from .archive import Doc
    from .export import Corner, Item

Grouping = Literal["cluster", "part"]


def stemmen(n: int) -> str:
    return "1 stem" if n == 1 else f"{n} stemmen"


def tag(item: Item, heaped: Grouping | None = None) -> str:
    """What the report says beside a note: its score, session, group, round, author, part,
    cluster and votes (leaving out what the heading above it already says)."""
    bits = [item.score and f"score {item.score}", item.session, item.group,
            f"ronde {item.round}" if item.round else "", item.author,
            f"over {item.part}" if item.part and heaped != "part" else "",
            f"cluster {item.cluster}" if item.cluster and heaped != "cluster" else "",
            stemmen(item.votes) if item.votes else ""]
    return " · ".join(b for b in bits if b)


def heap_title(title: str, votes: int, group: Grouping) -> str:
    if not title:
        return "Zonder onderdeel" if group == "part" else "Niet in een cluster"
    head = f"Cluster: {title}" if group == "cluster" else f"Over: {title}"
    return f"{head} ({stemmen(votes)})" if votes else head


def _subtitle(docs: Sequence[Doc], escape: Callable[[str], str], tz: str) -> str:
    """Join code and snapshot name (user text, escaped) or export time of each document."""
    bits = []
    for d in docs:
        snap = (d.get("snapshot") or {}).get("name")
        when = ("snapshot " + escape(snap) if snap
                else escape(sheets.local(float(d.get("exported_at") or 0), tz)))
        bits.append(f"{escape(str(d['session'].get('code', '')))} ({when})")
    return ", ".join(bits)


# --- Markdown ------------------------------------------------------------------------------------

# Marks that make markup anywhere in a line: emphasis, code, links and images, raw HTML,
# tables, strikethrough, and the escape character itself.
_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
# An entity (&amp; &#60;) would be decoded: its & is escaped.
_ENTITY = re.compile(r"&(?=#?\w+;)")
# What a linkifier takes for a link: a scheme, a domain (x.nl, www.x), an e-mail address.
_SCHEME = re.compile(r"(?i)\b(https?|ftp|mailto|file|javascript|data):")
_DOMAIN_DOT = re.compile(r"(?<=\w)\.(?=[A-Za-z])")
_MAIL_AT = re.compile(r"(?<=\w)@(?=\w)")
# At the start of a line a few marks make a block: a heading, quote, list, rule or table.
_BLOCK_START = re.compile(r"^(#|>|[-+=]|\d+[.)])")


def md_text(text: str) -> str:
    """User text as inert Markdown that still reads as the text: one line, and a backslash
    only where a mark would otherwise become markup, a link or a block (R25)."""
    flat = " ".join(text.split())
    out = _INLINE.sub(r"\\\1", flat)
    out = _ENTITY.sub(r"\\&", out)
    out = _SCHEME.sub(r"\1\\:", out)
    out = _DOMAIN_DOT.sub(r"\\.", out)
    out = _MAIL_AT.sub(r"\\@", out)
    return _BLOCK_START.sub(_unblock, out)


def _unblock(m: re.Match[str]) -> str:
    mark = m.group(1)
    return f"{mark[:-1]}\\{mark[-1]}" if mark[0].isdigit() else f"\\{mark}"


def to_markdown(corners: list[Corner], docs: Sequence[Doc], tz: str,
                group: Grouping = "cluster") -> str:
    titles = [md_text(d["session"]["title"]) for d in docs]
    lines = ["# " + " \\+ ".join(titles), "", "Export: " + _subtitle(docs, md_text, tz)]
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
            lines += ["", f"### {md_text(part.title)}"]
            named = any(h.title for h in part.heaps)
            for heap in part.heaps:
                if named:
                    lines += ["", f"#### {md_text(heap_title(heap.title, heap.votes, group))}"]
                lines.append("")
                for item in heap.items:
                    note_tag = tag(item, group)
                    lines.append(f"- {md_text(item.text)}"
                                 + (f" — *{md_text(note_tag)}*" if note_tag else ""))
    return "\n".join(lines) + "\n"


# --- HTML ----------------------------------------------------------------------------------------

REPORT_CSS = """
body{font:15px/1.45 system-ui,sans-serif;color:#111;margin:2rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:1.8rem}h2{border-bottom:3px solid #111;margin-top:2.5rem;page-break-before:auto}
h3{margin:1.4rem 0 .4rem}h4{margin:1rem 0 .3rem;font-size:1rem}ul{padding-left:1.2rem}
li{margin:.2rem 0}.tag{color:#555;font-size:.85em}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #999;padding:.2rem .5rem;text-align:left}
svg{max-width:22rem;display:block}.legend span{margin-right:1rem}
@media print{body{margin:0;max-width:none}h2{page-break-before:always}}
"""
SERIES = {"all": ("#1f4e9c", "iedereen"), "partner-a": ("#c2410c", "partner A"),
          "partner-b": ("#15803d", "partner B")}
# The report is a document, not an app: no script at all, its own inline style only.
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              "base-uri 'none'; form-action 'none'")


def e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def bi(text: Any) -> str:
    """User text, escaped and bidi-isolated: a name cannot turn the text beside it (R37)."""
    return f"<bdi>{e(text)}</bdi>"


def to_html(corners: list[Corner], docs: Sequence[Doc], tz: str,
            group: Grouping = "cluster") -> str:
    """A printable report: no script, all user text entity-escaped and isolated."""
    title = " + ".join(d["session"]["title"] for d in docs)
    # R37: the file keeps its own policy when it is opened from disk, without our headers.
    out = ["<!doctype html>", '<html lang="nl"><head><meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{e(REPORT_CSP)}">',
           f"<title>{e(title)}</title><style>{REPORT_CSS}</style></head><body>",
           f"<h1>{bi(title)}</h1>", f'<p class="tag">Export: {_subtitle(docs, bi, tz)}</p>']
    for corner in corners:
        out.append(f"<section><h2>{bi(corner.title)}</h2>")
        if corner.facts:
            out.append("<ul>" + "".join(f"<li>{bi(f)}</li>" for f in corner.facts) + "</ul>")
        for (name, series), (_, rows) in zip(corner.radar, corner.tables, strict=True):
            out.append(f"<h3>{bi(name)}</h3>")
            out.append(radar_svg(corner.aspects, series))
            out.append("<table><tr><th>Aspect</th><th>n</th><th>gemiddelde</th>"
                       "<th>spreiding</th></tr>"
                       + "".join("<tr>" + "".join(f"<td>{bi(c)}</td>" for c in r) + "</tr>"
                                 for r in rows) + "</table>")
        for part in corner.parts:
            if not part.items:
                continue
            out.append(f"<h3>{bi(part.title)}</h3>")
            named = any(h.title for h in part.heaps)
            for heap in part.heaps:
                if named:
                    out.append(f"<h4>{bi(heap_title(heap.title, heap.votes, group))}</h4>")
                out.append("<ul>")
                out.extend(_li(item, group) for item in heap.items)
                out.append("</ul>")
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _li(item: Item, group: Grouping) -> str:
    note_tag = tag(item, group)
    return (f"<li>{bi(item.text)}"
            + (f' <span class="tag">— {bi(note_tag)}</span>' if note_tag else "") + "</li>")


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
