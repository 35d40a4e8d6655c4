"""The message files of the browser client (web/i18n.js, Dutch; web/i18n-en.js, English): both
have the same keys, the same placeholders, and every key the code asks for with t("…") exists in
both.

They are read with a small parser of the one JavaScript construct it uses (an object
literal of identifier or string keys and string or object values, with // comments), so this
runs without Node or a browser.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from test_webfiles import static_closure

WEB = Path(__file__).resolve().parent.parent / "web"

Tree = dict[str, Any]


class _Parser:
    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.pos = pos

    def fail(self, what: str) -> AssertionError:
        line = self.text.count("\n", 0, self.pos) + 1
        return AssertionError(f"web/i18n.js line {line}: expected {what}, "
                              f"found {self.text[self.pos:self.pos + 30]!r}")

    def skip(self) -> None:
        while True:
            m = re.compile(r"\s+|//[^\n]*|/\*.*?\*/", re.S).match(self.text, self.pos)
            if not m or m.end() == self.pos:
                return
            self.pos = m.end()

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos:self.pos + 1]

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            raise self.fail(repr(ch))
        self.pos += 1

    def string(self) -> str:
        quote = self.peek()
        if quote not in "\"'":
            raise self.fail("a string")
        m = re.compile(rf"{quote}((?:[^{quote}\\\n]|\\.)*){quote}").match(self.text, self.pos)
        if not m:
            raise self.fail("a closed string")
        self.pos = m.end()
        body = m.group(1).replace("\\'", "'")
        if quote == "'":
            body = body.replace('"', '\\"')
        decoded: str = json.loads(f'"{body}"')
        return decoded

    def key(self) -> str:
        if self.peek() in "\"'":
            return self.string()
        m = re.compile(r"[A-Za-z_$][\w$]*").match(self.text, self.pos)
        if not m:
            raise self.fail("a key")
        self.pos = m.end()
        return m.group(0)

    def value(self) -> Any:
        return self.obj() if self.peek() == "{" else self.string()

    def obj(self) -> Tree:
        self.expect("{")
        out: Tree = {}
        while self.peek() != "}":
            k = self.key()
            self.expect(":")
            assert k not in out, f"web/i18n.js: key {k!r} twice in one object"
            out[k] = self.value()
            if self.peek() == ",":
                self.pos += 1
        self.expect("}")
        return out


MESSAGE_FILES = ("i18n.js", "i18n-staff.js", "i18n-en.js")


def _table(name: str, marker: str) -> dict[str, Tree]:
    text = (WEB / name).read_text(encoding="utf-8")
    return _Parser(text, text.index(marker) + len(marker)).obj()


def staff_messages() -> dict[str, Tree]:
    """The Dutch messages only the begeleiders', organisers', screens' and archive's pages ask
    for (web/i18n-staff.js, added to i18n.js's table by the modules of those pages)."""
    return _table("i18n-staff.js", "export const staff =")


def messages() -> dict[str, Tree]:
    """Both tables: Dutch in i18n.js (``messages.nl``) and i18n-staff.js, English in i18n-en.js
    (``en``)."""
    out = _table("i18n.js", "export const messages =")
    assert set(out) == {"nl"}, f"web/i18n.js holds Dutch only, not {sorted(out)}"
    staff = staff_messages()
    assert not set(staff) & set(out["nl"]), sorted(set(staff) & set(out["nl"]))
    out["nl"] = {**out["nl"], **staff}
    out["en"] = _table("i18n-en.js", "export const en =")
    return out


def leaves(tree: Tree, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in tree.items():
        if isinstance(v, dict):
            out.update(leaves(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def lookup(tree: Tree, key: str) -> Any:
    node: Any = tree
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


# t("key"), t('key'), t(`key`) and t(`prefix.${expr}`): the key is the literal up to any ${.
T_CALL = re.compile(r"(?<![\w$.])t\(\s*([\"'`])((?:(?!\1).)*?)\1", re.S)


def used_keys() -> list[tuple[str, str, bool]]:
    """(file, key, dynamic) for every t(...) call with a literal first argument in web/*.js."""
    out = []
    for path in sorted(WEB.glob("*.js")):
        if path.name in MESSAGE_FILES:
            continue
        for m in T_CALL.finditer(path.read_text(encoding="utf-8")):
            key = m.group(2)
            dynamic = m.group(1) == "`" and "${" in key
            out.append((path.name, key.split("${")[0] if dynamic else key, dynamic))
    return out


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_dutch_and_english_have_the_same_keys() -> None:
    msgs = messages()
    assert set(msgs) == {"nl", "en"}
    nl, en = leaves(msgs["nl"]), leaves(msgs["en"])
    assert len(nl) > 300
    assert sorted(set(nl) - set(en)) == [], "missing in English"
    assert sorted(set(en) - set(nl)) == [], "missing in Dutch"
    for key, value in {**nl, **en}.items():
        assert isinstance(value, str) and value.strip(), key


def test_both_languages_fill_the_same_placeholders() -> None:
    msgs = messages()
    nl, en = leaves(msgs["nl"]), leaves(msgs["en"])
    wrong = {k: (sorted(placeholders(nl[k])), sorted(placeholders(en[k])))
             for k in nl if k in en and placeholders(nl[k]) != placeholders(en[k])}
    assert wrong == {}


def test_every_key_the_code_uses_exists_in_both_languages() -> None:
    msgs = messages()
    calls = used_keys()
    assert len(calls) > 300, "the t(...) calls were not found"
    missing = []
    for file, key, dynamic in calls:
        for lang in ("nl", "en"):
            node = lookup(msgs[lang], key.rstrip("."))
            # A key built at run time (t(`errorCodes.${code}`)) needs its group of messages.
            ok = isinstance(node, dict) if dynamic else isinstance(node, str)
            if not ok:
                missing.append(f"{file}: {key} ({lang})")
    assert missing == []


def test_the_parser_reads_what_the_page_shows() -> None:
    msgs = messages()
    assert msgs["nl"]["appTitle"] == "Vier hoeken"
    assert msgs["en"]["appTitle"] == "Four corners"
    assert msgs["nl"]["snapshotBanner"] == "Snapshot \u201c{name}\u201d"
    assert msgs["nl"]["colours"]["yellow"] == "geel"
    assert msgs["en"]["waitingNotes"] == "{n} notes waiting"


# Any quoted literal in the code ("key", 'key', `key`), and the groups of keys the code builds
# at run time from a literal prefix (`errorCodes.${code}`, also outside t(): known(`noop…`)).
LITERAL = re.compile(r"([\"'`])([A-Za-z_][\w.]*)\1")
PREFIX = re.compile(r"`([A-Za-z_][\w.]*\.)\$\{")


def test_every_key_in_the_message_files_is_used() -> None:
    """No dead messages: each key is asked for by the code (directly, through a ternary of
    literals, or as part of a group the code builds a key from at run time)."""
    code = "\n".join(p.read_text(encoding="utf-8") for p in sorted(WEB.glob("*.js"))
                     if p.name not in MESSAGE_FILES)
    literals = {m.group(2) for m in LITERAL.finditer(code)}
    groups = tuple(sorted({m.group(1) for m in PREFIX.finditer(code)}))
    assert "errorCodes." in groups and "noopReasons." in groups, groups
    unused = sorted(k for k in leaves(messages()["nl"])
                    if k not in literals and not k.startswith(groups))
    assert unused == []


def test_R61_a_module_asking_for_a_staff_message_imports_it() -> None:
    """A message of i18n-staff.js is there only once a module that imports that file has
    loaded: every module asking for one imports it (itself or through its imports), and a
    participant's first page (app.js, session.js) does not."""
    staff = staff_messages()
    wrong = []
    for file, key, _ in used_keys():
        if key.split(".")[0] in staff and "i18n-staff.js" not in static_closure(file):
            wrong.append(f"{file}: {key}")
    code = {p.name: p.read_text(encoding="utf-8") for p in WEB.glob("*.js")
            if p.name not in MESSAGE_FILES}
    for file, text in code.items():  # keys handed to t() by others, and run-time groups
        for m in [*LITERAL.finditer(text)]:
            if m.group(2) in staff and "i18n-staff.js" not in static_closure(file):
                wrong.append(f"{file}: {m.group(2)}")
        for m in PREFIX.finditer(text):
            if m.group(1).rstrip(".") in staff and "i18n-staff.js" not in static_closure(file):
                wrong.append(f"{file}: {m.group(1)}")
    assert wrong == []
    first_page = static_closure("app.js") | static_closure("session.js")
    assert "i18n-staff.js" not in first_page
