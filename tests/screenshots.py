"""Screenshots for the README: `.venv/bin/python tests/screenshots.py`.

Starts a throwaway server, fills a four-corner session as a morning at the STO day would (notes
from several groups on every corner, a cluster, the round timer running, a crowded matrix
corner), and writes through the real client:

- docs/screenshot.png              a corner board on a laptop (1280x800)
- docs/screenshot-phone.png        a participant's phone (390x844, touch), scrolled one station
                                   down: the top bar with the clock stays in view
- docs/screenshot-projector.png    a crowded corner's screen (1920x1080): 25 notes per station,
                                   paged at a readable size
- docs/screenshot-join.png         the join screen for the plenary start (1920x1080)
- docs/screenshot-facilitator.png  the begeleider's overview (1440x1000)

The names are made up. Not a pytest module; exits 1 when the phone page scrolls sideways.
"""

from __future__ import annotations

import json
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browserkit import CHROMIUM, CHROMIUM_ARGS, ServerHandle
from playwright.sync_api import expect, sync_playwright
from serverproc import ROOT, http_json
from websockets.sync.client import connect

# (name, group, corner, station, text, colour)
NOTES = [
    ("Anouk", "Groep 1", "praatplaat", "relevantie",
     "Ja! Het gesprek over urgentie en belangen voeren we nu nergens structureel.", "yellow"),
    ("Anouk", "Groep 1", "praatplaat", "relevantie",
     "Vooral voor regio's die net beginnen met de samenwerking vmbo-mbo.", "green"),
    ("Bram", "Groep 1", "praatplaat", "relevantie",
     "De dieren maken de mechanismen bespreekbaar zonder dat het over personen gaat.", "yellow"),
    ("Bram", "Groep 1", "praatplaat", "toepasbaarheid",
     "Bij de start van het schooljaar, met het hele kernteam en een bedrijf erbij.", "blue"),
    ("", "Groep 1", "praatplaat", "toepasbaarheid",
     "Wat mij belet: geen ruimte in de jaarplanning voor zo'n gesprek.", "pink"),
    ("Sanne", "Online", "praatplaat", "toepasbaarheid",
     "Een begeleider van buiten de regio zou helpen om het gesprek eerlijk te houden.", "blue"),
    ("", "Online", "praatplaat", "tips",
     "Maak er ook een digitale versie van voor online bijeenkomsten.", "orange"),
    ("Bram", "Groep 1", "praatplaat", "tips",
     "Voorbeelden uit andere regio's toevoegen: hoe zag DE OPGAVE er daar uit?", "purple"),
    ("Ravi", "Groep 2", "matrix", "relevantie",
     "Eindelijk een manier om ambities concreet te maken.", "yellow"),
    ("Ravi", "Groep 2", "matrix", "toepasbaarheid",
     "Vraag 6 (meten of het bijdraagt) vinden wij het lastigst.", "blue"),
    ("Lotte", "Groep 3", "achtje", "relevantie",
     "Herkenbaar: bestuurlijke betrokkenheid ontbreekt vaak.", "pink"),
    ("Lotte", "Groep 3", "achtje", "tips",
     "Een voorbeeld van spraakverwarring tussen de niveaus zou helpen.", "green"),
    ("Daan", "Groep 4", "reflectietool", "relevantie",
     "Goed om elk half jaar samen te scoren en te vergelijken.", "yellow"),
]
STATIONS = ("relevantie", "toepasbaarheid", "tips")
COLOURS = ("yellow", "green", "blue", "pink", "orange", "purple")
CROWD = [
    "De zeven vragen dwingen ons om concreet te worden over wie wat doet.",
    "Vraag 3 is te vaag: wat bedoelen jullie met 'regionaal belang'?",
    "Handig om de activiteiten van vmbo en mbo naast elkaar te zien.",
    "Wij zouden er een kolom voor het bedrijfsleven aan toevoegen.",
    "Kost tijd om in te vullen, maar levert een goed gesprek op.",
    "Graag een voorbeeld van een ingevulde matrix uit een andere regio.",
    "Past goed bij onze jaarplanning in september.",
]
CLUSTER = ("Gesprek op gang brengen", "praatplaat", "relevantie", [0, 2])
PAGES = [("Anouk", "Groep 1", "praatplaat"), ("Ravi", "Groep 2", "matrix"),
         ("Lotte", "Groep 3", "achtje"), ("Daan", "Groep 4", "reflectietool")]


def send_ops(base: str, token: str, ops: list[tuple[str, dict[str, Any]]], name: str = "",
             group: str = "") -> None:
    """Say who we are (and join the group first), then send (board, op) pairs on a websocket of
    their own and wait for every ack."""
    with connect(base.replace("http://", "ws://") + "/ws") as ws:
        hello: dict[str, Any] = {"type": "hello", "v": 1, "token": token}
        if name:
            hello["name"] = name
        ws.send(json.dumps(hello))

        def send_and_wait(pairs: list[tuple[str, dict[str, Any]]]) -> None:
            for board, op in pairs:
                ws.send(json.dumps({"type": "op", "id": f"shot-{uuid.uuid4().hex[:16]}",
                                    "board": board, "op": op}))
            acked = 0
            while acked < len(pairs):
                frame = json.loads(ws.recv(timeout=10))
                if frame["type"] == "error":
                    raise RuntimeError(frame)
                acked += frame["type"] == "ack"

        if group:  # the server stamps each note with the group the control board knows
            send_and_wait([(ops[0][0].split(".")[0] + ".control",
                            {"kind": "group.join", "group": group})])
        send_and_wait(ops)


def join(page: Any, base: str, code: str, name: str, group: str, corner: str) -> None:
    page.goto(f"{base}/j/{code}/{corner}")
    page.locator("#name").fill(name)
    page.locator("#group").select_option(group)
    page.locator("#profile-continue").click()
    page.locator('[data-add-station="relevantie"]').wait_for()
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "open")


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="vh-shots-"))
    server = ServerHandle(tmp)
    server.start()
    base = server.url
    out = ROOT / "docs"
    out.mkdir(exist_ok=True)
    try:
        created = server.create_session("vier-hoeken", "Regio Utrecht, 12 maart")
        sid, code = str(created["session"]["id"]), str(created["code"])
        fac_token = str(created["facilitator_token"])

        # The notes, each from its writer (the server stamps name, group and round).
        ids = [f"n-shot{i:03d}" for i in range(len(NOTES))]
        by_writer: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
        for i, (name, group, corner, station, text, color) in enumerate(NOTES):
            by_writer.setdefault((name, group), []).append((f"{sid}.{corner}", {
                "kind": "note.add", "note": ids[i], "zone": station, "text": text,
                "color": color, "x": 0, "y": i}))
        # A crowded corner: 25 notes per station at the matrix, from the groups that were there.
        for g in range(1, 5):
            by_writer.setdefault((f"Deelnemer {g}", f"Groep {g}"), []).extend(
                (f"{sid}.matrix", {"kind": "note.add", "note": f"n-crowd{g}{z}{k:02d}",
                                   "zone": zone, "text": CROWD[(g + k) % len(CROWD)],
                                   "color": COLOURS[(g + z + k) % len(COLOURS)], "x": 0,
                                   "y": k})
                for z, zone in enumerate(STATIONS) for k in range(25 // 4 + (g <= 25 % 4)))
        for (name, group), ops in by_writer.items():
            _, joined = http_json("GET", f"{base}/api/join/{code}")
            send_ops(base, str(joined["token"]), ops, name, group)
        title, corner, station, members = CLUSTER
        send_ops(base, fac_token, [(f"{sid}.control", {
            "kind": "cluster.add", "cluster": "c-shot", "station": station, "title": title,
            "corner": corner})])
        send_ops(base, fac_token, [(f"{sid}.{corner}", {
            "kind": "note.cluster", "note": ids[i], "cluster": "c-shot"}) for i in members])

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            fac = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
            fac.goto(f"{base}/#t={fac_token}")
            expect(fac.locator("#overview")).to_be_visible()
            fac.locator("#timer-start").click()
            expect(fac.locator("#timer-pause")).to_be_enabled()

            pages = {}
            for name, group, corner in PAGES:
                page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
                join(page, base, code, name, group, corner)
                pages[name] = page
            laptop = pages["Anouk"]
            expect(laptop.locator(".note:not(.pending)")).to_have_count(8)
            expect(laptop.locator(".cluster .note")).to_have_count(2)
            laptop.mouse.move(0, 0)
            laptop.wait_for_timeout(1200)  # the clock ticks past a whole second
            laptop.screenshot(path=str(out / "screenshot.png"))

            phone = browser.new_context(viewport={"width": 390, "height": 844},
                                        device_scale_factor=2, is_mobile=True,
                                        has_touch=True).new_page()
            join(phone, base, code, "Sanne", "Online", "praatplaat")
            expect(phone.locator(".note")).to_have_count(8)
            # Mid-scroll: the instrument folded away, the page one station down.
            phone.locator(".corner-figure-head").tap()
            phone.locator('.station[data-station="toepasbaarheid"]').evaluate(
                "(n) => window.scrollTo(0, n.getBoundingClientRect().top + window.scrollY - 60)")
            phone.wait_for_timeout(400)
            overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            phone.screenshot(path=str(out / "screenshot-phone.png"))

            screen = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
            screen.goto(str(created["projector_urls"]["matrix"]))
            expect(screen.locator("#projector .note").first).to_be_visible()
            screen.wait_for_timeout(1500)
            screen.screenshot(path=str(out / "screenshot-projector.png"))

            join_screen = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
            join_screen.goto(str(created["projector_urls"]["matrix"]).split("&")[0]
                             + "&screen=join")
            expect(join_screen.locator("#join-screen-qr")).to_have_js_property("complete", True)
            join_screen.wait_for_timeout(300)
            join_screen.screenshot(path=str(out / "screenshot-join.png"))

            card = fac.locator('.ov-corner[data-corner="praatplaat"]')
            expect(card.locator(".ov-presence")).to_contain_text("Groep 1", timeout=10_000)
            expect(fac.locator("#links-panel .links-corner")).to_have_count(4)
            fac.mouse.move(0, 0)
            fac.screenshot(path=str(out / "screenshot-facilitator.png"))
            browser.close()
        print("wrote docs/screenshot.png, -phone, -projector, -join and -facilitator.png "
              f"(phone overflow {overflow}px)")
        return 0 if overflow <= 0 else 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
