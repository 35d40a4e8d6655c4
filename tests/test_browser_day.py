"""The day as people live it (issue 18), in Chromium at the viewports people use: a phone
(390x844, touch), a laptop (1440x900). What is checked is what is inside the viewport after the
scroll, round change or announcement that happens on the day: the frame at the top stays on the
screen (item 1), a move lands on the new corner's title with its notice in view (item 2), a
note being typed when the round changes is finished where it was begun (item 3, R53), the round
clock keeps running when its length is set and shows its last minute (item 5, R55),
announcements end by themselves (R56), a phone's first screen has notes on it in round 4 (item
10), the words are the page's own (item 11), and the session's name is on the screens and in
its files (R57).

The begeleider's control ops that are not what this test is about go over a websocket of their
own (`control`), the way the overview sends them.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from browserkit import add_note, expect_state, open_page, sign_in, ws_state
from serverproc import read_log

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
LAPTOP = {"viewport": {"width": 1440, "height": 900}}
TITLE = "Regio Utrecht, 12 maart"


def control(base: str, token: str, board: str, ops: list[dict[str, Any]]) -> None:
    """Send ops to a board over a websocket of their own and wait until each is answered."""
    from websockets.sync.client import connect

    with connect(base.replace("http://", "ws://") + "/ws") as ws:
        ws.send(json.dumps({"type": "hello", "v": 1, "token": token}))
        ws.send(json.dumps({"type": "subscribe", "board": board}))
        waiting = set()
        for i, op in enumerate(ops):
            oid = f"test:{time.time_ns()}:{i}"
            waiting.add(oid)
            ws.send(json.dumps({"type": "op", "id": oid, "board": board, "op": op}))
        deadline = time.monotonic() + 15
        while waiting and time.monotonic() < deadline:
            frame = json.loads(ws.recv(timeout=15))
            if frame.get("type") == "error":
                raise AssertionError(frame)
            if frame.get("type") in ("ack", "event") and frame.get("id") in waiting:
                waiting.discard(frame["id"])
        assert not waiting, waiting


def notes(n: int, zone: str, word: str = "Notitie") -> list[dict[str, Any]]:
    return [{"kind": "note.add", "note": f"n-{zone}-{word}-{i}".lower(), "zone": zone,
             "text": f"{word} {i}: een gedachte over dit instrument die een regel of twee beslaat",
             "y": i} for i in range(n)]


def join(browser: Any, problems: list[str], base: str, code: str, group: str, label: str,
         device: dict[str, Any]) -> Any:
    """A participant joins with the code, picks a group and opens the group's corner."""
    page = open_page(browser, problems, label, **device)
    page.goto(f"{base}/j/{code}")
    page.locator("#group").select_option(group)
    page.locator("#profile-continue").click()
    page.locator(".corner.is-ours").click()
    expect(page.locator(".board[data-board]")).to_be_visible()
    expect_state(page, "open")
    return page


def box(page: Any, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not shown"
    return dict(found)


def in_view(page: Any, selector: str) -> dict[str, float]:
    """The element's box, asserted to lie wholly inside the viewport."""
    b = box(page, selector)
    width, height = page.evaluate("[innerWidth, innerHeight]")
    assert b["y"] >= -0.5 and b["y"] + b["height"] <= height + 0.5, (selector, b, height)
    assert b["x"] >= -0.5 and b["x"] + b["width"] <= width + 0.5, (selector, b, width)
    return b


def scroll_one_station_down(page: Any) -> None:
    """Scroll the way a reader does: on a phone the second station's head to the top of the
    screen; on a laptop (stations side by side) down by most of a screen."""
    page.evaluate("""() => {
      const [a, b] = document.querySelectorAll('.station');
      if (b.getBoundingClientRect().top > a.getBoundingClientRect().top + 10) {
        b.scrollIntoView({block: 'start'});
      } else {
        window.scrollBy(0, innerHeight * 0.7);
      }
    }""")
    page.wait_for_function("() => window.scrollY > 200")


def session(server: Any, title: str = TITLE) -> tuple[str, str, str]:
    """A four-corner session: its id, join code and begeleider token."""
    created = server.create_session("vier-hoeken", title)
    return created["session"]["id"], str(created["code"]), str(created["facilitator_token"])


@pytest.mark.parametrize("device", ["phone", "laptop"])
def test_item1_the_frame_stays_on_the_screen_when_the_page_scrolls(
        server: Any, module_browser: Any, device: str) -> None:
    sid, code, fac = session(server)
    board = f"{sid}.praatplaat"
    control(server.url, fac, board, notes(10, "relevantie") + notes(10, "toepasbaarheid"))
    problems: list[str] = []
    page = join(module_browser, problems, server.url, code, "Groep 1", device,
                PHONE if device == "phone" else LAPTOP)
    control(server.url, fac, f"{sid}.control", [
        {"kind": "timer.start"}, {"kind": "announce", "text": "Om 15:00 terug in de zaal"}])
    expect(page.locator("#announcement")).to_have_text("Om 15:00 terug in de zaal")

    scroll_one_station_down(page)
    for part in ("#round-timer", "#conn-state", "#announcement", "#session-name"):
        in_view(page, part)
    frame = box(page, "#frame-top")
    assert frame["y"] == 0, frame

    # Offline with a note waiting: said in the bar, on the screen, while scrolled down.
    page.context.set_offline(True)
    expect_state(page, "offline")
    add_note(page, "toepasbaarheid", "Geschreven zonder netwerk")
    page.evaluate("window.scrollBy(0, 300)")
    conn = page.locator("#conn-state")
    expect(conn).to_have_text("offline — 1 notitie wacht")
    in_view(page, "#conn-state")
    in_view(page, "#round-timer")
    assert page.evaluate("window.scrollY") > 200
    # ... and the page never scrolls sideways.
    page.evaluate("window.scrollTo(600, window.scrollY)")
    assert page.evaluate("window.scrollX") == 0
    page.context.set_offline(False)
    expect_state(page, "open")
    assert problems == [], [*problems, read_log(server.proc)]


def test_item2_a_move_lands_on_the_new_corner_title_with_its_notice_in_view(
        server: Any, module_browser: Any) -> None:
    sid, code, fac = session(server)
    control(server.url, fac, f"{sid}.praatplaat", notes(8, "relevantie") + notes(8, "tips"))
    control(server.url, fac, f"{sid}.matrix", notes(8, "relevantie"))
    problems: list[str] = []
    page = join(module_browser, problems, server.url, code, "Groep 1", "phone", PHONE)
    expect(page.locator(".board-title")).to_have_text("De praatplaat")

    def title_under_the_frame() -> None:
        notice = in_view(page, "#rotation-notice")
        title = in_view(page, ".board-title")
        frame = box(page, "#frame-top")
        assert notice["y"] + notice["height"] <= frame["y"] + frame["height"] + 0.5
        assert title["y"] >= frame["y"] + frame["height"] - 0.5, (title, frame)

    scroll_one_station_down(page)
    control(server.url, fac, f"{sid}.control", [{"kind": "round.next"}])
    expect(page.locator(".board[data-board]")).to_have_attribute("data-board", f"{sid}.matrix")
    notice = page.locator("#rotation-notice")
    expect(notice).to_contain_text("Ronde 2: jullie groep gaat naar De matrix")
    title_under_the_frame()

    # A summons from the middle of the page, the same.
    scroll_one_station_down(page)
    control(server.url, fac, f"{sid}.control", [{"kind": "summon", "corner": "praatplaat"}])
    expect(page.locator(".board[data-board]")).to_have_attribute("data-board", f"{sid}.praatplaat")
    expect(page.locator("#rotation-notice")).to_contain_text("Iedereen naar De praatplaat")
    title_under_the_frame()
    assert problems == [], [*problems, read_log(server.proc)]


def test_R53_item3_a_note_typed_when_the_round_changes_is_finished_where_it_was_begun(
        server: Any, module_browser: Any) -> None:
    sid, code, fac = session(server)
    problems: list[str] = []
    page = join(module_browser, problems, server.url, code, "Groep 1", "phone", PHONE)
    expect(page.locator(".board[data-board]")).to_have_attribute("data-board", f"{sid}.praatplaat")

    # Round 1 at the praatplaat: half a sentence when the begeleider moves on.
    page.locator('[data-add-station="tips"]').click()
    editor = page.locator(".note-editor")
    editor.press_sequentially("Meer ruimte voor")
    control(server.url, fac, f"{sid}.control", [{"kind": "round.next"}])
    notice = page.locator("#rotation-notice")
    expect(notice).to_contain_text("Ronde 2: jullie groep gaat naar De matrix")
    expect(notice).to_contain_text("De matrix — maak je notitie eerst af")
    in_view(page, "#rotation-notice")
    # Still here, still typing: nothing lost, nothing sent yet.
    time.sleep(0.5)
    board = page.locator(".board[data-board]")
    expect(board).to_have_attribute("data-board", f"{sid}.praatplaat")
    expect(editor).to_have_value("Meer ruimte voor")
    expect(editor).to_be_focused()
    editor.press_sequentially(" het gesprek met de partners")
    editor.press("Enter")
    # Sent, then off to the new corner, its title on the screen.
    expect(board).to_have_attribute("data-board", f"{sid}.matrix")
    expect(page.locator(".board-title")).to_have_text("De matrix")
    in_view(page, ".board-title")
    expect(notice).not_to_contain_text("maak je notitie")
    note = ws_state(server.url, fac, f"{sid}.praatplaat")["notes"]
    written = [n for n in note if n["text"].startswith("Meer ruimte")]
    assert len(written) == 1, note
    assert written[0]["text"] == "Meer ruimte voor het gesprek met de partners"
    assert (written[0]["zone"], written[0]["group"], written[0]["round"]) == ("tips", "Groep 1", 1)

    # Round 2 at the matrix: "go now" sends what is typed and goes.
    page.locator('[data-add-station="relevantie"]').click()
    page.locator(".note-editor").press_sequentially("Kort maar krachtig")
    control(server.url, fac, f"{sid}.control", [{"kind": "round.next"}])
    go = page.locator("#notice-action")
    expect(go).to_have_text("Nu erheen")
    in_view(page, "#notice-action")
    go.tap()
    expect(board).to_have_attribute("data-board", f"{sid}.achtje")
    matrix = ws_state(server.url, fac, f"{sid}.matrix")["notes"]
    sent = [n for n in matrix if n["text"] == "Kort maar krachtig"]
    assert len(sent) == 1 and sent[0]["round"] == 2, matrix
    # A note begun and sent in the same round is simply of that round.
    add_note(page, "tips", "Gewoon in ronde 3")
    sent_now = page.locator(".note:not(.pending) .note-text", has_text="Gewoon in ronde 3")
    expect(sent_now).to_have_count(1)
    achtje = ws_state(server.url, fac, f"{sid}.achtje")["notes"]
    assert [n["round"] for n in achtje] == [3]
    assert problems == [], [*problems, read_log(server.proc)]


def test_R55_item5_setting_the_length_keeps_the_round_running_and_the_last_minute_shows(
        server: Any, module_browser: Any) -> None:
    created = server.create_session("vier-hoeken", TITLE)
    sid, fac = created["session"]["id"], str(created["facilitator_token"])
    problems: list[str] = []
    overview = open_page(module_browser, problems, "facilitator", **LAPTOP)
    overview.goto(f"{server.url}/#t={fac}")
    expect(overview.locator("#overview")).to_be_visible()
    expect_state(overview, "open")
    screen = open_page(module_browser, problems, "screen", viewport={"width": 1920, "height": 1080})
    screen.goto(created["projector_urls"]["matrix"])
    expect_state(screen, "open")

    overview.locator("#timer-start").click()
    pill = overview.locator("#round-timer")
    expect(pill).to_have_attribute("data-state", "running")
    # "Instellen" with 20 minutes while the round runs: it runs on, with what it had left.
    overview.locator("#round-length").fill("20")
    overview.locator("#round-length-set").click()
    expect(overview.locator("#toast")).to_contain_text("geldt vanaf de volgende ronde")
    time.sleep(1.5)
    for page in (overview, screen):
        expect(page.locator("#round-timer")).to_have_attribute("data-state", "running")
        shown = page.locator("#round-timer .timer-time").inner_text()
        assert re.fullmatch(r"14:5\d", shown), shown

    # The screen turns its sound on (one click: the gesture a browser wants for audio).
    sound = screen.locator("#sound-toggle")
    expect(sound).to_have_attribute("aria-pressed", "false")
    sound.click()
    expect(sound).to_have_attribute("aria-pressed", "true")

    # The last minute: amber on every screen.
    control(server.url, fac, f"{sid}.control", [{"kind": "timer.add", "seconds": -(14 * 60)}])
    for page in (overview, screen):
        timer = page.locator("#round-timer")
        expect(timer).to_have_attribute("data-state", "ending")
        in_view(page, "#round-timer")
        colour = timer.evaluate("(n) => getComputedStyle(n).backgroundColor")
        assert colour == "rgb(245, 158, 11)", colour
    # 0:00: red, said in words, and the screen that turned its sound on chimes.
    control(server.url, fac, f"{sid}.control", [{"kind": "timer.add", "seconds": -57}])
    for page in (overview, screen):
        timer = page.locator("#round-timer")
        expect(timer).to_have_attribute("data-state", "over", timeout=8_000)
        expect(timer.locator(".timer-time")).to_have_text("0:00")
        assert "tijd is om" in str(timer.get_attribute("aria-label"))
        colour = timer.evaluate("(n) => getComputedStyle(n).backgroundColor")
        assert colour == "rgb(180, 35, 24)", colour
    expect(screen.locator("#round-timer")).to_have_attribute("data-chimed", re.compile(r"^1:"))
    # The next round has the new length.
    overview.locator("#round-next").click()
    expect(pill.locator(".timer-time")).to_have_text(re.compile(r"^(20:00|19:5\d)$"))
    assert problems == [], [*problems, read_log(server.proc)]


def test_R56_an_announcement_ends_by_itself_and_can_be_taken_down(
        server: Any, module_browser: Any) -> None:
    sid, code, fac = session(server)
    problems: list[str] = []
    page = join(module_browser, problems, server.url, code, "Groep 2", "phone", PHONE)
    banner = page.locator("#announcement")
    # The begeleider chooses how long it stays; their overview says until when.
    overview = open_page(module_browser, problems, "facilitator", **LAPTOP)
    overview.goto(f"{server.url}/#t={fac}")
    expect_state(overview, "open")
    overview.locator("#announce-text").fill("Koffie staat klaar")
    overview.locator("#announce-for").select_option("5")
    overview.locator("#announce-send").click()
    expect(banner).to_have_text("Koffie staat klaar")
    expect(overview.locator("#announce-now")).to_contain_text(
        re.compile(r"Nu te zien tot \d\d:\d\d: Koffie staat klaar"))
    until = ws_state(server.url, fac, f"{sid}.control")["control"]["announcement"]["until"]
    assert 295 <= until - time.time() <= 305, until
    # One of three seconds goes from every page by itself, the begeleider's too.
    control(server.url, fac, f"{sid}.control",
            [{"kind": "announce", "text": "Nog twee minuten", "seconds": 3}])
    expect(banner).to_have_text("Nog twee minuten")
    in_view(page, "#announcement")
    expect(banner).to_be_hidden(timeout=6_000)
    expect(overview.locator("#announce-now")).to_have_text("Er staat geen mededeling.")
    # A reload after its end does not bring it back.
    page.reload()
    expect_state(page, "open")
    time.sleep(0.5)
    expect(banner).to_be_hidden()
    # One without an end stays until the begeleider takes it down.
    control(server.url, fac, f"{sid}.control", [{"kind": "announce", "text": "Welkom"}])
    expect(banner).to_have_text("Welkom")
    time.sleep(1)
    expect(banner).to_be_visible()
    control(server.url, fac, f"{sid}.control", [{"kind": "announce", "text": ""}])
    expect(banner).to_be_hidden()
    assert problems == [], [*problems, read_log(server.proc)]


def test_item10_a_phone_in_round_4_has_notes_on_its_first_screen(
        server: Any, module_browser: Any) -> None:
    sid, code, fac = session(server)
    # Groep 1 is at the reflectietool in round 4; others wrote there before.
    control(server.url, fac, f"{sid}.reflectietool", notes(4, "relevantie"))
    problems: list[str] = []
    page = join(module_browser, problems, server.url, code, "Groep 1", "phone", PHONE)
    control(server.url, fac, f"{sid}.control", [
        {"kind": "timer.start"}, {"kind": "round.next"}, {"kind": "round.next"},
        {"kind": "round.next"},
        {"kind": "announce", "text": "Om 15:00 terug in de zaal voor de plenaire afsluiting"},
        {"kind": "vote.open", "vote": "v-1", "board": f"{sid}.reflectietool", "budget": 5,
         "cap": 2}])
    expect(page.locator(".board[data-board]")).to_have_attribute(
        "data-board", f"{sid}.reflectietool")
    expect(page.locator("#announcement")).to_be_visible()
    expect(page.locator("#rotation-notice")).to_contain_text("Ronde 4")
    expect(page.locator("#vote-bar")).to_be_visible()
    expect(page.locator(".note .note-text").first).to_be_visible()

    # The top bar is one row of at most 56 px: name, clock, connection and menu side by side.
    bar = box(page, "#topbar")
    assert bar["height"] <= 56, bar
    for part in ("#session-name", "#round-timer", "#conn-state", "#menu-toggle"):
        b = in_view(page, part)
        assert b["y"] >= bar["y"] and b["y"] + b["height"] <= bar["y"] + bar["height"] + 0.5
    # The description does not say the title again.
    need = page.locator(".board-need").inner_text()
    assert not need.lower().startswith("de reflectietool"), need
    # On a first visit the corner's instrument is open above the notes (R49), kept to a third
    # of the screen: the first note is still on the first screen, its first lines in view.
    expect(page.locator("#corner-figure")).to_have_attribute("open", "")
    assert page.evaluate("window.scrollY") == 0
    first = box(page, ".note:not(.draft)")
    assert first["y"] + 60 <= 844, first
    # Folded away (as it stays on this corner), the first note starts in the upper half, below
    # the announcement, the rotation notice, the vote bar and the instrument's bar (before: 75 %).
    page.locator(".corner-figure-head").tap()
    expect(page.locator("#corner-figure")).not_to_have_attribute("open", "")
    first = box(page, ".note:not(.draft)")
    assert page.evaluate("window.scrollY") == 0
    assert first["y"] <= 0.50 * 844, first

    # Code, navigation, sound and language are behind the menu.
    expect(page.locator("#nav-corners")).to_be_hidden()
    page.locator("#menu-toggle").tap()
    expect(page.locator("#menu-toggle")).to_have_attribute("aria-expanded", "true")
    for part in ("#nav-corners", "#nav-profile", "#session-code", "#lang-toggle"):
        in_view(page, part)
    page.locator("#nav-corners").tap()
    expect(page.locator(".corners")).to_be_visible()
    expect(page.locator("#nav-corners")).to_be_hidden()
    assert problems == [], [*problems, read_log(server.proc)]


def test_item11_plain_words_in_the_page_language(server: Any, module_browser: Any) -> None:
    from serverproc import http_json

    created = server.create_session("reflectietool", TITLE)
    sid, code = created["session"]["id"], str(created["code"])
    board = created["session"]["boards"][0]["id"]
    for score in (3, 4):
        status, joined = http_json("GET", f"{server.url}/api/join/{code}")
        assert status == 200, joined
        control(server.url, str(joined["token"]), board,
                [{"kind": "score.set", "aspect": "ambitie", "score": score}])
    problems: list[str] = []
    page = open_page(module_browser, problems, "participant", **PHONE)
    page.goto(f"{server.url}/j/{code}")
    page.locator("#profile-continue").click()
    expect(page.locator(".board[data-board]")).to_be_visible()
    extra = page.locator('.aspect[data-aspect="ambitie"] .agg-extra').first
    expect(extra).to_have_text("2 scores · spreiding 0,5")
    assert not re.search(r"\bsd\b|\bn \d", page.locator("#app").inner_text())

    # A participant's link on a snapshot address: refused, in Dutch, never the server's English.
    token = page.evaluate(f"JSON.parse(localStorage.getItem('vh.s.{sid}')).token")
    page.goto(f"{server.url}/s/{sid}/Einde%20ronde%201#t={token}")
    error = page.locator("#snapshot-error .error")
    expect(error).to_have_text("Dat lukte niet: Dat mag niet met deze link")
    status, body = http_json("GET", f"{server.url}/api/sessions/{sid}/snapshots/x",
                             headers={"authorization": f"Bearer {token}"})
    assert status == 403 and str(body["message"]) not in page.locator("#app").inner_text()

    # One word for the person who runs the session: "begeleider" in Dutch, never "facilitator".
    def texts(tree: Any) -> list[str]:
        return [t for v in tree.values() for t in (texts(v) if isinstance(v, dict) else [v])]

    dutch = texts(page.evaluate("import('/i18n.js').then((m) => m.messages.nl)"))
    assert [t for t in dutch if "facilitator" in t.lower()] == []
    assert "Niet geclusterd" not in dutch  # the notes in no cluster: "Overige notities"
    assert problems == [], [*problems, read_log(server.proc)]


def test_R57_the_session_name_is_on_the_screens_and_in_the_file_names(
        server: Any, module_browser: Any, tmp_path: Path) -> None:
    problems: list[str] = []
    organiser = open_page(module_browser, problems, "organiser", **LAPTOP)
    sign_in(organiser, server)
    organiser.locator("#session-title").fill("Zuid-Holland, 3 mèi")
    organiser.locator("#new-session").click()
    expect(organiser.locator("#overview")).to_be_visible()
    expect_state(organiser, "open")
    name = organiser.locator("#session-name")
    expect(name).to_have_text("Zuid-Holland, 3 mèi")
    in_view(organiser, "#session-name")
    assert organiser.title().startswith("Zuid-Holland, 3 mèi")
    code = str(organiser.locator("#session-code").get_attribute("data-code"))

    phone = open_page(module_browser, problems, "participant", **PHONE)
    phone.goto(f"{server.url}/j/{code}")
    phone.locator("#profile-continue").click()
    expect(phone.locator("#session-name")).to_have_text("Zuid-Holland, 3 mèi")
    in_view(phone, "#session-name")

    panel = organiser.locator("#archive-panel")
    with organiser.expect_download() as info:
        panel.locator('.export-btn[data-format="csv"]').click()
    assert info.value.suggested_filename == "Zuid-Holland, 3 mèi.csv"
    panel.locator("#snapshot-name").fill("Voor de pauze")
    panel.locator("#snapshot-take").click()
    expect(panel.locator('.snapshot[data-name="Voor de pauze"]')).to_have_count(1)
    panel.locator("#export-source").select_option("Voor de pauze")
    with organiser.expect_download() as info:
        panel.locator('.export-btn[data-format="md"]').click()
    assert info.value.suggested_filename == "Zuid-Holland, 3 mèi - Voor de pauze.md"
    assert problems == [], [*problems, read_log(server.proc)]
