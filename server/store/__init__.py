"""Stores chosen by URL: ``memory://``, ``sqlite:///path``, ``redis://host:port/db``."""

from __future__ import annotations

from urllib.parse import urlsplit

from .base import Appended, ArchiveExists, BoardNotEmpty, Draft, Store, StoreUnavailable

__all__ = [
    "Appended",
    "ArchiveExists",
    "BoardNotEmpty",
    "Draft",
    "Store",
    "StoreUnavailable",
    "open_store",
]


def open_store(url: str) -> Store:
    """Build (not yet open) the store a URL names; backends are imported lazily."""
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        from .memory import MemoryStore

        return MemoryStore(url)
    if scheme == "sqlite":
        from .sqlite import SqliteStore

        return SqliteStore(url)
    if scheme in ("redis", "rediss"):
        from .redis import RedisStore

        return RedisStore(url)
    raise ValueError(f"STORE_URL {url!r}: unknown scheme, use memory://, sqlite:///… or redis://…")
