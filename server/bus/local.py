"""One process: nobody to tell. The registry already has its own people and drags."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from . import Bus


class LocalBus(Bus):
    shared = False

    async def put_presence(self, session_id: str, node: str, data: str, ttl_s: float) -> None:
        return None

    async def get_presence(self, session_id: str) -> dict[str, str]:
        return {}

    async def publish_drags(self, board_id: str, data: str) -> None:
        return None

    async def drag_feed(self) -> AsyncIterator[tuple[str, str]]:
        await asyncio.Event().wait()  # nothing ever comes
        yield "", ""
