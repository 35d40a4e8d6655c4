"""A corner's concept material over HTTP (R50): a PDF becomes page images for phones; what is
not what it claims, too large, or not from a facilitator is refused and nothing is stored."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import io
import json
import select
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from test_access import acall
from wsharness import SERVERS, live_server, new_session

from server import material
from server.config import MIB, Settings


def pdf(pages: int) -> bytes:
    """A real PDF of ``pages`` A4 pages."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument.new()
    for _ in range(pages):
        doc.new_page(595, 842)
    out = io.BytesIO()
    doc.save(out)
    doc.close()
    return out.getvalue()


def png(w: int = 300, h: int = 200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
async def base(tmp_path: Path) -> AsyncIterator[str]:
    settings = Settings(store_url=f"sqlite:///{tmp_path}/vh.db", secret_key="s",
                        data_dir=tmp_path, upload_max_bytes=2 * MIB)
    async with live_server(settings) as b:
        yield b


def put(url: str, token: str, data: bytes) -> tuple[int, bytes]:
    """A PUT as a browser sends it: the head, then the body unless the server has answered
    already. Past the cap the answer (413) comes before any of the body is read (R43) and the
    server may close before the body could be written: a body cut off by that answer is not
    a failure of the request, the answer is what counts."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=20)
    try:
        conn.putrequest("PUT", f"{parts.path}?{parts.query}")
        conn.putheader("authorization", f"Bearer {token}")
        conn.putheader("content-type", "application/octet-stream")
        conn.putheader("content-length", str(len(data)))
        conn.endheaders()
        assert conn.sock is not None
        early, _, _ = select.select([conn.sock], [], [], 0.2)
        if not early:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                conn.send(data)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


async def upload(base: str, made: dict[str, object], corner: str, data: bytes, token: str,
                 name: str = "poster.pdf") -> tuple[int, dict[str, object]]:
    sid = made["session"]["id"]  # type: ignore[index]
    status, body = await asyncio.to_thread(
        put, f"{base}/api/sessions/{sid}/material/{corner}?name={name}", token, data)
    return status, json.loads(body) if body else {}


async def test_R50_a_three_page_pdf_gives_three_page_images_to_a_participant(
        base: str) -> None:
    made = await new_session(base)
    sid = made["session"]["id"]
    status, record = await upload(base, made, "matrix", pdf(3), made["facilitator_token"])
    assert status == 201 and record["pages"] == 3 and record["kind"] == "pdf"
    join = json.loads((await acall("GET", f"{base}/api/join/{made['code']}"))[2])
    listed = json.loads((await acall("GET", f"{base}/api/sessions/{sid}/material",
                                     join["token"]))[2])["material"]
    assert listed["matrix"]["pages"] == 3
    for n in (1, 2, 3):
        status, headers, body = await acall(
            "GET", f"{base}/api/sessions/{sid}/material/matrix/{n}.webp", join["token"])
        assert status == 200 and body[:4] == b"RIFF" and body[8:12] == b"WEBP"
        assert abs(Image.open(io.BytesIO(body)).size[0] - material.PAGE_WIDTH) <= 1
        assert "sandbox" in headers.get("content-security-policy", "")
    assert (await acall("GET", f"{base}/api/sessions/{sid}/material/matrix/4.webp",
                        join["token"]))[0] == 404
    # the original, as a download of its own kind
    status, headers, body = await acall(
        "GET", f"{base}/api/sessions/{sid}/material/matrix/original", join["token"])
    assert status == 200 and body.startswith(b"%PDF-")
    assert headers["content-disposition"].startswith("attachment;")
    assert headers["x-content-type-options"] == "nosniff"
    # a stranger sees nothing
    assert (await acall("GET", f"{base}/api/sessions/{sid}/material/matrix/1.webp"))[0] == 401


async def test_R50_what_is_not_what_it_claims_is_refused_and_nothing_is_stored(
        base: str) -> None:
    made = await new_session(base)
    sid, tok = made["session"]["id"], made["facilitator_token"]
    join = json.loads((await acall("GET", f"{base}/api/join/{made['code']}"))[2])
    cases = {
        "html named .pdf": (b"<html><script>alert(1)</script></html>", tok, 415),
        "png header, then junk": (b"\x89PNG\r\n\x1a\n" + b"x" * 100, tok, 415),
        "pdf header, then junk": (b"%PDF-1.7\n" + b"x" * 100, tok, 415),
        "too large": (b"%PDF-1.7\n" + b"0" * (3 * MIB), tok, 413),
        "from a participant": (pdf(1), join["token"], 403),
        "from a screen": (pdf(1), made["viewer_token"], 403),
        "empty": (b"", tok, 400),
    }
    for name, (data, token, expect) in cases.items():
        status, answer = await upload(base, made, "praatplaat", data, token)
        assert status == expect, (name, status, answer)
    assert json.loads((await acall("GET", f"{base}/api/sessions/{sid}/material", tok))[2]) \
        == {"material": {}}
    assert await SERVERS[base].store.get_blob(sid, "material/praatplaat/original") is None
    # an image is written anew as WebP
    status, record = await upload(base, made, "achtje", png(), tok, "poster.png")
    assert status == 201 and (record["kind"], record["pages"]) == ("png", 1)
    assert (await upload(base, made, "nergens", png(), tok))[0] == 404


async def test_R50_hostile_file_names_are_plain_text(base: str) -> None:
    made = await new_session(base)
    status, record = await upload(base, made, "matrix", pdf(1), made["facilitator_token"],
                                  name="%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E%E2%80%AE.pdf")
    assert status == 201
    assert record["filename"] == "<img src=x onerror=alert(1)>.pdf"  # text; no bidi control
