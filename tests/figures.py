"""Figures that reliability tests measure and docs/RELIABILITY.md reports.

A test asks for the ``figure`` fixture and calls it with a name, a value and what the value must
be; the test still asserts the target itself. ``make reliability`` runs the suite with
``VH_FIGURES`` pointing at a JSON file and renders that file into docs/RELIABILITY.md
(``python tests/figures.py render <json> <md>``). Its Autobahn section comes from
docs/autobahn-summary.json, written by ``make autobahn`` (tests/autobahn/run), which also
re-renders just that section (``python tests/figures.py autobahn <summary.json> <md>``).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

RECORDED: list[dict[str, Any]] = []


def record(test: str, name: str, value: Any, unit: str = "", target: str = "",
           ok: bool | None = None) -> None:
    RECORDED.append({"test": test, "name": name, "value": value, "unit": unit,
                     "target": target, "ok": ok})


def flush() -> None:
    path = os.environ.get("VH_FIGURES")
    if not path or not RECORDED:
        return
    Path(path).write_text(json.dumps({
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "soak": os.environ.get("VH_SOAK") == "1",
        "figures": RECORDED,
    }, indent=2))


def render(data: dict[str, Any]) -> str:
    lines = [
        "# Reliability: faults and hostile input, measured",
        "",
        "Written by `make reliability` (the reliability tests of `make test`, with their figures "
        "recorded); `make soak` runs the longer variants. Every row is asserted by its test; "
        "this page only shows what was measured.",
        "",
        f"Measured {data['when']} on {data['machine']}"
        + (" (soak mode)." if data.get("soak") else "."),
        "",
        "| test | figure | value | target |",
        "|---|---|---|---|",
    ]
    for f in data["figures"]:
        value = f["value"]
        if isinstance(value, float):
            value = f"{value:.2f}"
        mark = "" if f["ok"] is None else (" ✓" if f["ok"] else " ✗")
        lines.append(f"| `{f['test']}` | {f['name']} | {value} {f['unit']}{mark} | "
                     f"{f['target']} |")
    return "\n".join(lines) + "\n"


def _ranges(ids: list[str]) -> str:
    """Autobahn case ids, consecutive ones of a group folded: 9.1.2–9.1.6, 9.3.1–9.3.9."""
    out: list[list[str]] = []
    for cid in ids:
        head, _, last = cid.rpartition(".")
        prev = out[-1][-1].rpartition(".") if out else ("", "", "")
        if out and prev[0] == head and prev[2].isdigit() and last.isdigit() \
                and int(last) == int(prev[2]) + 1:
            out[-1].append(cid)
        else:
            out.append([cid])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in out) or "none"


def autobahn_section(s: dict[str, Any]) -> str:
    """docs/RELIABILITY.md's Autobahn section from tests/autobahn/run's summary JSON."""
    def para(text: str, indent: str = "") -> str:
        return textwrap.fill(text, 100, subsequent_indent=indent, break_long_words=False,
                             break_on_hyphens=False)

    v, c = s.get("wstest", {}), s["counts"]
    kib = s["limit_bytes"] // 1024
    where = {
        "server": "the server's own conformance echo, `/ws-echo` (on only with "
                  "`VH_CONFORMANCE=1`)",
    }.get(s["kind"], f"`{s['url']}`")
    lines = [
        "## Autobahn|Testsuite",
        "",
        para("`make autobahn` (`tests/autobahn/run`) runs the Autobahn|Testsuite fuzzing client "
             f"(wstest {v.get('autobahntestsuite', '?')}, autobahn {v.get('autobahn', '?')}, in "
             "a Python 2.7 virtualenv under `.autobahn/`) on 127.0.0.1. Its cases expect an "
             "*echo* server and `/ws` speaks the board protocol, so it fuzzes " + where + "."),
        "",
        para(f"Measured {s['when']} on {s['machine']} (tree {s['server_tree']}): "
             f"{s['cases_run']} cases in {s.get('wall_s', '?')} s."),
        "",
        "| Autobahn behaviour | cases |",
        "|---|---|",
        *(f"| {b} | {c.get(b, 0)} |" for b in
          ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")),
        f"| by design: message over {kib} KiB closed with 1009 (R3) | {c.get('BY-DESIGN', 0)} |",
        *(f"| not run: {e['cases']}, {e['reason']} | – |" for e in s["excluded"]),
        "",
        para(f"- By design (Autobahn says FAILED: it wants the echo): "
             f"{_ranges(s['by_design']['cases'])}. Messages of exactly {kib} KiB are echoed: "
             f"{_ranges(s.get('at_limit_ok', []))}.", "  "),
        para("- NON-STRICT (allowed by RFC 6455, not what Autobahn prefers): "
             f"{_ranges([n['id'] for n in s['non_strict']])}.", "  "),
        para(f"- INFORMATIONAL: {_ranges(s['informational'])}.", "  "),
    ]
    if s["failed"]:
        lines.append("- FAILED:")
        lines += [para(f"  - {f['id']} ({f['description']}): {f['why']}", "    ")
                  for f in s["failed"]]
    else:
        lines.append("- FAILED: none.")
    return "\n".join(lines) + "\n"


def splice_autobahn(text: str, section: str) -> str:
    """Put ``section`` in place of the page's "## Autobahn" section (up to the next heading of
    that level or the figures marker), or before the marker when there is none."""
    start = text.find("## Autobahn")
    if start < 0:
        at = text.find("<!-- figures -->")
        at = len(text) if at < 0 else at
        return text[:at] + section + "\n" + text[at:]
    heading, marker = text.find("\n## ", start), text.find("<!-- figures -->", start)
    ends = [i for i in (heading + 1 if heading >= 0 else -1, marker) if i >= 0]
    return text[:start] + section + "\n" + text[min(ends, default=len(text)):]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "render":
        data = json.loads(Path(sys.argv[2]).read_text())
        head = Path(sys.argv[3]).read_text() if Path(sys.argv[3]).exists() else ""
        marker = "<!-- figures -->"
        intro = head.split(marker)[0] if marker in head else ""
        autobahn = Path(sys.argv[3]).parent / "autobahn-summary.json"
        if intro and autobahn.exists():
            intro = splice_autobahn(intro, autobahn_section(json.loads(autobahn.read_text())))
        Path(sys.argv[3]).write_text((intro + marker + "\n" if intro else "") + render(data))
    elif len(sys.argv) == 4 and sys.argv[1] == "autobahn":
        md = Path(sys.argv[3])
        md.write_text(splice_autobahn(md.read_text() if md.exists() else "",
                                      autobahn_section(json.loads(Path(sys.argv[2]).read_text()))))
    else:
        sys.exit("usage: python tests/figures.py render FIGURES.json docs/RELIABILITY.md\n"
                 "       python tests/figures.py autobahn docs/autobahn-summary.json "
                 "docs/RELIABILITY.md")
