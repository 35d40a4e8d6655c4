"""HTTP routes of sign-ups for the next design round (R47).

Anyone with a session's join code (a participant's phone, the join screen) may sign up, within
limits per address, also after the session was closed (the end of the day is when people sign
up); the person withdraws with their own link; the session's organiser lists, exports (CSV,
XLSX) and deletes them. Nothing here is readable with a facilitator, participant or viewer
token: sign-ups are not part of the session's content.

The withdrawal link is ``/afmelden#<secret>``: a fragment never reaches a server, so the secret
is in no access log of this server or a proxy in front of it, nor in a Referer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import ontwerpslag, sheets, signups
from .decisions import WORKSPACE
from .http import client_host, error, json_body
from .misses import Misses
from .session import SessionRecord, normalise_code

if TYPE_CHECKING:
    from .app import Server

# Sign-ups one address may make per minute (a room behind one NAT signs up, but not 30 a
# minute).
SIGNUPS_PER_MINUTE = 30
# Withdrawal links that matched nothing, per address per minute, before 429.
WITHDRAW_MISSES_PER_MINUTE = 20


class SignupAPI:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.store = server.store
        self.recent = Misses(SIGNUPS_PER_MINUTE)
        self.withdraw_misses = Misses(WITHDRAW_MISSES_PER_MINUTE)

    def routes(self) -> list[Route]:
        return [
            Route("/aanmelden/{code}", self.server.index),
            Route("/afmelden", self.server.index),
            Route("/afmelden/{secret}", self.server.index),  # links made before the fragment
            Route("/api/signup/consent", self.consent),
            Route("/api/signup/{code}", self.sign_up, methods=["POST"]),
            Route("/api/signup-withdraw", self.withdraw, methods=["POST"]),
            Route("/api/sessions/{sid}/signups", self.listing, methods=["GET", "DELETE"]),
            Route("/api/sessions/{sid}/signups.{fmt}", self.export),
            Route("/api/sessions/{sid}/signups/{signup}", self.delete_one, methods=["DELETE"]),
        ]

    async def consent(self, request: Request) -> Response:
        """The consent text the form shows, in both languages, with how long data is kept."""
        days = self.retention_days()
        return JSONResponse({"version": signups.CONSENT_VERSION, "text": signups.consent(days),
                             "retention_days": days, "roles": list(signups.ROLES),
                             "instruments": list(self.server.catalog.sessions[
                                 ontwerpslag.DAY_TEMPLATE].corners)})

    def retention_days(self) -> int:
        s = self.server.settings
        return signups.retention_days(s.retention_days, s.signup_retention_days)

    async def session(self, request: Request) -> SessionRecord | Response:
        """The session of the code in the URL: open or closed, never the design team's;
        unknown codes count as misses like joining (R34)."""
        joins = self.server.join_misses
        host = client_host(request)
        wait = joins.wait(host)
        if wait > 0:
            return error("too_many_tries", "te veel onbekende codes; probeer het over een "
                         "minuut opnieuw", 429, headers={"retry-after": str(int(wait) + 1)})
        code = normalise_code(request.path_params["code"])
        sid = await self.store.session_for_code(code) if code else None
        rec = await self.server.registry.session(sid) if sid else None
        if rec is None or rec.template == WORKSPACE:
            joins.miss(host)
            return error("unknown_session", f"geen sessie met code {code}", 404)
        return rec

    async def sign_up(self, request: Request) -> Response:
        host = client_host(request)
        wait = self.recent.wait(host)
        if wait > 0:
            return error("too_many_tries", "te veel aanmeldingen vanaf dit adres; probeer het "
                         "zo opnieuw", 429, headers={"retry-after": str(int(wait) + 1)})
        rec = await self.session(request)
        if isinstance(rec, Response):
            return rec
        try:
            body = await json_body(request)
            form = signups.check(body, set(self.server.catalog.instruments))
            sid, secret = await signups.add(self.store, rec.id, form,
                                            self.server.settings.max_signups)
        except (ValueError, signups.SignupError) as exc:
            return error("bad_signup", str(exc), 400)
        except signups.Full as exc:
            return error("signups_full", str(exc), 409)
        self.recent.miss(host)  # counted like a miss: a flood of sign-ups is throttled
        base = self.server.base_url(request)
        return JSONResponse({"id": sid, "withdraw_url": f"{base}/afmelden#{secret}",
                             "retention_days": self.retention_days()}, 201,
                            headers={"cache-control": "no-store"})

    async def withdraw(self, request: Request) -> Response:
        host = client_host(request)
        wait = self.withdraw_misses.wait(host)
        if wait > 0:
            return error("too_many_tries", "te veel onbekende afmeldlinks; probeer het zo "
                         "opnieuw", 429, headers={"retry-after": str(int(wait) + 1)})
        try:
            body = await json_body(request)
            gone = await signups.withdraw(self.store, str(body.get("secret") or ""))
        except ValueError as exc:
            return error("bad_request", str(exc), 400)
        if not gone:
            self.withdraw_misses.miss(host)
            return error("unknown_signup", "deze afmeldlink is al gebruikt of onbekend", 404)
        return JSONResponse({"withdrawn": True})

    async def listing(self, request: Request) -> Response:
        found = await self.server.owned(request)
        if isinstance(found, Response):
            return found
        rec, _ = found
        if request.method == "DELETE":
            n = await signups.delete_all(self.store, rec.id)
            return JSONResponse({"deleted": n})
        records = await signups.listed(self.store, rec.id)
        return JSONResponse({"signups": [signups.public(r) for r in records],
                             "retention_days": self.retention_days()},
                            headers={"cache-control": "no-store"})

    async def delete_one(self, request: Request) -> Response:
        found = await self.server.owned(request)
        if isinstance(found, Response):
            return found
        rec, _ = found
        gone = await signups.delete(self.store, rec.id, request.path_params["signup"])
        if not gone:
            return error("unknown_signup", request.path_params["signup"], 404)
        return JSONResponse({"deleted": 1})

    async def export(self, request: Request) -> Response:
        """CSV (BOM; ``?sep=;`` for Dutch Excel) or XLSX, times in local time."""
        fmt = request.path_params["fmt"]
        if fmt not in ("csv", "xlsx"):
            return error("unknown_format", "sign-ups are csv or xlsx", 404)
        found = await self.server.owned(request)
        if isinstance(found, Response):
            return found
        rec, _ = found
        records = await signups.listed(self.store, rec.id)
        tz = self.server.settings.timezone
        rows = signups.rows(records, lambda ts: sheets.local(ts, tz))
        headers = {"content-disposition": f'attachment; filename="aanmeldingen-{rec.code}.{fmt}"',
                   "cache-control": "no-store"}
        if fmt == "xlsx":
            body = sheets.to_xlsx([("Aanmeldingen", signups.COLUMNS, rows)])
            return Response(body, media_type="application/vnd.openxmlformats-officedocument."
                            "spreadsheetml.sheet", headers=headers)
        text = sheets.to_csv(signups.COLUMNS, rows,
                             semicolon=request.query_params.get("sep") == ";")
        return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
