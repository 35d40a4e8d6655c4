"""What the processes of one server tell each other that is never stored: presence (who is on
which board, R23) and drag positions (R9). Chosen by URL beside the store (like broadcaster):
``local://`` for one process — nobody to tell — and ``redis://…`` for several processes on a
Redis store, by default the store's own Redis.

The store (``store/``) keeps only durable data; everything here may be lost without harm.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from urllib.parse import urlsplit


class BusUnavailable(Exception):
    """The bus cannot be reached now; what was sent is lost (it is presence, not data)."""


class Bus(ABC):
    #: True when other processes listen: presence and drags are worth publishing.
    shared: bool = False

    def __init__(self, url: str) -> None:
        self.url = url

    async def open(self) -> None:  # noqa: B027 - optional hook
        """Connect; raise ``BusUnavailable`` with one clear line."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    @abstractmethod
    async def put_presence(self, session_id: str, node: str, data: str, ttl_s: float) -> None:
        """Publish this process's people of a session, valid for ``ttl_s``."""

    @abstractmethod
    async def get_presence(self, session_id: str) -> dict[str, str]:
        """Every live process's published people of a session, by process id."""

    @abstractmethod
    async def publish_drags(self, board_id: str, data: str) -> None:
        """Tell the other processes where notes of a board are being dragged."""

    @abstractmethod
    def drag_feed(self) -> AsyncIterator[tuple[str, str]]:
        """What the other processes publish with ``publish_drags``: (board id, data), until the
        bus closes. Raises ``BusUnavailable`` when the feed breaks."""


def open_bus(url: str) -> Bus:
    """Build (not yet open) the bus a URL names; backends are imported lazily."""
    scheme = urlsplit(url).scheme
    if scheme in ("local", "memory", "sqlite"):
        from .local import LocalBus

        return LocalBus(url)
    if scheme in ("redis", "rediss"):
        from .redis import RedisBus

        return RedisBus(url)
    raise ValueError(f"BUS_URL {url!r}: unknown scheme, use local:// or redis://…")
