"""HTTP routes of a corner's concept material (R50).

A facilitator uploads or removes it; everyone of the session (participant, screen,
facilitator: the bearer token of the session) reads its page images and the original file.
Files are served as downloads of their own kind, never as a page of this site: with
``Content-Disposition``, ``nosniff`` and a policy that sandboxes them. After a change the
server stores ``material.set`` on the session's control board, so open pages (on every
process) fetch the corner's material again.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import material, offload
from .auth import Grant
from .board import Actor
from .http import error
from .protocol import MaterialSet
from .session import SessionRecord
from .store import Store, StoreUnavailable

if TYPE_CHECKING:
    from .app import Server

log = logging.getLogger("vierhoeken.material")

KIND = material.RECORDS
FILE_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'"
READERS = ("facilitator", "participant", "viewer")


def blob(corner: str, part: str) -> str:
    return f"material/{corner}/{part}"


async def keep(store: Store, sid: str, corner: str, name: str, original: bytes,
               prepared: material.Prepared) -> dict[str, Any]:
    """Store a checked upload (or an imported one) as corner ``corner``'s material, in place
    of what was there; answers its record."""
    record = {"corner": corner, "kind": prepared.kind, "filename": material.clean_name(name),
              "title": prepared.title, "pages": len(prepared.pages),
              "sizes": prepared.sizes, "bytes": len(original),
              "version": int(time.time() * 1000)}
    await store.delete_blobs(sid, blob(corner, ""))
    await store.put_blob(sid, blob(corner, "original"), original)
    for i, page in enumerate(prepared.pages, start=1):
        await store.put_blob(sid, blob(corner, f"{i}.webp"), page)
    await store.put_record(KIND + sid, corner, orjson.dumps(record).decode())
    return record


async def keep_spilled(store: Store, sid: str, item: material.Spilled) -> None:
    """Store an imported corner's material (``material.spill``, made in a worker)."""
    original = await asyncio.to_thread(Path(item.original).read_bytes)
    pages = [await asyncio.to_thread(Path(p).read_bytes) for p in item.pages]
    await keep(store, sid, item.corner, item.name, original,
               material.Prepared(kind=item.kind, pages=pages, sizes=item.sizes, title=item.title))


async def with_material(store: Store, sid: str, body: str) -> str:
    """A JSON export (``body``, one object) with the corners' material as the last field
    (R50): each original, base64, encoded in a thread."""
    items = []
    for corner, raw in await store.list_records(KIND + sid):
        record = orjson.loads(raw)
        data = await store.get_blob(sid, blob(corner, "original"))
        if data is None:
            continue
        text = await asyncio.to_thread(_base64, data)
        items.append({"corner": corner, "kind": record["kind"], "filename": record["filename"],
                      "title": record.get("title", ""), "data": text})
    if not items:
        return body
    end = body.rindex("}")
    return await asyncio.to_thread(
        lambda: body[:end].rstrip() + ',\n  "material": '
        + orjson.dumps(items).decode() + "\n}")


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def refused(exc: material.MaterialRefused) -> Response:
    return JSONResponse({"error": "unsupported_type", "message": str(exc),
                         "reason": exc.reason}, 415)


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
            await self._announce(rec, found[1], corner, int(time.time() * 1000), 0)
            return JSONResponse({"removed": corner})
        limit = self.server.settings.upload_max_bytes
        raw = await request.body()  # bounded before it was read (R43)
        if len(raw) > limit:
            return error("too_large", f"at most {limit // (1024 * 1024)} MiB", 413)
        if not raw:
            return error("unsupported_type", "the request has no file", 400)
        if material.sniff(raw) is None:  # refused before any work is spent on it
            return refused(material.MaterialRefused(
                "not a PDF, PNG, JPEG or WebP file (by its content)"))
        try:
            prepared = await offload.run(material.prepare, raw)
        except material.MaterialRefused as exc:
            return refused(exc)
        name = request.query_params.get("name", "") or "materiaal"
        record = await keep(self.store, rec.id, corner, name, raw, prepared)
        await self._announce(rec, found[1], corner, int(record["version"]), len(prepared.pages))
        return JSONResponse(record, 201)

    async def _announce(self, rec: SessionRecord, grant: Grant, corner: str, version: int,
                        pages: int) -> None:
        """``material.set`` on the control board: open pages fetch the material again. The
        files are stored already; a store that fails now only delays what pages see."""
        room = await self.server.registry.room(rec, rec.control_id)
        if room is None or room.state.control is None:
            return
        op = MaterialSet(kind="material.set", corner=corner, version=version, pages=pages)
        actor = Actor(participant=grant.participant, role="facilitator")
        try:
            await room.submit(f"material-{corner}-{version}"[:64], op, actor,
                              room.state.control.round)
        except StoreUnavailable:
            log.warning("session %s: the change of %s's material was not announced", rec.id,
                        corner)

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
