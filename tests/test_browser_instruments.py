"""The four instruments as working boards in the browser: two pages, one board, anchored notes.

Each test creates a session from one instrument (POST /api/sessions {"template": <id>}), opens it
in two Chromium pages as two participants, acts in one and checks the other: the note shows up
in the same anchored zone (data-zone), matrix columns, 8-tje flags and reflectietool scores travel
too, and the radar's polygons follow the scores.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from browserkit import add_note, expect_state, open_page, sign_in
from serverproc import read_log

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

ASPECTS = ["ambitie", "belangen", "relaties", "organisatie", "proces"]


def join_board(page: Any, base: str, code: str, zone: str) -> None:
    """Join by code; a one-board session goes from the profile straight to its board."""
    page.goto(f"{base}/j/{code}")
    page.locator("#profile-continue").click()
    page.locator(f'[data-add-station="{zone}"]').wait_for()
    expect_state(page, "open")


def two_pages(server: Any, browser: Any, template: str, zone: str,
              problems: list[str]) -> tuple[Any, Any]:
    code = str(server.create_session(template)["code"])
    a = open_page(browser, problems, "A")
    b = open_page(browser, problems, "B")
    join_board(a, server.url, code, zone)
    join_board(b, server.url, code, zone)
    return a, b


def in_zone(page: Any, zone: str) -> Any:
    return page.locator(f'[data-zone="{zone}"] .note .note-text')


def settled(page: Any) -> None:
    expect(page.locator(".note.pending")).to_have_count(0)


def test_praatplaat_note_in_a_domain(server: Any, browser: Any) -> None:
    problems: list[str] = []
    a, b = two_pages(server, browser, "praatplaat", "inhoud", problems)
    # The middle and the six mechanisms are zones too.
    for zone in ("de-opgave", "platform", "organisaties", "rolverdeling", "flexibiliteit"):
        expect(b.locator(f'[data-zone="{zone}"] [data-add-station="{zone}"]')).to_have_count(1)
    add_note(a, "inhoud", "Doelgroep scherp: leerlingen <i>vmbo</i> techniek")
    expect(in_zone(b, "inhoud")).to_have_text("Doelgroep scherp: leerlingen <i>vmbo</i> techniek")
    expect(in_zone(b, "platform")).to_have_count(0)
    settled(a)
    assert problems == [], [*problems, read_log(server.proc)]


def test_matrix_column_and_cell(server: Any, browser: Any) -> None:
    problems: list[str] = []
    a, b = two_pages(server, browser, "matrix", "impact", problems)
    rows = b.locator("table.matrix tbody tr[data-row]")
    expect(rows).to_have_count(7)
    assert rows.first.get_attribute("data-row") == "impact"

    a.locator("#new-column-title").fill("Open dag")
    a.locator("#add-column").click()
    col_b = b.locator("th.matrix-col[data-column]")
    expect(col_b).to_have_count(1)
    expect(col_b.locator("input.col-title")).to_have_value("Open dag")
    col = col_b.get_attribute("data-column")
    assert col

    add_note(a, f"impact@{col}", "Leerlingen en ouders uit de regio")
    expect(in_zone(b, f"impact@{col}")).to_have_text("Leerlingen en ouders uit de regio")
    expect(in_zone(b, "impact")).to_have_count(0)  # the row's own zone stays empty

    # A second column, then move it to the front from page B; A sees the new order.
    b.locator("#new-column-title").fill("Gastles")
    b.locator("#add-column").click()
    expect(a.locator("th.matrix-col[data-column]")).to_have_count(2)
    b.locator("th.matrix-col").nth(1).locator(".col-left").click()
    expect(a.locator("th.matrix-col input.col-title").first).to_have_value("Gastles")
    # The note stayed in its cell, now the second activity column.
    expect(in_zone(a, f"impact@{col}")).to_have_count(1)
    # Renaming travels too.
    title = a.locator(f'th.matrix-col[data-column="{col}"] input.col-title')
    title.fill("Open dag vmbo")
    title.press("Enter")
    expect(b.locator(f'th.matrix-col[data-column="{col}"] input.col-title')).to_have_value(
        "Open dag vmbo")
    settled(a)
    settled(b)
    assert problems == [], [*problems, read_log(server.proc)]


def test_matrix_scrolls_inside_its_box_on_a_phone(server: Any, browser: Any) -> None:
    problems: list[str] = []
    code = str(server.create_session("matrix")["code"])
    phone = open_page(browser, problems, "phone", viewport={"width": 360, "height": 640},
                      is_mobile=True, has_touch=True)
    join_board(phone, server.url, code, "impact")
    for name in ("Open dag", "Gastles", "Bedrijfsbezoek"):
        phone.locator("#new-column-title").fill(name)
        phone.locator("#add-column").click()
    expect(phone.locator("th.matrix-col")).to_have_count(3)
    page_overflow = phone.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert page_overflow <= 0
    box = phone.evaluate(
        "(() => { const w = document.querySelector('.matrix-wrap');"
        " return [w.scrollWidth, w.clientWidth]; })()")
    assert box[0] > box[1]  # the matrix is wider than the phone and scrolls in its own box
    assert problems == [], [*problems, read_log(server.proc)]


def test_achtje_cell_note_partner_name_and_flag(server: Any, browser: Any) -> None:
    problems: list[str] = []
    a, b = two_pages(server, browser, "achtje", "management@tussen", problems)
    expect(b.locator(".achtje-level")).to_have_count(3)

    add_note(a, "management@tussen", "Elkaars taal leren")
    expect(in_zone(b, "management@tussen")).to_have_text("Elkaars taal leren")
    expect(in_zone(b, "management@partner-a")).to_have_count(0)

    a.locator(
        'input.flag-toggle[data-flag="spraakverwarring"][data-level="management"]').check()
    marker = b.locator('#achtje-figure .flag-marker[data-flag="spraakverwarring"]'
                       '[data-level="management"]')
    expect(marker).to_have_count(1)
    expect(marker).to_have_attribute("aria-label", re.compile("Spraakverwarring"))
    expect(b.locator('input.flag-toggle[data-flag="spraakverwarring"]'
                     '[data-level="management"]')).to_be_checked()
    expect(b.locator("#achtje-figure .flag-marker")).to_have_count(1)

    name = a.locator("#partner-name-partner-a")
    name.fill("Vmbo De Brug")
    name.press("Enter")
    expect(b.locator("#partner-name-partner-a")).to_have_value("Vmbo De Brug")
    expect(b.locator('[data-zone="management@partner-a"] .zone-title')).to_have_text(
        "Vmbo De Brug")

    # Lowering the flag removes the marker.
    b.locator(
        'input.flag-toggle[data-flag="spraakverwarring"][data-level="management"]').uncheck()
    expect(a.locator("#achtje-figure .flag-marker")).to_have_count(0)
    settled(a)
    settled(b)
    assert problems == [], [*problems, read_log(server.proc)]


def facilitator_op(base: str, token: str, board: str, op: dict[str, Any]) -> None:
    """One op sent by a facilitator over its own websocket, acknowledged."""
    from websockets.sync.client import connect

    with connect(base.replace("http://", "ws://") + "/ws") as ws:
        ws.send(json.dumps({"type": "hello", "v": 1, "token": token}))
        ws.send(json.dumps({"type": "op", "id": "fac-op-1", "board": board, "op": op}))
        while True:
            frame = json.loads(ws.recv(timeout=10))
            if frame.get("id", frame.get("ref")) == "fac-op-1":
                assert frame["type"] == "ack", frame
                return


def score_all(page: Any, scores: list[int]) -> None:
    for aspect, score in zip(ASPECTS, scores, strict=True):
        page.locator(f'input[type=radio][data-aspect="{aspect}"][data-score="{score}"]').check()


def fmt(values: list[float]) -> str:
    return ",".join(f"{v:g}" for v in values)


def test_reflectietool_scores_radar_and_reflections(server: Any, browser: Any) -> None:
    problems: list[str] = []
    made = server.create_session("reflectietool")
    a = open_page(browser, problems, "A")
    b = open_page(browser, problems, "B")
    join_board(a, server.url, str(made["code"]), "ambitie")
    join_board(b, server.url, str(made["code"]), "ambitie")
    radar_all = b.locator('#radar polygon[data-series="all"]')
    expect(radar_all).to_have_attribute("data-values", ",,,,")

    a.locator("#speaks-for-partner-a").check()
    a_scores = [5, 4, 3, 2, 1]
    score_all(a, a_scores)
    expect(radar_all).to_have_attribute("data-values", fmt(a_scores))
    expect(b.locator('#radar polygon[data-series="partner-a"]')).to_have_attribute(
        "data-values", fmt(a_scores))

    b.locator("#speaks-for-partner-b").check()
    b_scores = [2, 4, 4, 5, 4]
    score_all(b, b_scores)
    means = [(x + y) / 2 for x, y in zip(a_scores, b_scores, strict=True)]
    expect(a.locator('#radar polygon[data-series="all"]')).to_have_attribute(
        "data-values", fmt(means))
    expect(radar_all).to_have_attribute("data-values", fmt(means))
    expect(a.locator('#radar polygon[data-series="partner-b"]')).to_have_attribute(
        "data-values", fmt(b_scores))
    # Changing a score replaces it, it never counts twice.
    a.locator('input[type=radio][data-aspect="ambitie"][data-score="3"]').check()
    means[0] = (3 + b_scores[0]) / 2
    expect(radar_all).to_have_attribute("data-values", fmt(means))
    expect(b.locator('.aspect-agg[data-aspect="ambitie"] .agg-all .agg-mean')).to_have_attribute(
        "data-mean", f"{means[0]:g}")

    # A new reflection (a facilitator's, R64): everyone moves to it; empty radar for it, the
    # previous one dashed beside it.
    expect(a.locator("#new-reflection")).to_have_count(0)
    facilitator_op(server.url, str(made["facilitator_token"]), made["session"]["boards"][0]["id"],
                   {"kind": "reflection.add", "reflection": "r2"})
    expect(b.locator("#reflection-select option")).to_have_count(2)
    expect(a.locator("#reflection-select")).to_have_value("r2")
    expect(b.locator("#reflection-select")).to_have_value("r2")
    radar_a = a.locator('#radar polygon[data-series="all"]')
    expect(radar_a).to_have_attribute("data-values", ",,,,")
    expect(a.locator('#radar polygon[data-series="previous"]')).to_have_attribute(
        "data-values", fmt(means))
    score_all(a, [4, 4, 4, 4, 4])
    expect(radar_a).to_have_attribute("data-values", "4,4,4,4,4")
    expect(radar_all).to_have_attribute("data-values", "4,4,4,4,4")  # B is on it too
    # B can look back at reflection 1.
    b.locator("#reflection-select").select_option("r1")
    expect(radar_all).to_have_attribute("data-values", fmt(means))
    # Someone who opens the tool now starts on the newest reflection.
    c = open_page(browser, problems, "C")
    join_board(c, server.url, a.url.split("/j/")[1].split("/")[0], "ambitie")
    expect(c.locator("#reflection-select")).to_have_value("r2")
    c.close()
    settled(a)
    settled(b)
    assert problems == [], [*problems, read_log(server.proc)]


def test_home_starts_one_instrument(server: Any, browser: Any) -> None:
    problems: list[str] = []
    page = open_page(browser, problems, "home")
    sign_in(page, server)  # R31: starting a session is an organiser's ("Mijn sessies")
    select = page.locator("#instrument-select")
    expect(select.locator("option")).to_have_count(4)
    select.select_option("achtje")
    page.locator("#start-instrument").click()
    page.locator("#profile-continue").click()
    page.locator('[data-add-station="bestuurlijk@partner-a"]').wait_for()
    expect(page.locator(".board")).to_have_attribute("data-layout", "achtje")
    assert problems == [], [*problems, read_log(server.proc)]
