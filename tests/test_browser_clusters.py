"""Clustering, dot voting and moderation in the browser (R26-R29).

A facilitator page and participant pages against a real server process, in Debian's Chromium
through Playwright. A note's cluster is a field of its own (R26), so a facilitator dragging a
note into a cluster and a participant editing that note's text at the same moment both win;
dots of a vote are limited by budget and cap (R27); a board hidden until reveal never sends
another participant's text to a participant's page (R28); suggested clusters come from the
server and become clusters only when the facilitator accepts them (R29).
"""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest
from browserkit import add_note, expect_state, open_facilitator_board, open_page, ws_state
from serverproc import read_log

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

PENDING = re.compile(r"\bpending\b")


def get_json(url: str, token: str) -> Any:
    req = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def live_notes(base: str, sid: str, token: str) -> dict[str, dict[str, Any]]:
    """Every note of the session as the server has it now (the live JSON export)."""
    doc = get_json(f"{base}/api/sessions/{sid}/export.json", token)
    return {n["id"]: {**n, "board": b["id"]} for b in doc["boards"]
            for n in b["state"].get("notes", ())}


def facilitator_board(browser: Any, problems: list[str], base: str, token: str,
                      corner: str) -> Any:
    page = open_facilitator_board(browser, problems, base, token, corner,
                                  viewport={"width": 1400, "height": 1000})
    expect(page.locator("#board-tools")).to_be_visible()
    return page


def join_corner(browser: Any, problems: list[str], base: str, code: str, corner: str,
                label: str, name: str = "") -> Any:
    page = open_page(browser, problems, label)
    page.goto(f"{base}/j/{code}/{corner}")
    if name:
        page.locator("#name").fill(name)
    page.locator("#profile-continue").click()
    page.locator('[data-add-station="tips"]').wait_for()
    expect_state(page, "open")
    return page


def new_cluster(page: Any, station: str, title: str) -> str:
    zone = page.locator(f'.station[data-station="{station}"]')
    before = zone.locator(".cluster").count()
    zone.locator(f'.cluster-new[data-station="{station}"]').click()
    zone.locator(".cluster-new-input").fill(title)
    zone.locator(".cluster-new-input").press("Enter")
    expect(zone.locator(".cluster")).to_have_count(before + 1)
    box = zone.locator(".cluster", has=page.locator(".cluster-title", has_text=title))
    expect(box).to_have_count(1)
    return str(box.get_attribute("data-cluster"))


def drag_to(page: Any, source: Any, target: Any) -> None:
    """A real pointer drag: press on `source`, move in steps, release over `target`."""
    s = source.bounding_box()
    t = target.bounding_box()
    assert s and t
    x0, y0 = s["x"] + s["width"] / 2, s["y"] + s["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 12, y0 + 12, steps=3)
    page.mouse.move(t["x"] + t["width"] / 2, t["y"] + t["height"] / 2, steps=12)
    page.mouse.up()


def settled_note(page: Any, note_id: str) -> Any:
    card = page.locator(f'.note[data-note-id="{note_id}"]')
    expect(card).to_have_count(1)
    expect(card).not_to_have_class(PENDING)
    return card


def test_R26_drag_into_a_cluster_while_a_participant_edits_the_same_note_keeps_both(
        server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken")
    sid, code, token = created["session"]["id"], str(created["code"]), created["facilitator_token"]
    board = f"{sid}.praatplaat"
    problems: list[str] = []

    part = join_corner(browser, problems, server.url, code, "praatplaat", "participant")
    add_note(part, "tips", "Meer stageplekken")
    mine = part.locator(".note", has_text="Meer stageplekken")
    expect(mine).not_to_have_class(PENDING)
    nid = str(mine.get_attribute("data-note-id"))

    fac = facilitator_board(browser, problems, server.url, token, "praatplaat")
    expect(fac.locator(".board[data-board]")).to_have_attribute("data-board", board)
    cid = new_cluster(fac, "tips", "Stages")
    # Participants see the cluster read-only: a labelled group, no editing controls.
    part_cluster = part.locator(f'.cluster[data-cluster="{cid}"]')
    expect(part_cluster.locator(".cluster-title")).to_have_text("Stages")
    expect(part_cluster.locator(".cluster-rename")).to_have_count(0)

    # The participant opens the editor of the note and types...
    part.locator(f'.note[data-note-id="{nid}"] .note-text').click()
    editor = part.locator(f'.note[data-note-id="{nid}"] .note-editor')
    expect(editor).to_be_focused()
    part.keyboard.type(" bij bedrijven")

    # ... while the facilitator drags that note onto the cluster.
    fac_card = settled_note(fac, nid)
    target = fac.locator(f'.cluster[data-cluster="{cid}"]')
    drag_to(fac, fac_card.locator(".drag-handle"), target)
    in_fac_cluster = target.locator(f'.note[data-note-id="{nid}"]')
    expect(in_fac_cluster).to_have_count(1)
    expect(in_fac_cluster).not_to_have_class(PENDING)
    expect(target.locator(".cluster-count")).to_have_text("1 notitie")

    # The drop lands on the participant's page with the editor still open, focused, unsaved.
    in_part_cluster = part_cluster.locator(f'.note[data-note-id="{nid}"]')
    expect(in_part_cluster).to_have_count(1)
    expect(editor).to_be_focused()
    expect(editor).to_have_value("Meer stageplekken bij bedrijven")
    assert live_notes(server.url, sid, token)[nid]["text"] == "Meer stageplekken"
    # ... and the participant goes on typing and saves after the drop.
    part.keyboard.type(" en scholen")
    part.keyboard.press("Enter")
    final = "Meer stageplekken bij bedrijven en scholen"

    for page in (part, fac):
        card = page.locator(f'.cluster[data-cluster="{cid}"] .note[data-note-id="{nid}"]')
        expect(card.locator(".note-text")).to_have_text(final)
        expect(card).not_to_have_class(PENDING)
    # The server has both changes: over HTTP, on a fresh websocket, and on a fresh page.
    stored = live_notes(server.url, sid, token)[nid]
    assert stored["cluster"] == cid and stored["text"] == final, stored
    fresh = {n["id"]: n for n in ws_state(server.url, token, board)["notes"]}
    assert fresh[nid]["cluster"] == cid and fresh[nid]["text"] == final
    part.reload()
    expect_state(part, "open")
    expect(part.locator(f'.cluster[data-cluster="{cid}"] .note[data-note-id="{nid}"] .note-text')) \
        .to_have_text(final)

    # The facilitator's Undo takes the note out of the cluster again; its text stays.
    fac.locator("#cluster-undo").click()
    loose = part.locator('.station[data-station="tips"] .loose-notes .note')
    expect(loose.filter(has_text=final)).to_have_count(1)
    expect(part_cluster.locator(".note")).to_have_count(0)
    assert live_notes(server.url, sid, token)[nid]["cluster"] is None

    # The menu does the same as a drag (keyboard path), and renaming shows everywhere.
    fac_card = settled_note(fac, nid)
    fac_card.locator(".note-menu").click()
    fac_card.locator(".note-cluster").select_option(cid)
    expect(target.locator(f'.note[data-note-id="{nid}"]')).to_have_count(1)
    expect(in_part_cluster).to_have_count(1)
    fac.locator(f'.cluster[data-cluster="{cid}"] .cluster-rename').click()
    rename = fac.locator(f'.cluster[data-cluster="{cid}"] .cluster-title-input')
    rename.fill("Stages & <b>leerbedrijven</b>")
    rename.press("Enter")
    expect(part_cluster.locator(".cluster-title")).to_have_text("Stages & <b>leerbedrijven</b>")
    assert part.locator(".cluster-title b").count() == 0

    assert problems == [], [*problems, read_log(server.proc)]


def test_R27_dot_vote_budget_two_the_third_dot_is_refused_and_none_are_left(
        server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken")
    sid, code, token = created["session"]["id"], str(created["code"]), created["facilitator_token"]
    problems: list[str] = []
    part = join_corner(browser, problems, server.url, code, "matrix", "participant")
    for text in ("Eerste idee", "Tweede idee"):
        add_note(part, "relevantie", text)
    expect(part.locator(".note.pending")).to_have_count(0)
    first = str(part.locator(".note", has_text="Eerste idee").get_attribute("data-note-id"))
    second = str(part.locator(".note", has_text="Tweede idee").get_attribute("data-note-id"))

    fac = facilitator_board(browser, problems, server.url, token, "matrix")
    fac.locator("#vote-admin summary").click()
    fac.locator("#vote-budget").fill("2")
    fac.locator("#vote-cap").fill("2")
    expect(fac.locator("#vote-anonymous")).to_be_checked()
    fac.locator("#vote-open").click()
    expect(fac.locator("#vote-list .vote-item.is-open")).to_have_count(1)

    bar = part.locator("#vote-bar")
    left = part.locator("#dots-left")
    expect(bar).to_be_visible()
    expect(left).to_have_attribute("data-left", "2")
    expect(left).to_have_text("Nog 2 stippen")
    part.locator(f'.note[data-note-id="{first}"] .vote-plus').click()
    expect(left).to_have_attribute("data-left", "1")
    expect(left).to_have_text("Nog 1 stip")
    part.locator(f'.note[data-note-id="{second}"] .vote-plus').click()
    expect(left).to_have_attribute("data-left", "0")
    expect(part.locator(".vote-mine[data-mine='1']")).to_have_count(2)
    # No dot left: "+ stem" cannot be pressed on any note (the server would refuse it, R59).
    expect(part.locator(".vote-plus")).to_have_count(2)
    for plus in part.locator(".vote-plus").all():
        expect(plus).to_be_disabled()
    expect(left).to_have_attribute("data-left", "0")
    expect(left).to_have_text("Nog 0 stippen")
    expect(part.locator(f'.note[data-note-id="{first}"] .vote-mine')) \
        .to_have_attribute("data-mine", "1")

    # The facilitator sees the totals at once; the vote was anonymous on the wire too.
    for nid in (first, second):
        expect(fac.locator(f'.note[data-note-id="{nid}"] .vote-total')).to_have_text("● 1")
    control = ws_state(server.url, token, f"{sid}.control")["control"]
    (vote,) = control["votes"].values()
    assert vote["budget"] == 2 and vote["voters"] == 1 and "by" not in vote
    assert sum(vote["totals"].values()) == 2

    # A reload keeps the remaining budget (own dots of an anonymous vote are kept locally).
    part.reload()
    expect_state(part, "open")
    expect(part.locator("#dots-left")).to_have_attribute("data-left", "0")
    # Taking a dot back gives one back.
    part.locator(f'.note[data-note-id="{second}"] .vote-minus').click()
    expect(part.locator("#dots-left")).to_have_attribute("data-left", "1")
    part.locator(f'.note[data-note-id="{first}"] .vote-plus').click()
    expect(part.locator("#dots-left")).to_have_attribute("data-left", "0")

    # Closing: everyone sees the result, notes sorted by dots.
    fac.locator("#vote-list .vote-close").click()
    expect(bar).to_have_attribute("data-state", "closed")
    station = part.locator('.station[data-station="relevantie"] .loose-notes .note')
    expect(station.first).to_have_attribute("data-note-id", first)
    expect(station.first.locator(".vote-total")).to_have_text("● 2")
    expect(part.locator(".vote-plus")).to_have_count(0)

    assert problems == [], [*problems, read_log(server.proc)]


def test_R28_hidden_until_reveal_never_shows_another_participants_text(
        server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken")
    code, token = str(created["code"]), created["facilitator_token"]
    problems: list[str] = []
    fac = facilitator_board(browser, problems, server.url, token, "achtje")
    fac.locator("#board-mode").select_option("hidden")

    a = join_corner(browser, problems, server.url, code, "achtje", "A", name="Ans")
    b = open_page(browser, problems, "B")
    frames: list[str] = []

    def on_ws(ws: Any) -> None:
        ws.on("framereceived", lambda payload: frames.append(
            payload if isinstance(payload, str) else payload.decode("utf-8", "replace")))

    b.on("websocket", on_ws)
    b.goto(f"{server.url}/j/{code}/achtje")
    b.locator("#name").fill("Bo")
    b.locator("#profile-continue").click()
    b.locator('[data-add-station="tips"]').wait_for()
    expect_state(b, "open")
    expect(b.locator("#board-mode-banner")).to_be_visible()
    expect(b.locator("#board-mode-banner")).to_contain_text("verborgen")

    secret, edited = "GEHEIM-7731 plan", "GEHEIM-7731 plan, aangescherpt"
    add_note(a, "tips", secret)
    mine = a.locator(".note", has_text=secret)
    expect(mine).not_to_have_class(PENDING)
    nid = str(mine.get_attribute("data-note-id"))
    mine.locator(".note-text").click()
    a.locator(".note-editor").fill(edited)
    a.locator(".note-editor").press("Enter")
    expect(a.locator(f'.note[data-note-id="{nid}"] .note-text')).to_have_text(edited)
    expect(fac.locator(f'.note[data-note-id="{nid}"] .note-text')).to_have_text(edited)

    # B sees that there is a note, never what it says: not in the DOM, not on the wire.
    hidden = b.locator(f'.note[data-note-id="{nid}"]')
    expect(hidden).to_have_class(re.compile(r"\bis-redacted\b"))
    expect(hidden.locator(".note-text")).to_have_text("verborgen tot de begeleider onthult")
    hidden.locator(".note-text").click()  # no editor on a note one may not read
    expect(b.locator(".note-editor")).to_have_count(0)
    assert "GEHEIM" not in b.content()
    assert frames and not any("GEHEIM" in f for f in frames)

    # Reveal: B gets the text.
    fac.locator("#board-mode").select_option("open")
    expect(hidden.locator(".note-text")).to_have_text(edited)
    expect(hidden).not_to_have_class(re.compile(r"\bis-redacted\b"))
    expect(b.locator("#board-mode-banner")).to_be_hidden()
    assert any("GEHEIM" in f for f in frames)

    # Moderation: the facilitator hides one note; B sees a placeholder, the author their text.
    fac_card = settled_note(fac, nid)
    fac_card.locator(".note-menu").click()
    fac_card.locator(".note-hide").click()
    expect(fac_card.locator(".note-flag")).to_have_text("verborgen")
    expect(hidden.locator(".note-text")).to_have_text("verborgen door de begeleider")
    expect(a.locator(f'.note[data-note-id="{nid}"] .note-text')).to_have_text(edited)
    fac_card.locator(".note-hide").click()
    expect(hidden.locator(".note-text")).to_have_text(edited)
    # Delete and restore from the "Verwijderd" list, also after a reload of the facilitator's
    # page (the list then comes from the server's export, not from what the page saw).
    fac_card.locator(".note-delete").click()
    expect(b.locator(f'.note[data-note-id="{nid}"]')).to_have_count(0)
    expect(fac.locator("#trash summary")).to_contain_text("(1)")
    fac.reload()
    expect_state(fac, "open")
    fac.locator('.ov-corner[data-corner="achtje"] .ov-open').click()
    fac.locator("#trash summary").click()
    fac.locator(f'.trash-item[data-note-id="{nid}"] .note-restore').click()
    expect(b.locator(f'.note[data-note-id="{nid}"] .note-text')).to_have_text(edited)
    expect(fac.locator(f'.trash-item[data-note-id="{nid}"]')).to_have_count(0)
    # Locked: a banner, no adding; the facilitator still can.
    fac.locator("#board-mode").select_option("locked")
    expect(b.locator("#board-mode-banner")).to_contain_text("op slot")
    expect(b.locator('[data-add-station="tips"]')).to_be_hidden()
    expect(b.locator(f'.note[data-note-id="{nid}"] .note-menu')).to_be_hidden()
    fac.locator("#board-mode").select_option("open")
    expect(b.locator('[data-add-station="tips"]')).to_be_visible()

    assert problems == [], [*problems, read_log(server.proc)]


def test_R26_R29_station_view_clusters_notes_of_several_boards_from_suggestions(
        server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken")
    sid, code, token = created["session"]["id"], str(created["code"]), created["facilitator_token"]
    problems: list[str] = []
    p1 = join_corner(browser, problems, server.url, code, "praatplaat", "p1")
    add_note(p1, "relevantie", "Meer stageplekken bij bedrijven")
    add_note(p1, "relevantie", "Koffie")
    p2 = join_corner(browser, problems, server.url, code, "reflectietool", "p2")
    add_note(p2, "relevantie", "Bedrijven bieden te weinig stageplaatsen")
    for p in (p1, p2):
        expect(p.locator(".note.pending")).to_have_count(0)

    fac = open_page(browser, problems, "facilitator", viewport={"width": 1400, "height": 1000})
    fac.goto(f"{server.url}/#t={token}")
    expect_state(fac, "open")
    fac.locator("#open-stations").click()
    view = fac.locator("#station-view")
    expect(view).to_have_attribute("data-station", "relevantie")
    expect(fac.locator('.station-col[data-corner="praatplaat"] .note')).to_have_count(2)
    expect(fac.locator('.station-col[data-corner="reflectietool"] .note')).to_have_count(1)

    fac.locator("#suggest-btn").click()
    suggestion = fac.locator(".suggestion", has_text="Bedrijven bieden te weinig stageplaatsen")
    expect(suggestion).to_have_count(1)
    expect(suggestion.locator(".suggestion-notes li")).to_have_count(2)
    suggestion.locator(".suggest-edit").click()
    suggestion.locator(".suggestion-title-input").fill("Stageplaatsen")
    suggestion.locator(".suggest-accept").click()
    def cluster_titled(title: str) -> Any:
        return fac.locator("#station-clusters .cluster",
                           has=fac.locator(".cluster-title", has_text=title))

    box = cluster_titled("Stageplaatsen")
    expect(box.locator(".note")).to_have_count(2)
    expect(box.locator('.note[data-board$=".praatplaat"]')).to_have_count(1)
    expect(box.locator('.note[data-board$=".reflectietool"]')).to_have_count(1)
    cid = str(box.get_attribute("data-cluster"))
    # One cluster, two boards: each corner's participants see their note in it.
    for page in (p1, p2):
        title = page.locator(f'.cluster[data-cluster="{cid}"] .cluster-title')
        expect(title).to_have_text("Stageplaatsen")
        expect(page.locator(f'.cluster[data-cluster="{cid}"] .note')).to_have_count(1)
    stored = live_notes(server.url, sid, token)
    assert sorted(n["board"] for n in stored.values() if n["cluster"] == cid) == \
        sorted([f"{sid}.praatplaat", f"{sid}.reflectietool"])

    # The lone note goes into a second cluster by dragging; then that cluster is merged.
    fac.locator('.station-tools .cluster-new').click()
    fac.locator('.station-tools .cluster-new-input').fill("Overig")
    fac.locator('.station-tools .cluster-new-input').press("Enter")
    other = cluster_titled("Overig")
    expect(other).to_have_count(1)
    koffie = fac.locator('.station-col .note', has_text="Koffie")
    drag_to(fac, koffie.locator(".drag-handle"), other)
    expect(other.locator(".note", has_text="Koffie")).to_have_count(1)
    other.locator(".cluster-merge").select_option(cid)
    expect(box.locator(".note")).to_have_count(3)
    expect(other).to_have_count(0)
    # Undo splits them again (the merge was the last cluster edit).
    fac.locator("#cluster-undo").click()
    expect(other.locator(".note", has_text="Koffie")).to_have_count(1)
    expect(box.locator(".note")).to_have_count(2)

    assert problems == [], [*problems, read_log(server.proc)]
