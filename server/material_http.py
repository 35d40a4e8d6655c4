"""HTTP routes of a corner's concept material (R50).

A facilitator uploads or removes it; everyone of the session (participant, screen,
facilitator: the bearer token of the session) reads its page images and the original file.
Files are served as downloads of their own kind, never as a page of this site: with
``Content-Disposition``, ``nosniff`` and a policy that sandboxes them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import material, offload
from .http import error
from .session import SessionRecord

if TYPE_CHECKING:
    from .app import Server

KIND = "material:"
FILE_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'"
READERS = ("facilitator", "participant", "viewer")


def blob(corner: str, part: str) -> str:
    return f"material/{corner}/{part}"


class MaterialAPI:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.store = server.store

    def routes(self) -> list[Route]:
        base = "/api/sessions/{sid}/material"
        return [
            Route(base, self.listing),
            Route(base + "/{corner}", self.upload_or_remove, methods=["PUT", "POST", "DELETE"]),
            Route(base + "/{corner}/original", self.original),
            Route(base + "/{corner}/{page:int}.webp", self.page),
        ]

    async def _record(self, rec: SessionRecord, corner: str) -> dict[str, object] | None:
        raw = await self.store.get_record(KIND + rec.id, corner)
        return orjson.loads(raw) if raw is not None else None

    async def listing(self, request: Request) -> Response:
        found = await self.server.authorised(request, *READERS)
        if isinstance(found, Response):
            return found
        rec, _ = found
        records = [orjson.loads(raw) for _, raw in await self.store.list_records(KIND + rec.id)]
        return JSONResponse({"material": {r["corner"]: r for r in records}},
                            headers={"cache-control": "no-store"})

    async def upload_or_remove(self, request: Request) -> Response:
        found = await self.server.authorised(request, "facilitator")
        if isinstance(found, Response):
            return found
        rec, _ = found
        corner = request.path_params["corner"]
        if rec.board_of_corner(corner) is None:
            return error("unknown_corner", f"no corner {corner!r} in this session", 404)
        if request.method == "DELETE":
            await self.store.delete_blobs(rec.id, blob(corner, ""))
            await self.store.delete_record(KIND + rec.id, corner)
            return JSONResponse({"removed": corner})
        limit = self.server.settings.upload_max_bytes
        raw = await request.body()  # bounded before it was read (R43)
        if len(raw) > limit:
            return error("too_large", f"at most {limit // (1024 * 1024)} MiB", 413)
        if not raw:
            return error("unsupported_type", "the request has no file", 400)
        if material.sniff(raw) is None:  # refused before any work is spent on it
            return error("unsupported_type", "not a PDF, PNG, JPEG or WebP file (by its "
                         "content)", 415)
        try:
            prepared = await offload.run(material.prepare, raw)
        except material.MaterialRefused as exc:
            return error("unsupported_type", str(exc), 415)
        name = material.clean_name(request.query_params.get("name", "") or "materiaal")
        record = {"corner": corner, "kind": prepared.kind, "filename": name,
                  "title": prepared.title, "pages": len(prepared.pages),
                  "sizes": prepared.sizes, "bytes": len(raw), "version": int(time.time() * 1000)}
        await self.store.delete_blobs(rec.id, blob(corner, ""))
        await self.store.put_blob(rec.id, blob(corner, "original"), raw)
        for i, page in enumerate(prepared.pages, start=1):
            await self.store.put_blob(rec.id, blob(corner, f"{i}.webp"), page)
        await self.store.put_record(KIND + rec.id, corner, orjson.dumps(record).decode())
        return JSONResponse(record, 201)

    async def page(self, request: Request) -> Response:
        found = await self.server.authorised(request, *READERS)
        if isinstance(found, Response):
            return found
        rec, _ = found
        corner, n = request.path_params["corner"], int(request.path_params["page"])
        data = await self.store.get_blob(rec.id, blob(corner, f"{n}.webp"))
        if data is None:
            return error("unknown_page", f"no page {n} of {corner!r}", 404)
        return Response(data, media_type="image/webp", headers={
            "cache-control": "private, max-age=3600",
            "content-security-policy": FILE_POLICY,
            "content-disposition": f'inline; filename="{corner}-{n}.webp"'})

    async def original(self, request: Request) -> Response:
        found = await self.server.authorised(request, *READERS)
        if isinstance(found, Response):
            return found
        rec, _ = found
        corner = request.path_params["corner"]
        record = await self._record(rec, corner)
        data = await self.store.get_blob(rec.id, blob(corner, "original"))
        if record is None or data is None:
            return error("unknown_material", f"no material for {corner!r}", 404)
        kind = str(record["kind"])
        name = f"{record['filename']}"
        ascii_name = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_." else "-"
                             for ch in name)[:80] or "materiaal"
        return Response(data, media_type=material.MEDIA[kind], headers={
            "cache-control": "private, no-store",
            "content-security-policy": FILE_POLICY,
            "content-disposition": (f'attachment; filename="{ascii_name}.{kind}"; '
                                    f"filename*=UTF-8''{quote(name)}.{kind}")})
