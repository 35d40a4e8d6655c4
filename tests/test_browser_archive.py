"""The archive in the browser (R24, R25): snapshots, the snapshot page, diff, exports, restore.

The facilitator takes a named snapshot from the overview, the session goes on, and the snapshot
still shows the session as it was, at its own address (`/s/<session>/<name>#t=<token>`), read
only; the diff with now lists what was added; exports download through the browser (fetch with
the facilitator token, then a Blob). Restoring a snapshot opens a new session; deleting the
session ends it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browserkit import add_note, expect_state, open_page, sign_in
from serverproc import http_json, read_log

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

PENDING = re.compile(r"\bpending\b")


def open_overview(page: Any, base: str, token: str) -> None:
    page.goto(f"{base}/#t={token}")
    expect(page.locator("#overview")).to_be_visible()
    expect_state(page, "open")


def write_on(page: Any, corner: str, station: str, text: str) -> None:
    """From the overview: open a corner's board, add a note, wait for it, back to the overview."""
    page.locator(f'.ov-corner[data-corner="{corner}"] .ov-open').click()
    page.locator(f'[data-add-station="{station}"]').wait_for()
    add_note(page, station, text)
    expect(page.locator(".note", has_text=text)).not_to_have_class(PENDING)
    page.locator("#nav-overview").click()
    expect(page.locator("#overview")).to_be_visible()


def test_R24_snapshot_keeps_the_old_state_diff_lists_the_new_note_and_csv_downloads(
        server: Any, browser: Any, tmp_path: Path) -> None:
    created = server.create_session("vier-hoeken")
    sid, token = created["session"]["id"], str(created["facilitator_token"])
    problems: list[str] = []
    fac = open_page(browser, problems, "facilitator", viewport={"width": 1400, "height": 1000})
    open_overview(fac, server.url, token)

    old, new = "Oude notitie van voor de pauze", "Nieuwe notitie =1+1 na de pauze"
    write_on(fac, "praatplaat", "relevantie", old)

    # A named snapshot from the archive panel.
    panel = fac.locator("#archive-panel")
    panel.locator("#snapshot-name").fill("Voor de pauze")
    panel.locator("#snapshot-take").click()
    item = panel.locator('.snapshot[data-name="Voor de pauze"]')
    expect(item).to_have_count(1)
    expect(item.locator(".snapshot-meta")).to_contain_text("1 notities")
    expect(panel.locator("#archive-status")).to_contain_text("Voor de pauze")
    # The same name again is refused (409), visibly.
    panel.locator("#snapshot-name").fill("Voor de pauze")
    panel.locator("#snapshot-take").click()
    expect(panel.locator("#archive-status")).to_contain_text("al een snapshot")
    expect(panel.locator(".snapshot")).to_have_count(1)

    # The session goes on.
    write_on(fac, "matrix", "tips", new)

    # The snapshot at its own address shows the old state, read-only, marked as a snapshot.
    href = str(item.locator(".snapshot-open").get_attribute("href"))
    assert href == f"/s/{sid}/Voor%20de%20pauze#t={token}"
    snap = open_page(browser, problems, "snapshot")
    snap.goto(server.url + href)
    view = snap.locator("#snapshot-view")
    expect(view).to_be_visible()
    expect(snap.locator("#snapshot-banner")).to_contain_text("Snapshot “Voor de pauze”")
    expect(snap.locator("#snapshot-banner")).to_contain_text("alleen lezen")
    old_board = view.locator('.snap-board[data-corner="praatplaat"]')
    expect(old_board.locator(".snap-note", has_text=old)).to_have_count(1)
    expect(view.locator(".snap-note")).to_have_count(1)
    assert new not in snap.content()
    expect(snap.locator("[data-add-station], .note-editor, .note-menu, textarea")).to_have_count(0)
    expect(snap.locator("#snapshot-back")).to_have_attribute("href", f"/#t={token}")

    # The diff of the snapshot with now lists the added note (and nothing removed).
    panel.locator("#diff-from").select_option("Voor de pauze")
    panel.locator("#diff-to").select_option("")
    panel.locator("#diff-run").click()
    added = panel.locator("#diff-result .diff-added .diff-item")
    expect(added).to_have_count(1)
    expect(added.locator(".diff-text")).to_have_text(new)
    expect(added.locator(".diff-where")).to_have_text("De matrix · 3. Tips, feedback!")
    expect(panel.locator("#diff-result .diff-removed")).to_have_count(0)

    # A CSV export of now downloads through the browser and holds the new note's text.
    expect(panel.locator("#export-source")).to_have_value("")
    with fac.expect_download() as info:
        panel.locator('.export-btn[data-format="csv"]').click()
    download = info.value
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    text = path.read_text(encoding="utf-8")
    assert new in text and old in text
    # ... and one of the snapshot, anonymous: only the old note.
    panel.locator("#export-source").select_option("Voor de pauze")
    fac.locator("#export-anonymous").check()
    with fac.expect_download() as info:
        panel.locator('.export-btn[data-format="csv"]').click()
    snap_csv = tmp_path / "snap.csv"
    info.value.save_as(snap_csv)
    body = snap_csv.read_text(encoding="utf-8")
    assert old in body and new not in body and "deelnemer-1" in body

    assert problems == [], [*problems, read_log(server.proc)]


def test_R24_restore_as_new_session_and_delete_the_session(server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken")
    token = str(created["facilitator_token"])
    problems: list[str] = []
    fac = open_page(browser, problems, "facilitator", viewport={"width": 1400, "height": 1000})
    sign_in(fac, server)  # R31: deleting is the organiser's who made the session (the cookie)
    open_overview(fac, server.url, token)
    write_on(fac, "achtje", "toepasbaarheid", "Bewaren voor later")
    panel = fac.locator("#archive-panel")
    panel.locator("#snapshot-name").fill("Ochtend")
    panel.locator("#snapshot-take").click()
    item = panel.locator('.snapshot[data-name="Ochtend"]')
    expect(item).to_have_count(1)

    item.locator(".snapshot-restore").click()
    item.locator(".restore-title").fill("Middag (uit de ochtend)")
    item.locator(".restore-confirm").click()
    # This tab stays on the live session; the new one opens in a tab of its own (issue 18).
    expect(fac.locator("#restored-open")).to_be_visible()
    expect(fac.locator("#overview .session-title")).not_to_have_text("Middag (uit de ochtend)")
    with fac.context.expect_page() as opened:
        fac.locator("#restored-open").click()
    fac = opened.value
    fac.on("pageerror", lambda exc: problems.append(f"new tab page error: {exc}"))
    # That tab is the facilitator of a new session with the same notes.
    expect(fac.locator(".session-title")).to_have_text("Middag (uit de ochtend)")
    expect_state(fac, "open")
    new_code = str(fac.locator("#join-code").get_attribute("data-code"))  # shown as "ABCD EFGH"
    expect(fac.locator("#join-code")).to_have_text(f"{new_code[:4]} {new_code[4:]}")
    assert new_code != created["code"]
    card = fac.locator('.ov-corner[data-corner="achtje"]')
    expect(card.locator(".ov-note-text")).to_have_text("Bewaren voor later")
    new_token = re.search(r"#t=([^&]+)", fac.url).group(1)  # type: ignore[union-attr]
    assert new_token != token

    # Deleting needs the join code typed; then the session and its links are gone.
    fac.locator("#session-delete").click()
    confirm = fac.locator("#session-delete-confirm")
    expect(confirm).to_be_disabled()
    fac.locator("#delete-confirm-code").fill(new_code.lower())
    expect(confirm).to_be_enabled()
    confirm.click()
    expect(fac.locator("#new-session")).to_be_visible()
    expect(fac.locator(".home .error")).to_have_text("De sessie is verwijderd.")
    status, _ = http_json("GET", f"{server.url}/api/join/{new_code}")
    assert status == 404
    # The original session is untouched.
    status, _ = http_json("GET", f"{server.url}/api/join/{created['code']}")
    assert status == 200

    assert problems == [], [*problems, read_log(server.proc)]
