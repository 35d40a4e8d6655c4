"""HTTP routes of the archive: snapshots, diff, restore, exports, reports, import, deletion.

Snapshots, diffs, restores and exports need the facilitator's token of the session
(``Authorization: Bearer``): a snapshot holds hidden and deleted notes, so a screen's viewer
token cannot read it. Importing, the cross-session report and deleting are an organiser's
(R31): a report covers sessions they own, and they delete only their own.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import archive, archivist, export, jobs, lifecycle, material_http, report, session_http
from .http import error, json_body
from .session import SessionRecord
from .store import ArchiveExists, StoreUnavailable

if TYPE_CHECKING:
    from .app import Server

MAX_REPORT_SESSIONS = 20
FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
REPORT_FORMATS = ("csv", "xlsx", "md", "html")
REPORT_CSP = report.REPORT_CSP + "; frame-ancestors 'none'"


def render(docs: list[archive.Doc], fmt: str) -> str:
    return jobs.render([orjson.dumps(doc) for doc in docs], fmt)


async def rendered(raws: list[bytes | str], fmt: str, anonymous: bool = False,
                   verify: bool = False, tz: str = export.TZ,
                   semicolon: bool = False) -> str | bytes:
    """An export or report of documents given as JSON, rendered off the event loop (R44), its
    times in ``tz`` (R48)."""
    size = sum(len(r) for r in raws)
    if fmt == "xlsx":
        return await archivist.work(size, jobs.render_xlsx, raws, anonymous, verify, tz)
    return await archivist.work(size, jobs.render, raws, fmt, anonymous, verify, tz, semicolon)


def attachment(stem: str, fmt: str) -> str:
    """R57: a download named as people named it (``filename*``, UTF-8), with a plain ASCII
    ``filename`` beside it for clients that read only that one. No control or bidi characters,
    no path or quote characters, at most 120 characters before the extension."""
    name = "".join(ch for ch in stem if unicodedata.category(ch)[0] != "C")
    name = " ".join(re.sub(r'[\\/:*?"<>|;]+', " ", name).split())[:120].strip(" .") or "export"
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = " ".join(re.sub(r"[^A-Za-z0-9 _.,()+-]+", "-", plain).split()).strip(" .-") or "export"
    return (f'attachment; filename="{plain}.{fmt}"; '
            f"filename*=UTF-8''{quote(f'{name}.{fmt}', safe='')}")


def download(body: str | bytes, fmt: str, stem: str) -> Response:
    headers = {"content-disposition": attachment(stem, fmt), "cache-control": "no-store"}
    if fmt == "html":
        headers["content-security-policy"] = REPORT_CSP
    return Response(body, media_type=FORMATS[fmt], headers=headers)


class ArchiveAPI:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.store = server.store

    def routes(self) -> list[Route]:
        return [
            Route("/api/sessions/{sid}/snapshots", self.list_or_take, methods=["GET", "POST"]),
            Route("/api/sessions/{sid}/snapshots/{name}", self.snapshot),
            Route("/api/sessions/{sid}/snapshots/{name}/restore", self.restore,
                  methods=["POST"]),
            Route("/api/sessions/{sid}/diff", self.diff),
            Route("/api/sessions/{sid}/export.{fmt}", self.export),
            Route("/api/sessions/{sid}", self.delete, methods=["DELETE"]),
            Route("/api/report.{fmt}", self.report, methods=["POST"]),
            Route("/api/import", self.import_, methods=["POST"]),
        ]

    async def _doc(self, rec: SessionRecord, request: Request) -> tuple[bytes | str, bool]:
        """The document an export is of, as JSON: a snapshot (its hash still to be checked:
        true) or the live session."""
        name = request.query_params.get("snapshot")
        if name:
            return await archivist.snapshot_json(self.store, rec.id, name), True
        return await archivist.live_json(self.server.registry, rec), False

    def _file_options(self, request: Request) -> dict[str, Any]:
        """R48: times in the server's TIMEZONE; ``?sep=;`` for Dutch Excel."""
        return {"tz": self.server.settings.timezone,
                "semicolon": request.query_params.get("sep") == ";"}

    async def _guard(self, request: Request, *roles: str) -> SessionRecord | Response:
        found = await self.server.authorised(request, *roles)
        return found if isinstance(found, Response) else found[0]

    async def list_or_take(self, request: Request) -> Response:
        rec = await self._guard(request, "facilitator")
        if isinstance(rec, Response):
            return rec
        try:
            if request.method == "GET":
                return JSONResponse({"snapshots": await archivist.snapshots(self.store, rec.id)})
            body = await json_body(request)
            name = str(body.get("name") or "").strip()
            doc = await archivist.live_json(self.server.registry, rec)
            meta = await archivist.take(self.store, doc, name, "manual", session_id=rec.id)
        except ValueError as exc:
            return error("bad_request", str(exc), 400)
        except ArchiveExists:
            return error("snapshot_exists", "er is al een snapshot met die naam", 409)
        except StoreUnavailable as exc:
            return error("store_unavailable", str(exc), 503)
        return JSONResponse(meta, 201)

    async def snapshot(self, request: Request) -> Response:
        rec = await self._guard(request, "facilitator")
        if isinstance(rec, Response):
            return rec
        try:
            raw = await archivist.snapshot_json(self.store, rec.id, request.path_params["name"])
            body = await archivist.work(len(raw), jobs.public_snapshot, raw)
        except archivist.NotFound as exc:
            return error("unknown_snapshot", str(exc), 404)
        except archive.ImportRefused as exc:
            return error("corrupt_snapshot", str(exc), 500)
        except StoreUnavailable as exc:
            return error("store_unavailable", str(exc), 503)
        return Response(body, media_type="application/json")

    async def restore(self, request: Request) -> Response:
        rec = await self._guard(request, "facilitator")
        if isinstance(rec, Response):
            return rec
        try:
            body = await json_body(request)
            raw = await archivist.snapshot_json(self.store, rec.id, request.path_params["name"])
            fresh = await archivist.import_json(
                self.store, raw, owner=rec.owner,
                title=session_http.clean_title(body.get("title")), verify=True)
            await self.server.organiser_api.own_id(rec.owner, fresh)
        except archivist.NotFound as exc:
            return error("unknown_snapshot", str(exc), 404)
        except (archive.ImportRefused, ValueError) as exc:
            return error("import_refused", str(exc), 400)
        except (StoreUnavailable, lifecycle.NoFreeId) as exc:
            return error("store_unavailable", str(exc), 503)
        return JSONResponse(self.server.session_created(fresh, request), 201)

    async def diff(self, request: Request) -> Response:
        rec = await self._guard(request, "facilitator")
        if isinstance(rec, Response):
            return rec
        a, b = request.query_params.get("from"), request.query_params.get("to")
        try:
            before = await archivist.snapshot_json(self.store, rec.id, a or "")
            after = (await archivist.snapshot_json(self.store, rec.id, b) if b
                     else await archivist.live_json(self.server.registry, rec))
            changes = await archivist.work(len(before) + len(after), jobs.diff, before, after,
                                           bool(b))
        except archivist.NotFound as exc:
            return error("unknown_snapshot", str(exc), 404)
        except archive.ImportRefused as exc:
            return error("corrupt_snapshot", str(exc), 500)
        except StoreUnavailable as exc:
            return error("store_unavailable", str(exc), 503)
        return JSONResponse({"from": a, "to": b or None, "changes": changes})

    async def export(self, request: Request) -> Response:
        fmt = request.path_params["fmt"]
        if fmt not in FORMATS:
            return error("unknown_format", f"format {fmt!r}: use json, csv, xlsx, md or html",
                         404)
        rec = await self._guard(request, "facilitator")
        if isinstance(rec, Response):
            return rec
        snap = request.query_params.get("snapshot") or ""
        try:
            raw, frozen = await self._doc(rec, request)
            body = await rendered([raw], fmt, anonymous=_yes(request, "anonymous"),
                                  verify=frozen, **self._file_options(request))
            if fmt == "json" and isinstance(body, str):  # the corners' material too (R50)
                body = await material_http.with_material(self.store, rec.id, body)
        except archivist.NotFound as exc:
            return error("unknown_snapshot", str(exc), 404)
        except archive.ImportRefused as exc:
            return error("corrupt_snapshot", str(exc), 500)
        except StoreUnavailable as exc:
            return error("store_unavailable", str(exc), 503)
        return download(body, fmt, f"{rec.title} - {snap}" if snap else rec.title)

    async def report(self, request: Request) -> Response:
        """Several sessions of one day merged per instrument x station (organiser; POST
        ``{sessions: [id, ...], anonymous?}`` of sessions they own)."""
        fmt = request.path_params["fmt"]
        if fmt not in REPORT_FORMATS:
            return error("unknown_format", "a report is csv, xlsx, md or html", 404)
        org = await self.server.organiser_api.required(request)
        if isinstance(org, Response):
            return org
        try:
            body = await json_body(request)
        except ValueError as exc:
            return error("bad_request", str(exc), 400)
        ids = body.get("sessions")
        if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_REPORT_SESSIONS:
            return error("bad_request", f"sessions: one to {MAX_REPORT_SESSIONS} session ids",
                         400)
        docs: list[bytes | str] = []
        try:
            for sid in ids:
                rec = await self.server.registry.session(str(sid)[:64])
                if rec is None or rec.owner != org.id:
                    return error("unknown_session", f"not a session of yours: {sid}", 404)
                docs.append(await archivist.live_json(self.server.registry, rec))
            out = await rendered(docs, fmt, anonymous=bool(body.get("anonymous")),
                                 **self._file_options(request))
        except StoreUnavailable as exc:
            return error("store_unavailable", str(exc), 503)
        return download(out, fmt, "rapportage")

    async def import_(self, request: Request) -> Response:
        """R31, R35: an organiser imports a JSON export as a new session of their own."""
        org = await self.server.organiser_api.required(request)
        if isinstance(org, Response):
            return org
        cap = self.server.settings.import_max_bytes
        with tempfile.TemporaryDirectory(prefix="vh-upload-") as tmp:
            # R44: the body goes to a file as it comes (the server never holds 30 MiB in one
            # piece, nor joins it on the event loop), bounded before it was read (R43).
            source = Path(tmp) / "document.json"
            size = 0
            with source.open("wb") as fh:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > cap:
                        return error("too_large", "this import is larger than IMPORT_MAX_MB "
                                     "allows", 413)
                    fh.write(chunk)
            try:
                # R44: parsed and checked in a worker process, not on the event loop.
                rec = await archivist.import_file(self.store, source, owner=org.id)
                await self.server.organiser_api.own(org, rec)
            except archive.ImportRefused as exc:
                return error("import_refused", str(exc), 400)
            except (StoreUnavailable, lifecycle.NoFreeId) as exc:
                return error("store_unavailable", str(exc), 503)
        return JSONResponse(self.server.session_created(rec, request), 201)

    async def delete(self, request: Request) -> Response:
        """R31, R33: the organiser who owns a session deletes it; its id and join code are
        never used again, its links stop at once."""
        found = await self.server.owned(request)
        if isinstance(found, Response):
            return found
        rec, _ = found
        try:
            await lifecycle.delete(self.store, rec)
            await self.server.organiser_api.disown(rec)
        except StoreUnavailable as exc:
            return error("store_unavailable", str(exc), 503)
        await self.server.registry.forget(rec)
        return JSONResponse({"deleted": rec.id})


def _yes(request: Request, name: str) -> bool:
    return request.query_params.get(name) in ("1", "true", "ja")
