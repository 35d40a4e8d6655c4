"""``python -m bench.serve_probe --profile OUT.prof --gc OUT.json --port P``: this server
(``server.cli.main(["serve", ...])``, exactly what ``python -m server serve`` runs) under
cProfile, with every garbage-collector pause recorded through ``gc.callbacks``. Both are
written when the server stops (SIGTERM: uvicorn shuts down and ``main`` returns).

The same as ``python -m cProfile -o OUT.prof -m server serve``, plus the GC pauses, which
cProfile does not see.

``--lag OUT.json`` (instead of ``--profile``): no profiler; a task in the server's event loop
sleeps 1 ms at a time and records each overshoot over 2 ms with its ``time.monotonic()``, so a
harness can tell how long the loop stalled while it made a request (bench/heavy.py, R44). The
overshoots and the GC pauses go to that file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import json
import signal
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

# Overshoots of the 1 ms probe sleep worth recording (shorter ones are timer noise).
LAG_FLOOR_S = 0.002


def probe_loop(lags: list[tuple[float, float, float]], ticks: list[int]) -> None:
    """Start the lag probe with the app: wrap the server's lifespan (bench only)."""
    from server import app as app_module

    inner = app_module.Server.lifespan

    @contextlib.asynccontextmanager
    async def lifespan(self: Any, app: Any) -> AsyncIterator[None]:
        async def probe() -> None:
            # With each overshoot, the CPU this process (all its threads) used meanwhile: on a
            # shared machine a process that is not given a CPU is late too, and that is the
            # machine's doing, not the server's.
            clock, cpu = time.perf_counter, time.process_time
            while True:
                t0, c0 = clock(), cpu()
                await asyncio.sleep(0.001)
                late = clock() - t0 - 0.001
                ticks[0] += 1
                if late > LAG_FLOOR_S:
                    lags.append((time.monotonic(), late, cpu() - c0))

        task = asyncio.create_task(probe())
        try:
            async with inner(self, app):
                yield
        finally:
            task.cancel()

    app_module.Server.lifespan = lifespan  # type: ignore[method-assign]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="")
    ap.add_argument("--gc", default="")
    ap.add_argument("--lag", default="")
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    pauses: list[tuple[int, float, float]] = []
    started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((info["generation"], time.perf_counter() - started[0],
                           time.monotonic()))

    gc.callbacks.append(on_gc)

    def stop(signum: int, frame: object) -> None:
        # uvicorn handles SIGTERM while it serves, then restores this handler and raises the
        # signal again: leave through ``finally`` so the profile is written.
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    from server.cli import main as serve

    if args.lag:
        lags: list[tuple[float, float, float]] = []
        ticks = [0]
        probe_loop(lags, ticks)
        try:
            rc = serve(["serve", "--host", "127.0.0.1", "--port", str(args.port)])
        finally:
            with open(args.lag, "w") as fh:
                json.dump({"lags": lags, "pauses": pauses, "ticks": ticks[0]}, fh)
        return rc
    prof = cProfile.Profile()
    prof.enable()
    try:
        rc = serve(["serve", "--host", "127.0.0.1", "--port", str(args.port)])
    finally:
        prof.disable()
        prof.dump_stats(args.profile)
        with open(args.gc, "w") as fh:
            json.dump({"pauses": pauses}, fh)
    return rc


if __name__ == "__main__":
    sys.exit(main())
