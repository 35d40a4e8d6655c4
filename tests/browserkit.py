"""Shared pieces of the browser tests: a real server process, Chromium pages, small helpers.

The fixtures ``server`` and ``browser`` live in conftest.py (so every browser test module gets
them without imports); the helpers here are imported by name.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from serverproc import (
    ROOT,
    free_port,
    http_json,
    organiser_headers,
    start_server,
    stop,
    wait_healthy,
)

try:  # Playwright is a dev dependency; modules that need it skip without it.
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover
    expect = None

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


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

    def create_session(self, template: str, title: str = "") -> dict[str, Any]:
        status, created = http_json("POST", f"{self.url}/api/sessions",
                                    {"template": template, "title": title},
                                    headers=organiser_headers(self.url))
        assert status == 201, created
        return created

    def organiser_link(self, name: str = "beheerder") -> str:
        """A fresh one-time sign-in link (R31) for organiser ``name``, made by the command line
        on this server's store (``vierhoeken organiser link NAME``), pointing at this server."""
        out = subprocess.run([sys.executable, "-m", "server", "organiser", "link", name],
                             cwd=ROOT, env={**os.environ, **self.env}, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        printed = out.stdout.strip().splitlines()[-1]
        assert "/o/" in printed, out.stdout
        return f"{self.url}/o/{printed.rsplit('/o/', 1)[1]}"


def sign_in(page: Any, server: ServerHandle, name: str = "beheerder") -> None:
    """Sign a Playwright page in as organiser the way a person does: open a one-time link; the
    page lands on "Mijn sessies" (the cookie then holds for the page's whole browser context)."""
    page.goto(server.organiser_link(name))
    expect(page.locator("#my-sessions")).to_be_visible()
    assert page.url.rstrip("/") == server.url, page.url  # the secret left the address bar


def open_page(browser: Any, problems: list[str], label: str,
              viewport: dict[str, int] | None = None, **context: Any) -> Any:
    ctx = browser.new_context(viewport=viewport or {"width": 1280, "height": 800},
                              locale="nl-NL", **context)
    page = ctx.new_page()
    page.set_default_timeout(10_000)

    def on_console(msg: Any) -> None:
        text = msg.text
        if "Content Security Policy" in text or "Refused to" in text:
            problems.append(f"{label} CSP: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"{label} page error: {exc}"))
    return page


def open_facilitator_board(browser: Any, problems: list[str], base: str, token: str,
                           corner: str, viewport: dict[str, int] | None = None) -> Any:
    """A begeleider's page on a laptop: the overview, then one corner's board."""
    page = open_page(browser, problems, "facilitator",
                     viewport=viewport or {"width": 1440, "height": 900})
    page.goto(f"{base}/#t={token}")
    expect(page.locator("#overview")).to_be_visible()
    expect_state(page, "open")
    page.locator(f'.ov-corner[data-corner="{corner}"] .ov-open').click()
    page.locator('[data-add-station="tips"]').wait_for()
    return page


def expect_state(page: Any, state: str, timeout: int = 10_000) -> None:
    expect(page.locator("#conn-state")).to_have_attribute("data-state", state, timeout=timeout)


def add_note(page: Any, zone: str, text: str) -> None:
    """Type a note into the zone whose add button has data-add-station=<zone>."""
    page.locator(f'[data-add-station="{zone}"]').click()
    editor = page.locator(".note-editor")
    editor.fill(text)
    editor.press("Enter")


def note_with_text(page: Any, text: str) -> Any:
    return page.locator(".note .note-text", has_text=text)


def ws_state(base: str, token: str, board: str) -> dict[str, Any]:
    """A fresh websocket connection's view of one board (hello, subscribe, the state frame)."""
    from websockets.sync.client import connect

    with connect(base.replace("http://", "ws://") + "/ws") as ws:
        ws.send(json.dumps({"type": "hello", "v": 1, "token": token}))
        ws.send(json.dumps({"type": "subscribe", "board": board}))
        while True:
            frame = json.loads(ws.recv(timeout=10))
            if frame["type"] == "state" and frame["board"] == board:
                return dict(frame["state"])

