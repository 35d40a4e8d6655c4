"""Screenshots of a board for the docs: `.venv/bin/python tests/screenshots.py`.

Starts a throwaway server, fills one corner board through the real client, and writes
docs/screenshot.png (1280x800) and docs/screenshot-phone.png (360x640). Not a pytest module.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from playwright.sync_api import expect, sync_playwright
from serverproc import ROOT, free_port, http_json, start_server, stop, wait_healthy

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

NOTES = [
    ("Fatima", "Groep 1", "relevantie",
     "Ja! Dit gesprek voeren we nu nergens structureel.", "yellow"),
    ("Fatima", "Groep 1", "relevantie", "Vooral voor nieuwe regio's relevant.", "green"),
    ("Jeroen", "Groep 2", "toepasbaarheid",
     "Bij de start van een nieuw schooljaar, met het hele kernteam.", "blue"),
    ("Jeroen", "Groep 2", "toepasbaarheid", "Wat mij belet: geen tijd in de jaarplanning.", "pink"),
    ("", "Online", "tips", "Maak er ook een digitale versie van <3", "orange"),
    ("Jeroen", "Groep 2", "tips", "Voorbeelden uit andere regio's toevoegen.", "purple"),
]


def fill(page, base: str, code: str, name: str, group: str) -> None:
    page.goto(f"{base}/j/{code}")
    page.locator("#name").fill(name)
    page.locator("#group").select_option(group)
    page.locator("#profile-continue").click()
    page.locator('.corner[data-corner="1"]').click()
    page.locator('[data-add-station="relevantie"]').wait_for()
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "open")


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="vh-shots-"))
    port = free_port()
    env = {"STORE_URL": f"sqlite:///{tmp}/db.sqlite", "SECRET_KEY": "screenshots-" + "x" * 32,
           "DATA_DIR": str(tmp)}
    proc = start_server(port, env, tmp / "server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(port, proc=proc)
        _, created = http_json("POST", f"{base}/api/sessions", {"template": "vier-hoeken"})
        code = str(created["code"])
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            pages = {}
            for name, group, station, text, color in NOTES:
                key = (name, group)
                if key not in pages:
                    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                    pages[key] = ctx.new_page()
                    fill(pages[key], base, code, name, group)
                page = pages[key]
                page.locator(f'[data-add-station="{station}"]').click()
                page.locator(".note-editor").fill(text)
                page.locator(".note-editor").press("Enter")
                card = page.locator(".note", has_text=text)
                expect(card).to_have_count(1)
                if color != "yellow":
                    card.locator(".note-menu").click()
                    card.locator(f'.swatch[data-color="{color}"]').click()
                    card.locator(".note-menu").click()
            viewer = pages[("Fatima", "Groep 1")]
            expect(viewer.locator(".note:not(.pending)")).to_have_count(len(NOTES))
            viewer.mouse.move(0, 0)
            out = ROOT / "docs"
            out.mkdir(exist_ok=True)
            viewer.screenshot(path=str(out / "screenshot.png"))

            phone_ctx = browser.new_context(viewport={"width": 360, "height": 640},
                                            device_scale_factor=2, is_mobile=True, has_touch=True)
            phone = phone_ctx.new_page()
            fill(phone, base, code, "Sanne", "Groep 3")
            expect(phone.locator(".note")).to_have_count(len(NOTES))
            overflow = phone.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            phone.screenshot(path=str(out / "screenshot-phone.png"))
            browser.close()
        print("wrote docs/screenshot.png and docs/screenshot-phone.png "
              f"(phone overflow {overflow}px)")
        return 0 if overflow <= 0 else 1
    finally:
        stop(proc)


if __name__ == "__main__":
    sys.exit(main())
