"""The server's own work for a full-state join, measured in this process (no network).

Builds the state of a corner board with ``n`` notes through the server's own ``apply`` and
times ``Room.state_frame`` (server/room.py) with its cache emptied, which is what the first
subscriber after a change costs. Also profiles it once, so a slow join names its hot
functions.
"""

from __future__ import annotations

import cProfile
import pstats
import random
import time
from pathlib import Path
from typing import Any


def state_encode(n: int, workdir: Path, repeats: int = 5) -> dict[str, Any]:
    from server.board import Actor, Entry, apply
    from server.boardstate import BoardState
    from server.connection import encode
    from server.protocol import BOARD_OP, State
    from server.session import new_session
    from server.templates import catalog

    rec = new_session(catalog(), "vier-hoeken")
    info = rec.boards[0]
    state = BoardState(board_id=info.id, zones=tuple(info.zones), spec=info.spec())
    rnd = random.Random(5)
    words = ["meer", "tijd", "voor", "gesprekken", "met", "het", "bedrijfsleven", "docenten",
             "partners", "samen"]
    for k in range(n):
        op = BOARD_OP.validate_python({
            "kind": "note.add", "note": f"n{k}", "zone": info.zones[k % len(info.zones)],
            "text": " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 9))),
            "color": "yellow", "x": float(k % 400), "y": float(k % 300)})
        apply(state, Entry(k + 1, f"o{k}", 1.7e9 + k, Actor(f"p{k % 300}", f"Naam {k % 300}",
                                                             "Groep 1"), 1, op))

    try:  # the server's own path: Room.state_frame, its cache emptied before every call
        from server.registry import Registry
        from server.room import Room
        from server.store import open_store

        room = Room(Registry(open_store("memory://")), info, "e", state)

        def frame() -> str:
            room._state_cache = None
            return str(room.state_frame())
    except Exception:  # a server without that shape: the frame as the protocol defines it
        def frame() -> str:
            return encode(State(board=info.id, epoch="e", seq=state.seq,
                                state=state.public_dict()))

    times = []
    text = ""
    for _ in range(repeats):
        t0 = time.perf_counter()
        text = frame()
        times.append((time.perf_counter() - t0) * 1000)
    prof = cProfile.Profile()
    prof.enable()
    frame()
    prof.disable()
    path = workdir / "state_encode.prof"
    prof.dump_stats(path)
    stats = pstats.Stats(str(path))
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    top = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in sorted(
            stats.stats.items(), key=lambda kv: -kv[1][2])[:8]:  # type: ignore[attr-defined]
        top.append({"function": f"{func} ({short(file)}:{line})", "ncalls": nc,
                    "tottime_ms": tt * 1000, "pct": 100 * tt / total, "cumtime_ms": ct * 1000})
    return {"notes": n, "bytes": len(text.encode()), "encode_ms": times[0],
            "profile_total_ms": total * 1000,
            "encode_min_ms": min(times), "times_ms": times, "profile": top}


def short(file: str) -> str:
    for mark in ("site-packages/", "/work/main/", "lib/python3"):
        if mark in file:
            return file.split(mark, 1)[1]
    return file
