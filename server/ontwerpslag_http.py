"""HTTP routes of the tweede ontwerpslag workspace (R51), for organisers only.

``GET /api/ontwerpslag`` gives a signed-in organiser a facilitator token of the workspace
session, whose boards (one per instrument) hold the decisions; the browser follows them over
the websocket like any board, so decisions are live, ordered and undoable. The feedback they
are about is read here, from every four-corner session on the server, and so is the
verantwoording (printable HTML and XLSX).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import offload, ontwerpslag, report
from .control import OWNER_PREFIX
from .decisions import WORKSPACE, Decision
from .http import error
from .session import SessionRecord

if TYPE_CHECKING:
    from .app import Server

# Bounds of one feedback read: sessions and notes (a national day has tens of sessions).
MAX_SESSIONS = 500
MAX_NOTES = 50_000


class OntwerpslagAPI:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.store = server.store

    def routes(self) -> list[Route]:
        return [
            Route("/ontwerpslag", self.server.index),
            Route("/api/ontwerpslag", self.workspace),
            Route("/api/ontwerpslag/{instrument}/feedback", self.feedback),
            Route("/api/ontwerpslag/{instrument}/verantwoording.{fmt}", self.verantwoording),
        ]

    async def record(self) -> SessionRecord:
        """The workspace session, made on first use (one per server, never reused)."""
        rec = await self.server.registry.session(WORKSPACE)
        if rec is None:
            rec = ontwerpslag.workspace_record(self.server.catalog, time.time())
            await self.server.registry.put_session(rec)
        return rec

    async def workspace(self, request: Request) -> Response:
        org = await self.server.organiser_api.required(request)
        if isinstance(org, Response):
            return org
        rec = await self.record()
        token = self.server.signer.issue(rec.id, "facilitator", self.server.token_ttl,
                                         OWNER_PREFIX + org.id[:12], rec.key)
        return JSONResponse({
            "session": rec.public(), "token": token, "organiser": org.public(),
            "instruments": [{"id": b.instrument, "title": b.title, "board": b.id}
                            for b in rec.boards]}, headers={"cache-control": "no-store"})

    async def _found(self, instrument: str) -> tuple[dict[str, Any], dict[str, Decision]]:
        registry = self.server.registry
        sources: list[ontwerpslag.Source] = []
        notes = 0
        for i, sid in enumerate(await self.store.list_sessions()):
            rec = await registry.session(sid)
            if rec is None or rec.template != ontwerpslag.DAY_TEMPLATE:
                continue
            info = rec.board_of_corner(instrument)
            if info is None:
                continue
            board = await registry.room(rec, info.id)
            control = await registry.room(rec, rec.control_id)
            if board is None or control is None:
                continue
            sources.append(ontwerpslag.Source(rec, board.state, control.state))
            notes += len(board.state.notes)
            if len(sources) >= MAX_SESSIONS or notes >= MAX_NOTES:
                break
            if i % 20 == 19:
                await asyncio.sleep(0)  # many sessions: let the others be served in between
        found = ontwerpslag.feedback(sources, self.server.catalog, instrument,
                                     self.server.settings.timezone)
        found["truncated"] = len(sources) >= MAX_SESSIONS or notes >= MAX_NOTES
        ws = await self.record()
        room = await registry.room(ws, f"{WORKSPACE}.{instrument}")
        decided = dict(room.state.decisions.by_target) if room and room.state.decisions else {}
        return found, decided

    async def feedback(self, request: Request) -> Response:
        org = await self.server.organiser_api.required(request)
        if isinstance(org, Response):
            return org
        instrument = request.path_params["instrument"]
        if instrument not in self.server.catalog.instruments:
            return error("unknown_instrument", instrument, 404)
        found, decided = await self._found(instrument)
        found["progress"] = ontwerpslag.progress(found, decided)
        # orjson: a day's feedback is thousands of notes (R44: the loop is not held for it).
        return Response(orjson.dumps(found), media_type="application/json",
                        headers={"cache-control": "no-store"})

    async def verantwoording(self, request: Request) -> Response:
        org = await self.server.organiser_api.required(request)
        if isinstance(org, Response):
            return org
        instrument, fmt = request.path_params["instrument"], request.path_params["fmt"]
        if instrument not in self.server.catalog.instruments or fmt not in ("html", "xlsx"):
            return error("unknown_format", "an instrument's verantwoording is html or xlsx", 404)
        found, decided = await self._found(instrument)
        tz = self.server.settings.timezone
        name = f"verantwoording-{instrument}.{fmt}"
        headers = {"content-disposition": f'attachment; filename="{name}"',
                   "cache-control": "no-store"}
        if fmt == "xlsx":
            # A workbook of every note is hundreds of ms of openpyxl: in a worker (R44).
            body = await offload.run(ontwerpslag.verantwoording_xlsx, found, decided, tz)
            return Response(body,
                            media_type="application/vnd.openxmlformats-officedocument."
                            "spreadsheetml.sheet", headers=headers)
        headers["content-security-policy"] = report.REPORT_CSP + "; frame-ancestors 'none'"
        return Response(ontwerpslag.verantwoording_html(found, decided, tz),
                        media_type="text/html; charset=utf-8", headers=headers)
