"""Joining a session by its code (R34): misses limited per address, closed sessions refused,
the design team's workspace never joined; the QR codes of join links (R38)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import qr
from .decisions import WORKSPACE
from .http import client_host, error
from .session import SessionRecord, normalise_code

# The QR code of the sign-up page is the "corner" of this name (no instrument has it).
SIGNUP = "aanmelden"

if TYPE_CHECKING:
    from .app import Server


class JoinAPI:
    def __init__(self, server: Server) -> None:
        self.server = server

    def routes(self) -> list[Route]:
        return [
            Route("/api/join/{code}", self.join),
            Route("/qr/{code}.{fmt}", self.qr_code),
            Route("/qr/{code}/{corner}.{fmt}", self.qr_code),
        ]

    async def session_by_code(self, request: Request, code: str) -> SessionRecord | Response:
        """The session of a join code, or the response that refuses: 429 after too many
        misses from this address, 404 for no session, 410 for a closed one."""
        host = client_host(request)
        wait = self.server.join_misses.wait(host)
        if wait > 0:
            return error("too_many_tries", "te veel onbekende codes; probeer het over een "
                         "minuut opnieuw", 429, headers={"retry-after": str(int(wait) + 1)})
        sid = await self.server.store.session_for_code(code) if code else None
        rec = await self.server.registry.session(sid) if sid else None
        if rec is not None:
            control = await self.server.registry.room(rec, rec.control_id)
            if control is not None and control.state.control is not None \
                    and control.state.control.closed:
                return error("session_closed", "deze sessie is gesloten", 410)
        if rec is None or rec.template == WORKSPACE:  # the design team's: never joined (R51)
            self.server.join_misses.miss(host)
            return error("unknown_session", f"geen sessie met code {code}", 404)
        return rec

    async def join(self, request: Request) -> Response:
        rec = await self.session_by_code(request, normalise_code(request.path_params["code"]))
        if isinstance(rec, Response):
            return rec
        token = self.server.signer.issue(rec.id, "participant", self.server.token_ttl, key=rec.key)
        return JSONResponse({"session": rec.public(), "token": token, "role": "participant"},
                            headers={"cache-control": "no-store"})

    async def qr_code(self, request: Request) -> Response:
        """The QR code of a session's join link, of one corner's (``/j/CODE/corner``) or of its
        sign-up page (``/qr/CODE/aanmelden.svg``)."""
        code = normalise_code(request.path_params["code"])
        corner = request.path_params.get("corner")
        fmt = request.path_params["fmt"]
        if fmt not in ("svg", "png"):
            return error("bad_request", "svg or png", 404)
        rec = await self.session_by_code(request, code)
        if isinstance(rec, Response):
            return rec
        url = f"{self.server.base_url(request)}/j/{rec.code}"
        if corner == SIGNUP:  # the sign-up page for the next design round (R47, R58)
            url = f"{self.server.base_url(request)}/aanmelden/{rec.code}"
        elif corner is not None:
            if rec.board_of_corner(corner) is None:
                return error("unknown_corner", corner, 404)
            url += f"/{corner}"
        # R38: not for shared caches (a code can be rotated; the host is this server's own).
        return Response(qr.render(url, fmt), media_type=qr.MEDIA_TYPE[fmt],
                        headers={"cache-control": "private, max-age=300"})
