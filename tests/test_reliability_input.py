"""Hostile input, measured (issue 10): origins, authorization, size and compression bombs,
generated messages, a fuzzer. Figures go to docs/RELIABILITY.md via ``make reliability``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serverproc import free_port, start_server, stop, wait_healthy
from test_facilitation import run_case, sample_ops
from wsharness import ahttp, live_server, new_session, participant

from server import protocol, roles
from server.auth import Signer
from server.board import Actor, Entry, apply, check
from server.boardstate import BoardState
from server.config import Settings
from server.protocol import Error, OpFrame
from server.session import new_session as make_session
from server.templates import catalog

pytestmark = pytest.mark.reliability
SOAK = os.environ.get("VH_SOAK") == "1"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def base(tmp_path: Path) -> AsyncIterator[str]:
    settings = Settings(store_url="memory://", secret_key="k", data_dir=tmp_path,
                        allowed_origins=("https://sto.example.nl",))
    async with live_server(settings) as b:
        yield b


ORIGINS_REFUSED = ["https://evil.example", "null", "http://127.0.0.1.evil.example",
                   "https://sto.example.nl.evil.example", "file://", "chrome-extension://abc",
                   "http://localhost", "https://STO.example.nl:444", "javascript:alert(1)",
                   "data:text/html,x"]


async def test_origins_foreign_and_null_refused_allowed_accepted(base: str, figure: Any) -> None:
    url = base.replace("http", "ws") + "/ws"
    refused = accepted = 0
    for origin in ORIGINS_REFUSED:
        with pytest.raises(websockets.InvalidStatus) as info:
            await websockets.connect(url, origin=origin)  # type: ignore[arg-type]
        assert info.value.response.status_code == 403
        refused += 1
    for origin in (base, "https://sto.example.nl", None):
        kwargs = {} if origin is None else {"origin": origin}
        async with websockets.connect(url, **kwargs) as ws:  # type: ignore[arg-type]
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv())["type"] == "pong"
            accepted += 1
    figure("foreign or null origins refused", f"{refused}/{len(ORIGINS_REFUSED)}",
           target="all", ok=refused == len(ORIGINS_REFUSED))
    figure("own, allowed and non-browser origins accepted", f"{accepted}/3", target="all",
           ok=accepted == 3)


async def test_authorization_every_op_every_role_every_bad_token(base: str, figure: Any
                                                                 ) -> None:
    """Every op kind x every role and bad credential: unauthorized ops applied = 0."""
    tried = unauthorized_applied = refused = 0
    for template in ("vier-hoeken", "matrix", "achtje", "reflectietool"):
        made = await new_session(base, template)
        other = await new_session(base, template)
        rec = made["session"]
        join = await ahttp(f"{base}/api/join/{made['code']}")
        signer = Signer(b"k")
        creds = {
            "participant": join["token"], "viewer": made["viewer_token"], "none": None,
            "expired": signer.issue(rec["id"], "facilitator", -1),
            "forged": made["facilitator_token"][:-4] + "AAAA",
            "other-session": other["facilitator_token"],
        }
        for name, token in creds.items():
            ops = sample_ops(rec, name)
            answers = await run_case(base, token, ops)
            for (_, op), answer in zip(ops, answers, strict=True):
                allowed = name in ("participant", "viewer") and roles.may(
                    name, op["kind"])  # type: ignore[arg-type]
                tried += 1
                if allowed:
                    continue
                if answer.get("type") == "ack":
                    unauthorized_applied += 1
                else:
                    refused += 1
    figure("unauthorized (op kind, role, credential) attempts", refused + unauthorized_applied,
           target="every op kind")
    figure("unauthorized ops applied", unauthorized_applied, target="0",
           ok=unauthorized_applied == 0)
    assert unauthorized_applied == 0 and refused > 200


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def test_size_and_compression_bombs(tmp_path: Path, figure: Any) -> None:
    """An over-limit frame is closed with 1009; deflate is never negotiated, so a 15 MiB
    message of zeros costs its full size on the wire and is cut at 64 KiB; memory stays
    bounded and other clients are unaffected."""
    port = free_port()
    proc = start_server(port, {"STORE_URL": "memory://", "SECRET_KEY": "k",
                               "DATA_DIR": str(tmp_path)}, tmp_path / "server.log")
    try:
        await asyncio.to_thread(wait_healthy, port, 20.0, proc)
        base = f"http://127.0.0.1:{port}"
        made = await new_session(base)
        board = made["session"]["boards"][0]["id"]
        calm = await participant(base, made["code"], "Rustig")
        await calm.subscribe(board)
        before = rss_kib(proc.pid)
        closes = []
        rounds = 20 if SOAK else 6
        for _ in range(rounds):
            async with websockets.connect(base.replace("http", "ws") + "/ws",
                                          compression="deflate", max_size=None) as ws:
                assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
                try:
                    await ws.send(b"\0" * (15 * 1024 * 1024))
                    await asyncio.wait_for(ws.recv(), 10)
                except websockets.ConnectionClosed:
                    pass
                closes.append(ws.close_code)
            ack = await calm.op(board, {"kind": "note.add", "note": calm.next_id("n"),
                                        "zone": "tips"})
            assert ack["type"] == "ack"
        grown = rss_kib(proc.pid) - before
        await calm.close()
    finally:
        stop(proc)
    figure("15 MiB frames closed with 1009", f"{closes.count(1009)}/{rounds}", target="all",
           ok=closes.count(1009) == rounds)
    figure("server RSS growth after the bombs", grown // 1024, "MiB", "< 64 MiB",
           ok=grown < 64 * 1024)
    figure("compression negotiated", "never", target="never", ok=True)
    assert closes.count(1009) == rounds and grown < 64 * 1024


# --- generated messages ----------------------------------------------------------------------

KINDS = sorted(protocol.BOARD_OP.json_schema()["discriminator"]["mapping"])
FIELD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=True),
    st.text(max_size=30), st.sampled_from(["n1", "n2", "tips", "relevantie", "c1", "v1",
                                           "impact@k1", "management@tussen", "Groep 1", ""]),
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5),
                                                                 st.text(max_size=5),
                                                                 max_size=3))
FIELDS = ["note", "zone", "text", "color", "x", "y", "cluster", "hidden", "mode", "vote",
          "board", "delta", "budget", "cap", "column", "title", "index", "partner", "name",
          "flag", "level", "on", "reflection", "aspect", "score", "groups", "group", "plan",
          "free", "seconds", "round", "start", "corner", "closed", "into", "station",
          "participant", "anonymous"]


def _valid_ops() -> list[dict[str, Any]]:
    out = []
    for template in ("vier-hoeken", "matrix", "achtje", "reflectietool"):
        rec = make_session(catalog(), template).public()
        for _board, op in sample_ops(rec, "g"):
            board_id = rec["boards"][0]["id"]
            out.append(json.loads(json.dumps(op).replace(board_id, "b")))
    return out


VALID_OPS = _valid_ops()


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    """Valid ops of every kind, mutated: fields replaced, dropped or added; some raw bytes."""
    roll = draw(st.integers(0, 9))
    if roll == 0:
        return draw(st.binary(max_size=200))
    op = dict(draw(st.sampled_from(VALID_OPS)))
    if roll >= 4:
        for name in draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
            op[name] = draw(FIELD_VALUES)
        if roll == 9 and len(op) > 1:
            op.pop(draw(st.sampled_from(sorted(k for k in op if k != "kind"))))
    frame: dict[str, Any] = {"type": draw(st.sampled_from(["op"] * 8 + ["hello", "bogus"])),
                             "id": draw(st.sampled_from(["o1", "o2", "o3", "x" * 70, ""])),
                             "board": "b", "op": op}
    return json.dumps(frame, allow_nan=True).encode()


STATS = {"messages": 0, "parsed": 0, "errors": 0, "applied": 0}


def fresh_boards() -> list[BoardState]:
    out = []
    for template in ("vier-hoeken", "matrix", "achtje", "reflectietool"):
        rec = make_session(catalog(), template)
        for info in (rec.boards[0], rec.control()):
            out.append(BoardState(info.id, tuple(info.zones), spec=info.spec()))
    return out


BATCH = 100
EXAMPLES = 1000 if SOAK else 110


def feed_batch(batch: list[bytes]) -> None:
    boards = fresh_boards()
    actors = [Actor("p1", "A", "Groep 1"), Actor("f1", "F", "", "facilitator")]
    for raw in batch:
        STATS["messages"] += 1
        frame = protocol.parse_client(raw)
        if isinstance(frame, Error):
            STATS["errors"] += 1
            json.dumps(frame.model_dump(mode="json"))
            continue
        STATS["parsed"] += 1
        if not isinstance(frame, OpFrame):
            continue
        for i, state in enumerate(boards):
            actor = actors[i % 2]
            check(state, frame.op, actor)
            seq = state.seq + 1
            if apply(state, Entry(seq, frame.id, 0.0, actor, 1, frame.op)).result == "applied":
                STATS["applied"] += 1
            # invariants: a note is alive or deleted, never both; state survives a round trip
            assert not set(state.notes) & (state.deleted - set(state.trash))
            assert set(state.trash) <= state.deleted
            assert state.seq == seq
    for state in boards:
        again = BoardState.from_dict(json.loads(json.dumps(state.to_dict())), state.spec)
        assert again.to_dict() == state.to_dict()


def test_generated_messages_never_crash_and_keep_invariants(figure: Any) -> None:
    """The property test and its figures in one test, so it depends on no other."""
    for key in STATS:
        STATS[key] = 0
    settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
             derandomize=not SOAK)(
        given(batch=st.lists(messages(), min_size=BATCH, max_size=BATCH))(feed_batch))()
    n = STATS["messages"]
    figure("generated messages through parse/check/apply", n, target=">= 10,000",
           ok=n >= 10_000)
    figure("of which parsed / typed errors / applied on a board",
           f"{STATS['parsed']} / {STATS['errors']} / {STATS['applied']}")
    figure("unhandled exceptions", 0, target="0", ok=True)
    assert n >= 10_000


def test_atheris_fuzz_decode_validate_apply(tmp_path: Path, figure: Any) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    from fuzz_protocol import SEEDS

    for i, seed in enumerate(SEEDS):
        (corpus / f"seed{i}").write_bytes(seed)
    words = sorted({*KINDS, *FIELDS, "type", "op", "hello", "subscribe", "kind", "id"})
    (tmp_path / "json.dict").write_text("\n".join(f'"\\"{w}\\""' for w in words) + "\n")
    runs = 400_000 if SOAK else 25_000
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "fuzz_protocol.py"), f"-atheris_runs={runs}",
         f"-dict={tmp_path / 'json.dict'}", "-max_len=2048", str(corpus)],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    crashed = done.returncode != 0 or "Uncaught Python exception" in done.stderr
    figure("atheris runs over decode -> validate -> apply", runs, target="short in make test")
    figure("fuzzer crashes", int(crashed), target="0", ok=not crashed)
    assert not crashed, done.stderr[-3000:]
