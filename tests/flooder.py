"""A client that sends far more op frames than the rate limit allows (R15), as its own process
and as cheaply as possible, so that on a 2-core test machine the flooder's own CPU does not
pass for the server's: frames are encoded once up front (masked with the all-zero key, which
RFC 6455 allows) and written in batches on a raw socket; answers are told apart by a substring
of their payload, not parsed.

``python tests/flooder.py PORT TOKEN BOARD RATE SECONDS [LINGER]`` sends valid ops (a
``note.add``, then ``note.edit``s of that note) at RATE frames a second for SECONDS, waits (while
answers keep coming, at most LINGER seconds) until each frame has an answer, and prints one
JSON line: frames sent, acks and rate_limited errors counted, the arrival times of the acks and
of all answers to its ops, and whether the server closed the connection. ``start``/``finish``
run it from a test.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import struct
import sys
import time
from typing import Any

ACK = b'"type":"ack"'
LIMITED = b'"code":"rate_limited"'
ERROR = b'"type":"error"'


def client_frame(text: str) -> bytes:
    """One masked text frame (mask key 0000: the payload goes out as it is)."""
    payload = text.encode()
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x81, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
    return head + b"\0\0\0\0" + payload


async def _flood(port: int, token: str, board: str, rate: float, seconds: float,
                 linger: float | None = None) -> dict[str, Any]:
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    writer.write((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"handshake refused: {head[:200]!r}")
    writer.write(client_frame(json.dumps({"type": "hello", "v": 1, "token": token,
                                          "name": "flood"})))
    seen = b""
    while b'"welcome"' not in seen:
        chunk = await asyncio.wait_for(reader.read(65536), 10)
        if not chunk:
            raise RuntimeError("closed before welcome")
        seen += chunk

    prefix = secrets.token_hex(4)
    n = int(rate * seconds) + 1
    # One note, then edits of it: every frame is a valid op, and the board does not grow (a
    # growing board makes the server's periodic snapshots slower, which is not under test).
    note = f"f{prefix}"
    ops = [{"kind": "note.add", "note": note, "zone": "tips", "text": "flood"}]
    ops += [{"kind": "note.edit", "note": note, "text": f"flood {i}"} for i in range(1, n)]
    frames = [client_frame(json.dumps({"type": "op", "id": f"f{prefix}.{i}", "board": board,
                                       "op": op}, separators=(",", ":")))
              for i, op in enumerate(ops)]
    print(json.dumps({"ready": True}), flush=True)

    # "notice": a rate_limited error that answers no op (no ref): the wire saying it paused
    # reading (R15), as opposed to an op refused.
    counts = {"ack": 0, "rate_limited": 0, "error": 0, "notice": 0}
    ack_times: list[float] = []
    answer_times: list[float] = []
    closed: list[bool] = []
    start = time.monotonic()

    async def read() -> None:
        buf = b""
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                closed.append(True)
                return
            now = time.monotonic() - start
            buf += chunk
            pos = 0
            while len(buf) - pos >= 2:  # server frames are not masked
                n = buf[pos + 1] & 0x7F
                at = pos + 2
                if n == 126:
                    if len(buf) - pos < 4:
                        break
                    n, at = struct.unpack_from("!H", buf, pos + 2)[0], pos + 4
                elif n == 127:
                    if len(buf) - pos < 10:
                        break
                    n, at = struct.unpack_from("!Q", buf, pos + 2)[0], pos + 10
                if len(buf) < at + n:
                    break
                payload = buf[at:at + n]
                pos = at + n
                if ACK in payload:
                    counts["ack"] += 1
                    ack_times.append(now)
                    answer_times.append(now)
                elif ERROR in payload:
                    counts["error"] += 1
                    counts["rate_limited"] += LIMITED in payload
                    if b'"ref"' in payload:
                        answer_times.append(now)
                    else:
                        counts["notice"] += 1
            buf = buf[pos:]

    reading = asyncio.create_task(read())
    tick = 0.01
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    sent, k = 0, 0
    while loop.time() - t0 < seconds and not closed:
        k += 1
        due = min(n, int(rate * k * tick))
        if due > sent:
            writer.write(b"".join(frames[sent:due]))
            sent = due
            await writer.drain()
        await asyncio.sleep(max(t0 + k * tick - loop.time(), 0))
    elapsed = loop.time() - t0
    # A busy server may still be reading the backlog: wait while answers keep coming (each
    # frame gets one), but not longer than 3 s without progress or 60 s in all (or ``linger``
    # seconds: a server that reads only at its rate, R15, would take minutes).
    deadline = time.monotonic() + (60 if linger is None else linger)
    answered, progress = -1, time.monotonic()
    while (counts["ack"] + counts["error"] - counts["notice"] < sent and not closed
           and time.monotonic() < min(deadline, progress + 3)):
        if counts["ack"] + counts["error"] != answered:
            answered, progress = counts["ack"] + counts["error"], time.monotonic()
        await asyncio.sleep(0.05)
    reading.cancel()
    writer.close()
    return {"sent": sent, "seconds": elapsed, "counts": counts, "ack_times": ack_times,
            "answer_times": answer_times,
            "closed": bool(closed)}


async def start(port: int, token: str, board: str, rate: float, seconds: float,
                linger: float | None = None) -> asyncio.subprocess.Process:
    """Start the flooder process and return once it is connected and about to send;
    ``finish`` collects its result. ``linger``: seconds to wait for answers after sending."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, os.path.abspath(__file__), str(port), token, board, str(rate),
        str(seconds), *([] if linger is None else [str(linger)]),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    if not line:
        err = await proc.stderr.read()
        await proc.wait()
        raise RuntimeError(f"flooder exited {proc.returncode} before it was connected: "
                           f"{err.decode()[-2000:]}")
    return proc


async def finish(proc: asyncio.subprocess.Process, timeout: float) -> dict[str, Any]:
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"flooder exited {proc.returncode}: {err.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    if len(sys.argv) not in (6, 7):
        sys.exit("usage: python tests/flooder.py PORT TOKEN BOARD RATE SECONDS [LINGER]")
    port, token, board, rate, seconds = sys.argv[1:6]
    linger = float(sys.argv[6]) if len(sys.argv) == 7 else None
    print(json.dumps(asyncio.run(_flood(int(port), token, board, float(rate),
                                        float(seconds), linger))), flush=True)
