"""Sign-ups for the next design round: "Wie wil nog eens meedenken? Of iets uitproberen in de
praktijk?" (R47).

A sign-up is personal data (a name, an e-mail address) given with explicit consent, so it is
kept apart from everything else: records of kind ``signup:<session>`` that no note export, no
state frame and no snapshot ever reads. Organisers of the session list, export and delete them;
the person withdraws with the link they got (only the SHA-256 of its secret is kept, in the
sign-up and under ``signup-withdraw``, and both go together). They go with their session, and
by themselves after ``retention_days`` (SIGNUP_RETENTION_DAYS, or RETENTION_DAYS when shorter).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from .protocol import ONE_LINE
from .store import Store

KIND = "signup:"
WITHDRAW_KIND = "signup-withdraw"
ROLES = ("vmbo", "mbo", "regio", "anders")
# Sign-ups kept at most this many days when SIGNUP_RETENTION_DAYS is not set (or not positive).
DEFAULT_RETENTION_DAYS = 365
# The consent text the form shows, in both languages (the browser takes it from here, so what
# a person agreed to is the version recorded with their sign-up): what is kept, what for, how
# long, who sees it, how to withdraw. ``{days}`` is the retention in days.
CONSENT_VERSION = 2
CONSENT: dict[str, dict[str, Any]] = {
    "nl": {
        "title": "Toestemming",
        "items": [
            ["Wat we bewaren", "Je naam, organisatie, rol, e-mailadres, de instrumenten die je "
             "kiest en of je wilt meedenken of uitproberen."],
            ["Waarvoor", "Alleen om je te benaderen voor de volgende ontwerpronde van Sterk "
             "Techniekonderwijs: meedenken over de instrumenten of ze uitproberen in de "
             "praktijk."],
            ["Hoe lang", "Tot het ontwerpteam je gegevens verwijdert, uiterlijk {days} dagen na "
             "je aanmelding; daarna verwijdert de server ze zelf."],
            ["Wie ze ziet", "Alleen de organisatoren van deze sessie (het ontwerpteam). Je "
             "gegevens staan los van de notities: deelnemers, begeleiders en schermen zien ze "
             "niet, en ze staan in geen enkele export van de notities."],
            ["Intrekken", "Na het aanmelden krijg je een afmeldlink. Daarmee trek je je "
             "toestemming in en zijn je gegevens meteen verwijderd. Je kunt het ook vragen "
             "aan de organisatoren."],
        ],
        "agree": "Ik heb dit gelezen en geef toestemming.",
    },
    "en": {
        "title": "Consent",
        "items": [
            ["What we keep", "Your name, organisation, role, e-mail address, the instruments "
             "you choose and whether you want to think along or try things out."],
            ["What for", "Only to contact you for the next design round of Sterk "
             "Techniekonderwijs: thinking along about the instruments or trying them out in "
             "practice."],
            ["How long", "Until the design team deletes your details, at most {days} days "
             "after you signed up; after that the server deletes them by itself."],
            ["Who sees them", "Only the organisers of this session (the design team). Your "
             "details are kept apart from the notes: participants, facilitators and screens "
             "do not see them, and they are in no export of the notes."],
            ["Withdrawing", "After signing up you get a withdrawal link. With it you withdraw "
             "your consent and your details are deleted at once. You can also ask the "
             "organisers."],
        ],
        "agree": "I have read this and I agree.",
    },
}


def retention_days(session_days: int, signup_days: int) -> int:
    """How long a sign-up is kept: SIGNUP_RETENTION_DAYS, or RETENTION_DAYS when that deletes
    its session sooner."""
    days = signup_days if signup_days > 0 else DEFAULT_RETENTION_DAYS
    return min(days, session_days) if session_days > 0 else days


def consent(days: int) -> dict[str, dict[str, Any]]:
    """The consent text with the retention filled in."""
    return {lang: {**text, "items": [[head, body.replace("{days}", str(days))]
                                     for head, body in text["items"]]}
            for lang, text in CONSENT.items()}


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
    # The version of the consent text the form showed: a form older than the text is refused.
    consent_version: int | None = None


FORM: TypeAdapter[SignupForm] = TypeAdapter(SignupForm)


class SignupError(Exception):
    """The form does not fit; the message names the first field."""


class Full(Exception):
    """The session holds MAX_SIGNUPS sign-ups: it takes no more."""


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
    if form.consent_version not in (None, CONSENT_VERSION):
        raise SignupError("consent_version: the consent text changed; read it again")
    return form.model_copy(update={"instruments": list(dict.fromkeys(form.instruments))})


async def add(store: Store, session: str, form: SignupForm, limit: int) -> tuple[str, str]:
    """Keep a sign-up; answers its id and the secret of its withdrawal link."""
    if len(await store.list_records(KIND + session)) >= limit:
        raise Full(f"this session takes no more sign-ups ({limit})")
    sid, secret = secrets.token_hex(8), secrets.token_urlsafe(24)
    record = {**form.model_dump(), "id": sid, "session": session, "created": time.time(),
              "consent_version": CONSENT_VERSION, "withdraw": _hash(secret)}
    await store.put_record(WITHDRAW_KIND, _hash(secret),
                           orjson.dumps({"session": session, "id": sid}).decode())
    await store.put_record(KIND + session, sid, orjson.dumps(record).decode())
    return sid, secret


async def listed(store: Store, session: str) -> list[dict[str, Any]]:
    found = [orjson.loads(raw) for _, raw in await store.list_records(KIND + session)]
    return sorted(found, key=lambda r: float(r.get("created", 0)))


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A sign-up as the organiser's list shows it: not the hash of its withdrawal link."""
    return {k: v for k, v in record.items() if k != "withdraw"}


async def delete(store: Store, session: str, signup: str) -> bool:
    """One sign-up goes, with what its withdrawal link pointed at."""
    raw = await store.get_record(KIND + session, signup)
    if raw is None:
        return False
    withdraw_hash = orjson.loads(raw).get("withdraw")
    await store.delete_record(KIND + session, signup)
    if isinstance(withdraw_hash, str):
        await store.delete_record(WITHDRAW_KIND, withdraw_hash)
    return True


async def delete_all(store: Store, session: str) -> int:
    gone = 0
    for key, _ in await store.list_records(KIND + session):
        gone += await delete(store, session, key)
    return gone


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
            gone += await delete(store, session, str(record["id"]))
    return gone


async def purge_everywhere(store: Store, older_than: float) -> int:
    """Retention over every session on the store (the daily sweep)."""
    return sum([await purge(store, sid, older_than) for sid in await store.list_sessions()])


COLUMNS = ["Naam", "Organisatie", "Rol", "E-mail", "Instrumenten", "Meedenken",
           "Uitproberen", "Aangemeld op"]


def rows(records: list[dict[str, Any]], when: Callable[[float], str]) -> list[list[str]]:
    """The sign-ups as rows under ``COLUMNS`` (``when`` formats a time in local time)."""
    return [[str(r.get("name", "")), str(r.get("organisation", "")), str(r.get("role", "")),
             str(r.get("email", "")), ", ".join(r.get("instruments", [])),
             "ja" if r.get("meedenken") else "nee", "ja" if r.get("uitproberen") else "nee",
             when(float(r.get("created", 0)))] for r in records]
