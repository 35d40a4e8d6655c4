"""Facilitating the day in the browser: rotation, the shared round clock, summons, the projector.

A facilitator page (the overview) and participant pages against a real server process, in
Debian's Chromium through Playwright. The client never applies the control rules itself: it takes
the control state from the control board's `state` and every event's `after` (R20), moves a
participant to their group's corner when the round changes (R21), and shows the round clock from
the server-stamped timer corrected by the measured clock offset (R22).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from browserkit import add_note, expect_state, note_with_text, open_page
from serverproc import read_log

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CORNERS = ["praatplaat", "matrix", "achtje", "reflectietool"]
CLOCK = re.compile(r"^\d+:\d\d$")


def round_robin_corner(group_index: int, round_no: int) -> str:
    """R21's default plan: group i is at corner (i + r) mod 4 in round r (r 0-based)."""
    return CORNERS[(group_index + round_no - 1) % len(CORNERS)]


def seconds(text: str) -> int:
    m, s = text.split(":")
    return int(m) * 60 + int(s)


def open_facilitator(browser: Any, problems: list[str], base: str, token: str) -> Any:
    """A facilitator link of a four-corner session lands on the overview."""
    page = open_page(browser, problems, "facilitator")
    page.goto(f"{base}/#t={token}")
    expect(page.locator("#overview")).to_be_visible()
    expect_state(page, "open")
    expect(page.locator('.ov-corner[data-corner]')).to_have_count(4)
    return page


def join_with_group(browser: Any, problems: list[str], base: str, code: str, group: str,
                    label: str, path: str = "") -> Any:
    page = open_page(browser, problems, label)
    page.goto(f"{base}/j/{code}{path}")
    page.locator("#group").select_option(group)
    page.locator("#profile-continue").click()
    return page


def shown_board(page: Any) -> Any:
    return page.locator(".board[data-board]")


def test_R21_R22_participant_follows_the_rotation_and_every_page_shows_the_same_clock(
        server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken")
    sid, code = created["session"]["id"], str(created["code"])
    problems: list[str] = []
    fac = open_facilitator(browser, problems, server.url, str(created["facilitator_token"]))

    # The participant picks Groep 1 (index 0) and goes to that group's corner of round 1.
    part = join_with_group(browser, problems, server.url, code, "Groep 1", "participant")
    first = round_robin_corner(0, 1)
    ours = part.locator(".corner.is-ours")
    expect(ours).to_have_count(1)
    expect(ours).to_have_attribute("data-instrument", first)
    ours.click()
    expect(shown_board(part)).to_have_attribute("data-board", f"{sid}.{first}")
    expect_state(part, "open")
    expect(part.locator("#round-timer .timer-round")).to_have_text("Ronde 1")
    expect(part.locator("#round-timer .timer-time")).to_have_text("15:00")  # paused, full round

    # The facilitator sees the participant at that corner (presence, R23) ...
    card = fac.locator(f'.ov-corner[data-corner="{first}"]')
    expect(card.locator(".ov-presence")).to_contain_text("Groep 1: 1", timeout=10_000)
    # ... starts the clock, and moves on to round 2.
    fac.locator("#timer-start").click()
    expect(fac.locator("#timer-pause")).to_be_enabled()
    expect(part.locator("#round-timer")).to_have_attribute("data-state", "running")
    fac.locator("#round-next").click()

    second = round_robin_corner(0, 2)
    assert second == "matrix"
    expect(shown_board(part)).to_have_attribute("data-board", f"{sid}.{second}")
    notice = part.locator("#rotation-notice")
    expect(notice).to_be_visible()
    expect(notice).to_have_attribute("role", "status")
    expect(notice).to_contain_text("Ronde 2: jullie groep gaat naar De matrix")
    expect(part.locator(".board-title")).to_have_text("De matrix")

    # Both pages show round 2 and the same running clock, to within a second.
    for page in (fac, part):
        expect(page.locator("#round-timer .timer-round")).to_have_text("Ronde 2")
        expect(page.locator("#round-timer")).to_have_attribute("data-state", "running")
    expect(fac.locator("#overview-round")).to_have_text("Ronde 2 van 4")
    a = fac.locator("#round-timer .timer-time").inner_text()
    b = part.locator("#round-timer .timer-time").inner_text()
    assert CLOCK.match(a) and CLOCK.match(b), (a, b)
    assert abs(seconds(a) - seconds(b)) <= 1, (a, b)
    assert 14 * 60 <= seconds(a) <= 15 * 60, a
    # The overview's big clock agrees with the top bar.
    assert abs(seconds(fac.locator("#overview-time").inner_text()) - seconds(a)) <= 1

    # A note written now carries the group and the round (stamped by the server, R21).
    add_note(part, "tips", "Geschreven in ronde 2")
    fac_card = fac.locator(f'.ov-corner[data-corner="{second}"]')
    latest = fac_card.locator(".ov-note", has_text="Geschreven in ronde 2")
    expect(latest).to_have_count(1)
    expect(latest.locator(".ov-note-meta")).to_have_text("Groep 1 · ronde 2")
    expect(fac_card.locator('.ov-counts [data-station="tips"] .ov-count')).to_have_text("1")

    # Choosing another corner on purpose still works after a rotation.
    part.locator("#nav-corners").click()
    part.locator('.corner[data-instrument="achtje"]').click()
    expect(shown_board(part)).to_have_attribute("data-board", f"{sid}.achtje")

    # A summons moves everyone to that corner, with a notice; ending it sends the group back.
    fac.locator('.ov-corner[data-corner="reflectietool"] .summon').click()
    expect(shown_board(part)).to_have_attribute("data-board", f"{sid}.reflectietool")
    expect(notice).to_contain_text("Iedereen naar De reflectietool")
    fac.locator("#summon-end").click()
    expect(shown_board(part)).to_have_attribute("data-board", f"{sid}.{second}")

    assert problems == [], [*problems, read_log(server.proc)]


def test_R20_R22_projector_shows_the_clock_the_qr_code_and_notes_live(
        server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken")
    sid, code = created["session"]["id"], str(created["code"])
    corner = "matrix"
    problems: list[str] = []

    screen = open_page(browser, problems, "projector", viewport={"width": 1600, "height": 900})
    screen.goto(created["projector_urls"][corner])
    expect(screen.locator("#projector")).to_have_attribute("data-corner", corner)
    expect_state(screen, "open")
    expect(screen.locator(".projector-title")).to_have_text("De matrix")
    # The round clock, in the top bar and big on the screen.
    expect(screen.locator("#round-timer")).to_be_visible()
    expect(screen.locator("#round-timer .timer-time")).to_have_text(CLOCK)
    expect(screen.locator("#projector-time")).to_have_text("15:00")
    expect(screen.locator("#projector-round")).to_have_text("Ronde 1 van 4")
    # The corner's QR code loads (an SVG from /qr/CODE/corner.svg).
    qr = screen.locator("#projector-qr")
    assert qr.get_attribute("src") == f"/qr/{code}/{corner}.svg"
    assert qr.get_attribute("alt")
    screen.wait_for_function(
        "() => { const i = document.getElementById('projector-qr');"
        " return i && i.complete && i.naturalWidth > 0; }")
    # Read-only: no way to add, edit or move a note.
    expect(screen.locator("[data-add-station]")).to_have_count(0)
    expect(screen.locator(".note-menu")).to_have_count(0)

    # A participant joining by the corner's link lands on that corner and writes; it shows live.
    part = join_with_group(browser, problems, server.url, code, "Groep 2", "participant",
                           path=f"/{corner}")
    expect(shown_board(part)).to_have_attribute("data-board", f"{sid}.{corner}")
    expect_state(part, "open")
    text = "Zichtbaar op het scherm <b>live</b>"
    add_note(part, "relevantie", text)
    on_screen = note_with_text(screen, text)
    expect(on_screen).to_have_count(1)
    expect(on_screen).to_have_text(text)  # as text, never as markup
    assert screen.locator(".note-text b").count() == 0

    # The facilitator's announcement and clock reach the screen.
    fac = open_facilitator(browser, problems, server.url, str(created["facilitator_token"]))
    fac.locator("#announce-text").fill("Over 5 minuten <i>plenair</i>")
    fac.locator("#announce-send").click()
    for page in (screen, part):
        banner = page.locator("#announcement")
        expect(banner).to_have_text("Over 5 minuten <i>plenair</i>")
        expect(banner).to_have_attribute("role", "alert")
    fac.locator("#timer-start").click()
    expect(screen.locator("#projector-time")).not_to_have_text("15:00", timeout=5_000)
    expect(screen.locator("#projector-time")).to_have_attribute("data-state", "running")
    fac.locator("#announce-clear").click()
    expect(screen.locator("#announcement")).to_be_hidden()

    assert problems == [], [*problems, read_log(server.proc)]
