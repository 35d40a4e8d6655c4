"""HTTP routes of a session's management: made by an organiser (R31), run by its
facilitators — its links, a new join code and co-facilitator links (R33), suggested clusters
(R29)."""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import lifecycle, offload, suggest
from .board import Actor
from .http import error, json_body
from .protocol import MAX_NAME, MAX_SESSION_TITLE, ONE_LINE, ParticipantRemove
from .session import new_session

if TYPE_CHECKING:
    from .app import Server

MAX_INVITES = 20


def clean_title(raw: object) -> str:
    """A session title as people typed it: one line, at most 120 characters (R37)."""
    text = " ".join(str(raw or "").split())[:MAX_SESSION_TITLE]
    if not re.fullmatch(ONE_LINE, text):
        raise ValueError("title: no control characters")
    return text


class SessionAPI:
    def __init__(self, server: Server) -> None:
        self.server = server

    def routes(self) -> list[Route]:
        return [
            Route("/api/sessions", self.create_session, methods=["POST"]),
            Route("/api/sessions/{sid}/links", self.session_links),
            Route("/api/sessions/{sid}/code", self.rotate_code, methods=["POST"]),
            Route("/api/sessions/{sid}/invites", self.invites, methods=["GET", "POST"]),
            Route("/api/sessions/{sid}/invites/{iid}", self.revoke_invite,
                  methods=["DELETE"]),
            Route("/api/sessions/{sid}/suggest", self.suggestions),
        ]

    async def create_session(self, request: Request) -> Response:
        """R31: an organiser makes a session; they own it and find it in "Mijn sessies"."""
        org = await self.server.organiser_api.required(request)
        if isinstance(org, Response):
            return org
        try:
            body = await json_body(request)
            title = clean_title(body.get("title"))
        except ValueError as exc:
            return error("bad_request", str(exc), 400)
        template = str(body.get("template") or "vier-hoeken")[:64]
        try:
            rec = new_session(self.server.catalog, template, title, owner=org.id)
        except KeyError:
            return error("unknown_template", f"no template {template!r}", 404)
        rec = await lifecycle.claim(self.server.store, rec)
        await self.server.registry.put_session(rec)
        await self.server.organiser_api.own(org, rec)
        return JSONResponse(self.server.session_created(rec, request), status_code=201)

    async def session_links(self, request: Request) -> Response:
        """GET with ``Authorization: Bearer <facilitator token>`` of this session (R19)."""
        found = await self.server.authorised(request, "facilitator")
        if isinstance(found, Response):
            return found
        rec, _ = found
        return JSONResponse({"code": rec.code, **self.server.links(rec, request)})

    async def rotate_code(self, request: Request) -> Response:
        """R33: a new join code; the old code, its posters and QR codes stop at once."""
        found = await self.server.authorised(request, "facilitator")
        if isinstance(found, Response):
            return found
        rec, _ = found
        try:
            fresh = await lifecycle.rotate_code(self.server.store, rec)
        except lifecycle.NoFreeId as exc:
            return error("store_unavailable", str(exc), 503)
        self.server.registry.cache_session(fresh)
        return JSONResponse({"code": fresh.code, **self.server.links(fresh, request)})

    async def invites(self, request: Request) -> Response:
        """Co-facilitator links of a session (R33): list (GET), make one (POST {name})."""
        found = await self.server.authorised(request, "facilitator")
        if isinstance(found, Response):
            return found
        rec, grant = found
        kind = lifecycle.INVITES + rec.id
        try:
            if request.method == "POST":
                body = await json_body(request)
                name = " ".join(str(body.get("name") or "").split())[:MAX_NAME]
                if not name or not re.fullmatch(ONE_LINE, name):
                    return error("bad_request", "name: one line of text", 400)
                if len(await self.server.store.list_records(kind)) >= MAX_INVITES:
                    return error("quota_exceeded", f"at most {MAX_INVITES} invitations", 409)
                iid = "f-" + secrets.token_hex(6)
                await self.server.store.put_record(kind, iid, orjson.dumps(
                    {"id": iid, "name": name, "by": grant.participant}).decode())
                token = self.server._facilitator_token(rec, iid)
                return JSONResponse({"id": iid, "name": name, "token": token,
                                     "url": f"{self.server.base_url(request)}/#t={token}"}, 201)
            listed = [orjson.loads(raw)
                      for _, raw in await self.server.store.list_records(kind)]
        except ValueError as exc:
            return error("bad_request", str(exc), 400)
        return JSONResponse({"invites": listed})

    async def revoke_invite(self, request: Request) -> Response:
        """R33: a co-facilitator link stops at once, on every process (a control-board op)."""
        found = await self.server.authorised(request, "facilitator")
        if isinstance(found, Response):
            return found
        rec, grant = found
        iid = request.path_params["iid"]
        raw = await self.server.store.get_record(lifecycle.INVITES + rec.id, iid)
        if raw is None:
            return error("unknown_invite", iid, 404)
        control = await self.server.registry.room(rec, rec.control_id)
        assert control is not None
        actor = Actor(participant=grant.participant, role="facilitator")
        op = ParticipantRemove(kind="participant.remove", participant=iid)
        seq, _ = await control.submit(f"revoke-{iid}", op, actor,
                                      control.state.control.round
                                      if control.state.control else 1)
        await self.server.store.delete_record(lifecycle.INVITES + rec.id, iid)
        return JSONResponse({"revoked": iid, "seq": seq})

    async def suggestions(self, request: Request) -> Response:
        """R29: suggested clusters for the unclustered notes of one station, over every board
        of the session (or one, with ``board=``). The facilitator accepts, edits or rejects
        each; nothing changes until they send the cluster ops."""
        found = await self.server.authorised(request, "facilitator")
        if isinstance(found, Response):
            return found
        rec, _ = found
        station = request.query_params.get("station", "")
        only = request.query_params.get("board")
        control = await self.server.registry.room(rec, rec.control_id)
        ctl = control.state.control if control is not None else None
        notes: list[tuple[str, str]] = []
        texts: dict[str, dict[str, str]] = {}
        for info in rec.boards:
            if only and info.id != only:
                continue
            room = await self.server.registry.room(rec, info.id)
            assert room is not None
            for note in sorted(room.state.notes.values(), key=lambda n: n.created_seq):
                clustered = ctl is not None and ctl.resolve(note.cluster, note.zone) is not None
                if note.zone == station and not clustered and not note.hidden:
                    key = f"{info.id}/{note.id}"
                    notes.append((key, note.text))
                    texts[key] = {"board": info.id, "note": note.id, "text": note.text}
        # R44: a bounded number of notes, compared in a worker process; the same question
        # asked again while it is being answered waits for that answer.
        picked = tuple(notes[:suggest.MAX_COMPARED])
        if len(picked) <= suggest.INLINE_UP_TO:
            found_clusters = suggest.suggest(picked)
        else:
            job = self.server._suggesting.get(picked)
            if job is None:
                job = self.server._suggesting[picked] = asyncio.ensure_future(
                    offload.run(suggest.suggest, picked))
                job.add_done_callback(lambda _: self.server._suggesting.pop(picked, None))
            found_clusters = await asyncio.shield(job)
        return JSONResponse({
            "station": station,
            "clusters": [{"title": s.title, "notes": [texts[k] for k in s.keys]}
                         for s in found_clusters],
            "compared": len(picked), "of": len(notes), "truncated": len(picked) < len(notes)})
