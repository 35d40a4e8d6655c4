"""The ``vierhoeken`` command: ``vierhoeken [serve]`` starts the server."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import uvicorn

from .app import create_app
from .config import Settings
from .protocol import MAX_FRAME_BYTES
from .store import StoreUnavailable, open_store


def uvicorn_config(settings: Settings) -> uvicorn.Config:
    """The uvicorn settings the protocol relies on (R3: 64 KiB frames, no compression)."""
    return uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ws="websockets-sansio",
        ws_max_size=MAX_FRAME_BYTES,
        ws_per_message_deflate=False,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        lifespan="on",
        log_level="info",
        proxy_headers=True,
    )


async def _probe(settings: Settings) -> None:
    store = open_store(settings.store_url)
    await store.open()
    await store.close()


def serve(settings: Settings) -> int:
    try:
        asyncio.run(_probe(settings))
    except (StoreUnavailable, ValueError) as exc:
        print(f"vierhoeken: cannot start: {exc}", file=sys.stderr)
        return 2
    server = uvicorn.Server(uvicorn_config(settings))
    server.run()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vierhoeken", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("serve", help="start the server (the default)")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    overrides = {k: v for k, v in (("host", getattr(args, "host", None)),
                                   ("port", getattr(args, "port", None))) if v is not None}
    if overrides:
        from dataclasses import replace

        settings = replace(settings, **overrides)
    return serve(settings)


if __name__ == "__main__":
    sys.exit(main())
