"""The client's files are light on venue Wi-Fi (issue 18): compressed once, validated by
ETag, never served from outside web/."""

from __future__ import annotations

import gzip
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from test_access import acall, raw_get
from wsharness import live_server

from server import webfiles
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


# --- R61: what a phone's first page preloads -----------------------------------------------------

# `import … from "./x.js";` and `import "./x.js";` (a module run for what it adds).
STATIC_IMPORT = re.compile(r'^import\s[^;]*?(?:from\s+)?"\./([\w-]+\.js)";', re.M)
WEB = Path(__file__).parent.parent / "web"


def static_closure(module: str) -> set[str]:
    """``module`` and every module it imports statically, through and through."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += STATIC_IMPORT.findall((WEB / name).read_text(encoding="utf-8"))
    return seen


def test_R61_the_preloads_are_the_first_pages_imports_and_no_more() -> None:
    """index.html preloads app.js's static imports (every page runs them); a join link's page
    adds those of session.js (webfiles.SESSION_MODULES). A module missing here is fetched a
    round trip late; one too many is a phone's download for nothing."""
    index = (WEB / "index.html").read_text(encoding="utf-8")
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/([\w-]+\.js)">', index))
    page = static_closure("app.js")
    assert preloaded == page - {"app.js"}, (sorted(preloaded ^ (page - {"app.js"})))
    assert set(webfiles.SESSION_MODULES) == static_closure("session.js") - page
    assert len(webfiles.SESSION_MODULES) == len(set(webfiles.SESSION_MODULES))


async def test_R61_a_join_links_page_names_its_join_and_session_modules(base: str) -> None:
    status, headers, _ = await acall("GET", f"{base}/j/abcd-2345/matrix")
    assert status == 200
    links = [part.strip() for part in headers["link"].split(",")]
    assert links[0] == "</api/join/ABCD2345>; rel=preload; as=fetch; crossorigin"
    assert links[1:] == [f"</{m}>; rel=modulepreload" for m in webfiles.SESSION_MODULES]
    status, headers, _ = await acall("GET", f"{base}/")
    assert status == 200 and "session.js" not in headers["link"]
