"""One contract for every store backend: memory, sqlite (a temp file) and redis (a real server).

Names cite the protocol rules (docs/PROTOCOL.md) the store carries: R5 op ids, R6 durability,
R7 one gap-free order, R8 epochs and snapshots, R13 an unreachable store.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import redis
from redisproc import RedisProc, kill, restart, start_redis, stop
from serverproc import free_port

from server.store import (
    ArchiveExists,
    BoardNotEmpty,
    Draft,
    Store,
    StoreUnavailable,
    open_store,
)
from server.store.redis import RedisStore

BOARD = "b1"
OpenStore = Callable[[], Awaitable[Store]]


def drafts(*op_ids: str) -> list[Draft]:
    return [Draft(op_id, f'{{"id":"{op_id}"}}') for op_id in op_ids]


def flush(rp: RedisProc) -> None:
    with redis.Redis(host="127.0.0.1", port=rp.port) as r:
        r.flushall()


KINDS = ["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    param: str = request.param
    return param


@pytest.fixture
async def stores(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[OpenStore]:
    """Opens stores of ``kind`` on the same data (redis: flushed first); closes them all."""
    if kind == "memory":
        url = "memory://"
    elif kind == "sqlite":
        url = f"sqlite:///{tmp_path}/vh.db"
    else:
        rp: RedisProc = request.getfixturevalue("redis_server")
        flush(rp)
        url = rp.url
    opened: list[Store] = []

    async def make() -> Store:
        store = open_store(url)
        await store.open()
        opened.append(store)
        return store

    try:
        yield make
    finally:
        for s in opened:
            await s.close()


@pytest.fixture
async def store(stores: OpenStore) -> Store:
    """One open store of each kind: memory, sqlite, redis."""
    return await stores()


@pytest.fixture
async def redis_stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OpenStore]:
    """Redis-only tests: stores on the session redis-server (flushed)."""
    rp: RedisProc = request.getfixturevalue("redis_server")
    flush(rp)
    opened: list[Store] = []

    async def make() -> Store:
        s = RedisStore(rp.url)
        await s.open()
        opened.append(s)
        return s

    try:
        yield make
    finally:
        for s in opened:
            await s.close()


# --- the contract, on every backend ---------------------------------------------------------


async def test_R7_append_assigns_1_2_3_in_order(store: Store) -> None:
    out = await store.append(BOARD, drafts("a", "b", "c"))
    assert [(a.seq, a.op_id, a.duplicate) for a in out] == [
        (1, "a", False), (2, "b", False), (3, "c", False)
    ]
    out = await store.append(BOARD, drafts("d"))
    assert [a.seq for a in out] == [4]
    assert await store.read(BOARD, 0) == [(i + 1, d.payload) for i, d in
                                          enumerate(drafts("a", "b", "c", "d"))]


async def test_R7_boards_have_separate_logs(store: Store) -> None:
    await store.append("x", drafts("a", "b"))
    assert [a.seq for a in await store.append("y", drafts("a"))] == [1]
    assert await store.head("x") == 2
    assert await store.head("y") == 1


async def test_R5_repeated_op_id_across_batches_is_duplicate(store: Store) -> None:
    await store.append(BOARD, drafts("a", "b"))
    out = await store.append(BOARD, drafts("b", "c"))
    assert [(a.seq, a.op_id, a.duplicate) for a in out] == [(2, "b", True), (3, "c", False)]
    assert await store.head(BOARD) == 3
    assert [s for s, _ in await store.read(BOARD, 0)] == [1, 2, 3]


async def test_R5_repeated_op_id_in_same_batch_is_duplicate(store: Store) -> None:
    out = await store.append(BOARD, drafts("a", "b", "a", "c", "b"))
    assert [(a.seq, a.duplicate) for a in out] == [
        (1, False), (2, False), (1, True), (3, False), (2, True)
    ]
    assert await store.head(BOARD) == 3


async def test_R5_seq_of(store: Store) -> None:
    assert await store.seq_of(BOARD, "a") is None
    await store.append(BOARD, drafts("a", "b"))
    assert await store.seq_of(BOARD, "a") == 1
    assert await store.seq_of(BOARD, "b") == 2
    assert await store.seq_of("other", "a") is None


async def test_read_after_and_limit(store: Store) -> None:
    ds = drafts(*(f"op{i}" for i in range(1, 11)))
    await store.append(BOARD, ds)
    assert await store.read(BOARD, 7) == [(8, ds[7].payload), (9, ds[8].payload),
                                          (10, ds[9].payload)]
    assert [s for s, _ in await store.read(BOARD, 2, limit=3)] == [3, 4, 5]
    assert await store.read(BOARD, 10) == []
    assert await store.read(BOARD, 99) == []
    assert await store.read("empty", 0) == []


async def test_head(store: Store) -> None:
    assert await store.head(BOARD) == 0
    await store.append(BOARD, drafts("a", "b"))
    assert await store.head(BOARD) == 2
    await store.append(BOARD, drafts("a"))
    assert await store.head(BOARD) == 2


async def test_R8_epoch_stable_across_calls(store: Store) -> None:
    e = await store.epoch(BOARD)
    assert len(e) == 8
    int(e, 16)
    await store.append(BOARD, drafts("a"))
    assert await store.epoch(BOARD) == e
    assert await store.epoch("other") != e


async def test_R8_epoch_across_reopen(stores: OpenStore, kind: str) -> None:
    first = await stores()
    e = await first.epoch(BOARD)
    await first.append(BOARD, drafts("a"))
    await first.close()
    again = await stores()
    if kind == "memory":
        assert await again.epoch(BOARD) != e  # a new process is a new epoch
        assert await again.head(BOARD) == 0
    else:
        assert await again.epoch(BOARD) == e
        assert await again.read(BOARD, 0) == [(1, drafts("a")[0].payload)]


async def test_R8_append_creates_the_epoch(store: Store) -> None:
    await store.append(BOARD, drafts("a"))
    e = await store.epoch(BOARD)
    assert e == await store.epoch(BOARD)


async def test_R8_snapshot_put_get_and_trim_behind_it(store: Store) -> None:
    store.keep_behind_snapshot = 2
    assert await store.get_snapshot(BOARD) is None
    ds = drafts(*(f"op{i}" for i in range(1, 11)))
    await store.append(BOARD, ds)
    await store.put_snapshot(BOARD, 8, '{"seq":8}')
    assert await store.get_snapshot(BOARD) == (8, '{"seq":8}')
    # seq <= 8 - 2 are dropped; 7 and 8 (within keep_behind_snapshot) and later remain.
    assert [s for s, _ in await store.read(BOARD, 0)] == [7, 8, 9, 10]
    assert await store.read(BOARD, 7, limit=1) == [(8, ds[7].payload)]
    # the log goes on after the trim, op ids stay known (R5)
    assert await store.head(BOARD) == 10
    assert await store.seq_of(BOARD, "op1") == 1
    out = await store.append(BOARD, drafts("op1", "op11"))
    assert [(a.seq, a.duplicate) for a in out] == [(1, True), (11, False)]
    await store.put_snapshot(BOARD, 11, '{"seq":11}')
    assert await store.get_snapshot(BOARD) == (11, '{"seq":11}')
    assert [s for s, _ in await store.read(BOARD, 0)] == [10, 11]


async def test_snapshot_with_little_log_keeps_everything(store: Store) -> None:
    store.keep_behind_snapshot = 1000
    await store.append(BOARD, drafts("a", "b", "c"))
    await store.put_snapshot(BOARD, 3, "{}")
    assert [s for s, _ in await store.read(BOARD, 0)] == [1, 2, 3]


async def test_sessions_put_get_and_code(store: Store) -> None:
    assert await store.get_session("s1") is None
    assert await store.session_for_code("ABC123") is None
    await store.put_session("s1", "ABC123", '{"id":"s1"}')
    await store.put_session("s2", "XYZ789", '{"id":"s2"}')
    assert await store.get_session("s1") == '{"id":"s1"}'
    assert await store.session_for_code("ABC123") == "s1"
    assert await store.session_for_code("XYZ789") == "s2"
    await store.put_session("s1", "ABC123", '{"id":"s1","v":2}')
    assert await store.get_session("s1") == '{"id":"s1","v":2}'


async def test_ping(store: Store) -> None:
    assert await store.ping() is True


async def test_tail_returns_entries_appended_after_it_started(
    stores: OpenStore, kind: str
) -> None:
    reader = await stores()
    await reader.append(BOARD, drafts("a"))
    if not reader.shared:  # nothing else appends: tail is a read
        await reader.append(BOARD, drafts("b"))
        assert [s for s, _ in await reader.tail(BOARD, 1, 100)] == [2]
        return
    writer = await stores()  # another process, as far as the store can tell
    waiting = asyncio.create_task(reader.tail(BOARD, 1, 5000))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    out = await writer.append(BOARD, drafts("b", "c"))
    assert [a.seq for a in out] == [2, 3]
    got = await asyncio.wait_for(waiting, 5)
    assert got == [(2, drafts("b")[0].payload), (3, drafts("c")[0].payload)]
    # entries already there come at once; nothing new waits block_ms and answers []
    assert [s for s, _ in await reader.tail(BOARD, 0, 5000)] == [1, 2, 3]
    t0 = time.monotonic()
    assert await reader.tail(BOARD, 3, 200) == []
    assert time.monotonic() - t0 >= 0.15


# --- archives, restore, deletion (issue 7) ----------------------------------------------------


async def test_archives_put_list_get_in_order(store: Store) -> None:
    assert await store.list_archives("s1") == []
    assert await store.get_archive("s1", "a") is None
    await store.put_archive("s1", "zeta", '{"name":"zeta"}', '{"d":1}')
    await store.put_archive("s1", "alpha", '{"name":"alpha"}', '{"d":2}')
    await store.put_archive("s1", "mid", '{"name":"mid"}', '{"d":3}')
    await store.put_archive("s2", "alpha", '{"name":"other"}', '{"d":4}')
    assert await store.list_archives("s1") == [
        ("zeta", '{"name":"zeta"}'), ("alpha", '{"name":"alpha"}'), ("mid", '{"name":"mid"}')
    ]
    assert await store.get_archive("s1", "alpha") == '{"d":2}'
    assert await store.get_archive("s2", "alpha") == '{"d":4}'
    assert await store.get_archive("s1", "nope") is None
    assert await store.list_archives("s2") == [("alpha", '{"name":"other"}')]


async def test_archive_name_taken_raises_and_keeps_the_first(store: Store) -> None:
    await store.put_archive("s1", "day 1", '{"v":1}', '{"big":1}')
    with pytest.raises(ArchiveExists):
        await store.put_archive("s1", "day 1", '{"v":2}', '{"big":2}')
    assert await store.get_archive("s1", "day 1") == '{"big":1}'
    assert await store.list_archives("s1") == [("day 1", '{"v":1}')]
    await store.put_archive("s1", "day 2", '{"v":3}', '{"big":3}')  # the next one still goes in
    assert [n for n, _ in await store.list_archives("s1")] == ["day 1", "day 2"]


async def test_archive_concurrent_puts_of_one_name_store_one(store: Store) -> None:
    results = await asyncio.gather(
        *(store.put_archive("s1", "same", f'{{"v":{i}}}', f'{{"d":{i}}}') for i in range(8)),
        return_exceptions=True,
    )
    won = [i for i, r in enumerate(results) if r is None]
    assert len(won) == 1
    assert all(isinstance(r, ArchiveExists) for r in results if r is not None)
    assert await store.list_archives("s1") == [("same", f'{{"v":{won[0]}}}')]
    assert await store.get_archive("s1", "same") == f'{{"d":{won[0]}}}'


async def test_restore_board_then_append_continues_after_seq(store: Store) -> None:
    epoch = await store.epoch(BOARD)  # an epoch before the restore is kept
    await store.restore_board(BOARD, 41, '{"restored":true}')
    assert await store.get_snapshot(BOARD) == (41, '{"restored":true}')
    assert await store.head(BOARD) == 41
    assert await store.read(BOARD, 0) == []
    assert await store.tail(BOARD, 41, 50) == []
    assert await store.epoch(BOARD) == epoch
    ds = drafts("a", "b")
    out = await store.append(BOARD, ds)
    assert [(a.seq, a.duplicate) for a in out] == [(42, False), (43, False)]
    assert await store.read(BOARD, 0) == [(42, ds[0].payload), (43, ds[1].payload)]
    assert await store.read(BOARD, 42) == [(43, ds[1].payload)]
    assert await store.head(BOARD) == 43
    assert await store.seq_of(BOARD, "a") == 42
    assert await store.epoch(BOARD) == epoch
    assert await store.get_snapshot(BOARD) == (41, '{"restored":true}')
    await store.put_snapshot(BOARD, 43, '{"at":43}')
    assert await store.get_snapshot(BOARD) == (43, '{"at":43}')


async def test_restore_board_never_used_makes_a_stable_epoch(store: Store) -> None:
    await store.restore_board(BOARD, 5, "{}")
    e = await store.epoch(BOARD)
    assert [a.seq for a in await store.append(BOARD, drafts("a"))] == [6]
    assert await store.epoch(BOARD) == e


async def test_restore_board_at_zero(store: Store) -> None:
    await store.restore_board(BOARD, 0, '{"empty":true}')
    assert await store.get_snapshot(BOARD) == (0, '{"empty":true}')
    assert await store.head(BOARD) == 0
    assert [a.seq for a in await store.append(BOARD, drafts("a"))] == [1]
    with pytest.raises(ValueError):
        await store.restore_board("other", -1, "{}")


async def test_restore_board_refuses_a_board_with_content(store: Store) -> None:
    ds = drafts("a", "b")
    await store.append(BOARD, ds)
    epoch = await store.epoch(BOARD)
    with pytest.raises(BoardNotEmpty):
        await store.restore_board(BOARD, 10, '{"x":1}')
    assert await store.head(BOARD) == 2
    assert await store.get_snapshot(BOARD) is None
    assert await store.read(BOARD, 0) == [(1, ds[0].payload), (2, ds[1].payload)]
    assert await store.epoch(BOARD) == epoch
    assert [a.seq for a in await store.append(BOARD, drafts("c"))] == [3]
    # a snapshot alone, and a board restored once, are content too
    await store.put_snapshot("snapped", 0, '{"s":0}')
    with pytest.raises(BoardNotEmpty):
        await store.restore_board("snapped", 3, "{}")
    assert await store.get_snapshot("snapped") == (0, '{"s":0}')
    assert await store.head("snapped") == 0
    await store.restore_board("again", 7, '{"first":true}')
    with pytest.raises(BoardNotEmpty):
        await store.restore_board("again", 9, "{}")
    assert await store.get_snapshot("again") == (7, '{"first":true}')
    assert await store.head("again") == 7


async def test_list_sessions(store: Store) -> None:
    assert await store.list_sessions() == []
    await store.put_session("s2", "CODE2", "{}")
    await store.put_session("s1", "CODE1", "{}")
    await store.put_archive("s3", "x", "{}", "{}")  # an archive alone is no session
    await store.put_session("s1", "CODE1", '{"v":2}')
    assert await store.list_sessions() == ["s1", "s2"]


async def test_delete_session_removes_everything_of_it(store: Store) -> None:
    async def fill(sid: str, code: str, boards: list[str]) -> None:
        await store.put_session(sid, code, f'{{"id":"{sid}"}}')
        await store.put_archive(sid, "day", "{}", f'{{"of":"{sid}"}}')
        for b in boards:
            await store.append(b, drafts("a", "b", "c"))
            await store.put_snapshot(b, 2, "{}")

    await fill("s1", "ONE111", ["s1.a", "s1.ctl"])
    await fill("s2", "TWO222", ["s2.a"])
    old_epoch = await store.epoch("s1.a")
    await store.delete_session("s1", ["s1.a", "s1.ctl"])
    assert await store.get_session("s1") is None
    assert await store.session_for_code("ONE111") is None
    assert await store.list_archives("s1") == []
    assert await store.get_archive("s1", "day") is None
    assert await store.list_sessions() == ["s2"]
    for b in ("s1.a", "s1.ctl"):
        assert await store.head(b) == 0
        assert await store.get_snapshot(b) is None
        assert await store.read(b, 0) == []
        assert await store.seq_of(b, "a") is None
    # a board used again starts over, under a new epoch
    assert await store.epoch("s1.a") != old_epoch
    assert [a.seq for a in await store.append("s1.a", drafts("a"))] == [1]
    # the other session is untouched
    assert await store.get_session("s2") == '{"id":"s2"}'
    assert await store.session_for_code("TWO222") == "s2"
    assert await store.get_archive("s2", "day") == '{"of":"s2"}'
    assert await store.head("s2.a") == 3
    assert await store.get_snapshot("s2.a") == (2, "{}")
    assert await store.seq_of("s2.a", "c") == 3
    # idempotent; an archive name is free again
    await store.delete_session("s1", ["s1.a", "s1.ctl"])
    await store.delete_session("never", [])
    await store.put_archive("s1", "day", "{}", "{}")


async def test_archives_and_restored_boards_survive_reopen(
    stores: OpenStore, kind: str
) -> None:
    first = await stores()
    await first.put_session("s1", "C0DE", "{}")
    await first.put_archive("s1", "a", '{"m":1}', '{"d":1}')
    await first.put_archive("s1", "b", '{"m":2}', '{"d":2}')
    await first.restore_board(BOARD, 9, '{"s":9}')
    epoch = await first.epoch(BOARD)
    await first.close()
    again = await stores()
    if kind == "memory":  # a new process keeps nothing
        assert await again.list_archives("s1") == []
        assert await again.get_snapshot(BOARD) is None
        return
    assert await again.list_archives("s1") == [("a", '{"m":1}'), ("b", '{"m":2}')]
    assert await again.get_archive("s1", "b") == '{"d":2}'
    with pytest.raises(ArchiveExists):
        await again.put_archive("s1", "a", "{}", "{}")
    assert await again.get_snapshot(BOARD) == (9, '{"s":9}')
    assert await again.head(BOARD) == 9
    assert await again.epoch(BOARD) == epoch
    assert [a.seq for a in await again.append(BOARD, drafts("x"))] == [10]
    assert await again.list_sessions() == ["s1"]


# --- redis only -----------------------------------------------------------------------------


@pytest.mark.redis
async def test_redis_is_shared_and_keys_are_prefixed(
    redis_stores: OpenStore, redis_server: RedisProc
) -> None:
    s = await redis_stores()
    assert s.shared is True
    await s.append(BOARD, drafts("a"))
    await s.put_snapshot(BOARD, 1, "{}")
    await s.put_session("s1", "C0DE", "{}")
    with redis.Redis(host="127.0.0.1", port=redis_server.port, decode_responses=True) as r:
        keys = set(r.keys("*"))
        assert r.get("vh:format") == "1"
        assert r.xrange(f"vh:{{{BOARD}}}:log")[0][0] == "1-0"
    assert keys == {
        "vh:format", "vh:{b1}:log", "vh:{b1}:ops", "vh:{b1}:meta", "vh:{b1}:snap",
        "vh:session:s1", "vh:code:C0DE", "vh:session:{s1}:codes",
    }


@pytest.mark.redis
async def test_redis_archive_and_delete_keys(
    redis_stores: OpenStore, redis_server: RedisProc
) -> None:
    s = await redis_stores()
    await s.put_session("s1", "C0DE", "{}")
    await s.put_archive("s1", "a", "{}", "{}")
    await s.restore_board("s1.x", 3, "{}")
    await s.put_session("s2", "KEEP", "{}")
    with redis.Redis(host="127.0.0.1", port=redis_server.port, decode_responses=True) as r:
        assert {k for k in r.keys("*") if "s1" in k or "C0DE" in k} == {
            "vh:session:s1", "vh:code:C0DE", "vh:session:{s1}:codes",
            "vh:session:{s1}:archives", "vh:session:{s1}:archive-meta",
            "vh:session:{s1}:archive-names", "vh:{s1.x}:meta", "vh:{s1.x}:snap",
        }
        await s.delete_session("s1", ["s1.x"])
        assert set(r.keys("*")) == {
            "vh:format", "vh:session:s2", "vh:code:KEEP", "vh:session:{s2}:codes"
        }


@pytest.mark.redis
async def test_redis_delete_finds_codes_of_sessions_stored_without_the_codes_set(
    redis_stores: OpenStore, redis_server: RedisProc
) -> None:
    s = await redis_stores()
    with redis.Redis(host="127.0.0.1", port=redis_server.port, decode_responses=True) as r:
        r.set("vh:session:old", "{}")  # as put_session wrote it before the codes set
        r.set("vh:code:OLD1", "old")
        r.set("vh:code:OLD2", "old")
        r.set("vh:code:OTHR", "other")
        assert await s.list_sessions() == ["old"]
        await s.delete_session("old", [])
        assert set(r.keys("*")) == {"vh:format", "vh:code:OTHR"}


@pytest.mark.redis
async def test_R7_concurrent_appends_from_two_instances_have_no_gaps(
    redis_stores: OpenStore,
) -> None:
    a, b = await redis_stores(), await redis_stores()

    async def writer(s: Store, name: str) -> list[tuple[int, str]]:
        got: list[tuple[int, str]] = []
        for i in range(25):
            ids = [f"{name}-{i}-{k}" for k in range(4)]
            out = await s.append(BOARD, drafts(*ids, ids[0]))  # with an in-batch repeat
            assert out[-1].duplicate and out[-1].seq == out[0].seq
            got += [(x.seq, x.op_id) for x in out[:-1]]
        return got

    results = await asyncio.gather(*(writer(s, f"{n}{j}") for j in range(4)
                                     for n, s in (("a", a), ("b", b))))
    seqs = sorted(seq for r in results for seq, _ in r)
    assert seqs == list(range(1, 8 * 25 * 4 + 1))
    by_seq = {seq: op for r in results for seq, op in r}
    log = await a.read(BOARD, 0, limit=10_000)
    assert [s for s, _ in log] == seqs
    assert all(payload == f'{{"id":"{by_seq[s]}"}}' for s, payload in log)
    assert await b.head(BOARD) == len(seqs)


@pytest.mark.redis
async def test_tail_does_not_hold_up_other_operations(redis_stores: OpenStore) -> None:
    s = await redis_stores()
    waiting = [asyncio.create_task(s.tail(f"board{i}", 0, 3000)) for i in range(5)]
    await asyncio.sleep(0.1)
    t0 = time.monotonic()
    await s.append(BOARD, drafts("a"))
    assert await s.read(BOARD, 0) != []
    assert await s.ping()
    assert time.monotonic() - t0 < 1.0
    assert not any(t.done() for t in waiting)
    for t in waiting:  # as Room.close does: cancelled mid-wait, the store stays usable
        t.cancel()
    for t in waiting:
        with pytest.raises(asyncio.CancelledError):
            await t
    await s.append("board0", drafts("x"))
    assert [q for q, _ in await s.tail("board0", 0, 1000)] == [1]


@pytest.mark.redis
async def test_format_mismatch_refuses_to_open(redis_server: RedisProc) -> None:
    flush(redis_server)
    with redis.Redis(host="127.0.0.1", port=redis_server.port) as r:
        r.set("vh:format", "2")
    s = RedisStore(redis_server.url)
    with pytest.raises(StoreUnavailable) as err:
        await s.open()
    assert "vh:format" in str(err.value) and "\n" not in str(err.value)
    flush(redis_server)


@pytest.mark.redis
async def test_R13_unreachable_redis_open_raises_one_line() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    s = RedisStore(url, timeout=1.0)
    t0 = time.monotonic()
    with pytest.raises(StoreUnavailable) as err:
        await s.open()
    message = str(err.value)
    assert message.startswith(f"cannot reach redis at {url}: ")
    assert "\n" not in message
    assert time.monotonic() - t0 < 5
    assert await s.ping() is False
    await s.close()


@pytest.mark.redis
async def test_R13_password_is_not_in_the_message() -> None:
    s = RedisStore(f"redis://:hunter2@127.0.0.1:{free_port()}/0", timeout=1.0)
    with pytest.raises(StoreUnavailable) as err:
        await s.open()
    assert "hunter2" not in str(err.value)


@pytest.mark.redis
async def test_R13_redis_stopped_midway_raises_store_unavailable(tmp_path: Path) -> None:
    rp = start_redis(tmp_path / "redis", durable=True)
    s = RedisStore(rp.url, timeout=1.0)
    try:
        await s.open()
        await s.append(BOARD, drafts("a"))
        tailing = asyncio.create_task(s.tail(BOARD, 1, 5000))
        await asyncio.sleep(0.1)
        stop(rp)
        with pytest.raises(StoreUnavailable):
            await s.append(BOARD, drafts("b"))
        with pytest.raises(StoreUnavailable):
            await s.read(BOARD, 0)
        with pytest.raises(StoreUnavailable):
            await s.get_session("s1")
        with pytest.raises(StoreUnavailable):
            await asyncio.wait_for(tailing, 5)
        assert await s.ping() is False
        restart(rp)  # back on the same port and data: the same store works again
        assert await s.ping() is True
        out = await s.append(BOARD, drafts("b"))
        assert [(a.seq, a.duplicate) for a in out] == [(2, False)]
    finally:
        await s.close()
        stop(rp)


@pytest.mark.redis
async def test_R8_lost_redis_data_refuses_appends_until_the_epoch_is_read_again(
    tmp_path: Path,
) -> None:
    rp = start_redis(tmp_path / "redis")  # not durable: a restart loses everything
    s = RedisStore(rp.url, timeout=1.0)
    try:
        await s.open()
        epoch = await s.epoch(BOARD)
        await s.append(BOARD, drafts("a", "b"))
        stop(rp)
        restart(rp)
        # seq 1 again under the old epoch would contradict what clients hold: refused.
        with pytest.raises(StoreUnavailable, match="changed epoch"):
            await s.append(BOARD, drafts("c"))
        assert await s.head(BOARD) == 0
        # reloading the board (as Room.load does) takes the new epoch and goes on from 1
        assert await s.epoch(BOARD) != epoch
        assert [a.seq for a in await s.append(BOARD, drafts("c"))] == [1]
    finally:
        await s.close()
        stop(rp)


@pytest.mark.redis
@pytest.mark.slow
async def test_R6_acked_entries_survive_sigkill_with_appendfsync_always(tmp_path: Path) -> None:
    rp = start_redis(tmp_path / "redis", durable=True)
    try:
        s = RedisStore(rp.url)
        await s.open()
        epoch = await s.epoch(BOARD)
        acked: dict[int, str] = {}

        async def writer(n: int) -> None:
            for i in range(30):
                ds = drafts(*(f"w{n}-{i}-{k}" for k in range(1 + i % 3)))
                for d, a in zip(ds, await s.append(BOARD, ds), strict=True):
                    acked[a.seq] = d.payload

        await asyncio.gather(*(writer(n) for n in range(4)))
        await s.put_session("s1", "C0DE", '{"id":"s1"}')
        kill(rp)  # no shutdown, no final save
        await s.close()
        restart(rp)
        s = RedisStore(rp.url)
        await s.open()
        try:
            assert await s.epoch(BOARD) == epoch
            log = dict(await s.read(BOARD, 0, limit=10_000))
            assert log == acked
            assert await s.head(BOARD) == len(acked)
            assert await s.session_for_code("C0DE") == "s1"
        finally:
            await s.close()
    finally:
        stop(rp)


async def test_R33_a_new_code_stops_the_old_one(store: Store) -> None:
    await store.put_session("s1", "AAAA2222", '{"id":"s1"}')
    await store.put_session("s1", "BBBB3333", '{"id":"s1"}')
    assert await store.session_for_code("BBBB3333") == "s1"
    assert await store.session_for_code("AAAA2222") is None


async def test_records_put_only_new_take_once_list_delete(store: Store) -> None:
    assert await store.put_record("organiser", "o1", "een")
    assert not await store.put_record("organiser", "o1", "twee", only_new=True)
    assert await store.get_record("organiser", "o1") == "een"
    assert await store.put_record("organiser", "o1", "drie")
    await store.put_record("organiser", "o0", "nul")
    await store.put_record("other", "o9", "x")
    assert await store.list_records("organiser") == [("o0", "nul"), ("o1", "drie")]
    # one-time links: of two takes at the same moment, one gets it
    await store.put_record("signin", "h", "link")
    taken = await asyncio.gather(store.take_record("signin", "h"),
                                 store.take_record("signin", "h"))
    assert sorted(taken, key=str) == [None, "link"]
    await store.delete_record("organiser", "o0")
    assert await store.get_record("organiser", "o0") is None
    assert await store.list_records("nothing") == []


async def test_blobs_are_bytes_of_their_session_and_go_with_it(store: Store) -> None:
    data = bytes(range(256)) * 100
    await store.put_blob("s1", "material/matrix/original", data)
    await store.put_blob("s1", "material/matrix/1.webp", b"\x00\xff")
    await store.put_blob("s1", "material/achtje/1.webp", b"8")
    await store.put_blob("s2", "material/matrix/original", b"other")
    assert await store.get_blob("s1", "material/matrix/original") == data
    await store.delete_blobs("s1", "material/matrix/")
    assert await store.get_blob("s1", "material/matrix/1.webp") is None
    assert await store.get_blob("s1", "material/achtje/1.webp") == b"8"
    await store.put_session("s1", "CODE2345", '{"id":"s1"}')
    await store.delete_session("s1", [])
    assert await store.get_blob("s1", "material/achtje/1.webp") is None
    assert await store.get_blob("s2", "material/matrix/original") == b"other"
