"""A small, fast websocket client on ``asyncio.Protocol`` for the load generator.

The load generator must receive several hundred thousand frames per second on one core while the
server under test runs on the other, so it cannot afford a full client library per frame. This
one does the RFC 6455 minimum a benchmark client needs: the upgrade handshake, masked client
frames (masked with the C ``apply_mask`` of the ``websockets`` package), unmasked server frames
parsed straight out of the receive buffer, fragmented messages, ping/pong and close.

Every complete message is handed to ``on_message(opcode, payload, now)``; ``now`` is one
``time.monotonic()`` per ``data_received`` call, the moment the bytes reached this process.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from websockets.speedups import apply_mask

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10

OnMessage = Callable[[int, bytes, float], None]


def _frame(opcode: int, payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    mask = os.urandom(4)
    return head + mask + apply_mask(payload, mask)


class WSClient(asyncio.Protocol):
    def __init__(self, on_message: OnMessage, on_close: Callable[[WSClient], None] | None = None
                 ) -> None:
        self.on_message = on_message
        self.on_close = on_close
        self.transport: asyncio.Transport | None = None
        self.open = False
        self.closed = False
        self._handshake = b""
        self._key = base64.b64encode(os.urandom(16))
        self._buf = b""
        self._need = 2
        self._frag_op = 0
        self._frag: list[bytes] = []
        self._opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._request = b""
        self.bytes_in = 0

    # --- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self.closed = True
        if not self._opened.done():
            self._opened.set_exception(ConnectionError(f"closed during handshake: {exc!r}"))
        if self.on_close is not None:
            self.on_close(self)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.bytes_in += len(data)
        if not self.open:
            self._handshake += data
            end = self._handshake.find(b"\r\n\r\n")
            if end < 0:
                return
            head, data = self._handshake[:end], self._handshake[end + 4:]
            self._handshake = b""
            status = head.split(b"\r\n", 1)[0]
            if b" 101 " not in status + b" ":
                self._opened.set_exception(ConnectionError(f"handshake refused: {status!r}"))
                assert self.transport is not None
                self.transport.close()
                return
            accept = base64.b64encode(hashlib.sha1(self._key + GUID).digest())
            if accept not in head:
                self._opened.set_exception(ConnectionError("bad Sec-WebSocket-Accept"))
                return
            self.open = True
            self._opened.set_result(None)
            if not data:
                return
        buf = self._buf + data if self._buf else data
        if len(buf) < self._need:
            self._buf = buf
            return
        pos, size, need = 0, len(buf), 2
        on_message = self.on_message
        while size - pos >= 2:
            b0 = buf[pos]
            n = buf[pos + 1] & 0x7F
            hdr = 2
            if n == 126:
                if size - pos < 4:
                    break
                n = (buf[pos + 2] << 8) | buf[pos + 3]
                hdr = 4
            elif n == 127:
                if size - pos < 10:
                    break
                n = int.from_bytes(buf[pos + 2:pos + 10], "big")
                hdr = 10
            end = pos + hdr + n
            if end > size:
                need = end - pos
                break
            payload = buf[pos + hdr:end]
            pos = end
            op = b0 & 0x0F
            if b0 & 0x80 and op in (OP_TEXT, OP_BINARY):
                on_message(op, payload, now)
            elif op >= OP_CLOSE:
                self._control(op, payload)
            else:  # a fragment
                if op != OP_CONT:
                    self._frag_op, self._frag = op, []
                self._frag.append(payload)
                if b0 & 0x80:
                    whole = b"".join(self._frag)
                    self._frag = []
                    on_message(self._frag_op, whole, now)
        self._need = need
        self._buf = buf[pos:] if pos < size else b""

    def _control(self, op: int, payload: bytes) -> None:
        assert self.transport is not None
        if op == OP_PING:
            self.transport.write(_frame(OP_PONG, payload))
        elif op == OP_CLOSE and not self.transport.is_closing():
            self.transport.write(_frame(OP_CLOSE, payload[:2]))
            self.transport.close()

    # --- API ----------------------------------------------------------------------------------

    def send_text(self, text: str | bytes) -> None:
        if self.transport is None or not self.open or self.transport.is_closing():
            return
        data = text.encode() if isinstance(text, str) else text
        self.transport.write(_frame(OP_TEXT, data))

    def send_binary(self, data: bytes) -> None:
        if self.transport is None or not self.open or self.transport.is_closing():
            return
        self.transport.write(_frame(OP_BINARY, data))

    def abort(self) -> None:
        """Vanish without a closing handshake (a phone leaving the Wi-Fi)."""
        if self.transport is not None:
            self.transport.abort()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            if self.open:
                self.transport.write(_frame(OP_CLOSE, struct.pack("!H", 1000)))
            self.transport.close()


async def connect(url: str, on_message: OnMessage,
                  on_close: Callable[[WSClient], None] | None = None,
                  timeout: float = 20.0) -> WSClient:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    loop = asyncio.get_running_loop()
    client = WSClient(on_message, on_close)
    client._request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {client._key.decode()}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    await asyncio.wait_for(loop.create_connection(lambda: client, host, port), timeout)
    await asyncio.wait_for(asyncio.shield(client._opened), timeout)
    return client
