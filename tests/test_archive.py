"""Snapshots, the JSON document, diff, import and the exports, without sockets (R24, R25)."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from typing import Any

import orjson
import pytest
from markdown_it import MarkdownIt

from server import archive, archivist, export
from server.board import Actor, Entry, apply, check
from server.boardstate import BoardState
from server.protocol import BOARD_OP
from server.session import SessionRecord, new_session
from server.store import ArchiveExists, open_store
from server.store.base import Store
from server.templates import catalog

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "=HYPERLINK(\"http://evil.example\",\"klik\")",
    "+31 6 1234",
    "-2+3",
    "@SUM(A1:A9)",
    "\tTAB=1",
    "\u202eOMGEKEERD",
    "[klik](javascript:alert(1))",
    "![img](http://evil.example/x.png)",
    "<http://evil.example>",
    "www.evil.example en mail@evil.example",
    "# kop\n\n- lijst\n> citaat\n```\ncode\n```",
    "| a | b |\n|---|---|",
    "**vet** _schuin_ `code` ~~weg~~",
    "&lt;b&gt; &amp; &#60;i&#62;",
    "\" onmouseover=\"alert(1)",
    "'; DROP TABLE notes; --",
    "Gewoon een goede tip: meer stages in het vmbo!",
]


def states_of(rec: SessionRecord) -> dict[str, BoardState]:
    out = {}
    for bid in archive.board_ids(rec):
        info = rec.board(bid)
        assert info is not None
        out[bid] = BoardState(bid, tuple(info.zones), spec=info.spec())
    return out


def feed(state: BoardState, op: dict[str, Any], who: str = "p1", name: str = "Ans",
         group: str = "Groep 1", round_: int = 1) -> str:
    parsed = BOARD_OP.validate_python(op)
    err = check(state, parsed)
    if err:
        return err[0]
    seq = state.seq + 1
    # Facilitators: these tests are about archives, not about whose note is whose (R32).
    return apply(state, Entry(seq, f"o{seq}", 1700000000.0 + seq,
                              Actor(who, name, group, "facilitator"), round_, parsed)).result


def workshop(texts: list[str] = HOSTILE) -> tuple[SessionRecord, dict[str, BoardState]]:
    rec = new_session(catalog(), "vier-hoeken")
    states = states_of(rec)
    stations = ["relevantie", "toepasbaarheid", "tips"]
    for i, text in enumerate(texts):
        board = rec.boards[i % 4]
        assert feed(states[board.id], {"kind": "note.add", "note": f"n{i}",
                                       "zone": stations[i % 3], "text": text},
                    who=f"p{i % 5}", name=f"Deelnemer {i % 5}", group=f"Groep {i % 4 + 1}",
                    round_=i % 4 + 1) == "applied"
    control = states[rec.control_id]
    feed(control, {"kind": "group.join", "group": "Groep 2"}, who="p1")
    feed(control, {"kind": "announce", "text": "<b>koffie</b>"})
    feed(control, {"kind": "round.next"})
    return rec, states


def working(template: str) -> tuple[SessionRecord, dict[str, BoardState]]:
    rec = new_session(catalog(), template)
    states = states_of(rec)
    s = states[rec.boards[0].id]
    if template == "matrix":
        feed(s, {"kind": "column.add", "column": "k1", "title": "Open dag"})
        feed(s, {"kind": "note.add", "note": "m1", "zone": "impact@k1", "text": "=1+1"})
        feed(s, {"kind": "note.add", "note": "m2", "zone": "doelen", "text": "doel"})
    elif template == "achtje":
        feed(s, {"kind": "partner.name", "partner": "partner-a", "name": "<i>ROC</i>"})
        feed(s, {"kind": "flag.set", "flag": "spraakverwarring", "level": "management",
                 "on": True})
        feed(s, {"kind": "note.add", "note": "a1", "zone": "management@tussen", "text": "taal"})
    elif template == "reflectietool":
        aspect = s.spec.aspects[0]
        feed(s, {"kind": "score.set", "aspect": aspect, "score": 4, "partner": "partner-a"})
        feed(s, {"kind": "score.set", "aspect": aspect, "score": 2, "partner": "partner-b"},
             who="p2", name="Bo")
    return rec, states


@pytest.fixture
async def store() -> Any:
    st = open_store("memory://")
    await st.open()
    yield st
    await st.close()


def csv_rows(text: str) -> list[dict[str, str]]:
    """A CSV export's rows by column key (the file itself has a BOM and Dutch headers)."""
    assert text.startswith("\ufeff")
    header = {h: k for k, h in export.COLUMNS}
    return [{header[h]: v for h, v in row.items()}
            for row in csv.DictReader(io.StringIO(text[1:], newline=""))]


def without_time(doc: archive.Doc) -> archive.Doc:
    return {k: v for k, v in doc.items() if k != "exported_at"}


def content(doc: archive.Doc) -> archive.Doc:
    """A document's content whatever ids the session had: an import makes new ones (R35)."""
    sid = doc["session"]["id"]
    out = orjson.loads(orjson.dumps(without_time(doc)).replace(sid.encode(), b"SID"))
    for key in ("code", "key", "owner", "created"):
        out["session"].pop(key, None)
    return dict(out)


@pytest.mark.parametrize("template", ["vier-hoeken", "matrix", "achtje", "reflectietool"])
async def test_R24_json_export_import_export_is_identical(store: Store, template: str) -> None:
    rec, states = workshop() if template == "vier-hoeken" else working(template)
    first = archive.document(rec, states)
    text = orjson.dumps(first).decode()
    imported = await archivist.import_document(store, catalog(), orjson.loads(text))
    # R35: a new session, with ids, code and key of its own; the content is the same
    assert imported.id != rec.id and imported.code != rec.code and imported.key != rec.key
    assert [b.id for b in imported.boards] == [f"{imported.id}.{b.instrument}"
                                               for b in rec.boards]
    again = await archivist.stored_document(store, imported)
    assert content(again) == content(first)
    # and the imported boards keep working: the next op continues the same log
    assert await store.head(imported.boards[0].id) == states[rec.boards[0].id].seq


async def test_R24_import_refuses_other_versions_and_broken_references(store: Store) -> None:
    rec, states = workshop()
    good = archive.document(rec, states)

    def broken(change: Any) -> archive.Doc:
        doc = orjson.loads(orjson.dumps(good))
        change(doc)
        return doc

    def bad_zone(d: Any) -> None:
        d["boards"][0]["state"]["notes"][0]["zone"] = "nergens"

    def missing_board(d: Any) -> None:
        d["boards"].pop(1)

    def bad_plan(d: Any) -> None:
        d["boards"][-1]["state"]["control"]["plan"][0]["Groep 1"] = "keuken"

    def wrong_seq(d: Any) -> None:
        d["boards"][0]["seq"] = 999

    def long_text(d: Any) -> None:  # R11's limits hold for a file too
        d["boards"][0]["state"]["notes"][0]["text"] = "x" * 1001

    cases = {
        "version": broken(lambda d: d.update(version=2)),
        "format": broken(lambda d: d.update(format="trello")),
        "zone": broken(bad_zone),
        "board": broken(missing_board),
        "plan": broken(bad_plan),
        "seq": broken(wrong_seq),
        "session": broken(lambda d: d["session"].pop("boards")),
        "text": broken(long_text),
        "groups": broken(lambda d: d["session"].update(groups=["<b>Groep</b>"])),
        "title": broken(lambda d: d["session"].update(title="t" * 121)),
    }
    reasons = {}
    for name, doc in cases.items():
        with pytest.raises(archive.ImportRefused) as info:
            await archivist.import_document(store, catalog(), doc)
        reasons[name] = str(info.value)
    assert "version 2" in reasons["version"] and "nergens" in reasons["zone"]
    assert "keuken" in reasons["plan"] and "1000" in reasons["text"]
    assert "session.groups.0" in reasons["groups"] and "120" in reasons["title"]
    assert reasons["session"].startswith("session.boards")
    # nothing half-imported: no session, no board content
    assert await store.list_sessions() == []
    # R35: the same document twice is two sessions, neither with the document's ids
    one = await archivist.import_document(store, catalog(), good)
    two = await archivist.import_document(store, catalog(), good)
    assert len({one.id, two.id, rec.id}) == 3 and len({one.code, two.code, rec.code}) == 3


async def test_R24_a_snapshot_cannot_change_after_it_is_taken(store: Store) -> None:
    rec, states = workshop()
    rec = await archivist.import_document(store, catalog(), archive.document(rec, states))
    states = {b["id"]: BoardState.from_dict(b["state"], rec.board(b["id"]).spec())  # type: ignore[union-attr]
              for b in (await archivist.stored_document(store, rec))["boards"]}
    doc = await archivist.stored_document(store, rec)
    meta = await archivist.take(store, doc, "Voor de lunch", "manual")
    assert meta["counts"]["notes"] == len(HOSTILE)
    frozen = await archivist.open_snapshot(store, rec.id, "Voor de lunch")
    # the live session goes on
    board = rec.boards[0].id
    feed(states[board], {"kind": "note.edit", "note": "n0", "text": "veranderd"})
    feed(states[board], {"kind": "note.delete", "note": "n4"})
    with pytest.raises(ArchiveExists):
        await archivist.take(store, archive.document(rec, states), "Voor de lunch", "manual")
    assert await archivist.open_snapshot(store, rec.id, "Voor de lunch") == frozen
    assert frozen["snapshot"]["hash"] == meta["hash"] == archive.content_hash(frozen)
    again = await archivist.take(store, archive.document(rec, states), "Voor de lunch",
                                 "auto", unique=True)
    assert again["name"] == "Voor de lunch (2)"
    assert [m["name"] for m in await archivist.snapshots(store, rec.id)] == [
        "Voor de lunch", "Voor de lunch (2)"]


def test_R24_diff_of_two_snapshots_on_a_constructed_case() -> None:
    rec = new_session(catalog(), "vier-hoeken")
    states = states_of(rec)
    b = rec.boards[1]
    s = states[b.id]
    for n, zone in (("a", "tips"), ("b", "tips"), ("c", "relevantie"), ("e", "tips")):
        feed(s, {"kind": "note.add", "note": n, "zone": zone, "text": f"tekst {n}"})
    before = archive.document(rec, states)
    feed(s, {"kind": "note.edit", "note": "a", "text": "tekst a, beter"})
    feed(s, {"kind": "note.move", "note": "b", "x": 1, "y": 1, "zone": "relevantie"})
    feed(s, {"kind": "note.move", "note": "e", "x": 9, "y": 9})  # same zone: not "moved"
    feed(s, {"kind": "note.delete", "note": "c"})
    feed(s, {"kind": "note.add", "note": "d", "zone": "toepasbaarheid", "text": "nieuw"})
    after = archive.document(rec, states)
    changes = archive.diff(before, after)
    assert [(x["instrument"], x["note"]) for x in changes["added"]] == [("matrix", "d")]
    assert [x["note"] for x in changes["removed"]] == ["c"]
    assert [(x["note"], x["before"], x["after"]) for x in changes["edited"]] == [
        ("a", "tekst a", "tekst a, beter")]
    assert [(x["note"], x["from"]["zone"], x["to"]["zone"]) for x in changes["moved"]] == [
        ("b", "tips", "relevantie")]
    assert changes["votes"] == []
    assert archive.diff(after, after) == {k: [] for k in changes}


def test_R25_csv_has_every_note_and_no_formula_cells() -> None:
    rec, states = workshop()
    text = export.to_csv([archive.document(rec, states)])
    rows = csv_rows(text)
    assert len(rows) == len(HOSTILE)
    assert sorted(r["note"] for r in rows) == sorted(f"n{i}" for i in range(len(HOSTILE)))
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), repr(cell)
    by_id = {r["note"]: r for r in rows}
    assert by_id["n2"]["text"] == "'" + HOSTILE[2]  # kept, made inert
    assert by_id["n18"]["text"] == HOSTILE[18]
    assert by_id["n1"]["instrument"] == "matrix" and by_id["n1"]["zone"] == "toepasbaarheid"
    assert by_id["n1"]["zone_title"] == "2. Toepasbaarheid"
    assert by_id["n1"]["group"] == "Groep 2" and by_id["n1"]["round"] == "2"
    assert by_id["n1"]["author_name"] == "Deelnemer 1"
    anonymous = export.to_csv([archive.anonymise(archive.document(rec, states))])
    assert "Deelnemer" not in anonymous and "deelnemer-1" in anonymous


def test_R25_matrix_export_keeps_reading_order_and_anchors() -> None:
    rec, states = working("matrix")
    rows = csv_rows(export.to_csv([archive.document(rec, states)]))
    assert [r["zone"] for r in rows] == ["impact@k1", "doelen"]  # row 1 before row 2
    assert rows[0]["zone_title"].endswith("× Open dag")
    assert rows[0]["text"] == "'=1+1"


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html_text: str) -> Tags:
    p = Tags()
    p.feed(html_text)
    return p


def test_R25_markdown_renders_hostile_text_inertly() -> None:
    rec, states = workshop()
    md = export.to_markdown([archive.document(rec, states)])
    rendered = MarkdownIt("gfm-like", {"linkify": True}).render(md)
    tags = parsed(rendered)
    assert {t for t, _ in tags.tags} <= {"h1", "h2", "h3", "p", "ul", "li", "em"}
    assert not any(attrs for _, attrs in tags.tags)  # no links, images, handlers
    # every note is one list item, whatever it contained (no blocks made from user text)
    assert sum(1 for t, _ in tags.tags if t == "li") == len(HOSTILE)
    text = "".join(tags.text).replace("\u2060", "")
    assert "<script>alert(1)</script>" in text and "mail@evil.example" in text


@pytest.mark.parametrize("template", ["vier-hoeken", "reflectietool", "achtje"])
def test_R25_html_report_renders_hostile_text_inertly(template: str) -> None:
    rec, states = workshop() if template == "vier-hoeken" else working(template)
    doc = archive.document(rec, states)
    html_text = export.to_html([doc])
    tags = parsed(html_text)
    allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "ul", "bdi",
               "li", "span", "section", "table", "tr", "th", "td", "svg", "polygon", "text"}
    assert {t for t, _ in tags.tags} <= allowed
    for _, attrs in tags.tags:
        assert not any(k.startswith("on") or k in ("href", "src") for k, _ in attrs)
    text = "".join(tags.text)
    if template == "vier-hoeken":
        for hostile in HOSTILE:
            assert " ".join(hostile.split()) in " ".join(text.split())
    if template == "reflectietool":
        assert 'data-series="all"' in html_text and "gemiddelde" in html_text
    if template == "achtje":
        assert "<i>ROC</i>" in text


def test_R25_cross_session_report_merges_per_instrument_and_station() -> None:
    morning, ms = workshop(["o1", "o2", "o3", "o4", "o5", "o6"])
    afternoon, ast = workshop(["m1", "m2", "m3", "m4", "m5", "m6"])
    morning = morning.model_copy(update={"title": "Ochtend"})
    afternoon = afternoon.model_copy(update={"title": "Middag"})
    docs = [archive.document(morning, ms), archive.document(afternoon, ast)]
    corners = export.outline(docs)
    assert [c.instrument for c in corners] == ["praatplaat", "matrix", "achtje", "reflectietool"]
    matrix = corners[1]
    toepas = next(p for p in matrix.parts if p.title == "2. Toepasbaarheid")
    assert [(i.text, i.session) for i in toepas.items] == [("o2", "Ochtend"), ("m2", "Middag")]
    md = export.to_markdown(docs)
    headings = [ln for ln in md.splitlines() if ln.startswith("### 2") and "Toepasbaarheid" in ln]
    assert len(headings) == 2  # two corners with Toepasbaarheid notes
    rows = csv_rows(export.to_csv(docs))
    assert {r["session_title"] for r in rows} == {"Ochtend", "Middag"}


def test_R24_anonymised_document_has_no_names_but_keeps_groups() -> None:
    rec, states = workshop()
    doc = archive.anonymise(archive.document(rec, states))
    text = orjson.dumps(doc).decode()
    assert "Deelnemer" not in text and '"p1"' not in text
    notes = [n for b in doc["boards"] for n in b["state"]["notes"]]
    assert all(n["group"].startswith("Groep") for n in notes)
    archive.parse(doc, catalog())  # still a valid document


def test_R25_exports_carry_anchors_clusters_votes_and_score_notes() -> None:
    rec, states = workshop(["stage a", "stage b", "los"])
    control = rec.control_id
    board = rec.boards[0].id  # n0 (relevantie) is on the praatplaat corner
    feed(states[control], {"kind": "cluster.add", "cluster": "c1", "station": "relevantie",
                           "title": "Stages <b>"})
    feed(states[board], {"kind": "note.cluster", "note": "n0", "cluster": "c1"})
    feed(states[control], {"kind": "vote.open", "vote": "v", "budget": 3, "cap": 2})
    feed(states[control], {"kind": "vote.cast", "vote": "v", "board": board, "note": "n0"})
    doc = archive.document(rec, states)
    rows = {r["note"]: r for r in csv_rows(export.to_csv([doc]))}
    assert (rows["n0"]["cluster"], rows["n0"]["votes"]) == ("Stages <b>", "1")
    assert "Stages &lt;b&gt;" in export.to_html([doc])
    refl, rs = working("reflectietool")
    s = rs[refl.boards[0].id]
    aspect = s.spec.aspects[1]
    feed(s, {"kind": "score.set", "aspect": aspect, "score": 5, "partner": "partner-b",
             "note": "<script>x</script> goed geregeld"}, who="p9", name="Cas")
    md = export.to_markdown([archive.document(refl, rs)])
    assert "score 5 (partner B)" in md and "\\<script\\>" in md


def test_R24_anonymised_document_has_no_participant_ids_anywhere() -> None:
    rec, states = workshop(["a", "b", "c"])
    board, control = rec.boards[0].id, rec.control_id
    feed(states[control], {"kind": "cluster.add", "cluster": "c1", "station": "relevantie"},
         who="p3", name="Fien")
    feed(states[board], {"kind": "note.cluster", "note": "n0", "cluster": "c1"}, who="p3")
    feed(states[control], {"kind": "vote.open", "vote": "v", "anonymous": False})
    feed(states[control], {"kind": "vote.cast", "vote": "v", "board": board, "note": "n0"},
         who="p4")
    feed(states[board], {"kind": "note.delete", "note": "n0"}, who="p3")
    text = orjson.dumps(archive.anonymise(archive.document(rec, states))).decode()
    for pid in ("p0", "p1", "p2", "p3", "p4"):
        assert f'"{pid}"' not in text and f'"{pid}/' not in text, pid
    assert "Fien" not in text and "Deelnemer" not in text
