"""The client at the venue (issue 8): phones, flaky Wi-Fi, the projector, keyboards and screen
readers, two languages.

A real server process and Debian's Chromium through Playwright, as the other browser tests. The
offline test keeps a real 60 s without network: the page queues its notes in localStorage, is
reloaded while still offline (the service worker, web/sw.js, serves the app shell), and sends
them again with their original op ids when the network is back (R5), resuming its boards (R8).
The accessibility test loads axe-core from tests/a11y/node_modules (`npm ci --prefix tests/a11y`,
which `make test` runs) into every page.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from browserkit import add_note, expect_state, note_with_text, open_page, sign_in, ws_state
from serverproc import http_json, read_log

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
PENDING = re.compile(r"\bpending\b")
PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True}
OFFLINE_SECONDS = 60


# --- helpers ---------------------------------------------------------------------------------

def join(page: Any, base: str, code: str, corner: str = "praatplaat", name: str = "") -> None:
    """Join by a corner's link (profile, then that corner's board)."""
    page.goto(f"{base}/j/{code}/{corner}")
    if name:
        page.locator("#name").fill(name)
    page.locator("#profile-continue").click()
    page.locator('[data-add-station="relevantie"]').wait_for()
    expect_state(page, "open")


def no_sideways_scroll(page: Any, label: str) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{label}: the page scrolls sideways ({width[0]} > {width[1]})"


def get_json(url: str, token: str) -> Any:
    req = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def ws_add_notes(base: str, token: str, board: str, notes: list[tuple[str, str]]) -> None:
    """Add (zone, text) notes over a websocket of their own and wait for every ack. One
    participant's ops are rate limited over all their connections (R41): an op refused with
    rate_limited is sent again, with its id, a moment later."""
    from websockets.sync.client import connect

    batch = uuid.uuid4().hex[:8]
    frames = {f"seed-{batch}-{i}": json.dumps({
        "type": "op", "id": f"seed-{batch}-{i}", "board": board, "op": {
            "kind": "note.add", "note": f"n-{batch}{i:03d}", "zone": zone, "text": text,
            "color": ["yellow", "blue", "green", "pink"][i % 4], "x": 0, "y": i}})
        for i, (zone, text) in enumerate(notes)}
    with connect(base.replace("http://", "ws://") + "/ws") as ws:
        ws.send(json.dumps({"type": "hello", "v": 1, "token": token}))
        for frame in frames.values():
            ws.send(frame)
        acked: set[str] = set()
        while len(acked) < len(frames):
            answer = json.loads(ws.recv(timeout=20))
            if answer["type"] == "error" and answer.get("code") == "rate_limited":
                time.sleep(0.2)
                ws.send(frames[answer["ref"]])
                continue
            assert answer["type"] != "error", answer
            if answer["type"] == "ack":
                acked.add(answer["id"])


def ws_op(base: str, token: str, board: str, op: dict[str, Any]) -> dict[str, Any]:
    """One op over a websocket of its own; its answer (ack or error)."""
    from websockets.sync.client import connect

    with connect(base.replace("http://", "ws://") + "/ws") as ws:
        ws.send(json.dumps({"type": "hello", "v": 1, "token": token}))
        oid = f"op-{uuid.uuid4().hex[:12]}"
        ws.send(json.dumps({"type": "op", "id": oid, "board": board, "op": op}))
        while True:
            frame = json.loads(ws.recv(timeout=10))
            if frame["type"] in ("ack", "error") and frame.get("id", frame.get("ref")) == oid:
                return dict(frame)


def participant_token(base: str, code: str) -> str:
    status, body = http_json("GET", f"{base}/api/join/{code}")
    assert status == 200, body
    return str(body["token"])


def active(page: Any, selector: str) -> bool:
    return bool(page.evaluate("s => !!document.activeElement?.matches(s)", selector))


def focus_ring(page: Any) -> str:
    """The focused element's outline as the user sees it ("none" when there is no ring)."""
    return str(page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return s.outlineStyle === 'none' || parseFloat(s.outlineWidth) < 2 ? 'none'"
        " : `${s.outlineWidth} ${s.outlineStyle} ${s.outlineColor}`; }"))


def tab_to(page: Any, selector: str, limit: int = 250, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches `selector`."""
    for _ in range(limit):
        if active(page, selector):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"Tab never reached {selector}; focus is on "
                         + page.evaluate("document.activeElement?.outerHTML.slice(0, 120)"))


def touch_drag(page: Any, source: Any, target: Any) -> None:
    """A finger drag through the browser's own touch input (pointer events, pointerType touch):
    press on `source`, move, hold near the bottom edge until `target` scrolls into view, drop."""
    cdp = page.context.new_cdp_session(page)
    s = source.bounding_box()
    assert s
    x, y = s["x"] + s["width"] / 2, s["y"] + s["height"] / 2

    def touch(kind: str, px: float, py: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": px, "y": py}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", x, y)
    for i in range(1, 6):
        touch("touchMove", x + i, y + 4 * i)
    height = page.viewport_size["height"]
    for _ in range(80):
        t = target.bounding_box()
        assert t
        ty = t["y"] + t["height"] / 2
        if ty < height - 70:
            break
        touch("touchMove", x, height - 8)  # near the edge: the page scrolls by itself
        page.wait_for_timeout(50)
    # Away from the edge, the finger waits for the page to stop scrolling and looks again for
    # the target (as a person does) before moving onto it.
    touch("touchMove", x, height / 2)
    page.wait_for_timeout(400)
    t = target.bounding_box()
    assert t
    y, ty = height / 2 - 20, t["y"] + t["height"] / 2
    tx = t["x"] + t["width"] / 2
    for i in range(1, 11):
        touch("touchMove", x + (tx - x) * i / 10, (y + 20) + (ty - y - 20) * i / 10)
    touch("touchEnd", tx, ty)
    cdp.detach()


def axe_problems(page: Any, label: str, include: str | None = None) -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations axe-core finds on the page as it is now."""
    if not AXE.exists():
        pytest.fail("axe-core missing: run `npm ci --prefix tests/a11y` (make test does)",
                    pytrace=False)
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async (include) => {
          const r = await axe.run(include ? document.querySelector(include) : document, {
            runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
          });
          return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 3)
              .map((n) => n.target.join(" ") + " -- " + n.failureSummary.replace(/\\s+/g, " "))
              .join(" | "));
        }""", include)
    return [f"{label}: {v}" for v in found]


# --- 1. a phone -----------------------------------------------------------------------------

def test_R9_phone_adds_a_note_and_drags_it_by_touch_to_another_station(
        server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken")
    code = str(created["code"])
    problems: list[str] = []
    phone = open_page(browser, problems, "phone", **PHONE)
    phone.goto(server.url)
    no_sideways_scroll(phone, "home")
    phone.goto(f"{server.url}/j/{code}")
    no_sideways_scroll(phone, "profile")
    phone.locator("#name").fill("Noor")
    phone.locator("#profile-continue").tap()
    phone.locator('.corner[data-instrument="praatplaat"]').tap()
    phone.locator('[data-add-station="relevantie"]').wait_for()
    expect_state(phone, "open")
    laptop = open_page(browser, problems, "laptop")
    join(laptop, server.url, code)

    text = "Dit gesprek voeren we nu nergens structureel"
    phone.locator('[data-add-station="relevantie"]').tap()
    editor = phone.locator(".note-editor")
    expect(editor).to_be_focused()
    editor.fill(text)
    editor.press("Enter")
    card = phone.locator(".note", has_text=text)
    expect(card).not_to_have_class(PENDING)
    no_sideways_scroll(phone, "board")
    # Fingers need room: the handle, the menu and the add buttons are at least 44 px.
    for target in (card.locator(".drag-handle"), card.locator(".note-menu"),
                   phone.locator('[data-add-station="tips"]'), phone.locator("#menu-toggle")):
        box = target.bounding_box()
        assert box and box["width"] >= 44 and box["height"] >= 44, box

    # A touch drag from the handle to the next station (the page scrolls down by itself).
    target = phone.locator('.station[data-station="toepasbaarheid"] [data-add-station]')
    touch_drag(phone, card.locator(".drag-handle"), target)
    moved = phone.locator('.station[data-station="toepasbaarheid"] .note', has_text=text)
    expect(moved).to_have_count(1)
    expect(moved).not_to_have_class(PENDING)
    on_laptop = laptop.locator('.station[data-station="toepasbaarheid"] .note', has_text=text)
    expect(on_laptop).to_have_count(1)
    expect(laptop.locator('.station[data-station="relevantie"] .note')).to_have_count(0)
    no_sideways_scroll(phone, "board after the drag")

    # The note being typed stays above the on-screen keyboard (the visible part shrinks).
    phone.wait_for_timeout(500)  # a finger lifted and back: a tap right after a drag is no tap
    phone.locator('[data-add-station="tips"]').tap()
    editor = phone.locator(".note-editor")
    expect(editor).to_be_focused()
    phone.set_viewport_size({"width": 360, "height": 300})
    # The page moves the field once the keyboard is up; on a busy machine that takes a moment.
    with contextlib.suppress(sync_api.TimeoutError):
        phone.wait_for_function("""() => {
          const e = document.querySelector(".note-editor")?.getBoundingClientRect();
          const bar = document.getElementById("topbar")?.getBoundingClientRect();
          return e && bar && e.top >= bar.bottom - 1 && e.bottom <= 300;
        }""", timeout=3000)
    box = editor.bounding_box()
    bar = phone.locator("#topbar").bounding_box()
    assert box and bar, (box, bar)
    assert box["y"] >= bar["y"] + bar["height"] - 1 and box["y"] + box["height"] <= 300, (box, bar)
    editor.press("Escape")
    phone.set_viewport_size({"width": 360, "height": 640})
    assert problems == [], [*problems, read_log(server.proc)]


# --- 2. flaky Wi-Fi ---------------------------------------------------------------------------

def test_R5_R8_R10_offline_for_a_minute_notes_survive_a_reload_and_arrive_exactly_once(
        server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken")
    sid, code, token = created["session"]["id"], str(created["code"]), created["facilitator_token"]
    board = f"{sid}.praatplaat"
    problems: list[str] = []
    a = open_page(browser, problems, "A")
    b = open_page(browser, problems, "B")
    b.on("dialog", lambda d: d.accept())
    join(a, server.url, code, name="Ans")
    join(b, server.url, code, name="Bo")
    # The service worker controls the page and holds every file of web/ the page loads.
    # (registered once the page is up and idle: web/app.js)
    a.wait_for_function("() => !!navigator.serviceWorker?.controller")
    shell = a.evaluate("""async () => (await (await caches.open('vh-shell-v1')).keys())
                          .map((r) => new URL(r.url).pathname)""")
    wanted = {"/", "/api/templates"} | {f"/{p.name}" for p in (ROOT / "web").glob("*.[jc]s*")
                                         if p.suffix in (".js", ".css") and p.name != "sw.js"}
    assert wanted <= set(shell), sorted(wanted - set(shell))

    doomed = "Deze notitie gaat weg"
    add_note(a, "tips", doomed)
    expect(a.locator(".note", has_text=doomed)).not_to_have_class(PENDING)
    expect(note_with_text(b, doomed)).to_have_count(1)

    a.context.set_offline(True)
    went_offline = time.monotonic()
    expect_state(a, "offline")
    texts = ["Offline 1: stageplekken in de regio", "Offline 2: docenten mbo erbij",
             "Offline 3: bedrijven <b>betrekken</b>"]
    for text in texts:
        add_note(a, "relevantie", text)
    # An edit of a note that someone else deletes meanwhile: a no-op later, said out loud.
    a.locator(".note", has_text=doomed).locator(".note-text").click()
    a.locator(".note-editor").fill(f"{doomed}, toch niet")
    a.locator(".note-editor").press("Enter")
    conn = a.locator("#conn-state")
    expect(conn).to_have_text("offline — 4 notities wachten")
    expect(conn).to_have_attribute("data-waiting", "4")
    # R32: only its author or a begeleider deletes a note; here the begeleider does.
    doomed_id = str(b.locator(".note", has_text=doomed).get_attribute("data-note-id"))
    ws_op(server.url, token, board, {"kind": "note.delete", "note": doomed_id})
    expect(note_with_text(b, doomed)).to_have_count(0)
    journal = a.evaluate(f"JSON.parse(localStorage.getItem('vh.q.{sid}'))")
    assert [e["op"]["kind"] for e in journal] == ["note.add"] * 3 + ["note.edit"], journal
    queued = [e["id"] for e in journal]
    for text in texts:
        expect(note_with_text(b, text)).to_have_count(0)

    # A reload while still offline: the page comes from the service worker, the board from
    # localStorage, the queued notes with it (shown as pending).
    sent: list[dict[str, Any]] = []

    def on_ws(ws: Any) -> None:
        def on_frame(payload: Any) -> None:
            frame = json.loads(payload if isinstance(payload, str) else payload.decode())
            if frame.get("type") == "op":
                sent.append(frame)
        ws.on("framesent", on_frame)

    a.on("websocket", on_ws)
    a.reload()
    expect(a.locator(f'.board[data-board="{board}"]')).to_be_visible()
    for text in texts:
        expect(note_with_text(a, text)).to_have_count(1)
        expect(a.locator(".note", has_text=text)).to_have_class(PENDING)
    expect(conn).to_have_attribute("data-state", "offline")
    expect(conn).to_have_text("offline — 4 notities wachten")
    assert [e["id"] for e in a.evaluate(f"JSON.parse(localStorage.getItem('vh.q.{sid}'))")] \
        == queued
    assert sent == []

    time.sleep(max(0.0, OFFLINE_SECONDS - (time.monotonic() - went_offline)))
    a.context.set_offline(False)
    expect_state(a, "open", timeout=30_000)
    expect(a.locator(".note.pending")).to_have_count(0, timeout=15_000)
    expect(conn).to_have_text("verbonden")
    # The queue went out with the ids it was made with (the server dedups on them, R5) ...
    assert [f["id"] for f in sent] == queued, sent
    assert a.evaluate(f"localStorage.getItem('vh.q.{sid}')") is None
    # ... the edit of the deleted note came back as a recorded no-op, shown (R10) ...
    expect(a.locator("#toast")).to_contain_text("de notitie is intussen verwijderd")
    expect(note_with_text(a, doomed)).to_have_count(0)
    # ... and every note arrived exactly once: on B, on a fresh websocket, and over HTTP.
    for text in texts:
        expect(note_with_text(b, text)).to_have_count(1)
        expect(note_with_text(a, text)).to_have_count(1)
    fresh = [n["text"] for n in ws_state(server.url, token, board)["notes"]]
    doc = get_json(f"{server.url}/api/sessions/{sid}/export.json", token)
    exported = [n["text"] for bd in doc["boards"] if bd["id"] == board
                for n in bd["state"]["notes"]]
    for text in texts:
        assert fresh.count(text) == 1 and exported.count(text) == 1, (fresh, exported)
    assert doomed not in fresh
    b.reload()
    expect_state(b, "open")
    for text in texts:
        expect(note_with_text(b, text)).to_have_count(1)
    assert problems == [], [*problems, read_log(server.proc)]


# --- 3. accessibility -------------------------------------------------------------------------

def test_axe_finds_no_serious_violation_on_any_page_and_no_page_scrolls_sideways(
        server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken")
    sid, code, token = created["session"]["id"], str(created["code"]), created["facilitator_token"]
    board = f"{sid}.praatplaat"
    ptoken = participant_token(server.url, code)
    ws_add_notes(server.url, ptoken, board, [
        ("relevantie", "Sluit aan bij de regionale opgave"),
        ("toepasbaarheid", "Bij de start van het schooljaar met het kernteam"),
        ("tips", "Voorbeelden uit andere regio's toevoegen"),
    ])
    problems: list[str] = []
    found: list[str] = []
    fac = open_page(browser, problems, "facilitator", viewport={"width": 1280, "height": 900},
                    bypass_csp=True)
    fac.goto(f"{server.url}/#t={token}")
    expect(fac.locator("#overview")).to_be_visible()
    expect_state(fac, "open")
    # A cluster, a hidden note, an open vote and a snapshot, so their markup is checked too.
    fac.locator('.ov-corner[data-corner="praatplaat"] .ov-open').click()
    zone = fac.locator('.station[data-station="relevantie"]')
    zone.locator(".cluster-new").click()
    zone.locator(".cluster-new-input").fill("Regio")
    zone.locator(".cluster-new-input").press("Enter")
    expect(zone.locator(".cluster")).to_have_count(1)
    hide = fac.locator(".note", has_text="Voorbeelden uit andere")
    hide.locator(".note-menu").click()
    hide.locator(".note-hide").click()
    expect(hide.locator(".note-flag")).to_have_text("verborgen")
    fac.locator("#vote-admin summary").click()
    fac.locator("#vote-open").click()
    expect(fac.locator("#vote-list .vote-item.is-open")).to_have_count(1)
    found += axe_problems(fac, "facilitator board")
    fac.locator("#nav-stations").click()
    expect(fac.locator("#station-view")).to_be_visible()
    found += axe_problems(fac, "station view")
    fac.locator("#nav-overview").click()
    expect(fac.locator("#overview")).to_be_visible()
    fac.locator("#snapshot-name").fill("Ochtend")
    fac.locator("#snapshot-take").click()
    expect(fac.locator('.snapshot[data-name="Ochtend"]')).to_have_count(1)
    fac.locator("#diff-from").select_option("Ochtend")
    fac.locator("#diff-run").click()
    expect(fac.locator("#diff-result .diff-head")).to_be_visible()
    expect(fac.locator("#links-panel .links-corner")).to_have_count(4)
    found += axe_problems(fac, "overview")
    found += axe_problems(fac, "archive panel", include="#archive-panel")

    pages: list[tuple[str, str, str | None]] = [
        ("home", "/", "#join-form"),
        ("profile", f"/j/{code}", "#profile-form"),
        ("snapshot", f"/s/{sid}/Ochtend#t={token}", "#snapshot-view"),
        ("projector", str(created["projector_urls"]["praatplaat"]), "#projector .note"),
    ]
    for size, extra in (("laptop", {"viewport": {"width": 1280, "height": 800}}), ("phone", PHONE)):
        p = open_page(browser, problems, size, bypass_csp=True, **extra)
        for label, path, ready in pages:
            url = path if path.startswith("http") else server.url + path
            p.goto(url)
            p.locator(ready).first.wait_for()
            found += axe_problems(p, f"{size} {label}")
            no_sideways_scroll(p, f"{size} {label}")
        # The corner list and a corner board with notes, a cluster, a hidden note, a vote.
        p.goto(f"{server.url}/j/{code}")
        p.locator("#profile-continue").click()
        expect(p.locator(".corner")).to_have_count(4)
        found += axe_problems(p, f"{size} corners")
        no_sideways_scroll(p, f"{size} corners")
        p.locator('.corner[data-instrument="praatplaat"]').click()
        expect(p.locator(".note")).to_have_count(3)
        expect(p.locator(".note .vote-plus").first).to_be_visible()
        expect(p.locator(".note.is-redacted")).to_have_count(1)
        found += axe_problems(p, f"{size} corner board")
        no_sideways_scroll(p, f"{size} corner board")
        # An organiser's start page: Mijn sessies with its forms (R31).
        sign_in(p, server)
        expect(p.locator(f'.my-session[data-session="{sid}"]')).to_have_count(1)
        found += axe_problems(p, f"{size} my sessions")
        no_sideways_scroll(p, f"{size} my sessions")
        p.context.close()
        # The facilitator's pages on a phone do not scroll sideways either.
    small = open_page(browser, problems, "facilitator phone", bypass_csp=True, **PHONE)
    small.goto(f"{server.url}/#t={token}")
    expect(small.locator("#overview")).to_be_visible()
    expect(small.locator("#links-panel .links-corner")).to_have_count(4)
    no_sideways_scroll(small, "phone overview")
    found += axe_problems(small, "phone overview")
    small.locator("#menu-toggle").click()  # on a phone the navigation is in the menu
    small.locator("#nav-stations").click()
    expect(small.locator("#station-view .note").first).to_be_visible()
    no_sideways_scroll(small, "phone station view")

    # Each instrument as a working board of its own.
    for template, ready in (("praatplaat", "inhoud"), ("matrix", "impact"),
                            ("achtje", "management@tussen"), ("reflectietool", "ambitie")):
        icode = str(server.create_session(template)["code"])
        for size, extra in (("laptop", {"viewport": {"width": 1280, "height": 800}}),
                            ("phone", PHONE)):
            p = open_page(browser, problems, f"{template} {size}", bypass_csp=True, **extra)
            p.goto(f"{server.url}/j/{icode}")
            p.locator("#profile-continue").click()
            p.locator(f'[data-add-station="{ready}"]').wait_for()
            expect_state(p, "open")
            if size == "laptop":
                add_note(p, ready, f"Notitie op {template}")
                if template == "matrix":
                    p.locator("#new-column-title").fill("Open dag")
                    p.locator("#add-column").click()
                    expect(p.locator("th.matrix-col")).to_have_count(1)
                if template == "reflectietool":
                    p.locator('input[data-aspect="ambitie"][data-score="4"]').check()
                expect(p.locator(".note.pending")).to_have_count(0)
            found += axe_problems(p, f"{size} {template}")
            no_sideways_scroll(p, f"{size} {template}")
            p.context.close()
    assert found == [], "\n".join(found)
    assert problems == [], [*problems, read_log(server.proc)]


# --- 4. the keyboard alone --------------------------------------------------------------------

def test_R26_R27_keyboard_only_add_edit_move_cluster_and_vote(server: Any, browser: Any) -> None:
    created = server.create_session("vier-hoeken")
    sid, code, token = created["session"]["id"], str(created["code"]), created["facilitator_token"]
    problems: list[str] = []
    part = open_page(browser, problems, "participant")
    kb = part.keyboard
    part.goto(f"{server.url}/j/{code}/praatplaat")
    expect(part.locator("#name")).to_be_focused()
    kb.type("Toetsenbord")
    tab_to(part, "#profile-continue")
    kb.press("Enter")
    part.locator('[data-add-station="relevantie"]').wait_for()
    expect_state(part, "open")

    # Add: the station's add button, type, Enter; the focus lands on the new note.
    tab_to(part, '[data-add-station="relevantie"]')
    kb.press("Enter")
    expect(part.locator(".note-editor")).to_be_focused()
    kb.type("Meer tijd voor overleg")
    kb.press("Enter")
    card = part.locator(".note", has_text="Meer tijd voor overleg")
    expect(card).to_be_focused()
    expect(card).not_to_have_class(PENDING)
    assert focus_ring(part) != "none"  # :focus-visible: the keyboard's place is always shown
    nid = str(card.get_attribute("data-note-id"))
    card = part.locator(f'.note[data-note-id="{nid}"]')
    # Edit: Enter on the note, End, type, Enter.
    kb.press("Enter")
    expect(card.locator(".note-editor")).to_be_focused()
    kb.press("End")
    kb.type(" tussen vmbo en mbo")
    kb.press("Enter")
    text = "Meer tijd voor overleg tussen vmbo en mbo"
    expect(card.locator(".note-text")).to_have_text(text)
    expect(card).to_be_focused()
    # Move with the "Verplaats naar…" menu: the note's menu, then the station list's arrow keys.
    tab_to(part, f'.note[data-note-id="{nid}"] .note-menu')
    assert focus_ring(part) != "none"
    kb.press("Enter")
    expect(card.locator(".note-tools")).to_be_visible()
    tab_to(part, f'.note[data-note-id="{nid}"] .move-to')
    expect(card.locator(".move-to")).to_have_value("relevantie")
    kb.press("ArrowDown")
    in_second = part.locator(f'.station[data-station="toepasbaarheid"] .note[data-note-id="{nid}"]')
    expect(in_second).to_have_count(1)
    expect(card.locator(".move-to")).to_be_focused()
    kb.press("Escape")
    expect(card.locator(".note-tools")).to_have_count(0)
    expect(card.locator(".note-menu")).to_be_focused()
    # ... and with Alt+arrows on the note itself: to Tips and back.
    kb.press("Shift+Tab")
    expect(card).to_be_focused()
    kb.press("Alt+ArrowRight")
    in_tips = part.locator(f'.station[data-station="tips"] .note[data-note-id="{nid}"]')
    expect(in_tips).to_have_count(1)
    expect(card).to_be_focused()
    kb.press("Alt+ArrowLeft")
    expect(in_second).to_have_count(1)
    expect(in_second).not_to_have_class(PENDING)

    # The facilitator, keyboard only: open the corner, make a cluster, put the note in it.
    fac = open_page(browser, problems, "facilitator", viewport={"width": 1400, "height": 1000})
    fkb = fac.keyboard
    fac.goto(f"{server.url}/#t={token}")
    expect(fac.locator("#overview")).to_be_visible()
    expect_state(fac, "open")
    tab_to(fac, '.ov-corner[data-corner="praatplaat"] .ov-open')
    fkb.press("Enter")
    fac.locator("#board-tools").wait_for()
    tab_to(fac, '.cluster-new[data-station="toepasbaarheid"]')
    fkb.press("Enter")
    expect(fac.locator('.station[data-station="toepasbaarheid"] .cluster-new-input')) \
        .to_be_focused()
    fkb.type("Tijd en ruimte")
    fkb.press("Enter")
    cluster = fac.locator('.station[data-station="toepasbaarheid"] .cluster')
    expect(cluster).to_have_count(1)
    cid = str(cluster.get_attribute("data-cluster"))
    fcard = fac.locator(f'.note[data-note-id="{nid}"]')
    expect(fcard).not_to_have_class(PENDING)
    tab_to(fac, f'.note[data-note-id="{nid}"] .note-menu')
    fkb.press("Enter")
    tab_to(fac, f'.note[data-note-id="{nid}"] .note-cluster')
    fkb.press("ArrowDown")
    expect(fac.locator(f'.cluster[data-cluster="{cid}"] .note[data-note-id="{nid}"]')) \
        .to_have_count(1)
    expect(part.locator(f'.cluster[data-cluster="{cid}"] .note[data-note-id="{nid}"]')) \
        .to_have_count(1)
    # ... and opens a dot vote on this board.
    tab_to(fac, "#vote-admin summary")
    fkb.press("Enter")
    tab_to(fac, "#vote-open")
    fkb.press("Enter")
    expect(fac.locator("#vote-list .vote-item.is-open")).to_have_count(1)

    # The participant votes with the keyboard.
    expect(part.locator("#dots-left")).to_have_attribute("data-left", "3")
    tab_to(part, f'.note[data-note-id="{nid}"] .vote-plus', back=True)
    kb.press("Enter")
    expect(part.locator("#dots-left")).to_have_attribute("data-left", "2")
    kb.press("Space")
    expect(part.locator("#dots-left")).to_have_attribute("data-left", "1")
    expect(fac.locator(f'.note[data-note-id="{nid}"] .vote-total')).to_have_text("● 2")
    stored = get_json(f"{server.url}/api/sessions/{sid}/export.json", token)
    (note,) = [n for bd in stored["boards"] for n in bd["state"].get("notes", ()) if n["id"] == nid]
    assert note["zone"] == "toepasbaarheid" and note["cluster"] == cid and note["text"] == text
    assert problems == [], [*problems, read_log(server.proc)]


# --- 5. two languages -------------------------------------------------------------------------

def test_english_is_one_press_away_and_stays_after_a_reload(server: Any, browser: Any) -> None:
    code = str(server.create_session("vier-hoeken")["code"])
    problems: list[str] = []
    page = open_page(browser, problems, "page")
    page.goto(server.url)
    expect(page.locator("#join-submit")).to_have_text("Doe mee")
    expect(page.locator("#login-title")).to_have_text("Inloggen als organisator")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    toggle = page.locator("#lang-toggle")
    expect(toggle).to_have_text("English")
    expect(toggle).to_have_attribute("lang", "en")
    toggle.click()
    expect(page.locator("#join-submit")).to_have_text("Join")
    expect(page.locator("#login-title")).to_have_text("Sign in as organiser")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(toggle).to_have_text("Nederlands")
    page.reload()
    expect(page.locator("#join-submit")).to_have_text("Join")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # In a session too: the board, its buttons and the connection state.
    page.goto(f"{server.url}/j/{code}/matrix")
    expect(page.locator("#profile-continue")).to_have_text("Continue")
    page.locator("#profile-continue").click()
    expect(page.locator('[data-add-station="relevantie"]')).to_have_text("+ Note")
    expect(page.locator("#conn-state")).to_have_text("connected")
    expect(page.locator(".board-title")).to_have_text(re.compile(r"\S"))
    page.reload()
    expect(page.locator('[data-add-station="relevantie"]')).to_have_text("+ Note")
    toggle.click()
    expect(page.locator('[data-add-station="relevantie"]')).to_have_text("+ Notitie")
    expect(page.locator("#conn-state")).to_have_text("verbonden")
    assert problems == [], [*problems, read_log(server.proc)]


# --- 6. the projector -------------------------------------------------------------------------

@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_R22_projector_fits_the_screen_large_with_the_running_timer(
        server: Any, browser: Any, size: tuple[int, int]) -> None:
    created = server.create_session("vier-hoeken")
    sid, code, token = created["session"]["id"], str(created["code"]), created["facilitator_token"]
    ws_add_notes(server.url, participant_token(server.url, code), f"{sid}.matrix", [
        (zone, f"Reactie {i + 1} bij {zone}: meer samenwerking tussen vmbo, mbo en bedrijven")
        for i, zone in enumerate(["relevantie", "toepasbaarheid", "tips"] * 5)])
    problems: list[str] = []
    fac = open_page(browser, problems, "facilitator")
    fac.goto(f"{server.url}/#t={token}")
    expect_state(fac, "open")
    fac.locator("#timer-start").click()
    width, height = size
    screen = open_page(browser, problems, "projector", viewport={"width": width, "height": height})
    screen.goto(created["projector_urls"]["matrix"])
    expect(screen.locator("#projector .note")).to_have_count(15)
    expect(screen.locator("#projector-time")).to_have_attribute("data-state", "running")
    screen.wait_for_timeout(300)
    dims = screen.evaluate("""() => ({
        sw: document.documentElement.scrollWidth, sh: document.documentElement.scrollHeight,
        w: innerWidth, h: innerHeight,
        time: parseFloat(getComputedStyle(document.getElementById('projector-time')).fontSize),
        note: parseFloat(getComputedStyle(document.querySelector('#projector .note')).fontSize),
        clipped: document.querySelectorAll('.projector-more').length })""")
    assert dims["sw"] <= dims["w"] and dims["sh"] <= dims["h"], dims
    assert dims["time"] >= 56 and dims["note"] >= 15, dims
    # The timer and every note shown are on the screen, none cut off (R58: more go on pages).
    assert dims["clipped"] == 0, dims
    for loc in (screen.locator("#projector-time"), screen.locator("#projector-qr"),
                screen.locator("#projector .note.on-page").last):
        box = loc.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= height + 1, box
    # A note written now shows up and the screen still fits.
    ws_add_notes(server.url, participant_token(server.url, code), f"{sid}.matrix",
                 [("tips", "Nog eentje, na de andere")])
    expect(screen.locator("#projector .note")).to_have_count(16)
    screen.wait_for_timeout(300)
    assert screen.evaluate("document.documentElement.scrollHeight <= innerHeight")
    assert problems == [], [*problems, read_log(server.proc)]
