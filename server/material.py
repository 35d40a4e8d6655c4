"""The concept material of a corner: the printed instrument (an A3 poster, a PDF) as files a
phone can open (R50).

A facilitator uploads a PDF or an image. What it is is decided by its first bytes, never by
its name or the type the browser claims; an image is decoded and written anew (its metadata
and anything riding along in the file do not survive), a PDF's pages are rendered to images
with PDFium, so a phone gets a few light, zoomable page images instead of a PDF. Both run in a
worker process (R44), bounded in pages and pixels. Names and PDF metadata are text to show,
never markup. Files are kept with the session in the store (SQLite, Redis: every process sees
them) and go with it.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = {
    b"%PDF-": "pdf",
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpeg",
}
MEDIA = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg",
         "webp": "image/webp"}
MAX_PAGES = 24
PAGE_WIDTH = 1600  # pixels: sharp on a phone zoomed in twice, light enough on venue Wi-Fi
MAX_PIXELS = 40_000_000  # an image larger than this is refused, not decoded
MAX_NAME = 120
#: The store's records of a session's material: one per corner, under ``RECORDS + <session>``.
RECORDS = "material:"


class MaterialRefused(Exception):
    """Not a PDF or an image, broken, too many pages or pixels; the message says which and
    ``reason`` names it for a page to say in its own language."""

    def __init__(self, message: str, reason: str = "not_material") -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[type[MaterialRefused], tuple[str, str]]:
        return MaterialRefused, (str(self), self.reason)  # back from a worker whole


@dataclass
class Prepared:
    kind: str  # pdf | png | jpeg | webp
    pages: list[bytes] = field(default_factory=list)  # WebP images, in order
    sizes: list[tuple[int, int]] = field(default_factory=list)
    title: str = ""  # from the PDF's metadata: text to show, nothing more


def sniff(data: bytes) -> str | None:
    """The file's kind by its first bytes (a WebP is RIFF....WEBP)."""
    for magic, kind in KINDS.items():
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def clean_name(name: str, default: str = "materiaal") -> str:
    """A file name (or title) as plain text: one line, no control or bidi characters,
    bounded; ``default`` when nothing is left."""
    kept = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return " ".join(kept.split())[:MAX_NAME] or default


def _webp(image: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=80, method=4)
    return out.getvalue()


def prepare(data: bytes) -> Prepared:
    """Check and convert an upload (pure and slow: run it in a worker process)."""
    kind = sniff(data)
    if kind is None:
        raise MaterialRefused("not a PDF, PNG, JPEG or WebP file (by its content)")
    if kind == "pdf":
        return _pdf(data)
    return _image(data, kind)


def _image(data: bytes, kind: str) -> Prepared:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format is None or probe.format.lower() not in ("png", "jpeg", "webp"):
                raise MaterialRefused(f"the file says {kind} but is {probe.format}",
                                      "not_material")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            picture = image.convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MaterialRefused("the image has too many pixels", "too_many_pixels") from exc
    except MaterialRefused:
        raise
    except Exception as exc:  # Pillow raises many kinds for a broken file
        raise MaterialRefused(f"the {kind} file cannot be read", "damaged") from exc
    picture.thumbnail((PAGE_WIDTH * 2, PAGE_WIDTH * 2))
    return Prepared(kind=kind, pages=[_webp(picture)], sizes=[picture.size])


def _pdf(data: bytes) -> Prepared:
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise MaterialRefused("the PDF cannot be read (damaged or password-protected)",
                              "damaged") from exc
    try:
        n = len(doc)
        if n == 0:
            raise MaterialRefused("the PDF has no pages", "damaged")
        if n > MAX_PAGES:
            raise MaterialRefused(f"the PDF has {n} pages; at most {MAX_PAGES}", "too_many_pages")
        meta = doc.get_metadata_dict(skip_empty=True)
        out = Prepared(kind="pdf", title=clean_name(str(meta.get("Title", "")), default=""))
        for i in range(n):
            page = doc[i]
            try:
                width, height = page.get_size()
                scale = min(PAGE_WIDTH / max(width, 1.0), 4.0)
                if width * height * scale * scale > MAX_PIXELS:
                    raise MaterialRefused(f"page {i + 1} is too large to show",
                                          "too_many_pixels")
                bitmap = page.render(scale=scale, may_draw_forms=False)
                picture = bitmap.to_pil().convert("RGB")
                out.pages.append(_webp(picture))
                out.sizes.append(picture.size)
            finally:
                page.close()
        return out
    finally:
        doc.close()


@dataclass
class Spilled:
    """An imported corner's material, checked and rendered in a worker, its files written to
    a folder (what crosses back from a worker is a few paths, not MiBs)."""

    corner: str
    name: str
    original: str  # the file's path
    pages: list[str]  # the page images' paths, in order
    kind: str
    title: str
    sizes: list[tuple[int, int]]


def spill(corner: str, name: str, data: bytes, folder: Path) -> Spilled:
    """``prepare`` an imported file and write it and its pages into ``folder``."""
    made = prepare(data)
    original = folder / f"material-{corner}.original"
    original.write_bytes(data)
    pages = []
    for n, page in enumerate(made.pages, start=1):
        path = folder / f"material-{corner}-{n}.webp"
        path.write_bytes(page)
        pages.append(str(path))
    return Spilled(corner, name, str(original), pages, made.kind, made.title, made.sizes)
