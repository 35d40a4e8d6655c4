"""The bus between the processes of one server (R9, R23), chosen by URL: one process tells
nobody; on Redis, presence lives for its TTL and drags go to every other process."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from redisproc import RedisProc

from server.bus import Bus, open_bus
from server.config import Settings


def test_the_bus_follows_the_store_unless_told() -> None:
    assert Settings(store_url="sqlite:///x.db").bus() == "local://"
    assert Settings(store_url="redis://h:1/0").bus() == "redis://h:1/0"
    assert Settings(store_url="redis://h:1/0", bus_url="redis://b:2/0").bus() == "redis://b:2/0"
    with pytest.raises(ValueError, match="unknown scheme"):
        open_bus("carrier-pigeon://")


async def test_one_process_tells_nobody() -> None:
    bus = open_bus("local://")
    await bus.open()
    assert not bus.shared
    await bus.put_presence("s", "n1", "[]", 5)
    assert await bus.get_presence("s") == {}
    await bus.publish_drags("b", "{}")
    await bus.close()


@pytest.mark.redis
async def test_R9_R23_processes_on_redis_share_presence_and_drags(
        redis_server: RedisProc) -> None:
    one, two = open_bus(redis_server.url), open_bus(redis_server.url)
    for bus in (one, two):
        await bus.open()
    try:
        assert one.shared and two.shared
        await one.put_presence("s1", "node-a", '[{"participant":"p1"}]', 5)
        await two.put_presence("s1", "node-b", "[]", 0.2)
        seen = await two.get_presence("s1")
        assert seen["node-a"] == '[{"participant":"p1"}]' and "node-b" in seen
        await asyncio.sleep(0.3)
        assert set(await one.get_presence("s1")) == {"node-a"}  # node-b's is over
        got: list[tuple[str, str]] = []

        async def listen(bus: Bus) -> None:
            async for item in bus.drag_feed():
                got.append(item)

        task = asyncio.create_task(listen(two))
        for _ in range(50):  # the subscription takes a moment
            await one.publish_drags("s1.matrix", '{"moves":[]}')
            if got:
                break
            await asyncio.sleep(0.05)
        assert got[0] == ("s1.matrix", '{"moves":[]}')
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        for bus in (one, two):
            await bus.close()
