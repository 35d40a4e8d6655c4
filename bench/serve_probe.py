"""``python -m bench.serve_probe --profile OUT.prof --gc OUT.json --port P``: this server
(``server.cli.main(["serve", ...])``, exactly what ``python -m server serve`` runs) under
cProfile, with every garbage-collector pause recorded through ``gc.callbacks``. Both are
written when the server stops (SIGTERM: uvicorn shuts down and ``main`` returns).

The same as ``python -m cProfile -o OUT.prof -m server serve``, plus the GC pauses, which
cProfile does not see.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import signal
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", required=True)
    ap.add_argument("--gc", required=True)
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
