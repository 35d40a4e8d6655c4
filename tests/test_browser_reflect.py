"""The reflectietool on the day, in Chromium on phones (390×844, touch) beside a facilitator's
laptop (R62–R64).

Hidden until reveal means blind scoring: while the facilitator keeps the board hidden, a
participant's page — and what its websocket carries — holds no one else's score, mean, spread
or radar; after the reveal everything shows. Only a facilitator starts a new reflection; it is
named by the day it was started, and every page on the board moves to it.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from browserkit import expect_state, open_page, ws_state
from serverproc import read_log

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
ASPECTS = ["ambitie", "belangen", "relaties", "organisatie", "proces"]
MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december"]
SECRET_NOTE = "Alleen voor de begeleider: het overleg loopt stroef"


def join(browser: Any, problems: list[str], base: str, code: str, label: str) -> Any:
    page = open_page(browser, problems, label, **PHONE)
    page.goto(f"{base}/j/{code}")
    page.locator("#profile-continue").click()
    page.locator('[data-add-station="ambitie"]').wait_for()
    expect_state(page, "open")
    return page


def facilitator(browser: Any, problems: list[str], base: str, token: str) -> Any:
    page = open_page(browser, problems, "facilitator", viewport={"width": 1440, "height": 900})
    page.goto(f"{base}/#t={token}")
    page.locator("#profile-continue").click()  # a one-board session: straight to its board
    page.locator('[data-add-station="ambitie"]').wait_for()
    expect_state(page, "open")
    return page


def token_of(page: Any, sid: str) -> str:
    """The session token the page keeps (what its websocket says hello with)."""
    token: str = page.evaluate("(sid) => JSON.parse(localStorage.getItem('vh.s.' + sid)).token",
                               sid)
    return token


def received(page: Any) -> list[dict[str, Any]]:
    """Every frame the page's websocket receives from now on (a batch as its frames)."""
    frames: list[dict[str, Any]] = []

    def take(payload: Any) -> None:
        frame = json.loads(payload)
        frames.extend(frame.get("frames", []) if frame.get("type") == "batch" else [frame])

    page.on("websocket", lambda ws: ws.on("framereceived", take))
    return frames


def score_all(page: Any, scores: list[int]) -> None:
    for aspect, score in zip(ASPECTS, scores, strict=True):
        page.locator(f'input[type=radio][data-aspect="{aspect}"][data-score="{score}"]').check()


def values(scores: list[float]) -> str:
    return ",".join(f"{v:g}" for v in scores)


def in_viewport(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (box is not None and box["y"] >= -1 and box["x"] >= -1
            and box["y"] + box["height"] <= size["height"] + 1
            and box["x"] + box["width"] <= size["width"] + 1)


def test_R62_hidden_scores_reach_no_participant_before_the_reveal(server: Any,
                                                                   browser: Any) -> None:
    problems: list[str] = []
    made = server.create_session("reflectietool")
    sid, code = made["session"]["id"], str(made["code"])
    board = made["session"]["boards"][0]["id"]
    fac = facilitator(browser, problems, server.url, str(made["facilitator_token"]))
    fac.locator("#board-mode").select_option("hidden")

    b = open_page(browser, problems, "B", **PHONE)
    frames = received(b)
    b.goto(f"{server.url}/j/{code}")
    b.locator("#profile-continue").click()
    b.locator('[data-add-station="ambitie"]').wait_for()
    expect_state(b, "open")
    a = join(browser, problems, server.url, code, "A")
    a.locator("#speaks-for-partner-a").check()
    a_scores = [5, 4, 3, 2, 1]
    score_all(a, a_scores)
    note = a.locator('textarea.score-note[data-aspect="ambitie"]')
    note.fill(SECRET_NOTE)
    note.press("Tab")
    b_scores = [2, 2, 2, 2, 2]
    score_all(b, b_scores)
    means = [(x + y) / 2 for x, y in zip(a_scores, b_scores, strict=True)]
    # The facilitator sees everyone's (and so every score has been stored and sent).
    expect(fac.locator('#radar polygon[data-series="all"]')).to_have_attribute(
        "data-values", values(means))
    expect(fac.locator('.aspect-agg[data-aspect="ambitie"] .agg-all .agg-mean')).to_have_attribute(
        "data-mean", f"{means[0]:g}")

    # B's page: its own scores only; no mean, no radar of everyone.
    expect(b.locator('#radar polygon[data-series="mine"]')).to_have_attribute(
        "data-values", values(b_scores))
    expect(b.locator('#radar polygon[data-series="all"]')).to_have_count(0)
    expect(b.locator('#radar polygon[data-series="partner-a"]')).to_have_count(0)
    hidden = b.locator('.aspect-agg[data-aspect="belangen"]')
    expect(hidden).to_have_text("Scores van anderen: nog verborgen.")
    hidden.scroll_into_view_if_needed()
    assert in_viewport(b, hidden)
    expect(b.locator(".radar-summary")).to_have_text(
        "De scores van anderen zie je zodra de begeleider ze laat zien.")
    # What B's websocket carried: A's scores came as events without the score.
    b_pid = b.evaluate("(sid) => JSON.parse(localStorage.getItem('vh.s.' + sid)).me.participant",
                       sid)
    others = [f for f in frames if f.get("type") == "event" and f["op"].get("kind") == "score.set"
              and f["actor"]["participant"] != b_pid]
    assert len(others) >= 6, others  # five scores and a note of A's
    for f in others:
        assert f.get("redacted") is True and set(f["op"]) <= {"kind", "reflection", "aspect"}, f
    assert not any(SECRET_NOTE in json.dumps(f) for f in frames)
    # A fresh connection with B's token: the state holds B's scores alone, no aggregates.
    state = ws_state(server.url, token_of(b, sid), board)
    assert {s["participant"] for s in state["scores"]} == {b_pid}
    assert state["aggregates"] == {}
    assert SECRET_NOTE not in json.dumps(state)

    # The reveal: everyone sees everyone's.
    fac.locator("#board-mode").select_option("open")
    expect(b.locator('#radar polygon[data-series="all"]')).to_have_attribute(
        "data-values", values(means))
    expect(b.locator('#radar polygon[data-series="partner-a"]')).to_have_attribute(
        "data-values", values([float(x) for x in a_scores]))
    expect(b.locator('.aspect-agg[data-aspect="ambitie"] .agg-all .agg-mean')).to_have_attribute(
        "data-mean", f"{means[0]:g}")
    state = ws_state(server.url, token_of(b, sid), board)
    assert len(state["scores"]) == 10 and state["aggregates"]["r1"]["ambitie"]["all"]["n"] == 2
    assert problems == [], [*problems, read_log(server.proc)]


def test_R63_R64_a_facilitator_starts_a_dated_reflection_and_everyone_moves_to_it(
        server: Any, browser: Any) -> None:
    from websockets.sync.client import connect

    problems: list[str] = []
    made = server.create_session("reflectietool")
    sid, code = made["session"]["id"], str(made["code"])
    board = made["session"]["boards"][0]["id"]
    a = join(browser, problems, server.url, code, "A")
    b = join(browser, problems, server.url, code, "B")
    # Nobody but a facilitator starts one: no button, and the op itself is refused.
    expect(a.locator("#new-reflection")).to_have_count(0)
    with connect(server.url.replace("http://", "ws://") + "/ws") as ws:
        ws.send(json.dumps({"type": "hello", "v": 1, "token": token_of(a, sid)}))
        ws.send(json.dumps({"type": "op", "id": "own-reflection", "board": board,
                            "op": {"kind": "reflection.add", "reflection": "r9"}}))
        while True:
            frame = json.loads(ws.recv(timeout=10))
            if frame.get("ref") == "own-reflection" or frame.get("id") == "own-reflection":
                break
    assert frame["type"] == "error" and frame["code"] == "forbidden", frame

    # Both have scored the first reflection (so they "picked" it) and scrolled down to do so.
    score_all(a, [3, 3, 3, 3, 3])
    score_all(b, [4, 4, 4, 4, 4])
    expect(a.locator("#reflection-select option")).to_have_text(["Reflectie 1"])
    fac = facilitator(browser, problems, server.url, str(made["facilitator_token"]))
    fac.locator("#new-reflection").click()
    today = datetime.date.today()
    named = f"Reflectie {today.day} {MONTHS[today.month - 1]} {today.year}"
    for page in (a, b, fac):
        expect(page.locator("#reflection-select")).to_have_value("r2")
        expect(page.locator("#reflection-select option")).to_have_text(["Reflectie 1", named])
    for page in (a, b):
        # Told why, where they are looking; the scores start empty for the new reflection.
        toast = page.locator("#toast")
        expect(toast).to_contain_text(f"De begeleider is een nieuwe reflectie begonnen: {named}")
        assert in_viewport(page, toast)
        expect(page.locator('input[type=radio][data-aspect="ambitie"]:checked')).to_have_count(0)
        expect(page.locator('#radar polygon[data-series="previous"]')).to_have_attribute(
            "data-values", values([3.5] * 5))
    score_all(a, [5, 5, 5, 5, 5])
    state = ws_state(server.url, str(made["facilitator_token"]), board)
    assert [r["id"] for r in state["reflections"]] == ["r1", "r2"]
    assert state["reflections"][1]["ts"] is not None
    assert {s["reflection"] for s in state["scores"] if s["score"] == 5} == {"r2"}
    assert problems == [], [*problems, read_log(server.proc)]
