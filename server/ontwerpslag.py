"""From feedback to the tweede ontwerpslag (R51): the feedback of one instrument over every
four-corner session, as the design team triages it, and the verantwoording of what they
decided. Pure functions over session records and board states; ``ontwerpslag_http`` does the
I/O.

A piece of feedback is a note (``<session>/<note>``) or a cluster of a station
(``<session>/cluster/<cluster>``); deleted notes are not feedback, hidden ones are (the
facilitator hid them from the room, not from the design team).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import sheets
from .boardstate import BoardState
from .decisions import CHOICES, LAYOUT, WORKSPACE, Decision
from .report import REPORT_CSP, stemmen
from .session import BoardInfo, SessionRecord, new_code, new_key
from .templates import Catalog

CHOICE_TITLES = {"overnemen": "Overnemen", "aanpassen": "Aanpassen",
                 "niet-overnemen": "Niet overnemen", "nader-onderzoeken": "Nader onderzoeken"}
# The four-corner template whose sessions make the day's feedback.
DAY_TEMPLATE = "vier-hoeken"


def workspace_record(catalog: Catalog, created: float) -> SessionRecord:
    """The session that holds the design team's decisions: a board per instrument."""
    instruments = catalog.sessions[DAY_TEMPLATE].corners
    boards = [BoardInfo(id=f"{WORKSPACE}.{inst}", instrument=inst,
                        title=catalog.instruments[inst].title, corner=i + 1, zones=[],
                        layout=LAYOUT) for i, inst in enumerate(instruments)]
    # It has a join code like every session, but joining it is refused (R51).
    return SessionRecord(id=WORKSPACE, code=new_code(), title="Tweede ontwerpslag",
                         template=WORKSPACE, created=created, boards=boards, stations=[],
                         groups=["Ontwerpteam"], key=new_key())


@dataclass(frozen=True, slots=True)
class Source:
    """One session's corner of the instrument: its record, the board and the control board."""

    session: SessionRecord
    board: BoardState
    control: BoardState


def feedback(sources: Iterable[Source], catalog: Catalog, instrument: str, tz: str
             ) -> dict[str, Any]:
    """Every note and cluster of the instrument's corners, for the workspace to filter."""
    inst = catalog.instruments[instrument]
    part_titles = {i.id: i.title for s in inst.sections for i in s.items}
    notes: list[dict[str, Any]] = []
    clusters: dict[str, dict[str, Any]] = {}
    for src in sources:
        sid, ctl = src.session.id, src.control.control
        stations = {s.id: s.title for s in src.session.stations}
        dots = ctl.votes.dots() if ctl else {}
        for note in sorted(src.board.notes.values(), key=lambda n: n.created_seq):
            cid = ctl.resolve(note.cluster, note.zone) if ctl else None
            cluster = f"{sid}/cluster/{cid}" if cid else None
            votes = dots.get(f"{src.board.board_id}/{note.id}", 0)
            notes.append({
                "target": f"{sid}/{note.id}", "session": sid, "session_title": src.session.title,
                "station": note.zone, "station_title": stations.get(note.zone, note.zone),
                "round": note.round, "group": note.group, "part": note.part or "",
                "part_title": part_titles.get(note.part or "", ""), "cluster": cluster,
                "votes": votes, "text": note.text, "hidden": note.hidden,
                "written": sheets.local(note.created_ts, tz)})
            found = ctl.clusters.get(cid) if cid and ctl else None
            if cid and found is not None:
                record = clusters.setdefault(cluster or "", {
                    "target": cluster, "session": sid, "session_title": src.session.title,
                    "station": found.station,
                    "station_title": stations.get(found.station, ""),
                    "title": found.title or cid, "notes": [], "votes": 0})
                record["notes"].append(f"{sid}/{note.id}")
                record["votes"] += votes
    return {"instrument": instrument, "title": inst.title, "notes": notes,
            "clusters": list(clusters.values()),
            "parts": [{"id": i, "title": part_titles[i]} for i in inst.parts()]}


def progress(found: dict[str, Any], decided: dict[str, Decision]) -> dict[str, int]:
    """"143 van 212 besproken": a cluster and each note outside a cluster is one piece."""
    pieces = [c["target"] for c in found["clusters"]] + [
        n["target"] for n in found["notes"] if not n["cluster"]]
    return {"total": len(pieces), "decided": sum(1 for p in pieces if p in decided)}


@dataclass
class Account:
    """One decision with the feedback behind it."""

    target: str
    title: str  # the cluster's title, or the note's text
    decision: Decision
    notes: list[dict[str, Any]]
    votes: int

    def per_station(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for n in self.notes:
            counts[n["station_title"]] = counts.get(n["station_title"], 0) + 1
        return counts


def accounts(found: dict[str, Any], decided: dict[str, Decision]) -> list[Account]:
    """Every decided piece of feedback, in the order of the choices, most votes first."""
    notes = {n["target"]: n for n in found["notes"]}
    clusters = {c["target"]: c for c in found["clusters"]}
    out = []
    for target, decision in decided.items():
        if target in clusters:
            c = clusters[target]
            behind = [notes[t] for t in c["notes"] if t in notes]
            out.append(Account(target, c["title"], decision, behind, int(c["votes"])))
        elif target in notes:
            n = notes[target]
            out.append(Account(target, n["text"], decision, [n], int(n["votes"])))
    order = {c: i for i, c in enumerate(CHOICES)}
    return sorted(out, key=lambda a: (order.get(a.decision.decision, 9), -a.votes, a.title))


def verantwoording_html(found: dict[str, Any], decided: dict[str, Decision], tz: str) -> str:
    """The printable verantwoording of one instrument: no script, all text escaped."""
    e = html.escape
    done = progress(found, decided)
    out = ["<!doctype html>", '<html lang="nl"><head><meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{e(REPORT_CSP)}">',
           f"<title>Verantwoording {e(found['title'])}</title>",
           "<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
           "padding:0 1rem}blockquote{margin:.3rem 0 .3rem 1rem;color:#333}"
           ".tag{color:#555;font-size:.85em}h3{margin-top:1.6rem}</style></head><body>",
           f"<h1>Verantwoording: <bdi>{e(found['title'])}</bdi></h1>",
           f"<p>{done['decided']} van {done['total']} besproken.</p>"]
    current = None
    for acc in accounts(found, decided):
        if acc.decision.decision != current:
            current = acc.decision.decision
            out.append(f"<h2>{e(CHOICE_TITLES.get(current, current))}</h2>")
        kind = "Cluster" if "/cluster/" in acc.target else "Notitie"
        stations = ", ".join(f"{e(k)}: {v}" for k, v in sorted(acc.per_station().items()))
        out.append(f"<h3>{kind}: <bdi>{e(acc.title)}</bdi></h3>")
        out.append(f'<p class="tag">{len(acc.notes)} notities · {e(stemmen(acc.votes))} · '
                   f"{stations} · besloten door <bdi>{e(acc.decision.by_name or '?')}</bdi> "
                   f"op {e(sheets.local(acc.decision.ts, tz))}</p>")
        if acc.decision.rationale:
            out.append(f"<p><strong>Waarom:</strong> <bdi>{e(acc.decision.rationale)}</bdi></p>")
        for n in acc.notes:
            out.append(f"<blockquote><bdi>{e(n['text'])}</bdi> "
                       f'<span class="tag">— {e(n["session_title"])}, {e(n["station_title"])}'
                       f"{', ronde ' + str(n['round']) if n['round'] else ''}</span></blockquote>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


VERANTWOORDING_COLUMNS = ["Besluit", "Soort", "Feedback", "Waarom", "Besloten door",
                          "Besloten op", "Notities", "Stemmen", "Per station", "Citaten"]


def verantwoording_xlsx(found: dict[str, Any], decided: dict[str, Decision], tz: str) -> bytes:
    rows = []
    for acc in accounts(found, decided):
        rows.append([CHOICE_TITLES.get(acc.decision.decision, acc.decision.decision),
                     "cluster" if "/cluster/" in acc.target else "notitie", acc.title,
                     acc.decision.rationale, acc.decision.by_name,
                     sheets.local(acc.decision.ts, tz), len(acc.notes), acc.votes,
                     "; ".join(f"{k}: {v}" for k, v in sorted(acc.per_station().items())),
                     " | ".join(n["text"] for n in acc.notes)])
    notes = [[n["session_title"], n["station_title"], n["part_title"], n["round"], n["group"],
              n["votes"], n["text"], n["written"],
              CHOICE_TITLES.get(decided[n["target"]].decision, "")
              if n["target"] in decided else ""] for n in found["notes"]]
    return sheets.to_xlsx([
        ("Besluiten", VERANTWOORDING_COLUMNS, rows),
        ("Alle feedback", ["Sessie", "Station", "Onderdeel", "Ronde", "Groep", "Stemmen",
                           "Tekst", "Geschreven", "Besluit over de notitie"], notes)])
