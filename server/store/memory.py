"""An in-process store for tests and throwaway runs: everything is lost on exit.

Each start gets a fresh random epoch, so clients that resume from an earlier run are sent the
full state instead of a replay that no longer exists (R8).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from .base import Appended, ArchiveExists, BoardNotEmpty, Draft, Store


@dataclass
class _Log:
    epoch: str
    seq: int = 0
    first: int = 1
    entries: list[str] = field(default_factory=list)  # entries[i] has seq first + i
    op_ids: dict[str, int] = field(default_factory=dict)
    snapshot: tuple[int, str] | None = None


class MemoryStore(Store):
    def __init__(self, url: str = "memory://") -> None:
        super().__init__(url)
        self._sessions: dict[str, str] = {}
        self._codes: dict[str, str] = {}
        self._logs: dict[str, _Log] = {}
        #: session id -> name -> (meta, data); dicts keep the order archives were put in.
        self._archives: dict[str, dict[str, tuple[str, str]]] = {}
        self._records: dict[tuple[str, str], str] = {}
        self._blobs: dict[str, dict[str, bytes]] = {}

    def _log(self, board_id: str) -> _Log:
        log = self._logs.get(board_id)
        if log is None:
            log = self._logs[board_id] = _Log(epoch=secrets.token_hex(4))
        return log

    async def put_session(self, session_id: str, code: str, data: str) -> None:
        for old in [c for c, sid in self._codes.items() if sid == session_id and c != code]:
            del self._codes[old]
        self._sessions[session_id] = data
        self._codes[code] = session_id

    async def get_session(self, session_id: str) -> str | None:
        return self._sessions.get(session_id)

    async def session_for_code(self, code: str) -> str | None:
        return self._codes.get(code)

    async def list_sessions(self) -> list[str]:
        return sorted(self._sessions)

    async def delete_session(self, session_id: str, board_ids: Sequence[str]) -> None:
        self._sessions.pop(session_id, None)
        for code in [c for c, sid in self._codes.items() if sid == session_id]:
            del self._codes[code]
        self._archives.pop(session_id, None)
        self._blobs.pop(session_id, None)
        for board_id in board_ids:
            self._logs.pop(board_id, None)

    async def epoch(self, board_id: str) -> str:
        return self._log(board_id).epoch

    async def append(self, board_id: str, drafts: Sequence[Draft]) -> list[Appended]:
        log = self._log(board_id)
        out: list[Appended] = []
        for draft in drafts:
            seen = log.op_ids.get(draft.op_id)
            if seen is not None:
                out.append(Appended(seen, draft.op_id, duplicate=True))
                continue
            log.seq += 1
            log.entries.append(draft.payload)
            log.op_ids[draft.op_id] = log.seq
            out.append(Appended(log.seq, draft.op_id, duplicate=False))
        return out

    async def seq_of(self, board_id: str, op_id: str) -> int | None:
        return self._log(board_id).op_ids.get(op_id)

    async def read(self, board_id: str, after_seq: int, limit: int = 1000) -> list[tuple[int, str]]:
        log = self._log(board_id)
        start = max(after_seq + 1, log.first)
        idx = start - log.first
        return [(start + i, p) for i, p in enumerate(log.entries[idx : idx + limit])]

    async def head(self, board_id: str) -> int:
        return self._log(board_id).seq

    async def put_snapshot(self, board_id: str, seq: int, data: str) -> None:
        log = self._log(board_id)
        log.snapshot = (seq, data)
        drop = min(seq - self.keep_behind_snapshot, log.seq) - log.first + 1
        if drop > 0:
            del log.entries[:drop]
            log.first += drop

    async def get_snapshot(self, board_id: str) -> tuple[int, str] | None:
        return self._log(board_id).snapshot

    async def restore_board(self, board_id: str, seq: int, data: str) -> None:
        if seq < 0:
            raise ValueError(f"restore_board: seq {seq} < 0")
        log = self._log(board_id)
        if log.seq > 0 or log.entries or log.snapshot is not None:
            raise BoardNotEmpty(board_id)
        log.seq = seq
        log.first = seq + 1
        log.snapshot = (seq, data)

    async def put_archive(self, session_id: str, name: str, meta: str, data: str) -> None:
        archives = self._archives.setdefault(session_id, {})
        if name in archives:
            raise ArchiveExists(name)
        archives[name] = (meta, data)

    async def list_archives(self, session_id: str) -> list[tuple[str, str]]:
        return [(n, meta) for n, (meta, _) in self._archives.get(session_id, {}).items()]

    async def get_archive(self, session_id: str, name: str) -> str | None:
        found = self._archives.get(session_id, {}).get(name)
        return None if found is None else found[1]

    async def put_record(self, kind: str, key: str, data: str, only_new: bool = False) -> bool:
        if only_new and (kind, key) in self._records:
            return False
        self._records[(kind, key)] = data
        return True

    async def get_record(self, kind: str, key: str) -> str | None:
        return self._records.get((kind, key))

    async def take_record(self, kind: str, key: str) -> str | None:
        return self._records.pop((kind, key), None)

    async def delete_record(self, kind: str, key: str) -> None:
        self._records.pop((kind, key), None)

    async def list_records(self, kind: str) -> list[tuple[str, str]]:
        return sorted((k, v) for (kd, k), v in self._records.items() if kd == kind)

    async def put_blob(self, session_id: str, name: str, data: bytes) -> None:
        self._blobs.setdefault(session_id, {})[name] = bytes(data)

    async def get_blob(self, session_id: str, name: str) -> bytes | None:
        return self._blobs.get(session_id, {}).get(name)

    async def delete_blobs(self, session_id: str, prefix: str) -> None:
        blobs = self._blobs.get(session_id, {})
        for name in [n for n in blobs if n.startswith(prefix)]:
            del blobs[name]
