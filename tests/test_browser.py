"""The browser client against a real server process: two pages share a board, survive restarts.

Drives Debian's Chromium through Playwright (sync API). The server runs as a subprocess
(tests/serverproc.py) on a free port with a SQLite file, so SIGTERM and SIGKILL are real.
"""

from __future__ import annotations

import re
import signal
from typing import Any

import pytest
from browserkit import add_note, expect_state, note_with_text, open_page
from serverproc import read_log

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")

RECONNECT_TIMEOUT_MS = 30_000


def join_corner(page: Any, base: str, code: str, corner: int = 1) -> None:
    page.goto(f"{base}/j/{code}")
    page.locator("#profile-continue").click()
    page.locator(f'.corner[data-corner="{corner}"]').click()
    page.locator('[data-add-station="relevantie"]').wait_for()
    expect_state(page, "open")


def wait_reconnected(page: Any) -> None:
    expect_state(page, "open", timeout=RECONNECT_TIMEOUT_MS)


def test_two_pages_share_a_board_and_survive_restarts(server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken")
    code = str(created["code"])

    problems: list[str] = []
    a = open_page(browser, problems, "A")
    b = open_page(browser, problems, "B")
    join_corner(a, server.url, code)
    join_corner(b, server.url, code)

    text = "Hallo vanuit A <b>vet</b>"
    add_note(a, "relevantie", text)
    in_b = b.locator('.station[data-station="relevantie"] .note .note-text')
    sync_api.expect(in_b).to_have_count(1)
    sync_api.expect(in_b).to_have_text(text)  # as text: the tags are visible characters
    assert b.locator(".note-text b").count() == 0
    assert in_b.evaluate("el => el.children.length") == 0
    # The note is confirmed on A (no longer pending) and carries a data-note-id.
    mine = a.locator(".note", has_text="Hallo vanuit A")
    sync_api.expect(mine).not_to_have_class(re.compile(r"\bpending\b"))
    assert mine.get_attribute("data-note-id")

    for round_no, sig in enumerate((signal.SIGTERM, signal.SIGKILL), start=1):
        server.stop(sig)
        for page in (a, b):
            sync_api.expect(page.locator("#conn-state")).not_to_have_attribute(
                "data-state", "open", timeout=10_000)
        writer, reader = (a, b) if round_no == 1 else (b, a)
        # Written while the server is down: kept as pending and sent again after reconnect.
        offline = f"Offline geschreven {round_no}"
        add_note(writer, "toepasbaarheid", offline)
        sync_api.expect(note_with_text(writer, offline)).to_have_count(1)
        server.start()
        for page in (a, b):
            wait_reconnected(page)
            sync_api.expect(note_with_text(page, text)).to_have_count(1)
        sync_api.expect(note_with_text(reader, offline)).to_have_count(1)
        later = f"Na herstart {round_no} ({signal.Signals(sig).name})"
        add_note(writer, "tips", later)
        sync_api.expect(note_with_text(reader, later)).to_have_count(1)
        sync_api.expect(note_with_text(writer, later)).to_have_count(1)

    # Nothing was stored twice, and nothing is left unconfirmed.
    for page in (a, b):
        sync_api.expect(page.locator(".note[data-note-id]")).to_have_count(5)
        sync_api.expect(page.locator(".note.pending")).to_have_count(0)
    assert problems == [], [*problems, read_log(server.proc)]
