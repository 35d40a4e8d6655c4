"""Signing up for the next design round in the browser (R47, R48): a participant on a phone signs
up from their session (consent required) and withdraws with their own link, without an account;
the organiser sees, exports and deletes sign-ups under "Mijn sessies" on a laptop; and no note
export, downloaded from the begeleider's archive panel in every format, carries a sign-up.

A real server process and Debian's Chromium through Playwright, at the sizes people use: a phone
390x844 with touch, a laptop 1440x900. What is checked is what is inside the viewport.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from browserkit import expect_state, open_page, sign_in, ws_state
from serverproc import http_json, organiser_headers, read_log

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

LAPTOP = {"viewport": {"width": 1440, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}

PERSON = {"name": "Fenna de Vries", "organisation": "ROC Oost", "email": "fenna.devries@example.nl"}


def in_viewport(page: Any, selector: str) -> None:
    """The element is wholly inside the page's viewport (scrolled to first, as a person would)."""
    node = page.locator(selector).first
    node.scroll_into_view_if_needed()
    box = node.bounding_box()
    size = page.viewport_size
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"] + 0.5, (selector, box)
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 0.5, (selector, box)


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def listed(base: str, sid: str) -> list[dict[str, Any]]:
    status, data = http_json("GET", f"{base}/api/sessions/{sid}/signups",
                             headers=organiser_headers(base))
    assert status == 200, data
    return list(data["signups"])


def sign_up_by_http(base: str, code: str, **change: Any) -> dict[str, Any]:
    body = {**PERSON, "role": "mbo", "instruments": ["matrix"], "meedenken": True,
            "uitproberen": False, "consent": True, **change}
    status, answer = http_json("POST", f"{base}/api/signup/{code}", body)
    assert status == 201, answer
    return dict(answer)


def fetch(url: str, token: str) -> bytes:
    req = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=20) as resp:
        return bytes(resp.read())


def test_R47_a_participant_signs_up_on_the_phone_with_consent_and_withdraws_without_an_account(
        server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken", "Landelijke STO-dag")
    sid, code = created["session"]["id"], str(created["code"])
    problems: list[str] = []
    phone = open_page(browser, problems, "phone", **PHONE)
    # Joining by code: the profile asks who you are, and below it the question of the day.
    phone.goto(f"{server.url}/j/{code}")
    expect(phone.locator("#profile-form")).to_be_visible()
    invite = phone.locator("#signup-invite")
    expect(invite).to_contain_text(
        "Wie wil nog eens meedenken? Of iets uitproberen in de praktijk?")
    in_viewport(phone, "#signup-open")
    phone.locator("#signup-open").tap()

    form = phone.locator("#signup-form")
    expect(form).to_be_visible()
    expect(phone).to_have_url(f"{server.url}/aanmelden/{code}")
    # The consent says what is kept, what for, how long, who sees it and how to withdraw.
    consent = phone.locator("#signup-consent-text")
    expect(consent.locator("dt")).to_have_text(
        ["Wat we bewaren", "Waarvoor", "Hoe lang", "Wie ze ziet", "Intrekken"])
    expect(consent).to_contain_text("uiterlijk 365 dagen")
    phone.locator("#signup-name").fill(PERSON["name"])
    phone.locator("#signup-organisation").fill(PERSON["organisation"])
    phone.locator("#signup-roles label").filter(has_text=re.compile(r"^mbo$")).tap()
    phone.locator("#signup-email").fill(PERSON["email"])
    phone.locator('#signup-instruments label', has_text="matrix").tap()
    phone.locator('label[for="signup-meedenken"]').tap()
    # Without ticking the consent nothing is sent: said, next to the box, in view.
    phone.locator("#signup-submit").tap()
    expect(phone.locator("#signup-error")).to_have_text(
        "Vink aan dat je toestemming geeft; zonder toestemming bewaren we niets.")
    expect(phone.locator("#signup-consent")).to_be_focused()
    in_viewport(phone, "#signup-consent")
    assert listed(server.url, sid) == []
    for field in ("#signup-name", "#signup-email", "#signup-consent", "#signup-submit"):
        in_viewport(phone, field)
    no_sideways_scroll(phone)
    phone.locator('label[for="signup-consent"]').tap()
    phone.locator("#signup-submit").tap()

    done = phone.locator("#signup-done")
    expect(done).to_contain_text("Dank je wel, je bent aangemeld!")
    link = str(done.locator(".signup-withdraw-link input").input_value())
    assert link.startswith(f"{server.url}/afmelden#"), link
    in_viewport(phone, ".signup-withdraw-link input")
    no_sideways_scroll(phone)
    [kept] = listed(server.url, sid)
    assert (kept["name"], kept["role"], kept["instruments"], kept["meedenken"]) == (
        PERSON["name"], "mbo", ["matrix"], True)

    # Back in the session; the invitation now leads to the sign-up with its link.
    phone.locator("#signup-back").tap()
    expect(phone.locator("#profile-form")).to_be_visible()
    expect(phone.locator("#signup-invite")).to_contain_text("Je hebt je op dit apparaat aangemeld")
    phone.locator("#name").fill("Fenna")
    phone.locator("#profile-continue").tap()
    expect(phone.locator(".corners")).to_be_visible()
    expect_state(phone, "open")
    expect(phone.locator("#signup-invite")).to_have_count(1)  # on the corners page too
    # Nothing of it reaches the session's boards: not even to the begeleider.
    for board in (f"{sid}.praatplaat", f"{sid}.control"):
        state = json.dumps(ws_state(server.url, created["facilitator_token"], board))
        assert "fenna.devries" not in state and "ROC Oost" not in state

    # The withdrawal link, opened later on the same phone: one deliberate tap, no account.
    phone.goto(link)
    expect(phone.locator("#withdraw")).to_contain_text("Aanmelding intrekken")
    in_viewport(phone, "#withdraw-submit")
    phone.locator("#withdraw-submit").tap()
    expect(phone.locator("#withdraw-status")).to_have_text(
        "Je aanmelding is ingetrokken en je gegevens zijn verwijderd.")
    expect(phone.locator("#withdraw-submit")).to_be_hidden()
    assert listed(server.url, sid) == []
    assert "#" not in phone.url  # the spent secret left the address bar
    # Used once: the same link again says so.
    phone.goto(link)
    phone.locator("#withdraw-submit").tap()
    expect(phone.locator("#withdraw-status")).to_contain_text("al gebruikt of onbekend")
    # This phone forgot the link: the invitation asks again.
    phone.goto(f"{server.url}/j/{code}")
    expect(phone.locator(".corners")).to_be_visible()
    expect(phone.locator("#signup-invite")).to_contain_text("Laat je naam en e-mailadres achter")
    assert problems == [], [*problems, read_log(server.proc)]


def test_R47_the_organiser_sees_exports_and_deletes_sign_ups_on_a_laptop(
        server: Any, browser: Any, tmp_path: Path) -> None:
    created = server.create_session("vier-hoeken", "Ochtend")
    sid, code = created["session"]["id"], str(created["code"])
    server.create_session("vier-hoeken", "Middag")
    sign_up_by_http(server.url, code)
    sign_up_by_http(server.url, code, name="Bram Jansen", organisation="=Regio Twente",
                    email="bram@example.nl", role="regio", uitproberen=True, instruments=[])
    problems: list[str] = []
    org = open_page(browser, problems, "organiser", **LAPTOP)
    sign_in(org, server)
    item = org.locator(f'.my-session[data-session="{sid}"]')
    item.locator(".my-session-signups").click()
    panel = org.locator("#signups-panel")
    expect(panel.locator("#signups-session")).to_have_value(sid)
    expect(panel.locator("#signups-count")).to_have_text("2 aanmeldingen")
    rows = panel.locator(".signup-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Fenna de Vries")
    expect(rows.nth(0)).to_contain_text("fenna.devries@example.nl")
    expect(rows.nth(1)).to_contain_text("=Regio Twente")  # text, never a formula here
    expect(rows.nth(1)).to_contain_text("meedenken, uitproberen")
    in_viewport(org, "#signups-table")
    in_viewport(org, ".signup-row >> nth=1 >> .signup-delete")
    no_sideways_scroll(org)

    # XLSX and CSV for Dutch Excel, through the browser.
    with org.expect_download() as info:
        panel.locator('.signups-export[data-format="xlsx"]').click()
    path = tmp_path / "a.xlsx"
    info.value.save_as(path)
    sheet = openpyxl.load_workbook(path)["Aanmeldingen"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:4] == ["Naam", "Organisatie", "Rol", "E-mail"]
    assert values[1][0] == "Fenna de Vries" and values[2][1] == "'=Regio Twente"
    with org.expect_download() as info:
        panel.locator('.signups-export[data-format="csv-semicolon"]').click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    parsed = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert parsed[0][:2] == ["Naam", "Organisatie"] and parsed[2][3] == "bram@example.nl"

    # One person asks to be deleted.
    rows.nth(0).locator(".signup-delete").click()
    dialog = org.locator("#signup-delete-dialog")
    expect(dialog).to_contain_text("fenna.devries@example.nl")
    dialog.locator(".confirm-yes").click()
    expect(rows).to_have_count(1)
    expect(panel.locator("#signups-status")).to_have_text(
        "De aanmelding van Fenna de Vries is verwijderd.")
    assert [r["name"] for r in listed(server.url, sid)] == ["Bram Jansen"]
    # And then all of them.
    panel.locator("#signups-delete-all").click()
    org.locator("#signups-delete-all-dialog .confirm-yes").click()
    expect(panel.locator("#signups-count")).to_have_text("0 aanmeldingen")
    expect(panel.locator("#signups-table")).to_be_hidden()
    expect(panel.locator("#signups-delete-all")).to_be_disabled()
    assert listed(server.url, sid) == []
    assert problems == [], [*problems, read_log(server.proc)]


def test_R47_R48_no_note_export_from_the_archive_panel_carries_a_sign_up(
        server: Any, browser: Any, tmp_path: Path) -> None:
    """Every format the begeleider downloads (JSON, XLSX, CSV with ',' and ';', Markdown, HTML),
    anonymised or not, from the archive panel: the notes are there, the sign-up is not."""
    created = server.create_session("vier-hoeken", "Middag")
    sid, code, token = created["session"]["id"], str(created["code"]), created["facilitator_token"]
    sign_up_by_http(server.url, code)
    problems: list[str] = []
    fac = open_page(browser, problems, "begeleider", **LAPTOP)
    fac.goto(f"{server.url}/j/{code}/matrix")
    fac.locator("#name").fill("Ans")
    fac.locator("#profile-continue").click()
    fac.locator('[data-add-station="tips"]').click()
    fac.locator(".note-editor").fill("Meer voorbeelden; graag")
    fac.locator(".note-editor").press("Enter")
    expect(fac.locator(".note", has_text="Meer voorbeelden")).to_have_count(1)
    fac.goto(f"{server.url}/#t={token}")
    panel = fac.locator("#archive-panel")
    expect(panel).to_be_attached()
    buttons = panel.locator(".export-btn")
    expect(buttons).to_have_text(["JSON", "XLSX", "CSV (,)", "CSV (;)", "Markdown", "HTML"])
    in_viewport(fac, '.export-btn[data-format="xlsx"]')
    for anonymous in (False, True):
        fac.locator("#export-anonymous").set_checked(anonymous)
        for i in range(buttons.count()):
            fmt = buttons.nth(i).get_attribute("data-format")
            # A person downloads one file after another; Chromium drops a download that follows
            # the previous one within a moment.
            fac.wait_for_timeout(500)
            with fac.expect_download() as info:
                buttons.nth(i).click()
            path = tmp_path / f"{fmt}-{anonymous}-{info.value.suggested_filename}"
            info.value.save_as(path)
            body = path.read_bytes()
            if fmt == "xlsx":
                book = openpyxl.load_workbook(path)
                assert "3. Tips, feedback!" in book.sheetnames, book.sheetnames
                with zipfile.ZipFile(path) as z:
                    body = b"".join(z.read(n) for n in z.namelist())
            if fmt == "csv-semicolon":
                rows = list(csv.reader(io.StringIO(body.decode("utf-8")[1:]), delimiter=";"))
                assert rows[1][rows[0].index("Tekst")] == "Meer voorbeelden; graag"
            assert b"Meer voorbeelden" in body, fmt
            for secret in (b"fenna", b"Fenna", b"ROC Oost"):
                assert secret not in body, (fmt, anonymous)
    # The same holds for what the server hands out over HTTP, in case a button was missed.
    for fmt in ("json", "csv", "xlsx", "md", "html"):
        body = fetch(f"{server.url}/api/sessions/{sid}/export.{fmt}", token)
        assert b"ROC Oost" not in body
    assert problems == [], [*problems, read_log(server.proc)]
