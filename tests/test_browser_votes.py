"""Votes, clusters and the begeleider's end of the day as people live them (issue 18, items 7,
8, 9 and 15; R59, R60): a phone votes up to the cap and is told where else to vote, a closed
vote shows its ranked result (on the phone, the begeleider's overview and the screens) until it
is taken down, clusters of one corner stay on that corner, a session is closed and reopened
from the overview, and restoring a snapshot leaves the begeleider's tab on the live session.
Real server, Debian's Chromium, at the viewports the day uses."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from browserkit import ServerHandle, expect_state, open_page, ws_state
from serverproc import read_log
from test_browser_venue import participant_token, ws_add_notes, ws_op

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LAPTOP = {"width": 1440, "height": 900}
SCREEN = {"width": 1920, "height": 1080}
# A page behind the others (another tab spent the dots): its "+ stem" sends a dot anyway.
PRESS_ANYWAY = """(id) => {
  const b = document.querySelector(`.note[data-note-id='${id}'] .vote-plus`);
  b.disabled = false;
  b.click();
}"""
# The snapshots' names, asked with this page's begeleider token.
SNAPSHOTS = """async (url) => {
  const token = location.hash.slice(3);
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return (await r.json()).snapshots.map((s) => s.name);
}"""


def note_ids(base: str, token: str, board: str) -> dict[str, str]:
    """text -> note id on one board, as the server has it."""
    return {n["text"]: n["id"] for n in ws_state(base, token, board)["notes"]}


def control_op(base: str, token: str, sid: str, op: dict[str, Any]) -> None:
    answer = ws_op(base, token, f"{sid}.control", op)
    assert answer["type"] == "ack" and answer.get("result") == "applied", answer


def in_view(page: Any, locator: Any) -> None:
    box = locator.bounding_box()
    size = page.viewport_size
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= size["height"], box
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], box


def join_phone(browser: Any, problems: list[str], base: str, code: str, corner: str,
               name: str, lang: str = "nl") -> Any:
    page = open_page(browser, problems, name, **PHONE)
    if lang != "nl":
        page.add_init_script(f"localStorage.setItem('vh.lang', {json.dumps(lang)})")
    page.goto(f"{base}/j/{code}/{corner}")
    page.locator("#name").fill(name)
    page.locator("#profile-continue").click()
    page.locator('[data-add-station="tips"]').wait_for()
    expect_state(page, "open")
    return page


def snapshots(base: str, sid: str, token: str) -> list[str]:
    req = urllib.request.Request(f"{base}/api/sessions/{sid}/snapshots",
                                 headers={"authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return [s["name"] for s in json.loads(resp.read())["snapshots"]]


def test_R27_R59_a_phone_votes_up_to_the_cap_and_then_sees_the_ranked_result(
        server: Any, browser: Any) -> None:
    """On a phone: "+ stem" cannot be pressed past the cap or the budget; a refusal is said in
    the page's language only; a vote at every corner offers the other corners; once closed the
    board shows the result ranked per station/cluster, not "De stemronde is gesloten", until
    the begeleider takes it down."""
    created = server.create_session("vier-hoeken")
    sid, code, fac = created["session"]["id"], str(created["code"]), created["facilitator_token"]
    board = f"{sid}.praatplaat"
    texts = ("Stages eerder", "Gastlessen", "Stages in de regio")
    ws_add_notes(server.url, participant_token(server.url, code), board,
                 [("tips", t) for t in texts])
    ids = note_ids(server.url, fac, board)
    control_op(server.url, fac, sid, {"kind": "vote.open", "vote": "v1", "station": "tips",
                                      "budget": 3, "cap": 2, "anonymous": True})
    problems: list[str] = []
    phone = join_phone(browser, problems, server.url, code, "praatplaat", "Ans")

    def plus(text: str) -> Any:
        return phone.locator(f'.note[data-note-id="{ids[text]}"] .vote-plus')

    left = phone.locator("#dots-left")
    plus("Gastlessen").click()
    expect(left).to_have_attribute("data-left", "2")
    plus("Gastlessen").click()
    expect(left).to_have_attribute("data-left", "1")
    # The cap (2 on one note) is reached: that "+ stem" cannot be pressed, the others can.
    expect(plus("Gastlessen")).to_be_disabled()
    expect(plus("Stages eerder")).to_be_enabled()
    plus("Stages eerder").click()
    expect(left).to_have_attribute("data-left", "0")
    for text in ids:
        expect(plus(text)).to_be_disabled()
    # A page that is behind (another tab spent the dots) still sends one: the refusal is Dutch.
    phone.evaluate(PRESS_ANYWAY, ids["Stages in de regio"])
    expect(phone.locator("#toast")).to_have_text(
        re.compile(r"^Niet opgeslagen: Je stippen zijn op$"))
    expect(phone.locator("#vote-refused")).to_have_text("Je stippen zijn op")

    # A vote at every corner: the phone is offered the other three corners.
    elsewhere = phone.locator("#vote-elsewhere")
    expect(elsewhere.locator(".vote-corner")).to_have_count(3)
    phone.evaluate("scrollTo(0, 0)")
    in_view(phone, elsewhere)
    elsewhere.locator('[data-open-corner="matrix"]').click()
    expect(phone.locator('.board[data-instrument="matrix"]')).to_be_visible()
    expect(phone.locator("#vote-elsewhere .vote-corner")).to_have_count(3)
    phone.locator('#vote-elsewhere [data-open-corner="praatplaat"]').click()
    expect(phone.locator('.board[data-instrument="praatplaat"]')).to_be_visible()

    # The same in English: every word of the refusal English.
    en = join_phone(browser, problems, server.url, code, "praatplaat", "Bo", lang="en")
    en_left = en.locator("#dots-left")
    en.locator(f'.note[data-note-id="{ids["Gastlessen"]}"] .vote-plus').click()
    expect(en_left).to_have_attribute("data-left", "2")
    en.locator(f'.note[data-note-id="{ids["Gastlessen"]}"] .vote-plus').click()
    expect(en_left).to_have_attribute("data-left", "1")
    en.evaluate(PRESS_ANYWAY, ids["Gastlessen"])
    expect(en.locator("#toast")).to_have_text(re.compile(r"^Not saved: No more dots on this note$"))
    expect(en.locator("#vote-refused")).to_have_text("No more dots on this note")

    # Two of the notes in a cluster of this corner.
    control_op(server.url, fac, sid, {"kind": "cluster.add", "cluster": "c-stages",
                                      "station": "tips", "title": "Stageplekken",
                                      "corner": "praatplaat"})
    for text in ("Stages eerder", "Stages in de regio"):
        ws_op(server.url, fac, board,
              {"kind": "note.cluster", "note": ids[text], "cluster": "c-stages"})
    # Closed: the result, ranked (the cluster with its notes' dots), instead of a closed banner.
    control_op(server.url, fac, sid, {"kind": "vote.close", "vote": "v1"})
    result = phone.locator("#vote-result")
    expect(result).to_be_visible()
    phone.evaluate("scrollTo(0, 0)")  # back at the top of the board, where the vote line is
    in_view(phone, result)
    expect(result.locator("summary")).to_have_text("Uitslag: Gastlessen ● 4")
    result.locator("summary").click()
    ranks = result.locator('.vote-result-station[data-station="tips"] .vote-rank')
    expect(ranks).to_have_count(2)
    expect(ranks.nth(0)).to_have_attribute("data-dots", "4")
    expect(ranks.nth(1)).to_contain_text("Stageplekken")
    expect(ranks.nth(1)).to_have_attribute("data-dots", "1")
    expect(phone.locator("body")).not_to_contain_text("De stemronde is gesloten",
                                                      use_inner_text=True)
    expect(en.locator("#vote-result summary")).to_have_text("Result: Gastlessen ● 4")
    expect(en.locator("body")).not_to_contain_text("The vote is closed", use_inner_text=True)

    # Taken down by the begeleider: no vote line at all any more.
    control_op(server.url, fac, sid, {"kind": "vote.dismiss", "vote": "v1"})
    expect(phone.locator("#vote-bar")).to_be_hidden()
    expect(en.locator("#vote-bar")).to_be_hidden()
    expect(phone.locator(".vote-total")).to_have_count(0)
    assert problems == [], [*problems, read_log(server.proc)]


def test_R59_the_overview_and_the_screens_rank_the_result_until_it_is_taken_down(
        server: Any, browser: Any) -> None:
    """The begeleider's overview ranks a vote per station over every corner (live while it is
    open); once it closes the corner screen and the wall show it too; "Uitslag weghalen" and the
    next round take it off everywhere. A vote's "Sluiten" and the suggestions' are two
    different controls."""
    created = server.create_session("vier-hoeken")
    sid, code, fac = created["session"]["id"], str(created["code"]), created["facilitator_token"]
    voter = participant_token(server.url, code)
    ws_add_notes(server.url, voter, f"{sid}.praatplaat",
                 [("tips", "Docentstages"), ("tips", "Open dagen")])
    ws_add_notes(server.url, voter, f"{sid}.matrix", [("tips", "Stagebank voor de regio")])
    pp = note_ids(server.url, fac, f"{sid}.praatplaat")
    mx = note_ids(server.url, fac, f"{sid}.matrix")
    control_op(server.url, fac, sid, {"kind": "vote.open", "vote": "v1", "station": "tips",
                                      "budget": 5, "cap": 3, "anonymous": True})
    casts = ([(f"{sid}.matrix", mx["Stagebank voor de regio"])] * 3
             + [(f"{sid}.praatplaat", pp["Docentstages"])])
    for b, n in casts:
        answer = ws_op(server.url, voter, f"{sid}.control",
                       {"kind": "vote.cast", "vote": "v1", "board": b, "note": n, "delta": 1})
        assert answer["type"] == "ack", answer

    problems: list[str] = []
    page = open_page(browser, problems, "facilitator", viewport=LAPTOP)
    page.goto(f"{server.url}/#t={fac}")
    panel = page.locator("#ov-results")
    expect(panel).to_be_visible()
    expect(page.locator("#ov-result-head")).to_have_text("Stemronde loopt: de tussenstand")
    ranks = panel.locator('.vote-result-station[data-station="tips"] .vote-rank')
    expect(ranks).to_have_count(2)
    expect(ranks.nth(0)).to_contain_text("Stagebank voor de regio")
    expect(ranks.nth(0).locator(".rank-where")).to_have_text("Hoek 2 · De matrix")
    expect(ranks.nth(1)).to_contain_text("Docentstages")

    corner = open_page(browser, problems, "corner screen", viewport=SCREEN)
    corner.goto(created["projector_urls"]["praatplaat"])
    wall = open_page(browser, problems, "wall", viewport=SCREEN)
    wall.goto(f"{created['viewer_url']}&screen=overview")
    expect(wall.locator("#wall")).to_be_visible()
    expect(corner.locator("#projector")).to_be_visible()
    expect(corner.locator("#projector-result")).to_be_hidden()  # not while people vote
    expect(wall.locator("#wall-result")).to_be_hidden()

    control_op(server.url, fac, sid, {"kind": "vote.close", "vote": "v1"})
    expect(page.locator("#ov-result-head")).to_have_text("Uitslag van de stemronde")
    result = corner.locator("#projector-result")
    expect(result).to_be_visible()
    expect(result.locator(".vote-rank")).to_have_count(1)  # this corner's notes only
    expect(result.locator(".vote-rank")).to_contain_text("Docentstages")
    in_view(corner, result)
    expect(wall.locator("#wall-result .vote-rank")).to_have_count(2)
    expect(wall.locator("#wall-result .vote-rank").first).to_contain_text("Stagebank voor de regio")
    in_view(wall, wall.locator("#wall-result"))

    page.locator("#ov-results .vote-dismiss").click()
    expect(corner.locator("#projector-result")).to_be_hidden()
    expect(wall.locator("#wall-result")).to_be_hidden()
    expect(panel).to_be_hidden()

    # A second vote, closed: the next round takes its result down.
    control_op(server.url, fac, sid, {"kind": "vote.open", "vote": "v2", "station": "tips",
                                      "budget": 1, "cap": 1, "anonymous": True})
    ws_op(server.url, voter, f"{sid}.control", {"kind": "vote.cast", "vote": "v2",
                                                "board": f"{sid}.praatplaat",
                                                "note": pp["Open dagen"], "delta": 1})
    control_op(server.url, fac, sid, {"kind": "vote.close", "vote": "v2"})
    expect(corner.locator("#projector-result .vote-rank")).to_contain_text("Open dagen")
    page.locator("#round-next").click()
    expect(page.locator("#overview-round")).to_have_text(re.compile(r"^Ronde 2 "))
    expect(corner.locator("#projector-result")).to_be_hidden()
    expect(wall.locator("#wall-result")).to_be_hidden()

    # The station view: the vote's "Sluiten" ends the vote and leaves the suggestions open.
    page.locator("#open-stations").click()
    page.locator('.station-tab[data-station="tips"]').click()
    page.locator("#suggest-btn").click()
    expect(page.locator("#suggestions")).to_be_visible()
    page.locator("#vote-admin summary").click()
    page.locator("#vote-open").click()
    close_vote = page.locator("#vote-list .vote-close")
    expect(close_vote).to_have_text("Stemronde sluiten")
    # One button is called "Sluiten" now: the suggestions'.
    expect(page.get_by_role("button", name="Sluiten", exact=True)).to_have_count(1)
    close_vote.click()
    expect(page.locator("#vote-list .vote-dismiss")).to_have_count(1)
    expect(page.locator("#suggestions")).to_be_visible()
    page.get_by_role("button", name="Sluiten", exact=True).click()
    expect(page.locator("#suggestions")).to_be_hidden()
    expect(page.locator("#vote-admin")).to_be_visible()
    assert problems == [], [*problems, read_log(server.proc)]


def test_R60_a_cluster_made_at_one_corner_stays_on_that_corner(server: Any, browser: Any) -> None:
    """A begeleider makes a cluster on the praatplaat's board: its participants see it there;
    a phone at the matrix sees no empty cluster (and no "not in a cluster" heading) until a
    matrix note is put in it."""
    created = server.create_session("vier-hoeken")
    sid, code, fac = created["session"]["id"], str(created["code"]), created["facilitator_token"]
    ws_add_notes(server.url, participant_token(server.url, code), f"{sid}.matrix",
                 [("tips", "Stagebank")])
    problems: list[str] = []
    page = open_page(browser, problems, "facilitator", viewport=LAPTOP)
    page.goto(f"{server.url}/#t={fac}")
    expect_state(page, "open")
    page.locator('.ov-corner[data-corner="praatplaat"] .ov-open').click()
    zone = page.locator('.station[data-station="tips"]')
    zone.locator('.cluster-new[data-station="tips"]').click()
    zone.locator(".cluster-new-input").fill("Stageplekken")
    zone.locator(".cluster-new-input").press("Enter")
    expect(zone.locator(".cluster")).to_have_count(1)

    here = join_phone(browser, problems, server.url, code, "praatplaat", "Ans")
    expect(here.locator('.station[data-station="tips"] .cluster')).to_be_visible()
    there = join_phone(browser, problems, server.url, code, "matrix", "Bo")
    tips = there.locator('.station[data-station="tips"]')
    expect(tips.locator(".note")).to_have_count(1)
    expect(tips.locator(".cluster")).to_be_hidden()
    expect(tips.locator(".loose-head")).to_be_hidden()
    expect(there.locator("body")).not_to_contain_text("0 notities", use_inner_text=True)
    (cid, cluster), = ws_state(server.url, fac, f"{sid}.control")["control"]["clusters"].items()
    assert cluster["corner"] == "praatplaat", cluster
    # A matrix note in that cluster: now the matrix shows it, with that note.
    note = note_ids(server.url, fac, f"{sid}.matrix")["Stagebank"]
    ws_op(server.url, fac, f"{sid}.matrix", {"kind": "note.cluster", "note": note, "cluster": cid})
    expect(tips.locator(".cluster")).to_be_visible()
    expect(tips.locator(".cluster .note")).to_have_count(1)
    assert problems == [], [*problems, read_log(server.proc)]


def test_R24_back_a_round_takes_no_snapshot_and_the_overview_closes_and_reopens_the_session(
        tmp_path: Path, browser: Any) -> None:
    """"Vorige ronde" ends no round (no "Einde ronde 4"); "Sessie afsluiten" asks first, then
    the boards are read-only and the code stops, with a snapshot; "weer openen" undoes that."""
    srv = ServerHandle(tmp_path)
    srv.env["ROUND_GRACE_S"] = "0.2"
    srv.start()
    try:
        created = srv.create_session("vier-hoeken")
        sid, code = created["session"]["id"], str(created["code"])
        fac = created["facilitator_token"]
        problems: list[str] = []
        page = open_page(browser, problems, "facilitator", viewport=LAPTOP)
        page.goto(f"{srv.url}/#t={fac}")
        expect_state(page, "open")
        round_el = page.locator("#overview-round")
        for n in (2, 3, 4):
            page.locator("#round-next").click()
            expect(round_el).to_have_text(re.compile(rf"^Ronde {n} "))
        page.locator("#round-prev").click()
        expect(round_el).to_have_text(re.compile(r"^Ronde 3 "))
        page.wait_for_function(f"async (url) => (await ({SNAPSHOTS})(url)).length >= 3",
                               arg=f"/api/sessions/{sid}/snapshots")
        page.wait_for_timeout(800)
        names = snapshots(srv.url, sid, fac)
        assert sorted(names) == ["Einde ronde 1", "Einde ronde 2", "Einde ronde 3"], names

        close = page.locator("#session-close")
        close.scroll_into_view_if_needed()
        in_view(page, close)
        close.click()
        dialog = page.locator("#close-dialog")
        expect(dialog).to_be_visible()
        dialog.locator(".confirm-no").click()
        expect(page.locator("#session-closed-state")).to_have_text("De sessie is open.")
        close.click()
        page.locator("#close-dialog .confirm-yes").click()
        expect(page.locator("#session-closed-state")).to_contain_text("De sessie is gesloten")
        expect(page.locator("#session-reopen")).to_be_visible()
        expect(close).to_be_hidden()
        status = page.evaluate("async (c) => (await fetch(`/api/join/${c}`)).status", code)
        assert status == 410, status
        page.wait_for_function(
            f"async (url) => (await ({SNAPSHOTS})(url)).includes('Sessie gesloten')",
            arg=f"/api/sessions/{sid}/snapshots")
        page.locator("#session-reopen").click()
        expect(page.locator("#session-closed-state")).to_have_text("De sessie is open.")
        page.wait_for_function("async (c) => (await fetch(`/api/join/${c}`)).status === 200",
                               arg=code)
        assert "Einde ronde 4" not in snapshots(srv.url, sid, fac)
        assert problems == [], [*problems, read_log(srv.proc)]
    finally:
        srv.stop()


def test_R24_restoring_a_snapshot_as_a_new_session_leaves_this_tab_on_the_live_one(
        server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken", title="Regio Oost")
    fac = created["facilitator_token"]
    problems: list[str] = []
    page = open_page(browser, problems, "facilitator", viewport=LAPTOP)
    page.goto(f"{server.url}/#t={fac}")
    expect_state(page, "open")
    page.locator("#timer-start").click()
    page.locator("#snapshot-name").fill("Voor de lunch")
    page.locator("#snapshot-take").click()
    snap = page.locator('.snapshot[data-name="Voor de lunch"]')
    snap.locator(".snapshot-restore").click()
    snap.locator(".restore-title").fill("Regio Oost, kopie")
    snap.locator(".restore-confirm").click()
    opened = page.locator("#restored-open")
    expect(opened).to_be_visible()
    expect(page.locator("#restored-text")).to_contain_text("Regio Oost, kopie")
    # This tab is still on the live session, its timer running.
    assert page.url.endswith(f"#t={fac}"), page.url
    expect(page.locator("#overview .session-title")).to_have_text("Regio Oost")
    expect(page.locator("#overview-time")).to_have_attribute("data-state", "running")
    href = str(opened.get_attribute("href"))
    assert opened.get_attribute("target") == "_blank" and f"#t={fac}" not in href, href
    with page.context.expect_page() as new_tab:
        opened.click()
    other = new_tab.value
    expect(other.locator("#overview .session-title")).to_have_text("Regio Oost, kopie")
    expect(page.locator("#overview .session-title")).to_have_text("Regio Oost")
    assert problems == [], [*problems, read_log(server.proc)]
