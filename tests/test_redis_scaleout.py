"""Several server processes on one real redis-server: one truth per board."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redisproc import RedisProc, kill, restart, start_redis
from redisproc import stop as stop_redis
from serverproc import free_port, start_server, stop, wait_healthy
from wsharness import Client, ahttp, new_session, participant

pytestmark = [pytest.mark.redis, pytest.mark.slow]
ZONES = ["relevantie", "toepasbaarheid", "tips"]


class Cluster:
    def __init__(self, tmp: Path, redis: RedisProc) -> None:
        self.tmp, self.redis = tmp, redis
        self.env = {"STORE_URL": redis.url, "SECRET_KEY": "cluster-secret", "DATA_DIR": str(tmp)}
        self.ports = [free_port(), free_port()]
        self.procs = [start_server(p, self.env, tmp / f"server{i}.log")
                      for i, p in enumerate(self.ports)]

    async def ready(self) -> None:
        for port, proc in zip(self.ports, self.procs, strict=True):
            await asyncio.to_thread(wait_healthy, port, 20.0, proc)

    def base(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}"

    def close(self) -> None:
        for proc in self.procs:
            stop(proc)


@pytest.fixture
def durable_redis(tmp_path: Path) -> Iterator[RedisProc]:
    rp = start_redis(tmp_path / "redis", durable=True)
    try:
        yield rp
    finally:
        stop_redis(rp)


@pytest.fixture
async def cluster(tmp_path: Path, durable_redis: RedisProc) -> Any:
    c = Cluster(tmp_path, durable_redis)
    try:
        await c.ready()
        yield c
    finally:
        c.close()


async def spread_clients(cluster: Cluster, code: str, board: str, n: int) -> list[Client]:
    clients = [await participant(cluster.base(i % 2), code, f"P{i}") for i in range(n)]
    for c in clients:
        await c.subscribe(board)
    return clients


async def workload(c: Client, i: int, board: str, ops: int) -> list[dict[str, Any]]:
    rng = random.Random(i)
    mine: list[str] = []
    answers = []
    for k in range(ops):
        if not mine or rng.random() < 0.5:
            nid = f"c{i}n{k}"
            mine.append(nid)
            op: dict[str, Any] = {"kind": "note.add", "note": nid, "zone": rng.choice(ZONES),
                                  "text": f"{i}.{k}"}
        else:
            kind = rng.choice(["note.edit", "note.move", "note.delete"])
            nid = rng.choice(mine)
            op = {"kind": kind, "note": nid}
            if kind == "note.edit":
                op["text"] = f"bewerkt {i}.{k}"
            elif kind == "note.move":
                op.update(x=rng.random() * 40, y=rng.random() * 40, zone=rng.choice(ZONES))
            else:
                mine.remove(nid)
        answers.append(await c.op(board, op))
    return answers


async def test_two_processes_ten_clients_converge(cluster: Cluster) -> None:
    s = await new_session(cluster.base(0))
    board = s["session"]["boards"][2]["id"]
    clients = await spread_clients(cluster, s["code"], board, 10)
    results = await asyncio.gather(*(workload(c, i, board, 20) for i, c in enumerate(clients)))
    acks = [a for r in results for a in r]
    assert all(a["type"] == "ack" for a in acks), [a for a in acks if a["type"] != "ack"][:3]
    seqs = sorted(a["seq"] for a in acks)
    assert seqs == list(range(1, len(acks) + 1)), "gaps or duplicate seqs across processes"
    for c in clients:
        await c.wait_seq(board, seqs[-1])
    reference = clients[0].notes(board)
    for c in clients:
        assert c.boards[board].seqs == seqs  # every event once, in order, on both processes
        assert c.notes(board) == reference
    for c in clients:
        await c.close()


async def test_kill_9_of_one_process_clients_resume_on_the_other(cluster: Cluster) -> None:
    s = await new_session(cluster.base(0))
    board = s["session"]["boards"][0]["id"]
    clients = await spread_clients(cluster, s["code"], board, 6)
    sent: dict[str, tuple[int, dict[str, Any]]] = {}

    async def write(i: int, c: Client) -> None:
        for k in range(300):
            op = {"kind": "note.add", "note": f"c{i}n{k}", "zone": "tips", "text": f"{k}"}
            op_id = f"c{i}.{k}"
            sent[op_id] = (i, op)
            try:
                await c.op(board, op, op_id=op_id, wait=False)
            except Exception:
                return
            await asyncio.sleep(0.005)

    writers = [asyncio.create_task(write(i, c)) for i, c in enumerate(clients)]
    while sum(f["type"] == "ack" for c in clients for f in c.frames) < 200:
        await asyncio.sleep(0.01)
    stop(cluster.procs[0], __import__("signal").SIGKILL)
    for i in range(0, 6, 2):  # the clients of process 0 stop writing when their socket dies
        await asyncio.wait_for(writers[i], 10)
    for w in writers[1::2]:
        w.cancel()
    await asyncio.gather(*writers, return_exceptions=True)
    acked = {f["id"] for c in clients for f in c.frames if f["type"] == "ack"}

    # Everyone resumes on process 1 with the epoch and seq it has, then resends what is unacked.
    resumed = []
    for i, old in enumerate(clients):
        c = Client(cluster.base(1), old.token, old.name)
        c.boards[board] = old.boards[board]
        await c.connect()
        mode = await c.subscribe(board, old.boards[board].epoch,
                                 old.boards[board].state.seq)  # type: ignore[union-attr]
        assert mode == "replay"
        for op_id, (owner, op) in sent.items():
            if owner == i and op_id not in acked:
                ans = await c.op(board, op, op_id=op_id)
                assert ans["type"] == "ack", ans
        resumed.append(c)
        if i % 2 == 1:
            await old.close()
    head = max(f["seq"] for c in resumed for f in c.frames if f["type"] == "ack")
    for c in resumed:
        await c.wait_seq(board, head)
    notes = resumed[0].notes(board)
    assert {op["note"] for op_id, (_, op) in sent.items() if op_id in acked} <= set(notes)
    assert len(notes) == len({op["note"] for _, op in sent.values()})  # all sent, none twice
    for c in resumed:
        assert c.notes(board) == notes
        assert c.boards[board].seqs == list(range(1, head + 1))
        await c.close()


async def test_R13_redis_down_10s_nothing_acked_then_recovers(cluster: Cluster) -> None:
    s = await new_session(cluster.base(0))
    board = s["session"]["boards"][1]["id"]
    a = await participant(cluster.base(0), s["code"], "A")
    b = await participant(cluster.base(1), s["code"], "B")
    for c in (a, b):
        await c.subscribe(board)
    assert (await a.op(board, {"kind": "note.add", "note": "voor", "zone": "tips"}))["seq"] == 1
    await b.wait_seq(board, 1)
    mark_a, mark_b = len(a.frames), len(b.frames)
    kill(cluster.redis)
    down_answers = []
    for k in range(5):
        down_answers.append(await a.op(board, {"kind": "note.add", "note": f"tijdens{k}",
                                               "zone": "tips"}, op_id=f"down{k}"))
    assert all(x["type"] == "error" and x["code"] == "store_unavailable" for x in down_answers)
    await a.wait_for(lambda f: f["type"] == "status" and not f["writable"], start=mark_a)
    health = await asyncio.to_thread(_status, cluster.base(1) + "/healthz")
    assert health == 503
    await asyncio.sleep(10)
    restart(cluster.redis)
    for c, mark in ((a, mark_a), (b, mark_b)):
        await c.wait_for(lambda f: f["type"] == "status" and f["writable"], start=mark,
                         timeout=20)
    again = await a.op(board, {"kind": "note.add", "note": "tijdens0", "zone": "tips"},
                       op_id="down0")
    assert again["type"] == "ack" and again["seq"] == 2
    await b.wait_seq(board, 2)
    assert sorted(b.notes(board)) == ["tijdens0", "voor"]
    assert (await ahttp(cluster.base(1) + "/healthz"))["reachable"] is True
    for c in (a, b):
        await c.close()


def _status(url: str) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


async def test_bad_redis_url_fails_start_with_one_line(tmp_path: Path) -> None:
    port = free_port()
    proc = start_server(port, {"STORE_URL": f"redis://127.0.0.1:{free_port()}/0",
                               "SECRET_KEY": "x"}, tmp_path / "bad.log")
    code = await asyncio.to_thread(proc.wait, 30)
    stop(proc)
    text = (tmp_path / "bad.log").read_text()
    assert code == 2
    assert "cannot start" in text and "redis" in text and "Traceback" not in text


async def test_R16_corrupt_stream_entry_is_reported_and_skipped(cluster: Cluster) -> None:
    from server.store import Draft
    from server.store.redis import RedisStore

    s = await new_session(cluster.base(0))
    board = s["session"]["boards"][3]["id"]
    a = await participant(cluster.base(0), s["code"])
    await a.subscribe(board)
    await a.op(board, {"kind": "note.add", "note": "n1", "zone": "tips"})
    raw = RedisStore(cluster.redis.url)
    await raw.open()
    try:
        await raw.append(board, [Draft("evil-1", "{not json"),
                                 Draft("evil-2", '{"id": "x", "op": {"kind": "warp"}}')])
    finally:
        await raw.close()
    ack = await a.op(board, {"kind": "note.edit", "note": "n1", "text": "verder"})
    assert ack["type"] == "ack" and ack["seq"] == 4
    b = await participant(cluster.base(1), s["code"])
    await b.subscribe(board)
    assert b.notes(board)["n1"]["text"] == "verder"
    log = (cluster.tmp / "server0.log").read_text()
    assert "corrupt entry at seq 2 skipped" in log
    for c in (a, b):
        await c.close()


async def test_R8_redis_losing_history_gives_clients_a_new_epoch(tmp_path: Path) -> None:
    rp = start_redis(tmp_path / "volatile", durable=False)
    port = free_port()
    proc = start_server(port, {"STORE_URL": rp.url, "SECRET_KEY": "x", "DATA_DIR": str(tmp_path)},
                        tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        await asyncio.to_thread(wait_healthy, port, 20.0, proc)
        s = await new_session(base)
        board = s["session"]["boards"][0]["id"]
        a = await participant(base, s["code"])
        await a.subscribe(board)
        await a.op(board, {"kind": "note.add", "note": "weg", "zone": "tips"})
        old_epoch = a.boards[board].epoch
        mark = len(a.frames)
        kill(rp)  # no AOF: Redis comes back empty
        restart(rp)
        # The next write finds the board's epoch gone: refused, never acked into a new history.
        lost = await a.op(board, {"kind": "note.add", "note": "nieuw", "zone": "tips"},
                          op_id="after-loss")
        assert lost["type"] == "error" and lost["code"] == "store_unavailable"
        await a.wait_for(lambda f: f["type"] == "state" and f["epoch"] != old_epoch, start=mark,
                         timeout=20)
        assert a.notes(board) == {}
        ack = await a.op(board, {"kind": "note.add", "note": "nieuw", "zone": "tips"},
                         op_id="after-loss")
        assert ack["type"] == "ack" and ack["seq"] == 1 and ack["epoch"] != old_epoch
        await a.close()
    finally:
        stop(proc)
        stop_redis(rp)


async def test_R20_R23_round_and_presence_across_processes(cluster: Cluster) -> None:
    """The facilitator on process 0 moves the round; a participant on process 1 follows, and
    the facilitator sees that participant at their corner."""
    made = await new_session(cluster.base(0))
    rec = made["session"]
    control = rec["id"] + ".control"
    fac = Client(cluster.base(0), made["facilitator_token"], "Leiding")
    await fac.connect()
    await fac.subscribe(control)
    p = await participant(cluster.base(1), made["code"], "Bram")
    await p.subscribe(control)
    assert (await p.op(control, {"kind": "group.join", "group": "Groep 2"}))["result"] == "applied"
    matrix = next(b["id"] for b in rec["boards"] if b["instrument"] == "matrix")
    await p.subscribe(matrix)
    seen = await fac.wait_for(lambda f: f["type"] == "presence"
                              and f["boards"].get(matrix, {}).get("groups") == {"Groep 2": 1},
                              timeout=10)
    assert any(x["name"] == "Bram" for x in seen["people"])
    moved = await fac.op(control, {"kind": "round.next"})
    await p.wait_seq(control, moved["seq"])
    ctl = p.boards[control].state.control  # type: ignore[union-attr]
    assert ctl is not None and ctl.round == 2 and ctl.corner_for("Groep 2") == "achtje"
    note = await p.op(matrix, {"kind": "note.add", "note": "n1", "zone": "tips"})
    assert note["result"] == "applied"
    await fac.subscribe(matrix)
    assert fac.notes(matrix)["n1"]["round"] == 2 and fac.notes(matrix)["n1"]["group"] == "Groep 2"
    await p.close()
    await fac.close()


async def test_R9_drags_reach_clients_on_the_other_process(cluster: Cluster) -> None:
    """A note dragged by a client of process 0 moves live for a client of process 1 (through
    Redis pub/sub, not the log), coalesced per tick on both sides."""
    made = await new_session(cluster.base(0))
    board = made["session"]["boards"][0]["id"]
    mover = await participant(cluster.base(0), made["code"], "Mover")
    watcher = await participant(cluster.base(1), made["code"], "Kijker")
    local = await participant(cluster.base(0), made["code"], "Buur")
    for c in (mover, watcher, local):
        await c.subscribe(board)
    assert (await mover.op(board, {"kind": "note.add", "note": "n1", "zone": "tips"}))[
        "result"] == "applied"
    await watcher.wait_seq(board, 1)
    # The watcher's process subscribes to the drag feed when it loads the board; the first
    # positions may come before that feed is listening, so drag until one arrives.
    got: dict[str, Any] | None = None
    for i in range(1, 200):
        await mover.send({"type": "drag", "board": board, "note": "n1", "x": float(i),
                          "y": float(i)})
        await asyncio.sleep(0.01)
        got = next((f for f in watcher.frames if f["type"] == "drag"), None)
        if got is not None:
            break
    assert got is not None, "no drag crossed the processes"
    assert got["board"] == board and got["moves"][0]["note"] == "n1"
    assert got["moves"][0]["by"]  # who drags, as on one process
    # Drags only go forward for every watcher, and the last position arrives on both sides.
    await mover.send({"type": "drag", "board": board, "note": "n1", "x": 500.0, "y": 400.0})
    for c in (watcher, local):
        last = await c.wait_for(lambda f: f["type"] == "drag" and any(
            m["x"] == 500.0 for m in f["moves"]), timeout=5)
        assert last["moves"][-1]["y"] == 400.0
        xs = [m["x"] for f in c.frames if f["type"] == "drag" for m in f["moves"]]
        assert xs == sorted(xs)
    for c in (mover, watcher, local):
        await c.close()
