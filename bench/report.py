"""The report of a bench run: a table on stdout, docs/PERFORMANCE.md and docs/performance-p99.png.

``write(results, quick)`` takes what bench/run.py gathered (bench/out/results.json). A quick run
writes its report to bench/out/ only; the full run writes docs/.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import firstload

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BASE1, BASE3 = "relay_ws", "yws"
ORDER = ["relay_ws", "relay_starlette", "yws", "vh_memory", "vh_sqlite", "vh_redis", "vh_redis2"]
SHORT = {
    "relay_ws": "(1) relay websockets", "relay_starlette": "(2) relay Starlette",
    "yws": "(3) y-websocket", "vh_memory": "(4) vh memory", "vh_sqlite": "(4) vh sqlite",
    "vh_redis": "(4) vh redis ×1", "vh_redis2": "(4) vh redis ×2", "vh_profiled": "vh cProfile",
}
CAPACITY_P99_MS = 100.0


def f(x: Any, digits: int = 1) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        if abs(x) >= 1000:
            return f"{x:,.0f}".replace(",", " ")
        return f"{x:.{digits}f}"
    return str(x)


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}×"


def met(ok: bool | None) -> str:
    return "–" if ok is None else ("**met**" if ok else "**missed**")


def table(head: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def runs(results: dict[str, Any], workload: str) -> list[dict[str, Any]]:
    return [r for r in results["runs"] if r["workload"] == workload]


def clean(r: dict[str, Any]) -> str:
    lost = sum(r["lost"].values())
    bad = lost + r["gaps"] + r["dups"] + r["reorders"] + (r.get("seq_missing") or 0)
    return "0" if bad == 0 else f"undelivered {lost}, gap {r['gaps']}, dup {r['dups']}, " \
        f"reord {r['reorders']}, behind {r.get('seq_missing') or 0}"


def cpu(r: dict[str, Any]) -> str:
    vals = [c for c in r.get("server_cpu", []) if c is not None]
    return " + ".join(f"{100 * c:.0f} %" for c in vals) if vals else "–"


def rss(r: dict[str, Any]) -> str:
    vals = [c for c in r.get("server_rss_mb", []) if c is not None]
    return " + ".join(f"{c:.0f}" for c in vals) if vals else "–"


def runq(r: dict[str, Any]) -> str:
    vals = [c for c in r.get("server_runq", []) if c is not None]
    return " + ".join(f"{100 * c:.0f} %" for c in vals) if vals else "–"


def others(r: dict[str, Any]) -> str:
    o = r.get("other_cpu")
    return "–" if o is None else f"{100 * o:.0f} %"


def lgcpu(r: dict[str, Any]) -> str:
    vals = [c for c in r.get("loadgen_cpu", []) if c is not None]
    return " + ".join(f"{100 * c:.0f} %" for c in vals) if vals else "–"


def capacity(results: dict[str, Any], workload: str = "ladder") -> dict[str, dict[str, Any]]:
    """Per peer: the most ops delivered per second in a ladder phase with p99 <= 100 ms and
    nothing lost, duplicated or reordered."""
    out: dict[str, dict[str, Any]] = {}
    for r in runs(results, workload):
        cur = out.setdefault(r["target"], {"best": None, "phases": []})
        cur["phases"].append(r)
        ok = r["latency"]["p99"] is not None and r["latency"]["p99"] <= CAPACITY_P99_MS \
            and clean(r) == "0" and not r["disconnects"] and not r["errors"]
        if ok and (cur["best"] is None or r["delivered_s"] > cur["best"]["delivered_s"]):
            cur["best"] = r
    return out


def load(la: Any) -> str:
    return "–" if not la else " / ".join(f"{x:.1f}" for x in la)


def machine() -> dict[str, str]:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass

    def version(mod: str) -> str:
        try:
            from importlib.metadata import version as v
            return v(mod)
        except Exception:
            return "?"

    def npm(pkg: str) -> str:
        try:
            data = json.loads((ROOT / "bench" / "node_modules" / pkg / "package.json").read_text())
            return str(data["version"])
        except (OSError, ValueError, KeyError):
            return "?"

    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except OSError:
        node = "?"
    return {
        "cpu": f"{cpu_model or platform.processor()} × {os.cpu_count()} cores",
        "memory": mem, "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(), "node": node,
        "versions": ", ".join([
            f"websockets {version('websockets')}", f"uvicorn {version('uvicorn')}",
            f"uvloop {version('uvloop')}", f"starlette {version('starlette')}",
            f"pydantic {version('pydantic')}", f"orjson {version('orjson')}",
            f"y-websocket {npm('y-websocket')}", f"yjs {npm('yjs')}", f"ws {npm('ws')}",
            f"redis-server {redis_version()}"]),
    }


def redis_version() -> str:
    try:
        out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True,
                             timeout=10).stdout
        return out.split("v=")[1].split()[0] if "v=" in out else "?"
    except (OSError, IndexError):
        return "?"


def drags_md(results: dict[str, Any]) -> str:
    """What drags add: this server's capacity with drags (coalesced per tick, R9) beside
    notes only, and the relay's, from the same run."""
    rows = []
    for name in ("vh_memory", BASE1):
        with_drags = capacity(results, "ladder").get(name, {}).get("best")
        notes = capacity(results, "notes").get(name, {}).get("best")
        if with_drags and notes:
            rows.append(f"{name}: {f(with_drags['delivered_s'])} /s with drags at "
                        f"{with_drags['W']} writers, {f(notes['delivered_s'])} /s notes "
                        f"only at {notes['W']} writers")
    if not rows:
        return ""
    return ("**What drags add.** A writer of the ladder above drags at 30 Hz beside one note a "
            "second: thirty drag positions for each note. This server sends only the last "
            "position of each note per 33 ms tick (R9), so most of what the ladder counts as "
            "delivered drags are positions superseded and never sent, while a relay sends every "
            "one; compare notes only for like with like. Same run: " + "; ".join(rows) + ".")


# --- targets ---------------------------------------------------------------------------------


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for workload, official in (("ladder", True), ("notes", False)):
        cap = capacity(results, workload)
        if "vh_memory" not in cap:
            continue

        def best(name: str, cap: dict[str, Any] = cap) -> float | None:
            b = cap.get(name, {}).get("best")
            return b["delivered_s"] if b else None

        vh, r1, y = best("vh_memory"), best(BASE1), best(BASE3)
        if official:
            ok = vh is not None and (r1 is None or vh >= 0.7 * r1) and (y is None or vh >= y)
            what = ("300 clients on one board (writers add notes and drag at 30 Hz): ops "
                    "delivered/s at p99 ≤ 100 ms with zero loss ≥ 0.7× raw Python relay and ≥ 1× "
                    "y-websocket")
        else:  # R54, issue 21: like with like, nothing coalesced on either side
            ok = vh is not None and r1 is not None and vh >= 2 * r1
            what = ("300 clients on one board, writers that only add notes (no drags, nothing to "
                    "coalesce; each writer within the rate limit, 10 notes/s): ops delivered/s "
                    "at p99 ≤ 100 ms with zero loss ≥ 2× raw Python relay (events batched per "
                    "tick, R54)")
        out.append({"target": what,
                    "measured": f"{f(vh)} /s; {ratio(vh, r1)} of (1) ({f(r1)} /s), "
                                f"{ratio(vh, y)} of (3) ({f(y)} /s)",
                    "ok": ok})
    ws = [r for r in runs(results, "workshop") if r["target"] == "vh_memory"]
    if ws:
        p99 = ws[0]["latency"]["p99"]
        out.append({"target": "workshop shape (300 clients over four corners + facilitator): "
                              "p99 ≤ 50 ms",
                    "measured": f"p99 {f(p99)} ms (note.add {f(kind_p99(ws[0], 'add'))} ms,"
                                f" drag {f(kind_p99(ws[0], 'drag'))} ms)"
                                f", {clean(ws[0])} lost",
                    "ok": p99 is not None and p99 <= 50 and clean(ws[0]) == "0"})
    idle = [i for i in results["idle"] if i["target"] == "vh_memory"]
    if idle and idle[0]["points"]:
        last = idle[0]["points"][-1]
        per = idle[0]["slope_kib"] if idle[0]["slope_kib"] is not None else last["per_conn_kib"]
        out.append({"target": "≤ 20 KiB per idle connection",
                    "measured": f"{f(per)} KiB (slope over "
                                f"{', '.join(str(p['n']) for p in idle[0]['points'])}"
                                f" connections; {f(last['per_conn_kib'])} KiB at {last['n']})",
                    "ok": per <= 20})
    for s in results["storm"]:
        ok_s = (s.get("all_caught_up_s") is not None and s["all_caught_up_s"] <= 2.0
                and not s.get("failed") and s["gaps"] == 0 and s["dups"] == 0
                and not s.get("seq_missing") and not sum(s["lost"].values()))
        out.append({"target": f"reconnect storm, {s.get('clients')} of "
                              f"{2 * (s.get('clients') or 0)} clients ({SHORT[s['target']]}): "
                              "all caught up ≤ 2 s, nothing missed",
                    "measured": f"all caught up in {f(s.get('all_caught_up_s'), 2)} s (median "
                                f"{f(s.get('p50_caught_up_s'), 2)} s); gaps {s['gaps']}, "
                                f"duplicates {s['dups']}, behind {s.get('seq_missing')}, "
                                f"full states {s.get('full_states')}",
                    "ok": ok_s})
    for b in results["bulk"]:
        if not b["target"].startswith("vh"):
            continue
        enc = results.get("state_encode", {})
        out.append({"target": f"{b['notes']}-note board: full-state join ≤ 100 ms on the server",
                    "measured": f"join over loopback: first {f(b['join_first_ms'])} ms, median "
                                f"{f(b['join_median_ms'])} ms ({b['state_bytes'] / 1024:.0f} KiB);"
                                f" server-side state frame {f(enc.get('encode_ms'))} ms",
                    "ok": b["join_first_ms"] is not None and b["join_first_ms"] <= 100})
    for r in results["render"]:
        out.append({"target": f"{r['notes']}-note board rendered in Chromium ≤ 1 s",
                    "measured": f"first {f(r['first_ms'], 0)} ms, median {f(r['median_ms'], 0)} ms"
                                f" ({', '.join(f(x, 0) for x in r['rendered_ms'])})",
                    "ok": r["first_ms"] <= 1000})
    single = [r for r in runs(results, "one_board") if r["target"] == "vh_redis"]
    double = [r for r in runs(results, "one_board") if r["target"] == "vh_redis2"]
    if single and double:
        s_by, d_cat = single[-1]["latency_by_kind"], double[-1]["latency_by_cat"]
        s_add = s_by.get("add", {}).get("p99")
        x_add = d_cat.get("add.cross", {}).get("p99")
        out.append({"target": "Redis, two processes: cross-process p99 ≤ 1.5× single-process "
                              "p99 — events (note.add)",
                    "measured": f"cross-process p99 {f(x_add)} ms vs one process {f(s_add)} ms "
                                f"({ratio(x_add, s_add)}); same-process in the two-process run "
                                f"{f(d_cat.get('add.same', {}).get('p99'))} ms",
                    "ok": x_add is not None and s_add is not None and x_add <= 1.5 * s_add})
        s_drag = s_by.get("drag", {}).get("p99")
        x_drag = d_cat.get("drag.cross", {}).get("p99")
        out.append({"target": "… and drags",
                    "measured": (f"cross-process p99 {f(x_drag)} ms vs one process {f(s_drag)} ms"
                                 f" ({ratio(x_drag, s_drag)})") if x_drag is not None else
                                ("no drag from a writer on one process reached any receiver on "
                                 f"the other ({d_cat.get('drag.same', {}).get('n', 0)} drag "
                                 "deliveries, all within one process)"),
                    "ok": x_drag is not None and s_drag is not None and x_drag <= 1.5 * s_drag})
    out.extend(heavy_targets(results))
    out.extend(firstload.targets(results))
    return out


# R44: a heavy request stalls the event loop (everyone waits) at most this long.
STALL_TARGET_MS = 20.0
VOTE_TARGET_MS = 50.0


def heavy_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    heavy = results.get("heavy")
    if not heavy:
        return []
    out = []
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in heavy["requests"]:
        if "voters" in row["request"]:
            continue
        key = row["request"].split(", ")[0]
        groups.setdefault(key, []).append(row)
    for key, rows in groups.items():
        worst = max(r["stall_ms"] for r in rows)
        out.append({"target": f"{key}: longest event-loop stall ≤ {STALL_TARGET_MS:.0f} ms",
                    "measured": f"{f(worst)} ms (longest of {len(rows)}; the request took "
                                f"{f(max(r['seconds'] for r in rows) * 1000, 0)} ms)",
                    "ok": worst <= STALL_TARGET_MS})
    v = heavy.get("votes") or {}
    if v:
        vp = v.get("vote_p99_ms")
        out.append({"target": f"vote.cast p99 with {v['voters']} voters ≤ "
                              f"{VOTE_TARGET_MS:.0f} ms",
                    "measured": f"{f(vp)} ms (note.add p99 {f(v.get('note_p99_ms'))} ms beside "
                                f"{v['writers']} writers; {v['votes']} dots)",
                    "ok": vp is not None and vp <= VOTE_TARGET_MS})
    return out


def heavy_md(results: dict[str, Any]) -> str:
    heavy = results.get("heavy")
    if not heavy:
        return "Not measured in this run."
    rows = [[r["request"], f(r["seconds"] * 1000, 0), f(r["stall_ms"]),
             f(r.get("late_ms")), str(r["stalls_over_20ms"]), f(r["gc_longest_ms"])]
            for r in heavy["requests"]]
    v = heavy.get("votes") or {}
    lines = [
        table(["request", "took ms", "longest event-loop stall ms (server working)",
               "longest overshoot ms (incl. waiting for a CPU)", "stalls > 20 ms",
               "longest GC pause ms"], rows),
        "",
        f"Longest garbage-collection pause in the whole run: {f(heavy.get('gc_longest_ms'))} ms"
        + (" (" + "; ".join(f"generation {g['generation']}: {f(g['ms'])} ms, {g['when']}"
                            for g in heavy.get("gc_top", [])[:3]) + ")."
           if heavy.get("gc_top") else "."),
    ]
    if v:
        lines += ["", f"With {v['voters']} voters (each following the control board, a dot "
                      f"cast or taken back a second) beside {v['writers']} writers (a note a "
                      f"second), from sending to the ack: vote.cast p99 "
                      f"{f(v['vote_p99_ms'])} ms ({v['votes']} dots), note.add p99 "
                      f"{f(v['note_p99_ms'])} ms ({v['notes']} notes)."]
    if heavy.get("failures"):
        lines += ["", "Failed: " + "; ".join(heavy["failures"])]
    return "\n".join(lines)


def kind_p99(r: dict[str, Any], kind: str) -> float | None:
    return r["latency_by_kind"].get(kind, {}).get("p99")


def merge_cats(r: dict[str, Any], suffix: str) -> float | None:
    """p99 over the categories ending in ``suffix`` (exact when there is one; otherwise the
    worst of them, which is an upper bound)."""
    vals = [v["p99"] for k, v in r["latency_by_cat"].items() if k.endswith(suffix) and v["p99"]]
    return max(vals) if vals else None


# --- markdown --------------------------------------------------------------------------------


def one_board_table(results: dict[str, Any]) -> str:
    rs = runs(results, "one_board")
    base: dict[tuple[str, int], dict[str, Any]] = {(r["target"], r["n_clients"]): r for r in rs}
    rows = []
    for r in sorted(rs, key=lambda r: (r["n_clients"], ORDER.index(r["target"])
                                       if r["target"] in ORDER else 99)):
        b1 = base.get((BASE1, r["n_clients"]))
        b3 = base.get((BASE3, r["n_clients"]))
        lat = r["latency"]
        k = r["latency_by_kind"]
        rows.append([
            SHORT.get(r["target"], r["target"]), str(r["n_clients"]), str(r["W"]),
            f(r["ops_in_s"], 0), f(r["delivered_s"], 0), f(r["frames_s"], 0),
            f(lat["p50"]), f(lat["p99"]), f(lat["p999"]),
            f(k.get("add", {}).get("p99")), f(k.get("drag", {}).get("p99")),
            clean(r), cpu(r), runq(r), rss(r),
            ratio(r["delivered_s"], b1["delivered_s"] if b1 else None),
            ratio(r["delivered_s"], b3["delivered_s"] if b3 else None),
            ratio(lat["p99"], b1["latency"]["p99"] if b1 else None),
            ratio(lat["p99"], b3["latency"]["p99"] if b3 else None),
            lgcpu(r), others(r),
        ])
    return table(["peer", "N", "writers", "ops in/s", "ops delivered/s", "frames/s",
                  "p50 ms", "p99 ms", "p99.9 ms", "note.add p99", "drag p99",
                  "lost or late/dup/reorder", "server CPU", "server waited for CPU", "RSS MB",
                  "delivered ÷ (1)", "delivered ÷ (3)", "p99 ÷ (1)", "p99 ÷ (3)",
                  "load gen CPU", "other processes' CPU"], rows)


def ladder_table(results: dict[str, Any], workload: str = "ladder") -> str:
    cap = capacity(results, workload)
    rows = []
    for name in ORDER:
        if name not in cap:
            continue
        for r in cap[name]["phases"]:
            lat = r["latency"]
            rows.append([
                SHORT[name], str(r["W"]) + (" (again)" if r.get("attempt", 1) > 1 else ""),
                f(r["ops_in_s"], 0), f(r["delivered_s"], 0),
                f(r["frames_s"], 0), f(lat["p50"]), f(lat["p99"]),
                f(r["latency_by_kind"].get("add", {}).get("p99")),
                f(r["latency_by_kind"].get("drag", {}).get("p99")), clean(r), cpu(r),
                runq(r), lgcpu(r), others(r),
                "**capacity**" if cap[name]["best"] is r else (r["failed"] or "passed"),
            ])
    return table(["peer", "writers", "ops in/s", "ops delivered/s", "frames/s", "p50 ms",
                  "p99 ms", "note.add p99", "drag p99", "lost or late/dup/reorder", "server CPU",
                  "server waited for CPU", "load gen CPU", "other processes' CPU",
                  "capacity point / why not"], rows)


def capacity_table(results: dict[str, Any], workload: str = "ladder") -> str:
    cap = capacity(results, workload)

    def best(name: str) -> float | None:
        b = cap.get(name, {}).get("best")
        return b["delivered_s"] if b else None

    rows = []
    for name in ORDER:
        if name not in cap:
            continue
        b = cap[name]["best"]
        rows.append([SHORT[name], f(best(name), 0), str(b["W"]) if b else "–",
                     f(b["latency"]["p99"]) if b else "–", ratio(best(name), best(BASE1)),
                     ratio(best(name), best(BASE3))])
    return table(["peer", "ops delivered/s at p99 ≤ 100 ms, zero loss", "writers",
                  "p99 ms there", "÷ (1)", "÷ (3)"], rows)


def workshop_table(results: dict[str, Any]) -> str:
    rows = []
    rs = runs(results, "workshop")
    b1 = next((r for r in rs if r["target"] == BASE1), None)
    b3 = next((r for r in rs if r["target"] == BASE3), None)
    for r in sorted(rs, key=lambda r: ORDER.index(r["target"]) if r["target"] in ORDER else 99):
        lat = r["latency"]
        fac = merge_cats(r, ".fac")
        rows.append([SHORT.get(r["target"], r["target"]), str(r["n_clients"]), str(r["W"]),
                     f(r["ops_in_s"], 0), f(r["delivered_s"], 0), f(r["frames_s"], 0),
                     f(lat["p50"]), f(lat["p99"]), f(lat["p999"]), f(fac), clean(r), cpu(r),
                     rss(r), ratio(lat["p99"], b1["latency"]["p99"] if b1 else None),
                     ratio(lat["p99"], b3["latency"]["p99"] if b3 else None)])
    return table(["peer", "connections", "writers", "ops in/s", "ops delivered/s", "frames/s",
                  "p50 ms", "p99 ms", "p99.9 ms", "facilitator p99", "lost or late/dup/reorder",
                  "server CPU", "RSS MB", "p99 ÷ (1)", "p99 ÷ (3)"], rows)


def idle_table(results: dict[str, Any]) -> str:
    rows = []
    for i in sorted(results["idle"], key=lambda i: ORDER.index(i["target"])
                    if i["target"] in ORDER else 99):
        pts = {p["n"]: p for p in i["points"]}
        rows.append([SHORT.get(i["target"], i["target"]), f(i["base_rss_mb"])]
                    + [f"{f(p['rss_mb'])} MB / {f(p['per_conn_kib'])} KiB" for p in pts.values()]
                    + [f(i["slope_kib"])])
    n = [str(p["n"]) for p in results["idle"][0]["points"]] if results["idle"] else []
    return table(["peer", "RSS before, MB", *[f"{x} idle: RSS / per conn" for x in n],
                  "KiB per connection (slope)"], rows)


def memprobe_md(results: dict[str, Any]) -> str:
    m = results.get("memprobe")
    if not m:
        return ""
    return "\n".join([
        f"Where this server's memory per idle connection goes (tracemalloc, {m['connections']} "
        f"connections, Python objects only: {f(m['traced_kib_per_conn'])} KiB traced per "
        "connection; the rest of RSS is the allocator's and the kernel's):",
        "",
        table(["allocated at", "KiB per connection", "blocks per connection"],
              [[f"`{r['where']}`", f(r["kib_per_conn"], 2), f(r["blocks_per_conn"])]
               for r in m["by_line"]]),
        "",
        table(["file", "KiB per connection"],
              [[f"`{r['file']}`", f(r["kib_per_conn"], 2)] for r in m["by_file"]]),
    ])


def verify_md(results: dict[str, Any]) -> str:
    """y-websocket: the verifying clients' documents against the notes sent to their board."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for v in results.get("verify", []):
        key = (v["target"], v.get("run", ""))
        g = groups.setdefault(key, {"sent": {}, "found": []})
        g["sent"].update(v.get("adds_by_board", {}))
        g["found"] += v.get("verifiers", [])
    bad: list[str] = []
    checked = 0
    for (target, run), g in groups.items():
        for ver in g["found"]:
            checked += 1
            want = g["sent"].get(ver["board"], ver["notes"])
            if ver["notes"] != want:
                workload, n = run.split("-")[0], run.split("-")[1].lstrip("n")
                p99s = [r["latency"]["p99"] for r in runs(results, workload)
                        if r["target"] == target and str(r["n_clients"]) == n
                        and r["latency"]["p99"]]
                bad.append(f"{workload} with {n} clients: {ver['notes']} of {want} notes"
                           + (f" (a run with p99 {f(max(p99s) / 1000)} s: still queued, not "
                              "proven lost)" if p99s and max(p99s) > 1000 else ""))
    if not checked:
        return ""
    return (f"y-websocket: {checked} verifying clients (one per document and run) applied every "
            "update to a Y.Doc and, once their documents had stopped growing for 3 s (at most "
            f"30 s after the last phase), {checked - len(bad)} held exactly the notes sent to "
            "their document" + (f"; not complete: {'; '.join(bad)}." if bad else "."))


def storm_table(results: dict[str, Any]) -> str:
    rows = []
    for s in results["storm"]:
        rows.append([SHORT.get(s["target"], s["target"]), str(s.get("clients")),
                     f(s.get("gap_s")), f(s.get("all_caught_up_s"), 3),
                     f(s.get("p50_caught_up_s"), 3), str(s.get("full_states")),
                     str(s.get("failed")), f"{s['gaps']} / {s['dups']} / {s.get('seq_missing')}",
                     f(s.get("p99_ms"))])
    return table(["peer", "clients dropped", "away s", "all caught up s", "median s",
                  "full states sent", "failed", "gaps / dups / behind at end",
                  "p99 ms of the phase"], rows)


def bulk_table(results: dict[str, Any]) -> str:
    rows = []
    for b in results["bulk"]:
        joins = b["joins_ms"]
        applied = [j["applied_ms"] for j in joins if "applied_ms" in j]
        rows.append([SHORT.get(b["target"], b["target"]), str(b["notes"]), f(b["fill_s"]),
                     f"{b['state_bytes'] / 1024:.0f}", f(b["join_first_ms"]),
                     f(b["join_median_ms"]),
                     f(sorted(applied)[len(applied) // 2]) if applied else "–"])
    return table(["peer", "notes", "fill s", "state KiB", "first join ms",
                  "median join ms", "Y.Doc applied ms (median)"], rows)


def redis_table(results: dict[str, Any]) -> str:
    rows = []
    for r in runs(results, "one_board") + runs(results, "workshop"):
        if r["target"] not in ("vh_redis", "vh_redis2", "vh_memory", "vh_sqlite"):
            continue
        if r["n_clients"] < 300 and r["workload"] == "one_board":
            continue
        cats = r["latency_by_cat"]
        multi = any(k.endswith((".same", ".cross")) for k in cats)

        def p99(kind: str, where: str, cats: dict[str, Any] = cats, multi: bool = multi) -> str:
            if not multi:
                return f(cats.get(kind, {}).get("p99")) if where == "same" else "–"
            c = cats.get(f"{kind}.{where}")
            return f(c.get("p99")) if c else "never arrived"

        rows.append([SHORT[r["target"]], r["workload"], str(r["n_clients"]),
                     f(r["latency"]["p50"]), f(r["latency"]["p99"]),
                     p99("add", "same"), p99("add", "cross"), p99("drag", "same"),
                     p99("drag", "cross"), clean(r), cpu(r),
                     f(r.get("redis_cpu") and 100 * r["redis_cpu"], 0)])
    return table(["peer", "workload", "clients", "p50 ms", "p99 ms",
                  "note.add p99, same process", "note.add p99, cross process",
                  "drag p99, same process", "drag p99, cross process", "lost or late",
                  "server CPU", "redis CPU %"], rows)


def profile_md(results: dict[str, Any]) -> str:
    parts = []
    for p in results["profiles"]:
        parts.append(f"### {p['title']}\n")
        run = p.get("run")
        if run:
            parts.append(f"Under cProfile (which slows Python code, so the latency here is not "
                         f"comparable): {f(run['ops_in_s'], 0)} ops in/s, "
                         f"{f(run['delivered_s'], 0)} delivered/s, {f(run['frames_s'], 0)} "
                         f"frames/s, p99 {f(run['latency']['p99'])} ms.\n")
        parts.append(f"{p['busy_s']:.1f} s of CPU in the server's thread over the whole "
                     f"profiled run (plus {p['idle_s']:.1f} s waiting in epoll).\n")
        gcp = p.get("gc")
        if gcp and gcp["by_generation"]:
            parts.append("Garbage-collector pauses in the measured window "
                         f"({gcp['window_s']:.0f} s): " + "; ".join(
                             f"generation {g}: {v['count']} pauses, {v['total_ms']:.0f} ms in "
                             f"all, longest {v['max_ms']:.1f} ms"
                             for g, v in sorted(gcp["by_generation"].items())) + ".\n")
        parts.append(table(["package (own time)", "s", "% of busy"],
                           [[r["package"], f(r["tottime_s"], 2), f(r["pct_busy"])]
                            for r in p["by_package"][:10]]))
        parts.append("\nTop functions by own time:\n")
        parts.append(table(["function", "where", "calls", "own s", "% busy", "cum s"],
                           [[f"`{r['function']}`", f"`{r['where']}`", str(r["ncalls"]),
                             f(r["tottime_s"], 3), f(r["pct_busy"]), f(r["cumtime_s"], 2)]
                            for r in p["top_tottime"][:20]]))
        parts.append("\nTop functions by cumulative time (the event loop's frames left out):\n")
        parts.append(table(["function", "where", "calls", "cum s", "% busy"],
                           [[f"`{r['function']}`", f"`{r['where']}`", str(r["ncalls"]),
                             f(r["cumtime_s"], 2), f(r["cum_pct_busy"])]
                            for r in p["top_cumtime"][:20]]))
    enc = results.get("state_encode")
    if enc:
        parts.append(f"\n**Full-state join, server side** ({enc['notes']} notes, "
                     f"{enc['bytes'] / 1024:.0f} KiB): {f(enc['encode_ms'])} ms cold, "
                     f"{f(enc['encode_min_ms'])} ms best of {len(enc['times_ms'])}. "
                     "Profile of one:\n")
        parts.append(table(["function", "calls", "own ms", "%", "cum ms"],
                           [[f"`{r['function']}`", str(r["ncalls"]), f(r["tottime_ms"]),
                             f(r["pct"]), f(r["cumtime_ms"])] for r in enc["profile"]]))
    return "\n".join(parts)


def render_profile_md(results: dict[str, Any]) -> str:
    ren = [r for r in results["render"] if r.get("profile")]
    if not ren:
        return ""
    pr = ren[0]["profile"]
    mt = pr["metrics_ms"]
    return "\n".join([
        f"One more load under Chrome's sampling profiler (rendered in {f(pr['rendered_ms'], 0)} "
        f"ms): tasks {f(mt['TaskDuration'], 0)} ms, script {f(mt['ScriptDuration'], 0)} ms, "
        f"layout {f(mt['LayoutDuration'], 0)} ms, style {f(mt['RecalcStyleDuration'], 0)} ms. "
        "Self time by function (`(program)` is the browser's own work: parsing, style, "
        "layout, paint):",
        "",
        table(["function", "ms", "%"], [[f"`{x['function']}`", f(x["ms"], 0), f(x["pct"])]
                                        for x in pr["top_self"]]),
    ])


def hotspots_md(results: dict[str, Any]) -> str:
    """The profile read for whoever changes the server: numbers from this run."""
    profs = {("notes" if "no drags" in p["title"] else "mixed"): p for p in results["profiles"]}
    out: list[str] = []

    def n(key: str, which: str = "mixed", field: str = "cum_pct") -> str:
        p = profs.get(which)
        v = p["named"].get(key, {}).get(field) if p else None
        return "–" if v is None else f"{v:.0f} %"

    def pkg(name: str, which: str) -> str:
        p = profs.get(which)
        if not p:
            return "–"
        v = next((r["pct_busy"] for r in p["by_package"] if r["package"] == name), None)
        return "–" if v is None else f"{v:.0f} %"

    if profs:
        out.append(
            "1. **Frames to receivers are the server's cost, and they are now one write "
            "each.** Every event is JSON-encoded once (`connection.encode`), framed once for all "
            "receivers (`wire` frame cache) and written straight to each receiver's transport "
            "(`Wire._write`); there is no queue, task or ASGI layer per frame any more "
            "(server/wire.py). `Connection.send` and what it calls: "
            f"{n('connection.Connection.send')} of the server's CPU with notes and drags, "
            f"{n('connection.Connection.send', 'notes')} with notes only, nearly all of it the "
            "own time "
            f"of `Wire._write` ({n('wire.Wire._write', 'mixed', 'own_pct')} / "
            f"{n('wire.Wire._write', 'notes', 'own_pct')}) — that is the `write()` system call "
            "inside uvloop's Cython transport, which cProfile cannot see into; the frame cache "
            f"costs {n('wire frame cache', 'notes')}. Reading and parsing what clients send "
            f"(`Wire.data_received`, the `websockets` parser, `Server.receive`): "
            f"{n('wire.Wire.data_received')} / {n('wire.Wire.data_received', 'notes')}; "
            f"pydantic {pkg('pydantic', 'notes')} and the rules (`board.apply`) "
            f"{n('board.apply', 'notes')}. (Time cProfile books on a long-lived coroutine such "
            "as the app's `lifespan` is the event loop's own work under it — epoll and "
            "uvloop's callbacks — not that function's.) What would still help: one write per "
            "receiver per stored batch (`transport.writelines` of the batch's frames) instead "
            "of one per event, once batches grow under load.\n")
    enc = results.get("state_encode")
    if enc:
        top = enc["profile"][:3]
        bulk = next((b for b in results["bulk"] if b["target"].startswith("vh")), None)
        fast = enc["encode_ms"] <= 100
        text = (f"2. **A big board's full state.** `Room.state_frame` for {enc['notes']} notes, "
                f"its cache emptied, takes {f(enc['encode_ms'], 0)} ms the first time and "
                f"{f(enc['encode_min_ms'], 0)} ms at best in the server's process"
                + (f"; the first join over loopback took {f(bulk['join_first_ms'], 0)} ms and "
                   f"later ones {f(bulk['join_median_ms'], 0)} ms (cached)" if bulk else "")
                + (". Within the 100 ms target. " if fast else ". Above the 100 ms target. ")
                + "Where a cold build goes (under the profiler): "
                + ", ".join(f"`{r['function']}` {r['pct']:.0f} %" for r in top) + ". ")
        names = " ".join(r["function"] for r in top)
        if "_asdict_inner" in names or "asdict" in names:
            text += ("`dataclasses.asdict` deep-copies every field of every note: a dict "
                     "literal in `to_dict`, or orjson serializing the slotted dataclasses "
                     "natively, removes it. ")
        if "to_python" in names or "model_dump" in names:
            text += ("pydantic's `model_dump` walks the whole state again: encoding the state "
                     "dict with orjson directly removes it. ")
        if fast and "to_dict" in names:
            text += ("What is left is one dict per note (`Note.to_dict`); orjson can serialize "
                     "the slotted dataclasses itself if it ever matters. ")
        if profs.get("notes") and profs["notes"]["named"].get("dataclasses.asdict", {}).get(
                "cum_pct", 0) >= 1:
            text += (f"`dataclasses.asdict` is still {n('dataclasses.asdict', 'notes')} of the "
                     "notes-only profile (snapshots every 500 ops, `Actor.to_dict` per op). ")
        out.append(text + "\n")
    mem = results.get("memprobe")
    idle = {i["target"]: i for i in results["idle"]}
    if mem and "vh_memory" in idle:
        def slope(name: str) -> str:
            v = idle.get(name, {}).get("slope_kib")
            return "–" if v is None else f"{v:.1f} KiB"
        ours = [r for r in mem["by_file"] if r["file"].startswith("server/")]
        out.append(
            f"3. **Memory per idle connection**: {slope('vh_memory')} for this server, "
            f"{slope('relay_starlette')} for the bare relay on Starlette/uvicorn's own websocket "
            f"protocol, {slope('relay_ws')} for the relay on `websockets` alone, "
            f"{slope('yws')} for y-websocket. An idle connection here is a `Wire` (uvicorn's "
            "protocol object, server/wire.py), its `websockets` parser and a `Connection` "
            "(server/connection.py, with `__slots__`): no task, queue or event; the outbox exists "
            "only while a transport is paused, and one task pings every connection. "
            f"tracemalloc: {f(mem['traced_kib_per_conn'])} KiB of Python objects per "
            "connection, of which this project's files "
            + ", ".join(f"`{r['file']}` {r['kib_per_conn']:.2f} KiB" for r in ours[:4])
            + "; the rest is the parser, the transport and the handshake's headers.\n")
    one = [r for r in runs(results, "one_board") if r["target"] == "vh_memory"]
    if one:
        drag50 = one[0]["latency_by_kind"].get("drag", {})
        add50 = one[0]["latency_by_kind"].get("add", {})
        out.append(
            f"4. **Drags wait at most one tick, and only under load.** With "
            f"{one[0]['n_clients']} clients a drag arrives after p50 {f(drag50.get('p50'))} ms, "
            f"p99 {f(drag50.get('p99'))} ms (a note.add: p99 {f(add50.get('p99'))} ms). "
            "`Room.drag` sends the first position after a quiet tick at once and coalesces "
            "what follows within that tick (R9, 33 ms): a lone drag does not wait, a board "
            "full of dragging hands gets at most 30 drag frames a second. Under load most "
            "positions fall inside a tick, so the drag p99 approaches one tick by design.\n")
    r2 = [r for r in runs(results, "one_board") if r["target"] == "vh_redis2"]
    if r2:
        cats = r2[-1]["latency_by_cat"]
        same, cross = cats.get("drag.same", {}), cats.get("drag.cross", {})
        if cross.get("n"):
            out.append(
                "5. **With Redis, drags cross processes by pub/sub.** Each process publishes "
                "its own clients' positions once per tick on a channel of the board "
                "(`vh:drag:<board>`, not stored); the others pass them on as they arrive. "
                f"Drag p99 to receivers on the writer's process {f(same.get('p99'))} ms, on the "
                f"other process {f(cross.get('p99'))} ms ({cross.get('n', 0)} deliveries across "
                "processes).\n")
        elif same.get("n"):
            out.append(
                "5. **With Redis, drags do not cross processes.** With two processes, no "
                "receiver got a single drag from a writer on the other process (drag "
                "deliveries: same process only).\n")
    ren = [r for r in results["render"] if r.get("profile")]
    if ren:
        pr = ren[0]["profile"]
        mt = pr["metrics_ms"]
        js = [x for x in pr["top_self"] if "(" in x["function"] and ".js:" in x["function"]][:4]
        out.append(
            f"6. **Rendering {ren[0]['notes']} notes in Chromium** takes "
            f"{f(ren[0]['median_ms'], 0)} ms (median). In a profiled load the main thread "
            f"spent {f(mt['ScriptDuration'], 0)} ms in script, {f(mt['LayoutDuration'], 0)} ms "
            f"in layout and {f(mt['RecalcStyleDuration'], 0)} ms recalculating style "
            f"({f(mt['TaskDuration'], 0)} ms of tasks in all); the JavaScript with the most "
            "self time: " + ", ".join(f"`{x['function']}` {x['ms']:.0f} ms" for x in js)
            + ". "
            + ("On the corner screen most of it is `ProjectorView.fit` (web/projector.js): it "
               "steps through densities reading every zone's `scrollHeight` after each change, "
               "then calls `getBoundingClientRect()` on every note to count what is cut off, "
               "appending the 'more' line between zones — every read after a write makes the "
               "browser recalculate style and lay out thousands of cards again. Reading what "
               "is needed first and writing after (or finding the first note that does not "
               "fit by bisection instead of measuring all of them) leaves one layout per "
               "density. "
               if any("projector.js" in x["function"] and x["pct"] > 20 for x in pr["top_self"])
               else "")
            + ("For the cards themselves: building a station's cards into a `DocumentFragment` "
               "(or the first screenful first and the rest in idle time) and "
               "`content-visibility: auto` on stations are the usual remedies."
               if ren[0]["median_ms"] > 1000 else "Within the 1 s target.") + "\n")
    return "\n".join(out)


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.8))
    colors = {"relay_ws": "tab:blue", "relay_starlette": "tab:orange", "yws": "tab:green",
              "vh_memory": "tab:red", "vh_sqlite": "tab:purple", "vh_redis": "tab:brown",
              "vh_redis2": "tab:pink"}
    markers = {"vh_sqlite": "s", "vh_redis": "^", "vh_redis2": "v"}
    names = [n for n in ORDER if any(r["target"] == n for r in results["runs"])]
    for name in names:
        pts = sorted((r["n_clients"], r["latency"]["p99"]) for r in runs(results, "one_board")
                     if r["target"] == name and r["latency"]["p99"])
        if pts:
            a1.plot([p[0] for p in pts], [p[1] for p in pts], marker=markers.get(name, "o"),
                    color=colors.get(name), label=SHORT[name],
                    linestyle="-" if len(pts) > 1 else "none")
        for workload, style in (("ladder", "-"), ("notes", "--")):
            last: dict[int, dict[str, Any]] = {}
            for r in runs(results, workload):
                if r["target"] == name and r["latency"]["p99"]:
                    last[r["W"]] = r  # a retried step counts with its last try
            lad = sorted((r["delivered_s"], r["latency"]["p99"]) for r in last.values())
            if lad:
                a2.plot([p[0] for p in lad], [p[1] for p in lad], marker="o", linestyle=style,
                        color=colors.get(name),
                        label=SHORT[name] + (" (notes only)" if workload == "notes" else ""))
    for ax in (a1, a2):
        ax.axhline(CAPACITY_P99_MS, color="grey", linestyle="--", linewidth=1)
        ax.set_yscale("log")
        ax.set_ylabel("p99 latency to all receivers, ms")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    a1.set_xlabel("clients on one board (10 % write: 1 note/s, drag at 30 Hz)")
    a1.set_title("p99 against clients")
    a2.set_xscale("log")
    from matplotlib.ticker import FuncFormatter, NullFormatter
    a2.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x / 1000:.0f}k"))
    a2.xaxis.set_minor_formatter(NullFormatter())
    a2.set_xlabel("ops delivered/s (300 clients; dashed: notes only)")
    a2.set_title("p99 against load (ladder)")
    fig.suptitle(f"vierhoeken bench, {results.get('started', '')}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(results: dict[str, Any], png: str) -> str:
    m = machine()
    ts = targets(results)
    mins = results.get("elapsed_s", 0) / 60
    lines = [
        "# Performance",
        "",
        "Measured by `make bench` (bench/); this page is written by it, do not edit it by hand.",
        "",
        f"- **Run**: {results.get('started', '?')}, `{results.get('command', 'make bench')}`, "
        f"{mins:.1f} minutes.",
        f"- **Machine**: {m['cpu']}, {m['memory']}, {m['os']}; shared with other work, so "
        "compare peers within this run, not runs with each other. Load average "
        f"{load(results.get('loadavg_start'))} at the start, {load(results.get('loadavg_end'))} "
        "at the end; every table gives the CPU other processes used during each measurement "
        "and how long the server waited for a CPU (a runnable server that waits is the "
        "machine's doing, not the server's).",
        f"- **Software**: Python {m['python']}, Node {m['node']}; {m['versions']}.",
        "",
        "## Targets",
        "",
        table(["target", "measured", ""], [[t["target"], t["measured"], met(t["ok"])]
                                            for t in ts]),
        "",
    ]
    if results.get("failures"):
        lines += ["**Parts of the run that failed:**", ""]
        lines += [f"- `{x.splitlines()[0][:300]}`" for x in results["failures"]]
        lines.append("")
    lines += [
        "## How it is measured",
        "",
        "- **Peers**, side by side in one run, each its own process on 127.0.0.1: "
        "(1) `bench/relay_ws.py`, a raw relay with `websockets.broadcast` — every frame to every "
        "connection of the room, nothing parsed or stored: the Python ceiling; "
        "(2) `bench/relay_starlette.py`, the same relay as a Starlette endpoint on uvicorn "
        "(uvicorn's `websockets-sansio` protocol, as this server used before it had its own, "
        "`server/wire.py`): the cost of the stack; "
        "(3) y-websocket's own `bin/server.js`, driven through the Yjs sync protocol (each note a "
        "`Y.Map`, a drag one map update); (4) this server, `python -m server serve`, with "
        "`memory://`, `sqlite:///…` and `redis://…` (one and two processes), spoken to with the "
        "real protocol: `POST /api/sessions`, `GET /api/join/<code>`, `hello`, `subscribe`, `op "
        "note.add`, `drag`.",
        "- **Workload**: on a board of N clients, N/10 writers each add a note every second and "
        "drag a note at 30 Hz; everyone (writers too) receives. The *ladder* keeps 300 clients "
        "and adds writers step by step until p99 passes 100 ms or anything is lost. The *workshop* "
        "puts 300 clients over the four corner boards, plus a facilitator following all four "
        "(and the control board).",
        "- **Open loop**: op *k* of writer *w* is due at a fixed time; latency runs from that "
        "intended time to receipt at every receiver, so a late sender makes latency worse, "
        "never better. The senders (all writers) run in one load-generator process, the other "
        "receivers in a second, so receiving never delays a send (`load gen CPU` shows both).",
        "- **ops in/s** are ops sent in the measured window; **ops delivered/s** count (op, "
        "receiver) pairs that arrived; **frames/s** are websocket messages received. This "
        "server coalesces drags per 33 ms tick (R9): a drag position superseded within a tick "
        "is never sent, so its *drag* deliveries are fewer than sent × receivers and its frames "
        "far fewer; a note.add is never coalesced.",
        "- **Loss, duplicates, order**: this server's events are checked per board and receiver "
        "by `seq` (no gap, no repeat; after the drain every receiver is at the last seq); drags "
        "per note must only move forward. The relays and y-websocket are checked per writer by "
        "the op counter each op carries, and y-websocket's documents of one verifying client "
        "per board must hold every note at the end.",
        "- **CPU and RSS** of each server process by psutil over the measured window (100 % = "
        "one core). Latency percentiles come from 1 %-wide log buckets.",
        "",
        "## One board",
        "",
        one_board_table(results),
        "",
        "## Capacity: 300 clients on one board, more writers each step",
        "",
        "Writers as above (a note a second, drags at 30 Hz), one more step until p99 passes "
        "100 ms or anything is lost; the capacity is the most ops delivered per second in a "
        "step that passed.",
        "",
        capacity_table(results),
        "",
        ladder_table(results),
        "",
        "The same with writers that only add notes, ten a second each (within the rate limit, "
        "R41): no drags, nothing is coalesced, every note reaches every receiver in every peer. "
        "The relays send each event as its own frame; this server sends what one connection "
        "gets within a 5 ms tick as one `batch` frame (R54), so its *frames/s* stay far below "
        "its deliveries.",
        "",
        capacity_table(results, "notes"),
        "",
        ladder_table(results, "notes"),
        "",
        drags_md(results),
        "",
        f"![p99 latency against load]({png})",
        "",
        "## Workshop shape",
        "",
        workshop_table(results),
        "",
        verify_md(results),
        "",
        "## Idle connections",
        "",
        "Each connection as a phone that opened a corner board and waits (for this server: "
        "`hello` and `subscribe`). RSS of the server process(es) after each step, less RSS "
        "before the first.",
        "",
        idle_table(results),
        "",
        memprobe_md(results),
        "",
        "## Reconnect storm",
        "",
        "Half of 300 clients on a board vanish at once (no closing handshake) while the writers "
        "go on; a second later all of them open a new websocket, `hello`, and `subscribe` with "
        "the epoch and the last seq they had (R8). Timed from that moment to each client's "
        "`caught_up`; every seq before, during and after must arrive once, in order.",
        "",
        storm_table(results),
        "",
        "## A board with 5 000 notes",
        "",
        "Filled through the protocol (20 writers), then fresh clients join: time from "
        "`subscribe` to `caught_up` over loopback (the first one builds and encodes the state "
        "frame, later ones get it from the cache). For y-websocket, time from connecting to "
        "sync step 2 (and to a Y.Doc that applied it). Chromium: from opening a corner's screen "
        "to every `.note` element painted.",
        "",
        bulk_table(results),
        "",
        table(["page", "notes", "rendered ms (each run)", "note elements"],
              [[SHORT.get(r["target"], r["target"]), str(r["notes"]),
                ", ".join(f(x, 0) for x in r["rendered_ms"]),
                ", ".join(str(c) for c in r["note_elements"])] for r in results["render"]]),
        "",
        render_profile_md(results),
        "",
        "## Heavy requests and votes (R44)",
        "",
        "One server (SQLite) with a probe in its event loop (bench/serve_probe.py `--lag`: a "
        "task that sleeps 1 ms and records each overshoot); each request below is timed from "
        "send to answer, and the longest overshoot inside that window is how long every "
        "client waited because of it. Suggestions, imports, exports and snapshots run in a "
        "worker process or are joined from each note's cached JSON (bench/heavy.py).",
        "",
        heavy_md(results),
        "",
        firstload.markdown(results),
        "",
        "## Redis: two processes",
        "",
        "Clients and writers alternate between the two server processes; *cross process* is "
        "the latency from a writer on one process to receivers on the other.",
        "",
        redis_table(results),
        "",
        "## Hot spots",
        "",
        hotspots_md(results),
        "",
        "## Where the server's time goes",
        "",
        "Each profile is a separate server process under cProfile (bench/serve_probe.py: "
        "`server.cli.main([\"serve\", …])` with cProfile and the garbage collector's pauses "
        "recorded), driven by the same load generator. cProfile slows Python code two to three "
        "times, so read shares, not absolute times.",
        "",
        profile_md(results),
        "",
    ]
    return "\n".join(lines)


def stdout_table(results: dict[str, Any]) -> str:
    def mark(ok: bool | None) -> str:
        return "-" if ok is None else ("met" if ok else "MISSED")

    return "\n".join(["", "== targets ==", *(f"  [{mark(t['ok'])}] {t['target']}\n"
                                               f"        {t['measured']}"
                                               for t in targets(results)),
                      "", "== capacity (300 clients, one board) ==", capacity_table(results),
                      "", "== one board ==", one_board_table(results), ""])


def write(results: dict[str, Any], quick: bool) -> None:
    if quick:
        md_path, png_path, png_ref = (OUT / "PERFORMANCE-quick.md",
                                      OUT / "performance-p99-quick.png",
                                      "performance-p99-quick.png")
    else:
        md_path, png_path, png_ref = (ROOT / "docs" / "PERFORMANCE.md",
                                      ROOT / "docs" / "performance-p99.png",
                                      "performance-p99.png")
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        plot(results, png_path)
    except Exception as exc:  # the table matters more than the picture
        print(f"bench: plot failed: {exc}", file=sys.stderr)
    md_path.write_text(markdown(results, png_ref) + "\n", encoding="utf-8")
    print(stdout_table(results))
    print(f"report: {md_path.relative_to(ROOT)}, {png_path.relative_to(ROOT)}")
