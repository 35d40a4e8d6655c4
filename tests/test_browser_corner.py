"""The instrument on its corner (R49, R50) in Chromium, at the viewports people use.

Per instrument: a participant's phone (390×844, touch) opens the instrument's corner board and
finds the instrument drawn from its template, every part of it there to tap; they tap a part,
write, and the note says which part it is about; a second participant on a 1920×1080 screen and
the corner's own screen count it on their figure at once; moving the note to another part, or
to none, moves the count. The printed material: a facilitator uploads a three-page PDF and a
phone that has the corner open gets three page images, with hostile names as text; what is not
what it claims, too large, or not from a facilitator is refused with a message in the page's
language and nothing is stored.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from browserkit import ServerHandle, expect_state, open_facilitator_board, open_page
from serverproc import read_log

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

BOARDS = Path(__file__).resolve().parent.parent / "boards"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SCREEN = {"width": 1920, "height": 1080}
# Per instrument: the part a note is written about, and the one it is moved to.
TARGETS = {
    "praatplaat": ("platform", "flexibiliteit"),
    "matrix": ("activiteiten", "meten"),
    "achtje": ("spraakverwarring", "bestuurlijk"),
    "reflectietool": ("relaties", "proces"),
}
HOSTILE_NAME = "<img src=x onerror=alert(1)>\u202e.pdf"
HOSTILE_TITLE = "<script>alert(2)</script> Poster"


def template_parts(instrument: str) -> list[tuple[str, str]]:
    """(id, Dutch title) of every part of the instrument, read from its template file."""
    tpl = json.loads((BOARDS / f"{instrument}.json").read_text(encoding="utf-8"))
    return [(item["id"], item["title"]) for section in tpl["sections"]
            if section.get("part", True) for item in section["items"]]


def join_corner(browser: Any, problems: list[str], base: str, code: str, corner: str,
                label: str, **context: Any) -> Any:
    page = open_page(browser, problems, label, **context)
    page.on("dialog", lambda d: (problems.append(f"{label} dialog: {d.message}"), d.dismiss()))
    page.goto(f"{base}/j/{code}/{corner}")
    page.locator("#profile-continue").click()
    page.locator('[data-add-station="tips"]').wait_for()
    expect_state(page, "open")
    return page


def facilitator_corner(browser: Any, problems: list[str], base: str, token: str,
                       corner: str) -> Any:
    page = open_facilitator_board(browser, problems, base, token, corner)
    # A facilitator's board keeps the instrument folded until they open it.
    expect(page.locator("#corner-figure")).not_to_have_attribute("open", "")
    page.locator("#corner-figure > summary").click()
    return page


def in_viewport(page: Any, locator: Any) -> bool:
    """Whether the element's box lies inside the page's viewport (after any scrolling)."""
    box = locator.bounding_box()
    size = page.viewport_size
    return (box is not None and box["x"] >= -1 and box["y"] >= -1
            and box["x"] + box["width"] <= size["width"] + 1
            and box["y"] + box["height"] <= size["height"] + 1)


def get_json(url: str, token: str) -> Any:
    req = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())


def part_of(base: str, made: dict[str, Any], corner: str, text: str) -> str | None:
    """The part of the note with this text, as the server keeps it (the live JSON export)."""
    sid = made["session"]["id"]
    doc = get_json(f"{base}/api/sessions/{sid}/export.json", str(made["facilitator_token"]))
    board = next(b for b in doc["boards"] if b["id"] == f"{sid}.{corner}")
    note = next(n for n in board["state"]["notes"] if n["text"] == text)
    part: str | None = note["part"]
    return part


@pytest.mark.parametrize("instrument", list(TARGETS))
def test_R49_the_corner_shows_its_instrument_and_counts_notes_per_part_live(
        server: Any, browser: Any, instrument: str) -> None:
    problems: list[str] = []
    made = server.create_session("vier-hoeken")
    code = str(made["code"])
    phone = join_corner(browser, problems, server.url, code, instrument, "phone", **PHONE)
    other = join_corner(browser, problems, server.url, code, instrument, "screen participant",
                        viewport=SCREEN)
    wall = open_page(browser, problems, "corner screen", viewport=SCREEN)
    wall.goto(str(made["projector_urls"][instrument]))

    # The instrument is there, open on a first visit, with every part of its template.
    panel = phone.locator("#corner-figure")
    expect(panel).to_have_attribute("open", "")
    parts = template_parts(instrument)
    shown = phone.locator("#corner-figure .figure-part")
    expect(shown).to_have_count(len(parts))
    assert shown.evaluate_all("els => els.map((e) => e.dataset.part)") == [p for p, _ in parts]
    for part, title in parts:
        expect(phone.locator(f'#corner-figure .figure-part[data-part="{part}"]')).to_contain_text(
            title)
    overflow = phone.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0  # the figure fits the phone's width

    # Tap a part, then write: the note goes to the chosen station, pointing at the part.
    target, moved = TARGETS[instrument]
    title = dict(parts)[target]
    phone.locator(f'#corner-figure .figure-part[data-part="{target}"]').tap()
    composer = phone.locator("#pin-composer")
    expect(composer).to_be_visible()
    expect(composer.locator(".pin-part")).to_contain_text(title)
    text = f"Over dit onderdeel van {instrument}: te vaag"
    phone.locator("#pin-text").fill(text)
    assert in_viewport(phone, phone.locator("#pin-text"))
    phone.locator("#pin-composer .pin-send").tap()
    card = phone.locator('.station[data-station="tips"] .note', has_text=text)
    expect(card).to_have_count(1)
    expect(card.locator(".note-part")).to_contain_text(title)
    expect(card).not_to_have_class("pending")

    # The second page and the corner's screen count it at once.
    counted = other.locator(f'#corner-figure .figure-part[data-part="{target}"]')
    expect(counted).to_have_attribute("data-count", "1")
    expect(counted.locator(".part-count")).to_have_text("1")
    expect(other.locator(".note", has_text=text).locator(".note-part")).to_contain_text(title)
    on_wall = wall.locator(f'.screen-figure .figure-part[data-part="{target}"]')
    expect(on_wall).to_have_attribute("data-count", "1")
    assert in_viewport(wall, wall.locator(".screen-figure"))
    assert part_of(server.url, made, instrument, text) == target

    # Pointed at another part from the note's menu, then at none: the counts follow.
    card.locator(".note-menu").tap()
    card.locator(".note-pin").select_option(moved)
    expect(counted).to_have_attribute("data-count", "0")
    expect(other.locator(f'#corner-figure .figure-part[data-part="{moved}"]')).to_have_attribute(
        "data-count", "1")
    expect(card.locator(".note-part")).to_contain_text(dict(parts)[moved])
    card.locator(".note-pin").select_option("")
    expect(other.locator(f'#corner-figure .figure-part[data-part="{moved}"]')).to_have_attribute(
        "data-count", "0")
    expect(card.locator(".note-part")).to_be_hidden()
    expect(wall.locator('.screen-figure .figure-part[data-count="1"]')).to_have_count(0)
    assert part_of(server.url, made, instrument, text) is None

    # Folded away on the phone, it stays folded on this corner after a reload.
    phone.locator("#corner-figure > summary").tap()
    expect(panel).not_to_have_attribute("open", "")
    phone.reload()
    phone.locator('[data-add-station="tips"]').wait_for()
    expect(phone.locator("#corner-figure")).not_to_have_attribute("open", "")
    assert problems == [], [*problems, read_log(server.proc)]


def pdf_string(text: str) -> bytes:
    return b"<" + ("\ufeff" + text).encode("utf-16-be").hex().upper().encode() + b">"


def handmade_pdf(pages: int, title: str) -> bytes:
    """A small PDF written by hand: ``pages`` A4 pages, each with a coloured block, and
    ``title`` in its document information."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{' '.join(f'{3 + i} 0 R' for i in range(pages))}] "
               f"/Count {pages} >>".encode()]
    for i in range(pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                       f"/Contents {3 + pages + i} 0 R >>".encode())
    for i in range(pages):
        stream = f"0.{i + 2} 0.4 0.6 rg 60 {100 + 150 * i} 300 120 re f".encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Title " + pdf_string(title) + b" >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


def material_of(base: str, made: dict[str, Any]) -> dict[str, Any]:
    sid = made["session"]["id"]
    listed: dict[str, Any] = get_json(f"{base}/api/sessions/{sid}/material",
                                      str(made["facilitator_token"]))["material"]
    return listed


def test_R50_a_three_page_pdf_becomes_three_page_images_on_a_phone(
        server: Any, browser: Any) -> None:
    problems: list[str] = []
    made = server.create_session("vier-hoeken")
    phone = join_corner(browser, problems, server.url, str(made["code"]), "praatplaat", "phone",
                        **PHONE)
    expect(phone.locator("#corner-material-praatplaat")).to_be_hidden()  # none yet
    fac = facilitator_corner(browser, problems, server.url, str(made["facilitator_token"]),
                                 "praatplaat")
    fac.on("dialog", lambda d: (problems.append(f"facilitator dialog: {d.message}"), d.dismiss()))
    fac.locator("#material-file-praatplaat").set_input_files(
        {"name": HOSTILE_NAME, "mimeType": "application/pdf",
         "buffer": handmade_pdf(3, HOSTILE_TITLE)})
    fac.locator("#corner-material-praatplaat .material-send").click()
    expect(fac.locator("#corner-material-praatplaat .material-status")).to_contain_text(
        "pagina's: 3")

    # The phone that had the corner open gets the pages without a reload.
    pages = phone.locator("#material-pages-praatplaat .material-page img")
    expect(pages).to_have_count(3)
    loaded = "() => [...document.querySelectorAll('#material-pages-praatplaat img')]" \
             ".every((i) => i.complete && i.naturalWidth >= 1500)"
    for _ in range(100):
        if phone.evaluate(loaded):
            break
        phone.wait_for_timeout(100)
    assert phone.evaluate(loaded), "the page images did not load"
    for i in range(3):
        box = pages.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    pages.first.scroll_into_view_if_needed()
    assert in_viewport(phone, pages.first)
    # Names and the PDF's title are text, never markup.
    expect(phone.locator(".material-name")).to_have_text("<img src=x onerror=alert(1)>.pdf")
    expect(phone.locator(".material-pdf-title")).to_have_text(HOSTILE_TITLE)
    assert phone.locator("img[src='x'], #corner-figure script").count() == 0
    # A page zooms in with a tap, and out again.
    first = phone.locator("#material-pages-praatplaat .material-page").first
    first.tap()
    expect(first).to_have_attribute("aria-pressed", "true")
    assert pages.first.evaluate("(i) => i.getBoundingClientRect().width") > 390 * 2
    first.tap()
    expect(first).to_have_attribute("aria-pressed", "false")
    assert material_of(server.url, made)["praatplaat"]["pages"] == 3
    assert problems == [], [*problems, read_log(server.proc)]


def test_R50_refusals_are_said_in_the_page_language_and_nothing_is_stored(
        tmp_path: Path, browser: Any) -> None:
    handle = ServerHandle(tmp_path)
    handle.env["UPLOAD_MAX_MB"] = "1"
    handle.start()
    try:
        problems: list[str] = []
        made = handle.create_session("vier-hoeken")
        fac = facilitator_corner(browser, problems, handle.url,
                                     str(made["facilitator_token"]), "matrix")
        status = fac.locator("#corner-material-matrix .material-status")
        cases = [
            ({"name": "poster.pdf", "mimeType": "application/pdf",
              "buffer": b"<html><script>alert(1)</script></html>"},
             "Dit bestand is geen PDF, PNG, JPEG of WebP"),
            ({"name": "poster.pdf", "mimeType": "application/pdf",
              "buffer": b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024)}, "Dit bestand is te groot"),
        ]
        for file, message in cases:
            fac.locator("#material-file-matrix").set_input_files(file)
            fac.locator("#corner-material-matrix .material-send").click()
            expect(status).to_contain_text(message)
            expect(status).to_have_class("material-status is-refused")
            assert in_viewport(fac, status)  # right below the button just pressed
            assert material_of(handle.url, made) == {}
        # A participant's page offers no upload; sent anyway with its token, it is refused.
        phone = join_corner(browser, problems, handle.url, str(made["code"]), "matrix", "phone",
                            **PHONE)
        expect(phone.locator(".material-upload")).to_have_count(0)
        sid = made["session"]["id"]
        phone.evaluate("""async (base) => {
            const { MaterialUpload } = await import('/materialupload.js');
            const up = new MaterialUpload({ base, corner: 'test', onChange: () => {} });
            up.el.id = 'forced-upload';
            document.querySelector('#app').prepend(up.el);
        }""", f"/api/sessions/{sid}/material/matrix")
        phone.locator("#material-file-test").set_input_files(
            {"name": "poster.pdf", "mimeType": "application/pdf",
             "buffer": handmade_pdf(1, "Poster")})
        phone.locator("#forced-upload .material-send").tap()
        expect(phone.locator("#forced-upload .material-status")).to_have_text(
            "Alleen een begeleider kan materiaal toevoegen of weghalen.")
        assert material_of(handle.url, made) == {}
        assert problems == [], [*problems, read_log(handle.proc)]
    finally:
        handle.stop()


def boxes_apart(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
            or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_achtje_figure_long_names_full_levels_failure_modes_where_the_seed_puts_them(
        server: Any, browser: Any) -> None:
    problems: list[str] = []
    code = str(server.create_session("achtje")["code"])
    phone = open_page(browser, problems, "phone", **PHONE)
    phone.goto(f"{server.url}/j/{code}")
    phone.locator("#profile-continue").click()
    phone.locator('[data-add-station="bestuurlijk@partner-a"]').wait_for()
    names = {"partner-a": "Vmbo De Brug, locatie Techniek en Technologie Noord",
             "partner-b": "ROC Techniek Oost, afdeling Installatietechniek"}
    for partner, name in names.items():
        field = phone.locator(f"#partner-name-{partner}")
        field.fill(name)
        field.press("Enter")
    labels = phone.locator("#achtje-figure ~ .achtje-partners .partner-label")
    for i, name in enumerate(names.values()):
        expect(labels.nth(i)).to_have_attribute("title", name)  # the whole name on hover/focus
    labels.first.scroll_into_view_if_needed()
    a, b = labels.nth(0).bounding_box(), labels.nth(1).bounding_box()
    assert a is not None and b is not None and boxes_apart(a, b)
    assert a["x"] >= 0 and b["x"] + b["width"] <= 390  # inside the phone's width
    # The figure names the levels as the rows do.
    expect(phone.locator("#achtje-figure .band-label")).to_have_text(
        ["Bestuurlijk", "Management", "Professioneel/Operationeel"])
    # Each failure mode can be raised where the seed puts it: the lack of governance
    # involvement at the top level, the confusion of language between the levels.
    toggles = phone.locator("input.flag-toggle").evaluate_all(
        "els => els.map((e) => `${e.dataset.flag}@${e.dataset.level}`)")
    assert toggles == ["bestuurlijke-betrokkenheid@bestuurlijk",
                       "spraakverwarring@management", "spraakverwarring@professioneel"]
    phone.locator('input.flag-toggle[data-flag="bestuurlijke-betrokkenheid"]').check()
    phone.locator('input.flag-toggle[data-flag="spraakverwarring"][data-level="management"]'
                  ).check()
    marker = '#achtje-figure .flag-marker[data-flag="{}"] circle'
    top = phone.locator(marker.format("bestuurlijke-betrokkenheid"))
    between = phone.locator(marker.format("spraakverwarring"))
    bands = phone.locator("#achtje-figure rect.band")
    y_top, y_between = (float(x.get_attribute("cy") or 0) for x in (top, between))
    band = [(float(bands.nth(i).get_attribute("y") or 0),
             float(bands.nth(i).get_attribute("height") or 0)) for i in range(3)]
    assert band[0][0] < y_top < band[0][0] + band[0][1]  # inside the top level
    assert y_between == band[1][0]  # on the line between the top two levels
    # A legend says what the "!" marks are.
    legend = phone.locator("#achtje-figure ~ .achtje-legend")
    expect(legend.locator(".legend-flag")).to_have_count(2)
    expect(legend).to_contain_text("Ontbreken van bestuurlijke betrokkenheid (bij Bestuurlijk)")
    expect(legend).to_contain_text("(tussen de niveaus)")
    legend.scroll_into_view_if_needed()
    assert in_viewport(phone, legend)
    assert problems == [], [*problems, read_log(server.proc)]


def test_matrix_an_activity_column_is_removed_after_a_confirmation(server: Any,
                                                                  browser: Any) -> None:
    problems: list[str] = []
    code = str(server.create_session("matrix")["code"])
    pages = []
    for label in ("laptop", "phone"):
        page = open_page(browser, problems, label, **(
            PHONE if label == "phone" else {"viewport": {"width": 1440, "height": 900}}))
        page.goto(f"{server.url}/j/{code}")
        page.locator("#profile-continue").click()
        page.locator('[data-add-station="impact"]').wait_for()
        pages.append(page)
    laptop, phone = pages
    for name in ("Open dag", "Gastles"):
        laptop.locator("#new-column-title").fill(name)
        laptop.locator("#add-column").click()
    expect(phone.locator("th.matrix-col")).to_have_count(2)
    column = str(laptop.locator("th.matrix-col").first.get_attribute("data-column"))
    add = laptop.locator(f'[data-add-station="doelen@{column}"]')
    add.click()
    laptop.locator(".note-editor").fill("Meer leerlingen kiezen techniek")
    laptop.locator(".note-editor").press("Enter")
    expect(phone.locator(f'[data-zone="doelen@{column}"] .note')).to_have_count(1)
    # Asked first: cancelling keeps the column.
    remove = laptop.locator(f'th.matrix-col[data-column="{column}"] .col-remove')
    remove.click()
    dialog = laptop.locator("#remove-column")
    expect(dialog).to_contain_text("Open dag")
    expect(dialog).to_contain_text("Notities in deze kolom: 1")
    dialog.locator(".confirm-no").click()
    expect(phone.locator("th.matrix-col")).to_have_count(2)
    remove.click()
    laptop.locator("#remove-column .confirm-yes").click()
    expect(phone.locator("th.matrix-col")).to_have_count(1)
    expect(phone.locator("th.matrix-col input.col-title")).to_have_value("Gastles")
    # The note went back to its question.
    expect(phone.locator('[data-zone="doelen"] .note-text')).to_have_text(
        "Meer leerlingen kiezen techniek")
    assert problems == [], [*problems, read_log(server.proc)]
