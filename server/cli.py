"""The ``vierhoeken`` command: ``serve`` (the default) starts the server; ``organiser`` manages
who may make sessions; ``export``, ``import``, ``snapshots``, ``delete`` and ``purge`` work on the
store of STORE_URL directly, also while the server runs (SQLite in WAL mode, or Redis)."""

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

from . import guard, wire
from .app import create_app
from .config import Settings
from .protocol import MAX_FRAME_BYTES
from .store import Store, StoreUnavailable, open_store

log = logging.getLogger("vierhoeken.cli")

# Keepalive: every connection is pinged this often; one that has not answered by the next
# ping is closed (1011).
PING_INTERVAL_S = 20.0


def uvicorn_config(settings: Settings) -> uvicorn.Config:
    """The uvicorn settings the protocol relies on: HTTP goes to the Starlette app, websocket
    upgrades to ``wire`` (R3: 64 KiB frames, no compression offered); every connection passes
    the gate first (R42: counted per address and in all, a deadline for the request head)."""
    app = create_app(settings)
    gate = guard.Gate(settings)
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=guard.bind(gate, settings.head_timeout_s),
        ws=wire.bind(app.state.server, PING_INTERVAL_S, echo=settings.conformance, gate=gate),
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
    # Every connection is an open file: take all the system allows (R42). The gate fits
    # MAX_CONNECTIONS to what this gives.
    before, after = guard.raise_fd_limit()
    log.info("open files: at most %d (soft limit %s)", after,
             f"raised from {before}" if after > before else "as it was, the hard limit")
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
    from . import archivist, templates
    from .organiser_http import OWNS
    from .organisers import Organisers

    org = await Organisers(store).find(args.owner)
    doc = orjson.loads(Path(args.file).read_bytes())
    rec = await archivist.import_document(store, templates.catalog(), doc, owner=org.id)
    await store.put_record(OWNS + org.id, rec.id, "{}")
    print(f"imported session {rec.id} (code {rec.code}, {len(rec.boards)} boards) "
          f"for organiser {org.name}")
    return 0


async def _snapshots(store: Store, args: Any) -> int:
    from . import archivist

    rec = await archivist.find_session(store, args.session)
    for meta in await archivist.snapshots(store, rec.id):
        print(f"{meta['name']}\t{meta['reason']}\t{meta['taken']:.0f}\t"
              f"{meta['counts']['notes']} notes\t{meta['hash'][:12]}")
    return 0


async def _delete(store: Store, args: Any) -> int:
    from . import archivist, lifecycle
    from .organiser_http import OWNS

    rec = await archivist.find_session(store, args.session)
    await lifecycle.delete(store, rec)
    if rec.owner:
        await store.delete_record(OWNS + rec.owner, rec.id)
    print(f"deleted session {rec.id} ({rec.title}) with its boards and snapshots")
    return 0


async def _purge(store: Store, args: Any, days: int) -> int:
    from . import lifecycle

    if days <= 0:
        print("retention is off (RETENTION_DAYS=0 and no --days): nothing deleted")
        return 0
    gone = await lifecycle.purge(store, days)
    print(f"deleted {len(gone)} sessions older than {days} days")
    return 0


async def _organiser(store: Store, args: Any, settings: Settings) -> int:
    """``organiser add|list|remove|link|token|signout`` (R31)."""
    from .auth import Signer
    from .organisers import Organisers

    organisers = Organisers(store)
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    if args.action == "list":
        for org in await organisers.all():
            how = "password" if org.password else "link only"
            last = f"last sign-in {org.signed_in:.0f}" if org.signed_in else "never signed in"
            print(f"{org.name}\t{org.id}\t{how}\t{last}")
        return 0
    if not args.name:
        print(f"vierhoeken organiser {args.action}: which organiser? (NAME)", file=sys.stderr)
        return 2
    if args.action == "add":
        org = await organisers.add(args.name)
        print(f"organiser {org.name} added; one-time sign-in link (24 hours):")
        print(f"{base}/o/{await organisers.new_link(org)}")
        return 0
    org = await organisers.find(args.name)
    if args.action == "remove":
        await organisers.remove(org)
        print(f"organiser {org.name} removed; their sign-ins stopped (their sessions stay)")
    elif args.action == "link":
        print(f"{base}/o/{await organisers.new_link(org)}")
    elif args.action == "signout":
        await organisers.sign_out_everywhere(org)
        print(f"every sign-in of {org.name} has ended")
    elif args.action == "token":
        # For scripts: the same credential as the browser's cookie, as a bearer token.
        signer = Signer(settings.signing_key())
        print(signer.issue_organiser(org.id, org.generation, settings.organiser_days * 86400.0))
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
    imp = sub.add_parser("import", help="import a JSON export as a new session")
    imp.add_argument("file")
    imp.add_argument("--owner", required=True, help="the organiser (name or id) it is for")
    org = sub.add_parser("organiser", help="who may make sessions: add, list, remove, link, "
                                           "token, signout")
    org.add_argument("action", choices=["add", "list", "remove", "link", "token", "signout"])
    org.add_argument("name", nargs="?", help="the organiser's name (or id)")
    snaps = sub.add_parser("snapshots", help="list a session's snapshots")
    snaps.add_argument("session")
    dele = sub.add_parser("delete", help="delete a session with its boards and snapshots")
    dele.add_argument("session")
    purge = sub.add_parser("purge", help="delete sessions older than the retention period")
    purge.add_argument("--days", type=int, help="instead of RETENTION_DAYS")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a setting that cannot be right: one line, no traceback
        print(f"vierhoeken: {exc}", file=sys.stderr)
        return 2
    if args.command in (None, "serve"):
        overrides = {k: v for k, v in (("host", getattr(args, "host", None)),
                                       ("port", getattr(args, "port", None))) if v is not None}
        if overrides:
            from dataclasses import replace

            settings = replace(settings, **overrides)
        return serve(settings)
    return _archive_command(settings, args)


def _archive_command(settings: Settings, args: Any) -> int:
    from . import archive, archivist, lifecycle
    from .organisers import OrganiserError

    commands: dict[str, Callable[[Store], Awaitable[int]]] = {
        "organiser": lambda s: _organiser(s, args, settings),
        "export": lambda s: _export(s, args),
        "import": lambda s: _import(s, args),
        "snapshots": lambda s: _snapshots(s, args),
        "delete": lambda s: _delete(s, args),
        "purge": lambda s: _purge(s, args, args.days or settings.retention_days),
    }
    try:
        return asyncio.run(_with_store(settings, commands[args.command]))
    except (archivist.NotFound, archive.ImportRefused, ValueError, OSError,
            StoreUnavailable, OrganiserError, lifecycle.NoFreeId) as exc:
        print(f"vierhoeken {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
