"""The published schemas describe what the server really sends (R52): a live state frame of
every layout validates against /api/state.schema.json's model, a live export against
/api/export.schema.json's, and every op's declared rules are in /api/protocol.schema.json."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from test_access import acall
from wsharness import Client, live_server, new_session

from server import protocol, schema
from server.config import Settings


@pytest.fixture
async def base(tmp_path: Path) -> AsyncIterator[str]:
    async with live_server(Settings(store_url="memory://", secret_key="s",
                                    data_dir=tmp_path)) as b:
        yield b


@pytest.mark.parametrize("template", ["vier-hoeken", "matrix", "achtje", "reflectietool"])
async def test_R52_live_states_and_exports_fit_the_published_schemas(base: str,
                                                                     template: str) -> None:
    made = await new_session(base, template)
    f = Client(base, made["facilitator_token"], "F")
    await f.connect()
    boards = [b["id"] for b in made["session"]["boards"]] + [made["session"]["id"] + ".control"]
    first = boards[0]
    zone = made["session"]["boards"][0]["zones"][0]
    await f.subscribe(first)
    await f.op(first, {"kind": "note.add", "note": "n1", "zone": zone, "text": "x"})
    await f.op(first, {"kind": "note.delete", "note": "n1"})
    for board in boards:
        await f.subscribe(board)
    states = [fr["state"] for fr in f.frames if fr["type"] == "state"]
    assert len(states) >= len(boards)
    for state in states:
        schema.STATE.validate_python(state)
    _, _, body = await acall("GET", f"{base}/api/sessions/{made['session']['id']}/export.json",
                             made["facilitator_token"])
    schema.DOCUMENT.validate_python(json.loads(body))
    await f.close()


async def test_R52_the_protocol_schema_publishes_every_ops_rules(base: str) -> None:
    published = json.loads((await acall("GET", f"{base}/api/protocol.schema.json"))[2])
    assert set(published["ops"]) == set(protocol.OPS)
    assert published["ops"]["note.hide"] == {"senders": ["facilitator"], "boards": ["notes"],
                                             "reveals": True, "redraws": False,
                                             "carries_text": False, "removes_text": False}
    for name in ("export", "state"):
        got = json.loads((await acall("GET", f"{base}/api/{name}.schema.json"))[2])
        assert got["$schema"].startswith("https://json-schema.org/")
