"""The screens of the day (issue 18, item 6; R58): the screen link opens a chooser, the join
screen reads from the back of the room, and a crowded corner screen keeps its type large and
turns pages instead of shrinking or cutting notes off. And what a phone loads (item 14, R61):
its own modules only, compressed and validated. Real server, Debian's Chromium, at the 1920x1080
of a projector and the 390x844 of a phone."""

from __future__ import annotations

import json
from typing import Any

import pytest
from browserkit import open_page
from serverproc import read_log
from test_browser_venue import participant_token, ws_add_notes, ws_op

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SCREEN = {"width": 1920, "height": 1080}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# What only a begeleider, a screen, the archive or an organiser needs (web/app.js, web/pages.js).
NOT_FOR_PARTICIPANTS = ("overview.js", "announce.js", "plan.js", "people.js", "links.js",
                        "suggestions.js", "stationview.js", "archive.js", "snapshot.js",
                        "projector.js", "screens.js", "organiser.js", "home.js")
STATIONS = ("relevantie", "toepasbaarheid", "tips")

# Every box a person reads on a corner screen: the head's parts, each station's head and page
# count, and each note shown (its author line and its text), with where it is.
BOXES = """() => {
  const box = (e, kind) => { const r = e.getBoundingClientRect();
    return { kind, x: r.left, y: r.top, w: r.width, h: r.height, b: r.bottom, r: r.right }; };
  const seen = (e) => e.checkVisibility() && e.getBoundingClientRect().height > 0;
  const out = { head: [], zones: [] };
  for (const sel of ['.projector-titles', '.projector-clock', '.projector-qr'])
    out.head.push(box(document.querySelector(sel), sel));
  for (const z of document.querySelectorAll('.projector-board .zone')) {
    const zr = z.getBoundingClientRect();
    const marker = z.querySelector('.projector-page');
    const notes = [...z.querySelectorAll('.note')].filter(seen).map((n) => ({
      card: box(n, 'note'), head: box(n.querySelector('.note-head'), 'author'),
      text: box(n.querySelector('.note-text'), 'text'),
      size: parseFloat(getComputedStyle(n).fontSize),
      textSize: parseFloat(getComputedStyle(n.querySelector('.note-text')).fontSize),
      id: n.dataset.noteId }));
    out.zones.push({ zone: z.dataset.zone, bottom: zr.bottom, top: zr.top,
      head: [...z.querySelectorAll('.zone-head > :not(.projector-page)')].filter(seen)
        .map((e) => box(e, 'station head')),
      marker: marker && seen(marker) ? { ...box(marker, 'page'), text: marker.textContent } : null,
      notes, total: z.querySelectorAll('.note').length,
      clusters: [...z.querySelectorAll('.cluster')].filter(seen).map((c) => box(c, 'cluster')) });
  }
  out.more = document.querySelectorAll('.projector-more').length;
  out.scroll = [document.documentElement.scrollWidth, document.documentElement.scrollHeight];
  return out;
}"""


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (min(a["r"], b["r"]) - max(a["x"], b["x"]) > 1
            and min(a["b"], b["b"]) - max(a["y"], b["y"]) > 1)


def check_page(shown: dict[str, Any]) -> None:
    """What a screen shows now: large type, nothing over anything, nothing cut off."""
    assert shown["more"] == 0, "a '+N meer' badge is back"
    width, height = shown["scroll"]
    assert width <= SCREEN["width"] and height <= SCREEN["height"], shown["scroll"]
    for zone in shown["zones"]:
        notes = zone["notes"]
        assert notes, f"{zone['zone']}: no note on the screen"
        parts = [*zone["head"], *([zone["marker"]] if zone["marker"] else [])]
        for n in notes:
            assert n["size"] >= 28 and n["textSize"] >= 28, f"{zone['zone']}: type {n}"
            # The author line above the text, never beside it (no text flowing around a badge).
            assert n["head"]["b"] <= n["text"]["y"] + 0.5, f"{zone['zone']}: author beside text {n}"
            # Whole notes only: nothing reaches past the station's bottom.
            assert n["card"]["b"] <= zone["bottom"] + 0.5, f"{zone['zone']}: note cut off {n}"
            assert n["card"]["y"] >= zone["top"], n
            parts.append(n["card"])
        for i, a in enumerate(parts):
            for b in parts[i + 1:]:
                assert not overlap(a, b), f"{zone['zone']}: {a['kind']} over {b['kind']}: {a} {b}"
    heads = shown["head"]
    for i, a in enumerate(heads):
        for b in heads[i + 1:]:
            assert not overlap(a, b), (a, b)
        for zone in shown["zones"]:
            for part in zone["head"]:
                assert not overlap(a, part), (a, part)


def test_R58_the_screen_link_opens_a_chooser_and_the_join_screen_reads_from_the_back(
        server: Any, browser: Any) -> None:
    """The "link voor een scherm" shows which screen to be (not "Wie ben je?" and a phone
    board); the join screen shows the QR code, the code and the address large on 1920x1080."""
    created = server.create_session("vier-hoeken", title="Techniekpact Oost, 12 maart")
    problems: list[str] = []
    screen = open_page(browser, problems, "screen", viewport=SCREEN)
    screen.goto(str(created["viewer_url"]))
    chooser = screen.locator("#screen-chooser")
    expect(chooser).to_be_visible()
    expect(screen.locator("#profile-form")).to_have_count(0)
    expect(chooser.locator(".screen-choice")).to_have_count(6)  # join, overview, four corners
    for i in range(1, 5):
        expect(screen.locator(f"#screen-corner-{i}")).to_be_visible()
    screen.locator("#screen-join").click()

    join = screen.locator("#join-screen")
    expect(join).to_be_visible()
    expect(screen.locator("#join-screen-qr")).to_have_js_property("complete", True)
    code = str(created["code"])
    expect(screen.locator("#join-screen-code")).to_have_attribute("data-code", code)
    expect(screen.locator("#join-screen-code")).to_have_text(f"{code[:4]} {code[4:]}")
    host = server.url.split("://", 1)[1]
    expect(screen.locator("#join-screen-url")).to_have_text(host)
    expect(screen.locator("#topbar")).to_be_hidden()
    dims = screen.evaluate("""() => {
        const px = (s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize);
        const qr = document.getElementById('join-screen-qr');
        return { code: px('#join-screen-code'), url: px('#join-screen-url'),
                 qr: Math.min(qr.getBoundingClientRect().width, qr.getBoundingClientRect().height),
                 natural: qr.naturalWidth,
                 sw: document.documentElement.scrollWidth,
                 sh: document.documentElement.scrollHeight };
    }""")
    # Readable at 15 m: a code of ~110 px type, the address of ~60 px, a QR code of ~600 px.
    assert dims["code"] >= 100 and dims["url"] >= 56 and dims["qr"] >= 560, dims
    assert dims["natural"] > 0, dims
    assert dims["sw"] <= SCREEN["width"] and dims["sh"] <= SCREEN["height"], dims
    # The day's second question (R47): a smaller QR code of the sign-up page, on the screen too.
    signup_qr = screen.locator("#join-screen-signup img")
    expect(signup_qr).to_have_js_property("complete", True)
    assert signup_qr.evaluate("(n) => n.naturalWidth") > 0
    assert signup_qr.get_attribute("src") == f"/qr/{code}/aanmelden.svg"
    expect(screen.locator("#join-screen-signup")).to_contain_text("meedenken")
    for sel in ("#join-screen-qr", "#join-screen-code", "#join-screen-url", ".join-screen-title",
                "#join-screen-signup"):
        box = screen.locator(sel).bounding_box()
        assert box and box["x"] >= 0 and box["y"] >= 0, (sel, box)
        assert box["x"] + box["width"] <= SCREEN["width"], (sel, box)
        assert box["y"] + box["height"] <= SCREEN["height"], (sel, box)

    # Back to the chooser, then a corner's screen; the overview for the wall.
    screen.go_back()
    expect(screen.locator("#screen-chooser")).to_be_visible()
    expect(screen.locator("#topbar")).to_be_visible()
    screen.locator("#screen-corner-2").click()
    expect(screen.locator("#projector")).to_have_attribute("data-corner", "matrix")
    screen.go_back()
    screen.locator("#screen-overview").click()
    expect(screen.locator("#wall .wall-corner")).to_have_count(4)
    expect(screen.locator("#wall-time")).to_be_visible()
    assert problems == [], [*problems, read_log(server.proc)]


@pytest.mark.parametrize("per_station", [11, 25])
def test_R58_a_crowded_corner_screen_keeps_large_type_and_turns_pages(
        server: Any, browser: Any, per_station: int) -> None:
    """11 and 25 notes per station on a 1920x1080 corner screen: type of at least 28 px, the
    author above the text, no two things over each other, no note cut off at the bottom, no
    '+N meer'; a station that holds more than one page says "1/N" and turns to the next."""
    created = server.create_session("vier-hoeken")
    sid, code = created["session"]["id"], str(created["code"])
    token = participant_token(server.url, code)
    texts = ["Meer samenwerking tussen vmbo, mbo en bedrijven in de regio",
             "Stages eerder in de opleiding",
             "Gastlessen door technici uit het bedrijfsleven, ook in de onderbouw en met ouders",
             "Docentstages"]
    for zone in STATIONS:  # a connection each: R15's burst
        ws_add_notes(server.url, token, f"{sid}.praatplaat", [
            (zone, f"{texts[i % 4]} ({zone} {i + 1})") for i in range(per_station)])
    problems: list[str] = []
    screen = open_page(browser, problems, "projector", viewport=SCREEN)
    screen.clock.install()  # time runs as usual; a page turn is then 12 s ahead at once
    screen.goto(created["projector_urls"]["praatplaat"])
    expect(screen.locator("#projector .note")).to_have_count(3 * per_station)
    screen.wait_for_timeout(600)
    first = screen.evaluate(BOXES)
    check_page(first)
    expect(screen.locator("#projector")).to_have_attribute("data-paged", "true")
    counts = []
    for zone in first["zones"]:
        assert zone["total"] == per_station
        shown = len(zone["notes"])
        if shown < per_station:
            assert zone["marker"], f"{zone['zone']}: {shown} of {per_station}, no page count"
            now, total = (int(x) for x in zone["marker"]["text"].split("/"))
            assert now == 1 and total >= 2, zone["marker"]
            counts.append(total)
        else:
            assert zone["marker"] is None, zone["marker"]
    if per_station == 25:
        assert counts and all(c >= 2 for c in counts), counts
    if not counts:
        return
    # The pages turn by themselves: other notes, page 2, and still nothing cut off.
    screen.clock.fast_forward(12_500)
    screen.wait_for_function("() => [...document.querySelectorAll('.projector-page')]"
                             ".some((m) => m.textContent.startsWith('2/'))")
    screen.wait_for_timeout(300)
    second = screen.evaluate(BOXES)
    check_page(second)
    for before, after in zip(first["zones"], second["zones"], strict=True):
        if before["marker"]:
            shown_before = {n["id"] for n in before["notes"]}
            assert shown_before.isdisjoint(n["id"] for n in after["notes"]), after
    # Every note is on some page: the pages together hold them all.
    seen: dict[str, set[str]] = {z["zone"]: set() for z in first["zones"]}
    for _ in range(max(counts) + 1):
        for z in screen.evaluate(BOXES)["zones"]:
            seen[z["zone"]].update(n["id"] for n in z["notes"])
        if all(len(v) == per_station for v in seen.values()):
            break
        marker = "document.querySelector('.projector-page:not([hidden])')?.textContent"
        before = screen.evaluate(marker)
        screen.clock.fast_forward(12_500)
        screen.wait_for_function(f"(before) => {marker} !== before", arg=before)
        screen.wait_for_timeout(200)
    assert all(len(v) == per_station for v in seen.values()), {k: len(v) for k, v in seen.items()}
    assert problems == [], [*problems, read_log(server.proc)]


def test_R61_a_participants_phone_loads_only_its_own_modules_compressed(
        server: Any, browser: Any) -> None:
    """A phone that scans the QR code, writes a note and votes never asks for the begeleider's,
    the archive's, the screens' or the organiser's modules; the join request starts with the page
    (once); the files come gzipped, with an ETag to ask again with."""
    created = server.create_session("vier-hoeken")
    sid, code, fac = created["session"]["id"], str(created["code"]), created["facilitator_token"]
    problems: list[str] = []
    phone = open_page(browser, problems, "phone", **PHONE)
    asked: list[str] = []
    answers: dict[str, dict[str, str]] = {}
    phone.on("request", lambda r: asked.append(r.url.split(server.url, 1)[-1]))
    phone.on("response", lambda r: answers.setdefault(r.url.split(server.url, 1)[-1], {
        "status": str(r.status), **r.all_headers()}))
    phone.goto(f"{server.url}/j/{code}/praatplaat")
    phone.locator("#name").fill("Ans")
    phone.locator("#profile-continue").click()
    phone.locator('[data-add-station="tips"]').click()
    phone.locator(".note-editor").fill("Stages eerder in de opleiding")
    phone.locator(".note-editor").press("Enter")
    expect(phone.locator(".note:not(.pending)", has_text="Stages eerder")).to_have_count(1)
    ws_op(server.url, fac, f"{sid}.control", {"kind": "vote.open", "vote": "v1", "station": "tips",
                                              "budget": 2, "cap": 1})
    phone.locator(".vote-plus").click()
    expect(phone.locator("#dots-left")).to_have_attribute("data-left", "1")
    phone.wait_for_timeout(3000)  # the service worker starts once the page is idle
    paths = {u.split("?")[0].lstrip("/") for u in asked}
    modules = sorted(p for p in paths if p.endswith(".js"))
    assert "board.js" in modules and "votes.js" in modules, modules
    assert [m for m in modules if m in NOT_FOR_PARTICIPANTS] == [], modules
    assert sum(1 for u in asked if u.startswith(f"/api/join/{code}")) == 1, asked
    head = answers["/app.js"]
    assert head.get("content-encoding") == "gzip" and head.get("etag"), head
    assert "no-cache" in head.get("cache-control", ""), head
    assert problems == [], [*problems, read_log(server.proc)]



# What a first page shows, element by element: where it is and how it looks.
LOOKS = """(sels) => sels.flatMap((sel) => [...document.querySelectorAll(sel)].map((e) => {
  const r = e.getBoundingClientRect(), c = getComputedStyle(e);
  return [sel, Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height),
          c.fontSize, c.fontWeight, c.color, c.backgroundColor, c.padding,
          c.borderRadius].join(" ");
}))"""
# When the form's field is first in the page (performance.now()), kept for the test.
FORM_AT = """(() => { const look = () => { if (document.querySelector(%s)) {
  window.__formAt = performance.now(); } else { requestAnimationFrame(look); } };
  requestAnimationFrame(look); })();"""
FIRST_PAGES = {
    "join link": ("#name", ["#topbar", "#topbar > *", "#profile-form", "#profile-form *"]),
    "start page": ("#join-code-input", ["#topbar", "#home", "#home *", "#organiser-login",
                                        "#organiser-login *"]),
}
LATER_SHEETS = ("board.css", "overview.css", "clusters.css", "access.css", "figure.css",
                "ontwerpslag.css")


def test_R61_a_phones_first_page_needs_none_of_the_later_stylesheets(
        server: Any, browser: Any) -> None:
    """"Who are you" and the start page's code form are drawn with the frame's stylesheets
    only: on a phone that never gets the later ones they look exactly as with them, and a page
    that gets them asks for them only once its form is there. A rule the first page needs,
    left in a later sheet, moves or restyles something here."""
    code = str(server.create_session("vier-hoeken")["code"])
    problems: list[str] = []
    urls = {"join link": f"{server.url}/j/{code}", "start page": f"{server.url}/"}
    for page_name, (field, parts) in FIRST_PAGES.items():
        looks = {}
        for without in (True, False):
            phone = open_page(browser, problems, "phone", **PHONE)
            phone.add_init_script(FORM_AT % json.dumps(field))
            if without:  # the later sheets never arrive
                phone.route(lambda url: url.rsplit("/", 1)[-1] in LATER_SHEETS,
                            lambda route: route.abort())
            phone.goto(urls[page_name])
            expect(phone.locator(field)).to_be_visible()
            phone.wait_for_timeout(1500)  # every sheet the page asks for is in (or refused)
            looks[without] = phone.evaluate(LOOKS, parts)
            if not without:
                form_at, sheets = phone.evaluate("""(later) => [window.__formAt,
                  performance.getEntriesByType("resource")
                    .filter((e) => later.includes(e.name.split("/").pop()))
                    .map((e) => [e.name.split("/").pop(), e.startTime])]""", list(LATER_SHEETS))
                assert all(start >= form_at for _, start in sheets), (page_name, form_at, sheets)
            phone.context.close()
        assert len(looks[True]) > 8 and looks[True] == looks[False], (
            page_name, [(a, b) for a, b in zip(looks[True], looks[False], strict=True) if a != b])
    # Only the refused sheets (one console line each) went wrong.
    assert all("ERR_FAILED" in p or "Failed to load resource" in p for p in problems), problems
