"""Test harness: a real uvicorn server on a free loopback port and real websocket clients.

The client keeps a mirror of each board it follows, built with the server's own ``apply`` from
the frames it receives, so tests can compare what every client ended up with.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import socket
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import uvicorn
import websockets
from serverproc import ORGANISERS, enrol, organiser_headers

from server.board import Actor, Entry, apply
from server.boardstate import BoardState
from server.cli import uvicorn_config
from server.config import Settings
from server.protocol import BOARD_OP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# base URL -> the in-process server of a live_server (for tests that add organisers and such)
SERVERS: dict[str, Any] = {}


@contextlib.asynccontextmanager
async def live_server(settings: Settings) -> AsyncIterator[str]:
    """Run the app in this event loop on a real socket; yields the base URL."""
    settings = replace(settings, host="127.0.0.1", port=free_port())
    config = uvicorn_config(settings)
    config.log_level = "warning"
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{settings.port}"
    served = config.app.state.server  # type: ignore[attr-defined]
    SERVERS[base] = served
    if served.first_link:  # sign in as a browser would
        await asyncio.to_thread(enrol, base, served.first_link.rsplit("/", 1)[1])
    else:  # a store someone signed in to before (a shared Redis)
        org = await served.organisers.find("beheerder")
        ORGANISERS[base] = served.signer.issue_organiser(org.id, org.generation, 3600.0)
    try:
        yield base
    finally:
        ORGANISERS.pop(base, None)
        SERVERS.pop(base, None)
        server.should_exit = True
        await task


def http_json(url: str, body: dict[str, Any] | None = None,
              headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET",
                                 headers=headers or {})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


async def ahttp(url: str, body: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None) -> Any:
    return await asyncio.to_thread(http_json, url, body, headers)


@dataclass
class Mirror:
    epoch: str = ""
    state: BoardState | None = None
    seqs: list[int] = field(default_factory=list)


class Client:
    """A websocket client that records every frame and mirrors the boards it follows. It
    reads batch frames (R54) unless ``batch=False``; ``batches`` counts those it got."""

    def __init__(self, base: str, token: str, name: str = "", group: str = "",
                 batch: bool = True) -> None:
        self.ws_url = base.replace("http://", "ws://") + "/ws"
        self.token, self.name, self.group = token, name, group
        self.batch = batch
        self.batches = 0
        self.frames: list[dict[str, Any]] = []
        self.boards: dict[str, Mirror] = {}
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()
        self._n = 0
        # Op ids must be unique per board (R5): a random prefix per client, never id().
        self._prefix = secrets.token_hex(6)
        self.welcome: dict[str, Any] = {}

    async def connect(self, hello: bool = True, **kwargs: Any) -> None:
        self._ws = await websockets.connect(self.ws_url, **kwargs)
        self._reader = asyncio.create_task(self._read())
        if hello:
            await self.send({"type": "hello", "v": 1, "token": self.token, "name": self.name,
                             "group": self.group, "batch": self.batch})
            self.welcome = await self.wait_for(lambda f: f["type"] in ("welcome", "error"))

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader

    async def drop(self) -> None:
        """Vanish without a closing handshake, as a phone leaving the Wi-Fi does."""
        self._ws.transport.abort()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader

    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        await self._ws.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self._ws:
                message = json.loads(raw)
                if message["type"] == "batch":
                    assert self.batch, "a batch frame for a client that did not ask for one"
                    assert len(message["frames"]) > 1, "a batch of one frame"
                    self.batches += 1
                frames = message["frames"] if message["type"] == "batch" else [message]
                for frame in frames:
                    self._mirror(frame)
                async with self._changed:
                    self.frames.extend(frames)
                    self._changed.notify_all()
        async with self._changed:
            self._changed.notify_all()

    def _mirror(self, f: dict[str, Any]) -> None:
        if f["type"] == "state":
            m = self.boards.setdefault(f["board"], Mirror())
            s = f["state"]
            m.epoch = f["epoch"]
            notes = [{k: v for k, v in n.items() if k != "redacted"} for n in s["notes"]]
            m.state = BoardState.from_dict({**s, "notes": notes, "deleted": [], "noops": []})
        elif f["type"] == "event":
            m = self.boards.get(f["board"], Mirror())
            if m.state is None:  # resumed without a state: the test reads the raw frames
                return
            assert f["seq"] == m.state.seq + 1, f"gap or repeat: {m.state.seq} -> {f['seq']}"
            if not f["op"]:  # a corrupt log entry, skipped by every process
                m.state.seq = f["seq"]
                m.seqs.append(f["seq"])
                return
            a = f["actor"]
            apply(m.state, Entry(f["seq"], f["id"], f["ts"], Actor(**a), f["round"],
                                 BOARD_OP.validate_python(f["op"])))
            m.seqs.append(f["seq"])

    async def wait_for(self, pred: Any, timeout: float = 10.0, start: int = 0) -> dict[str, Any]:
        async def find() -> dict[str, Any]:
            async with self._changed:
                i = start
                while True:
                    for f in self.frames[i:]:
                        if pred(f):
                            return f
                    i = len(self.frames)
                    if self._reader is not None and self._reader.done():
                        raise ConnectionError("connection closed while waiting")
                    await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    async def subscribe(self, board: str, epoch: str | None = None, seq: int = 0) -> str:
        mark = len(self.frames)
        frame: dict[str, Any] = {"type": "subscribe", "board": board, "seq": seq}
        if epoch:
            frame["epoch"] = epoch
        await self.send(frame)
        await self.wait_for(lambda f: f["type"] == "caught_up" and f["board"] == board,
                            start=mark)
        got_state = any(f["type"] == "state" and f["board"] == board for f in self.frames[mark:])
        return "state" if got_state else "replay"

    def next_id(self, prefix: str = "o") -> str:
        self._n += 1
        return f"{prefix}{self._prefix}.{self._n}"

    async def op(self, board: str, op: dict[str, Any], op_id: str | None = None,
                 wait: bool = True) -> dict[str, Any]:
        op_id = op_id or self.next_id()
        mark = len(self.frames)
        await self.send({"type": "op", "id": op_id, "board": board, "op": op})
        if not wait:
            return {"id": op_id}
        return await self.wait_for(
            lambda f: f["type"] in ("ack", "error") and f.get("ref", f.get("id")) == op_id,
            start=mark)

    async def wait_seq(self, board: str, seq: int, timeout: float = 15.0) -> None:
        await self.wait_for(lambda f: (m := self.boards.get(board)) is not None
                            and m.state is not None and m.state.seq >= seq, timeout=timeout)

    def notes(self, board: str) -> dict[str, dict[str, Any]]:
        m = self.boards[board]
        assert m.state is not None
        return {k: v.to_dict() for k, v in m.state.notes.items()}


async def new_session(base: str, template: str = "vier-hoeken") -> dict[str, Any]:
    """A session made by the organiser the test signed in as (R31)."""
    return dict(await ahttp(base + "/api/sessions", {"template": template},
                            organiser_headers(base)))


async def participant(base: str, code: str, name: str = "", group: str = "") -> Client:
    joined = await ahttp(f"{base}/api/join/{code}")
    c = Client(base, joined["token"], name, group)
    await c.connect()
    return c
