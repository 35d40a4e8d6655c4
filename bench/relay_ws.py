"""Peer (1), the Python ceiling: a raw relay on the ``websockets`` library.

Every text frame a client sends is passed, as it is, to every connection of the same room (the
URL path) with ``websockets.broadcast``: no parsing, no validation, no storage, no order but
arrival. It runs on uvloop when installed, as uvicorn does for the servers under test.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from websockets.asyncio.server import ServerConnection, broadcast, serve

ROOMS: dict[str, set[ServerConnection]] = {}


async def handler(ws: ServerConnection) -> None:
    room = ROOMS.setdefault(ws.request.path if ws.request else "/", set())
    room.add(ws)
    try:
        while True:
            message = await ws.recv(decode=False)
            broadcast(room, message, text=True)
    except Exception:
        pass
    finally:
        room.discard(ws)


async def main(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(handler, "127.0.0.1", port, compression=None, max_size=64 * 1024,
                     ping_interval=20, ping_timeout=20):
        print(f"relay_ws on 127.0.0.1:{port}", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(port))
    else:
        uvloop.run(main(port))
