"""Sign-ups for the next design round over HTTP (R47): consent, who may see them, withdrawal,
exports people open, and that no note export ever carries them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from serverproc import ORGANISERS
from test_access import acall
from wsharness import live_server, new_session

from server import lifecycle, signups
from server.config import Settings

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
    assert status == 201 and "/afmelden/" in answer["withdraw_url"]
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
    secret = answer["withdraw_url"].rsplit("/", 1)[1]
    assert (await acall("GET", f"{base}/afmelden/{secret}"))[0] == 200  # the page
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
    for fmt in ("json", "csv", "md", "html"):
        for anonymous in ("", "?anonymous=1"):
            _, _, body = await acall("GET", f"{base}/api/sessions/{sid}/export.{fmt}{anonymous}",
                                     tok)
            assert b"fenna" not in body.lower() and b"ROC Oost" not in body, fmt
    await acall("POST", f"{base}/api/sessions/{sid}/snapshots", tok, {"name": "S"})
    _, _, body = await acall("GET", f"{base}/api/sessions/{sid}/snapshots/S", tok)
    assert b"fenna" not in body.lower()
    _, _, body = await acall("POST", f"{base}/api/report.html", ORGANISERS[base],
                             {"sessions": [sid]})
    assert b"fenna" not in body.lower()


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
