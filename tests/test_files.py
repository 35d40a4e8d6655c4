"""Files people open (R25, R48, R49): XLSX with a sheet per station, CSV for Dutch Excel, local
times, Markdown that reads as plain text, the report grouped by cluster with its votes or by
the part of the instrument, and a snapshot diff that names cluster changes as such."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
from markdown_it import MarkdownIt
from serverproc import ORGANISERS
from test_access import acall
from test_archive import feed, states_of
from wsharness import live_server, new_session, participant

from server import archive, export, report
from server.config import Settings
from server.session import new_session as session_record
from server.templates import catalog


def clustered_session() -> tuple[archive.Doc, str]:
    rec = session_record(catalog(), "vier-hoeken")
    states = states_of(rec)
    board, control = rec.boards[1], rec.control_id
    for i, (zone, text, part) in enumerate([
            ("tips", "Meer voorbeelden uit de praktijk.", "impact"),
            ("tips", "Een handleiding erbij!", "doelen"),
            ("tips", "Handleiding voor docenten", "doelen"),
            ("relevantie", "Zeer relevant voor onze regio", None),
            ("tips", "Kijk op www.sterktechniekonderwijs.nl of mail info@sto.nl", None)]):
        feed(states[board.id], {"kind": "note.add", "note": f"n{i}", "zone": zone,
                                "text": text, "part": part})
    feed(states[control], {"kind": "cluster.add", "cluster": "c1", "station": "tips",
                           "title": "Handleiding"})
    feed(states[control], {"kind": "cluster.add", "cluster": "c2", "station": "tips",
                           "title": "Voorbeelden"})
    for n, c in (("n1", "c1"), ("n2", "c1"), ("n0", "c2")):
        feed(states[board.id], {"kind": "note.cluster", "note": n, "cluster": c})
    feed(states[control], {"kind": "vote.open", "vote": "v", "budget": 5, "cap": 3})
    for n, who in (("n0", "p1"), ("n0", "p2"), ("n0", "p3"), ("n1", "p1")):
        feed(states[control], {"kind": "vote.cast", "vote": "v", "board": board.id, "note": n},
             who=who)
    return archive.document(rec, states, now=1_733_230_000.0), board.id


def test_R48_xlsx_has_a_sheet_per_station_with_dutch_headers_filters_and_local_times() -> None:
    doc, _ = clustered_session()
    book = openpyxl.load_workbook(io.BytesIO(export.to_xlsx([doc])))
    assert book.sheetnames == ["1. Relevantie", "3. Tips, feedback!"]
    tips = book["3. Tips, feedback!"]
    header = [c.value for c in tips[1]]
    assert header[:4] == ["Sessie-id", "Sessie", "Snapshot", "Instrument"]
    assert "Onderdeel" in header and "Stemmen" in header and "Tekst" in header
    assert tips.auto_filter.ref == f"A1:{tips.cell(1, len(header)).column_letter}5"
    texts = [tips.cell(r, header.index("Tekst") + 1).value for r in range(2, 6)]
    assert "Een handleiding erbij!" in texts
    written = tips.cell(2, header.index("Geschreven") + 1).value
    ts = next(n for n in doc["boards"][1]["state"]["notes"])["created_ts"]
    assert written == datetime.fromtimestamp(ts, ZoneInfo("Europe/Amsterdam")).strftime(
        "%Y-%m-%d %H:%M")


def test_R48_csv_opens_in_a_semicolon_locale_with_a_bom() -> None:
    doc, _ = clustered_session()
    text = export.to_csv([doc], semicolon=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0][:2] == ["Sessie-id", "Sessie"] and len(rows) == 6
    assert all(len(r) == len(rows[0]) for r in rows)  # no cell split by a comma in a text


def test_R48_markdown_reads_as_plain_text_and_makes_no_markup() -> None:
    doc, _ = clustered_session()
    md = export.to_markdown([doc])
    assert "\u2060" not in md and "\u200b" not in md  # no invisible characters
    assert "Een handleiding erbij!" in md and "Zeer relevant voor onze regio" in md
    rendered = MarkdownIt("gfm-like", {"linkify": True}).render(md)
    assert "<a " not in rendered and "href" not in rendered
    assert "sterktechniekonderwijs" in rendered


def test_R48_report_groups_by_cluster_with_vote_totals_most_first() -> None:
    doc, _ = clustered_session()
    md = export.to_markdown([doc])
    tips = md[md.index("### 3"):]
    handleiding = tips.index("#### Cluster: Handleiding (1 stem)")
    voorbeelden = tips.index("#### Cluster: Voorbeelden (3 stemmen)")
    rest = tips.index("#### Niet in een cluster")
    assert voorbeelden < handleiding < rest
    assert "3 stemmen*" in tips and "· 1 stem*" in tips
    assert report.stemmen(1) == "1 stem" and report.stemmen(2) == "2 stemmen"
    html = export.to_html([doc])
    assert "<h4><bdi>Cluster: Voorbeelden (3 stemmen)</bdi></h4>" in html


def test_R49_the_part_a_note_points_at_is_in_every_format_and_the_report_groups_by_it() -> None:
    doc, _ = clustered_session()
    rows = list(csv.DictReader(io.StringIO(export.to_csv([doc])[1:])))
    parts = {r["Notitie-id"]: r["Onderdeel"] for r in rows}
    assert parts["n0"].startswith("Welke impact") and parts["n3"] == ""
    assert "over Welke impact" in export.to_markdown([doc])
    by_part = export.to_html([doc], group="part")
    assert "Over: Welke concrete doelen dragen hieraan bij?" in by_part
    assert "Zonder onderdeel" in by_part
    # and through an import: the part survives
    _, states = archive.parse(doc, catalog())
    assert {n.part for s in states.values() for n in s.notes.values()} == {
        "impact", "doelen", None}


def test_R48_the_snapshot_diff_names_cluster_changes_as_such() -> None:
    rec = session_record(catalog(), "vier-hoeken")
    states = states_of(rec)
    b, control = rec.boards[1].id, rec.control_id
    feed(states[b], {"kind": "note.add", "note": "a", "zone": "tips", "text": "x"})
    feed(states[control], {"kind": "cluster.add", "cluster": "c1", "station": "tips",
                           "title": "Handleiding"})
    before = archive.document(rec, states)
    feed(states[b], {"kind": "note.cluster", "note": "a", "cluster": "c1"})
    changes = archive.diff(before, archive.document(rec, states))
    assert changes["moved"] == []
    assert [(c["note"], c["from"], c["to"]) for c in changes["clustered"]] == [
        ("a", None, "Handleiding")]


# --- the archive's routes serve the files (R48) -------------------------------------------------


async def test_R48_the_archive_serves_xlsx_and_semicolon_csv_in_the_servers_time_zone(
        tmp_path: Path) -> None:
    """Every file from the HTTP routes, with TIMEZONE far from Amsterdam: XLSX per station,
    CSV with ';' for Dutch Excel, Markdown and HTML; the merged report likewise."""
    tz = "America/Sao_Paulo"
    settings = Settings(store_url=f"sqlite:///{tmp_path}/vh.db", secret_key="s",
                        data_dir=tmp_path, timezone=tz)
    async with live_server(settings) as base:
        made = await new_session(base)
        sid, tok, org = made["session"]["id"], made["facilitator_token"], ORGANISERS[base]
        p = await participant(base, made["code"], "Ans")
        board = f"{sid}.matrix"
        await p.subscribe(board)
        await p.op(board, {"kind": "note.add", "note": "n1", "zone": "tips",
                           "text": "Meer tijd; en voorbeelden, graag"})
        await p.op(board, {"kind": "note.add", "note": "n2", "zone": "relevantie",
                           "text": "Past bij ons"})
        await p.close()
        doc = json.loads((await acall("GET", f"{base}/api/sessions/{sid}/export.json", tok))[2])
        ts = next(n["created_ts"] for b in doc["boards"] for n in b["state"]["notes"]
                  if n["id"] == "n1")
        local = datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
        assert local != datetime.fromtimestamp(ts, ZoneInfo("Europe/Amsterdam")).strftime(
            "%Y-%m-%d %H:%M")
        url = f"{base}/api/sessions/{sid}/export"
        status, headers, body = await acall("GET", f"{url}.xlsx", tok)
        assert status == 200 and headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        assert '.xlsx"' in headers["content-disposition"]
        book = openpyxl.load_workbook(io.BytesIO(body))
        assert book.sheetnames == ["1. Relevantie", "3. Tips, feedback!"]
        tips = book["3. Tips, feedback!"]
        header = [c.value for c in tips[1]]
        assert tips.cell(2, header.index("Tekst") + 1).value == "Meer tijd; en voorbeelden, graag"
        assert tips.cell(2, header.index("Geschreven") + 1).value == local
        assert tips.auto_filter.ref and tips.freeze_panes == "A2"
        # CSV for Dutch Excel: ';' between cells, the text with its ';' in one cell
        status, _, body = await acall("GET", f"{url}.csv?sep=;", tok)
        text = body.decode("utf-8")
        assert status == 200 and text.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
        n1 = next(r for r in rows if r["Notitie-id"] == "n1")
        assert n1["Tekst"] == "Meer tijd; en voorbeelden, graag" and n1["Geschreven"] == local
        plain = (await acall("GET", f"{url}.csv", tok))[2].decode("utf-8")
        assert plain.splitlines()[0].count(",") == len(header) - 1  # ',' without the option
        # Markdown and HTML say when they were exported, in the same zone
        for fmt in ("md", "html"):
            before = datetime.now(ZoneInfo(tz))
            body = (await acall("GET", f"{url}.{fmt}", tok))[2].decode()
            stamps = {(before + timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M")
                      for m in (0, 1)}
            assert any(s in body for s in stamps), fmt
        # the merged report of an organiser's sessions: XLSX and ';' CSV too
        status, _, body = await acall("POST", f"{base}/api/report.xlsx", org,
                                      {"sessions": [sid]})
        book = openpyxl.load_workbook(io.BytesIO(body))
        assert status == 200 and "3. Tips, feedback!" in book.sheetnames
        status, _, body = await acall("POST", f"{base}/api/report.csv?sep=;", org,
                                      {"sessions": [sid]})
        rows = list(csv.reader(io.StringIO(body.decode("utf-8")[1:]), delimiter=";"))
        assert status == 200 and rows[0][:2] == ["Sessie-id", "Sessie"] and len(rows) == 3
        assert (await acall("GET", f"{url}.xls", tok))[0] == 404
