"""HTTP routes of organisers (R31): sign-in by link or password, sign-out, and "Mijn sessies".

The browser keeps the sign-in in an HttpOnly, SameSite=Strict cookie (``Secure`` behind
https); scripts may send the same organiser token as ``Authorization: Bearer``. A request that
changes something with the cookie must come from this server's own pages (``Origin``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .auth import BadToken
from .http import bearer, client_host, error, json_body
from .misses import Misses
from .organisers import Organiser, OrganiserError
from .session import SessionRecord

if TYPE_CHECKING:
    from .app import Server

COOKIE = "vh_organiser"
# Records of the sessions an organiser owns: kind "owns:<organiser>", key the session id.
OWNS = "owns:"


class OrganiserAPI:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.organisers = server.organisers
        self.misses = Misses(server.settings.join_misses_per_minute)

    def routes(self) -> list[Route]:
        return [
            Route("/o/{secret}", self.server.index),
            Route("/api/organiser", self.me),
            Route("/api/organiser/signin", self.signin, methods=["POST"]),
            Route("/api/organiser/login", self.login, methods=["POST"]),
            Route("/api/organiser/logout", self.logout, methods=["POST"]),
            Route("/api/organiser/password", self.password, methods=["POST"]),
            Route("/api/organiser/sessions", self.sessions),
        ]

    # --- who is asking -------------------------------------------------------------------------

    async def current(self, request: Request) -> Organiser | None:
        """The organiser of a bearer organiser token, or else of the cookie (a facilitator
        link's bearer token beside the cookie does not hide the organiser)."""
        for token in (bearer(request), request.cookies.get(COOKIE, "")):
            if not token:
                continue
            try:
                grant = self.server.signer.verify_organiser(token)
            except BadToken:
                continue
            org = await self.organisers.get(grant.organiser)
            if org is not None and org.generation == grant.generation:
                return org
        return None

    async def required(self, request: Request) -> Organiser | Response:
        """The signed-in organiser, or the response that refuses (401, 403, 503)."""
        org = await self.current(request)
        if org is None:
            return error("not_signed_in", "alleen voor ingelogde organisatoren", 401)
        if not self._by_bearer(request) and request.method not in ("GET", "HEAD"):
            origin = request.headers.get("origin")
            if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
                return error("forbidden", "this request must come from this server's pages",
                             403)
        return org

    def _by_bearer(self, request: Request) -> bool:
        try:
            self.server.signer.verify_organiser(bearer(request))
        except BadToken:
            return False
        return True

    def _signed_in(self, request: Request, org: Organiser) -> Response:
        token = self.server.signer.issue_organiser(
            org.id, org.generation, self.server.settings.organiser_days * 86400.0)
        response = JSONResponse({"organiser": org.public()})
        response.set_cookie(COOKIE, token, max_age=self.server.settings.organiser_days * 86400,
                            httponly=True, samesite="strict",
                            secure=self.server.settings.secure_cookies, path="/")
        response.headers["cache-control"] = "no-store"
        return response

    def _throttled(self, request: Request) -> Response | None:
        wait = self.misses.wait(client_host(request))
        if wait > 0:
            return error("too_many_tries", "te veel pogingen; probeer het over een minuut "
                         "opnieuw", 429, headers={"retry-after": str(int(wait) + 1)})
        return None

    # --- routes --------------------------------------------------------------------------------

    async def me(self, request: Request) -> Response:
        org = await self.required(request)
        if isinstance(org, Response):
            return org
        return JSONResponse({"organiser": org.public()}, headers={"cache-control": "no-store"})

    async def signin(self, request: Request) -> Response:
        """A one-time sign-in link (``/o/<secret>``): the page posts its secret here."""
        refused = self._throttled(request)
        if refused is not None:
            return refused
        try:
            body = await json_body(request)
            org = await self.organisers.use_link(str(body.get("link") or ""))
            if org is not None:
                await self.organisers.signed_in(org)
        except ValueError as exc:
            return error("bad_request", str(exc), 400)
        if org is None:
            self.misses.miss(client_host(request))
            return error("bad_link", "deze inloglink is al gebruikt, verlopen of onbekend", 401)
        return self._signed_in(request, org)

    async def login(self, request: Request) -> Response:
        refused = self._throttled(request)
        if refused is not None:
            return refused
        try:
            body = await json_body(request)
            org = await self.organisers.check_password(str(body.get("name") or ""),
                                                       str(body.get("password") or ""))
            if org is not None:
                await self.organisers.signed_in(org)
        except ValueError as exc:
            return error("bad_request", str(exc), 400)
        if org is None:
            self.misses.miss(client_host(request))
            return error("bad_login", "naam of wachtwoord klopt niet", 401)
        return self._signed_in(request, org)

    async def logout(self, request: Request) -> Response:
        org = await self.current(request)
        try:
            body = await json_body(request)
        except ValueError:
            body = {}
        if org is not None and body.get("everywhere"):
            await self.organisers.sign_out_everywhere(org)
        response = JSONResponse({"signed_out": True})
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                               secure=self.server.settings.secure_cookies)
        return response

    async def password(self, request: Request) -> Response:
        org = await self.required(request)
        if isinstance(org, Response):
            return org
        try:
            body = await json_body(request)
            await self.organisers.set_password(org, str(body.get("password") or ""))
        except (ValueError, OrganiserError) as exc:
            return error("bad_request", str(exc), 400)
        return JSONResponse({"organiser": org.public()})

    async def sessions(self, request: Request) -> Response:
        """Mijn sessies: every session this organiser made, newest first, with its links."""
        org = await self.required(request)
        if isinstance(org, Response):
            return org
        out: list[dict[str, Any]] = []
        for sid, _ in await self.server.store.list_records(OWNS + org.id):
            rec = await self.server.registry.session(sid)
            if rec is None or rec.owner != org.id:
                continue
            ctl = self.server.registry.control_of(rec.id)
            out.append({**self.server.owner_links(rec, org, request),
                        "title": rec.title, "created": rec.created,
                        "template": rec.template, "boards": len(rec.boards),
                        "closed": bool(ctl.closed) if ctl is not None else None})
        out.sort(key=lambda s: -float(s["created"]))
        return JSONResponse({"organiser": org.public(), "sessions": out},
                            headers={"cache-control": "no-store"})

    async def own(self, org: Organiser, rec: SessionRecord) -> None:
        await self.own_id(org.id, rec)

    async def own_id(self, organiser: str, rec: SessionRecord) -> None:
        if organiser:
            await self.server.store.put_record(OWNS + organiser, rec.id, "{}")

    async def disown(self, rec: SessionRecord) -> None:
        if rec.owner:
            await self.server.store.delete_record(OWNS + rec.owner, rec.id)
