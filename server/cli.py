"""The ``vierhoeken`` command: ``serve`` (the default) starts the server; ``export``, ``import``,
``report``, ``snapshots``, ``delete`` and ``purge`` work on the store of STORE_URL directly, also
while the server runs (SQLite in WAL mode, or Redis)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import uvicorn

from . import wire
from .app import create_app
from .config import Settings
from .protocol import MAX_FRAME_BYTES
from .store import Store, StoreUnavailable, open_store

# Keepalive: every connection is pinged this often; one that has not answered by the next
# ping is closed (1011).
PING_INTERVAL_S = 20.0


def uvicorn_config(settings: Settings) -> uvicorn.Config:
    """The uvicorn settings the protocol relies on: HTTP goes to the Starlette app, websocket
    upgrades to ``wire`` (R3: 64 KiB frames, no compression offered)."""
    app = create_app(settings)
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ws=wire.bind(app.state.server, PING_INTERVAL_S, echo=settings.conformance),
        ws_max_size=MAX_FRAME_BYTES,
        ws_per_message_deflate=False,
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


# --- archive commands ----------------------------------------------------------------------------


async def _with_store(settings: Settings, work: Callable[[Store], Awaitable[int]]) -> int:
    store = open_store(settings.store_url)
    await store.open()
    try:
        return await work(store)
    finally:
        await store.close()


def _write(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


async def _export(store: Store, args: Any) -> int:
    from . import archive, archivist
    from .archive_http import render

    docs = []
    for key in args.session:
        rec = await archivist.find_session(store, key)
        doc = (await archivist.open_snapshot(store, rec.id, args.snapshot) if args.snapshot
               else await archivist.stored_document(store, rec))
        docs.append(archive.anonymise(doc) if args.anonymous else doc)
    _write(render(docs, args.format), args.output)
    return 0


async def _import(store: Store, args: Any) -> int:
    from . import archivist

    doc = orjson.loads(Path(args.file).read_bytes())
    rec = await archivist.import_document(store, doc, as_new=args.as_new)
    print(f"imported session {rec.id} (code {rec.code}, {len(rec.boards)} boards)")
    return 0


async def _snapshots(store: Store, args: Any) -> int:
    from . import archivist

    rec = await archivist.find_session(store, args.session)
    for meta in await archivist.snapshots(store, rec.id):
        print(f"{meta['name']}\t{meta['reason']}\t{meta['taken']:.0f}\t"
              f"{meta['counts']['notes']} notes\t{meta['hash'][:12]}")
    return 0


async def _delete(store: Store, args: Any) -> int:
    from . import archivist

    rec = await archivist.find_session(store, args.session)
    await archivist.delete(store, rec)
    print(f"deleted session {rec.id} ({rec.title}) with its boards and snapshots")
    return 0


async def _purge(store: Store, args: Any, days: int) -> int:
    from . import archivist

    if days <= 0:
        print("retention is off (RETENTION_DAYS=0 and no --days): nothing deleted")
        return 0
    gone = await archivist.purge(store, days)
    print(f"deleted {len(gone)} sessions older than {days} days")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vierhoeken", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("serve", help="start the server (the default)")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    exp = sub.add_parser("export", help="export a session (or merge several into one report)")
    exp.add_argument("session", nargs="+", help="session id or join code")
    exp.add_argument("--format", choices=["json", "csv", "md", "html"], default="json")
    exp.add_argument("--snapshot", help="a named snapshot instead of the current state")
    exp.add_argument("--anonymous", action="store_true", help="leave out participant names")
    exp.add_argument("-o", "--output", help="file to write (default: standard output)")
    imp = sub.add_parser("import", help="import a JSON export as a session")
    imp.add_argument("file")
    imp.add_argument("--as-new", action="store_true", help="under a new id and join code")
    snaps = sub.add_parser("snapshots", help="list a session's snapshots")
    snaps.add_argument("session")
    dele = sub.add_parser("delete", help="delete a session with its boards and snapshots")
    dele.add_argument("session")
    purge = sub.add_parser("purge", help="delete sessions older than the retention period")
    purge.add_argument("--days", type=int, help="instead of RETENTION_DAYS")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    if args.command in (None, "serve"):
        overrides = {k: v for k, v in (("host", getattr(args, "host", None)),
                                       ("port", getattr(args, "port", None))) if v is not None}
        if overrides:
            from dataclasses import replace

            settings = replace(settings, **overrides)
        return serve(settings)
    return _archive_command(settings, args)


def _archive_command(settings: Settings, args: Any) -> int:
    from . import archive, archivist

    commands: dict[str, Callable[[Store], Awaitable[int]]] = {
        "export": lambda s: _export(s, args),
        "import": lambda s: _import(s, args),
        "snapshots": lambda s: _snapshots(s, args),
        "delete": lambda s: _delete(s, args),
        "purge": lambda s: _purge(s, args, args.days or settings.retention_days),
    }
    try:
        return asyncio.run(_with_store(settings, commands[args.command]))
    except (archivist.NotFound, archive.ImportRefused, ValueError, OSError,
            StoreUnavailable) as exc:
        print(f"vierhoeken {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
