"""Several processes on one Redis: presence as a hash per session with a field per process,
drags as pub/sub on a channel per board (``vh:drag:<board>``, never stored)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator

from redis.asyncio import Redis
from redis.exceptions import RedisError

from . import Bus, BusUnavailable

DRAG_CHANNEL = "vh:drag:"


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisBus(Bus):
    shared = True

    def __init__(self, url: str, timeout: float = 1.5) -> None:
        super().__init__(url)
        self.timeout = timeout
        self._redis: Redis | None = None
        self._feed: Redis | None = None

    async def open(self) -> None:
        self._redis = Redis.from_url(self.url, decode_responses=True,
                                     socket_timeout=self.timeout,
                                     socket_connect_timeout=self.timeout)
        # The feed waits for messages: its reads have no timeout of their own.
        self._feed = Redis.from_url(self.url, decode_responses=True,
                                    socket_connect_timeout=self.timeout)

    async def close(self) -> None:
        for client in (self._redis, self._feed):
            if client is not None:
                with contextlib.suppress(RedisError, OSError):
                    await client.aclose()
        self._redis = self._feed = None

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except (RedisError, OSError) as exc:
            raise BusUnavailable(f"redis bus: {exc}") from exc

    def _r(self) -> Redis:
        if self._redis is None:
            raise BusUnavailable("the redis bus is not open")
        return self._redis

    async def put_presence(self, session_id: str, node: str, data: str, ttl_s: float) -> None:
        """One hash per session, a field per process; each value says until when it counts."""
        r = self._r()
        key = f"vh:presence:{session_id}"
        value = json.dumps({"until": time.time() + ttl_s, "people": data})
        with self._guard():
            async with r.pipeline(transaction=False) as pipe:
                pipe.hset(key, node, value)
                pipe.expire(key, int(ttl_s * 4) + 1)
                await pipe.execute()

    async def get_presence(self, session_id: str) -> dict[str, str]:
        r = self._r()
        with self._guard():
            raw = await r.hgetall(f"vh:presence:{session_id}")
        now = time.time()
        out: dict[str, str] = {}
        for k, v in raw.items():
            try:
                item = json.loads(_text(v))
            except ValueError:
                continue
            if isinstance(item, dict) and float(item.get("until", 0)) >= now:
                out[_text(k)] = str(item.get("people", "[]"))
        return out

    async def publish_drags(self, board_id: str, data: str) -> None:
        r = self._r()
        with self._guard():
            await r.publish(f"{DRAG_CHANNEL}{board_id}", data)

    async def drag_feed(self) -> AsyncIterator[tuple[str, str]]:
        feed = self._feed
        if feed is None:
            raise BusUnavailable("the redis bus is not open")
        pubsub = feed.pubsub(ignore_subscribe_messages=True)
        try:
            with self._guard():
                await pubsub.psubscribe(f"{DRAG_CHANNEL}*")
            while True:
                with self._guard():
                    msg = await pubsub.get_message(timeout=1.0)
                if msg is None or msg.get("type") != "pmessage":
                    continue
                channel = _text(msg["channel"])
                yield channel[len(DRAG_CHANNEL):], _text(msg["data"])
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
