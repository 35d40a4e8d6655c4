"""HTTP routes answer an unreachable store with 503 from one handler (R13), not 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from serverproc import ORGANISERS
from test_access import acall
from wsharness import SERVERS, live_server, new_session

from server.config import Settings
from server.store import StoreUnavailable


async def test_R13_every_route_that_needs_the_store_answers_503_when_it_is_down(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with live_server(Settings(store_url="memory://", secret_key="s",
                                    data_dir=tmp_path)) as base:
        made = await new_session(base)
        sid, tok = made["session"]["id"], made["facilitator_token"]
        store = SERVERS[base].store

        async def down(*args: Any, **kwargs: Any) -> Any:
            raise StoreUnavailable("the store is unreachable")

        for name in ("get_session", "session_for_code", "get_record", "list_records",
                     "put_record", "put_session", "list_archives"):
            monkeypatch.setattr(store, name, down)
        SERVERS[base].registry._sessions.clear()  # nothing cached: every route must ask
        org = ORGANISERS[base]
        for method, path, token in (
                ("GET", f"/api/join/{made['code']}", None),
                ("GET", f"/api/sessions/{sid}/links", tok),
                ("GET", f"/api/sessions/{sid}/snapshots", tok),
                ("GET", "/api/organiser/sessions", org),
                ("POST", "/api/sessions", org),
                ("GET", f"/api/sessions/{sid}/material", tok),
                ("GET", "/api/ontwerpslag", org)):
            status, _, body = await acall(method, base + path, token,
                                          body={} if method == "POST" else None)
            assert status == 503 and b"store_unavailable" in body, (path, status, body)
