"""Sign-ups for the next design round over HTTP (R47): consent, who may see them, withdrawal,
exports people open, and that no note export ever carries them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import orjson
import pytest
from serverproc import ORGANISERS
from test_access import acall
from wsharness import Client, live_server, new_session

from server import lifecycle, signups
from server.config import Settings
from server.store import Store

FORM = {"name": "Fenna de Vries", "organisation": "ROC Oost", "role": "mbo",
        "email": "fenna@example.nl", "instruments": ["matrix", "achtje"],
        "meedenken": True, "uitproberen": False, "consent": True}


@pytest.fixture
async def base(tmp_path: Path) -> AsyncIterator[str]:
    settings = Settings(store_url=f"sqlite:///{tmp_path}/vh.db", secret_key="s",
                        data_dir=tmp_path)
    async with live_server(settings) as b:
        yield b


async def sign_up(base: str, code: str, **change: Any) -> tuple[int, dict[str, Any]]:
    status, _, body = await acall("POST", f"{base}/api/signup/{code}", body={**FORM, **change})
    return status, json.loads(body)


async def test_R47_consent_is_required_and_the_form_is_checked(base: str) -> None:
    made = await new_session(base)
    consent = json.loads((await acall("GET", f"{base}/api/signup/consent"))[2])
    assert consent["text"]["nl"] and consent["text"]["en"] and "mbo" in consent["roles"]
    for change, field in (({"consent": False}, "consent"), ({"email": "geen-adres"}, "email"),
                          ({"role": "docent"}, "role"), ({"name": "a\nb"}, "name"),
                          ({"instruments": ["tovenarij"]}, "instruments"),
                          ({"meedenken": False, "uitproberen": False}, "meedenken")):
        status, answer = await sign_up(base, made["code"], **change)
        assert status == 400 and answer["message"].startswith(field), (change, answer)
    status, answer = await sign_up(base, made["code"])
    assert status == 201 and "/afmelden#" in answer["withdraw_url"]
    assert (await sign_up(base, "ZZZZZZZZ"))[0] == 404


async def test_R47_only_the_sessions_organiser_sees_exports_and_deletes_them(
        base: str) -> None:
    made = await new_session(base)
    sid, code = made["session"]["id"], made["code"]
    await sign_up(base, code)
    await sign_up(base, code, name="=HYPERLINK(\"x\")", email="b@example.nl", role="vmbo",
                  uitproberen=True)
    url = f"{base}/api/sessions/{sid}/signups"
    join = json.loads((await acall("GET", f"{base}/api/join/{code}"))[2])
    for token in (None, join["token"], made["facilitator_token"], made["viewer_token"]):
        assert (await acall("GET", url, token))[0] == 401
        assert (await acall("GET", f"{url}.csv", token))[0] == 401
    org = ORGANISERS[base]
    listed = json.loads((await acall("GET", url, org))[2])["signups"]
    assert [r["name"] for r in listed] == ["Fenna de Vries", '=HYPERLINK("x")']
    # CSV for Dutch Excel: a BOM, ';' between cells, formulas neutralised, local time
    status, _, body = await acall("GET", f"{url}.csv?sep=;", org)
    text = body.decode("utf-8")
    assert status == 200 and text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0][:4] == ["Naam", "Organisatie", "Rol", "E-mail"]
    assert rows[2][0].startswith("'=")
    assert rows[1][7] == time.strftime("%Y-%m-%d", time.localtime(listed[0]["created"])) \
        or len(rows[1][7]) == 16
    # XLSX with the same rows, filters on
    status, _, body = await acall("GET", f"{url}.xlsx", org)
    book = openpyxl.load_workbook(io.BytesIO(body))
    sheet = book["Aanmeldingen"]
    assert [c.value for c in sheet[1]][:3] == ["Naam", "Organisatie", "Rol"]
    assert sheet.auto_filter.ref and sheet.max_row == 3
    # delete one, then all
    one = listed[0]["id"]
    assert (await acall("DELETE", f"{url}/{one}", org))[0] == 200
    assert (await acall("DELETE", f"{url}/{one}", org))[0] == 404
    assert json.loads((await acall("DELETE", url, org))[2])["deleted"] == 1
    assert json.loads((await acall("GET", url, org))[2])["signups"] == []


async def test_R47_the_person_withdraws_with_their_link(base: str) -> None:
    made = await new_session(base)
    _, answer = await sign_up(base, made["code"])
    page, secret = answer["withdraw_url"].split("#", 1)
    assert page == f"{base}/afmelden"  # the secret is a fragment: it never reaches a server
    assert (await acall("GET", page))[0] == 200  # the page
    assert (await acall("GET", f"{base}/afmelden/{secret}"))[0] == 200  # and older links
    assert (await acall("POST", f"{base}/api/signup-withdraw", body={"secret": secret}))[0] \
        == 200
    assert (await acall("POST", f"{base}/api/signup-withdraw", body={"secret": secret}))[0] \
        == 404
    listed = json.loads((await acall("GET", f"{base}/api/sessions/{made['session']['id']}"
                                     "/signups", ORGANISERS[base]))[2])
    assert listed["signups"] == []


async def test_R47_no_note_export_carries_a_sign_up(base: str) -> None:
    made = await new_session(base)
    sid, tok = made["session"]["id"], made["facilitator_token"]
    await sign_up(base, made["code"])
    for fmt in ("json", "csv", "xlsx", "md", "html"):
        for anonymous in ("", "?anonymous=1"):
            status, _, body = await acall(
                "GET", f"{base}/api/sessions/{sid}/export.{fmt}{anonymous}", tok)
            assert status == 200, fmt
            text = unzipped(body) if fmt == "xlsx" else body
            assert b"fenna" not in text.lower() and b"ROC Oost" not in text, fmt
    await acall("POST", f"{base}/api/sessions/{sid}/snapshots", tok, {"name": "S"})
    _, _, body = await acall("GET", f"{base}/api/sessions/{sid}/snapshots/S", tok)
    assert b"fenna" not in body.lower()
    for fmt in ("html", "md", "csv", "xlsx"):
        _, _, body = await acall("POST", f"{base}/api/report.{fmt}", ORGANISERS[base],
                                 {"sessions": [sid]})
        text = unzipped(body) if fmt == "xlsx" else body
        assert b"fenna" not in text.lower() and b"ROC Oost" not in text, fmt


def unzipped(body: bytes) -> bytes:
    """Every member of a workbook, uncompressed, one after the other."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(body)) as book:
        return b"".join(book.read(name) for name in book.namelist())


async def test_R47_retention_and_deleting_the_session_take_the_sign_ups(base: str) -> None:
    from wsharness import SERVERS

    made = await new_session(base)
    sid = made["session"]["id"]
    await sign_up(base, made["code"])
    store = SERVERS[base].store
    assert len(await signups.listed(store, sid)) == 1
    # a sign-up older than the retention period goes, the session (made now) stays
    assert await lifecycle.purge(store, 30, now=time.time() + 40 * 86400) != []  # both old
    assert await signups.listed(store, sid) == []
    again = await new_session(base)
    await sign_up(base, again["code"])
    await asyncio.sleep(0)
    assert (await acall("DELETE", f"{base}/api/sessions/{again['session']['id']}",
                        ORGANISERS[base]))[0] == 200
    assert await signups.listed(store, again["session"]["id"]) == []


async def test_R47_the_consent_says_what_why_how_long_who_sees_it_and_how_to_withdraw(
        base: str) -> None:
    made = await new_session(base)
    consent = json.loads((await acall("GET", f"{base}/api/signup/consent"))[2])
    assert consent["retention_days"] == 365  # SIGNUP_RETENTION_DAYS by default
    for lang, heads in (("nl", ["Wat we bewaren", "Waarvoor", "Hoe lang", "Wie ze ziet",
                                "Intrekken"]),
                        ("en", ["What we keep", "What for", "How long", "Who sees them",
                                "Withdrawing"])):
        text = consent["text"][lang]
        assert [head for head, _ in text["items"]] == heads
        assert "365 " in text["items"][2][1] and "{days}" not in json.dumps(text)
        assert text["title"] and text["agree"]
    assert consent["instruments"] == ["praatplaat", "matrix", "achtje", "reflectietool"]
    # a form that showed an older text is refused; the one it shows now is kept with it
    status, answer = await sign_up(base, made["code"], consent_version=1)
    assert status == 400 and answer["message"].startswith("consent_version")
    status, answer = await sign_up(base, made["code"], consent_version=consent["version"],
                                   instruments=["matrix", "matrix"])
    assert status == 201 and answer["retention_days"] == 365
    listed = json.loads((await acall("GET", f"{base}/api/sessions/{made['session']['id']}"
                                     "/signups", ORGANISERS[base]))[2])["signups"]
    assert listed[0]["consent_version"] == consent["version"]
    assert listed[0]["instruments"] == ["matrix"]


async def test_R47_a_closed_session_still_takes_sign_ups_the_workspace_never(base: str) -> None:
    made = await new_session(base)
    fac = Client(base, made["facilitator_token"], "Fee")
    await fac.connect()
    control = made["session"]["id"] + ".control"
    await fac.subscribe(control)
    await fac.op(control, {"kind": "session.close", "closed": True})
    await fac.close()
    assert (await acall("GET", f"{base}/api/join/{made['code']}"))[0] == 410
    assert (await sign_up(base, made["code"]))[0] == 201  # the end of the day is the moment
    workspace = json.loads((await acall("GET", f"{base}/api/ontwerpslag",
                                        ORGANISERS[base]))[2])
    assert (await sign_up(base, workspace["session"]["code"]))[0] == 404


async def withdraw_links(store: Store) -> int:
    return len(await store.list_records(signups.WITHDRAW_KIND))


async def test_R47_deleting_a_sign_up_takes_its_withdrawal_link_and_the_list_shows_no_secret(
        base: str) -> None:
    from wsharness import SERVERS

    store = SERVERS[base].store
    made = await new_session(base)
    sid, org = made["session"]["id"], ORGANISERS[base]
    secrets_ = [(await sign_up(base, made["code"], email=f"p{i}@example.nl"))[1]["withdraw_url"]
                .split("#", 1)[1] for i in range(3)]
    assert await withdraw_links(store) == 3
    url = f"{base}/api/sessions/{sid}/signups"
    listed = json.loads((await acall("GET", url, org))[2])["signups"]
    assert all("withdraw" not in r for r in listed)
    assert not any(s in json.dumps(listed) for s in secrets_)
    # the organiser deletes one: its link is gone too, and says so
    assert (await acall("DELETE", f"{url}/{listed[0]['id']}", org))[0] == 200
    assert await withdraw_links(store) == 2
    assert (await acall("POST", f"{base}/api/signup-withdraw",
                        body={"secret": secrets_[0]}))[0] == 404
    # deleting the session takes the rest with their links
    assert (await acall("DELETE", f"{base}/api/sessions/{sid}", org))[0] == 200
    assert await withdraw_links(store) == 0
    assert await store.list_records(signups.KIND + sid) == []


async def test_R47_guessing_withdrawal_links_is_limited(base: str) -> None:
    answers = [(await acall("POST", f"{base}/api/signup-withdraw",
                            body={"secret": f"geraden-{i}"}))[0] for i in range(22)]
    assert answers[:20] == [404] * 20 and answers[20:] == [429, 429]


async def test_R47_old_sign_ups_go_by_themselves_while_their_session_is_kept(
        tmp_path: Path) -> None:
    settings = Settings(store_url=f"sqlite:///{tmp_path}/vh.db", secret_key="s",
                        data_dir=tmp_path, retention_days=0, signup_retention_days=30)
    async with live_server(settings) as base:
        from wsharness import SERVERS

        made = await new_session(base)
        sid = made["session"]["id"]
        consent = json.loads((await acall("GET", f"{base}/api/signup/consent"))[2])
        assert consent["retention_days"] == 30
        assert "30 dagen" in consent["text"]["nl"]["items"][2][1]
        await sign_up(base, made["code"])
        store = SERVERS[base].store
        old = {**FORM, "id": "old", "session": sid, "created": time.time() - 31 * 86400,
               "consent_version": signups.CONSENT_VERSION, "withdraw": "h" * 64}
        await store.put_record(signups.KIND + sid, "old", orjson.dumps(old).decode())
        await store.put_record(signups.WITHDRAW_KIND, "h" * 64, '{"session":"x","id":"old"}')
    # the next start sweeps at once (and then daily): the old sign-up and its link go, the
    # new one and the session (RETENTION_DAYS=0 keeps sessions) stay
    async with live_server(settings) as base:
        store = SERVERS[base].store
        for _ in range(100):
            if len(await signups.listed(store, sid)) == 1:
                break
            await asyncio.sleep(0.05)
        assert [r["name"] for r in await signups.listed(store, sid)] == ["Fenna de Vries"]
        assert await store.get_record(signups.WITHDRAW_KIND, "h" * 64) is None
        assert await store.get_session(sid) is not None
    # RETENTION_DAYS shorter than SIGNUP_RETENTION_DAYS: the consent says the shorter
    async with live_server(replace(settings, retention_days=7)) as base:
        consent = json.loads((await acall("GET", f"{base}/api/signup/consent"))[2])
        assert consent["retention_days"] == 7


async def test_R47_a_session_takes_at_most_max_signups(tmp_path: Path) -> None:
    settings = Settings(store_url=f"sqlite:///{tmp_path}/vh.db", secret_key="s",
                        data_dir=tmp_path, max_signups=2)
    async with live_server(settings) as base:
        made = await new_session(base)
        for i in range(2):
            assert (await sign_up(base, made["code"], email=f"p{i}@example.nl"))[0] == 201
        status, answer = await sign_up(base, made["code"], email="p3@example.nl")
        assert status == 409 and answer["error"] == "signups_full"
        other = await new_session(base)
        assert (await sign_up(base, other["code"]))[0] == 201  # per session
