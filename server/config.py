"""Settings from environment variables (documented in the README)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    store_url: str = "sqlite:///data/vierhoeken.db"
    #: Key that signs session tokens; generated into data/secret.key when unset.
    secret_key: str = ""
    #: Origins allowed besides the server's own (R4), e.g. "https://sto.example.nl".
    allowed_origins: tuple[str, ...] = ()
    #: The address people use to reach the server, for join links and QR codes.
    public_url: str = ""
    #: Days a participant or facilitator link stays valid.
    token_days: int = 30
    #: Sessions (with their snapshots) older than this many days are deleted; 0 keeps them.
    retention_days: int = 0
    data_dir: Path = field(default_factory=lambda: Path("data"))
    #: Serve ``/ws-echo`` for websocket conformance testing (Autobahn, tests/autobahn/).
    conformance: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = dict(os.environ if env is None else env)
        origins = tuple(o.strip().rstrip("/") for o in e.get("ALLOWED_ORIGINS", "").split(",")
                        if o.strip())
        return cls(
            host=e.get("HOST", cls.host),
            port=int(e.get("PORT", cls.port)),
            store_url=e.get("STORE_URL", cls.store_url),
            secret_key=e.get("SECRET_KEY", ""),
            allowed_origins=origins,
            public_url=e.get("PUBLIC_URL", "").rstrip("/"),
            token_days=int(e.get("TOKEN_DAYS", cls.token_days)),
            retention_days=int(e.get("RETENTION_DAYS", cls.retention_days)),
            data_dir=Path(e.get("DATA_DIR", "data")),
            conformance=e.get("VH_CONFORMANCE", "") not in ("", "0"),
        )

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
