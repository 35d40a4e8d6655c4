"""The browser client's files (``web/``), light on a venue's Wi-Fi.

Each file is read and gzip-compressed once (again only when it changes on disk) and kept in
memory: three hundred phones joining at once cost no compression work at all. Every answer
carries an ETag and ``Cache-Control: no-cache``: a phone keeps the files and asks whether they
changed (``If-None-Match`` → 304), so a reload costs a few hundred bytes per file and an
update is never missed. Compressed answers vary on ``Accept-Encoding``. Gzip at level 9 is
within a few per cent of brotli on these small text files, and every browser takes it, so
there is no second encoding to keep.

The page of a join link (``/j/CODE``) says in a ``Link`` header that it will ask
``/api/join/CODE`` and load the session's modules, and the start page (``/``) that it will load
its own module and ask who is signed in: the browser starts those with the page's other modules
instead of after them, a round trip or two less on a slow phone link (R61).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

COMPRESSIBLE = (".js", ".css", ".html", ".json", ".svg", ".txt", ".webmanifest")
MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".json": "application/json",
         ".svg": "image/svg+xml", ".webmanifest": "application/manifest+json"}
# The start page's own module and first question (web/app.js loads it only there; an organiser's
# panels follow once the answer says who is signed in, web/home.js).
START_PAGE = ("</home.js>; rel=modulepreload, "
              "</api/organiser/sessions>; rel=preload; as=fetch; crossorigin")
# A join link's page opens a session at once: the modules web/app.js imports when one opens
# (web/session.js and what only it imports; index.html preloads app.js's own), with the page.
# tests/test_webfiles.py checks this list against the modules' imports.
SESSION_MODULES = ("session.js", "socket.js", "state.js", "mirror.js")
# /j/CODE[/corner]: the code as the page will ask for it (web/ui.js cleanCode), bounded.
JOIN_PAGE = re.compile(r"^/j/([A-Za-z0-9-]{1,24})(?:/[A-Za-z0-9_-]{1,64})?/?$")


@dataclass(frozen=True, slots=True)
class Kept:
    mtime: float
    raw: bytes
    packed: bytes | None
    etag: str
    media: str


class ClientFiles:
    """An ASGI app for one folder of static files (no listing, no paths outside it)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self._kept: dict[str, Kept] = {}

    def _find(self, path: str) -> Path | None:
        name = path.lstrip("/") or "index.html"
        target = (self.folder / name).resolve()
        if self.folder not in target.parents or not target.is_file():
            return None
        return target

    def _load(self, target: Path) -> Kept:
        key = str(target)
        mtime = target.stat().st_mtime
        kept = self._kept.get(key)
        if kept is None or kept.mtime != mtime:
            raw = target.read_bytes()
            packed = gzip.compress(raw, 9, mtime=0) if target.suffix in COMPRESSIBLE else None
            media = MEDIA.get(target.suffix) or mimetypes.guess_type(target.name)[0] \
                or "application/octet-stream"
            kept = Kept(mtime, raw, packed if packed and len(packed) < len(raw) else None,
                        '"' + hashlib.sha256(raw).hexdigest()[:20] + '"', media)
            self._kept[key] = kept
        return kept

    def response(self, request: Request, path: str) -> Response:
        target = self._find(path)
        if target is None:
            return PlainTextResponse("Not Found", 404)
        kept = self._load(target)
        headers = {"etag": kept.etag, "cache-control": "no-cache", "vary": "Accept-Encoding"}
        if target.name == "index.html":
            join = JOIN_PAGE.match(request.url.path)
            if join:
                code = join.group(1).replace("-", "").upper()
                headers["link"] = ", ".join([
                    f"</api/join/{code}>; rel=preload; as=fetch; crossorigin",
                    *(f"</{m}>; rel=modulepreload" for m in SESSION_MODULES)])
            elif request.url.path == "/":
                headers["link"] = START_PAGE
        if kept.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        if kept.packed is not None and "gzip" in request.headers.get("accept-encoding", ""):
            return Response(kept.packed, media_type=kept.media,
                            headers={**headers, "content-encoding": "gzip"})
        return Response(kept.raw, media_type=kept.media, headers=headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        if request.method not in ("GET", "HEAD"):
            response: Response = PlainTextResponse("Method Not Allowed", 405)
        else:
            response = self.response(request, request.url.path)
        await response(scope, receive, send)
