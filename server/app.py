"""The Starlette application: HTTP routes and the static client.

Websocket messages never come here: ``wire`` reads them and the ``gateway`` handles them. This
module answers HTTP, decides who may call each route (R31: organisers; R19: a session's
facilitators; R34: anyone with a join code, within limits) and hands the work to the modules
that do it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from . import admit, gcwatch, offload, protocol, schema, signups, suggest, templates
from .archive_http import ArchiveAPI
from .auth import BadToken, Grant, Signer
from .bus import open_bus
from .config import Settings
from .connection import Connection
from .control import OWNER_PREFIX
from .effects import Effects
from .gateway import Gateway
from .http import bearer, error
from .join_http import JoinAPI
from .material_http import MaterialAPI
from .misses import Misses
from .ontwerpslag_http import OntwerpslagAPI
from .organiser_http import OrganiserAPI
from .organisers import Organiser, Organisers
from .protocol import PROTOCOL_VERSION
from .registry import Registry
from .session import SessionRecord
from .session_http import SessionAPI
from .signup_http import SignupAPI
from .store import Store, StoreUnavailable, open_store
from .webfiles import ClientFiles

log = logging.getLogger("vierhoeken.app")

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGI = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
                Awaitable[None]]

# img-src blob: a corner's material pages, fetched with the session's token and shown (R50).
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
     b"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
     b"form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


# R30: what a script or a stylesheet carries. A page's policy governs what the page loads; on
# the files themselves a policy or a framing rule does nothing (the service worker's script is
# the exception: its policy is the worker's), and each costs a phone on venue Wi-Fi 0.4 KB per
# file of its first load (R61).
SUBRESOURCE_HEADERS = [(b"x-content-type-options", b"nosniff")]
SUBRESOURCE_TYPES = (b"text/javascript", b"text/css")


def _security_headers(path: str, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    media = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    if media.startswith(SUBRESOURCE_TYPES) and path != "/sw.js":
        return SUBRESOURCE_HEADERS
    return SECURITY_HEADERS


class SecurityHeaders:
    """Adds the security headers to every HTTP response (pure ASGI, so websockets pass): the
    whole set to documents (pages, answers, reports, the service worker), ``nosniff`` to
    scripts and stylesheets."""

    def __init__(self, app: ASGI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                # A response with its own policy (the printable report) keeps it.
                message["headers"] = headers + [
                    (k, v) for k, v in _security_headers(scope["path"], headers)
                    if k not in present]
            await send(message)

        await self.app(scope, receive, with_headers)


class Server:
    """Everything one process holds; the routes below are its methods."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or open_store(settings.store_url)
        self.bus = open_bus(settings.bus())
        self.registry = Registry(self.store, self.bus)
        self.signer = Signer(settings.signing_key())
        self.catalog = templates.catalog()
        self.token_ttl = settings.token_days * 86400.0
        self.organisers = Organisers(self.store)
        self.organiser_api = OrganiserAPI(self)
        self.effects = Effects(self.registry, settings.round_grace_s)
        quotas = admit.Quotas(settings.max_notes_per_board, settings.max_notes_per_participant)
        self.gateway = Gateway(self.registry, self.signer, quotas, self.effects.applied,
                               settings.round_grace_s)
        self.join_misses = Misses(settings.join_misses_per_minute)
        self.files = ClientFiles(WEB_DIR)
        self.joins = JoinAPI(self)
        # R44: suggestion jobs in a worker, by the notes they compare.
        self._suggesting: dict[tuple[tuple[str, str], ...], asyncio.Future[
            list[suggest.Suggestion]]] = {}
        self.first_link: str | None = None  # the first organiser's sign-in link, if printed

    # --- helpers -------------------------------------------------------------------------------

    def base_url(self, request: Request | None = None) -> str:
        """Where links point (R38): PUBLIC_URL, or the request's host, which the host check
        has already held to ALLOWED_HOSTS."""
        if self.settings.public_url:
            return self.settings.public_url
        if request is not None:
            return str(request.base_url).rstrip("/")
        host = self.settings.host if self.settings.host not in ("0.0.0.0", "::") else "127.0.0.1"
        return f"http://{host}:{self.settings.port}"

    def _facilitator_token(self, rec: SessionRecord, participant: str | None = None) -> str:
        return self.signer.issue(rec.id, "facilitator", self.token_ttl, participant, rec.key)

    def session_created(self, rec: SessionRecord, request: Request) -> dict[str, Any]:
        """The answer to a new (created, imported or restored) session: its links."""
        base = self.base_url(request)
        facilitator = self._facilitator_token(rec, OWNER_PREFIX + rec.owner[:12]
                                              if rec.owner else None)
        return {
            "session": rec.public(),
            "code": rec.code,
            "facilitator_token": facilitator,
            "facilitator_url": f"{base}/#t={facilitator}",
            **self._links(rec, base),
        }

    def owner_links(self, rec: SessionRecord, org: Organiser, request: Request
                    ) -> dict[str, Any]:
        """What "Mijn sessies" shows of one session: its code and a facilitator link."""
        base = self.base_url(request)
        token = self._facilitator_token(rec, OWNER_PREFIX + org.id[:12])
        return {"id": rec.id, "code": rec.code, "facilitator_token": token,
                "facilitator_url": f"{base}/#t={token}", "join_url": f"{base}/j/{rec.code}"}

    def links(self, rec: SessionRecord, request: Request) -> dict[str, Any]:
        return self._links(rec, self.base_url(request))

    def _links(self, rec: SessionRecord, base: str) -> dict[str, Any]:
        """Everything a facilitator hands out: join links and QR codes, screen links."""
        viewer = self.signer.issue(rec.id, "viewer", self.token_ttl, key=rec.key)
        corners = [b.instrument for b in rec.boards]
        return {
            "join_url": f"{base}/j/{rec.code}",
            "corner_join_urls": {c: f"{base}/j/{rec.code}/{c}" for c in corners},
            "viewer_token": viewer,
            "viewer_url": f"{base}/#t={viewer}",
            "projector_urls": {c: f"{base}/#t={viewer}&corner={c}" for c in corners},
            "qr": {
                "session": f"/qr/{rec.code}.svg",
                "corners": {c: f"/qr/{rec.code}/{c}.svg" for c in corners},
            },
        }

    async def authorised(self, request: Request, *roles_: str
                         ) -> tuple[SessionRecord, Grant] | Response:
        """The session of the URL, when the bearer token is one of ``roles_`` of it, made for
        this session (its key) and not taken out (R19, R33)."""
        try:
            grant = self.signer.verify(bearer(request))
        except BadToken as exc:
            return error("bad_token", str(exc), 401)
        sid = request.path_params["sid"]
        if grant.session != sid or grant.role not in roles_:
            return error("forbidden", f"only for this session's {' or '.join(roles_)}", 403)
        rec = await self.registry.session(sid)
        if rec is not None and rec.key == grant.key:
            control = await self.registry.room(rec, rec.control_id)
            ctl = control.state.control if control is not None else None
            if ctl is not None and grant.participant in ctl.removed:
                return error("removed", "this link was taken out of the session", 403)
        if rec is None or rec.key != grant.key:
            return error("unknown_session", sid, 404)
        return rec, grant

    async def owned(self, request: Request) -> tuple[SessionRecord, Organiser] | Response:
        """The session of the URL, when the signed-in organiser owns it (R31)."""
        org = await self.organiser_api.required(request)
        if isinstance(org, Response):
            return org
        rec = await self.registry.session(request.path_params["sid"])
        if rec is None or rec.owner != org.id:
            return error("unknown_session", "not a session of yours", 404)
        return rec, org

    # --- HTTP: the service -----------------------------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        ok = await self.store.ping()
        return JSONResponse(
            {"ok": ok, "store": self.store.kind, "reachable": ok, "version": PROTOCOL_VERSION},
            status_code=200 if ok else 503,
        )

    async def protocol_schema(self, request: Request) -> Response:
        return JSONResponse(protocol.json_schema())

    async def template_schema(self, request: Request) -> Response:
        return JSONResponse(templates.json_schema())

    async def export_schema(self, request: Request) -> Response:
        return JSONResponse(schema.json_schema())

    async def state_schema(self, request: Request) -> Response:
        return JSONResponse(schema.state_schema())

    async def template_list(self, request: Request) -> Response:
        return JSONResponse(self.catalog.public())

    async def index(self, request: Request) -> Response:
        return self.files.response(request, "index.html")

    # --- the websocket's entry (server/wire.py) -------------------------------------------------

    def origin_allowed(self, origin: str | None, host: str) -> bool:
        """R4: browsers must come from our own origin or the allow-list; R38: and our own
        origin is one of the allowed hosts."""
        if origin is None:
            return True  # not a browser; its token still decides what it may do
        origin = origin.rstrip("/")
        if origin in self.settings.allowed_origins:
            return True
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https"):
            return False
        return parts.netloc == host and self.host_allowed(host)

    def host_allowed(self, host: str) -> bool:
        name = urlsplit(f"//{host}").hostname or ""
        allowed = self.settings.hosts()
        return "*" in allowed or name in allowed or name.strip("[]") in allowed

    # --- the wire's interface (wire.Messages) ----------------------------------------------------

    @property
    def hello_timeout_s(self) -> float:
        return self.settings.hello_timeout_s

    def opened(self, conn: Connection) -> None:
        self.gateway.opened(conn)

    def receive(self, conn: Connection, data: str) -> Awaitable[None] | None:
        return self.gateway.receive(conn, data)

    def closed(self, conn: Connection) -> None:
        self.gateway.closed(conn)

    def keep(self, task: asyncio.Task[Any]) -> None:
        self.effects.keep(task)

    # --- lifecycle ----------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        await self.store.open()
        await self.bus.open()
        self._warn_about_hosts()
        await self._first_run()
        # Sessions when RETENTION_DAYS is set; sign-ups always (R47: their consent says how long).
        retention = asyncio.create_task(self.effects.retention(
            self.settings.retention_days, signups.retention_days(
                self.settings.retention_days, self.settings.signup_retention_days)))
        self.registry.start_sweeping(self.settings.room_idle_s)  # R45
        # R44: collection pauses measured and kept short. Frozen only when this process is
        # the server's own (not an app embedded in a test runner, whose objects come and go).
        gcwatch.WATCH.install()
        if "pytest" not in sys.modules:
            gcwatch.WATCH.freeze()
        try:
            yield
        finally:
            retention.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await retention
            await self.effects.close()
            await self.registry.close()
            await self.bus.close()
            await self.store.close()
            await asyncio.to_thread(offload.shutdown)
            log.info("garbage collection: %s", gcwatch.WATCH.summary())
            gcwatch.WATCH.uninstall()

    def _warn_about_hosts(self) -> None:
        """R38: listening beyond loopback with no public address answers loopback names only."""
        s = self.settings
        if s.host not in ("127.0.0.1", "localhost", "::1") and not s.public_url \
                and not s.allowed_hosts:
            log.warning("HOST=%s but neither PUBLIC_URL nor ALLOWED_HOSTS is set: requests for "
                        "any host but %s are refused (400)", s.host, ", ".join(s.hosts()))

    async def _first_run(self) -> None:
        """R31: a server nobody has signed in to prints a one-time sign-in link, so that
        ``make run`` on a fresh machine ends in a server someone can use."""
        try:
            first = await self.organisers.first_run()
        except StoreUnavailable:
            return
        if first is None:
            return
        org, secret = first
        self.first_link = f"{self.base_url()}/o/{secret}"
        message = (f"Nog niemand is organisator. Open deze eenmalige inloglink (24 uur geldig) "
                   f"als organisator {org.name!r}: {self.first_link}")
        log.warning(message)
        print(message, flush=True)


def create_app(settings: Settings | None = None, store: Store | None = None) -> Starlette:
    server = Server(settings or Settings.from_env(), store)
    routes = [
        Route("/", server.index),
        Route("/j/{code}", server.index),
        Route("/j/{code}/{corner}", server.index),
        *server.joins.routes(),
        *SessionAPI(server).routes(),
        Route("/s/{sid}/{name}", server.index),
        *ArchiveAPI(server).routes(),
        *server.organiser_api.routes(),
        *SignupAPI(server).routes(),
        *MaterialAPI(server).routes(),
        *OntwerpslagAPI(server).routes(),
        Route("/healthz", server.healthz),
        Route("/api/protocol.schema.json", server.protocol_schema),
        Route("/api/templates", server.template_list),
        Route("/api/templates.schema.json", server.template_schema),
        Route("/api/export.schema.json", server.export_schema),
        Route("/api/state.schema.json", server.state_schema),
        Mount("/", app=server.files, name="web"),
    ]
    app = Starlette(routes=routes, lifespan=server.lifespan,
                    exception_handlers={StoreUnavailable: store_unavailable})
    app.state.server = server
    from .bodies import Bodies  # R39, R43: bodies bounded before anything reads them

    app.add_middleware(Bodies, settings=server.settings)  # inside SecurityHeaders (added next)
    app.add_middleware(SecurityHeaders)
    # R38: links and QR codes are only ever made for a host this server is meant to have.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(_host_patterns(server)))
    return app


async def store_unavailable(request: Request, exc: Exception) -> Response:
    """R13: any route that finds the store unreachable answers 503, and nothing was done."""
    return error("store_unavailable", str(exc), 503)


def _host_patterns(server: Server) -> list[str]:
    hosts = list(server.settings.hosts())
    return [f"[{h}]" if ":" in h and not h.startswith("[") else h for h in hosts] + hosts
