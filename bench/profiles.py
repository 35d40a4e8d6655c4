"""A cProfile dump of the server summarised: where its time went, by function and by package."""

from __future__ import annotations

import pstats
from pathlib import Path
from typing import Any

from bench.inprocess import short

PACKAGES = [
    ("server/", "server (this project)"),
    ("pydantic", "pydantic"),
    ("starlette", "starlette"),
    ("uvicorn", "uvicorn"),
    ("websockets", "websockets"),
    ("orjson", "orjson"),
    ("asyncio", "asyncio"),
    ("uvloop", "uvloop"),
]


# Functions the report's reading of the profile refers to: (name, where it is defined).
NAMED = {
    "connection.Connection.send": ("send", "server/connection.py"),
    "wire.Wire._write": ("_write", "server/wire.py"),
    "wire frame cache": ("__call__", "server/wire.py"),
    "wire.Wire.data_received": ("data_received", "server/wire.py"),
    "wire.Wire._message": ("_message", "server/wire.py"),
    "websockets parser": ("parse", "websockets/protocol.py"),
    "room.Room._flush": ("_flush", "server/room.py"),
    "room.Room._apply": ("_apply", "server/room.py"),
    "room.Room._fan_out": ("_fan_out", "server/room.py"),
    "drags.BoardDrags._flush": ("_flush", "server/drags.py"),
    "room.Room._snapshot": ("_snapshot", "server/room.py"),
    "connection.encode": ("encode", "server/connection.py"),
    "gateway.Gateway.receive": ("receive", "server/gateway.py"),
    "gateway._handle": ("_handle", "server/gateway.py"),
    "gateway._op": ("_op", "server/gateway.py"),
    "admit.admit": ("admit", "server/admit.py"),
    "protocol.parse_client": ("parse_client", "server/protocol.py"),
    "board.apply": ("apply", "server/board.py"),
    "dataclasses.asdict": ("asdict", "dataclasses.py"),
    "presence.Tracker.tick": ("tick", "server/presence.py"),
}


def package(file: str, func: str) -> str:
    for mark, name in PACKAGES:
        if mark in file:
            return name
    if file == "~":
        low = func.lower()
        for mark, name in PACKAGES:
            if mark.strip("/") in low:
                return name
        if "orjson" in low or "dumps" in low or "loads" in low:
            return "orjson / builtins"
        if "select" in low or "epoll" in low or "poll" in low:
            return "waiting in epoll (idle)"
        return "builtins"
    return "other"


def summarise(path: Path, title: str, top: int = 25) -> dict[str, Any]:
    stats = pstats.Stats(str(path))
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values()) or 1e-9
    idle = 0.0
    by_pkg: dict[str, float] = {}
    rows = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in raw.items():
        pkg = package(file, func)
        if pkg.startswith("waiting"):
            idle += tt
        by_pkg[pkg] = by_pkg.get(pkg, 0.0) + tt
        rows.append({"function": func, "where": f"{short(file)}:{line}", "package": pkg,
                     "ncalls": nc, "tottime_s": tt, "cumtime_s": ct})
    busy = max(total - idle, 1e-9)
    for r in rows:
        r["pct_busy"] = 100 * r["tottime_s"] / busy
        r["cum_pct_busy"] = 100 * r["cumtime_s"] / busy
    by_tot = sorted((r for r in rows if not r["package"].startswith("waiting")),
                    key=lambda r: -r["tottime_s"])[:top]
    # Cumulative time, leaving out the event loop's own frames (they contain everything).
    skip = ("run_forever", "run_until_complete", "_run_once", "_run", "run", "<module>",
            "<built-in method builtins.exec>", "serve", "main", "_run_module_as_main",
            "_run_code", "runctx", "run_module", "_serve", "startup", "__call__")
    by_cum = sorted((r for r in rows if r["function"] not in skip
                     and not r["package"].startswith("waiting")),
                    key=lambda r: -r["cumtime_s"])[:top]
    named: dict[str, dict[str, float]] = {}
    for key, (func, where) in NAMED.items():
        hit = [r for r in rows if r["function"] == func and where in r["where"]]
        if hit:
            named[key] = {"cum_pct": sum(r["cum_pct_busy"] for r in hit),
                          "own_pct": sum(r["pct_busy"] for r in hit),
                          "ncalls": sum(r["ncalls"] for r in hit)}
    queue_own = sum(r["pct_busy"] for r in rows if "asyncio/queues.py" in r["where"])
    named["asyncio.Queue (all methods, own)"] = {"cum_pct": queue_own, "own_pct": queue_own,
                                                 "ncalls": 0}
    return {"title": title, "total_s": total, "idle_s": idle, "busy_s": busy, "named": named,
            "by_package": sorted(({"package": k, "tottime_s": v, "pct_busy": 100 * v / busy}
                                  for k, v in by_pkg.items() if not k.startswith("waiting")),
                                 key=lambda r: -r["tottime_s"]),
            "top_tottime": by_tot, "top_cumtime": by_cum}


def gc_pauses(data: dict[str, Any], t0: float, t1: float) -> dict[str, Any]:
    """The collector's pauses inside the measured window, per generation."""
    out: dict[str, Any] = {"window_s": t1 - t0, "by_generation": {}}
    for gen, dur, at in data.get("pauses", []):
        if not t0 <= at <= t1:
            continue
        g = out["by_generation"].setdefault(str(gen), {"count": 0, "total_ms": 0.0,
                                                       "max_ms": 0.0})
        g["count"] += 1
        g["total_ms"] += dur * 1000
        g["max_ms"] = max(g["max_ms"], dur * 1000)
    return out
