"""Sign-ups for the next design round: "Wie wil nog eens meedenken? Of iets uitproberen in de
praktijk?" (R47).

A sign-up is personal data (a name, an e-mail address) given with explicit consent, so it is
kept apart from everything else: records of kind ``signup:<session>`` that no note export, no
state frame and no snapshot ever reads. Organisers of the session list, export and delete them;
the person withdraws with the link they got (only the SHA-256 of its secret is kept);
RETENTION_DAYS deletes them with their session, or sooner when older.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from .protocol import ONE_LINE
from .store import Store

KIND = "signup:"
WITHDRAW_KIND = "signup-withdraw"
ROLES = ("vmbo", "mbo", "regio", "anders")
# The consent text the form shows, in both languages (the browser takes it from here).
CONSENT_VERSION = 1
CONSENT = {
    "nl": ("Ik geef toestemming om mijn naam, organisatie, rol en e-mailadres te bewaren zodat "
           "het ontwerpteam van Sterk Techniekonderwijs mij kan benaderen om mee te denken over "
           "of uit te proberen met de instrumenten. Mijn gegevens staan los van de notities, "
           "worden niet gedeeld en worden verwijderd zodra de sessie wordt verwijderd, uiterlijk "
           "na de bewaartermijn van deze server. Met de afmeldlink die ik na het aanmelden krijg "
           "trek ik mijn toestemming in en worden mijn gegevens direct verwijderd."),
    "en": ("I agree that my name, organisation, role and e-mail address are kept so that the "
           "Sterk Techniekonderwijs design team can contact me to think along about or try out "
           "the instruments. My details are kept apart from the notes, are not shared, and are "
           "deleted when the session is deleted, at the latest after this server's retention "
           "period. With the withdrawal link I get after signing up I withdraw my consent and "
           "my details are deleted at once."),
}

OneLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120,
                                           pattern=ONE_LINE)]
# Deliberately loose: one @, no spaces, a dot in the domain; the organiser writes to it.
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254,
                                         pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class SignupForm(BaseModel):
    """What the person types (R47)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80,
                                           pattern=ONE_LINE)]
    organisation: OneLine = ""
    role: Literal["vmbo", "mbo", "regio", "anders"]
    email: Email
    instruments: Annotated[list[Annotated[str, StringConstraints(max_length=32)]],
                           Field(max_length=8)] = []
    meedenken: bool = False
    uitproberen: bool = False
    consent: Literal[True]


FORM: TypeAdapter[SignupForm] = TypeAdapter(SignupForm)


class SignupError(Exception):
    """The form does not fit; the message names the first field."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check(raw: Any, instruments: set[str]) -> SignupForm:
    from pydantic import ValidationError

    try:
        form = FORM.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "form"
        raise SignupError(f"{where}: {first['msg']}") from exc
    unknown = [i for i in form.instruments if i not in instruments]
    if unknown:
        raise SignupError(f"instruments: unknown {unknown}")
    if not (form.meedenken or form.uitproberen):
        raise SignupError("meedenken or uitproberen: choose at least one")
    return form


async def add(store: Store, session: str, form: SignupForm, limit: int) -> tuple[str, str]:
    """Keep a sign-up; answers its id and the secret of its withdrawal link."""
    if len(await store.list_records(KIND + session)) >= limit:
        raise SignupError("this session takes no more sign-ups")
    sid, secret = secrets.token_hex(8), secrets.token_urlsafe(24)
    record = {**form.model_dump(), "id": sid, "session": session, "created": time.time(),
              "consent_version": CONSENT_VERSION}
    await store.put_record(KIND + session, sid, orjson.dumps(record).decode())
    await store.put_record(WITHDRAW_KIND, _hash(secret),
                           orjson.dumps({"session": session, "id": sid}).decode())
    return sid, secret


async def listed(store: Store, session: str) -> list[dict[str, Any]]:
    found = [orjson.loads(raw) for _, raw in await store.list_records(KIND + session)]
    return sorted(found, key=lambda r: float(r.get("created", 0)))


async def delete(store: Store, session: str, signup: str) -> bool:
    existed = await store.get_record(KIND + session, signup) is not None
    await store.delete_record(KIND + session, signup)
    return existed


async def delete_all(store: Store, session: str) -> int:
    keys = [k for k, _ in await store.list_records(KIND + session)]
    for key in keys:
        await store.delete_record(KIND + session, key)
    return len(keys)


async def withdraw(store: Store, secret: str) -> bool:
    """The person's own withdrawal link: their sign-up is gone at once."""
    if not secret or len(secret) > 100:
        return False
    raw = await store.take_record(WITHDRAW_KIND, _hash(secret))
    if raw is None:
        return False
    ref = orjson.loads(raw)
    return await delete(store, str(ref["session"]), str(ref["id"]))


async def purge(store: Store, session: str, older_than: float) -> int:
    """Retention: sign-ups made before ``older_than`` (epoch seconds) go."""
    gone = 0
    for record in await listed(store, session):
        if float(record.get("created", 0)) < older_than:
            await delete(store, session, str(record["id"]))
            gone += 1
    return gone


COLUMNS = ["Naam", "Organisatie", "Rol", "E-mail", "Instrumenten", "Meedenken",
           "Uitproberen", "Aangemeld op"]


def rows(records: list[dict[str, Any]], when: Any) -> list[list[str]]:
    """The sign-ups as rows under ``COLUMNS`` (``when`` formats a time in local time)."""
    return [[str(r.get("name", "")), str(r.get("organisation", "")), str(r.get("role", "")),
             str(r.get("email", "")), ", ".join(r.get("instruments", [])),
             "ja" if r.get("meedenken") else "nee", "ja" if r.get("uitproberen") else "nee",
             when(float(r.get("created", 0)))] for r in records]
