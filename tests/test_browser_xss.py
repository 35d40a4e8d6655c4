"""Hostile text in every user field, rendered in every view and report: nothing runs (R25, R30).

A corpus of classic XSS payloads (each calls the marker ``window.__xss`` if it ever runs) is
stored through the real protocol and HTTP API in every field a person can fill in: note texts,
participant names, group names, session titles (new and restored), cluster titles, the
announcement, snapshot names, matrix column titles, 8-tje partner names, reflection titles and
score notes; through an imported session document, station titles and prompts, board titles and
group names with markup (which the protocol itself refuses); and through the address (a
projector's corner, a snapshot's name). Each value carries a tag of its own (`` ⟦N3⟧``), so a
view that shows it shows that field. One server, one Chromium: every page the client has (home,
join profile, corner picker, the participant board of each corner, the facilitator's board,
the overview with its archive panel and diffs, the station view with suggestions, the
projector, snapshot pages, the four working boards and their projectors) and the HTML export
and cross-session report are rendered with a ``securitypolicyviolation`` listener and the marker
installed before any script of the page. Each view must show the payloads as text (so it cannot
pass by rendering nothing), hold no element or attribute a payload would have made, and count
zero marker calls and zero CSP violations; a canary inline script per page must be refused and
reported (so the listener is known to work), and the same corpus put in with innerHTML on
purpose must be caught. Every page is served with a strict Content-Security-Policy.
"""
from __future__ import annotations

import base64
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from browserkit import ServerHandle
from playwright import sync_api
from serverproc import ORGANISERS, http_json, organiser_headers, read_log

pytestmark = [pytest.mark.browser, pytest.mark.reliability]

# --- the corpus ---------------------------------------------------------------------------------

MARK = "window.__xss=(window.__xss||0)+1"
CORPUS: list[str] = [
    f'<img src=x onerror="{MARK}">',
    f"<script>{MARK}</script>",
    f'"><svg onload="{MARK}">',
    f"javascript:{MARK}",
    "</textarea><script>__xss=1</script>",
    "' onmouseover='__xss=1' x='",
    '" autofocus onfocus="__xss=1" x="',
    "{{constructor.constructor('__xss=1')()}}",
    "${__xss=1} <%= __xss=1 %> #{__xss=1}",
    "\u202eRTL <b onclick=__xss=1>\u2066x\u2069</b>\u202c \u200b\ufeff!",
    '=HYPERLINK("javascript:__xss=1","klik")',
    "=cmd|' /C __xss=1'!A0",
    '[klik](javascript:__xss=1) <a href="javascript:__xss=1">a</a>',
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    "<math><mtext><table><mglyph><style><img src=x onerror=__xss=1>",
    '<a href="data:text/html,<script>__xss=1</script>">d</a>',
    "<details open ontoggle=__xss=1>",
    '<!--<img src="--><img src=x onerror=__xss=1>">',
    "&lt;script&gt;__xss=1&lt;/script&gt; &amp;amp; &#60;b&#62;",
    '<object data="javascript:__xss=1"></object>',
    "</script><script>__xss=1</script>",
    '<noscript><p title="</noscript><img src=x onerror=__xss=1>">',
    "x\u2028</script>\u2029<script>__xss=1</script>",
    '<style>*{background:url("javascript:__xss=1")}</style>',
    "<input autofocus onfocus=__xss=1>",
]


def filled(limit: int, unit: str = "<svg/onload=__xss=1>") -> str:
    """A payload exactly ``limit`` characters long (no whitespace, so nothing is stripped)."""
    return (unit * (limit // len(unit) + 1))[:limit]


BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def values(letter: str, limit: int, base: list[str] = CORPUS, strip: bool = True,
           unit: str = "<svg/onload=__xss=1>") -> list[str]:
    """What one field gets: every entry of ``base`` that fits the field's ``limit`` as it is,
    and one filled up to the limit, each with a tag of its own (`` ⟦N3⟧``) so a view shows
    which field it rendered. ``strip``: the protocol strips the field (Title, Name); such a
    one-line field refuses bidi controls too (R37), so those payloads are left out of it."""
    out = []
    for i, payload in enumerate([*base, None]):
        tag = f" ⟦{letter}{i}⟧"
        if payload is None:
            payload = filled(limit - len(tag), unit)
        elif len(payload) + len(tag) > limit or (strip and (
                payload != payload.strip() or BIDI_CONTROLS.search(payload))):
            continue
        out.append(payload + tag)
    return out


# Group names are typed by people but are not free text: at most 40 characters, no < > and no
# control characters (protocol.GroupName). What is left still breaks attributes and scripts.
GROUP_BASE = [
    '" onmouseover="__xss=1',
    "' onfocus='__xss=1' autofocus='",
    "javascript:__xss=1",
    "{{_c.constructor('__xss=1')()}}",
    '=HYPERLINK("javascript:__xss=1")',
    "${__xss=1}#{__xss=1}",
    "\u202eRTL \u2066__xss=1\u2069 \u200b!",
    "&lt;b&gt;__xss=1&amp;lt;",
    "';__xss=1;//",
    '"};__xss=1;//',
]
GROUPS = values("G", 40, GROUP_BASE, unit="\"'/onfocus=__xss=1//")
NOTES = values("N", 1000, strip=False)  # protocol.MAX_NOTE_TEXT
NAMES = values("P", 60)  # protocol.MAX_NAME (hello name)
PARTNERS = values("A", 60)  # partner.name
CLUSTERS = values("K", 80)  # protocol.Title
COLUMNS = values("C", 80)
REFLECTIONS = values("R", 80)[:19]  # board.MAX_REFLECTIONS is 20, one is there from the start
SCORE_NOTES = values("S", 500, strip=False)
ANNOUNCEMENTS = values("M", 280)  # protocol.MAX_ANNOUNCEMENT
SESSION_TITLES = {  # the HTTP API keeps 120 characters
    "vier-hoeken": f"{CORPUS[0]} ⟦T0⟧", "praatplaat": f"{CORPUS[1]} ⟦T1⟧",
    "matrix": f"{CORPUS[2]} ⟦T2⟧", "achtje": f"{CORPUS[13]} ⟦T3⟧",
    "reflectietool": filled(114) + " ⟦T4⟧", "import": f"{CORPUS[16]} ⟦T5⟧",
    "restored": f"{CORPUS[21]} ⟦T6⟧",  # typed when a snapshot is restored as a new session
}
# Only an imported document can carry these (the protocol refuses markup in group names).
MARKUP_GROUPS = ["<img src=x onerror=__xss=1>", "<script>__xss=1</script>",
                 '"><svg onload=__xss=1>', "</option><option>__xss=1"]
# An import is held to the protocol's limits (R11, R24): group names with markup are refused, so
# the imported session carries the attribute-breaking ones.
IMPORT_GROUPS = values("I", 40, GROUP_BASE, unit="\"'/onfocus=__xss=1//")[:-1]
CORNERS = ["praatplaat", "matrix", "achtje", "reflectietool"]
COLOURS = ["yellow", "pink", "blue", "green", "orange", "purple"]


def snapshot_name(name: str) -> str:
    """The name the archive keeps (archivist.take: no slashes, whitespace collapsed)."""
    return " ".join(name.replace("/", "-").replace("\\", "-").split())[:80]


SNAPSHOTS = values("Z", 80)  # archivist.MAX_SNAPSHOT_NAME

for _g in GROUPS:
    assert 0 < len(_g) <= 40 and _g == _g.strip() and not any(c in _g for c in "<>"), _g
assert len(GROUPS) <= 12 and len(set(GROUPS)) == len(GROUPS)
assert all(len(v) <= 1000 for v in NOTES) and len(NOTES[-1]) == 1000

# --- what the browser runs before any script of the page -----------------------------------------

INIT_SCRIPT = r"""
(() => {
  let hits = 0;
  const how = [];
  const hit = (what) => { hits += 1; how.push(what); };
  Object.defineProperty(window, "__xss", {
    configurable: false, get: () => hits, set: () => hit("marker"),
  });
  for (const name of ["alert", "confirm", "prompt", "print"]) window[name] = () => hit(name);
  window.__xssHow = how;
  window.__csp = [];
  window.__doc = Math.random().toString(36).slice(2);
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
  }, true);
})();
"""

# All text a person can read or edit: text nodes, the title, field values (select options are
# text nodes already).
COLLECT = """() => {
  const parts = [document.title, document.body ? document.body.textContent : ""];
  for (const f of document.querySelectorAll("input, textarea")) parts.push(f.value);
  return parts.join("\\n");
}"""

# Anything a payload would have made if it had been parsed as markup.
AUDIT = r"""(root) => {
  const bad = [];
  const urlAttrs = ["href", "src", "action", "formaction", "xlink:href", "data", "background",
                    "poster", "codebase", "cite", "ping"];
  for (const e of (root || document).querySelectorAll("*")) {
    const tag = e.localName;
    if (["iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal",
         "math", "mglyph", "noembed", "xmp"].includes(tag)) bad.push(`<${tag}>`);
    if (tag === "script" && !(e.getAttribute("src") === "/app.js" && e.type === "module")) {
      bad.push(`<script>${e.textContent.slice(0, 60)}`);
    }
    // The printable report carries its own policy in its <head> (R37: inert from disk too);
    // any other <meta http-equiv> (a refresh, a policy in the body) a payload would have made.
    const ownPolicy = tag === "meta" && e.parentElement === document.head
      && (e.getAttribute("http-equiv") || "").toLowerCase() === "content-security-policy"
      && /(^|;)\s*default-src 'none'/.test(e.getAttribute("content") || "");
    if (tag === "meta" && e.hasAttribute("http-equiv") && !ownPolicy) bad.push("<meta http-equiv>");
    if (tag === "style" && e.closest("body")) bad.push(`<style>${e.textContent.slice(0, 60)}`);
    for (const a of e.attributes) {
      const n = a.name.toLowerCase();
      if (n.startsWith("on")) bad.push(`${tag}[${n}=${a.value.slice(0, 60)}]`);
      if (n === "srcdoc") bad.push(`${tag}[${n}]`);
      if (urlAttrs.includes(n)) {
        let proto = "bad:";
        try { proto = new URL(a.value, document.baseURI).protocol; } catch (err) { /* bad */ }
        const favicon = tag === "link" && n === "href" && a.value === "data:,";
        if (!["http:", "https:", "blob:"].includes(proto) && !favicon) {
          bad.push(`${tag}[${n}=${a.value.slice(0, 60)}]`);
        }
      }
      if (n === "style" && /url\(|expression|__xss|javascript:/i.test(a.value)) {
        bad.push(`${tag}[style=${a.value.slice(0, 60)}]`);
      }
    }
  }
  return bad;
}"""

CANARY = """async (want = 1) => {
  const before = window.__csp.length;
  const s = document.createElement("script");
  s.textContent = "window.__canary = 1";
  document.body.appendChild(s);
  for (let i = 0; i < 40 && window.__csp.length - before < want; i += 1) {
    await new Promise((r) => setTimeout(r, 25));
  }
  return { ran: window.__canary === 1, reported: window.__csp.length - before };
}"""


# --- the tally ----------------------------------------------------------------------------------


@dataclass
class Tally:
    """What was rendered where, and everything that ran or was refused."""

    triples: set[tuple[str, str, str]] = field(default_factory=set)  # (payload, field, view)
    views: set[str] = field(default_factory=set)
    docs: dict[str, tuple[int, list[str], list[str]]] = field(default_factory=dict)
    markup: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console_csp: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    canaries: int = 0
    canary_refusals: int = 0  # one per policy that refuses a canary (header, report's <meta>)
    canary_problems: list[str] = field(default_factory=list)
    headers_checked: int = 0

    @property
    def executions(self) -> int:
        return sum(hits for hits, _, _ in self.docs.values()) + len(self.dialogs)

    @property
    def violations(self) -> list[str]:
        return [v for _, csp, _ in self.docs.values() for v in csp]

    def payloads(self) -> set[str]:
        return {p for p, _, _ in self.triples}

    def fields(self) -> set[str]:
        return {f for _, f, _ in self.triples}


Items = list[tuple[str, str]]  # (field, text)


class Browser:
    """Pages with the marker and the CSP listener installed; every check is tallied."""

    def __init__(self, browser: Any, tally: Tally) -> None:
        self.browser = browser
        self.tally = tally
        self.pages: list[Any] = []

    def page(self, label: str, viewport: dict[str, int] | None = None, **context: Any) -> Any:
        ctx = self.browser.new_context(viewport=viewport or {"width": 1400, "height": 1000},
                                       locale="nl-NL", **context)
        ctx.add_init_script(INIT_SCRIPT)
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        tally = self.tally

        def on_console(msg: Any) -> None:
            if "Content Security Policy" in msg.text or "Refused to" in msg.text:
                tally.console_csp.append(f"{label}: {msg.text}")

        def on_dialog(dialog: Any) -> None:
            tally.dialogs.append(f"{label}: {dialog.type} {dialog.message}")
            dialog.dismiss()

        page.on("console", on_console)
        page.on("pageerror", lambda exc: tally.errors.append(f"{label}: {exc}"))
        page.on("dialog", on_dialog)
        page._xss_label = label
        self.pages.append(page)
        return page

    def goto(self, page: Any, url: str) -> Any:
        """Leave the current document (finishing it), open ``url``, check its headers."""
        if page.url != "about:blank":
            self.finish(page)
            if page.url.split("#")[0] == url.split("#")[0]:
                page.goto("about:blank")  # a new document, not a hash change
        response = page.goto(url)
        assert response is not None and response.ok, (url, response and response.status)
        problems = header_problems(response.all_headers())
        assert not problems, (url, problems)
        self.tally.headers_checked += 1
        return response

    def read(self, page: Any) -> None:
        got = page.evaluate("() => [window.__doc, window.__xss, window.__csp.slice(),"
                            " window.__xssHow.slice()]")
        self.tally.docs[got[0]] = (int(got[1]), list(got[2]), list(got[3]))

    def check(self, page: Any, view: str, items: Items) -> None:
        """Wait until every (field, text) shows as text in ``view``, then audit the page."""
        want = sorted({text for _, text in items})
        if want:
            try:
                page.wait_for_function(
                    f"(want) => {{ const text = ({COLLECT})(); "
                    f"return want.every((w) => text.includes(w)); }}",
                    arg=want, polling=100, timeout=15_000)
            except sync_api.TimeoutError:
                text = page.evaluate(COLLECT)
                missing = [(f, t) for f, t in items if t not in text]
                markup = page.evaluate(AUDIT)
                csp = page.evaluate("() => window.__csp.slice(0, 4)")
                raise AssertionError(
                    f"{view}: {len(missing)} of {len(items)} payloads not shown as text, "
                    f"e.g. {missing[:4]!r}; markup made: {markup[:4]!r}; CSP violations: "
                    f"{csp!r}") from None
        bad = page.evaluate(AUDIT)
        self.tally.markup.extend(f"{view}: {b}" for b in bad)
        self.read(page)
        self.tally.views.add(view)
        for f, text in items:
            self.tally.triples.add((text, f, view))

    def finish(self, page: Any) -> None:
        """The document's last count, then a canary inline script that CSP must refuse."""
        self.read(page)
        policies = 1 + int(page.evaluate(
            "document.querySelectorAll('head meta[http-equiv]').length"))
        got = page.evaluate(CANARY, policies)
        self.tally.canaries += 1
        self.tally.canary_refusals += policies
        # One report per policy that refuses it: the header's, and the report's own <meta>.
        if got["ran"] or got["reported"] != policies:
            self.tally.canary_problems.append(f"{page._xss_label} {page.url}: {got}")

    def close(self) -> None:
        for page in self.pages:
            if not page.is_closed() and page.url != "about:blank":
                self.finish(page)
        for page in self.pages:
            page.context.close()


# --- headers ------------------------------------------------------------------------------------


def csp_directives(csp: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out.setdefault(words[0].lower(), words[1:])
    return out


def header_problems(headers: dict[str, str]) -> list[str]:
    """A strict CSP (no inline script, no eval, no plugins, no framing) and the other
    security headers of server/app.py SECURITY_HEADERS."""
    h = {k.lower(): v for k, v in headers.items()}
    problems = []
    csp = csp_directives(h.get("content-security-policy", ""))
    if not csp:
        return ["no Content-Security-Policy"]
    script = csp.get("script-src", csp.get("default-src"))
    if script is None:
        problems.append("no script-src or default-src")
    else:
        loose = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http:",
                 "https:", "blob:", "'wasm-unsafe-eval'"}
        problems += [f"script-src allows {s}" for s in script if s.lower() in loose]
    if csp.get("object-src", csp.get("default-src")) != ["'none'"]:
        problems.append("object-src is not 'none'")
    if csp.get("base-uri") not in (["'none'"], ["'self'"]):
        problems.append("base-uri is not restricted")
    if csp.get("frame-ancestors") != ["'none'"] and h.get("x-frame-options", "").upper() != "DENY":
        problems.append("framing allowed")
    if h.get("x-content-type-options", "").lower() != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if h.get("referrer-policy", "").lower() not in (
            "no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"):
        problems.append(f"Referrer-Policy {h.get('referrer-policy')!r}")
    return problems


# --- the protocol and the HTTP API --------------------------------------------------------------


def payload_of(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def call(method: str, url: str, token: str | None = None, body: Any = None,
         raw: bool = False) -> Any:
    data = None if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=15) as resp:
        body_bytes = resp.read()
        if raw:
            return resp.status, dict(resp.headers.items()), body_bytes.decode()
        return json.loads(body_bytes)


class Peer:
    """One websocket connection (websockets' sync client) that sends ops and waits for acks,
    paced under the server's rate limit (R15)."""

    def __init__(self, base: str, token: str, name: str = "", group: str = "") -> None:
        from websockets.sync.client import connect

        # Entered as a context manager (closed in close()), as websockets 17 wants.
        self.ws = connect(base.replace("http://", "ws://") + "/ws", open_timeout=10).__enter__()
        self.prefix = uuid.uuid4().hex[:10]
        self.n = 0
        self.tokens, self.at = 100.0, time.monotonic()
        self.send({"type": "hello", "v": 1, "token": token, "name": name, "group": group})
        while True:
            frame = json.loads(self.ws.recv(timeout=10))
            if frame["type"] in ("welcome", "error"):
                break
        assert frame["type"] == "welcome", frame
        self.me = frame["me"]

    def send(self, frame: dict[str, Any]) -> None:
        now = time.monotonic()
        self.tokens = min(100.0, self.tokens + (now - self.at) * 50)
        self.at = now
        if self.tokens < 1:
            time.sleep((1 - self.tokens) / 50)
            self.tokens, self.at = 1.0, time.monotonic()
        self.tokens -= 1
        self.ws.send(json.dumps(frame))

    def ops(self, board: str, ops: list[dict[str, Any]]) -> None:
        waiting: dict[str, dict[str, Any]] = {}
        for op in ops:
            self.n += 1
            op_id = f"{self.prefix}-{self.n}"
            waiting[op_id] = op
            self.send({"type": "op", "id": op_id, "board": board, "op": op})
        while waiting:
            frame = json.loads(self.ws.recv(timeout=15))
            if frame["type"] == "ack" and frame["id"] in waiting:
                assert frame["result"] == "applied", (frame, waiting[frame["id"]])
                del waiting[frame["id"]]
            elif frame["type"] == "error" and frame.get("code") == "rate_limited" \
                    and frame.get("ref") in waiting:
                # One participant's ops are limited over all their connections (R41): the
                # same op again, with its id, a moment later.
                time.sleep(0.2)
                self.send({"type": "op", "id": frame["ref"], "board": board,
                           "op": waiting[frame["ref"]]})
            elif frame["type"] == "error":
                raise AssertionError(f"{frame} answering {waiting.get(frame.get('ref') or '')}")

    def op(self, board: str, op: dict[str, Any]) -> None:
        self.ops(board, [op])

    def close(self) -> None:
        self.ws.close()


@dataclass
class Made:
    """A session as created: its ids, tokens and links."""

    data: dict[str, Any]

    @property
    def sid(self) -> str:
        return str(self.data["session"]["id"])

    @property
    def code(self) -> str:
        return str(self.data["code"])

    @property
    def token(self) -> str:
        return str(self.data["facilitator_token"])

    @property
    def control(self) -> str:
        return f"{self.sid}.control"

    def board(self, instrument: str) -> str:
        return next(b["id"] for b in self.data["session"]["boards"]
                    if b["instrument"] == instrument)


@dataclass
class World:
    base: str
    sessions: dict[str, Made]
    peers: list[Peer]
    fac: Peer
    snapshots: list[str]  # the names the server keeps, in the order taken
    edited: tuple[str, str]  # a note's text before and after an edit
    deleted: str  # the text of a deleted note
    partner_peer: Peer
    score_token: str  # the participant of the reflectietool page (their score notes show)
    score_notes: dict[str, list[str]]  # reflection id -> the notes shown with it

    def doc(self, key: str, snapshot: str | None = None) -> dict[str, Any]:
        made = self.sessions[key]
        if snapshot is not None:
            return dict(call("GET", f"{self.base}/api/sessions/{made.sid}/snapshots/"
                                    f"{quote(snapshot, safe='')}", made.token))
        return dict(call("GET", f"{self.base}/api/sessions/{made.sid}/export.json", made.token))


def create(base: str, template: str, title: str) -> Made:
    status, body = http_json("POST", f"{base}/api/sessions", {"template": template,
                                                              "title": title},
                             headers=organiser_headers(base))  # R31: an organiser's
    assert status == 201, body
    assert body["session"]["title"] == title  # type: ignore[index]
    return Made(dict(body))


def join_token(base: str, code: str) -> str:
    status, body = http_json("GET", f"{base}/api/join/{code}")
    assert status == 200, body
    return str(body["token"])


def take_snapshot(base: str, made: Made, name: str) -> str:
    meta = call("POST", f"{base}/api/sessions/{made.sid}/snapshots", made.token, {"name": name})
    assert meta["name"] == snapshot_name(name), (meta["name"], name)
    return str(meta["name"])


def seed(base: str) -> World:
    """Every field filled with the corpus, over the websocket protocol and the HTTP API."""
    four = create(base, "vier-hoeken", SESSION_TITLES["vier-hoeken"])
    fac = Peer(base, four.token)
    fac.op(four.control, {"kind": "groups.set", "groups": GROUPS})
    snaps = [take_snapshot(base, four, SNAPSHOTS[0])]  # the empty session, for the diff
    peers = [Peer(base, join_token(base, four.code), name, GROUPS[i % len(GROUPS)])
             for i, name in enumerate(NAMES)]
    for i, p in enumerate(peers):
        p.op(four.control, {"kind": "group.join", "group": GROUPS[i % len(GROUPS)]})
    # Every note payload on every corner board (Relevantie), written by changing people.
    work: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for b, corner in enumerate(CORNERS):
        for j, text in enumerate(NOTES):
            who = (j + b) % len(peers)
            work.setdefault(who, {}).setdefault(four.board(corner), []).append({
                "kind": "note.add", "note": f"n{j:02d}", "zone": "relevantie", "text": text,
                "color": COLOURS[j % len(COLOURS)], "x": 0, "y": j})
        work.setdefault(b, {}).setdefault(four.board(corner), []).append({
            "kind": "note.add", "note": "u00", "zone": "toepasbaarheid",
            "text": f"{CORPUS[b]} ⟦u{b}⟧"})
    for who, boards in work.items():
        for board, ops in boards.items():
            peers[who].ops(board, ops)
    # A cluster per title (session-wide, station Tips), each with a note of some corner in it.
    fac.ops(four.control, [{"kind": "cluster.add", "cluster": f"k{i:02d}", "station": "tips",
                            "title": title} for i, title in enumerate(CLUSTERS)])
    for i in range(len(CLUSTERS)):
        board = four.board(CORNERS[i % 4])
        text = f"{CORPUS[(i * 7) % len(CORPUS)]} ⟦t{i}⟧"
        peers[i % len(peers)].op(board, {"kind": "note.add", "note": f"t{i:02d}", "zone": "tips",
                                         "text": text, "color": "blue"})
        fac.op(board, {"kind": "note.cluster", "note": f"t{i:02d}", "cluster": f"k{i:02d}"})
    snaps.append(take_snapshot(base, four, SNAPSHOTS[1]))
    # After that snapshot: one note edited, one deleted (the diff and the trash show both).
    first = four.board("praatplaat")
    edited = (NOTES[0], f"{CORPUS[9]} ⟦E0⟧")
    fac.op(first, {"kind": "note.edit", "note": "n00", "text": edited[1]})
    fac.op(first, {"kind": "note.delete", "note": "n01"})
    snaps += [take_snapshot(base, four, name) for name in SNAPSHOTS[2:]]
    restored = call("POST", f"{base}/api/sessions/{four.sid}/snapshots/"
                            f"{quote(snaps[1], safe='')}/restore", four.token,
                    {"title": SESSION_TITLES["restored"]})

    sessions = {"vier-hoeken": four, "restored": Made(dict(restored))}
    for inst in CORNERS:
        sessions[inst] = create(base, inst, SESSION_TITLES[inst])
    zone = {"praatplaat": "inhoud", "matrix": "impact", "achtje": "management@tussen",
            "reflectietool": "ambitie"}
    writers = {inst: Peer(base, join_token(base, sessions[inst].code), NAMES[k])
               for k, inst in enumerate(CORNERS)}
    matrix = sessions["matrix"].board("matrix")
    writers["matrix"].ops(matrix, [{"kind": "column.add", "column": f"c{i:02d}", "title": title}
                                   for i, title in enumerate(COLUMNS)])
    for inst in CORNERS:
        board = sessions[inst].board(inst)
        writers[inst].ops(board, [{"kind": "note.add", "note": f"n{j:02d}", "zone": zone[inst],
                                   "text": text, "color": COLOURS[j % 6], "y": j}
                                  for j, text in enumerate(NOTES)])
    writers["matrix"].ops(matrix, [{"kind": "note.add", "note": f"m{i:02d}",
                                    "zone": f"doelen@c{i:02d}",
                                    "text": f"{CORPUS[i % len(CORPUS)]} ⟦m{i}⟧"}
                                   for i in range(len(COLUMNS))])
    refl = sessions["reflectietool"].board("reflectietool")
    starter = Peer(base, sessions["reflectietool"].token)  # R64: a facilitator starts them
    starter.ops(refl, [{"kind": "reflection.add", "reflection": f"r{i + 2}", "title": title}
                       for i, title in enumerate(REFLECTIONS)])
    starter.close()
    # Score notes: the page's own participant sees theirs (five aspects per reflection).
    score_token = join_token(base, sessions["reflectietool"].code)
    scorer = Peer(base, score_token, NAMES[-1])
    aspects = ["ambitie", "belangen", "relaties", "organisatie", "proces"]
    score_notes: dict[str, list[str]] = {}
    ops = []
    for j, note in enumerate(SCORE_NOTES):
        reflection = f"r{len(REFLECTIONS) + 1 - j // 5}"
        score_notes.setdefault(reflection, []).append(note)
        ops.append({"kind": "score.set", "reflection": reflection, "aspect": aspects[j % 5],
                    "score": 1 + j % 5, "partner": ["partner-a", "partner-b", ""][j % 3],
                    "note": note})
    scorer.ops(refl, ops)
    # Someone else's score notes are in the reports only.
    writers["reflectietool"].ops(refl, [{"kind": "score.set", "reflection": "r1",
                                         "aspect": "proces", "score": 3, "note": SCORE_NOTES[-1]}])
    scorer.close()
    return World(base=base, sessions=sessions, peers=[*peers, *writers.values()], fac=fac,
                 snapshots=snaps, edited=edited, deleted=NOTES[1],
                 partner_peer=writers["achtje"], score_token=score_token,
                 score_notes=score_notes)


def import_hostile(world: World) -> Made:
    """The vier-hoeken session exported, given hostile station titles, prompts, board titles
    and group names with markup, and imported as a new session (R24)."""
    doc = world.doc("vier-hoeken")
    session = doc["session"]
    session["title"] = SESSION_TITLES["import"]
    for i, station in enumerate(session["stations"]):
        station["title"] = f"{CORPUS[(3 * i + 1) % len(CORPUS)]} ⟦ST{i}⟧"
        station["prompt"] = f"{CORPUS[(3 * i + 2) % len(CORPUS)]} ⟦SP{i}⟧"
    for i, board in enumerate(session["boards"]):
        board["title"] = f"{CORPUS[(5 * i + 4) % len(CORPUS)]} ⟦BT{i}⟧"
    session["groups"] = list(IMPORT_GROUPS)
    for board in doc["boards"]:
        state = board["state"]
        for j, note in enumerate(state.get("notes", ())):
            note["group"] = IMPORT_GROUPS[j % len(IMPORT_GROUPS)]
        if "control" in state:
            ctl = state["control"]
            ctl.update(groups=list(IMPORT_GROUPS), members={}, plan=[], free=[])
    refused = {**doc, "session": {**session, "groups": MARKUP_GROUPS}}
    with pytest.raises(urllib.error.HTTPError) as info:
        call("POST", f"{world.base}/api/import?as_new=1", ORGANISERS[world.base], body=refused)
    assert info.value.code == 400
    info.value.close()  # its response holds the socket
    made = call("POST", f"{world.base}/api/import?as_new=1", ORGANISERS[world.base], body=doc)
    return Made(dict(made))


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    handle = ServerHandle(tmp_path_factory.mktemp("xss"))
    handle.start()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def world(xss_server: ServerHandle) -> Iterator[World]:
    w = seed(xss_server.url)
    w.sessions["import"] = import_hostile(w)
    try:
        yield w
    finally:
        for p in [*w.peers, w.fac]:
            p.close()


# --- what each view must show -------------------------------------------------------------------


def notes_of(doc: dict[str, Any], board: str, zone: str | None = None) -> list[dict[str, Any]]:
    state = next(b["state"] for b in doc["boards"] if b["id"] == board)
    return [n for n in state.get("notes", ()) if zone is None or n["zone"] == zone]


def note_items(notes: list[dict[str, Any]], meta: bool = True) -> Items:
    items: Items = [("note", n["text"]) for n in notes]
    if meta:
        items += [("name", n["author_name"]) for n in notes if n["author_name"]]
        items += [("group", n["group"]) for n in notes if n["group"]]
    return items


def cluster_items(doc: dict[str, Any], made: Made, only_used: bool = False) -> Items:
    ctl = next(b["state"]["control"] for b in doc["boards"] if b["id"] == made.control)
    used = {n.get("cluster") for b in doc["boards"] for n in b["state"].get("notes", ())}
    return [("cluster title", c["title"]) for cid, c in ctl["clusters"].items()
            if not c.get("removed") and (not only_used or cid in used)]


def finish(browser: Browser, tally: Tally, figure: Any, problems: list[str]) -> None:
    """Close every page (canaries), record the figures and assert the targets."""
    browser.close()
    executions, violations = tally.executions, tally.violations
    figure("corpus", f"{len(CORPUS)} payloads + 1 at each field's length limit",
           target="as many as each field's limits allow")
    figure("payload × field × view renderings shown as text", len(tally.triples),
           target="every field in every view that shows it")
    figure("stored values, fields, views", f"{len(tally.payloads())}, "
           f"{len(tally.fields())}, {len(tally.views)}")
    figure("fields", ", ".join(sorted(tally.fields())))
    figure("pages loaded with the security headers checked", tally.headers_checked)
    figure("script executions", executions, target="0", ok=executions == 0)
    figure("CSP violations", len(violations), target="0", ok=not violations)
    figure("elements or attributes made from user text", len(tally.markup), target="0",
           ok=not tally.markup)
    figure("canary inline scripts refused and reported (the listener works)",
           f"{tally.canaries - len(tally.canary_problems)}/{tally.canaries}", target="all",
           ok=not tally.canary_problems)
    assert executions == 0, [h for _, _, h in tally.docs.values() if h] + tally.dialogs
    assert not violations, violations
    assert not tally.markup, tally.markup
    assert not tally.canary_problems, tally.canary_problems
    # Only the canaries may be refused (one console line each); nothing else goes wrong.
    assert len(tally.console_csp) == tally.canary_refusals, tally.console_csp
    assert not tally.errors, [*tally.errors, *problems]


# --- the tests ----------------------------------------------------------------------------------


def test_R30_every_page_and_report_is_served_with_a_strict_csp(
        xss_server: ServerHandle, world: World, figure: Any) -> None:
    """R30, R25: no page the server sends may run inline script, eval, plugins or be framed."""
    base, four = world.base, world.sessions["vier-hoeken"]
    pages = ["/", "/index.html", f"/j/{four.code}", f"/j/{four.code}/praatplaat",
             f"/s/{four.sid}/{quote(world.snapshots[1], safe='')}", "/sw.js",
             f"/qr/{four.code}.svg", "/api/templates", "/healthz", "/nope"]
    # Scripts and stylesheets: nosniff (their page's policy governs them), nothing that only a
    # document reads.
    for path in ("/app.js", "/html.js", "/i18n-en.js", "/styles.css", "/board.css"):
        with urllib.request.urlopen(base + path, timeout=10) as resp:
            headers = {k.lower(): v for k, v in resp.headers.items()}
        assert headers.get("x-content-type-options") == "nosniff", (path, headers)
        assert not {"content-security-policy", "x-frame-options", "permissions-policy"} & set(
            headers), (path, headers)
    checked = 0
    for path in pages:
        req = urllib.request.Request(base + path)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                headers = dict(resp.headers.items())
        except urllib.error.HTTPError as exc:  # the 404 page gets the headers too
            headers = dict(exc.headers.items())
        assert not header_problems(headers), (path, header_problems(headers))
        checked += 1
    reports = [f"/api/sessions/{four.sid}/export.html",
               f"/api/sessions/{four.sid}/export.html?snapshot={quote(world.snapshots[1])}",
               f"/api/sessions/{four.sid}/export.html?anonymous=1"]
    for path in reports:
        status, headers, _ = call("GET", base + path, four.token, raw=True)
        assert status == 200
        assert not header_problems(headers), (path, header_problems(headers))
        # The report is a document: no script source at all.
        csp = csp_directives(headers["content-security-policy"])
        assert csp.get("script-src", csp.get("default-src")) == ["'none'"], csp
        checked += 1
    status, headers, _ = call("POST", f"{base}/api/report.html", ORGANISERS[base], body={
        "sessions": [m.sid for m in world.sessions.values()]}, raw=True)
    assert status == 200 and not header_problems(headers), header_problems(headers)
    checked += 1
    figure("pages and reports with a strict CSP and the security headers",
           f"{checked}/{len(pages) + len(reports) + 1}", target="all",
           ok=checked == len(pages) + len(reports) + 1)


def test_R30_hostile_text_in_every_field_never_runs_in_any_view(
        xss_server: ServerHandle, world: World, module_browser: Any, figure: Any) -> None:
    tally = Tally()
    browser = Browser(module_browser, tally)
    base = world.base
    four = world.sessions["vier-hoeken"]
    expect = sync_api.expect

    # --- a participant joins by the code: profile, corner picker, the four corner boards -----
    part = browser.page("participant", viewport={"width": 1280, "height": 900})
    browser.goto(part, f"{base}/")
    expect(part.locator("#join-form")).to_be_visible()
    browser.check(part, "home", [])
    browser.goto(part, f"{base}/j/{four.code}")
    browser.check(part, "profile", [("session title", four.data["session"]["title"]),
                                    *[("group", g) for g in GROUPS]])
    typed_name, my_group = f"{CORPUS[2]} ⟦B0⟧", GROUPS[5]
    part.locator("#name").fill(typed_name)
    part.locator("#group").select_option(my_group)
    part.locator("#profile-continue").click()
    expect(part.locator(".corners")).to_be_visible()
    browser.check(part, "corner picker", [])
    typed_note = f"{CORPUS[12]} ⟦B1⟧"
    for corner in CORNERS:
        part.locator("#nav-corners").click()
        part.locator(f'.corner[data-instrument="{corner}"]').click()
        expect(part.locator(".board[data-board]")).to_have_attribute(
            "data-board", four.board(corner))
        if corner == "matrix":  # typed through the page itself, too
            part.locator('[data-add-station="toepasbaarheid"]').click()
            part.locator(".note-editor").fill(typed_note)
            part.locator(".note-editor").press("Enter")
        doc = world.doc("vier-hoeken")
        browser.check(part, f"participant corner board ({corner})",
                      note_items(notes_of(doc, four.board(corner))) + cluster_items(doc, four))
    me = payload_of(str(part.evaluate(
        "sid => JSON.parse(localStorage.getItem('vh.s.' + sid)).token", four.sid)))["p"]

    # --- the corner's projector ---------------------------------------------------------------
    screen = browser.page("projector", viewport={"width": 1600, "height": 900})
    browser.goto(screen, four.data["projector_urls"]["praatplaat"])
    doc = world.doc("vier-hoeken")
    browser.check(screen, "projector", note_items(notes_of(doc, four.board("praatplaat")))
                  + cluster_items(doc, four))

    # --- the facilitator: overview with the archive panel and diffs ----------------------------
    fac = browser.page("facilitator")
    browser.goto(fac, f"{base}/#t={four.token}")
    expect(fac.locator("#overview")).to_be_visible()
    doc = world.doc("vier-hoeken")
    latest = []
    for corner in CORNERS:
        notes = sorted(notes_of(doc, four.board(corner)), key=lambda n: -n["created_seq"])
        latest += notes[:3]
    names = [("name", p.me["name"]) for p in world.peers[:len(NAMES)]] + [("name", typed_name)]
    browser.check(fac, "overview", [
        ("session title", four.data["session"]["title"]), *[("group", g) for g in GROUPS],
        *names, *[("snapshot name", s) for s in world.snapshots],
        *[("note", n["text"]) for n in latest], *[("group", n["group"]) for n in latest]])
    # The diff of the empty session's snapshot with now: every note is added.
    fac.locator("#diff-from").select_option(world.snapshots[0])
    fac.locator("#diff-to").select_option("")
    fac.locator("#diff-run").click()
    expect(fac.locator("#diff-result .diff-added")).to_be_visible()
    every_note = [n for b in doc["boards"] for n in b["state"].get("notes", ())]
    browser.check(fac, "snapshot diff (added)", [("note", n["text"]) for n in every_note]
                  + [("snapshot name", world.snapshots[0])])
    # ... and of the later one: the edit (before and after) and the deleted note.
    fac.locator("#diff-from").select_option(world.snapshots[1])
    fac.locator("#diff-run").click()
    expect(fac.locator("#diff-result .diff-edited")).to_be_visible()
    browser.check(fac, "snapshot diff (edited, removed)", [
        ("note", world.edited[0]), ("note", world.edited[1]), ("note", world.deleted),
        ("snapshot name", world.snapshots[1])])
    # The facilitator moves the participant to another group: the notice names it.
    world.fac.op(four.control, {"kind": "group.assign", "participant": me, "group": GROUPS[7]})
    browser.check(part, "rotation notice", [("group", GROUPS[7])])
    expect(part.locator("#rotation-notice")).to_contain_text(GROUPS[7])

    # --- the announcement, cycled through every payload, on three pages at once ----------------
    fac.locator("#announce-text").fill(ANNOUNCEMENTS[0])
    fac.locator("#announce-send").click()
    for i, text in enumerate(ANNOUNCEMENTS):
        if i:
            world.fac.op(four.control, {"kind": "announce", "text": text})
        for page, view in ((part, "participant corner board (announcement)"),
                           (screen, "projector (announcement)"), (fac, "overview (announcement)")):
            browser.check(page, view, [("announcement", text)])
        expect(part.locator("#announcement")).to_have_text(text)

    # --- the station view: Relevantie of all corners, then Tips with its clusters, suggestions --
    fac.locator("#open-stations").click()
    expect(fac.locator("#station-view")).to_be_visible()
    doc = world.doc("vier-hoeken")
    relevant = [n for c in CORNERS for n in notes_of(doc, four.board(c), "relevantie")]
    browser.check(fac, "station view (relevantie)", note_items(relevant))
    suggested = call("GET", f"{base}/api/sessions/{four.sid}/suggest?station=relevantie",
                     four.token)
    fac.locator("#suggest-btn").click()
    expect(fac.locator("#suggestions .suggest-list, #suggest-none")).to_be_visible()
    browser.check(fac, "station view (suggestions)",
                  [("cluster title", s["title"]) for s in suggested["clusters"] if s["title"]]
                  + [("note", n["text"]) for s in suggested["clusters"] for n in s["notes"]])
    fac.locator('.station-tab[data-station="tips"]').click()
    expect(fac.locator("#station-view")).to_have_attribute("data-station", "tips")
    tips = [n for c in CORNERS for n in notes_of(doc, four.board(c), "tips")]
    browser.check(fac, "station view (tips, clusters)", note_items(tips)
                  + cluster_items(doc, four))

    # --- the facilitator's board: tools, cluster menus, the deleted notes ----------------------
    fac.locator("#nav-overview").click()
    fac.locator('.ov-corner[data-corner="praatplaat"] .ov-open').click()
    expect(fac.locator("#board-tools")).to_be_visible()
    fac.locator("#trash summary").click()
    expect(fac.locator("#trash-list .trash-item")).to_have_count(1)
    browser.check(fac, "facilitator board", note_items(notes_of(doc, four.board("praatplaat")))
                  + cluster_items(doc, four) + [("note", world.deleted)])

    # --- snapshot pages: one opened fresh, the others through the page's own router -----------
    snap = browser.page("snapshot")
    taken = world.snapshots[1]
    browser.goto(snap, f"{base}/s/{four.sid}/{quote(taken, safe='')}#t={four.token}")
    frozen = world.doc("vier-hoeken", taken)
    frozen_notes = [n for b in frozen["boards"] for n in b["state"].get("notes", ())]
    browser.check(snap, "snapshot page", note_items(frozen_notes)
                  + cluster_items(frozen, four, only_used=True)
                  + [("session title", four.data["session"]["title"]),
                     ("snapshot name", taken)])
    for name in world.snapshots:
        url = f"/s/{four.sid}/{quote(name, safe='')}#t={four.token}"
        snap.evaluate("url => { history.pushState(null, '', url);"
                      " dispatchEvent(new PopStateEvent('popstate')); }", url)
        expect(snap.locator("#snapshot-view")).to_have_attribute("data-name", name)
        browser.check(snap, "snapshot page (each name)", [("snapshot name", name)])

    # --- text from the address itself: a projector's corner, a snapshot's name ----------------
    for i, payload in enumerate(p for p in CORPUS if re.search(r"<[A-Za-z/!]", p)):
        text = f"{payload} ⟦U{i}⟧"
        screen.evaluate("h => { location.hash = h; }",
                        f"t={four.data['viewer_token']}&corner={quote(text, safe='')}")
        browser.check(screen, "projector (unknown corner from the address)", [("address", text)])
        url = f"/s/{four.sid}/{quote(text, safe='')}#t={four.token}"
        snap.evaluate("url => { history.pushState(null, '', url);"
                      " dispatchEvent(new PopStateEvent('popstate')); }", url)
        browser.check(snap, "snapshot page (unknown name from the address)", [("address", text)])

    # --- the four working boards, each with its projector --------------------------------------
    working: dict[str, tuple[Any, Any]] = {}
    for inst in CORNERS:
        made = world.sessions[inst]
        page = browser.page(f"{inst} board")
        if inst == "reflectietool":
            browser.goto(page, f"{base}/#t={world.score_token}")
        else:
            browser.goto(page, f"{base}/j/{made.code}")
        browser.check(page, "profile", [("session title", made.data["session"]["title"])])
        page.locator("#profile-continue").click()
        expect(page.locator(f'.board[data-layout="{inst}"]')).to_be_visible()
        proj = browser.page(f"{inst} projector", viewport={"width": 1600, "height": 900})
        browser.goto(proj, made.data["projector_urls"][inst])
        expect(proj.locator(f'.board[data-layout="{inst}"]')).to_be_visible()
        working[inst] = (page, proj)
        doc = world.doc(inst)
        state = next(b["state"] for b in doc["boards"] if b["id"] == made.board(inst))
        items = note_items(notes_of(doc, made.board(inst)))
        if inst == "matrix":
            items += [("column title", c["title"]) for c in state["columns"]]
        if inst == "reflectietool":
            items += [("reflection title", r["title"]) for r in state["reflections"][1:]]
        browser.check(proj, f"working board projector ({inst})", items)
        browser.check(page, f"working board ({inst})", items)
    # The reflectietool: every reflection with score notes, chosen in the page.
    page = working["reflectietool"][0]
    for reflection, notes in world.score_notes.items():
        page.locator("#reflection-select").select_option(reflection)
        browser.check(page, "working board (reflectietool)", [("score note", n) for n in notes])
    # Het 8-tje: partner names, two at a time, on the board and its projector.
    achtje = world.sessions["achtje"].board("achtje")
    for a, b in zip(PARTNERS[::2], [*PARTNERS[1::2], PARTNERS[0]], strict=False):
        world.partner_peer.ops(achtje, [{"kind": "partner.name", "partner": "partner-a",
                                         "name": a},
                                        {"kind": "partner.name", "partner": "partner-b",
                                         "name": b}])
        for view_page, view in zip(working["achtje"], ("working board (achtje)",
                                                       "working board projector (achtje)"),
                                   strict=True):
            browser.check(view_page, view, [("partner name", a), ("partner name", b)])

    # --- the imported session: hostile station titles, prompts and group names ---------------
    imp = world.sessions["import"]
    doc = world.doc("import")
    stations = [("station title", s["title"]) for s in doc["session"]["stations"]]
    prompts = [("station prompt", s["prompt"]) for s in doc["session"]["stations"]]
    groups = [("group", g) for g in IMPORT_GROUPS]
    ifac = browser.page("imported facilitator")
    browser.goto(ifac, f"{base}/#t={imp.token}")
    expect(ifac.locator("#overview")).to_be_visible()
    ilatest = []
    for corner in CORNERS:
        notes = sorted(notes_of(doc, imp.board(corner)), key=lambda n: -n["created_seq"])
        ilatest += notes[:3]
    browser.check(ifac, "overview (imported)", [
        ("session title", imp.data["session"]["title"]), *stations, *groups,
        *[("note", n["text"]) for n in ilatest]])
    ifac.locator("#open-stations").click()
    expect(ifac.locator("#station-view")).to_be_visible()
    browser.check(ifac, "station view (imported)", stations + note_items(
        [n for c in CORNERS for n in notes_of(doc, imp.board(c), "relevantie")]))
    ipart = browser.page("imported participant")
    browser.goto(ipart, f"{base}/j/{imp.code}/matrix")
    browser.check(ipart, "profile (imported)",
                  [("session title", imp.data["session"]["title"]), *groups])
    ipart.locator("#group").select_option(IMPORT_GROUPS[1])
    ipart.locator("#profile-continue").click()
    expect(ipart.locator(".board[data-board]")).to_have_attribute("data-board",
                                                                  imp.board("matrix"))
    browser.check(ipart, "participant corner board (imported)", stations + prompts
                  + note_items(notes_of(doc, imp.board("matrix"))))
    iscreen = browser.page("imported projector", viewport={"width": 1600, "height": 900})
    browser.goto(iscreen, imp.data["projector_urls"]["achtje"])
    browser.check(iscreen, "projector (imported)", stations + prompts
                  + note_items(notes_of(doc, imp.board("achtje"))))

    # --- a snapshot restored as a new session under a typed title -----------------------------
    restored = world.sessions["restored"]
    browser.goto(ifac, f"{base}/#t={restored.token}")
    expect(ifac.locator("#overview")).to_be_visible()
    browser.check(ifac, "overview (restored)", [("session title", SESSION_TITLES["restored"]),
                                                *[("group", g) for g in GROUPS]])

    # --- the organiser's start page: Mijn sessies, every title (also in the report's list) ------
    org = browser.page("organiser")
    browser.goto(org, xss_server.organiser_link())
    expect(org.locator("#my-sessions")).to_be_visible()
    titles = [("session title", m.data["session"]["title"]) for m in world.sessions.values()]
    expect(org.locator(".my-session")).to_have_count(len(world.sessions))
    browser.check(org, "mijn sessies", titles)
    expect(org.locator("#report-sessions .report-session")).to_have_count(len(world.sessions))

    finish(browser, tally, figure, read_log(xss_server.proc).splitlines()[-20:])


def test_R25_R30_html_export_and_report_show_hostile_text_as_text(
        xss_server: ServerHandle, world: World, module_browser: Any, figure: Any) -> None:
    """The printable report (export.html, and report.html over several sessions) rendered in
    Chromium with the server's own headers: every payload as text, no script, no violation."""
    tally = Tally()
    browser = Browser(module_browser, tally)
    base = world.base
    four = world.sessions["vier-hoeken"]

    def serve(page: Any, method: str = "GET", token: str = "", body: Any = None) -> None:
        """The report as the browser gets it from the server, minus the download header, so
        it renders (with the server's own Content-Security-Policy)."""

        def handle(route: Any) -> None:
            headers = {"authorization": f"Bearer {token}"} if token else {}
            if body is not None:
                headers["content-type"] = "application/json"
            resp = route.fetch(method=method, headers=headers,
                               post_data=None if body is None else json.dumps(body))
            keep = {k: v for k, v in resp.headers.items() if k != "content-disposition"}
            assert "content-security-policy" in keep, keep
            route.fulfill(response=resp, headers=keep)

        page.route(f"{base}/api/**", handle)

    page = browser.page("report", service_workers="block")
    serve(page, token=four.token)
    doc = world.doc("vier-hoeken")
    every = [n for b in doc["boards"] for n in b["state"].get("notes", ())]
    live = [*note_items(every), *cluster_items(doc, four, only_used=True),
            ("session title", four.data["session"]["title"])]
    browser.goto(page, f"{base}/api/sessions/{four.sid}/export.html")
    browser.check(page, "export.html", live)
    assert page.title() == four.data["session"]["title"]
    taken = world.snapshots[1]
    frozen = world.doc("vier-hoeken", taken)
    browser.goto(page, f"{base}/api/sessions/{four.sid}/export.html?snapshot={quote(taken)}")
    browser.check(page, "export.html (snapshot)", [
        *note_items([n for b in frozen["boards"] for n in b["state"].get("notes", ())]),
        ("snapshot name", taken)])
    browser.goto(page, f"{base}/api/sessions/{four.sid}/export.html?anonymous=1")
    browser.check(page, "export.html (anonymous)", [("note", n["text"]) for n in every])

    # The report over every session, the imported one first (its board titles lead).
    order = ["import", "vier-hoeken", *CORNERS]
    report = browser.page("report", service_workers="block")
    serve(report, method="POST", token=ORGANISERS[base],
          body={"sessions": [world.sessions[k].sid for k in order]})
    items: Items = []
    for key in order:
        made, d = world.sessions[key], world.doc(key)
        items.append(("session title", made.data["session"]["title"]))
        items += note_items([n for b in d["boards"] for n in b["state"].get("notes", ())])
        for b in d["boards"]:
            state = b["state"]
            items += [("column title", c["title"]) for c in state.get("columns", ())]
            items += [("partner name", v) for v in state.get("partners", {}).values() if v]
            items += [("reflection title", r["title"]) for r in state.get("reflections", ())[1:]]
            items += [("score note", s["note"]) for s in state.get("scores", ()) if s["note"]]
    d = world.doc("import")
    items += [("station title", s["title"]) for s in d["session"]["stations"]]
    items += [("board title", b["title"]) for b in d["session"]["boards"]]
    items += [("group", g) for g in IMPORT_GROUPS]
    items += cluster_items(world.doc("vier-hoeken"), four, only_used=True)
    browser.goto(report, f"{base}/api/report.html")
    browser.check(report, "report.html (all sessions)", items)

    finish(browser, tally, figure, read_log(xss_server.proc).splitlines()[-20:])


def test_R30_the_detectors_catch_the_corpus_when_it_is_injected_as_html_on_purpose(
        world: World, module_browser: Any, figure: Any) -> None:
    """The tests above can fail: every payload that is markup, put into a page with innerHTML
    (what the client never does with user text), is found by the audit; and even then the
    page's CSP runs none of it and reports the refusals."""
    tally = Tally()
    browser = Browser(module_browser, tally)
    page = browser.page("self-test")
    browser.goto(page, f"{world.base}/")
    sync_api.expect(page.locator("#join-form")).to_be_visible()
    assert page.evaluate(AUDIT) == []
    injected = caught = 0
    for payload in CORPUS:
        if re.search(r"<[A-Za-z/!]", payload):  # a tag, an end tag or a comment
            html = payload
        elif payload.startswith("javascript:"):
            html = f'<a href="{payload}">x</a>'
        else:
            continue  # not markup: only dangerous in an attribute or a formula
        injected += 1
        found = page.evaluate(
            f"(html) => {{ const box = document.createElement('div');"
            f" document.body.append(box); box.innerHTML = html; return ({AUDIT})(box); }}", html)
        caught += bool(found)
    page.wait_for_function("() => window.__csp.length > 0")
    page.wait_for_timeout(300)  # images fail, handlers are refused
    browser.read(page)
    executions, violations = tally.executions, len(tally.violations)
    figure("markup payloads injected on purpose, found by the audit", f"{caught}/{injected}",
           target="all", ok=caught == injected)
    figure("... of which ran under the page's CSP", executions, target="0", ok=executions == 0)
    figure("... CSP violations reported for them", violations, target="> 0", ok=violations > 0)
    browser.close()
    assert caught == injected > 10
    assert executions == 0 and violations > 0
