"""How long Chromium takes to show a big board: from opening the page to every ``.note`` drawn.

Debian's Chromium (/usr/bin/chromium) through Playwright, as the browser tests drive it
(tests/browserkit.py). The page is a corner's screen (``/#t=<viewer token>&corner=<id>``),
which renders the board with the same BoardView as a participant's phone, read-only. A script
installed before the page's own watches each animation frame; once the page holds ``n`` note
elements it waits for the next frame to be painted and reports ``performance.now()``, which
counts from the start of the navigation.

Only this measurement, without the rest of ``make bench`` (a server with sqlite, a board filled
with ``--notes`` notes through the protocol as the bench does, then ``--runs`` timed loads)::

    .venv/bin/python -m bench.browser                  # 5000 notes, 5 runs and a profiled one
    .venv/bin/python -m bench.browser --runs 3 --no-profile --keep   # leave the server up
    .venv/bin/python -m bench.browser --url 'http://127.0.0.1:PORT/#t=...&corner=...'
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

WATCH = """
window.__vhRendered = new Promise((resolve) => {
  const want = %d;
  const check = () => {
    if (document.querySelectorAll('.note').length >= want) {
      requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0));
    } else {
      requestAnimationFrame(check);
    }
  };
  requestAnimationFrame(check);
});
"""


def render_times(url: str, notes: int, runs: int = 3, profile: bool = True) -> dict[str, Any]:
    """``runs`` timed page loads, then one more under Chrome's CPU profiler (not counted)."""
    from playwright.sync_api import sync_playwright

    times: list[float] = []
    counts: list[int] = []
    prof: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     headless=True)
        try:
            for _ in range(runs):
                ctx = browser.new_context(viewport={"width": 1280, "height": 800},
                                          locale="nl-NL")
                ctx.add_init_script(WATCH % notes)
                page = ctx.new_page()
                page.set_default_timeout(60_000)
                page.goto(url, wait_until="commit")
                times.append(float(page.evaluate("window.__vhRendered")))
                counts.append(int(page.evaluate("document.querySelectorAll('.note').length")))
                ctx.close()
            prof = profiled(browser, url, notes) if profile else {}
        finally:
            browser.close()
    return {"rendered_ms": times, "first_ms": times[0],
            "median_ms": sorted(times)[len(times) // 2], "note_elements": counts,
            "profile": prof}


def profiled(browser: Any, url: str, notes: int) -> dict[str, Any]:
    """Where the page's main thread spends the load: Chrome's own duration counters and the
    functions with the most self time in a sampled CPU profile."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="nl-NL")
    try:
        ctx.add_init_script(WATCH % notes)
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        origin = url.split("/#", 1)[0].rstrip("/")
        page.goto(origin + "/healthz")  # the same site first, so the renderer stays the same
        cdp = ctx.new_cdp_session(page)
        cdp.send("Performance.enable")
        before = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 200})
        cdp.send("Profiler.start")
        page.goto(url, wait_until="commit")
        rendered = float(page.evaluate("window.__vhRendered"))
        prof = cdp.send("Profiler.stop")["profile"]
        after = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    finally:
        ctx.close()
    metrics = {k: (after.get(k, 0) - before.get(k, 0)) * 1000 for k in
               ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")}
    self_ms: dict[int, float] = {}
    for sid, dt in zip(prof["samples"], prof["timeDeltas"], strict=False):
        self_ms[sid] = self_ms.get(sid, 0.0) + dt / 1000
    by_fn: dict[str, float] = {}
    for node in prof["nodes"]:
        cf = node["callFrame"]
        name = cf["functionName"] or "(anonymous)"
        src = cf["url"].rsplit("/", 1)[-1]
        key = f"{name} ({src}:{cf['lineNumber'] + 1})" if src else name
        by_fn[key] = by_fn.get(key, 0.0) + self_ms.get(node["id"], 0.0)
    total = sum(by_fn.values()) or 1.0
    top = sorted(by_fn.items(), key=lambda kv: -kv[1])[:12]
    return {"rendered_ms": rendered, "metrics_ms": metrics, "sampled_ms": total,
            "top_self": [{"function": k, "ms": v, "pct": 100 * v / total} for k, v in top]}


# --- only this measurement, from the command line --------------------------------------------


def filled_board(bench: Any, target: Any, notes: int) -> str:
    """A board of a new session on ``target`` filled with ``notes`` notes by the bench's load
    generator (bench/loadgen.py, mode ``bulk``: 20 writers, as ``make bench``, when they can
    share the notes evenly); the URL of its corner's screen."""
    from bench.run import LoadGen

    writers = next(w for w in (20, 10, 8, 5, 4, 2, 1) if notes % w == 0)
    cfg = target.layout(1, writers + 1, 0)
    cfg.update({"mode": "bulk", "bulk": {"notes": notes, "writers": writers, "rate": 50.0,
                                         "joins": 1}, "phases": [], "procs": 1})
    lg = LoadGen(target.lang, cfg, 1, bench.workdir / "loadgen", "bulk", bench.sampler,
                 timeout=240)
    try:
        msg = lg.wait("bulk", 200)[0]
        lg.finish()
    except Exception:
        lg.kill()
        raise
    if msg["notes"] != notes:
        raise RuntimeError(f"the board has {msg['notes']} notes, not {notes}")
    created = cfg["session"]
    corner = created["session"]["boards"][0]["instrument"]
    return f"{target.servers[0].http}/#t={created['viewer_token']}&corner={corner}"


def show(res: dict[str, Any], notes: int) -> None:
    print(f"{notes} notes rendered in " + ", ".join(f"{x:.0f}" for x in res["rendered_ms"])
          + f" ms (median {res['median_ms']:.0f}); note elements {res['note_elements']}")
    prof = res.get("profile") or {}
    if prof:
        m = prof["metrics_ms"]
        print(f"profiled load: {prof['rendered_ms']:.0f} ms; tasks {m['TaskDuration']:.0f}, "
              f"script {m['ScriptDuration']:.0f}, layout {m['LayoutDuration']:.0f}, "
              f"style {m['RecalcStyleDuration']:.0f} ms")
        for row in prof["top_self"]:
            print(f"  {row['ms']:8.1f} ms {row['pct']:5.1f} %  {row['function']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notes", type=int, default=5000, help="notes on the board (default 5000)")
    ap.add_argument("--runs", type=int, default=5, help="timed page loads (default 5)")
    ap.add_argument("--no-profile", action="store_true", help="skip the profiled load")
    ap.add_argument("--url", help="measure this corner's screen (a board already filled with "
                                  "--notes notes) instead of starting a server")
    ap.add_argument("--keep", action="store_true",
                    help="leave the server running after measuring (until Ctrl-C or SIGTERM)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)

    def measure(url: str) -> None:
        res = render_times(url, args.notes, runs=args.runs, profile=not args.no_profile)
        show(res, args.notes)
        if args.json:
            args.json.write_text(json.dumps({"url": url, "notes": args.notes, **res}, indent=1))

    if args.url:
        measure(args.url)
        return 0
    from bench.run import Bench

    with tempfile.TemporaryDirectory(prefix="vh-render-") as tmp:
        bench = Bench(True, Path(tmp))
        try:
            with bench.target("vh_sqlite") as t:
                t0 = time.monotonic()
                url = filled_board(bench, t, args.notes)
                print(f"filled {args.notes} notes in {time.monotonic() - t0:.1f} s: {url}",
                      flush=True)
                measure(url)
                if args.keep:
                    print("server kept running; Ctrl-C or SIGTERM stops it", flush=True)
                    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
                    with contextlib.suppress(KeyboardInterrupt):
                        while True:
                            time.sleep(3600)
        finally:
            bench.sampler.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
