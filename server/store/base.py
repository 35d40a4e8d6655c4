"""The storage interface every backend implements, chosen by URL (see ``open_store``).

A store keeps sessions, one append-only op log per board (``seq`` 1, 2, 3 … within an
``epoch``), the client op ids already taken (R5), the latest compacted state per board, and
frozen, named archives (snapshots) per session. Payloads are opaque JSON text: the store never
interprets an op, a session record or an archive.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass


class StoreUnavailable(Exception):
    """The backend cannot be reached now; nothing was stored (R13)."""


class ArchiveExists(Exception):
    """A session already has an archive of that name; nothing was stored."""


class BoardNotEmpty(Exception):
    """A board to restore already has log entries or a snapshot; nothing was changed."""


@dataclass(frozen=True, slots=True)
class Draft:
    """An op on its way into the log: its client op id and stored payload."""

    op_id: str
    payload: str


@dataclass(frozen=True, slots=True)
class Appended:
    """Where a draft landed. ``duplicate`` means the op id was already in the log (R5)."""

    seq: int
    op_id: str
    duplicate: bool


class Store(ABC):
    #: True when other processes may append to the same logs (the board must tail them).
    shared: bool = False
    #: Log entries kept behind the latest snapshot, for resuming clients (R8).
    keep_behind_snapshot: int = 1000

    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def kind(self) -> str:
        return self.url.split(":", 1)[0]

    async def open(self) -> None:  # noqa: B027 - optional hook
        """Connect or create files; raise ``StoreUnavailable`` with one clear line."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    async def ping(self) -> bool:
        return True

    # --- sessions ---------------------------------------------------------------------------

    @abstractmethod
    async def put_session(self, session_id: str, code: str, data: str) -> None:
        """Write a session record; ``code`` is its join code from now on, and a code the
        session had before no longer names it (R33: a rotated code stops at once)."""

    @abstractmethod
    async def get_session(self, session_id: str) -> str | None: ...

    @abstractmethod
    async def session_for_code(self, code: str) -> str | None:
        """The session id that a join code belongs to."""

    @abstractmethod
    async def list_sessions(self) -> list[str]:
        """The ids of all stored sessions, sorted (for retention purges)."""

    @abstractmethod
    async def delete_session(self, session_id: str, board_ids: Sequence[str]) -> None:
        """Delete a session and everything of it; idempotent.

        Goes: the session record, its join code(s), all its archives and files, and per
        board in ``board_ids`` the log, op ids, snapshot and epoch. A board used again later
        starts empty under a fresh epoch.
        """

    # --- op logs ----------------------------------------------------------------------------

    @abstractmethod
    async def epoch(self, board_id: str) -> str:
        """The board's epoch; creates the (empty) log on first use."""

    @abstractmethod
    async def append(self, board_id: str, drafts: Sequence[Draft]) -> list[Appended]:
        """Store drafts in order, durably, in one step; answer each with its seq (R6).

        A draft whose op id is already in the log is not stored again: its answer carries the
        first seq and ``duplicate=True``, also when the repeat is in the same batch (R5).
        """

    @abstractmethod
    async def seq_of(self, board_id: str, op_id: str) -> int | None:
        """The seq a client op id was stored at, if it was (R5)."""

    @abstractmethod
    async def read(self, board_id: str, after_seq: int, limit: int = 1000) -> list[tuple[int, str]]:
        """Entries with seq > after_seq, in order (fewer if compacted away or at the end)."""

    @abstractmethod
    async def head(self, board_id: str) -> int:
        """The last seq of the board's log (0 when empty)."""

    async def tail(self, board_id: str, after_seq: int, block_ms: int) -> list[tuple[int, str]]:
        """Wait up to ``block_ms`` for entries after ``after_seq`` (for shared stores)."""
        return await self.read(board_id, after_seq)

    # --- compaction -------------------------------------------------------------------------

    @abstractmethod
    async def put_snapshot(self, board_id: str, seq: int, data: str) -> None:
        """Keep the state at ``seq``; log entries far behind it may be dropped."""

    @abstractmethod
    async def get_snapshot(self, board_id: str) -> tuple[int, str] | None: ...

    @abstractmethod
    async def restore_board(self, board_id: str, seq: int, data: str) -> None:
        """Start an empty board at ``seq`` with state ``data`` (import, restore).

        Afterwards ``get_snapshot`` is ``(seq, data)``, ``head`` is ``seq``, the log holds
        nothing at or before ``seq`` and the next append gets ``seq + 1``; the epoch is kept
        (or made). Raises ``BoardNotEmpty``, changing nothing, when the board has ever had a log
        entry (``head > 0``) or has a snapshot; ``ValueError`` when ``seq < 0``.
        """

    # --- archives: frozen, named snapshots of a session ---------------------------------------

    @abstractmethod
    async def put_archive(self, session_id: str, name: str, meta: str, data: str) -> None:
        """Keep an archive for good: ``meta`` is small JSON, ``data`` the full state.

        Names are unique per session: an existing name raises ``ArchiveExists`` and changes
        nothing. An archive is never overwritten or changed; only ``delete_session`` drops it.
        """

    @abstractmethod
    async def list_archives(self, session_id: str) -> list[tuple[str, str]]:
        """``(name, meta)`` of a session's archives, in the order they were put."""

    @abstractmethod
    async def get_archive(self, session_id: str, name: str) -> str | None:
        """An archive's data."""

    # --- records: small durable documents by kind and key ----------------------------------

    @abstractmethod
    async def put_record(self, kind: str, key: str, data: str, only_new: bool = False) -> bool:
        """Keep ``data`` under (kind, key). With ``only_new`` an existing key is left as it is
        and the answer is False; otherwise the record is replaced and the answer is True."""

    @abstractmethod
    async def get_record(self, kind: str, key: str) -> str | None: ...

    @abstractmethod
    async def take_record(self, kind: str, key: str) -> str | None:
        """Read and delete in one step: of two processes taking the same record at the same
        moment, one gets it (one-time sign-in links)."""

    @abstractmethod
    async def delete_record(self, kind: str, key: str) -> None: ...

    @abstractmethod
    async def list_records(self, kind: str) -> list[tuple[str, str]]:
        """Every (key, data) of a kind, sorted by key."""

    # --- blobs: a session's files (concept material) --------------------------------------

    @abstractmethod
    async def put_blob(self, session_id: str, name: str, data: bytes) -> None:
        """Keep a file of a session under ``name`` (replacing one of that name)."""

    @abstractmethod
    async def get_blob(self, session_id: str, name: str) -> bytes | None: ...

    @abstractmethod
    async def delete_blobs(self, session_id: str, prefix: str) -> None:
        """Delete the session's files whose name starts with ``prefix`` ("" for all);
        ``delete_session`` deletes them all too."""
