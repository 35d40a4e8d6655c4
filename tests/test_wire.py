"""The websocket wire (server/wire.py) over a real socket: framing the `websockets` client would
smooth over, spoken byte by byte."""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from wsharness import live_server

from server import cli
from server.config import Settings

TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


def client_frame(opcode: int, payload: bytes = b"", fin: bool = True) -> bytes:
    """A masked client frame (RFC 6455 §5.2)."""
    mask = os.urandom(4)
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class Raw:
    """A websocket client that does nothing by itself: no pongs, no close replies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, base: str, path: str = "/ws") -> tuple[Raw | None, int]:
        host, port = base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        status = int(head.split(b" ", 2)[1])
        if status != 101:
            writer.close()
            return None, status
        return cls(reader, writer), status

    def send(self, *frames: bytes) -> None:
        self.writer.write(b"".join(frames))  # one write: the server reads them together

    async def frame(self, timeout: float = 5.0) -> tuple[int, bytes]:
        async def read() -> tuple[int, bytes]:
            b0, b1 = await self.reader.readexactly(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", await self.reader.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
            return b0 & 0x0F, await self.reader.readexactly(n)

        return await asyncio.wait_for(read(), timeout)

    def close(self) -> None:
        self.writer.close()


@pytest.fixture
async def base(tmp_path: Path) -> AsyncIterator[str]:
    async with live_server(Settings(store_url="memory://", secret_key="k",
                                    data_dir=tmp_path)) as b:
        yield b


async def test_R3_unknown_paths_and_the_echo_are_refused_by_default(base: str) -> None:
    for path in ("/nope", "/ws-echo", "/ws/extra"):
        raw, status = await Raw.open(base, path)
        assert raw is None and status == 404


async def test_R3_pongs_go_out_before_answers_to_the_same_read(base: str) -> None:
    """A ping and a message that arrive together: the pong first (RFC 6455 §5.5.2)."""
    raw, _ = await Raw.open(base)
    assert raw is not None
    raw.send(client_frame(PING, b"p1"), client_frame(TEXT, b"{not json"))
    first, second = await raw.frame(), await raw.frame()
    assert first == (PONG, b"p1")
    assert second[0] == TEXT and b"bad_json" in second[1]
    raw.close()


async def test_R3_a_fragmented_message_is_joined_and_controls_may_come_between(
        base: str) -> None:
    raw, _ = await Raw.open(base)
    assert raw is not None
    raw.send(client_frame(TEXT, b'{"type":"pi', fin=False), client_frame(PING, b"x"),
             client_frame(CONT, b'ng","t":1}'))
    assert await raw.frame() == (PONG, b"x")
    opcode, data = await raw.frame()
    assert opcode == TEXT and b'"pong"' in data
    raw.close()


async def test_R3_close_between_fragments_closes_normally(base: str) -> None:
    raw, _ = await Raw.open(base)
    assert raw is not None
    raw.send(client_frame(TEXT, b"half", fin=False), client_frame(CLOSE, struct.pack("!H", 1000)))
    opcode, data = await raw.frame()
    assert opcode == CLOSE and struct.unpack("!H", data[:2])[0] == 1000
    assert await asyncio.wait_for(raw.reader.read(), 5) == b""  # and TCP ends
    raw.close()


async def test_R3_invalid_utf8_text_is_closed_with_1007(base: str) -> None:
    raw, _ = await Raw.open(base)
    assert raw is not None
    raw.send(client_frame(TEXT, b"\xff\xfe"))
    opcode, data = await raw.frame()
    assert opcode == CLOSE and struct.unpack("!H", data[:2])[0] == 1007
    raw.close()


async def test_R14_a_peer_that_never_answers_pings_is_closed_with_1011(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keepalive: a half-open connection (the phone left) is found and closed."""
    monkeypatch.setattr(cli, "PING_INTERVAL_S", 0.3)
    async with live_server(Settings(store_url="memory://", secret_key="k",
                                    data_dir=tmp_path)) as b:
        silent, _ = await Raw.open(b)
        answering, _ = await Raw.open(b)
        assert silent is not None and answering is not None
        got: list[int] = []
        for _ in range(20):
            opcode, data = await answering.frame()
            if opcode == PING:
                answering.send(client_frame(PONG, data))
                got.append(opcode)
            if len(got) >= 3:
                break
        frames = [await silent.frame() for _ in range(2)]
        assert frames[0][0] == PING
        assert frames[1][0] == CLOSE and struct.unpack("!H", frames[1][1][:2])[0] == 1011
        # The answering one is still there after three rounds.
        answering.send(client_frame(TEXT, b'{"type":"ping","t":1}'))
        while (frame := await answering.frame())[0] == PING:
            answering.send(client_frame(PONG, frame[1]))
        assert b'"pong"' in frame[1]
        silent.close()
        answering.close()


async def test_conformance_echo_only_when_asked(tmp_path: Path) -> None:
    settings = replace(Settings(store_url="memory://", secret_key="k", data_dir=tmp_path),
                       conformance=True)
    async with live_server(settings) as b:
        raw, status = await Raw.open(b, "/ws-echo")
        assert raw is not None and status == 101
        raw.send(client_frame(TEXT, "héllo".encode()), client_frame(BINARY, b"\x00\xff"))
        assert await raw.frame() == (TEXT, "héllo".encode())
        assert await raw.frame() == (BINARY, b"\x00\xff")
        raw.send(client_frame(BINARY, b"x" * (64 * 1024 + 1)))
        opcode, data = await raw.frame()
        assert opcode == CLOSE and struct.unpack("!H", data[:2])[0] == 1009
        raw.close()


async def test_R13_a_frame_sent_at_once_after_the_handshake_follows_the_response(
        tmp_path: Path) -> None:
    """While the store is down a new connection gets `status` at once (R13): it must come
    after the HTTP 101, not before it."""
    async with live_server(Settings(store_url="memory://", secret_key="k",
                                    data_dir=tmp_path)) as b:
        from server import wire

        server = wire.Wire.__subclasses__()[-1].server  # bound by this live_server
        server.registry.writable = False
        try:
            raw, status = await Raw.open(b)
            assert raw is not None and status == 101
            opcode, data = await raw.frame()
            assert opcode == TEXT and b'"writable":false' in data
            raw.close()
        finally:
            server.registry.writable = True


async def test_R11_a_message_whose_handling_fails_gets_server_error_and_the_line_stays(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in handling one message (at once or awaited) answers `server_error`; the
    connection and the server go on."""
    from server.app import Server

    real = Server.receive

    async def fails_later() -> None:
        raise RuntimeError("bug while awaiting")

    def receive(self: Server, conn: object, data: str) -> object:
        if "boom-now" in data:
            raise RuntimeError("bug at once")
        if "boom-later" in data:
            return fails_later()
        return real(self, conn, data)  # type: ignore[arg-type]

    monkeypatch.setattr(Server, "receive", receive)
    async with live_server(Settings(store_url="memory://", secret_key="k",
                                    data_dir=tmp_path)) as b:
        raw, _ = await Raw.open(b)
        assert raw is not None
        for text in (b'"boom-now"', b'"boom-later"', b'{"type":"ping","t":2}'):
            raw.send(client_frame(TEXT, text))
        first, second, third = [await raw.frame() for _ in range(3)]
        assert b"server_error" in first[1] and b"server_error" in second[1]
        assert b'"pong"' in third[1]
        raw.close()
