"""How long Chromium takes to show a big board: from opening the page to every ``.note`` drawn.

Debian's Chromium (/usr/bin/chromium) through Playwright, as the browser tests drive it
(tests/browserkit.py). The page is a corner's screen (``/#t=<viewer token>&corner=<id>``),
which renders the board with the same BoardView as a participant's phone, read-only. A script
installed before the page's own watches each animation frame; once the page holds ``n`` note
elements it waits for the next frame to be painted and reports ``performance.now()``, which
counts from the start of the navigation.
"""

from __future__ import annotations

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


def render_times(url: str, notes: int, runs: int = 3) -> dict[str, Any]:
    """``runs`` timed page loads, then one more under Chrome's CPU profiler (not counted)."""
    from playwright.sync_api import sync_playwright

    times: list[float] = []
    counts: list[int] = []
    profile: dict[str, Any] = {}
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
            profile = profiled(browser, url, notes)
        finally:
            browser.close()
    return {"rendered_ms": times, "first_ms": times[0],
            "median_ms": sorted(times)[len(times) // 2], "note_elements": counts,
            "profile": profile}


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
