"""Peer (2), the cost of the stack: the same relay as a Starlette websocket endpoint on uvicorn.

Same behaviour as bench/relay_ws.py (every text frame to every connection of the room, nothing
checked or stored), served the way a Starlette app serves a websocket (and this project did before
server/wire.py): Starlette routing, uvicorn with ``ws="websockets-sansio"``, no compression,
64 KiB frames. The fan-out
awaits ``send_text`` per receiver; uvicorn's send does not suspend while the receiver's
transport is writable, so this is a plain loop of writes, like ``websockets.broadcast``.
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

ROOMS: dict[str, set[WebSocket]] = {}


async def relay(websocket: WebSocket) -> None:
    await websocket.accept()
    room = ROOMS.setdefault(websocket.url.path, set())
    room.add(websocket)
    try:
        while True:
            text = await websocket.receive_text()
            for ws in list(room):
                try:
                    await ws.send_text(text)
                except (WebSocketDisconnect, RuntimeError, OSError):
                    room.discard(ws)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        room.discard(websocket)


async def health(request: object) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Starlette(routes=[Route("/healthz", health), WebSocketRoute("/{room:path}", relay)])

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    uvicorn.run(app, host="127.0.0.1", port=port, ws="websockets-sansio",
                ws_max_size=64 * 1024, ws_per_message_deflate=False, ws_ping_interval=20.0,
                ws_ping_timeout=20.0, lifespan="off", log_level="warning")
