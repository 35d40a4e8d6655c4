"""The tweede ontwerpslag in the browser (R51): two organisers on laptops (1440x900) triage the
feedback of one instrument over two sessions at once and see each other's decisions live,
filter it, undo, and download the verantwoording that shows every decided cluster with its
notes.

A real server process and Debian's Chromium through Playwright; the day's notes are written
over the websocket as the phones would, the rest is done in the page as a person does it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from browserkit import open_page, sign_in
from serverproc import ROOT, http_json, read_log

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

LAPTOP = {"viewport": {"width": 1440, "height": 900}}


def send_ops(base: str, token: str, ops: list[tuple[str, dict[str, Any]]]) -> None:
    """Each (board, op) over one websocket, every one acknowledged before the next."""
    from websockets.sync.client import connect

    with connect(base.replace("http://", "ws://") + "/ws") as ws:
        ws.send(json.dumps({"type": "hello", "v": 1, "token": token, "name": "Ans"}))
        for board in dict.fromkeys(b for b, _ in ops):
            ws.send(json.dumps({"type": "subscribe", "board": board}))
        for board, op in ops:
            oid = f"seed-{uuid.uuid4().hex[:12]}"
            ws.send(json.dumps({"type": "op", "id": oid, "board": board, "op": op}))
            while True:
                frame = json.loads(ws.recv(timeout=10))
                if frame.get("type") == "error":
                    raise AssertionError(frame)
                if frame.get("type") == "ack" and frame.get("id") == oid:
                    break


def day(server: Any, title: str, notes: list[tuple[str, str, str | None]],
        cluster: tuple[str, list[int]] | None = None) -> str:
    """A four-corner session whose matrix corner got ``notes`` (station, text, part) from a
    participant, and optionally a cluster on Tips holding some of them."""
    created = server.create_session("vier-hoeken", title)
    sid = created["session"]["id"]
    status, joined = http_json("GET", f"{server.url}/api/join/{created['code']}")
    assert status == 200
    board = f"{sid}.matrix"
    send_ops(server.url, str(joined["token"]), [
        (board, {"kind": "note.add", "note": f"n{i}", "zone": zone, "text": text, "part": part})
        for i, (zone, text, part) in enumerate(notes)])
    if cluster:
        name, members = cluster
        send_ops(server.url, created["facilitator_token"], [
            (f"{sid}.control", {"kind": "cluster.add", "cluster": "c1", "station": "tips",
                                "title": name}),
            *[(board, {"kind": "note.cluster", "note": f"n{i}", "cluster": "c1"})
              for i in members]])
    return str(sid)


def add_organiser(server: Any, name: str) -> str:
    """A second organiser, added on the command line; its one-time sign-in link."""
    out = subprocess.run([sys.executable, "-m", "server", "organiser", "add", name], cwd=ROOT,
                         env={**os.environ, **server.env}, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return f"{server.url}/o/{out.stdout.strip().splitlines()[-1].rsplit('/o/', 1)[1]}"


def open_workspace(page: Any) -> None:
    """From "Mijn sessies" to the workspace, on the matrix."""
    page.locator("#open-ontwerpslag").click()
    expect(page.locator("#ontwerpslag")).to_be_visible()
    page.locator('.os-tab[data-instrument="matrix"]').click()
    expect(page.locator('.os-tab[data-instrument="matrix"]')).to_have_attribute(
        "aria-pressed", "true")
    expect(page.locator("#ontwerpslag-conn")).to_have_attribute("data-state", "open")


def card(page: Any, target: str) -> Any:
    return page.locator(f'.os-piece[data-target="{target}"]')


def inside(page: Any, locator: Any) -> None:
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], box
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"], box


def test_R51_two_organisers_triage_one_instrument_live_and_account_for_it(
        server: Any, browser: Any, tmp_path: Path) -> None:
    one = day(server, "Ochtend", [("tips", "Een handleiding erbij!", "doelen"),
                                  ("tips", "Handleiding voor docenten", None),
                                  ("relevantie", "Te vaag voor het vmbo", None)],
              cluster=("Handleiding", [0, 1]))
    two = day(server, "Middag", [("tips", "Mooi instrument, meer voorbeelden", None)])
    problems: list[str] = []
    anne = open_page(browser, problems, "Annelies", **LAPTOP)
    bart = open_page(browser, problems, "Bart", **LAPTOP)
    sign_in(anne, server)
    bart.goto(add_organiser(server, "Bart"))
    expect(bart.locator("#my-sessions")).to_be_visible()
    for page in (anne, bart):
        open_workspace(page)
        expect(page.locator("#os-progress")).to_have_text("0 van 3 besproken")
        expect(page.locator(".os-piece")).to_have_count(3)
    cluster, vague, other = f"{one}/cluster/c1", f"{one}/n2", f"{two}/n0"
    expect(card(anne, cluster).locator(".os-notes li")).to_have_count(2)
    expect(card(anne, cluster)).to_contain_text("Een handleiding erbij!")
    # The first card and its decision buttons are in view on a laptop, nothing sideways.
    first = anne.locator(".os-piece").first
    inside(anne, first.locator(".os-decide").last)
    assert anne.evaluate("document.documentElement.scrollWidth") <= 1440

    # Annelies adopts the cluster, with a reason; Bart sees it without reloading.
    card(anne, cluster).locator(".os-why").fill("Iedereen vraagt erom")
    card(anne, cluster).locator('.os-decide[data-decision="overnemen"]').click()
    theirs = card(bart, cluster)
    expect(theirs.locator(".os-status")).to_contain_text("Overnemen · beheerder")
    expect(theirs.locator('.os-decide[data-decision="overnemen"]')).to_have_attribute(
        "aria-pressed", "true")
    expect(theirs.locator(".os-why")).to_have_value("Iedereen vraagt erom")
    expect(bart.locator("#os-live")).to_contain_text("beheerder: Overnemen bij Handleiding")
    expect(bart.locator("#os-progress")).to_have_text("1 van 3 besproken")
    inside(bart, bart.locator("#os-live"))
    # ... and Bart decides about a loose note at the same time; Annelies sees it.
    card(bart, vague).locator('.os-decide[data-decision="aanpassen"]').click()
    card(bart, vague).locator('.os-decide[data-decision="niet-overnemen"]').click()
    expect(card(anne, vague).locator(".os-status")).to_contain_text("Niet overnemen · Bart")
    expect(anne.locator("#os-progress")).to_have_text("2 van 3 besproken")
    # Bart takes his last decision back: both see "aanpassen" again.
    bart.locator("#os-undo").click()
    for page in (anne, bart):
        expect(card(page, vague).locator(".os-status")).to_contain_text("Aanpassen · Bart")

    # Filters: every one starts at "alle"; then what is still open; one session; one part.
    for select in anne.locator(".os-filter").all():
        expect(select.locator("option:checked")).to_have_text("alle")
    anne.locator("#os-filter-group").select_option(label="zonder groep")
    expect(anne.locator(".os-piece")).to_have_count(3)
    anne.locator("#os-filter-group").select_option(label="alle")
    anne.locator("#os-filter-status").select_option("open")
    expect(anne.locator(".os-piece")).to_have_count(1)
    expect(card(anne, other)).to_have_count(1)
    anne.locator("#os-filter-status").select_option("")
    anne.locator("#os-filter-session").select_option(one)
    expect(anne.locator(".os-piece")).to_have_count(2)
    anne.locator("#os-filter-part").select_option("doelen")
    expect(anne.locator(".os-piece")).to_have_count(1)
    expect(card(anne, cluster)).to_have_count(1)
    expect(anne.locator("#os-count")).to_have_text("1 van 1 getoond")

    # The verantwoording: every decided cluster with its notes, the reason and who decided.
    with anne.expect_download() as info:
        anne.locator('.os-download[data-format="html"]').click()
    html = Path(info.value.path()).read_text(encoding="utf-8")
    assert "2 van 3 besproken" in html
    for text in ("Cluster: <bdi>Handleiding</bdi>", "Een handleiding erbij!",
                 "Handleiding voor docenten", "Iedereen vraagt erom", "beheerder",
                 "Te vaag voor het vmbo"):
        assert text in html, text
    assert html.index("Overnemen") < html.index("Aanpassen")
    assert "Mooi instrument" not in html  # not decided: not accounted for
    with anne.expect_download() as info:
        anne.locator('.os-download[data-format="xlsx"]').click()
    path = tmp_path / "verantwoording.xlsx"
    info.value.save_as(path)
    rows = list(openpyxl.load_workbook(path)["Besluiten"].iter_rows(values_only=True))
    assert rows[1][:3] == ("Overnemen", "cluster", "Handleiding") and rows[1][6] == 2
    assert problems == [], [*problems, read_log(server.proc)]


def test_R51_the_workspace_is_for_organisers_only(server: Any, browser: Any) -> None:
    problems: list[str] = []
    page = open_page(browser, problems, "stranger", **LAPTOP)
    page.goto(f"{server.url}/ontwerpslag")
    expect(page.locator("#ontwerpslag-refused")).to_contain_text("Alleen voor organisatoren")
    expect(page.locator(".os-piece")).to_have_count(0)
    assert problems == [], [*problems, read_log(server.proc)]


def test_R48_the_archive_panels_diff_names_a_cluster_change_as_such(
        server: Any, browser: Any) -> None:
    """A note put in a cluster after a snapshot is "in cluster 'Handleiding' gezet", not a move
    from Tips to Tips."""
    created = server.create_session("vier-hoeken", "Ochtend")
    sid, token = created["session"]["id"], str(created["facilitator_token"])
    status, joined = http_json("GET", f"{server.url}/api/join/{created['code']}")
    send_ops(server.url, str(joined["token"]), [(f"{sid}.matrix", {
        "kind": "note.add", "note": "n0", "zone": "tips", "text": "Een handleiding erbij!"})])
    status, _ = http_json("POST", f"{server.url}/api/sessions/{sid}/snapshots", {"name": "Voor"},
                          headers={"authorization": f"Bearer {token}"})
    assert status == 201
    send_ops(server.url, token, [
        (f"{sid}.control", {"kind": "cluster.add", "cluster": "c1", "station": "tips",
                            "title": "Handleiding"}),
        (f"{sid}.matrix", {"kind": "note.cluster", "note": "n0", "cluster": "c1"})])
    problems: list[str] = []
    page = open_page(browser, problems, "begeleider", **LAPTOP)
    page.goto(f"{server.url}/#t={token}")
    panel = page.locator("#archive-panel")
    panel.locator("#diff-from").select_option("Voor")
    panel.locator("#diff-to").select_option("")
    panel.locator("#diff-run").click()
    clustered = panel.locator("#diff-result .diff-clustered")
    expect(clustered.locator("h4")).to_have_text("Geclusterd (1)")
    expect(clustered.locator(".diff-detail")).to_have_text("in cluster ‘Handleiding’ gezet")
    expect(clustered.locator(".diff-text")).to_have_text("Een handleiding erbij!")
    expect(panel.locator("#diff-result .diff-moved")).to_have_count(0)
    clustered.scroll_into_view_if_needed()
    inside(page, clustered.locator(".diff-detail"))
    assert problems == [], [*problems, read_log(server.proc)]
