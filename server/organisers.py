"""Organisers: the people who run the server's sessions (R31).

An organiser signs in with a password (argon2id) or with a one-time sign-in link that the
command line prints (``vierhoeken organiser add NAME``). What proves a sign-in afterwards is an
organiser token (``auth``) in an HttpOnly cookie, or as a bearer token for scripts; it names the
organiser's *generation*, so removing them or signing out everywhere ends every sign-in at once.

Records live in the store (kind ``organiser``, and ``signin`` for the links, kept by the SHA-256
of the link's secret so the store never holds a usable link).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Annotated

import orjson
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import StringConstraints, TypeAdapter, ValidationError

from .protocol import ONE_LINE
from .store import Store

log = logging.getLogger("vierhoeken.organisers")

KIND = "organiser"
LINK_KIND = "signin"
# A sign-in link works once, within this time.
LINK_TTL_S = 24 * 3600
MIN_PASSWORD = 10
MAX_PASSWORD = 256
FIRST_NAME = "beheerder"
FIRST_ID = "0000000000000001"
# OWASP's argon2id minimum (19 MiB, 2 passes): about 30 ms here; hashing runs off the loop and
# no more than two at a time, so a burst of logins cannot eat the server's memory.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
HASHING_AT_ONCE = 2
# Verified against when the name is unknown, so a miss takes as long as a wrong password.
_DUMMY = HASHER.hash(secrets.token_hex(16))

OrganiserName = Annotated[str, StringConstraints(min_length=1, max_length=60,
                                                 strip_whitespace=True, pattern=ONE_LINE)]
NAME: TypeAdapter[str] = TypeAdapter(OrganiserName)


class OrganiserError(Exception):
    """A name that is taken or not allowed, an unknown organiser, a password too short."""


@dataclass
class Organiser:
    id: str
    name: str
    created: float
    password: str = ""  # argon2id hash, or "" (sign-in by link only)
    generation: int = 1
    signed_in: float = 0.0

    def dump(self) -> str:
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def load(cls, raw: str) -> Organiser:
        data = orjson.loads(raw)
        return cls(id=str(data["id"]), name=str(data["name"]), created=float(data["created"]),
                   password=str(data.get("password", "")),
                   generation=int(data.get("generation", 1)),
                   signed_in=float(data.get("signed_in", 0.0)))

    def public(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "password": bool(self.password)}


def _link_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _verify_now(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class Organisers:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._hashing: asyncio.Semaphore | None = None

    async def _hash(self, password: str) -> str:
        self._hashing = self._hashing or asyncio.Semaphore(HASHING_AT_ONCE)
        async with self._hashing:
            return await asyncio.to_thread(HASHER.hash, password)

    async def _verify(self, hashed: str, password: str) -> bool:
        self._hashing = self._hashing or asyncio.Semaphore(HASHING_AT_ONCE)
        async with self._hashing:
            return await asyncio.to_thread(_verify_now, hashed, password)

    async def all(self) -> list[Organiser]:
        found = [Organiser.load(raw) for _, raw in await self.store.list_records(KIND)]
        return sorted(found, key=lambda o: (o.created, o.name))

    async def get(self, organiser_id: str) -> Organiser | None:
        raw = await self.store.get_record(KIND, organiser_id)
        return Organiser.load(raw) if raw is not None else None

    async def by_name(self, name: str) -> Organiser | None:
        want = name.strip().casefold()
        return next((o for o in await self.all() if o.name.casefold() == want), None)

    async def find(self, key: str) -> Organiser:
        """By name or id; ``OrganiserError`` when there is none."""
        found = await self.by_name(key) or await self.get(key)
        if found is None:
            raise OrganiserError(f"no organiser {key!r}")
        return found

    async def add(self, name: str, organiser_id: str | None = None) -> Organiser:
        try:
            clean = NAME.validate_python(name)
        except ValidationError as exc:
            raise OrganiserError(f"name: {exc.errors()[0]['msg']}") from exc
        if await self.by_name(clean) is not None:
            raise OrganiserError(f"there is already an organiser {clean!r}")
        org = Organiser(id=organiser_id or secrets.token_hex(8), name=clean, created=time.time())
        if not await self.store.put_record(KIND, org.id, org.dump(), only_new=True):
            raise OrganiserError(f"organiser {org.id!r} exists already")
        return org

    async def save(self, org: Organiser) -> None:
        await self.store.put_record(KIND, org.id, org.dump())

    async def remove(self, org: Organiser) -> None:
        """Gone, and every sign-in of theirs with them (their sessions stay)."""
        await self.store.delete_record(KIND, org.id)

    async def sign_out_everywhere(self, org: Organiser) -> None:
        org.generation += 1
        await self.save(org)

    # --- sign-in ------------------------------------------------------------------------------

    async def new_link(self, org: Organiser) -> str:
        """A one-time sign-in secret for ``org`` (the link is ``<base>/o/<secret>``)."""
        secret = secrets.token_urlsafe(24)
        data = orjson.dumps({"organiser": org.id, "expires": time.time() + LINK_TTL_S})
        await self.store.put_record(LINK_KIND, _link_key(secret), data.decode())
        return secret

    async def use_link(self, secret: str) -> Organiser | None:
        """The organiser of a sign-in link, once; None for a used, expired or unknown link."""
        if not secret or len(secret) > 100:
            return None
        raw = await self.store.take_record(LINK_KIND, _link_key(secret))
        if raw is None:
            return None
        data = orjson.loads(raw)
        if float(data.get("expires", 0)) < time.time():
            return None
        return await self.get(str(data.get("organiser", "")))

    async def set_password(self, org: Organiser, password: str) -> None:
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise OrganiserError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        org.password = await self._hash(password)
        await self.save(org)

    async def check_password(self, name: str, password: str) -> Organiser | None:
        if not password or len(password) > MAX_PASSWORD or len(name) > 200:
            return None
        org = await self.by_name(name)
        ok = await self._verify(org.password if org and org.password else _DUMMY, password)
        return org if ok and org is not None and org.password else None

    async def signed_in(self, org: Organiser) -> None:
        org.signed_in = time.time()
        await self.save(org)

    async def first_run(self) -> tuple[Organiser, str] | None:
        """On a server nobody has signed in to yet: the first organiser and a sign-in link,
        so that ``make run`` on a fresh machine ends in a server someone can use."""
        everyone = await self.all()
        if any(o.signed_in or o.password for o in everyone):
            return None
        if not everyone:
            # One id for the first organiser, so two processes starting make one.
            with contextlib.suppress(OrganiserError):
                await self.add(FIRST_NAME, FIRST_ID)
        org = everyone[0] if everyone else await self.get(FIRST_ID)
        if org is None:
            return None
        return org, await self.new_link(org)
