"""HTTP routes of the archive: snapshots, diff, restore, exports, reports, import, deletion.

Everything here needs the facilitator's token of the session (``Authorization: Bearer``): a
snapshot holds hidden and deleted notes, so a screen's viewer token cannot read it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import archive, archivist, export
from .auth import BadToken
from .session import SessionRecord
from .store import ArchiveExists, StoreUnavailable

if TYPE_CHECKING:
    from .app import Server

MAX_IMPORT_BYTES = 32 * 1024 * 1024
FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
# The report is a document, not an app: no script at all, its own inline style only.
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def error(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status)


def render(docs: list[archive.Doc], fmt: str) -> str:
    if fmt == "json":
        if len(docs) != 1:
            raise ValueError("a JSON export holds one session")
        return orjson.dumps(docs[0], option=orjson.OPT_INDENT_2).decode()
    if fmt == "csv":
        return export.to_csv(docs)
    if fmt == "md":
        return export.to_markdown(docs)
    return export.to_html(docs)


def download(body: str, fmt: str, stem: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-") or "export"
    headers = {"content-disposition": f'attachment; filename="{safe}.{fmt}"',
               "cache-control": "no-store"}
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

    async def _doc(self, rec: SessionRecord, request: Request) -> archive.Doc:
        name = request.query_params.get("snapshot")
        if name:
            doc = await archivist.open_snapshot(self.store, rec.id, name)
        else:
            doc = await archivist.live_document(self.server.hub, rec)
        if request.query_params.get("anonymous") in ("1", "true", "ja"):
            doc = archive.anonymise(doc)
        return doc

    async def _guard(self, request: Request, *roles: str) -> SessionRecord | Response:
        return await self.server._authorised(request, *roles)

    async def list_or_take(self, request: Request) -> Response:
        rec = await self._guard(request, "facilitator")
        if isinstance(rec, Response):
            return rec
        try:
            if request.method == "GET":
                return JSONResponse({"snapshots": await archivist.snapshots(self.store, rec.id)})
            body = await _json_body(request)
            name = str(body.get("name") or "").strip()
            doc = await archivist.live_document(self.server.hub, rec)
            meta = await archivist.take(self.store, doc, name, "manual")
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
            doc = await archivist.open_snapshot(self.store, rec.id, request.path_params["name"])
        except archivist.NotFound as exc:
            return error("unknown_snapshot", str(exc), 404)
        except archive.ImportRefused as exc:
            return error("corrupt_snapshot", str(exc), 500)
        except StoreUnavailable as exc:
            return error("store_unavailable", str(exc), 503)
        public = dict(doc, boards=[
            {**b, "state": _public_state(b["state"])} for b in doc["boards"]])
        return JSONResponse(public)

    async def restore(self, request: Request) -> Response:
        rec = await self._guard(request, "facilitator")
        if isinstance(rec, Response):
            return rec
        try:
            body = await _json_body(request)
            doc = await archivist.open_snapshot(self.store, rec.id, request.path_params["name"])
            fresh = await archivist.import_document(self.store, doc, as_new=True,
                                                    title=str(body.get("title") or "")[:120])
        except archivist.NotFound as exc:
            return error("unknown_snapshot", str(exc), 404)
        except (archive.ImportRefused, ValueError) as exc:
            return error("import_refused", str(exc), 400)
        except StoreUnavailable as exc:
            return error("store_unavailable", str(exc), 503)
        return JSONResponse(self.server.session_created(fresh, request), 201)

    async def diff(self, request: Request) -> Response:
        rec = await self._guard(request, "facilitator")
        if isinstance(rec, Response):
            return rec
        a, b = request.query_params.get("from"), request.query_params.get("to")
        try:
            before = await archivist.open_snapshot(self.store, rec.id, a or "")
            after = (await archivist.open_snapshot(self.store, rec.id, b) if b
                     else await archivist.live_document(self.server.hub, rec))
        except archivist.NotFound as exc:
            return error("unknown_snapshot", str(exc), 404)
        except StoreUnavailable as exc:
            return error("store_unavailable", str(exc), 503)
        return JSONResponse({"from": a, "to": b or None, "changes": archive.diff(before, after)})

    async def export(self, request: Request) -> Response:
        fmt = request.path_params["fmt"]
        if fmt not in FORMATS:
            return error("unknown_format", f"format {fmt!r}: use json, csv, md or html", 404)
        rec = await self._guard(request, "facilitator")
        if isinstance(rec, Response):
            return rec
        try:
            doc = await self._doc(rec, request)
        except archivist.NotFound as exc:
            return error("unknown_snapshot", str(exc), 404)
        except StoreUnavailable as exc:
            return error("store_unavailable", str(exc), 503)
        snap = (doc.get("snapshot") or {}).get("name", "")
        return download(render([doc], fmt), fmt, f"{rec.title}-{snap or rec.code}")

    async def report(self, request: Request) -> Response:
        """Several sessions of one day merged per instrument x station (POST {tokens: [...]})."""
        fmt = request.path_params["fmt"]
        if fmt not in ("csv", "md", "html"):
            return error("unknown_format", "a report is csv, md or html", 404)
        try:
            body = await _json_body(request)
        except ValueError as exc:
            return error("bad_request", str(exc), 400)
        tokens = body.get("tokens")
        if not isinstance(tokens, list) or not 1 <= len(tokens) <= 20:
            return error("bad_request", "tokens: one to twenty facilitator tokens", 400)
        docs = []
        for token in tokens:
            try:
                grant = self.server.signer.verify(str(token))
            except BadToken as exc:
                return error("bad_token", str(exc), 401)
            if grant.role != "facilitator":
                return error("forbidden", "facilitator tokens only", 403)
            rec = await self.server.hub.session(grant.session)
            if rec is None:
                return error("unknown_session", grant.session, 404)
            doc = await archivist.live_document(self.server.hub, rec)
            docs.append(archive.anonymise(doc) if body.get("anonymous") else doc)
        return download(render(docs, fmt), fmt, "rapportage")

    async def import_(self, request: Request) -> Response:
        raw = await request.body()
        if len(raw) > MAX_IMPORT_BYTES:
            return error("too_large", "an import is at most 32 MiB", 413)
        try:
            doc = orjson.loads(raw)
            rec = await archivist.import_document(
                self.store, doc, as_new=request.query_params.get("as_new") in ("1", "true"))
        except orjson.JSONDecodeError:
            return error("import_refused", "not JSON", 400)
        except archive.ImportRefused as exc:
            return error("import_refused", str(exc), 400)
        except StoreUnavailable as exc:
            return error("store_unavailable", str(exc), 503)
        return JSONResponse(self.server.session_created(rec, request), 201)

    async def delete(self, request: Request) -> Response:
        rec = await self._guard(request, "facilitator")
        if isinstance(rec, Response):
            return rec
        try:
            await archivist.delete(self.store, rec)
        except StoreUnavailable as exc:
            return error("store_unavailable", str(exc), 503)
        await self.server.hub.forget(rec)
        return JSONResponse({"deleted": rec.id})


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError("body: not JSON") from exc
    if not isinstance(body, dict):
        raise ValueError("body: expected an object")
    return body


def _public_state(state: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in state.items() if k not in ("noops", "deleted")}
    if "control" in out:
        from .rotation import vote_public

        ctl = {k: v for k, v in out["control"].items() if k not in ("members", "cluster_undo")}
        ctl["votes"] = {vid: vote_public(v) for vid, v in ctl.get("votes", {}).items()}
        out["control"] = ctl
    out.pop("undo", None)
    return out
