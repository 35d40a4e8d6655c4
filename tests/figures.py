"""Figures that reliability tests measure and docs/RELIABILITY.md reports.

A test asks for the ``figure`` fixture and calls it with a name, a value and what the value must
be; the test still asserts the target itself. ``make reliability`` runs the suite with
``VH_FIGURES`` pointing at a JSON file and renders that file into docs/RELIABILITY.md
(``python tests/figures.py render <json> <md>``).
"""

from __future__ import annotations

import json
import os
import platform
import sys
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


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "render":
        data = json.loads(Path(sys.argv[2]).read_text())
        head = Path(sys.argv[3]).read_text() if Path(sys.argv[3]).exists() else ""
        marker = "<!-- figures -->"
        intro = head.split(marker)[0] if marker in head else ""
        Path(sys.argv[3]).write_text((intro + marker + "\n" if intro else "") + render(data))
    else:
        sys.exit("usage: python tests/figures.py render FIGURES.json docs/RELIABILITY.md")
