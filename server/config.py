"""Settings from environment variables (documented in the README and docs/OPERATIONS.md).

Every limit a public server needs is here, with its default; docs/OPERATIONS.md lists them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

MIB = 1024 * 1024


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r}: expected a whole number") from exc


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r}: expected a number") from exc


def _zone(env: dict[str, str], name: str, default: str) -> str:
    """A time zone name, checked now: a wrong one must stop the start, not the first export."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    raw = env.get(name, "").strip() or default
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name}={raw!r}: not a time zone (e.g. Europe/Amsterdam)") from exc
    return raw


def _list(env: dict[str, str], name: str) -> tuple[str, ...]:
    return tuple(v.strip().rstrip("/") for v in env.get(name, "").split(",") if v.strip())


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    store_url: str = "sqlite:///data/vierhoeken.db"
    #: Key that signs session tokens; generated into data/secret.key when unset.
    secret_key: str = ""
    #: Origins allowed besides the server's own (R4), e.g. "https://sto.example.nl".
    allowed_origins: tuple[str, ...] = ()
    #: Where the processes tell each other about presence and drags (R9, R23): ``local://``
    #: for one process; empty means the store's Redis when the store is Redis.
    bus_url: str = ""
    #: The address people use to reach the server, for join links and QR codes.
    public_url: str = ""
    #: Host names the server answers to (R38); links are only ever made from these. Empty: the
    #: host of PUBLIC_URL, or else the loopback names.
    allowed_hosts: tuple[str, ...] = ()
    #: Days a participant or facilitator link stays valid.
    token_days: int = 30
    #: Days an organiser stays signed in in one browser.
    organiser_days: int = 7
    #: Sessions (with their snapshots) older than this many days are deleted; 0 keeps them.
    retention_days: int = 0
    data_dir: Path = field(default_factory=lambda: Path("data"))
    #: Serve ``/ws-echo`` for websocket conformance testing (Autobahn, tests/autobahn/).
    conformance: bool = False
    #: Set the ``Secure`` flag on the organiser cookie (on by itself when PUBLIC_URL is https).
    secure_cookies: bool = False
    #: The time zone of times in exports and reports (an IANA name).
    timezone: str = "Europe/Amsterdam"
    #: Sign-ups for the next design round (per session) at most; past it the form is closed.
    max_signups: int = 5000
    #: Days a sign-up is kept at most (deleted by itself after; sooner with its session).
    signup_retention_days: int = 365

    # --- limits a stranger runs into (R40-R46, docs/OPERATIONS.md) -------------------------------
    #: Open connections (HTTP and websocket) in all; past it new ones are refused at once.
    max_connections: int = 4000
    #: Open connections from one client address (IPv6: per /64). A venue's Wi-Fi puts a whole
    #: room behind one address, so this is generous.
    max_connections_per_address: int = 1000
    #: Seconds a client has to send a complete HTTP request head.
    head_timeout_s: float = 10.0
    #: Seconds a websocket has after the upgrade to send ``hello``.
    hello_timeout_s: float = 10.0
    #: Bytes of a JSON import (``POST /api/import``).
    import_max_bytes: int = 32 * MIB
    #: Bytes of an uploaded concept material file (PDF or image).
    upload_max_bytes: int = 15 * MIB
    #: Ops per second from one client address, over all its connections (venue Wi-Fi: a room).
    writes_per_address_per_s: float = 300.0
    #: Notes on one board, and notes one participant may add to one board.
    max_notes_per_board: int = 10_000
    max_notes_per_participant: int = 500
    #: Misses of a join code per client address per minute before 429 (R34).
    join_misses_per_minute: int = 10
    #: Idle rooms (no subscriber, nothing pending) are unloaded after this many seconds.
    room_idle_s: float = 300.0
    #: After a round ends, a note still being typed at the corner a group just left counts for
    #: that round for this long; the round's end snapshot is taken when it is over (R53).
    round_grace_s: float = 60.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = dict(os.environ if env is None else env)
        public_url = e.get("PUBLIC_URL", "").strip().rstrip("/")
        return cls(
            host=e.get("HOST", cls.host),
            port=_int(e, "PORT", cls.port),
            store_url=e.get("STORE_URL", cls.store_url),
            bus_url=e.get("BUS_URL", ""),
            secret_key=e.get("SECRET_KEY", ""),
            allowed_origins=_list(e, "ALLOWED_ORIGINS"),
            public_url=public_url,
            allowed_hosts=_list(e, "ALLOWED_HOSTS"),
            token_days=_int(e, "TOKEN_DAYS", cls.token_days),
            organiser_days=_int(e, "ORGANISER_DAYS", cls.organiser_days),
            retention_days=_int(e, "RETENTION_DAYS", cls.retention_days),
            data_dir=Path(e.get("DATA_DIR", "data")),
            conformance=e.get("VH_CONFORMANCE", "") not in ("", "0"),
            secure_cookies=(e.get("SECURE_COOKIES", "") not in ("", "0")
                            or public_url.startswith("https://")),
            timezone=_zone(e, "TIMEZONE", cls.timezone),
            max_signups=_int(e, "MAX_SIGNUPS", cls.max_signups),
            signup_retention_days=_int(e, "SIGNUP_RETENTION_DAYS", cls.signup_retention_days),
            max_connections=_int(e, "MAX_CONNECTIONS", cls.max_connections),
            max_connections_per_address=_int(e, "MAX_CONNECTIONS_PER_ADDRESS",
                                             cls.max_connections_per_address),
            head_timeout_s=_float(e, "HEAD_TIMEOUT_S", cls.head_timeout_s),
            hello_timeout_s=_float(e, "HELLO_TIMEOUT_S", cls.hello_timeout_s),
            import_max_bytes=_int(e, "IMPORT_MAX_MB", cls.import_max_bytes // MIB) * MIB,
            upload_max_bytes=_int(e, "UPLOAD_MAX_MB", cls.upload_max_bytes // MIB) * MIB,
            writes_per_address_per_s=_float(e, "WRITES_PER_ADDRESS_PER_S",
                                            cls.writes_per_address_per_s),
            max_notes_per_board=_int(e, "MAX_NOTES_PER_BOARD", cls.max_notes_per_board),
            max_notes_per_participant=_int(e, "MAX_NOTES_PER_PARTICIPANT",
                                           cls.max_notes_per_participant),
            join_misses_per_minute=_int(e, "JOIN_MISSES_PER_MINUTE",
                                        cls.join_misses_per_minute),
            room_idle_s=_float(e, "ROOM_IDLE_S", cls.room_idle_s),
            round_grace_s=_float(e, "ROUND_GRACE_S", cls.round_grace_s),
        )

    def bus(self) -> str:
        """The bus's URL: BUS_URL, or the store's Redis, or one process alone."""
        if self.bus_url:
            return self.bus_url
        return self.store_url if self.store_url.startswith(("redis:", "rediss:")) else "local://"

    def hosts(self) -> tuple[str, ...]:
        """The host names this server answers to (R38)."""
        if self.allowed_hosts:
            return self.allowed_hosts
        if self.public_url:
            host = urlsplit(self.public_url).hostname
            if host:
                return (host,)
        return ("127.0.0.1", "localhost", "::1")

    def signing_key(self) -> bytes:
        """SECRET_KEY, or a key kept in DATA_DIR so links survive a restart."""
        if self.secret_key:
            return self.secret_key.encode()
        if self.store_url.startswith("memory:"):
            return secrets.token_bytes(32)
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()
