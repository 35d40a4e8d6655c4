"""The Starlette application (HTTP API, static client) and what websocket messages mean.

The websocket's bytes are ``wire``'s; the rules live in ``board``, ordering and fan-out in
``hub``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import archive, archivist, protocol, qr, roles, suggest, templates
from .archive_http import ArchiveAPI
from .auth import BadToken, Grant, Signer
from .board import Actor, BoardState
from .config import Settings
from .hub import Connection, Hub, Room, encode
from .protocol import (
    PROTOCOL_VERSION,
    Drag,
    Error,
    ErrorCode,
    Hello,
    NoteCluster,
    OpFrame,
    Ping,
    Pong,
    Subscribe,
    Unsubscribe,
    VoteCast,
    Welcome,
)
from .session import SessionRecord, new_session, normalise_code
from .store import Store, StoreUnavailable, open_store

log = logging.getLogger("vierhoeken.app")

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGI = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
                Awaitable[None]]

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
     b"form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Adds the security headers to every HTTP response (pure ASGI, so websockets pass)."""

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
                    (k, v) for k, v in SECURITY_HEADERS if k not in present]
            await send(message)

        await self.app(scope, receive, with_headers)


class Server:
    """Everything one process holds; the routes below are its methods."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or open_store(settings.store_url)
        self.hub = Hub(self.store)
        self.signer = Signer(settings.signing_key())
        self.catalog = templates.catalog()
        self.token_ttl = settings.token_days * 86400.0
        self._background: set[asyncio.Task[None]] = set()
        self._snapshot_lock = asyncio.Lock()

    # --- HTTP ---------------------------------------------------------------------------------

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

    async def template_list(self, request: Request) -> Response:
        return JSONResponse(self.catalog.public())

    def _base_url(self, request: Request) -> str:
        return self.settings.public_url or str(request.base_url).rstrip("/")

    async def create_session(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            return JSONResponse({"error": "bad_request", "message": "expected an object"}, 400)
        template = str(body.get("template") or "vier-hoeken")
        title = str(body.get("title") or "")[:120]
        try:
            rec = new_session(self.catalog, template, title)
        except KeyError:
            return JSONResponse({"error": "unknown_template",
                                 "message": f"no template {template!r}"}, 404)
        try:
            await self.hub.put_session(rec)
        except StoreUnavailable as exc:
            return JSONResponse({"error": "store_unavailable", "message": str(exc)}, 503)
        return JSONResponse(self.session_created(rec, request), status_code=201)

    def session_created(self, rec: SessionRecord, request: Request) -> dict[str, Any]:
        """The answer to a new (created, imported or restored) session: its links."""
        base = self._base_url(request)
        facilitator = self.signer.issue(rec.id, "facilitator", self.token_ttl)
        return {
            "session": rec.public(),
            "code": rec.code,
            "facilitator_token": facilitator,
            "facilitator_url": f"{base}/#t={facilitator}",
            **self._links(rec, base),
        }

    def _links(self, rec: SessionRecord, base: str) -> dict[str, Any]:
        """Everything a facilitator hands out: join links and QR codes, screen links."""
        viewer = self.signer.issue(rec.id, "viewer", self.token_ttl)
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

    async def _authorised(self, request: Request, *roles_: str) -> SessionRecord | Response:
        """The session of the URL, when the bearer token is one of ``roles_`` of it (R19)."""
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        try:
            grant = self.signer.verify(token)
        except BadToken as exc:
            return JSONResponse({"error": "bad_token", "message": str(exc)}, 401)
        sid = request.path_params["sid"]
        if grant.session != sid or grant.role not in roles_:
            return JSONResponse({"error": "forbidden",
                                 "message": f"only for this session's {' or '.join(roles_)}"},
                                403)
        try:
            rec = await self.hub.session(sid)
        except StoreUnavailable as exc:
            return JSONResponse({"error": "store_unavailable", "message": str(exc)}, 503)
        if rec is None:
            return JSONResponse({"error": "unknown_session", "message": sid}, 404)
        return rec

    async def session_links(self, request: Request) -> Response:
        """GET with ``Authorization: Bearer <facilitator token>`` of this session (R19)."""
        rec = await self._authorised(request, "facilitator")
        if isinstance(rec, Response):
            return rec
        return JSONResponse({"code": rec.code, **self._links(rec, self._base_url(request))})

    async def suggestions(self, request: Request) -> Response:
        """R29: suggested clusters for the unclustered notes of one station, over every board
        of the session (or one, with ``board=``). The facilitator accepts, edits or rejects
        each; nothing changes until they send the cluster ops."""
        rec = await self._authorised(request, "facilitator")
        if isinstance(rec, Response):
            return rec
        station = request.query_params.get("station", "")
        only = request.query_params.get("board")
        try:
            control = await self.hub.room(rec, rec.control_id)
            ctl = control.state.control if control is not None else None
            notes: list[tuple[str, str]] = []
            texts: dict[str, dict[str, str]] = {}
            for info in rec.boards:
                if only and info.id != only:
                    continue
                room = await self.hub.room(rec, info.id)
                assert room is not None
                for note in sorted(room.state.notes.values(), key=lambda n: n.created_seq):
                    clustered = ctl is not None and ctl.resolve(note.cluster) is not None
                    if note.zone == station and not clustered and not note.hidden:
                        key = f"{info.id}/{note.id}"
                        notes.append((key, note.text))
                        texts[key] = {"board": info.id, "note": note.id, "text": note.text}
        except StoreUnavailable as exc:
            return JSONResponse({"error": "store_unavailable", "message": str(exc)}, 503)
        found = suggest.suggest(notes)
        return JSONResponse({"station": station, "clusters": [
            {"title": s.title, "notes": [texts[k] for k in s.keys]} for s in found]})

    async def qr_code(self, request: Request) -> Response:
        """The QR code of a session's join link, or of one corner's (``/j/CODE/corner``)."""
        code = normalise_code(request.path_params["code"])
        corner = request.path_params.get("corner")
        fmt = request.path_params["fmt"]
        if fmt not in ("svg", "png"):
            return JSONResponse({"error": "bad_request", "message": "svg or png"}, 404)
        rec = await self._session_by_code(code)
        if isinstance(rec, Response):
            return rec
        url = f"{self._base_url(request)}/j/{rec.code}"
        if corner is not None:
            if rec.board_of_corner(corner) is None:
                return JSONResponse({"error": "unknown_corner", "message": corner}, 404)
            url += f"/{corner}"
        return Response(qr.render(url, fmt), media_type=qr.MEDIA_TYPE[fmt],
                        headers={"cache-control": "public, max-age=3600"})

    async def _session_by_code(self, code: str) -> SessionRecord | Response:
        """The session of a join code, or the JSON error response (404, or 503)."""
        try:
            sid = await self.store.session_for_code(code)
            rec = await self.hub.session(sid) if sid else None
        except StoreUnavailable as exc:
            return JSONResponse({"error": "store_unavailable", "message": str(exc)}, 503)
        if rec is None:
            return JSONResponse({"error": "unknown_session",
                                 "message": f"geen sessie met code {code}"}, 404)
        return rec

    async def join(self, request: Request) -> Response:
        rec = await self._session_by_code(normalise_code(request.path_params["code"]))
        if isinstance(rec, Response):
            return rec
        token = self.signer.issue(rec.id, "participant", self.token_ttl)
        return JSONResponse({"session": rec.public(), "token": token, "role": "participant"})

    async def index(self, request: Request) -> Response:
        return FileResponse(WEB_DIR / "index.html", headers={"cache-control": "no-cache"})

    # --- websocket ----------------------------------------------------------------------------

    def origin_allowed(self, origin: str | None, host: str) -> bool:
        """R4: browsers must come from our own origin or the allow-list."""
        if origin is None:
            return True  # not a browser; its token still decides what it may do
        origin = origin.rstrip("/")
        if origin in self.settings.allowed_origins:
            return True
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https"):
            return False
        return parts.netloc == host

    def opened(self, conn: Connection) -> None:
        """A websocket completed its handshake (server/wire.py)."""
        self.hub.attach(conn)
        if not self.hub.writable:
            conn.send(encode(protocol.Status(writable=False, reason="store_unavailable")))

    def receive(self, conn: Connection, data: str) -> Awaitable[None] | None:
        """One message from a client. What can be answered at once is (pings, drags on a
        board the connection follows); the rest returns the work to await, which the wire
        does in the order the messages came."""
        frame = protocol.parse_client(data)
        if isinstance(frame, Error):
            conn.send(encode(frame))
            return None
        if isinstance(frame, Ping):
            conn.send(encode(Pong(t=frame.t, server_time=time.time())))
            return None
        if isinstance(frame, Drag) and frame.board in conn.boards:
            # Subscribed means the board is of this connection's session and loaded.
            room = self.hub.rooms.get(frame.board)
            grant = conn.grant
            if room is not None and grant is not None:
                if grant.can_write:
                    room.drag(conn, frame.note, frame.x, frame.y)
                return None
        return self._handle(conn, frame)

    def _error(self, conn: Connection, code: ErrorCode, message: str,
               ref: str | None = None) -> None:
        conn.send(encode(Error(code=code, message=message, ref=ref)))

    async def _handle(self, conn: Connection, frame: Any) -> None:
        if isinstance(frame, Hello):
            await self._hello(conn, frame)
            return
        grant = conn.grant
        ref = frame.id if isinstance(frame, OpFrame) else frame.type
        if grant is None:
            self._error(conn, "not_joined", "send hello with a token first", ref=ref)
            return
        try:
            session = await self.hub.session(grant.session)
        except StoreUnavailable:
            self._error(conn, "store_unavailable", "the store is unreachable", ref=ref)
            return
        if session is None:
            self._error(conn, "bad_token", "the session of this token no longer exists", ref=ref)
            return
        if isinstance(frame, Unsubscribe):
            room = self.hub.rooms.get(frame.board)
            if room is not None:
                room.unsubscribe(conn)
            return
        try:
            room = await self.hub.room(session, frame.board)
        except StoreUnavailable:
            self._error(conn, "store_unavailable", "the store is unreachable", ref=ref)
            return
        if room is None:
            self._error(conn, "unknown_board", f"board {frame.board!r} is not in this session",
                        ref=ref)
            return
        if isinstance(frame, Subscribe):
            room.subscribe(conn, frame.epoch, frame.seq)
        elif isinstance(frame, Drag):
            if grant.can_write:
                room.drag(conn, frame.note, frame.x, frame.y)
        elif isinstance(frame, OpFrame):
            await self._op(conn, grant, session, room, frame)

    async def _hello(self, conn: Connection, frame: Hello) -> None:
        if frame.v != PROTOCOL_VERSION:
            self._error(conn, "bad_version",
                        f"protocol version {frame.v} not supported, use {PROTOCOL_VERSION}")
            return
        try:
            grant = self.signer.verify(frame.token)
            session = await self.hub.session(grant.session)
        except BadToken as exc:
            self._error(conn, "bad_token", str(exc), ref="hello")
            return
        except StoreUnavailable:
            self._error(conn, "store_unavailable", "the store is unreachable", ref="hello")
            return
        if session is None:
            self._error(conn, "bad_token", "the session of this token no longer exists",
                        ref="hello")
            return
        try:
            control = await self.hub.room(session, session.control_id)
        except StoreUnavailable:
            self._error(conn, "store_unavailable", "the store is unreachable", ref="hello")
            return
        ctl = control.state.control if control is not None else None
        groups = ctl.groups if ctl is not None else session.groups
        group = frame.group if frame.group in groups else ""
        if ctl is not None:
            group = ctl.group_of(grant.participant) or group
        conn.grant = grant
        conn.actor = Actor(participant=grant.participant, name=frame.name, group=group,
                           role=grant.role)
        conn.send(encode(Welcome(
            session=session.public(),
            me={"participant": grant.participant, "role": grant.role, "name": frame.name,
                "group": group},
            server_time=time.time(),
        )))

    async def _op(self, conn: Connection, grant: Grant, session: SessionRecord, room: Room,
                  frame: OpFrame) -> None:
        if grant.expires < time.time():
            # R19: roles are checked on every op, and a token can expire during the day.
            conn.grant = None
            self._error(conn, "bad_token", "token expired", ref=frame.id)
            return
        if not roles.may(grant.role, frame.op.kind):
            reason = ("this link may only watch" if grant.role == "viewer"
                      else f"a {grant.role} may not send {frame.op.kind}")
            self._error(conn, "forbidden", reason, ref=frame.id)
            return
        assert conn.actor is not None
        actor, round_ = conn.actor, 1
        if room.state.control is not None:
            round_ = room.state.control.round
        else:
            # R21: a note carries the group and round of the moment it was written.
            try:
                control = await self.hub.room(session, session.control_id)
            except StoreUnavailable:
                self._error(conn, "store_unavailable", "the store is unreachable", ref=frame.id)
                return
            ctl = control.state.control if control is not None else None
            if ctl is not None and ctl.closed:
                self._error(conn, "session_closed", "de sessie is gesloten", ref=frame.id)
                return
            if ctl is not None:
                round_ = ctl.round
                group = ctl.group_of(actor.participant) or (
                    actor.group if actor.group in ctl.groups else "")
                if group != actor.group:
                    actor = replace(actor, group=group)
        error = room.check(frame.op, actor) or await self._cross_board_check(
            session, room, frame.op)
        if error is not None:
            # A retry of an op that is already stored gets its first answer (R5).
            try:
                seq = await self.store.seq_of(room.board_id, frame.id)
            except StoreUnavailable:
                seq = None
            if seq is not None and seq <= room.state.seq:
                conn.send(room.ack(frame.id, seq, room.state.outcome_of(seq)))
                return
            self._error(conn, error[0], error[1], ref=frame.id)
            return
        future = room.submit(frame.id, frame.op, actor, round_)

        def answer(f: asyncio.Future[Any]) -> None:
            if f.cancelled():
                return
            exc = f.exception()
            if exc is not None:
                self._error(conn, "store_unavailable", "not acknowledged: the store did not "
                            "confirm it; send it again later with the same id", ref=frame.id)
                return
            seq, outcome = f.result()
            conn.send(room.ack(frame.id, seq, outcome))
            if outcome.result == "applied" and room.state.control is not None:
                self._after_control(session, frame.op, round_)

        future.add_done_callback(answer)

    async def _cross_board_check(self, session: SessionRecord, room: Room, op: Any
                                 ) -> tuple[ErrorCode, str] | None:
        """Checks that need two boards: a note's cluster (control board) must be of the note's
        station (R26); a dot must go to a note that is on its board and in the vote's scope
        (R27)."""
        if isinstance(op, NoteCluster) and op.cluster is not None:
            control = await self.hub.room(session, session.control_id)
            ctl = control.state.control if control is not None else None
            note = room.state.notes.get(op.note)
            if ctl is None or ctl.resolve(op.cluster) != op.cluster:
                return "unknown_cluster", f"cluster {op.cluster!r} is not (or no longer) there"
            station = ctl.clusters[op.cluster]["station"]
            if note is not None and note.zone != station:
                return "unknown_cluster", (f"cluster {op.cluster!r} belongs to {station!r}, "
                                           f"the note is in {note.zone!r}")
        if isinstance(op, VoteCast):
            ctl = room.state.control
            target = await self.hub.room(session, op.board) if op.board != room.board_id else None
            note = target.state.notes.get(op.note) if target is not None else None
            if target is None or target.state.control is not None or note is None:
                return "unknown_note", f"note {op.note!r} is not on board {op.board!r}"
            vote = ctl.votes.get(op.vote) if ctl is not None else None
            if vote is not None and vote["station"] and note.zone != vote["station"]:
                return "unknown_note", f"this vote is on {vote['station']!r} notes only"
        return None

    def _after_control(self, session: SessionRecord, op: Any, round_before: int) -> None:
        """R24: the server archives a snapshot by itself at each round's end and at closing.

        Only the process that stored the op does it, so there is one snapshot per event."""
        name = None
        if op.kind in ("round.next", "round.set"):
            name = archive.ROUND_END.format(n=round_before)
        elif op.kind == "session.close" and op.closed:
            name = archive.CLOSED
        if name is None:
            return
        # Taken now, in the same step as the round change: a note stored a moment later
        # belongs to the next round and is not in it.
        now = archivist.capture_now(self.hub, session)
        self.keep(asyncio.create_task(self._auto_snapshot(session, name, now)))

    def keep(self, task: asyncio.Task[None]) -> None:
        """A task of this server's own, cancelled when it stops."""
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _retention(self) -> None:
        """RETENTION_DAYS: old sessions are deleted at start-up and then once a day."""
        while True:
            try:
                await archivist.purge(self.store, self.settings.retention_days)
            except StoreUnavailable:
                log.warning("retention: the store is unreachable; trying again in an hour")
                await asyncio.sleep(3600)
                continue
            await asyncio.sleep(86400)

    async def _auto_snapshot(self, session: SessionRecord, name: str,
                             now: dict[str, BoardState]) -> None:
        try:
            async with self._snapshot_lock:  # FIFO: archived in the order they happened
                doc = await archivist.complete(self.hub, session, now)
                await archivist.take(self.store, doc, name, "auto", unique=True)
        except Exception:  # never let an archive failure touch the live session
            log.exception("automatic snapshot %r of session %s failed", name, session.id)

    # --- lifecycle ----------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        await self.store.open()
        retention = None
        if self.settings.retention_days > 0:
            retention = asyncio.create_task(self._retention())
        try:
            yield
        finally:
            for task in [*self._background, *([retention] if retention else [])]:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self.hub.close()
            await self.store.close()


def create_app(settings: Settings | None = None, store: Store | None = None) -> Starlette:
    server = Server(settings or Settings.from_env(), store)
    routes = [
        Route("/", server.index),
        Route("/j/{code}", server.index),
        Route("/j/{code}/{corner}", server.index),
        Route("/qr/{code}.{fmt}", server.qr_code),
        Route("/qr/{code}/{corner}.{fmt}", server.qr_code),
        Route("/api/sessions/{sid}/links", server.session_links),
        Route("/api/sessions/{sid}/suggest", server.suggestions),
        Route("/s/{sid}/{name}", server.index),
        *ArchiveAPI(server).routes(),
        Route("/healthz", server.healthz),
        Route("/api/protocol.schema.json", server.protocol_schema),
        Route("/api/templates", server.template_list),
        Route("/api/templates.schema.json", server.template_schema),
        Route("/api/sessions", server.create_session, methods=["POST"]),
        Route("/api/join/{code}", server.join),
        Mount("/", StaticFiles(directory=WEB_DIR), name="web"),
    ]
    app = Starlette(routes=routes, lifespan=server.lifespan)
    app.state.server = server
    app.add_middleware(SecurityHeaders)
    return app
