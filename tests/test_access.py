"""Who may do what on a public server (R31-R39): each finding of the outside attack, tried again.

Every test tries what an outsider tried — a stranger, a participant of the session, a
participant of another session — against a real server over HTTP and the websocket, and
counts what got through. The figures (attempts, applied, text leaked, guessing time) go to
docs/RELIABILITY.md.
"""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from serverproc import ORGANISERS
from wsharness import Client, live_server, new_session, participant

from server import archive, export
from server.auth import Signer
from server.config import Settings
from server.session import CODE_ALPHABET, CODE_LENGTH

pytestmark = pytest.mark.reliability

SECRET = "access-secret"


@pytest.fixture
async def base(tmp_path: Path) -> AsyncIterator[str]:
    settings = Settings(store_url=f"sqlite:///{tmp_path}/vh.db", secret_key=SECRET,
                        data_dir=tmp_path, join_misses_per_minute=10)
    async with live_server(settings) as b:
        yield b


def call(method: str, url: str, token: str | None = None, body: Any = None,
         headers: dict[str, str] | None = None, raw: bytes | None = None
         ) -> tuple[int, dict[str, str], bytes]:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if token:
        req.add_header("authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


async def acall(*args: Any, **kw: Any) -> tuple[int, dict[str, str], bytes]:
    return await asyncio.to_thread(call, *args, **kw)


async def facilitator(base: str, made: dict[str, Any]) -> Client:
    f = Client(base, made["facilitator_token"], "Fee")
    await f.connect()
    return f


async def on_board(c: Client, board: str) -> Client:
    await c.subscribe(board)
    return c


def add(note: str, text: str = "", zone: str = "tips") -> dict[str, Any]:
    return {"kind": "note.add", "note": note, "zone": zone, "text": text}


# --- 1. an import cannot take over another session (R35) ------------------------------------------


async def test_R35_an_import_naming_another_sessions_boards_gets_boards_of_its_own(
        base: str, figure: Any) -> None:
    victim = await new_session(base)
    vid = victim["session"]["id"]
    matrix = f"{vid}.matrix"
    writer = await on_board(await participant(base, victim["code"], "Ans"), matrix)
    acked = [await writer.op(matrix, add(f"v{i}", f"van het slachtoffer {i}")) for i in range(3)]
    assert all(a["type"] == "ack" for a in acked)
    # The attacker's document names the victim's boards (ids read from /api/join/<code>).
    own = await new_session(base)
    _, _, body = await acall("GET", f"{base}/api/sessions/{own['session']['id']}/export.json",
                             own["facilitator_token"])
    doc = json.loads(body)
    old = doc["session"]["id"]
    doc = json.loads(json.dumps(doc).replace(old, vid))
    status, _, answer = await acall("POST", f"{base}/api/import", ORGANISERS[base],
                                    raw=json.dumps(doc).encode())
    assert status == 201
    taken = json.loads(answer)
    assert taken["session"]["id"] != vid
    assert all(not b["id"].startswith(vid) for b in taken["session"]["boards"])
    # Its facilitator token reaches none of the victim's boards...
    intruder = await facilitator(base, taken)
    tries = [
        {"type": "subscribe", "board": matrix},
        {"type": "op", "id": "x1", "board": matrix, "op": {"kind": "board.mode",
                                                            "mode": "locked"}},
        {"type": "op", "id": "x2", "board": f"{vid}.control",
         "op": {"kind": "announce", "text": "overgenomen"}},
        {"type": "op", "id": "x3", "board": f"{vid}.control",
         "op": {"kind": "session.close", "closed": True}},
    ]
    answers = []
    for frame in tries:
        mark = len(intruder.frames)
        await intruder.send(frame)
        answers.append(await intruder.wait_for(lambda f: f["type"] in ("error", "state"),
                                               start=mark))
    applied = sum(1 for a in answers if a["type"] != "error")
    assert all(a.get("code") == "unknown_board" for a in answers), answers
    # ... and deleting its own session deletes nothing of the victim's (R6).
    assert (await acall("DELETE", f"{base}/api/sessions/{taken['session']['id']}",
                        ORGANISERS[base]))[0] == 200
    check = await on_board(await facilitator(base, victim), matrix)
    kept = set(check.notes(matrix))
    assert kept == {"v0", "v1", "v2"}
    figure("takeover attempts over an import", len(tries), "", "")
    figure("takeover attempts applied", applied, "", "0", applied == 0)
    figure("acknowledged notes of the victim lost", 3 - len(kept), "", "0", len(kept) == 3)
    for c in (writer, intruder, check):
        await c.close()


# --- 2. only organisers make sessions (R31) -------------------------------------------------------


async def test_R31_creating_importing_reporting_and_deleting_need_an_organiser(
        base: str, figure: Any) -> None:
    made = await new_session(base)
    sid = made["session"]["id"]
    join = json.loads((await acall("GET", f"{base}/api/join/{made['code']}"))[2])
    _, _, doc = await acall("GET", f"{base}/api/sessions/{sid}/export.json",
                            made["facilitator_token"])
    attempts = [
        ("POST", f"{base}/api/sessions", {"template": "vier-hoeken"}, None),
        ("POST", f"{base}/api/import", None, doc),
        ("POST", f"{base}/api/report.md", {"sessions": [sid]}, None),
        ("DELETE", f"{base}/api/sessions/{sid}", None, None),
        ("GET", f"{base}/api/organiser/sessions", None, None),
    ]
    strangers = {"nobody": None, "participant": join["token"],
                 "facilitator": made["facilitator_token"], "viewer": made["viewer_token"],
                 "forged": ORGANISERS[base][:-3] + "AAA"}
    statuses = []
    for token in strangers.values():
        for method, url, body, raw in attempts:
            statuses.append((await acall(method, url, token, body=body, raw=raw))[0])
    assert set(statuses) == {401}, statuses
    # A signed-in organiser can; another organiser cannot touch the first one's session.
    other = await live_organiser(base, "Tweede")
    assert (await acall("DELETE", f"{base}/api/sessions/{sid}", other))[0] == 404
    mine = json.loads((await acall("GET", f"{base}/api/organiser/sessions",
                                   ORGANISERS[base]))[2])
    assert sid in [s["id"] for s in mine["sessions"]]
    theirs = json.loads((await acall("GET", f"{base}/api/organiser/sessions", other))[2])
    assert theirs["sessions"] == []
    figure("organiser actions tried without an organiser", len(statuses), "", "")
    figure("organiser actions allowed without an organiser",
           sum(1 for s in statuses if s < 400), "", "0", True)


async def live_organiser(base: str, name: str) -> str:
    """A second organiser, added and signed in with a one-time link as the CLI would print."""
    from wsharness import SERVERS

    server = SERVERS[base]
    org = await server.organisers.add(name)
    secret = await server.organisers.new_link(org)
    status, headers, _ = await acall("POST", f"{base}/api/organiser/signin",
                                     body={"link": secret})
    assert status == 200
    assert (await acall("POST", f"{base}/api/organiser/signin", body={"link": secret}))[0] \
        == 401  # once
    cookie = headers.get("set-cookie", headers.get("Set-Cookie", ""))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    return cookie.split("vh_organiser=", 1)[1].split(";", 1)[0]


async def test_R31_password_sign_in_is_throttled_and_sign_out_everywhere_ends_sign_ins(
        base: str) -> None:
    org = await live_organiser(base, "Derde")
    assert (await acall("POST", f"{base}/api/organiser/password", org,
                        body={"password": "kort"}))[0] == 400
    assert (await acall("POST", f"{base}/api/organiser/password", org,
                        body={"password": "een lang genoeg wachtwoord"}))[0] == 200
    ok = await acall("POST", f"{base}/api/organiser/login",
                     body={"name": "derde", "password": "een lang genoeg wachtwoord"})
    assert ok[0] == 200
    misses = [(await acall("POST", f"{base}/api/organiser/login",
                           body={"name": "derde", "password": f"fout {i}"}))[0]
              for i in range(12)]
    # (the used link above was a miss of this address too)
    first = misses.index(429)
    assert first >= 8 and set(misses[:first]) == {401} and set(misses[first:]) == {429}
    assert (await acall("POST", f"{base}/api/organiser/logout", org,
                        body={"everywhere": True}))[0] == 200
    assert (await acall("GET", f"{base}/api/organiser", org))[0] == 401


# --- 3. whose note is whose; removing people (R32, R33) -------------------------------------------


async def test_R32_a_participant_changes_only_their_own_notes(base: str, figure: Any) -> None:
    made = await new_session(base)
    board = made["session"]["boards"][0]["id"]
    ans = await on_board(await participant(base, made["code"], "Ans"), board)
    bo = await on_board(await participant(base, made["code"], "Bo"), board)
    assert (await ans.op(board, add("a1", "van Ans")))["type"] == "ack"
    attempts = [{"kind": "note.edit", "note": "a1", "text": "van Bo"},
                {"kind": "note.color", "note": "a1", "color": "pink"},
                {"kind": "note.move", "note": "a1", "x": 9, "y": 9, "zone": "relevantie"},
                {"kind": "note.delete", "note": "a1"}]
    answers = [await bo.op(board, op) for op in attempts]
    assert [a.get("code") for a in answers] == ["not_yours"] * 4
    # shared editing: then Bo may, and the note says so; hidden mode: nobody touches what
    # they cannot read
    fac = await on_board(await facilitator(base, made), board)
    await fac.op(board, {"kind": "board.editing", "editing": "shared"})
    assert (await bo.op(board, attempts[0]))["type"] == "ack"
    await ans.wait_seq(board, 3)
    assert ans.notes(board)["a1"]["edited_by_name"] == "Bo"
    await fac.op(board, {"kind": "board.mode", "mode": "hidden"})
    hidden = [await bo.op(board, op) for op in attempts[1:]]
    assert [a.get("code") for a in hidden] == ["note_hidden"] * 3
    applied = sum(1 for a in [*answers, *hidden] if a["type"] == "ack")
    figure("changes to another's note tried", len(answers) + len(hidden), "", "")
    figure("changes to another's note applied", applied, "", "0", applied == 0)
    for c in (ans, bo, fac):
        await c.close()


async def test_R33_a_removed_participant_stops_at_once_and_their_notes_can_be_hidden(
        base: str) -> None:
    made = await new_session(base)
    board = made["session"]["boards"][0]["id"]
    control = made["session"]["id"] + ".control"
    vandal = await on_board(await participant(base, made["code"], "Vandaal"), board)
    other = await on_board(await participant(base, made["code"], "Ans"), board)
    for i in range(3):
        await vandal.op(board, add(f"v{i}", "rommel"))
    fac = await on_board(await facilitator(base, made), board)
    await fac.subscribe(control)
    pid = vandal.welcome["me"]["participant"]
    ack = await fac.op(control, {"kind": "participant.remove", "participant": pid,
                                 "hide_notes": True})
    assert ack["type"] == "ack"
    # their connection is closed with 4003 and an explanation; the token opens nothing
    said = await vandal.wait_for(lambda f: f["type"] == "error" and f["code"] == "removed",
                                 timeout=2)
    assert said["code"] == "removed"
    with pytest.raises(ConnectionError):
        await vandal.wait_for(lambda f: False, timeout=2)
    again = Client(base, vandal.token)
    await again.connect()
    assert again.welcome["code"] == "removed"
    # their notes are hidden for everyone else
    await other.wait_for(lambda f: f["type"] == "state" and f["board"] == board
                         and all(n.get("redacted") for n in f["state"]["notes"]
                                 if n["id"].startswith("v")), timeout=5)
    # the facilitator cannot take themselves out
    me = fac.welcome["me"]["participant"]
    assert (await fac.op(control, {"kind": "participant.remove",
                                   "participant": me}))["code"] == "forbidden"
    for c in (other, fac):
        await c.close()


async def test_R33_rotating_the_join_code_stops_the_old_one(base: str) -> None:
    made = await new_session(base)
    sid, old = made["session"]["id"], made["code"]
    status, _, body = await acall("POST", f"{base}/api/sessions/{sid}/code",
                                  made["facilitator_token"])
    new = json.loads(body)["code"]
    assert status == 200 and new != old and len(new) == CODE_LENGTH
    assert (await acall("GET", f"{base}/api/join/{old}"))[0] == 404
    assert (await acall("GET", f"{base}/qr/{old}.svg"))[0] == 404
    assert (await acall("GET", f"{base}/api/join/{new}"))[0] == 200
    # a participant may not rotate it
    join = json.loads((await acall("GET", f"{base}/api/join/{new}"))[2])
    assert (await acall("POST", f"{base}/api/sessions/{sid}/code", join["token"]))[0] == 403


async def test_R33_a_co_facilitator_link_can_be_revoked(base: str) -> None:
    made = await new_session(base)
    sid = made["session"]["id"]
    url = f"{base}/api/sessions/{sid}/invites"
    status, _, body = await acall("POST", url, made["facilitator_token"], {"name": "Cees"})
    invite = json.loads(body)
    assert status == 201
    co = Client(base, invite["token"], "Cees")
    await co.connect()
    assert co.welcome["me"]["role"] == "facilitator"
    listed = json.loads((await acall("GET", url, invite["token"]))[2])["invites"]
    assert [i["name"] for i in listed] == ["Cees"]
    assert (await acall("DELETE", f"{url}/{invite['id']}", made["facilitator_token"]))[0] == 200
    with pytest.raises(ConnectionError):
        await co.wait_for(lambda f: False, timeout=3)
    assert (await acall("GET", url, invite["token"]))[0] == 403
    again = Client(base, invite["token"])
    await again.connect()
    assert again.welcome["code"] == "removed"


# --- 4. a resume never sends text the reader may not read (R36) -----------------------------------


async def test_R36_resume_from_any_seq_never_leaks_withheld_or_deleted_text(
        base: str, figure: Any) -> None:
    """Three boards, each with a way the old replay leaked, and nothing after it that would
    make a resume a fresh state by chance."""
    made = await new_session(base)
    one, two, three = (b["id"] for b in made["session"]["boards"][:3])
    fac, ans, peek = (await facilitator(base, made),
                      await participant(base, made["code"], "Ans"),
                      await participant(base, made["code"], "Nieuwsgierig"))
    for c in (fac, ans, peek):
        for board in (one, two, three):
            await c.subscribe(board)
    # 1. a note in the open, deleted by the facilitator (moderation)
    await ans.op(one, add("m1", "GEHEIM-0"))
    await fac.op(one, {"kind": "note.delete", "note": "m1"})
    await ans.op(one, add("o1", "gewoon"))
    # 2. a note hidden by the facilitator, edited by its author, then deleted
    await ans.op(two, add("h1", "eerst"))
    await fac.op(two, {"kind": "note.hide", "note": "h1"})
    await ans.op(two, {"kind": "note.edit", "note": "h1", "text": "GEHEIM-1"})
    await fac.op(two, {"kind": "note.delete", "note": "h1"})
    await ans.op(two, add("o2", "gewoon"))
    # 3. hidden until reveal: a note written and deleted before any reveal
    await fac.op(three, {"kind": "board.mode", "mode": "hidden"})
    await ans.op(three, add("r1", "GEHEIM-2"))
    await fac.op(three, {"kind": "note.delete", "note": "r1"})
    leaked, tries = 0, 0
    for board in (one, two, three):
        await ans.wait_seq(board, 3)
        epoch = ans.boards[board].epoch
        head = ans.boards[board].state.seq  # type: ignore[union-attr]
        for seq in range(0, head + 1):
            c = Client(base, peek.token)
            await c.connect()
            mark = len(c.frames)
            await c.subscribe(board, epoch, seq)
            got = json.dumps(c.frames[mark:])
            leaked += sum(got.count(f"GEHEIM-{i}") for i in range(3))
            tries += 1
            await c.close()
    figure("resumes from every seq by another participant", tries, "", "")
    figure("withheld or deleted texts they received", leaked, "", "0", leaked == 0)
    assert leaked == 0
    for c in (fac, ans, peek):
        await c.close()


# --- 5. join codes (R34) --------------------------------------------------------------------------


async def test_R34_guessing_join_codes_is_throttled_and_closed_codes_stop(
        base: str, figure: Any) -> None:
    made = await new_session(base)
    statuses = [(await acall("GET", f"{base}/api/join/AAAAAA{i:02d}"))[0] for i in range(12)]
    assert statuses[:10] == [404] * 10 and statuses[10:] == [429, 429]
    _, headers, _ = await acall("GET", f"{base}/api/join/BBBBBBBB")
    assert int(headers.get("retry-after", headers.get("Retry-After", "0"))) > 0
    assert (await acall("GET", f"{base}/qr/CCCCCCCC.svg"))[0] == 429
    # the arithmetic of R34: one address, 10 misses a minute, 1,000 live sessions
    space = len(CODE_ALPHABET) ** CODE_LENGTH
    years = space / 1000 / 10 / (60 * 24 * 365)
    figure("join code space", f"{len(CODE_ALPHABET)}^{CODE_LENGTH} = {space:.2e}", "codes")
    figure("mean time for one address to hit one of 1,000 live sessions", round(years), "years",
           "> 1 year", years > 1)
    assert years > 1
    # a closed session's code stops; reopened, it works again
    fac = await facilitator(base, made)
    control = made["session"]["id"] + ".control"
    await fac.subscribe(control)
    await fac.op(control, {"kind": "session.close", "closed": True})
    other = await live_server_call_from_elsewhere(base, f"/api/join/{made['code']}")
    assert other == 410
    await fac.close()


def raw_get(base: str, path: str, host: str | None = None, source: str = "127.0.0.1") -> int:
    """A GET on a socket of its own: another client address (127.0.0.2 counts apart from
    127.0.0.1 for the miss counter), or another Host header. Run it in a thread: the server
    of these tests shares the test's event loop."""
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5,
                                  source_address=(source, 0)) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host or f'127.0.0.1:{port}'}\r\n"
                  "Connection: close\r\n\r\n".encode())
        head = s.recv(200)
    return int(head.split()[1])


async def live_server_call_from_elsewhere(base: str, path: str) -> int:
    return await asyncio.to_thread(raw_get, base, path, None, "127.0.0.2")


async def test_R33_R34_a_deleted_session_never_comes_back(base: str) -> None:
    made = await new_session(base)
    sid, code = made["session"]["id"], made["code"]
    _, _, doc = await acall("GET", f"{base}/api/sessions/{sid}/export.json",
                            made["facilitator_token"])
    assert (await acall("DELETE", f"{base}/api/sessions/{sid}", ORGANISERS[base]))[0] == 200
    # re-importing its document makes another session: the old links open nothing
    status, _, body = await acall("POST", f"{base}/api/import", ORGANISERS[base], raw=doc)
    fresh = json.loads(body)
    assert status == 201 and fresh["session"]["id"] != sid and fresh["code"] != code
    old = Client(base, made["facilitator_token"])
    await old.connect()
    assert old.welcome["code"] == "bad_token"
    assert (await acall("GET", f"{base}/api/sessions/{fresh['session']['id']}/links",
                        made["facilitator_token"]))[0] == 403
    assert (await live_server_call_from_elsewhere(base, f"/api/join/{code}")) == 404


# --- 6. imports are held to the wire's rules (R35) ------------------------------------------------


async def test_R35_hostile_documents_are_refused_whole_and_the_server_stays_well(
        base: str, figure: Any) -> None:
    made = await new_session(base)
    sid = made["session"]["id"]
    _, _, raw = await acall("GET", f"{base}/api/sessions/{sid}/export.json",
                            made["facilitator_token"])
    good = json.loads(raw)
    control = len(good["boards"]) - 1

    def spoiled(change: Any) -> bytes:
        doc = json.loads(raw)
        change(doc)
        return orjson.dumps(doc)

    def ctl(doc: Any) -> Any:
        return doc["boards"][control]["state"]["control"]

    def note(doc: Any, **kw: Any) -> None:
        doc["boards"][0]["state"]["notes"].append({
            "id": "n1", "zone": "tips", "text": "x", "color": "yellow", "x": 0, "y": 0,
            "author": "p", "author_name": "", "group": "", "round": 1, "created_seq": 1,
            "updated_seq": 1, "created_ts": 1.0, "updated_ts": 1.0, **kw})

    cases = {
        "timer": spoiled(lambda d: ctl(d)["timer"].update(ends_at="morgen")),
        "cluster without keys": spoiled(lambda d: ctl(d)["clusters"].update(c1={})),
        "1 MiB title": spoiled(lambda d: d["session"].update(title="t" * (1 << 20))),
        "10,000 clusters": spoiled(lambda d: ctl(d)["clusters"].update(
            {f"c{i}": {"station": "tips", "title": "", "into": None, "removed": False}
             for i in range(10_000)})),
        "duplicate note ids": spoiled(lambda d: (note(d), note(d))),
        "NUL in a name": spoiled(lambda d: note(d, author_name="a\x00b")),
        "bidi override in a group": spoiled(lambda d: d["session"].update(
            groups=["\u202eannA"])),
        "infinite coordinate": spoiled(lambda d: note(d, x=float("inf"))),
        "unknown template": spoiled(lambda d: d["session"].update(template="../../etc")),
    }
    org = ORGANISERS[base]
    refused: dict[str, str] = {}
    for name, body in cases.items():
        status, _, answer = await acall("POST", f"{base}/api/import", org, raw=body)
        assert status == 400, (name, status, answer[:200])
        refused[name] = json.loads(answer)["message"]
    assert "timer.ends_at" in refused["timer"] and "title" in refused["1 MiB title"]
    # a hostile session id or join code is not refused: it is simply never used
    hostile = json.loads(raw.replace(sid.encode(), b"../../etc/passwd"))
    hostile["session"]["code"] = ""
    status, _, answer = await acall("POST", f"{base}/api/import", org,
                                    raw=json.dumps(hostile).encode())
    imported = json.loads(answer)
    assert status == 201 and imported["session"]["id"] != "../../etc/passwd"
    assert len(imported["code"]) == CODE_LENGTH
    # and the server is well: a hello and an export of the imported session still work
    c = Client(base, imported["facilitator_token"])
    await c.connect()
    assert c.welcome["type"] == "welcome"
    await c.close()
    assert (await acall("GET", f"{base}/api/sessions/{imported['session']['id']}/export.html",
                        imported["facilitator_token"]))[0] == 200
    figure("hostile import documents tried", len(cases), "", "")
    figure("hostile import documents accepted", 0, "", "0", True)


# --- 7. output and input text (R37) ---------------------------------------------------------------


async def test_R37_names_with_control_or_bidi_characters_are_refused(base: str) -> None:
    made = await new_session(base)
    for name in ("a\x00b", "twee\nregels", "\u202eannA", "x\x85y"):
        c = Client(base, (json.loads((await acall("GET", f"{base}/api/join/{made['code']}"))[2])
                          )["token"], name)
        await c.connect()
        assert (c.welcome["type"], c.welcome.get("code")) == ("error", "bad_frame"), name
        await c.close()
    board = made["session"]["boards"][0]["id"]
    p = await on_board(await participant(base, made["code"], "Ans"), board)
    assert (await p.op(board, add("n1", "met\x00nul")))["code"] == "bad_frame"
    assert (await p.op(board, add("n2", "twee\nregels\tmet tab")))["type"] == "ack"
    await p.close()


def test_R37_every_export_escapes_the_join_code_and_the_report_keeps_its_own_policy() -> None:
    from server.boardstate import BoardState
    from server.session import new_session as make
    from server.templates import catalog

    rec = make(catalog(), "vier-hoeken").model_copy(update={"code": "<script>alert(1)</script>"})
    states = {bid: BoardState(bid, tuple(info.zones), spec=info.spec())
              for bid in archive.board_ids(rec) if (info := rec.board(bid)) is not None}
    doc = archive.document(rec, states)
    html = export.to_html([doc])
    md = export.to_markdown([doc])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>" not in md
    assert '<meta http-equiv="Content-Security-Policy"' in html
    assert "default-src &#x27;none&#x27;" in html


# --- 8. the Host header (R38) ---------------------------------------------------------------------


async def test_R38_links_come_only_from_allowed_hosts_and_qr_is_not_shared_cache(
        base: str) -> None:
    made = await new_session(base)
    assert await asyncio.to_thread(raw_get, base, f"/api/join/{made['code']}",
                                   "evil.example") == 400
    status, headers, _ = await acall("GET", f"{base}/qr/{made['code']}.svg")
    cache = headers.get("cache-control", headers.get("Cache-Control", ""))
    assert status == 200 and "public" not in cache and "private" in cache


async def test_R38_public_url_makes_the_links(tmp_path: Path) -> None:
    settings = Settings(store_url="memory://", secret_key=SECRET, data_dir=tmp_path,
                        public_url="https://sto.example.nl", allowed_hosts=("127.0.0.1",))
    async with live_server(settings) as b:
        made = await new_session(b)
        assert made["join_url"].startswith("https://sto.example.nl/j/")
        assert made["facilitator_url"].startswith("https://sto.example.nl/#t=")


# --- 9. tokens of any shape (R39) -----------------------------------------------------------------


def latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


async def test_R39_a_token_of_any_shape_is_a_bad_token(base: str) -> None:
    made = await new_session(base)
    sid = made["session"]["id"]
    weird = ["v1.ÿÿ.ÿÿ", "v1.\u202e.x", "x" * 600, "v1..", "v1.e30.", "o1.e30.abc", "🙂", ".."]
    for token in weird:
        c = Client(base, token)
        await c.connect()
        assert c.welcome.get("code") in ("bad_token", "bad_frame"), (token, c.welcome)
        await c.close()
        status, _, body = await acall("GET", f"{base}/api/sessions/{sid}/links",
                                      headers={"authorization": "Bearer " + token}
                                      if latin1(token) else {})
        assert status == 401, (token, status, body)
    # a token signed by this server for another session's key (a deleted one, say)
    forged = Signer(SECRET.encode()).issue(sid, "facilitator", 60, key="niet-de-sleutel")
    c = Client(base, forged)
    await c.connect()
    assert c.welcome["code"] == "bad_token"
    await c.close()
