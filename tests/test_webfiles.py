"""The client's files are light on venue Wi-Fi (issue 18): compressed once, validated by
ETag, never served from outside web/."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from test_access import acall, raw_get
from wsharness import live_server

from server.config import Settings


@pytest.fixture
async def base(tmp_path: Path) -> AsyncIterator[str]:
    async with live_server(Settings(store_url="memory://", secret_key="s",
                                    data_dir=tmp_path)) as b:
        yield b


async def test_client_files_are_gzipped_and_validated_by_etag(base: str) -> None:
    status, headers, body = await acall("GET", f"{base}/app.js",
                                        headers={"accept-encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == (Path(__file__).parent.parent / "web" / "app.js").read_bytes()
    assert headers["cache-control"] == "no-cache" and headers["etag"]
    again = await acall("GET", f"{base}/app.js", headers={"if-none-match": headers["etag"]})
    assert again[0] == 304 and again[2] == b""
    plain = await acall("GET", f"{base}/app.js")
    assert plain[0] == 200 and "content-encoding" not in plain[1]
    index = await acall("GET", f"{base}/j/ABCD2345", headers={"accept-encoding": "gzip"})
    assert index[0] == 200 and index[1]["content-encoding"] == "gzip"


async def test_nothing_outside_web_is_served(base: str) -> None:
    import asyncio

    for path in ("/../server/app.py", "/%2e%2e/server/app.py", "/..%2fpyproject.toml"):
        assert await asyncio.to_thread(raw_get, base, path) in (400, 404)
