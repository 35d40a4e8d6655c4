"""A participant's first load on a slow phone link, in real Chromium.

A phone that scans the QR code at the venue opens ``/j/CODE``: the page, its stylesheets and
modules, the join request, the websocket, then the "Wie ben je?" form. A phone that was told
the code opens ``/`` and types it into the join form there. Both are measured on a fresh
browser (no HTTP cache, no service worker) whose network Chrome throttles through the DevTools
protocol (``Network.emulateNetworkConditions``: 400 kbit/s each way, 400 ms round trip), as
Debian's Chromium at /usr/bin/chromium driven by Playwright, the way the browser tests do.

- **bytes**: what came over the wire until the form could be used, from CDP's
  ``Network.loadingFinished`` (``encodedDataLength``: compressed bodies and their headers) and
  the websocket frames received; also what the page fetched in all within a few seconds after
  (the service worker keeping the app shell for an offline reload starts once the page is idle).
- **form**: ``performance.now()`` (from the start of the navigation) at the first animation
  frame in which the form's field is on the screen and can be typed into.
- **modules**: which of web/'s modules the page asked for; a participant's page must never ask
  for the facilitator's, the archive's, the screens' or the organiser's modules.

Only this measurement, without the rest of ``make bench`` (a server with memory://)::

    .venv/bin/python -m bench.firstload [--runs 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.browser import CHROMIUM, CHROMIUM_ARGS

KBIT = 400
RTT_MS = 400
TARGET_BYTES = 120 * 1024
TARGET_FORM_MS = 3000
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "locale": "nl-NL"}
# Modules only a begeleider, a screen, the archive or an organiser needs (loaded on use).
NOT_FOR_PARTICIPANTS = ("overview.js", "plan.js", "people.js", "links.js", "suggestions.js",
                        "stationview.js", "archive.js", "snapshot.js", "projector.js",
                        "screens.js", "organiser.js", "results.js")
AFTER_S = 8.0  # how long after the form the page's later fetches are still counted

WATCH = """
window.__vhForm = new Promise((resolve) => {
  const ready = () => {
    const field = document.querySelector(%s);
    if (!field || field.disabled) return false;
    const box = field.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.top >= 0 && box.bottom <= innerHeight;
  };
  const check = () => (ready() ? resolve(performance.now()) : requestAnimationFrame(check));
  requestAnimationFrame(check);
});
"""


def one_load(browser: Any, url: str, field: str) -> dict[str, Any]:
    """One throttled first load of ``url`` until ``field`` can be typed into."""
    ctx = browser.new_context(**PHONE)
    try:
        ctx.add_init_script(WATCH % json.dumps(field))
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": RTT_MS,
            "downloadThroughput": KBIT * 1000 / 8, "uploadThroughput": KBIT * 1000 / 8,
        })
        urls: dict[str, str] = {}
        finished: list[tuple[float, int, str]] = []  # (monotonic s, bytes, url)
        frames: list[tuple[float, int]] = []
        start: list[float] = []

        def sent(e: dict[str, Any]) -> None:
            urls[e["requestId"]] = e["request"]["url"]
            if not start and e.get("type") == "Document":
                start.append(float(e["timestamp"]))

        cdp.on("Network.requestWillBeSent", sent)
        cdp.on("Network.loadingFinished", lambda e: finished.append(
            (float(e["timestamp"]), int(e["encodedDataLength"]), urls.get(e["requestId"], ""))))
        cdp.on("Network.webSocketFrameReceived", lambda e: frames.append(
            (float(e["timestamp"]), len(e["response"]["payloadData"].encode()))))
        page.goto(url, wait_until="commit")
        form_ms = float(page.evaluate("window.__vhForm"))
        page.wait_for_timeout(AFTER_S * 1000)
        t0 = start[0] if start else 0.0
        at_form = t0 + form_ms / 1000
        http = sum(n for ts, n, _ in finished if ts <= at_form)
        ws = sum(n for ts, n in frames if ts <= at_form)
        paths = sorted({u.split("://", 1)[-1].split("/", 1)[-1].split("?")[0]
                        for _, _, u in finished if u.startswith("http")})
        return {
            "form_ms": form_ms, "bytes": http + ws, "http_bytes": http, "ws_bytes": ws,
            "requests": sum(1 for ts, _, _ in finished if ts <= at_form),
            "bytes_later": sum(n for _, n, _ in finished) + sum(n for _, n in frames),
            "fetched": paths,
            "not_for_participants": [p for p in paths if p.rsplit("/", 1)[-1]
                                     in NOT_FOR_PARTICIPANTS],
        }
    finally:
        ctx.close()


def measure(base: str, code: str, runs: int = 3) -> dict[str, Any]:
    """The join link (``/j/CODE``, the name form) and the start page (``/``, the code form),
    ``runs`` fresh loads each; the median of each figure."""
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {"kbit": KBIT, "rtt_ms": RTT_MS, "target_bytes": TARGET_BYTES,
                           "target_form_ms": TARGET_FORM_MS}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     headless=True)
        try:
            for key, url, field in (("join_link", f"{base}/j/{code}", "#name"),
                                    ("start_page", f"{base}/", "#join-code-input")):
                loads = [one_load(browser, url, field) for _ in range(runs)]
                med = sorted(loads, key=lambda r: r["form_ms"])[len(loads) // 2]
                out[key] = {
                    "url": url.replace(base, ""), "form_ms": [r["form_ms"] for r in loads],
                    "form_median_ms": med["form_ms"],
                    "bytes": sorted(r["bytes"] for r in loads)[len(loads) // 2],
                    "http_bytes": med["http_bytes"], "ws_bytes": med["ws_bytes"],
                    "requests": med["requests"], "bytes_later": med["bytes_later"],
                    "fetched": med["fetched"],
                    "not_for_participants": sorted({p for r in loads
                                                    for p in r["not_for_participants"]}),
                }
        finally:
            browser.close()
    out["ok"] = all(out[k]["bytes"] <= TARGET_BYTES and out[k]["form_median_ms"] <= TARGET_FORM_MS
                    and not out[k]["not_for_participants"] for k in ("join_link", "start_page"))
    return out


def show(res: dict[str, Any]) -> None:
    for key, label in PAGES:
        r = res[key]
        print(f"{label} ({r['url']}): form usable after "
              + ", ".join(f"{x:.0f}" for x in r["form_ms"])
              + f" ms; {r['bytes'] / 1024:.1f} KiB in {r['requests']} responses before it "
              f"({r['ws_bytes']} B websocket), {r['bytes_later'] / 1024:.1f} KiB within "
              f"{AFTER_S:.0f} s; modules not for participants: "
              f"{', '.join(r['not_for_participants']) or 'none'}")


PAGES = (("join_link", "a join link (QR code): the name form"),
         ("start_page", "the start page: the code form"))


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's target rows (bench/report.py)."""
    res = results.get("firstload")
    if not res:
        return []
    out = []
    for key, label in PAGES:
        r = res[key]
        out.append({"target": f"a phone's first load, {label}: ≤ {TARGET_BYTES // 1024} KiB "
                              f"and ≤ {TARGET_FORM_MS / 1000:.0f} s at {KBIT} kbit/s, "
                              f"{RTT_MS} ms round trip",
                    "measured": f"{r['bytes'] / 1024:.1f} KiB, form usable after "
                                f"{r['form_median_ms'] / 1000:.2f} s (median of "
                                f"{len(r['form_ms'])}); modules not for participants: "
                                f"{', '.join(r['not_for_participants']) or 'none'}",
                    "ok": (r["bytes"] <= TARGET_BYTES and r["form_median_ms"] <= TARGET_FORM_MS
                           and not r["not_for_participants"])})
    return out


def markdown(results: dict[str, Any]) -> str:
    """The report's section (bench/report.py)."""
    res = results.get("firstload")
    if not res:
        return ""
    rows = [f"| {label} | {res[k]['bytes'] / 1024:.1f} KiB in {res[k]['requests']} responses "
            f"| {', '.join(f'{x / 1000:.2f}' for x in res[k]['form_ms'])} s "
            f"| {res[k]['bytes_later'] / 1024:.1f} KiB |" for k, label in PAGES]
    return "\n".join([
        "## A phone's first load (R61)",
        "",
        f"A fresh Chromium (no cache, no service worker) on a phone's screen, its network "
        f"throttled by the DevTools protocol to {KBIT} kbit/s each way and a {RTT_MS} ms round "
        "trip (bench/firstload.py). *Bytes* is what came over the wire until the form could be "
        "typed into (compressed bodies with their headers, `Network.loadingFinished`); *later* "
        f"adds what the page fetched in the {AFTER_S:.0f} s after (a board's modules, then the "
        "service worker's shell). A participant's page asks for none of the begeleider's, the "
        "archive's, the screens' or the organiser's modules.",
        "",
        "| page | bytes before the form | form usable after (each run) | with later |",
        "|---|---|---|---|",
        *rows,
    ])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.firstload", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="fresh loads per page (default 3)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    from bench.run import Bench

    with tempfile.TemporaryDirectory(prefix="vh-firstload-") as tmp:
        bench = Bench(True, Path(tmp))
        try:
            with bench.target("vh_memory") as t:
                created = t.layout(1, 0, 0)["session"]
                t0 = time.monotonic()
                res = measure(t.servers[0].http, str(created["code"]), args.runs)
                res["elapsed_s"] = time.monotonic() - t0
        finally:
            bench.sampler.close()
    show(res)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
