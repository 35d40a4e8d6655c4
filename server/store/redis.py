"""A store shared by several server processes: one Redis (7.0+), reached by URL.

Keys, all under ``vh:``; a board's keys share the hash tag ``{<board>}`` so its scripts touch
one slot::

    vh:format               "1": the layout below; another value refuses to open
    vh:{<board>}:log        stream, entry id "<seq>-0", fields seq, op, payload
    vh:{<board>}:ops        hash op_id -> seq (R5)
    vh:{<board>}:meta       hash epoch, seq
    vh:{<board>}:snap       hash seq, data
    vh:session:<id>         string: the session record
    vh:code:<code>          string: the session id of a join code
    vh:session:{<id>}:codes           set: the codes ever given to the session (for deletion)
    vh:session:{<id>}:archives        hash name -> data of the session's archives
    vh:session:{<id>}:archive-meta    hash name -> meta
    vh:session:{<id>}:archive-names   list of archive names, in the order they were put
    vh:records:<kind>       hash key -> data: small durable records (organisers, …)
    vh:session:{<id>}:blobs           hash name -> bytes: the session's files

A batch of drafts is one Lua script (atomic, in order), so processes appending to the same board
never interleave inside a batch and seqs have no gaps. ``tail`` blocks in ``XREAD`` on a second
client with its own connections, so waiting boards never starve appends and reads.

Durability (R6) is Redis's: an ack is durable across a crash only with ``appendonly yes`` and
``appendfsync always``; ``open`` logs a warning when the server says otherwise.
URL: ``redis://[:password@]host:port/db`` or ``rediss://…``.

Longer than most modules because it is the whole ``Store`` contract (tests/test_store_contract.py)
for one backend, with its Lua scripts beside the calls that run them; the bus (bus/redis.py)
is apart.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from .base import Appended, ArchiveExists, BoardNotEmpty, Draft, Store, StoreUnavailable

log = logging.getLogger("vierhoeken.store.redis")

FORMAT_KEY = "vh:format"
FORMAT = "1"

# One batch, in order: create the epoch if missing; refuse when the caller knew another epoch
# (the log was lost: its seqs would be reused); then per draft a known op id answers its first
# seq (also for repeats inside the batch, as HSET runs before the next HGET), a new one gets
# the next seq, an XADD with id "<seq>-0" and its op id entry.
# KEYS: log, ops, meta. ARGV: expected epoch ("" = any), fresh epoch, then op_id, payload pairs.
# Returns: epoch, then seq, dup (0/1) per draft; or {"epoch_changed", epoch}.
APPEND_LUA = """
local epoch = redis.call('HGET', KEYS[3], 'epoch')
if not epoch then
  epoch = ARGV[2]
  redis.call('HSET', KEYS[3], 'epoch', epoch)
end
if ARGV[1] ~= '' and ARGV[1] ~= epoch then
  return {'epoch_changed', epoch}
end
local out = {epoch}
for i = 3, #ARGV, 2 do
  local op = ARGV[i]
  local seen = redis.call('HGET', KEYS[2], op)
  if seen then
    out[#out + 1] = tonumber(seen)
    out[#out + 1] = 1
  else
    local seq = redis.call('HINCRBY', KEYS[3], 'seq', 1)
    redis.call('XADD', KEYS[1], seq .. '-0', 'seq', seq, 'op', op, 'payload', ARGV[i + 1])
    redis.call('HSET', KEYS[2], op, seq)
    out[#out + 1] = seq
    out[#out + 1] = 0
  end
end
return out
"""

# Keep the newer snapshot (several processes may write one) and drop log entries with
# seq <= snapshot seq - keep_behind_snapshot. KEYS: snap, log. ARGV: seq, data, keep.
SNAPSHOT_LUA = """
local have = tonumber(redis.call('HGET', KEYS[1], 'seq') or '-1')
local seq = tonumber(ARGV[1])
if seq >= have then
  redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'data', ARGV[2])
end
local minid = seq - tonumber(ARGV[3]) + 1
if minid > 1 then
  redis.call('XTRIM', KEYS[2], 'MINID', minid .. '-0')
end
return 1
"""

# Start an empty board at a seq: refuse (0) when it has ever had an entry, op id or snapshot;
# else keep or make the epoch and set head = seq and the snapshot. The next append's HINCRBY
# then gives seq + 1 and its XADD "<seq+1>-0" is valid, the stream not existing yet.
# KEYS: log, ops, meta, snap. ARGV: seq, data, fresh epoch. Returns {1, epoch} or {0}.
RESTORE_LUA = """
if redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[4]) > 0
   or tonumber(redis.call('HGET', KEYS[3], 'seq') or '0') > 0 then
  return {0}
end
local epoch = redis.call('HGET', KEYS[3], 'epoch')
if not epoch then
  epoch = ARGV[3]
end
redis.call('HSET', KEYS[3], 'epoch', epoch, 'seq', ARGV[1])
redis.call('HSET', KEYS[4], 'seq', ARGV[1], 'data', ARGV[2])
return {1, epoch}
"""

# A new archive, or nothing when the name is taken. KEYS: archives, archive-meta,
# archive-names. ARGV: name, meta, data. Returns 1 when stored, 0 when the name exists.
ARCHIVE_LUA = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[3]) == 0 then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[1])
return 1
"""

# Drop a join code only while it still names this session. KEYS: code. ARGV: session id.
DROP_CODE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


# Read and delete a record field in one step. KEYS: the kind's hash. ARGV: key.
TAKE_LUA = """
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then redis.call('HDEL', KEYS[1], ARGV[1]) end
return v
"""


def _text(value: bytes | str | None) -> str | None:
    """A reply as text (the clients decode replies; the types allow bytes too)."""
    return value.decode() if isinstance(value, bytes) else value


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, ""))


class RedisStore(Store):
    shared = True

    def __init__(self, url: str, timeout: float = 1.5, max_block_ms: int = 30_000) -> None:
        super().__init__(url)
        #: socket (connect) timeout of every command but ``tail``'s blocking read.
        self.timeout = timeout
        #: ``tail`` waits at most this long per call, whatever it is asked.
        self.max_block_ms = max_block_ms
        self._redis: Redis | None = None
        self._blocking: Redis | None = None
        self._bytes: Redis | None = None  # files are bytes, not text
        self._append: Any = None
        self._snapshot: Any = None
        self._restore: Any = None
        self._archive: Any = None
        self._epochs: dict[str, str] = {}

    # --- connections --------------------------------------------------------------------------

    def _client(self, socket_timeout: float, decode: bool = True) -> Redis:
        return Redis.from_url(
            self.url,
            decode_responses=decode,
            socket_timeout=socket_timeout,
            socket_connect_timeout=self.timeout,
            # A stale pooled connection (redis restarted) gets reconnected; a retried append
            # is safe, its op ids answer the first seqs (R5).
            # A paused Redis is noticed within about two timeouts (R13); appends are
            # idempotent by op id, so a retried append never stores twice.
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=1),
        )

    async def open(self) -> None:
        self._redis = self._client(self.timeout)
        self._blocking = self._client(self.max_block_ms / 1000 + self.timeout)
        self._bytes = self._client(self.timeout * 4, decode=False)
        self._append = self._redis.register_script(APPEND_LUA)
        self._snapshot = self._redis.register_script(SNAPSHOT_LUA)
        self._restore = self._redis.register_script(RESTORE_LUA)
        self._archive = self._redis.register_script(ARCHIVE_LUA)
        where = _redacted(self.url)
        try:
            await self._redis.ping()
            await self._redis.set(FORMAT_KEY, FORMAT, nx=True)
            found = await self._redis.get(FORMAT_KEY)
        except (RedisError, OSError) as exc:
            await self.close()
            raise StoreUnavailable(f"cannot reach redis at {where}: {_one_line(exc)}") from exc
        if found != FORMAT:
            await self.close()
            raise StoreUnavailable(
                f"redis at {where} holds data in format {found!r} of {FORMAT_KEY}, "
                f"this server uses {FORMAT!r}: use another database or migrate it"
            )
        await self._warn_if_not_durable(where)

    async def _warn_if_not_durable(self, where: str) -> None:
        assert self._redis is not None
        try:
            raw = await self._redis.config_get("append*")
        except (RedisError, OSError):
            return  # CONFIG is often disabled on managed servers: nothing to tell
        conf = {_text(k): _text(v) for k, v in raw.items()}
        if conf.get("appendonly") != "yes" or conf.get("appendfsync") != "always":
            log.warning(
                "redis at %s runs appendonly=%s appendfsync=%s: acknowledged ops may be lost "
                "in a crash (R6 needs appendonly yes, appendfsync always)",
                where, conf.get("appendonly"), conf.get("appendfsync"),
            )

    async def close(self) -> None:
        clients = (self._redis, self._blocking, self._bytes)
        self._redis = self._blocking = self._bytes = None
        for client in clients:
            if client is not None:
                with contextlib.suppress(RedisError, OSError):
                    await client.aclose()

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Every failure of Redis becomes ``StoreUnavailable`` (R13)."""
        try:
            yield
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"redis: {_one_line(exc)}") from exc

    def _r(self) -> Redis:
        if self._redis is None:
            raise StoreUnavailable("the redis store is not open")
        return self._redis

    def _blob_client(self) -> Redis:
        if self._bytes is None:
            raise StoreUnavailable("the redis store is not open")
        return self._bytes

    async def ping(self) -> bool:
        try:
            return bool(await self._r().ping())
        except Exception:
            return False

    # --- sessions -----------------------------------------------------------------------------

    @staticmethod
    def _skey(session_id: str, part: str) -> str:
        """A key of a session's own data, under its hash tag."""
        return f"vh:session:{{{session_id}}}:{part}"

    async def put_session(self, session_id: str, code: str, data: str) -> None:
        r = self._r()
        codes_key = self._skey(session_id, "codes")
        with self._guard():
            older = {str(_text(c)) for c in await r.smembers(codes_key)} - {code}
            async with r.pipeline(transaction=True) as pipe:
                pipe.set(f"vh:session:{session_id}", data)
                pipe.set(f"vh:code:{code}", session_id)
                pipe.sadd(codes_key, code)
                for old in sorted(older):  # R33: a rotated code stops naming the session
                    pipe.eval(DROP_CODE_LUA, 1, f"vh:code:{old}", session_id)
                await pipe.execute()

    async def get_session(self, session_id: str) -> str | None:
        r = self._r()
        with self._guard():
            value = _text(await r.get(f"vh:session:{session_id}"))
        return value

    async def session_for_code(self, code: str) -> str | None:
        r = self._r()
        with self._guard():
            value = _text(await r.get(f"vh:code:{code}"))
        return value

    async def list_sessions(self) -> list[str]:
        """The session records' ids, found by SCAN: also those stored before any index."""
        r = self._r()
        prefix = "vh:session:"
        ids: set[str] = set()
        with self._guard():
            async for key in r.scan_iter(match=f"{prefix}*", count=1000, _type="string"):
                sid = str(_text(key))[len(prefix) :]
                if sid and ":" not in sid and "{" not in sid:
                    ids.add(sid)
        return sorted(ids)

    async def delete_session(self, session_id: str, board_ids: Sequence[str]) -> None:
        r = self._r()
        codes_key = self._skey(session_id, "codes")
        with self._guard():
            codes = {str(_text(c)) for c in await r.smembers(codes_key)}
            if not codes:  # stored before the codes set existed (or deleted already): look
                codes = await self._codes_of(r, session_id)
            keys = [
                f"vh:session:{session_id}", codes_key,
                *(self._skey(session_id, p) for p in ("archives", "archive-meta",
                                                       "archive-names", "blobs")),
                *(self._key(b, p) for b in board_ids for p in ("log", "ops", "meta", "snap")),
            ]
            async with r.pipeline(transaction=True) as pipe:
                for code in sorted(codes):
                    pipe.eval(DROP_CODE_LUA, 1, f"vh:code:{code}", session_id)
                pipe.delete(*keys)
                await pipe.execute()
        for b in board_ids:
            self._epochs.pop(b, None)

    @staticmethod
    async def _codes_of(r: Redis, session_id: str) -> set[str]:
        """The join codes naming a session, by SCAN (slow: only for records without a set)."""
        keys = [str(_text(k)) async for k in r.scan_iter(match="vh:code:*", count=1000)]
        codes: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            for key, value in zip(chunk, await r.mget(chunk), strict=True):
                if _text(value) == session_id:
                    codes.add(key[len("vh:code:") :])
        return codes

    # --- op logs ------------------------------------------------------------------------------

    @staticmethod
    def _key(board_id: str, part: str) -> str:
        return f"vh:{{{board_id}}}:{part}"

    async def epoch(self, board_id: str) -> str:
        r = self._r()
        meta = self._key(board_id, "meta")
        with self._guard():
            await r.hsetnx(meta, "epoch", secrets.token_hex(4))
            epoch = _text(await r.hget(meta, "epoch"))
        if epoch is None:  # deleted in between: only by hand
            raise StoreUnavailable(f"redis: board {board_id!r} lost its epoch")
        self._epochs[board_id] = epoch
        return epoch

    async def append(self, board_id: str, drafts: Sequence[Draft]) -> list[Appended]:
        r = self._r()
        if not drafts:
            return []
        keys = [self._key(board_id, p) for p in ("log", "ops", "meta")]
        args: list[str] = [self._epochs.get(board_id, ""), secrets.token_hex(4)]
        for d in drafts:
            args += (d.op_id, d.payload)
        with self._guard():
            reply: list[Any] = await self._append(keys=keys, args=args, client=r)
        if reply[0] == "epoch_changed":
            raise StoreUnavailable(
                f"redis: board {board_id!r} changed epoch from {self._epochs.get(board_id)} to "
                f"{reply[1]} (its log was lost); nothing stored, restart to reload the board"
            )
        self._epochs.setdefault(board_id, str(reply[0]))
        return [
            Appended(int(reply[1 + 2 * i]), d.op_id, duplicate=bool(int(reply[2 + 2 * i])))
            for i, d in enumerate(drafts)
        ]

    async def seq_of(self, board_id: str, op_id: str) -> int | None:
        r = self._r()
        with self._guard():
            seq = _text(await r.hget(self._key(board_id, "ops"), op_id))
        return None if seq is None else int(seq)

    @staticmethod
    def _entries(rows: Any) -> list[tuple[int, str]]:
        return [(int(entry_id.split("-", 1)[0]), fields["payload"]) for entry_id, fields in rows]

    async def read(self, board_id: str, after_seq: int, limit: int = 1000) -> list[tuple[int, str]]:
        r = self._r()
        if limit <= 0:
            return []
        with self._guard():
            rows: Any = await r.xrange(
                self._key(board_id, "log"), min=f"{max(after_seq, 0) + 1}-0", max="+", count=limit
            )
        return self._entries(rows)

    async def head(self, board_id: str) -> int:
        r = self._r()
        with self._guard():
            seq = _text(await r.hget(self._key(board_id, "meta"), "seq"))
        return 0 if seq is None else int(seq)

    async def tail(self, board_id: str, after_seq: int, block_ms: int) -> list[tuple[int, str]]:
        """Wait (on the blocking client) up to ``block_ms`` for entries after ``after_seq``."""
        b = self._blocking
        if b is None:
            raise StoreUnavailable("the redis store is not open")
        block = min(max(block_ms, 1), self.max_block_ms)
        key = self._key(board_id, "log")
        with self._guard():
            reply: Any = await b.xread({key: f"{max(after_seq, 0)}-0"}, count=1000, block=block)
        if not reply:
            return []
        # RESP2: [[key, rows]]; RESP3: {key: [rows]}.
        if isinstance(reply, dict):
            rows = next(iter(reply.values()))
            rows = rows[0] if rows and isinstance(rows[0], list) else rows
        else:
            rows = reply[0][1]
        return self._entries(rows)

    # --- compaction ---------------------------------------------------------------------------

    async def put_snapshot(self, board_id: str, seq: int, data: str) -> None:
        r = self._r()
        keys = [self._key(board_id, "snap"), self._key(board_id, "log")]
        with self._guard():
            await self._snapshot(
                keys=keys, args=[seq, data, self.keep_behind_snapshot], client=r
            )

    async def get_snapshot(self, board_id: str) -> tuple[int, str] | None:
        r = self._r()
        with self._guard():
            raw = await r.hgetall(self._key(board_id, "snap"))
        snap = {_text(k): _text(v) for k, v in raw.items()}
        if "seq" not in snap or "data" not in snap:
            return None
        return int(str(snap["seq"])), str(snap["data"])

    async def restore_board(self, board_id: str, seq: int, data: str) -> None:
        if seq < 0:
            raise ValueError(f"restore_board: seq {seq} < 0")
        r = self._r()
        keys = [self._key(board_id, p) for p in ("log", "ops", "meta", "snap")]
        with self._guard():
            reply: list[Any] = await self._restore(
                keys=keys, args=[seq, data, secrets.token_hex(4)], client=r
            )
        if not int(reply[0]):
            raise BoardNotEmpty(board_id)
        self._epochs.setdefault(board_id, str(reply[1]))

    # --- archives -----------------------------------------------------------------------------

    async def put_archive(self, session_id: str, name: str, meta: str, data: str) -> None:
        r = self._r()
        keys = [self._skey(session_id, p) for p in ("archives", "archive-meta", "archive-names")]
        with self._guard():
            stored = await self._archive(keys=keys, args=[name, meta, data], client=r)
        if not int(stored):
            raise ArchiveExists(name)

    async def list_archives(self, session_id: str) -> list[tuple[str, str]]:
        r = self._r()
        with self._guard():
            async with r.pipeline(transaction=True) as pipe:
                pipe.lrange(self._skey(session_id, "archive-names"), 0, -1)
                pipe.hgetall(self._skey(session_id, "archive-meta"))
                names, raw = await pipe.execute()
        metas = {str(_text(k)): str(_text(v)) for k, v in raw.items()}
        return [(str(_text(n)), metas.get(str(_text(n)), "")) for n in names]

    async def get_archive(self, session_id: str, name: str) -> str | None:
        r = self._r()
        with self._guard():
            value = _text(await r.hget(self._skey(session_id, "archives"), name))
        return value

    # --- presence -----------------------------------------------------------------------------

    # --- blobs --------------------------------------------------------------------------------

    async def put_blob(self, session_id: str, name: str, data: bytes) -> None:
        r = self._blob_client()
        with self._guard():
            await r.hset(self._skey(session_id, "blobs"), name, bytes(data))

    async def get_blob(self, session_id: str, name: str) -> bytes | None:
        r = self._blob_client()
        with self._guard():
            value = await r.hget(self._skey(session_id, "blobs"), name)
        return None if value is None else value if isinstance(value, bytes) else value.encode()

    async def delete_blobs(self, session_id: str, prefix: str) -> None:
        r = self._r()
        key = self._skey(session_id, "blobs")
        with self._guard():
            names = [n for n in await r.hkeys(key) if str(_text(n)).startswith(prefix)]
            if names:
                await r.hdel(key, *names)

    # --- records ------------------------------------------------------------------------------

    async def put_record(self, kind: str, key: str, data: str, only_new: bool = False) -> bool:
        r = self._r()
        with self._guard():
            if only_new:
                return bool(await r.hsetnx(f"vh:records:{kind}", key, data))
            await r.hset(f"vh:records:{kind}", key, data)
        return True

    async def get_record(self, kind: str, key: str) -> str | None:
        r = self._r()
        with self._guard():
            value = _text(await r.hget(f"vh:records:{kind}", key))
        return value

    async def take_record(self, kind: str, key: str) -> str | None:
        r = self._r()
        with self._guard():
            value = _text(await r.eval(TAKE_LUA, 1, f"vh:records:{kind}", key))
        return value

    async def delete_record(self, kind: str, key: str) -> None:
        r = self._r()
        with self._guard():
            await r.hdel(f"vh:records:{kind}", key)

    async def list_records(self, kind: str) -> list[tuple[str, str]]:
        r = self._r()
        with self._guard():
            raw = await r.hgetall(f"vh:records:{kind}")
        return sorted((str(_text(k)), str(_text(v))) for k, v in raw.items())
