"""R6 over a real process: kill -9 of the server loses no acknowledged op."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

from serverproc import free_port, start_server, stop, wait_healthy
from wsharness import Client, new_session, participant


async def test_R6_kill_9_loses_no_acknowledged_op(tmp_path: Path) -> None:
    port = free_port()
    env = {"STORE_URL": f"sqlite:///{tmp_path}/vh.db", "SECRET_KEY": "durable",
           "DATA_DIR": str(tmp_path)}
    log = tmp_path / "server.log"
    proc = start_server(port, env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        await asyncio.to_thread(wait_healthy, port, 20.0, proc)
        s = await new_session(base)
        board = s["session"]["boards"][0]["id"]
        clients = [await participant(base, s["code"], f"P{i}") for i in range(5)]
        for c in clients:
            await c.subscribe(board)

        sent: dict[str, dict[str, Any]] = {}

        async def write(i: int, c: Client) -> None:
            for k in range(200):
                op = {"kind": "note.add", "note": f"c{i}n{k}", "zone": "tips", "text": f"{k}"}
                op_id = f"c{i}.{k}"
                sent[op_id] = op
                try:
                    await c.op(board, op, op_id=op_id, wait=False)
                except Exception:
                    return
                await asyncio.sleep(0.002)

        writers = [asyncio.create_task(write(i, c)) for i, c in enumerate(clients)]

        def acks() -> list[dict[str, Any]]:
            return [f for c in clients for f in c.frames if f["type"] == "ack"]

        while len(acks()) < 150:
            await asyncio.sleep(0.01)
        stop(proc, signal.SIGKILL)
        await asyncio.gather(*writers, return_exceptions=True)
        acked = {f["id"]: f["seq"] for f in acks()}
        assert len(acked) >= 150

        proc = start_server(port, env, log)
        await asyncio.to_thread(wait_healthy, port, 20.0, proc)
        check = Client(base, clients[0].token)
        await check.connect()
        await check.subscribe(board)
        notes = check.notes(board)
        for op_id, seq in acked.items():
            assert sent[op_id]["note"] in notes, f"acknowledged op {op_id} (seq {seq}) lost"
        # Retrying every op (the clients never saw some answers) makes no duplicates.
        before = check.boards[board].state.seq  # type: ignore[union-attr]
        for op_id in sorted(acked)[:20]:
            ack = await check.op(board, sent[op_id], op_id=op_id)
            assert ack["type"] == "ack" and ack["seq"] == acked[op_id]
        assert check.boards[board].state.seq == before  # type: ignore[union-attr]
        for c in [*clients, check]:
            await c.close()
    finally:
        stop(proc)
