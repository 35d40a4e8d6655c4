"""Shared fixtures. ``redis_server``: one real redis-server for the whole test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redisproc import RedisProc, start_redis, stop


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProc]:
    """A plain (not durable) redis-server on a free port; tests flush it before use."""
    try:
        rp = start_redis(tmp_path_factory.mktemp("redis"))
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield rp
    finally:
        stop(rp)
