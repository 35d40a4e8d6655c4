"""An attacker as its own process, for tests/attackkit.py: raw sockets, frames encoded once up
front, standard library only, so that on a 2-core test machine its own CPU stays small and
does not pass for the server's.

It reads commands from stdin, one JSON line each, and runs one attack at a time:
``{"attack": NAME, "port": PORT, ...params}`` starts one (it answers ``{"started": NAME}``),
``"stop"`` ends it (it answers with the attack's result, one JSON line); end of input exits.
Every attack keeps going (reconnecting when the server closes it, after ``gap`` seconds) until
stopped, and every loop is bounded in time (``limit_s``) and in count.

Attacks (``ATTACKS``): continuation, pings, idle_tcp, no_hello, trickle, big_body, chunked,
file_body, dup_headers. Each returns counts of what it sent and of what the server did to it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import struct
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
TEXT, CONT, CLOSE, PING, PONG = 0x1, 0x0, 0x8, 0x9, 0xA


def frame(opcode: int, payload: bytes = b"", fin: bool = True) -> bytes:
    """A client frame masked with the all-zero key (RFC 6455 allows it): the payload goes out
    as it is, so frames can be made once and written many times."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + b"\0\0\0\0" + payload


def upgrade_request(port: int, path: str = "/ws", extra: str = "") -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"{extra}\r\n").encode()


async def open_ws(port: int, path: str = "/ws", extra: str = ""
                  ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, int]:
    """A websocket's opening handshake on a raw socket: (reader, writer, HTTP status)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 5)
    writer.write(upgrade_request(port, path, extra))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    return reader, writer, int(head.split(b" ", 2)[1])


async def read_frames(reader: asyncio.StreamReader, seen: Counter[str],
                      limit_s: float) -> int | None:
    """Read server frames, counting them by kind, until the connection ends; returns the close
    code the server sent (None: none, the connection just ended)."""
    code = None
    with contextlib.suppress(OSError, asyncio.IncompleteReadError, TimeoutError):
        async with asyncio.timeout(limit_s):
            while True:
                b0, b1 = await reader.readexactly(2)
                n = b1 & 0x7F
                if n == 126:
                    n = struct.unpack("!H", await reader.readexactly(2))[0]
                elif n == 127:
                    n = struct.unpack("!Q", await reader.readexactly(8))[0]
                payload = await reader.readexactly(n)
                opcode = b0 & 0x0F
                if opcode == CLOSE:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                    seen["close"] += 1
                elif opcode == PONG:
                    seen["pong"] += 1
                elif opcode == PING:
                    seen["ping"] += 1
                else:
                    seen["message"] += 1
                    if b"rate_limited" in payload:
                        seen["rate_limited"] += 1
    return code


def closed(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        writer.close()


class Attack:
    """What all attacks share: a stop event, counts, and a loop that reconnects."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.port: int = params["port"]
        self.params = params
        self.gap: float = params.get("gap", 0.2)
        self.limit_s: float = params.get("limit_s", 60.0)
        self.stop = asyncio.Event()
        self.counts: Counter[str] = Counter()
        self.codes: Counter[str] = Counter()
        self.times: list[float] = []  # per connection: seconds from its start to its end
        self.started = time.monotonic()

    def running(self) -> bool:
        return not self.stop.is_set() and time.monotonic() - self.started < self.limit_s

    async def again(self) -> bool:
        """Wait ``gap`` (or until stopped); whether to go on."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), self.gap)
        return self.running()

    async def until_stopped(self, *workers: Awaitable[None]) -> None:
        tasks = [asyncio.ensure_future(w) for w in workers]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), self.limit_s)
        self.stop.set()
        for t in tasks:
            t.cancel()
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(outcome, Exception):  # a bug here, not the server's doing: say so
                self.codes[f"attacker failed: {outcome!r}"] += 1

    def result(self) -> dict[str, Any]:
        times = sorted(self.times)
        return {"counts": dict(self.counts), "codes": dict(self.codes),
                "seconds": time.monotonic() - self.started,
                "median_s": times[len(times) // 2] if times else None,
                "max_s": times[-1] if times else None, "n": len(times)}


async def continuation(a: Attack) -> None:
    """A message begun, then empty continuation frames for ever (64 KiB of them per write)."""
    block = frame(CONT, fin=False) * (65536 // 6)

    async def one() -> None:
        reader, writer, status = await open_ws(a.port)
        a.codes[f"http {status}"] += 1
        if status != 101:
            closed(writer)
            return
        seen: Counter[str] = Counter()
        began = time.monotonic()
        reading = asyncio.create_task(read_frames(reader, seen, a.limit_s))
        writer.write(frame(TEXT, b"x", fin=False))
        with contextlib.suppress(OSError):
            while not reading.done() and a.running():
                writer.write(block)
                a.counts["frames"] += len(block) // 6
                await writer.drain()
        code = await reading
        a.times.append(time.monotonic() - began)
        a.codes[str(code)] += 1
        closed(writer)

    while a.running():
        with contextlib.suppress(OSError, TimeoutError, EOFError):
            await one()
        a.counts["connections"] += 1
        if not await a.again():
            break


async def pings(a: Attack) -> None:
    """1-byte pings as fast as the socket takes them, counting the pongs."""
    block = frame(PING, b"p") * (65536 // 7)
    while a.running():
        with contextlib.suppress(OSError, TimeoutError, EOFError):
            reader, writer, status = await open_ws(a.port)
            a.codes[f"http {status}"] += 1
            seen: Counter[str] = Counter()
            began = time.monotonic()
            reading = asyncio.create_task(read_frames(reader, seen, a.limit_s))

            async def flood(writer: asyncio.StreamWriter = writer) -> None:
                with contextlib.suppress(OSError):
                    while True:
                        writer.write(block)
                        a.counts["pings"] += len(block) // 7
                        await writer.drain()  # waits while the server does not read

            flooding = asyncio.create_task(flood())
            stopping = asyncio.create_task(a.stop.wait())
            await asyncio.wait([reading, stopping], timeout=a.limit_s,
                               return_when=asyncio.FIRST_COMPLETED)
            for task in (flooding, stopping):
                task.cancel()
            if not reading.done():
                closed(writer)
            code = await reading
            a.counts["pongs"] += seen["pong"]
            if code is not None:
                a.times.append(time.monotonic() - began)
            a.codes[str(code)] += 1
            closed(writer)
        a.counts["connections"] += 1
        if not await a.again():
            break


async def _hold_open(a: Attack, make: Callable[[], Awaitable[tuple[asyncio.StreamReader,
                                                                    asyncio.StreamWriter]]],
                     n: int) -> None:
    """Keep ``n`` connections open that send nothing more; note how each one ends."""

    async def one() -> None:
        while a.running():
            began = time.monotonic()
            try:
                reader, writer = await make()
            except (OSError, TimeoutError, ValueError, EOFError) as exc:
                # EOFError: closed before it switched protocols (made room for another).
                a.codes["EOF before 101" if isinstance(exc, EOFError)
                        else type(exc).__name__] += 1
                if not await a.again():
                    return
                continue
            a.counts["opened"] += 1
            ending = "EOF"
            with contextlib.suppress(OSError, TimeoutError):
                async with asyncio.timeout(a.limit_s):
                    data = await reader.read(65536)
                    while data and not data.startswith(b"HTTP/1.1 "):
                        if len(data) >= 4 and data[0] & 0x0F == CLOSE:  # a ws close frame
                            ending = f"close {struct.unpack('!H', data[2:4])[0]}"
                            break
                        data = await reader.read(65536)
                    if data.startswith(b"HTTP/1.1 "):
                        ending = f"http {data[9:12].decode()}"
            a.codes[ending] += 1
            a.times.append(time.monotonic() - began)
            closed(writer)
            if not await a.again():
                return

    await a.until_stopped(*(one() for _ in range(n)))


async def idle_tcp(a: Attack) -> None:
    """``count`` TCP connections that never send a byte."""
    async def make() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.wait_for(asyncio.open_connection(HOST, a.port), 5)

    await _hold_open(a, make, a.params.get("count", 100))


async def no_hello(a: Attack) -> None:
    """``count`` websockets that complete the handshake and then say nothing."""
    async def make() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer, status = await open_ws(a.port)
        if status != 101:
            closed(writer)
            raise ValueError(f"http {status}")
        return reader, writer

    await _hold_open(a, make, a.params.get("count", 100))


async def trickle(a: Attack) -> None:
    """``count`` connections sending a request head one byte every ``every`` seconds."""
    head = upgrade_request(a.port)
    every = a.params.get("every", 1.0)

    async def one() -> None:
        while a.running():
            began = time.monotonic()
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, a.port), 5)
            except (OSError, TimeoutError):
                a.codes["connect failed"] += 1
                if not await a.again():
                    return
                continue
            answer = asyncio.create_task(reader.read(4096))
            for i in range(len(head)):
                if answer.done() or not a.running():
                    break
                with contextlib.suppress(TimeoutError, OSError):
                    writer.write(head[i:i + 1])
                    a.counts["bytes"] += 1
                    await asyncio.wait_for(asyncio.shield(answer), every)
            if answer.done() and not answer.exception():
                data = answer.result()
                ending = f"http {data[9:12].decode()}" if data.startswith(b"HTTP") else "EOF"
            else:
                ending = "reset" if answer.done() else "still open"
                answer.cancel()
            a.codes[ending] += 1
            if ending != "still open":
                a.times.append(time.monotonic() - began)
            closed(writer)
            if not await a.again():
                return

    await a.until_stopped(*(one() for _ in range(a.params.get("count", 4))))


async def _send_body(a: Attack, head: bytes, chunks: Callable[[], bytes], total: int) -> None:
    """One request with a large body: write until the server answers (or ``total`` is sent),
    noting the answer and how much had been sent by then."""
    began = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, a.port), 5)
    except (OSError, TimeoutError):
        a.codes["connect failed"] += 1
        return
    answer = asyncio.create_task(reader.read(4096))
    sent = 0
    try:
        writer.write(head)
        while sent < total and not answer.done():
            chunk = chunks()
            writer.write(chunk)
            sent += len(chunk)
            await writer.drain()
    except OSError:
        pass
    try:
        data = await asyncio.wait_for(answer, 10)
    except (OSError, TimeoutError):
        data = b""
    status = data[9:12].decode() if data.startswith(b"HTTP/1.1 ") else "none"
    a.codes[f"http {status}"] += 1
    a.counts["requests"] += 1
    a.counts["bytes sent"] += sent
    a.counts["max bytes sent before the answer"] = max(
        a.counts["max bytes sent before the answer"], sent)
    a.times.append(time.monotonic() - began)
    closed(writer)


async def _uploads(a: Attack, framing: str, block: bytes) -> None:
    """``parallel`` uploads at once of ``mib`` MiB each, to ``path`` (one path, or a list the
    uploads take in turn), with ``auth`` as the Authorization header if given."""
    size = a.params.get("mib", 200) * 1024 * 1024
    paths = a.params.get("path", "/api/import")
    paths = paths if isinstance(paths, list) else [paths]
    auth = f"authorization: {a.params['auth']}\r\n" if a.params.get("auth") else ""
    framing = framing.format(size=size)

    async def one(path: str) -> None:
        head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{a.port}\r\n{auth}"
                f"content-type: application/json\r\n{framing}\r\n").encode()
        while a.running():
            await _send_body(a, head, lambda: block, size)
            if not await a.again():
                return

    await a.until_stopped(*(one(paths[i % len(paths)])
                            for i in range(a.params.get("parallel", 4))))


async def big_body(a: Attack) -> None:
    """Uploads with their Content-Length declared (see _uploads)."""
    await _uploads(a, "content-length: {size}\r\n", b"\0" * 65536)


async def chunked(a: Attack) -> None:
    """Uploads in chunks of 64 KiB, no length declared (see _uploads)."""
    piece = b"\0" * 65536
    await _uploads(a, "transfer-encoding: chunked\r\n",
                   f"{len(piece):x}\r\n".encode() + piece + b"\r\n")


async def dup_headers(a: Attack) -> None:
    """``rate`` requests a second, each with one of the single headers twice (and now and then
    a websocket handshake with two Origins), counting the answers."""
    rate = a.params.get("rate", 20.0)
    twice = [f"Host: {HOST}:{a.port}", "Origin: http://a.example", "Content-Length: 0",
             "Authorization: Bearer x", "Cookie: a=b"]
    k = 0
    while a.running():
        k += 1
        try:
            if k % 5 == 0:
                _, writer, status = await open_ws(
                    a.port, extra="Origin: http://a.example\r\nOrigin: http://b.example\r\n")
                a.codes[f"ws http {status}"] += 1
            else:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, a.port), 5)
                line = twice[k % len(twice)]
                host = "" if line.startswith("Host") else f"Host: {HOST}:{a.port}\r\n"
                writer.write(f"GET /healthz HTTP/1.1\r\n{host}{line}\r\n{line}\r\n\r\n".encode())
                data = await asyncio.wait_for(reader.read(4096), 5)
                a.codes[f"http {data[9:12].decode() if data else 'none'}"] += 1
            closed(writer)
        except (OSError, TimeoutError, ValueError, EOFError) as exc:
            a.codes[type(exc).__name__] += 1
        a.counts["requests"] += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(a.stop.wait(), 1 / rate)


async def file_body(a: Attack) -> None:
    """The same request again and again, one at a time: the bytes of ``file`` (a document the
    test wrote) as a JSON body to ``path``, with ``headers`` (an organiser's, for an import);
    ``gap`` seconds after each answer. Sent from this process, so the test's own process (the
    normal clients it measures) does none of the work of a large body."""
    data = Path(a.params["file"]).read_bytes()
    view = memoryview(data)
    extra = "".join(f"{k}: {v}\r\n" for k, v in a.params.get("headers", {}).items())
    head = (f"POST {a.params.get('path', '/api/import')} HTTP/1.1\r\nHost: {HOST}:{a.port}\r\n"
            f"{extra}content-type: application/json\r\ncontent-length: {len(data)}\r\n"
            "\r\n").encode()

    def pieces() -> Callable[[], bytes]:
        starts = iter(range(0, len(data), 65536))
        return lambda: bytes(view[(i := next(starts)):i + 65536])

    async def one() -> None:
        while a.running():
            await _send_body(a, head, pieces(), len(data))
            if not await a.again():
                return

    await a.until_stopped(one())


ATTACKS: dict[str, Callable[[Attack], Awaitable[None]]] = {
    "continuation": continuation, "pings": pings, "idle_tcp": idle_tcp, "no_hello": no_hello,
    "trickle": trickle, "big_body": big_body, "chunked": chunked, "dup_headers": dup_headers,
    "file_body": file_body,
}


def say(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def main() -> None:
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    current: tuple[Attack, asyncio.Task[None]] | None = None
    while line := (await stdin.readline()).strip():
        if line == b"stop":
            if current is None:
                say({"error": "nothing to stop"})
                continue
            attack, task = current
            attack.stop.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), 15)
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            error = task.exception() if task.done() and not task.cancelled() else None
            say({**attack.result(), "error": repr(error) if error else None})
            current = None
            continue
        params = json.loads(line)
        attack = Attack(params)
        current = (attack, asyncio.create_task(ATTACKS[params["attack"]](attack)))
        say({"started": params["attack"]})


if __name__ == "__main__":
    asyncio.run(main())
