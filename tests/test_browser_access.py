"""Who may do what, in the browser (R31-R33, R37): organisers and "Mijn sessies", whose note is
whose on a phone, taking a participant out, a new join code and co-begeleiders.

A real server process and Debian's Chromium through Playwright, as the other browser tests. An
organiser signs in the way a person does: with a one-time link the command line makes
(`vierhoeken organiser link beheerder`, see browserkit.ServerHandle.organiser_link). What the
server refuses is tried over a websocket of its own, with the participant's own token taken from
the page's localStorage, and the server's state is read back on a fresh connection.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import pytest
from browserkit import add_note, expect_state, open_page, sign_in, ws_state
from serverproc import http_json, read_log

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

LAPTOP = {"viewport": {"width": 1440, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
PENDING = re.compile(r"\bpending\b")


# --- helpers ---------------------------------------------------------------------------------

def join(page: Any, base: str, code: str, name: str, corner: str = "praatplaat") -> None:
    """Join by a corner's link: the profile (a name), then that corner's board."""
    page.goto(f"{base}/j/{code}/{corner}")
    page.locator("#name").fill(name)
    page.locator("#profile-continue").click()
    page.locator('[data-add-station="relevantie"]').wait_for()
    expect_state(page, "open")


def kept(page: Any, sid: str) -> dict[str, Any]:
    """What the page keeps of the session in localStorage (its token, who it is)."""
    return dict(page.evaluate("sid => JSON.parse(localStorage.getItem('vh.s.' + sid))", sid))


def ws_try(base: str, token: str, frames: list[dict[str, Any]], name: str = "") -> list[Any]:
    """hello with ``token``, then each frame; every answer until the server closes or is
    quiet for a second (errors, acks, and the close code as ("closed", code))."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    answers: list[Any] = []
    with connect(base.replace("http://", "ws://") + "/ws") as ws:
        ws.send(json.dumps({"type": "hello", "v": 1, "token": token, "name": name}))
        try:
            for frame in frames:
                ws.send(json.dumps(frame))
            while True:
                msg = json.loads(ws.recv(timeout=1.5))
                if msg["type"] in ("ack", "error", "welcome"):
                    answers.append(msg)
        except TimeoutError:
            pass
        except ConnectionClosed as exc:
            answers.append(("closed", exc.rcvd.code if exc.rcvd else None))
    return answers


def op(board: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"type": "op", "id": f"try-{uuid.uuid4().hex[:12]}", "board": board, "op": body}


def note_on(page: Any, note_id: str) -> Any:
    return page.locator(f'.note[data-note-id="{note_id}"]')


def added(page: Any, zone: str, text: str) -> str:
    """Add a note through the page and wait until the server has it; its id."""
    add_note(page, zone, text)
    card = page.locator(".note", has_text=text)
    expect(card).not_to_have_class(PENDING)
    return str(card.get_attribute("data-note-id"))


def server_note(base: str, token: str, board: str, note_id: str) -> dict[str, Any] | None:
    notes = {n["id"]: n for n in ws_state(base, token, board)["notes"]}
    return notes.get(note_id)


# --- (a) an organiser: one-time link, a titled session, Mijn sessies later -----------------------

def test_R31_organiser_signs_in_with_a_link_and_finds_their_session_in_mijn_sessies(
        server: Any, browser: Any) -> None:
    problems: list[str] = []
    page = open_page(browser, problems, "organiser", **LAPTOP)
    link = server.organiser_link()
    page.goto(link)
    expect(page.locator("#my-sessions")).to_be_visible()
    expect(page.locator("#my-sessions h1")).to_have_text("Mijn sessies")
    expect(page.locator("#signed-in-as bdi")).to_have_text("beheerder")
    assert page.url == f"{server.url}/", page.url  # the secret is gone from the address bar
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["vh_organiser"]["httpOnly"] and cookies["vh_organiser"]["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # out of reach of scripts

    # A new session with a title: it opens as its begeleider, on the overview.
    title = "Regio Utrecht, 12 maart"
    page.locator("#session-title").fill(title)
    page.locator("#new-session").click()
    expect(page.locator("#overview")).to_be_visible()
    expect_state(page, "open")
    expect(page.locator("#overview .session-title")).to_have_text(title)
    code = str(page.locator("#join-code").get_attribute("data-code"))
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{8}", code), code  # R34: 8 of 31, no 0/O/1/I/L
    grouped = f"{code[:4]} {code[4:]}"
    expect(page.locator("#join-code")).to_have_text(grouped)  # read aloud in two groups
    expect(page.locator("#join-code")).to_be_in_viewport()
    expect(page.locator("#links-panel .join-link input")).to_have_value(f"{server.url}/j/{code}")

    # The tab is closed; a new page in the same browser finds it under Mijn sessies.
    context = page.context
    page.close()
    again = context.new_page()
    again.set_default_timeout(10_000)
    again.on("pageerror", lambda exc: problems.append(f"again page error: {exc}"))
    again.goto(server.url)
    item = again.locator(".my-session", has_text=title)
    expect(item).to_have_count(1)
    expect(item.locator(".my-session-title")).to_have_text(title)
    expect(item.locator(".my-session-code")).to_have_text(grouped)
    expect(item.locator(".my-session-meta")).to_contain_text(time.strftime("%Y"))
    expect(item).to_be_in_viewport()
    # ... newest first, and opening it as begeleider gives the same session.
    expect(again.locator(".my-session").first).to_have_attribute("data-code", code)
    item.locator(".open-facilitator").click()
    expect(again.locator("#overview")).to_be_visible()
    expect_state(again, "open")
    expect(again.locator("#join-code")).to_have_attribute("data-code", code)
    expect(again.locator("#overview .session-title")).to_have_text(title)

    # The used link signs nobody in again: a clear message, the join form and the sign-in.
    stranger = open_page(browser, problems, "stranger", **LAPTOP)
    stranger.goto(link)
    expect(stranger.locator("#home-message")).to_contain_text("al gebruikt, verlopen of onbekend")
    expect(stranger.locator("#join-form")).to_be_visible()
    expect(stranger.locator("#login-form")).to_be_visible()
    expect(stranger.locator("#my-sessions")).to_have_count(0)
    assert stranger.url == f"{server.url}/"
    # Participants come first: the join form is above the organisers' sign-in.
    join_box = stranger.locator("#join-form").bounding_box()
    login_box = stranger.locator("#organiser-login").bounding_box()
    assert join_box and login_box and join_box["y"] < login_box["y"]
    expect(stranger.locator("#join-form")).to_be_in_viewport()
    # A code typed as read aloud (with a space, in lower case) finds the session.
    stranger.locator("#join-code-input").fill(grouped.lower())
    stranger.locator("#join-submit").click()
    expect(stranger.locator("#profile-form")).to_be_visible()
    expect(stranger.locator("#profile-form .session-title")).to_have_text(title)

    # A password, then signing out and in again with name and password.
    back = context.new_page()
    back.goto(server.url)
    back.locator("#new-password").fill("een lang genoeg wachtwoord")
    back.locator("#password-submit").click()
    expect(back.locator("#password-status")).to_have_text("Je wachtwoord is ingesteld.")
    back.locator("#signout").click()
    expect(back.locator("#login-form")).to_be_visible()
    expect(back.locator("#home-message")).to_have_text("Je bent uitgelogd.")
    back.locator("#login-name").fill("beheerder")
    back.locator("#login-password").fill("niet het goede wachtwoord")
    back.locator("#login-submit").click()
    expect(back.locator("#login-error")).to_have_text("Naam of wachtwoord klopt niet.")
    back.locator("#login-password").fill("een lang genoeg wachtwoord")
    back.locator("#login-submit").click()
    expect(back.locator(".my-session", has_text=title)).to_have_count(1)
    assert problems == [], [*problems, read_log(server.proc)]


# --- (b) whose note is whose, on phones -----------------------------------------------------------

def test_R32_R37_on_phones_a_participant_changes_only_their_own_notes_until_shared_editing(
        server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken", "Regio Noord")
    sid, code, token = created["session"]["id"], str(created["code"]), created["facilitator_token"]
    board = f"{sid}.praatplaat"
    problems: list[str] = []
    a = open_page(browser, problems, "A", **PHONE)
    b = open_page(browser, problems, "B", **PHONE)
    a.on("dialog", lambda d: d.accept())
    b.on("dialog", lambda d: d.accept())
    b_name = "שרה כהן"  # right-to-left: the name is shown bidi-isolated (R37)
    join(a, server.url, code, "Ans")
    join(b, server.url, code, b_name)
    original = "Idee van Ans: stages in de regio"
    aid = added(a, "relevantie", original)
    bid = added(b, "relevantie", "Idee van B")

    # On B's phone: A's note shows no handle and no menu, B's own does, inside the screen.
    theirs, own = note_on(b, aid), note_on(b, bid)
    expect(theirs).to_have_count(1)
    expect(theirs.locator(".note-text")).to_have_text(original)
    expect(theirs.locator(".note-menu")).to_be_hidden()
    expect(theirs.locator(".drag-handle")).to_be_hidden()
    expect(theirs).not_to_have_class(re.compile(r"\bcan-change\b"))
    own.scroll_into_view_if_needed()
    expect(own.locator(".note-menu")).to_be_visible()
    expect(own.locator(".note-menu")).to_be_in_viewport()
    expect(own.locator(".drag-handle")).to_be_in_viewport()
    # Tapping A's text opens no editor; the keyboard cannot either.
    theirs.locator(".note-text").tap()
    theirs.focus()
    b.keyboard.press("Enter")
    expect(b.locator(".note-editor")).to_have_count(0)
    # B's name and group in A's page are isolated from the text around them.
    meta = note_on(a, bid).locator(".note-meta bdi.note-author")
    expect(meta).to_have_text(b_name)
    assert meta.evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate"

    # B tries anyway, over a websocket with B's own token: refused, nothing changes.
    b_token = kept(b, sid)["token"]
    tries = [op(board, {"kind": "note.edit", "note": aid, "text": "overschreven door B"}),
             op(board, {"kind": "note.color", "note": aid, "color": "pink"}),
             op(board, {"kind": "note.move", "note": aid, "x": 0, "y": 5, "zone": "tips"}),
             op(board, {"kind": "note.delete", "note": aid})]
    answers = [m for m in ws_try(server.url, b_token, tries) if isinstance(m, dict)]
    refused = [m.get("code") for m in answers if m["type"] in ("ack", "error")]
    assert refused == ["not_yours"] * 4, answers
    stored = server_note(server.url, token, board, aid)
    assert stored and stored["text"] == original and stored["zone"] == "relevantie", stored
    assert stored["color"] == "yellow"
    for page in (a, b):
        expect(note_on(page, aid).locator(".note-text")).to_have_text(original)
        expect(page.locator('.station[data-station="relevantie"]').locator(
            f'.note[data-note-id="{aid}"]')).to_have_count(1)

    # The begeleider turns on shared editing for this board in the overview.
    fac = open_page(browser, problems, "begeleider", **LAPTOP)
    fac.goto(f"{server.url}/#t={token}")
    expect(fac.locator("#overview")).to_be_visible()
    expect_state(fac, "open")
    switch = fac.locator("#editing-praatplaat")
    expect(switch).not_to_be_checked()
    switch.check()
    expect(fac.locator('.ov-corner[data-corner="praatplaat"]')).to_have_attribute(
        "data-editing", "shared")
    expect(b.locator("#board-editing-banner")).to_be_visible()
    expect(theirs.locator(".note-menu")).to_be_visible()
    expect(theirs.locator(".note-menu")).to_be_in_viewport()

    # Now B can edit A's note, and A's page says who did.
    edited = "Idee van Ans: stages in de regio, ook bij kleine bedrijven"
    theirs.locator(".note-text").tap()
    editor = theirs.locator(".note-editor")
    expect(editor).to_be_focused()
    editor.fill(edited)
    editor.press("Enter")
    expect(theirs.locator(".note-text")).to_have_text(edited)
    expect(theirs).not_to_have_class(PENDING)
    on_a = note_on(a, aid)
    expect(on_a.locator(".note-text")).to_have_text(edited)
    expect(on_a.locator(".note-edited")).to_be_visible()
    expect(on_a.locator(".note-edited")).to_have_text(f"bewerkt door {b_name}")
    by = on_a.locator(".note-edited bdi")
    expect(by).to_have_text(b_name)
    assert by.evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate"
    stored = server_note(server.url, token, board, aid)
    assert stored and stored["text"] == edited and stored["edited_by_name"] == b_name, stored

    # Off again: A's note is A's alone once more.
    switch.uncheck()
    expect(b.locator("#board-editing-banner")).to_be_hidden()
    expect(theirs.locator(".note-menu")).to_be_hidden()
    assert problems == [], [*problems, read_log(server.proc)]


# --- (c) a participant taken out of the session ---------------------------------------------

def test_R33_a_removed_participant_sees_it_within_a_second_and_can_no_longer_write(
        server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken", "Regio Zuid")
    sid, code, token = created["session"]["id"], str(created["code"]), created["facilitator_token"]
    board = f"{sid}.praatplaat"
    problems: list[str] = []
    c = open_page(browser, problems, "C", **PHONE)
    d = open_page(browser, problems, "D", **PHONE)
    join(c, server.url, code, "Cees")
    join(d, server.url, code, "Dirk")
    cid = added(c, "relevantie", "Notitie van Cees")
    c_kept = kept(c, sid)
    c_token, c_me = c_kept["token"], c_kept["me"]["participant"]
    sockets: list[float] = []
    c.on("websocket", lambda ws: sockets.append(time.monotonic()))

    # D goes offline and writes a note that waits in the queue; D is taken out meanwhile.
    d_kept = kept(d, sid)
    d.context.set_offline(True)
    expect_state(d, "offline")
    add_note(d, "tips", "Wacht in de wachtrij")
    expect(d.locator("#conn-state")).to_have_attribute("data-waiting", "1")
    answers = ws_try(server.url, token, [op(f"{sid}.control", {
        "kind": "participant.remove", "participant": d_kept["me"]["participant"]})])
    assert any(isinstance(m, dict) and m["type"] == "ack" for m in answers), answers

    # The begeleider takes C out from the overview, hiding C's notes too.
    fac = open_page(browser, problems, "begeleider", **LAPTOP)
    fac.goto(f"{server.url}/#t={token}")
    expect(fac.locator("#overview")).to_be_visible()
    person = fac.locator(".person", has_text="Cees")
    expect(person).to_have_count(1)
    expect(person.locator(".person-where")).to_contain_text("De praatplaat")
    person.locator(".person-remove").click()
    dialog = fac.locator("#remove-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Cees")
    dialog.locator("#remove-dialog-check").check()
    dialog.locator(".confirm-yes").click()
    clicked = time.monotonic()
    removed = c.locator("#removed")
    expect(removed).to_be_visible(timeout=1_000)
    took = time.monotonic() - clicked
    assert took < 1.0, took
    expect(removed.locator("h1")).to_have_text("Je bent uit deze sessie gehaald")
    expect(removed).to_be_in_viewport()
    expect(c.locator("[data-add-station], .note-editor, textarea, .note-menu")).to_have_count(0)
    expect(fac.locator(".person", has_text="Cees")).to_have_count(0)
    # Their note is hidden (R28), for everyone but its author and the begeleider.
    expect(fac.locator("#toast")).to_contain_text("Cees")
    deadline = time.monotonic() + 5
    while not (server_note(server.url, token, board, cid) or {}).get("hidden"):
        assert time.monotonic() < deadline, "C's note was not hidden"
        time.sleep(0.1)

    # No reconnect loop: no new websocket from C's page in the next 2.5 seconds.
    seen = len(sockets)
    c.wait_for_timeout(2_500)
    assert len(sockets) == seen, sockets
    expect(removed).to_be_visible()
    # C's later attempt to write, with C's own token: refused, the connection closed (4003).
    before = {n["id"] for n in ws_state(server.url, token, board)["notes"]}
    answers = ws_try(server.url, c_token, [
        op(board, {"kind": "note.add", "note": "n-na-afloop", "zone": "tips", "text": "toch"}),
        op(board, {"kind": "note.edit", "note": cid, "text": "toch nog"})], name="Cees")
    assert ("closed", 4003) in answers, answers
    assert [m["code"] for m in answers if isinstance(m, dict)] == ["removed"], answers
    after = ws_state(server.url, token, board)["notes"]
    assert {n["id"] for n in after} == before
    assert next(n for n in after if n["id"] == cid)["text"] == "Notitie van Cees"
    # A reload says the same at once, and opens no websocket.
    c.reload()
    expect(c.locator("#removed h1")).to_have_text("Je bent uit deze sessie gehaald")
    c.wait_for_timeout(500)
    assert len(sockets) == seen, sockets
    assert kept(c, sid)["me"]["participant"] == c_me

    # D comes back online: told at once, and the queued note is dropped, never sent.
    sent: list[Any] = []
    d.on("websocket", lambda ws: ws.on("framesent", lambda p: sent.append(p)))
    d.context.set_offline(False)
    expect(d.locator("#removed h1")).to_have_text("Je bent uit deze sessie gehaald",
                                                  timeout=15_000)
    assert d.evaluate(f"localStorage.getItem('vh.q.{sid}')") is None
    assert not [p for p in sent if '"op"' in str(p)], sent
    texts = [n["text"] for n in ws_state(server.url, token, f"{sid}.praatplaat")["notes"]]
    assert "Wacht in de wachtrij" not in texts
    assert problems == [], [*problems, read_log(server.proc)]


# --- (d) a new join code, co-begeleiders, deleting is the organiser's -----------------------

def test_R31_R33_new_join_code_invite_and_revoke_a_co_begeleider_and_who_may_delete(
        server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken", "Regio Oost")
    sid, old, token = created["session"]["id"], str(created["code"]), created["facilitator_token"]
    problems: list[str] = []
    fac = open_page(browser, problems, "begeleider", **LAPTOP)
    fac.goto(f"{server.url}/#t={token}")
    expect(fac.locator("#overview")).to_be_visible()
    expect_state(fac, "open")

    # A new join code: asked first; then the code, its link and QR codes change, the old stops.
    fac.locator("#rotate-code").click()
    dialog = fac.locator("#rotate-dialog")
    expect(dialog).to_contain_text("posters")
    dialog.locator(".confirm-no").click()
    expect(fac.locator("#join-code")).to_have_attribute("data-code", old)
    fac.locator("#rotate-code").click()
    fac.locator("#rotate-dialog .confirm-yes").click()
    expect(fac.locator("#join-code")).not_to_have_attribute("data-code", old)
    new = str(fac.locator("#join-code").get_attribute("data-code"))
    expect(fac.locator("#join-code")).to_have_text(f"{new[:4]} {new[4:]}")
    expect(fac.locator("#session-code")).to_have_text(f"{new[:4]} {new[4:]}")
    expect(fac.locator("#links-panel .join-link input")).to_have_value(f"{server.url}/j/{new}")
    expect(fac.locator("#qr-session")).to_have_attribute("src", f"/qr/{new}.svg")
    assert http_json("GET", f"{server.url}/api/join/{old}")[0] == 404
    assert http_json("GET", f"{server.url}/api/join/{new}")[0] == 200

    # A co-begeleider: a link of their own, shown once; it opens the overview.
    fac.locator("#invite-name").fill("Fatima")
    fac.locator("#invite-create").click()
    link = fac.locator("#invite-result .invite-link input")
    expect(link).to_have_value(re.compile(re.escape(server.url) + r"/#t=\S+"))
    expect(fac.locator('#invite-list .invite-name')).to_have_text("Fatima")
    co = open_page(browser, problems, "medebegeleider", **LAPTOP)
    co.goto(link.input_value())
    expect(co.locator("#overview")).to_be_visible()
    expect_state(co, "open")
    # Revoked: their open page closes at once and says so.
    fac.locator('#invite-list .invite-revoke').click()
    fac.locator("#revoke-dialog .confirm-yes").click()
    expect(co.locator("#removed h1")).to_have_text("Deze begeleiderslink is ingetrokken")
    expect(fac.locator("#invite-list .invite")).to_have_count(0)

    # Deleting is the organiser's who made the session: a begeleider link alone is told so.
    fac.locator("#session-delete").click()
    fac.locator("#delete-confirm-code").fill(new)
    fac.locator("#session-delete-confirm").click()
    expect(fac.locator("#delete-status")).to_contain_text("Alleen de organisator")
    assert http_json("GET", f"{server.url}/api/join/{new}")[0] == 200
    # Signed in as that organiser (same browser), the same button deletes it.
    sign_in(fac, server)
    fac.goto(f"{server.url}/#t={token}")
    expect(fac.locator("#overview")).to_be_visible()
    fac.locator("#session-delete").click()
    fac.locator("#delete-confirm-code").fill(f"{new[:4]} {new[4:]}".lower())
    fac.locator("#session-delete-confirm").click()
    expect(fac.locator("#home-message")).to_have_text("De sessie is verwijderd.")
    expect(fac.locator(f'.my-session[data-session="{sid}"]')).to_have_count(0)
    assert http_json("GET", f"{server.url}/api/join/{new}")[0] == 404
    assert problems == [], [*problems, read_log(server.proc)]
