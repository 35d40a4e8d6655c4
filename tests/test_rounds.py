"""Round stamps and round snapshots agree (R53): a note stamped round N is in "Einde ronde N"
and in no earlier round's snapshot — with writers sending notes at the very moment of
``round.next``, on SQLite and on Redis with two processes. And a note begun before the round
changed, finished at the corner the group just left, counts for the round it was begun in."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from redisproc import RedisProc
from serverproc import free_port, start_server, stop, wait_healthy
from test_access import acall
from wsharness import Client, live_server, new_session, participant

from server import admit
from server.auth import Grant
from server.board import Actor
from server.boardstate import BoardState
from server.config import Settings
from server.control import Control

GRACE = 1.0
ZONES = ["relevantie", "toepasbaarheid", "tips"]


async def write_through_round_changes(bases: list[str], rounds: int = 3) -> None:
    """Participants of four groups on two servers write at their group's corner while the
    facilitator moves the rounds on; then the invariant is checked for every note."""
    made = await new_session(bases[0])
    sid, code = made["session"]["id"], made["code"]
    control = sid + ".control"
    corners = {b["instrument"]: b["id"] for b in made["session"]["boards"]}
    fac = Client(bases[0], made["facilitator_token"], "F")
    await fac.connect()
    await fac.subscribe(control)
    writers = []
    for i in range(8):
        group = f"Groep {i % 4 + 1}"
        w = await participant(bases[i % len(bases)], code, f"W{i}", group)
        await w.subscribe(control)
        await w.op(control, {"kind": "group.join", "group": group})
        writers.append((w, group))
    counter = itertools.count()
    stop = asyncio.Event()

    async def write(w: Client, group: str) -> None:
        while not stop.is_set():
            ctl = w.boards[control].state.control  # type: ignore[union-attr]
            board = corners[ctl.corner_for(group) or "praatplaat"]
            k = next(counter)
            await w.op(board, {"kind": "note.add", "note": f"n{k}", "zone": ZONES[k % 3],
                               "text": f"notitie {k}"}, wait=False)
            await asyncio.sleep(0.01)

    tasks = [asyncio.create_task(write(w, g)) for w, g in writers]
    for _ in range(rounds - 1):
        await asyncio.sleep(0.4)
        assert (await fac.op(control, {"kind": "round.next"}))["type"] == "ack"
    await asyncio.sleep(0.4)
    stop.set()
    await asyncio.gather(*tasks)
    await asyncio.sleep(GRACE + 1.5)  # the grace, then the snapshots are taken
    tok = made["facilitator_token"]
    snaps = {}
    for n in range(1, rounds):
        for _ in range(50):
            status, _, body = await acall(
                "GET", f"{bases[0]}/api/sessions/{sid}/snapshots/Einde%20ronde%20{n}", tok)
            if status == 200:
                break
            await asyncio.sleep(0.2)
        assert status == 200, f"no snapshot of the end of round {n}"
        doc = json.loads(body)
        snaps[n] = {(b["id"], note["id"]) for b in doc["boards"] for note in b["state"]["notes"]}
    _, _, body = await acall("GET", f"{bases[0]}/api/sessions/{sid}/export.json", tok)
    final = json.loads(body)
    stamped = [(b["id"], note["id"], note["round"]) for b in final["boards"]
               for note in b["state"]["notes"]]
    assert len(stamped) > 50 and {r for *_, r in stamped} >= {1, 2, 3}
    wrong = []
    for board, note, n in stamped:
        for m in range(1, rounds):
            inside = (board, note) in snaps[m]
            if (m >= n) != inside:
                wrong.append((note, n, m, inside))
    assert wrong == [], wrong[:10]
    for w, _ in writers:
        await w.close()
    await fac.close()


async def test_R53_round_stamps_and_round_snapshots_agree_on_sqlite(tmp_path: Path) -> None:
    settings = Settings(store_url=f"sqlite:///{tmp_path}/vh.db", secret_key="r",
                        data_dir=tmp_path, round_grace_s=GRACE)
    async with live_server(settings) as base:
        await write_through_round_changes([base])


@pytest.mark.redis
@pytest.mark.slow
async def test_R53_round_stamps_and_round_snapshots_agree_on_redis_with_two_processes(
        tmp_path: Path, redis_server: RedisProc) -> None:
    env = {"STORE_URL": redis_server.url, "SECRET_KEY": "rounds", "DATA_DIR": str(tmp_path),
           "ROUND_GRACE_S": str(GRACE)}
    ports = [free_port(), free_port()]
    procs = [start_server(p, env, tmp_path / f"s{i}.log") for i, p in enumerate(ports)]
    try:
        for port, proc in zip(ports, procs, strict=True):
            await asyncio.to_thread(wait_healthy, port, 20.0, proc)
        await write_through_round_changes([f"http://127.0.0.1:{p}" for p in ports])
    finally:
        for proc in procs:
            with contextlib.suppress(Exception):
                stop(proc)


def test_R53_a_note_begun_before_the_round_changed_counts_for_its_round() -> None:
    """Pure admission: group 1 was at the matrix in round 1 and is at het 8-tje in round 2."""
    from server.protocol import BOARD_OP

    ctl = Control.fresh(("praatplaat", "matrix", "achtje", "reflectietool"),
                        ("Groep 1", "Groep 2"), 900)
    ctl.plan = [{"Groep 1": "matrix"}, {"Groep 1": "achtje"}]
    ctl.members["p1"] = "Groep 1"
    ctl.round = 2
    ctl.rounds = [{"from": 1, "to": 2, "ts": 1000.0, "seq": 9}]
    matrix = BoardState("s.matrix", ("tips",))
    grant = Grant("s", "participant", "p1", 1e12)
    me = Actor("p1", "An", "Groep 1")

    def round_of(started: int | None, now: float, board: BoardState = matrix) -> Any:
        op = BOARD_OP.validate_python({"kind": "note.add", "note": f"n{now}", "zone": "tips",
                                       "started_round": started})
        decided = admit.admit(grant, me, op, board, ctl, now=now, grace_s=60.0)
        assert isinstance(decided, admit.Admitted)
        return decided.round

    assert round_of(1, 1030.0) == 1  # finished within the grace at the corner of round 1
    assert round_of(None, 1030.0) == 2  # a note begun now is of this round
    assert round_of(1, 1090.0) == 2  # the grace is over
    assert round_of(1, 1030.0, BoardState("s.praatplaat", ("tips",))) == 2  # not their corner
