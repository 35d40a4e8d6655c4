"""The archive over HTTP, the websocket and the command line (R24, R25)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from serverproc import ORGANISERS
from wsharness import Client, live_server, new_session, participant

from server import archive, lifecycle
from server.config import Settings
from server.session import SessionRecord
from server.store import open_store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    db = tmp_path / "vh.db"
    settings = Settings(store_url=f"sqlite:///{db}", secret_key="s", data_dir=tmp_path,
                        round_grace_s=0.3)
    async with live_server(settings) as base:
        yield base, db


def call(method: str, url: str, token: str | None = None, body: Any = None,
         raw: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


async def acall(*args: Any, **kw: Any) -> tuple[int, dict[str, str], bytes]:
    return await asyncio.to_thread(call, *args, **kw)


async def seeded(base: str, texts: list[str]) -> tuple[dict[str, Any], Client]:
    made = await new_session(base)
    p = await participant(base, made["code"], "Ans")
    control = made["session"]["id"] + ".control"
    await p.subscribe(control)
    await p.op(control, {"kind": "group.join", "group": "Groep 3"})
    board = made["session"]["boards"][1]["id"]
    await p.subscribe(board)
    for i, text in enumerate(texts):
        ans = await p.op(board, {"kind": "note.add", "note": f"n{i}", "zone": "tips",
                                 "text": text})
        assert ans["result"] == "applied"
    return made, p


async def test_R24_snapshots_over_http_list_open_diff_restore(site: tuple[str, Path]) -> None:
    base, _ = site
    made, p = await seeded(base, ["eerste", "tweede"])
    sid, tok = made["session"]["id"], made["facilitator_token"]
    url = f"{base}/api/sessions/{sid}/snapshots"
    status, _, body = await acall("POST", url, tok, {"name": "Voor de lunch"})
    assert status == 201 and json.loads(body)["counts"]["notes"] == 2
    assert (await acall("POST", url, tok, {"name": "Voor de lunch"}))[0] == 409
    assert (await acall("POST", url, tok, {"name": "  "}))[0] == 400
    assert (await acall("POST", url, made["viewer_token"], {"name": "x"}))[0] == 403
    board = made["session"]["boards"][1]["id"]
    await p.op(board, {"kind": "note.edit", "note": "n0", "text": "eerste, herzien"})
    await p.op(board, {"kind": "note.add", "note": "n9", "zone": "relevantie", "text": "later"})
    await acall("POST", url, tok, {"name": "Na de lunch"})
    status, _, body = await acall("GET", url, tok)
    listed = json.loads(body)["snapshots"]
    assert [s["name"] for s in listed] == ["Voor de lunch", "Na de lunch"]
    assert all(len(s["hash"]) == 64 for s in listed)
    # opens read-only at its own URL; a screen's viewer link cannot read it (hidden notes)
    assert (await acall("GET", f"{url}/Voor%20de%20lunch", made["viewer_token"]))[0] == 403
    status, _, body = await acall("GET", f"{url}/Voor%20de%20lunch", tok)
    snap = json.loads(body)
    assert status == 200 and len(snap["boards"][1]["state"]["notes"]) == 2
    assert "members" not in snap["boards"][-1]["state"]["control"]
    assert (await acall("GET", f"{base}/s/{sid}/Voor%20de%20lunch"))[0] == 200
    assert (await acall("GET", f"{url}/bestaat-niet", tok))[0] == 404
    status, _, body = await acall(
        "GET", f"{base}/api/sessions/{sid}/diff?from=Voor%20de%20lunch&to=Na%20de%20lunch", tok)
    changes = json.loads(body)["changes"]
    assert [c["note"] for c in changes["added"]] == ["n9"]
    assert [c["after"] for c in changes["edited"]] == ["eerste, herzien"]
    # restore as a new session: new code, same notes, and it takes new notes
    status, _, body = await acall("POST", f"{url}/Voor%20de%20lunch/restore", tok,
                                  {"title": "Herstart"})
    fresh = json.loads(body)
    assert status == 201 and fresh["code"] != made["code"]
    assert fresh["session"]["title"] == "Herstart"
    fac = Client(base, fresh["facilitator_token"])
    await fac.connect()
    new_board = fresh["session"]["boards"][1]["id"]
    await fac.subscribe(new_board)
    assert {n["text"] for n in fac.notes(new_board).values()} == {"eerste", "tweede"}
    ans = await fac.op(new_board, {"kind": "note.add", "note": "x1", "zone": "tips"})
    assert ans["result"] == "applied" and ans["seq"] == 3
    await fac.close()
    await p.close()


async def test_R24_server_snapshots_at_round_end_and_closing(site: tuple[str, Path]) -> None:
    base, _ = site
    made, p = await seeded(base, ["ronde 1"])
    sid, tok = made["session"]["id"], made["facilitator_token"]
    control = sid + ".control"
    fac = Client(base, tok)
    await fac.connect()
    await fac.subscribe(control)
    assert (await fac.op(control, {"kind": "round.next"}))["result"] == "applied"
    board = made["session"]["boards"][1]["id"]
    ans = await p.op(board, {"kind": "note.add", "note": "r2", "zone": "tips", "text": "ronde 2"})
    assert ans["result"] == "applied"
    assert (await fac.op(control, {"kind": "session.close"}))["result"] == "applied"
    late = await p.op(board, {"kind": "note.add", "note": "late", "zone": "tips"})
    assert late["code"] == "session_closed"

    async def names() -> list[str]:
        _, _, body = await acall("GET", f"{base}/api/sessions/{sid}/snapshots", tok)
        return [s["name"] for s in json.loads(body)["snapshots"]]

    for _ in range(100):
        if len(await names()) == 2:
            break
        await asyncio.sleep(0.05)
    assert await names() == ["Einde ronde 1", "Sessie gesloten"]
    _, _, body = await acall("GET", f"{base}/api/sessions/{sid}/snapshots/Einde%20ronde%201", tok)
    first = json.loads(body)
    assert [n["text"] for n in first["boards"][1]["state"]["notes"]] == ["ronde 1"]
    _, _, body = await acall("GET", f"{base}/api/sessions/{sid}/export.csv", tok)
    rows = list(csv.DictReader(io.StringIO(body.decode().lstrip("\ufeff"))))
    assert {(r["Tekst"], r["Ronde"], r["Groep"]) for r in rows} == {
        ("ronde 1", "1", "Groep 3"), ("ronde 2", "2", "Groep 3")}
    # reopened, the boards take notes again
    assert (await fac.op(control, {"kind": "session.close", "closed": False}))["result"] == \
        "applied"
    again = await p.op(board, {"kind": "note.add", "note": "late", "zone": "tips"})
    assert again["result"] == "applied"
    await fac.close()
    await p.close()


async def test_R25_exports_over_http_in_every_format(site: tuple[str, Path]) -> None:
    base, _ = site
    made, p = await seeded(base, ["=1+1", "<script>alert(1)</script>"])
    sid, tok = made["session"]["id"], made["facilitator_token"]
    types = {"json": "application/json", "csv": "text/csv", "md": "text/markdown",
             "html": "text/html"}
    for fmt, ctype in types.items():
        status, headers, body = await acall("GET", f"{base}/api/sessions/{sid}/export.{fmt}", tok)
        assert status == 200 and headers["content-type"].startswith(ctype), fmt
        assert "attachment" in headers["content-disposition"]
        if fmt == "html":
            assert "script-src" not in headers["content-security-policy"]
            assert headers["content-security-policy"].startswith("default-src 'none'")
            assert b"<script>" not in body and b"&lt;script&gt;" in body
        if fmt == "json":
            doc = json.loads(body)
            assert doc["format"] == "vierhoeken-export" and doc["version"] == 1
    status, _, body = await acall("GET", f"{base}/api/sessions/{sid}/export.csv?anonymous=1", tok)
    assert b"Ans" not in body and b"deelnemer-1" in body
    assert (await acall("GET", f"{base}/api/sessions/{sid}/export.pdf", tok))[0] == 404
    assert (await acall("GET", f"{base}/api/sessions/{sid}/export.csv"))[0] == 401
    assert (await acall("GET", f"{base}/api/sessions/{sid}/export.csv", p.token))[0] == 403
    assert (await acall("GET", f"{base}/api/sessions/{sid}/export.csv?snapshot=nope", tok)
            )[0] == 404
    other, _ = await seeded(base, ["middag"])
    # R31: the cross-session report is an organiser's, over sessions they own
    org = ORGANISERS[base]
    both = {"sessions": [sid, other["session"]["id"]]}
    status, _, body = await acall("POST", f"{base}/api/report.md", org, both)
    assert status == 200 and b"middag" in body and b"alert" in body
    assert (await acall("POST", f"{base}/api/report.md", tok, both))[0] == 401
    assert (await acall("POST", f"{base}/api/report.md", None, both))[0] == 401
    assert (await acall("POST", f"{base}/api/report.md", org,
                        {"sessions": ["bestaatniet"]}))[0] == 404
    await p.close()


async def test_R24_export_during_concurrent_writes_is_the_state_at_one_seq(
        site: tuple[str, Path]) -> None:
    base, db = site
    made = await new_session(base)
    sid, tok = made["session"]["id"], made["facilitator_token"]
    boards = [b["id"] for b in made["session"]["boards"]]
    writers = [await participant(base, made["code"], f"W{i}") for i in range(4)]
    for w in writers:
        for b in boards:
            await w.subscribe(b)

    async def write(w: Client, i: int) -> None:
        for k in range(60):
            b = boards[(i + k) % 4]
            await w.op(b, {"kind": "note.add", "note": f"w{i}n{k}", "zone": "tips",
                           "text": f"{i}.{k}"})
            if k % 3 == 2:
                await w.op(b, {"kind": "note.edit", "note": f"w{i}n{k}", "text": "bewerkt"})

    tasks = [asyncio.create_task(write(w, i)) for i, w in enumerate(writers)]
    await asyncio.sleep(0.3)
    exports = []
    for _ in range(3):
        _, _, body = await acall("GET", f"{base}/api/sessions/{sid}/export.json", tok)
        exports.append(json.loads(body))
        await asyncio.sleep(0.2)
    await asyncio.gather(*tasks)
    store = open_store(f"sqlite:///{db}")
    await store.open()
    try:
        raw = await store.get_session(sid)
        assert raw is not None
        rec = SessionRecord.model_validate_json(raw)
        for doc in exports:
            for entry in doc["boards"]:
                replayed = await replay_until(store, rec, entry["id"], entry["seq"])
                assert replayed == entry["state"], entry["id"]
    finally:
        await store.close()
    assert any(0 < b["seq"] < 90 for doc in exports for b in doc["boards"][:4])
    for w in writers:
        await w.close()


async def replay_until(store: Any, rec: SessionRecord, board: str, seq: int) -> dict[str, Any]:
    from server.board import Entry, apply
    from server.boardstate import BoardState

    info = rec.board(board)
    assert info is not None
    state = BoardState(board, tuple(info.zones), spec=info.spec())
    for s, payload in await store.read(board, 0, 100000):
        if s > seq:
            break
        apply(state, Entry.from_payload(s, orjson.loads(payload)))
    return state.to_dict()


def cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STORE_URL": f"sqlite:///{db}", "SECRET_KEY": "s"}
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.slow  # a dozen command-line processes
async def test_R24_command_line_export_import_and_errors(site: tuple[str, Path],
                                                         tmp_path: Path) -> None:
    base, db = site
    made, p = await seeded(base, ["via de cli", "=SUM(A1)"])
    await p.close()
    sid, code = made["session"]["id"], made["code"]
    await acall("POST", f"{base}/api/sessions/{sid}/snapshots", made["facilitator_token"],
                {"name": "S1"})
    out = tmp_path / "export.json"
    done = await asyncio.to_thread(cli, "export", code, "--format", "json", "-o", str(out),
                                   db=db)
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    assert doc["session"]["id"] == sid
    for fmt in ("csv", "md", "html"):
        done = await asyncio.to_thread(cli, "export", sid, "--format", fmt, "--snapshot", "S1",
                                       db=db)
        assert done.returncode == 0 and "via de cli" in done.stdout, (fmt, done.stderr)
    csv_out = (await asyncio.to_thread(cli, "export", sid, "--format", "csv", db=db)).stdout
    assert "'=SUM(A1)" in csv_out
    # into a fresh store: import (for an organiser, as a new session), export again: the same
    # content under the new session's ids (R35)
    fresh = tmp_path / "fresh.db"
    done = await asyncio.to_thread(cli, "organiser", "add", "Ans", db=fresh)
    assert done.returncode == 0 and "/o/" in done.stdout, done.stderr
    done = await asyncio.to_thread(cli, "import", str(out), "--owner", "ans", db=fresh)
    assert done.returncode == 0 and sid not in done.stdout, done.stderr
    new_sid = done.stdout.split()[2]
    again = tmp_path / "again.json"
    await asyncio.to_thread(cli, "export", new_sid, "-o", str(again), db=fresh)
    first, second = (json.loads(f.read_text().replace(i, "SID"))
                     for f, i in ((out, sid), (again, new_sid)))
    for d in (first, second):
        d.pop("exported_at")
        for key in ("code", "key", "owner", "created"):
            d["session"].pop(key)
    assert first == second
    # errors: one clear line, exit 2, nothing half-imported
    bad = tmp_path / "v2.json"
    bad.write_text(json.dumps({**doc, "version": 2}))
    other = tmp_path / "other.db"
    await asyncio.to_thread(cli, "organiser", "add", "Bo", db=other)
    done = await asyncio.to_thread(cli, "import", str(bad), "--owner", "Bo", db=other)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "version 2" in done.stderr
    done = await asyncio.to_thread(cli, "export", "ZZZZZZ", db=db)
    assert done.returncode == 2 and "ZZZZZZ" in done.stderr and done.stderr.count("\n") == 1
    done = await asyncio.to_thread(cli, "export", sid, "--snapshot", "nope", db=db)
    assert done.returncode == 2 and "nope" in done.stderr
    store = open_store(f"sqlite:///{other}")
    await store.open()
    assert await store.list_sessions() == []
    await store.close()
    listed = await asyncio.to_thread(cli, "snapshots", code, db=db)
    assert listed.stdout.startswith("S1\tmanual")


async def test_R24_deleting_a_session_and_retention(site: tuple[str, Path]) -> None:
    base, db = site
    made, p = await seeded(base, ["weg ermee"])
    sid, tok = made["session"]["id"], made["facilitator_token"]
    await acall("POST", f"{base}/api/sessions/{sid}/snapshots", tok, {"name": "S"})
    # R31: deleting is the owning organiser's; not a screen's, not a facilitator link's
    assert (await acall("DELETE", f"{base}/api/sessions/{sid}", made["viewer_token"]))[0] == 401
    assert (await acall("DELETE", f"{base}/api/sessions/{sid}", tok))[0] == 401
    status, _, _ = await acall("DELETE", f"{base}/api/sessions/{sid}", ORGANISERS[base])
    assert status == 200
    assert (await acall("GET", f"{base}/api/join/{made['code']}"))[0] == 404
    assert (await acall("GET", f"{base}/api/sessions/{sid}/snapshots", tok))[0] == 404
    with pytest.raises(ConnectionError):  # its connections are cut
        await p.wait_for(lambda f: False, timeout=5)
    store = open_store(f"sqlite:///{db}")
    await store.open()
    try:
        assert await store.list_archives(sid) == []
        # retention: a session older than the period goes, a new one stays
        old = await new_session(base)
        young = await new_session(base)
        rec = SessionRecord.model_validate(old["session"]).model_copy(update={"created": 0.0})
        await store.put_session(rec.id, rec.code, rec.model_dump_json())
        gone = await lifecycle.purge(store, 30)
        assert gone == [rec.id]
        assert await store.get_session(young["session"]["id"]) is not None
    finally:
        await store.close()


async def test_R24_http_import_refuses_bad_documents(site: tuple[str, Path]) -> None:
    base, _ = site
    made, p = await seeded(base, ["mee"])
    await p.close()
    sid, tok = made["session"]["id"], made["facilitator_token"]
    _, _, body = await acall("GET", f"{base}/api/sessions/{sid}/export.json", tok)
    doc = json.loads(body)
    org = ORGANISERS[base]
    # R31: importing is an organiser's
    assert (await acall("POST", f"{base}/api/import", raw=body))[0] == 401
    assert (await acall("POST", f"{base}/api/import", tok, raw=body))[0] == 401
    # R35: every import is a new session, never the document's ids
    status, _, answer = await acall("POST", f"{base}/api/import", org, raw=body)
    imported = json.loads(answer)
    assert status == 201 and imported["code"] != made["code"]
    assert imported["session"]["id"] != sid
    doc["boards"][0]["state"]["notes"] = [{"id": "x"}]
    status, _, answer = await acall("POST", f"{base}/api/import", org,
                                    raw=json.dumps(doc).encode())
    refusal = json.loads(answer)
    assert status == 400 and refusal["error"] == "import_refused"
    assert refusal["message"].startswith("boards.0.state.notes.0.")  # the first bad field
    assert (await acall("POST", f"{base}/api/import", org, raw=b"{nope"))[0] == 400
    assert archive.VERSION == 1
