"""Request bodies held to their route's cap before the app reads any of them (R43), and a
request with a duplicated Host, Origin, Content-Length, Authorization or Cookie header refused
(R39): an ASGI middleware in front of the app."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from .config import Settings
from .guard import RETRY_AFTER_S, SINGLE_HEADERS, Tally

# A body on a route without a cap of its own (R43).
DEFAULT_BODY_BYTES = 64 * 1024
# Larger bodies (imports, uploads) read at once, in all: each is held in memory whole (and an
# import is parsed), so it is their number that bounds the memory they take. Past it: 503.
LARGE_BODIES_AT_ONCE = 2
UPLOAD_PATH = re.compile(r"^/api/sessions/[^/]+/material/[^/]+$")
IMPORT_PATH = "/api/import"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _answer(send: Send, status: int, code: str, message: str,
                  retry: bool = False) -> None:
    """A JSON error. What the client still sends of its body is not read: the connection
    ends after the answer (``GuardedHttp._linger``)."""
    body = orjson.dumps({"error": code, "message": message})
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    if retry:
        headers.append((b"retry-after", str(RETRY_AFTER_S).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Bodies:
    """R43: a request body is held to its route's cap before the app reads any of it: a
    declared ``Content-Length`` over the cap gets 413 at once, and a streamed (chunked) body
    is counted as it comes and gets 413 the moment it passes the cap, without the rest being
    read. At most LARGE_BODIES_AT_ONCE bodies over DEFAULT_BODY_BYTES are taken at a time
    (503 for more). R39: a duplicated Host, Origin, Content-Length, Authorization or Cookie
    header gets 400."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.import_max = settings.import_max_bytes
        self.upload_max = settings.upload_max_bytes
        self.large = 0
        self.duplicates = Tally("requests refused (400): duplicated header")
        self.too_large = Tally("request bodies refused (413)", level=logging.INFO)
        self.busy = Tally("large request bodies refused (503): as many being read as allowed",
                          level=logging.INFO)

    def cap(self, path: str) -> int:
        if path == IMPORT_PATH:
            return self.import_max
        if UPLOAD_PATH.match(path):
            return self.upload_max
        return DEFAULT_BODY_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen: set[bytes] = set()
        length: bytes | None = None
        streamed = False
        for name, value in scope["headers"]:
            streamed |= name == b"transfer-encoding"
            if name in SINGLE_HEADERS:
                if name in seen:
                    client = scope.get("client")
                    self.duplicates(f"{name.decode('latin-1')} from "
                                    f"{client[0] if client else '-'} on {scope['path']}")
                    await _answer(send, 400, "bad_request",
                                  f"the {name.decode('latin-1')} header is there twice")
                    return
                seen.add(name)
                if name == b"content-length":
                    length = value
        cap = self.cap(scope["path"])
        what = f"a request body is at most {cap} bytes here"
        if length is not None and length.isdigit() and int(length) > cap:
            self.too_large(f"{int(length)} bytes declared for {scope['path']}")
            await _answer(send, 413, "too_large", what)
            return
        if cap <= DEFAULT_BODY_BYTES or not (
                streamed or (length is not None and length.isdigit()
                             and int(length) > DEFAULT_BODY_BYTES)):
            await self._counted(scope, receive, send, cap, what)
            return
        if self.large >= LARGE_BODIES_AT_ONCE:
            self.busy(f"{scope['path']}")
            await _answer(send, 503, "busy", "other large uploads are being read; try again "
                          "shortly", retry=True)
            return
        self.large += 1
        try:
            await self._counted(scope, receive, send, cap, what)
        finally:
            self.large -= 1

    async def _counted(self, scope: Scope, receive: Receive, send: Send, cap: int,
                       what: str) -> None:
        got = 0
        refused = started = False

        async def counted_receive() -> Message:
            nonlocal got, refused, started
            message = await receive()
            if message["type"] == "http.request" and not refused:
                got += len(message.get("body", b""))
                if got > cap:
                    refused = True
                    self.too_large(f"more than {cap} bytes streamed to {scope['path']}")
                    if not started:
                        started = True
                        await _answer(send, 413, "too_large", what)
            if refused:
                # The app stops reading (Starlette: ClientDisconnect); nothing more is read.
                return {"type": "http.disconnect"}
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent in its place
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except Exception:
            if not refused:
                raise
            # The app failed on the body it was not given: the 413 has been answered.
