"""This server with ``tracemalloc`` on, to say where the memory of an idle connection goes.

``python -m bench.memprobe --port P --out DIR`` serves the real app (server.app.create_app with
server.cli.uvicorn_config, STORE_URL etc. from the environment, as ``python -m server serve``)
in a process that traces allocations. On SIGUSR1 it writes a snapshot to DIR/snap-<n>.pickle
(and DIR/snap-<n>.done when complete). ``diff(before, after, n)`` names the source lines whose
allocations grew between two snapshots, per connection.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tracemalloc.start(8)

    import uvicorn

    from server.cli import uvicorn_config
    from server.config import Settings

    settings = replace(Settings.from_env(), host="127.0.0.1", port=args.port)
    config = uvicorn_config(settings)
    config.log_level = "warning"
    server = uvicorn.Server(config)
    count = 0

    def dump() -> None:
        nonlocal count
        gc.collect()
        path = out / f"snap-{count}.pickle"
        tracemalloc.take_snapshot().dump(str(path))
        (out / f"snap-{count}.done").write_text("ok")
        count += 1

    async def serve() -> None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, dump)
        await server.serve()

    asyncio.run(serve())


def short(file: str) -> str:
    for mark in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if mark in file:
            return file.split(mark, 1)[1]
    return file


APP = ("server/", "starlette/", "uvicorn/", "websockets/")


def caller(tb: tracemalloc.Traceback) -> str:
    """The allocation site and the innermost frame of this project or its web stack above
    it (asyncio's own lines say little on their own)."""
    frames = list(tb)[::-1]  # tracemalloc keeps them oldest first: most recent first here
    site = frames[0] if frames else None
    for fr in frames:
        if any(m in fr.filename for m in APP):
            here = f"{short(fr.filename)}:{fr.lineno}"
            top = f"{short(site.filename)}:{site.lineno}" if site else ""
            return here if top == here else f"{top} ← {here}"
    return f"{short(site.filename)}:{site.lineno}" if site else "?"


def diff(before: Path, after: Path, n: int, top: int = 18) -> dict[str, Any]:
    a = tracemalloc.Snapshot.load(str(before))
    b = tracemalloc.Snapshot.load(str(after))
    filters = [tracemalloc.Filter(False, tracemalloc.__file__),
               tracemalloc.Filter(False, "<frozen importlib._bootstrap>")]
    a, b = a.filter_traces(filters), b.filter_traces(filters)
    files = b.compare_to(a, "filename")
    grouped: dict[str, list[float]] = {}
    for s in b.compare_to(a, "traceback"):
        key = caller(s.traceback)
        g = grouped.setdefault(key, [0.0, 0.0])
        g[0] += s.size_diff
        g[1] += s.count_diff
    total = sum(v[0] for v in grouped.values())
    by_line = sorted(grouped.items(), key=lambda kv: -kv[1][0])[:top]
    return {
        "connections": n, "traced_kib_per_conn": total / n / 1024,
        "by_line": [{"where": k, "kib_per_conn": v[0] / n / 1024, "blocks_per_conn": v[1] / n}
                    for k, v in by_line if v[0] > 0],
        "by_file": [{"file": short(s.traceback[0].filename),
                     "kib_per_conn": s.size_diff / n / 1024}
                    for s in files[:top] if s.size_diff > 0],
    }


if __name__ == "__main__":
    main()
