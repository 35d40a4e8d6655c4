"""Shared fixtures. ``redis_server``: one real redis-server for the whole test session;
``server`` and ``browser``: a server process and Chromium for the browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import CHROMIUM, CHROMIUM_ARGS, ServerHandle
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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerHandle]:
    """The real server as a subprocess on a free port with a SQLite file (browser tests)."""
    handle = ServerHandle(tmp_path)
    handle.start()
    try:
        yield handle
    finally:
        handle.stop()


def launch_chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright; `make test` installs both, so missing is a failure."""
    from playwright import sync_api

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium missing at /usr/bin/chromium: apt-get install chromium",
                    pytrace=False)
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture(scope="module")
def module_browser() -> Iterator[Any]:
    """One Chromium for all tests of a module (pages and contexts are still per test)."""
    yield from launch_chromium()


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Any:
    """Record a measured figure for docs/RELIABILITY.md: figure(name, value, unit, target, ok)."""
    import figures

    def add(name: str, value: Any, unit: str = "", target: str = "",
            ok: bool | None = None) -> None:
        figures.record(request.node.name, name, value, unit, target, ok)
        print(f"FIGURE {request.node.name}: {name} = {value} {unit} (target {target})")

    return add


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    import figures

    figures.flush()
