"""Signed tokens: session tokens scoped to one session and one role, and organiser tokens.

A session token is ``v1.<payload>.<signature>``: the payload (session, role, participant id,
expiry and the session's key) in base64url JSON, signed with HMAC-SHA256. The facilitator link
carries a facilitator token, the join code is exchanged for a participant token, a screen gets
a viewer token (R2). The session's key is random per session and never reused, so a token of a
deleted session can never open another one made later under any id (R33).

An organiser token (``o1.…``, the organiser's cookie) names the organiser and the generation
of their sign-ins; removing the organiser or signing out everywhere makes it worthless (R31).

Whatever arrives as a token — any length, any characters — either verifies or raises
``BadToken`` (R39).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

Role = Literal["facilitator", "participant", "viewer"]
ROLES: tuple[Role, ...] = ("facilitator", "participant", "viewer")
MAX_TOKEN = 512
SESSION_PREFIX = "v1"
ORGANISER_PREFIX = "o1"


class BadToken(Exception):
    """The token is missing, malformed, forged, expired or of another session."""


@dataclass(frozen=True, slots=True)
class Grant:
    session: str
    role: Role
    participant: str
    expires: float
    #: The key of the session the token was made for ("" for tokens of older sessions).
    key: str = ""

    @property
    def can_write(self) -> bool:
        return self.role != "viewer"


@dataclass(frozen=True, slots=True)
class OrganiserGrant:
    organiser: str
    generation: int
    expires: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sign(self, body: bytes) -> bytes:
        return _b64(hmac.new(self._key, body, hashlib.sha256).digest()).encode()

    def _issue(self, prefix: str, payload: dict[str, Any]) -> str:
        body = prefix + "." + _b64(json.dumps(payload, separators=(",", ":")).encode())
        return body + "." + self._sign(body.encode()).decode()

    def _open(self, prefix: str, token: object) -> dict[str, Any]:
        """The signed payload of a token with this prefix; ``BadToken`` for anything else."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
            raise BadToken("malformed token")
        try:
            raw = token.encode("ascii")
        except UnicodeEncodeError:
            raise BadToken("malformed token") from None
        parts = raw.split(b".")
        if len(parts) != 3 or parts[0] != prefix.encode():
            raise BadToken("malformed token")
        if not hmac.compare_digest(self._sign(parts[0] + b"." + parts[1]), parts[2]):
            raise BadToken("bad signature")
        try:
            data = json.loads(_unb64(parts[1].decode()))
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise BadToken("malformed token") from exc
        if not isinstance(data, dict):
            raise BadToken("malformed token")
        return data

    # --- session tokens ---------------------------------------------------------------------

    def issue(self, session: str, role: Role, ttl_s: float, participant: str | None = None,
              key: str = "") -> str:
        payload: dict[str, Any] = {
            "s": session,
            "r": role,
            "p": participant or secrets.token_hex(6),
            "e": int(time.time() + ttl_s),
        }
        if key:
            payload["k"] = key
        return self._issue(SESSION_PREFIX, payload)

    def verify(self, token: object, now: float | None = None) -> Grant:
        data = self._open(SESSION_PREFIX, token)
        try:
            grant = Grant(str(data["s"]), data["r"], str(data["p"]), float(data["e"]),
                          str(data.get("k", "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise BadToken("malformed token") from exc
        if grant.role not in ROLES:
            raise BadToken("unknown role")
        if grant.expires < (time.time() if now is None else now):
            raise BadToken("token expired")
        return grant

    # --- organiser tokens -------------------------------------------------------------------

    def issue_organiser(self, organiser: str, generation: int, ttl_s: float) -> str:
        return self._issue(ORGANISER_PREFIX, {"o": organiser, "g": generation,
                                              "e": int(time.time() + ttl_s)})

    def verify_organiser(self, token: object, now: float | None = None) -> OrganiserGrant:
        data = self._open(ORGANISER_PREFIX, token)
        try:
            grant = OrganiserGrant(str(data["o"]), int(data["g"]), float(data["e"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise BadToken("malformed token") from exc
        if grant.expires < (time.time() if now is None else now):
            raise BadToken("token expired")
        return grant
