"""The embedded default store: one SQLite file in WAL mode.

All SQL runs on one dedicated thread, so the event loop never blocks on disk and the single
connection is never shared between threads. A batch of drafts is one transaction: with
``synchronous=FULL`` an ack means the op is on disk (R6), and concurrent ops share one fsync.
URL: ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from .base import Appended, ArchiveExists, BoardNotEmpty, Draft, Store, StoreUnavailable

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, code TEXT UNIQUE, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS boards (id TEXT PRIMARY KEY, epoch TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log (
    board TEXT NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (board, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ops (
    board TEXT NOT NULL, op_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (board, op_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    board TEXT PRIMARY KEY, seq INTEGER NOT NULL, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
    session TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (session, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS archives (
    session TEXT NOT NULL, name TEXT NOT NULL, n INTEGER NOT NULL, meta TEXT NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (session, name)
);
"""


class SqliteStore(Store):
    def __init__(self, url: str, synchronous: str = "FULL") -> None:
        super().__init__(url)
        if not url.startswith("sqlite:///"):
            raise ValueError(f"STORE_URL {url!r}: expected sqlite:///path/to/file.db")
        self.path = url[len("sqlite:///") :] or ":memory:"
        self.synchronous = synchronous
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._db: sqlite3.Connection | None = None

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        db = self._db
        if db is None:
            raise StoreUnavailable("the sqlite store is not open")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, fn, db)
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"sqlite: {exc}") from exc

    async def open(self) -> None:
        def connect() -> sqlite3.Connection:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={self.synchronous}")
            db.execute("PRAGMA busy_timeout=5000")
            db.executescript(SCHEMA)
            return db

        loop = asyncio.get_running_loop()
        try:
            self._db = await loop.run_in_executor(self._pool, connect)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"cannot open sqlite database {self.path!r}: {exc}") from exc

    async def close(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            await asyncio.get_running_loop().run_in_executor(self._pool, db.close)
        self._pool.shutdown(wait=True)

    async def put_session(self, session_id: str, code: str, data: str) -> None:
        await self._run(
            lambda db: db.execute(
                "INSERT INTO sessions (id, code, data) VALUES (?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET code = excluded.code, data = excluded.data",
                (session_id, code, data),
            )
        )

    async def get_session(self, session_id: str) -> str | None:
        return await self._one("SELECT data FROM sessions WHERE id = ?", session_id)

    async def session_for_code(self, code: str) -> str | None:
        return await self._one("SELECT id FROM sessions WHERE code = ?", code)

    async def list_sessions(self) -> list[str]:
        def q(db: sqlite3.Connection) -> list[str]:
            return [str(r[0]) for r in db.execute("SELECT id FROM sessions ORDER BY id")]

        return await self._run(q)

    async def delete_session(self, session_id: str, board_ids: Sequence[str]) -> None:
        boards = [(b,) for b in board_ids]

        def tx(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
                db.execute("DELETE FROM archives WHERE session = ?", (session_id,))
                db.execute("DELETE FROM blobs WHERE session = ?", (session_id,))
                for table, column in (
                    ("log", "board"), ("ops", "board"), ("snapshots", "board"), ("boards", "id")
                ):
                    db.executemany(f"DELETE FROM {table} WHERE {column} = ?", boards)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        await self._run(tx)

    # --- records ------------------------------------------------------------------------------

    async def put_record(self, kind: str, key: str, data: str, only_new: bool = False) -> bool:
        verb = "INSERT OR IGNORE" if only_new else "INSERT OR REPLACE"

        def q(db: sqlite3.Connection) -> bool:
            cur = db.execute(f"{verb} INTO records (kind, key, data) VALUES (?, ?, ?)",
                             (kind, key, data))
            return cur.rowcount > 0

        return await self._run(q)

    async def get_record(self, kind: str, key: str) -> str | None:
        def q(db: sqlite3.Connection) -> str | None:
            row = db.execute("SELECT data FROM records WHERE kind = ? AND key = ?",
                             (kind, key)).fetchone()
            return None if row is None else str(row[0])

        return await self._run(q)

    async def take_record(self, kind: str, key: str) -> str | None:
        def q(db: sqlite3.Connection) -> str | None:
            row = db.execute("DELETE FROM records WHERE kind = ? AND key = ? RETURNING data",
                             (kind, key)).fetchone()
            return None if row is None else str(row[0])

        return await self._run(q)

    async def delete_record(self, kind: str, key: str) -> None:
        await self._run(lambda db: db.execute(
            "DELETE FROM records WHERE kind = ? AND key = ?", (kind, key)))

    async def list_records(self, kind: str) -> list[tuple[str, str]]:
        def q(db: sqlite3.Connection) -> list[tuple[str, str]]:
            return [(str(k), str(d)) for k, d in db.execute(
                "SELECT key, data FROM records WHERE kind = ? ORDER BY key", (kind,))]

        return await self._run(q)

    # --- blobs --------------------------------------------------------------------------------

    async def put_blob(self, session_id: str, name: str, data: bytes) -> None:
        await self._run(lambda db: db.execute(
            "INSERT OR REPLACE INTO blobs (session, name, data) VALUES (?, ?, ?)",
            (session_id, name, bytes(data))))

    async def get_blob(self, session_id: str, name: str) -> bytes | None:
        def q(db: sqlite3.Connection) -> bytes | None:
            row = db.execute("SELECT data FROM blobs WHERE session = ? AND name = ?",
                             (session_id, name)).fetchone()
            return None if row is None else bytes(row[0])

        return await self._run(q)

    async def delete_blobs(self, session_id: str, prefix: str) -> None:
        # LIKE would read % and _ in the prefix; compare the start instead.
        await self._run(lambda db: db.execute(
            "DELETE FROM blobs WHERE session = ? AND substr(name, 1, ?) = ?",
            (session_id, len(prefix), prefix)))

    async def _one(self, sql: str, arg: str) -> str | None:
        def q(db: sqlite3.Connection) -> str | None:
            row = db.execute(sql, (arg,)).fetchone()
            return None if row is None else str(row[0])

        return await self._run(q)

    @staticmethod
    def _board(db: sqlite3.Connection, board_id: str) -> tuple[str, int]:
        row = db.execute("SELECT epoch, seq FROM boards WHERE id = ?", (board_id,)).fetchone()
        if row is None:
            epoch = secrets.token_hex(4)
            db.execute("INSERT INTO boards (id, epoch, seq) VALUES (?, ?, 0)", (board_id, epoch))
            return epoch, 0
        return str(row[0]), int(row[1])

    async def epoch(self, board_id: str) -> str:
        return await self._run(lambda db: self._board(db, board_id)[0])

    async def append(self, board_id: str, drafts: Sequence[Draft]) -> list[Appended]:
        def tx(db: sqlite3.Connection) -> list[Appended]:
            db.execute("BEGIN IMMEDIATE")
            try:
                _, seq = self._board(db, board_id)
                out: list[Appended] = []
                for d in drafts:
                    row = db.execute(
                        "SELECT seq FROM ops WHERE board = ? AND op_id = ?", (board_id, d.op_id)
                    ).fetchone()
                    if row is not None:
                        out.append(Appended(int(row[0]), d.op_id, duplicate=True))
                        continue
                    seq += 1
                    db.execute(
                        "INSERT INTO log (board, seq, payload) VALUES (?, ?, ?)",
                        (board_id, seq, d.payload),
                    )
                    db.execute(
                        "INSERT INTO ops (board, op_id, seq) VALUES (?, ?, ?)",
                        (board_id, d.op_id, seq),
                    )
                    out.append(Appended(seq, d.op_id, duplicate=False))
                db.execute("UPDATE boards SET seq = ? WHERE id = ?", (seq, board_id))
                db.execute("COMMIT")
                return out
            except BaseException:
                db.execute("ROLLBACK")
                raise

        return await self._run(tx)

    async def seq_of(self, board_id: str, op_id: str) -> int | None:
        def q(db: sqlite3.Connection) -> int | None:
            row = db.execute(
                "SELECT seq FROM ops WHERE board = ? AND op_id = ?", (board_id, op_id)
            ).fetchone()
            return None if row is None else int(row[0])

        return await self._run(q)

    async def read(self, board_id: str, after_seq: int, limit: int = 1000) -> list[tuple[int, str]]:
        def q(db: sqlite3.Connection) -> list[tuple[int, str]]:
            rows = db.execute(
                "SELECT seq, payload FROM log WHERE board = ? AND seq > ? ORDER BY seq LIMIT ?",
                (board_id, after_seq, limit),
            ).fetchall()
            return [(int(s), str(p)) for s, p in rows]

        return await self._run(q)

    async def head(self, board_id: str) -> int:
        return await self._run(lambda db: self._board(db, board_id)[1])

    async def put_snapshot(self, board_id: str, seq: int, data: str) -> None:
        def tx(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT INTO snapshots (board, seq, data) VALUES (?, ?, ?) ON CONFLICT(board) "
                "DO UPDATE SET seq = excluded.seq, data = excluded.data",
                (board_id, seq, data),
            )
            db.execute(
                "DELETE FROM log WHERE board = ? AND seq <= ?",
                (board_id, seq - self.keep_behind_snapshot),
            )
            db.execute("COMMIT")

        await self._run(tx)

    async def get_snapshot(self, board_id: str) -> tuple[int, str] | None:
        def q(db: sqlite3.Connection) -> tuple[int, str] | None:
            row = db.execute(
                "SELECT seq, data FROM snapshots WHERE board = ?", (board_id,)
            ).fetchone()
            return None if row is None else (int(row[0]), str(row[1]))

        return await self._run(q)

    async def restore_board(self, board_id: str, seq: int, data: str) -> None:
        if seq < 0:
            raise ValueError(f"restore_board: seq {seq} < 0")

        def tx(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")
            try:
                _, head = self._board(db, board_id)  # keeps (or makes) the epoch
                used = db.execute(
                    "SELECT EXISTS (SELECT 1 FROM log WHERE board = ?1) "
                    "OR EXISTS (SELECT 1 FROM ops WHERE board = ?1) "
                    "OR EXISTS (SELECT 1 FROM snapshots WHERE board = ?1)",
                    (board_id,),
                ).fetchone()[0]
                if head > 0 or used:
                    raise BoardNotEmpty(board_id)
                db.execute("UPDATE boards SET seq = ? WHERE id = ?", (seq, board_id))
                db.execute(
                    "INSERT INTO snapshots (board, seq, data) VALUES (?, ?, ?)",
                    (board_id, seq, data),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        await self._run(tx)

    # --- archives -----------------------------------------------------------------------------

    async def put_archive(self, session_id: str, name: str, meta: str, data: str) -> None:
        def q(db: sqlite3.Connection) -> None:
            try:  # one statement: its own transaction; the primary key refuses a second name
                db.execute(
                    "INSERT INTO archives (session, name, n, meta, data) "
                    "SELECT ?1, ?2, COALESCE(MAX(n), 0) + 1, ?3, ?4 FROM archives "
                    "WHERE session = ?1",
                    (session_id, name, meta, data),
                )
            except sqlite3.IntegrityError as exc:
                raise ArchiveExists(name) from exc

        await self._run(q)

    async def list_archives(self, session_id: str) -> list[tuple[str, str]]:
        def q(db: sqlite3.Connection) -> list[tuple[str, str]]:
            rows = db.execute(
                "SELECT name, meta FROM archives WHERE session = ? ORDER BY n", (session_id,)
            ).fetchall()
            return [(str(n), str(m)) for n, m in rows]

        return await self._run(q)

    async def get_archive(self, session_id: str, name: str) -> str | None:
        def q(db: sqlite3.Connection) -> str | None:
            row = db.execute(
                "SELECT data FROM archives WHERE session = ? AND name = ?", (session_id, name)
            ).fetchone()
            return None if row is None else str(row[0])

        return await self._run(q)
