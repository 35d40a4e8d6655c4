"""Signed tokens scoped to one session and one role.

A token is ``v1.<payload>.<signature>``: the payload (session, role, participant id, expiry) in
base64url JSON, signed with HMAC-SHA256. The facilitator link carries a facilitator token, the
join code is exchanged for a participant token, a screen gets a viewer token (R2).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Literal

Role = Literal["facilitator", "participant", "viewer"]
ROLES: tuple[Role, ...] = ("facilitator", "participant", "viewer")


class BadToken(Exception):
    """The token is missing, malformed, forged, expired or of another session."""


@dataclass(frozen=True, slots=True)
class Grant:
    session: str
    role: Role
    participant: str
    expires: float

    @property
    def can_write(self) -> bool:
        return self.role != "viewer"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def issue(self, session: str, role: Role, ttl_s: float, participant: str | None = None) -> str:
        payload = {
            "s": session,
            "r": role,
            "p": participant or secrets.token_hex(6),
            "e": int(time.time() + ttl_s),
        }
        body = "v1." + _b64(json.dumps(payload, separators=(",", ":")).encode())
        return body + "." + self._sign(body)

    def verify(self, token: str, now: float | None = None) -> Grant:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != "v1":
            raise BadToken("malformed token")
        body = parts[0] + "." + parts[1]
        if not hmac.compare_digest(self._sign(body), parts[2]):
            raise BadToken("bad signature")
        try:
            data = json.loads(_unb64(parts[1]))
            grant = Grant(str(data["s"]), data["r"], str(data["p"]), float(data["e"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise BadToken("malformed token") from exc
        if grant.role not in ROLES:
            raise BadToken("unknown role")
        if grant.expires < (time.time() if now is None else now):
            raise BadToken("token expired")
        return grant
