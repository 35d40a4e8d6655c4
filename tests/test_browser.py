"""The browser client against a real server process: two pages share a board, survive restarts.

Drives Debian's Chromium through Playwright (sync API). The server runs as a subprocess
(tests/serverproc.py) on a free port with a SQLite file, so SIGTERM and SIGKILL are real.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serverproc import free_port, http_json, read_log, start_server, stop, wait_healthy

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
RECONNECT_TIMEOUT_MS = 30_000


class ServerHandle:
    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.env = {
            "STORE_URL": f"sqlite:///{tmp}/db.sqlite",
            "SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
            "DATA_DIR": str(tmp),
        }
        self.log = tmp / "server.log"
        self.proc: Any = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = start_server(self.port, self.env, self.log)
        wait_healthy(self.port, timeout=20, proc=self.proc)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            stop(self.proc, sig)
            self.proc = None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerHandle]:
    handle = ServerHandle(tmp_path)
    handle.start()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def open_page(browser: Any, problems: list[str], label: str) -> Any:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="nl-NL")
    page = ctx.new_page()
    page.set_default_timeout(10_000)

    def on_console(msg: Any) -> None:
        text = msg.text
        if "Content Security Policy" in text or "Refused to" in text:
            problems.append(f"{label} CSP: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"{label} page error: {exc}"))
    return page


def join_corner(page: Any, base: str, code: str, corner: int = 1) -> None:
    page.goto(f"{base}/j/{code}")
    page.locator("#profile-continue").click()
    page.locator(f'.corner[data-corner="{corner}"]').click()
    page.locator('[data-add-station="relevantie"]').wait_for()
    expect_state(page, "open")


def expect_state(page: Any, state: str, timeout: int = 10_000) -> None:
    sync_api.expect(page.locator("#conn-state")).to_have_attribute(
        "data-state", state, timeout=timeout)


def add_note(page: Any, station: str, text: str) -> None:
    page.locator(f'[data-add-station="{station}"]').click()
    editor = page.locator(".note-editor")
    editor.fill(text)
    editor.press("Enter")


def note_with_text(page: Any, text: str) -> Any:
    return page.locator(".note .note-text", has_text=text)


def wait_reconnected(page: Any) -> None:
    expect_state(page, "open", timeout=RECONNECT_TIMEOUT_MS)


def test_two_pages_share_a_board_and_survive_restarts(server: ServerHandle, browser: Any) -> None:
    status, created = http_json("POST", f"{server.url}/api/sessions", {"template": "vier-hoeken"})
    assert status == 201, created
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
