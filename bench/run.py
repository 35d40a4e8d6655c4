"""`make bench`: this server measured against the Python ceiling and a real peer.

Runs every workload against every peer it applies to, in one run, each server in its own
process and the load generator in its own processes (bench/loadgen.py, bench/yws_loadgen.mjs),
all on 127.0.0.1, every loop bounded in count and time. Writes bench/out/results.json and then
the report (bench/report.py): docs/PERFORMANCE.md and docs/performance-p99.png. ``--quick``
runs a reduced set (about two minutes) into bench/out/ only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from bench import peers
from bench.common import merge, summary

ROOT = peers.ROOT
OUT = ROOT / "bench" / "out"
PY = sys.executable


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def http_json(method: str, url: str, body: Any = None, token: str = "") -> Any:
    data = None if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


# --- load generator processes ----------------------------------------------------------------


class LoadGen:
    """One load generator run: ``procs`` processes of bench/loadgen.py (or yws_loadgen.mjs)."""

    def __init__(self, lang: str, cfg: dict[str, Any], procs: int, workdir: Path, name: str,
                 sampler: peers.Sampler, timeout: float = 300.0) -> None:
        self.name = name
        self.procs: list[subprocess.Popen[str]] = []
        self.queues: list[queue.Queue[dict[str, Any] | None]] = []
        self.readers: list[threading.Thread] = []
        self.errs: list[Path] = []
        self.deadline = time.monotonic() + timeout
        self.extra: list[dict[str, Any]] = []
        workdir.mkdir(parents=True, exist_ok=True)
        for i in range(procs):
            path = workdir / f"{name}.{i}.json"
            path.write_text(json.dumps({**cfg, "proc": i, "procs": procs,
                                        "max_s": timeout + 60}))
            err = workdir / f"{name}.{i}.stderr"
            self.errs.append(err)
            if lang == "node":
                args = [peers.node(), str(ROOT / "bench" / "yws_loadgen.mjs"), str(path)]
                cwd = ROOT / "bench"
            else:
                args = [PY, "-m", "bench.loadgen", str(path)]
                cwd = ROOT
            with open(err, "w") as fh:
                p = subprocess.Popen(args, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=fh, text=True, bufsize=1,
                                     preexec_fn=peers.die_with_parent)
            self.procs.append(p)
            q: queue.Queue[dict[str, Any] | None] = queue.Queue()
            self.queues.append(q)
            reader = threading.Thread(target=self._read, args=(p, q), daemon=True)
            reader.start()
            self.readers.append(reader)
            sampler.watch(p.pid)

    @staticmethod
    def _read(p: subprocess.Popen[str], q: queue.Queue[dict[str, Any] | None]) -> None:
        assert p.stdout is not None
        for line in p.stdout:
            line = line.strip()
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    q.put(json.loads(line))
        q.put(None)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def stderr(self) -> str:
        return "\n".join(e.read_text(errors="replace")[-2000:] for e in self.errs if e.exists())

    def wait(self, event: str, timeout: float) -> list[dict[str, Any]]:
        """The next ``event`` line of every process (other lines are kept in ``extra``)."""
        out: list[dict[str, Any]] = []
        for i, q in enumerate(self.queues):
            end = min(time.monotonic() + timeout, self.deadline)
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self.name}: no {event!r} from process {i}\n"
                                       f"{self.stderr()}")
                try:
                    msg = q.get(timeout=left)
                except queue.Empty:
                    continue
                if msg is None:
                    raise RuntimeError(f"{self.name}: process {i} ended before {event!r}\n"
                                       f"{self.stderr()}")
                if msg.get("event") == event:
                    out.append(msg)
                    break
                self.extra.append(msg)
        return out

    def say(self, line: str) -> None:
        for p in self.procs:
            if p.poll() is None and p.stdin is not None:
                with contextlib.suppress(OSError):
                    p.stdin.write(line + "\n")
                    p.stdin.flush()

    def finish(self, timeout: float = 30.0) -> list[dict[str, Any]]:
        self.say("STOP")
        tail: list[dict[str, Any]] = []
        for q in self.queues:
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                try:
                    msg = q.get(timeout=max(0.01, end - time.monotonic()))
                except queue.Empty:
                    break
                if msg is None:
                    break
                tail.append(msg)
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        self._close()
        return tail

    def kill(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(timeout=5)
        self._close()

    def _close(self) -> None:
        """The processes are gone: let the readers see the end, then close the pipes."""
        for reader in self.readers:
            reader.join(timeout=5)
        for p in self.procs:
            for pipe in (p.stdin, p.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()


# --- the peers -------------------------------------------------------------------------------


class Target:
    """A server under test: which processes, which load generator, how clients reach it."""

    LABELS: ClassVar[dict[str, str]] = {
        "relay_ws": "(1) raw relay, websockets.broadcast",
        "relay_starlette": "(2) relay on Starlette/uvicorn",
        "yws": "(3) y-websocket 1.5.4 (Node)",
        "vh_memory": "(4) vierhoeken, memory://",
        "vh_sqlite": "(4) vierhoeken, sqlite",
        "vh_redis": "(4) vierhoeken, redis, 1 process",
        "vh_redis2": "(4) vierhoeken, redis, 2 processes",
        "vh_profiled": "(4) vierhoeken, memory://, under cProfile",
    }

    def __init__(self, name: str, workdir: Path, sampler: peers.Sampler) -> None:
        self.name = name
        self.label = self.LABELS[name]
        self.workdir = workdir
        self.sampler = sampler
        self.servers: list[peers.Proc] = []
        self.redis: peers.Redis | None = None
        self.kind = "vh" if name.startswith("vh") else ("yws" if name == "yws" else "relay")
        self.lang = "node" if self.kind == "yws" else "py"
        self.runs = 0
        self.profile: Path | None = None

    def start(self) -> None:
        logdir = self.workdir / "logs"
        if self.name == "relay_ws":
            self.servers = [peers.start_relay_ws(logdir)]
        elif self.name == "relay_starlette":
            self.servers = [peers.start_relay_starlette(logdir)]
        elif self.name == "yws":
            self.servers = [peers.start_yws(logdir)]
        elif self.name == "vh_memory":
            self.servers = [peers.start_vh(logdir, "memory://", "vh_memory")]
        elif self.name == "vh_profiled":
            self.profile = self.workdir / "vh.prof"
            self.servers = [peers.start_vh(logdir, "memory://", "vh_profiled",
                                           profile=self.profile)]
        elif self.name == "vh_sqlite":
            db = self.workdir / "sqlite" / "bench.db"
            db.parent.mkdir(parents=True, exist_ok=True)
            self.servers = [peers.start_vh(logdir, f"sqlite:///{db}", "vh_sqlite")]
        elif self.name in ("vh_redis", "vh_redis2"):
            self.redis = peers.Redis(self.workdir / self.name)
            n = 2 if self.name == "vh_redis2" else 1
            self.servers = [peers.start_vh(logdir, self.redis.url, f"{self.name}.{i}")
                            for i in range(n)]
        for s in self.servers:
            self.sampler.watch(s.pid)
        if self.redis is not None:
            self.sampler.watch(self.redis.pid)

    def stop(self) -> None:
        for s in self.servers:
            s.stop()
            self.sampler.unwatch(s.pid)
        if self.redis is not None:
            self.redis.stop()
            self.sampler.unwatch(self.redis.pid)

    @property
    def pids(self) -> list[int]:
        return [s.pid for s in self.servers]

    def layout(self, n_boards: int, n_clients: int, writers: int, facilitator: bool = False
               ) -> dict[str, Any]:
        """Clients spread round-robin over ``n_boards`` boards (and over the server processes);
        the first ``writers`` clients write; a facilitator follows every board."""
        self.runs += 1
        run_id = f"r{self.runs}"
        clients: list[dict[str, Any]] = []
        cfg: dict[str, Any] = {"peer": self.kind}
        if self.kind == "vh":
            s0 = self.servers[0]
            organiser = next((s.extra["organiser"] for s in self.servers
                              if s.extra.get("organiser")), "")
            created = http_json("POST", s0.http + "/api/sessions", {"template": "vier-hoeken"},
                                organiser)
            boards = [b["id"] for b in created["session"]["boards"]][:n_boards]
            cfg["code"] = created["code"]
            cfg["session"] = created
            n_srv = len(self.servers)
            for i in range(n_clients):
                s = self.servers[i % n_srv]
                clients.append({"url": s.ws + "/ws", "http": s.http,
                                "boards": [boards[i % n_boards]], "server": i % n_srv})
            if facilitator:
                clients.append({"url": s0.ws + "/ws", "http": s0.http,
                                "boards": [*boards, f"{created['session']['id']}.control"],
                                "token": created["facilitator_token"], "tag": "fac",
                                "server": 0})
        else:
            s0 = self.servers[0]
            boards = [f"{run_id}-board{j}" for j in range(n_boards)]
            for i in range(n_clients):
                b = boards[i % n_boards]
                clients.append({"url": f"{s0.ws}/{b}", "boards": [b], "server": 0})
            if facilitator:
                for b in boards:  # one connection per room or document
                    clients.append({"url": f"{s0.ws}/{b}", "boards": [b], "tag": "fac",
                                    "server": 0})
        cfg["clients"] = clients
        cfg["writers"] = list(range(writers))
        cfg["boards"] = boards
        return cfg


# --- merging the processes' results ----------------------------------------------------------


def merge_phase(parts: list[dict[str, Any]], cfg: dict[str, Any], target: Target,
                sampler: peers.Sampler, lg: LoadGen, stop_p99: float) -> dict[str, Any]:
    def add(key: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in parts:
            for k, v in p[key].items():
                out[k] = out.get(k, 0) + v
        return out

    first = parts[0]
    measure = float(first["measure"])
    w0, w1 = first["window"]
    hist_by_cat: dict[str, dict[int, int]] = {}
    for p in parts:
        for cat, h in p["hist"].items():
            hist_by_cat[cat] = merge([hist_by_cat.get(cat, {}), h])
    everything = merge(hist_by_cat.values())
    by_kind: dict[str, dict[int, int]] = {}
    for cat, h in hist_by_cat.items():
        kind = cat.split(".")[0]
        by_kind[kind] = merge([by_kind.get(kind, {}), h])
    sent = add("sent")
    delivered = add("delivered")
    lost = add("lost")
    res: dict[str, Any] = {
        "name": first["name"], "W": first["W"], "add_hz": first["add_hz"],
        "drag_hz": first["drag_hz"], "clients": sum(p["clients"] for p in parts),
        "measure_s": measure, "window": [w0, w1],
        "ops_in_s": (sent["add"] + sent["drag"]) / measure,
        "adds_in_s": sent["add"] / measure,
        "delivered_s": (delivered["add"] + delivered["drag"]) / measure,
        "adds_delivered_s": delivered["add"] / measure,
        "frames_s": sum(p["frames"] for p in parts) / measure,
        "mb_s": sum(p["bytes"] for p in parts) / measure / 2**20,
        "sent": sent, "delivered": delivered,
        "sent_total": add("sent_total"), "delivered_total": add("delivered_total"),
        "expected_total": add("expected_total"), "lost": lost,
        "dups": sum(p["dups"] for p in parts), "gaps": sum(p["gaps"] for p in parts),
        "reorders": sum(p["reorders"] for p in parts),
        "disconnects": sum(p.get("disconnects", 0) for p in parts),
        "errors": {}, "latency": summary(everything),
        "latency_by_kind": {k: summary(h) for k, h in by_kind.items()},
        "latency_by_cat": {k: summary(h) for k, h in hist_by_cat.items()},
        "hist_by_kind": {k: {str(i): n for i, n in h.items()} for k, h in by_kind.items()},
        "lag": summary(merge(p["lag"] for p in parts)),
        "ack": summary(merge(p["ack"] for p in parts)),
        "drain_s": max(p["drain_s"] for p in parts),
    }
    for p in parts:
        for k, v in p.get("errors", {}).items():
            res["errors"][k] = res["errors"].get(k, 0) + v
    if target.kind == "vh":
        top: dict[str, int] = {}
        for p in parts:
            for b, s in p["seqs"]["top"].items():
                top[b] = max(top.get(b, 0), s)
        missing = 0
        for p in parts:
            for b, n in p["seqs"]["n"].items():
                missing += n * top[b] - p["seqs"]["sum"][b]
        res["seq_missing"] = missing
        storms = [p["storm"] for p in parts if "storm" in p]
        if storms:
            times = sorted(t for s in storms for t in s["times"])
            res["storm"] = {
                "clients": sum(s["clients"] for s in storms),
                "gap_s": storms[0]["gap_s"],
                "all_caught_up_s": times[-1] if times else None,
                "p50_caught_up_s": times[len(times) // 2] if times else None,
                "failed": sum(s["failed"] for s in storms),
                "failures": [f for s in storms for f in s["failures"]][:5],
                "full_states": sum(s["full_states"] for s in storms),
            }
    cpu = [sampler.window(pid, w0, w1) for pid in target.pids]
    res["server_cpu"] = [c["cpu"] for c in cpu]
    res["server_rss_mb"] = [c["rss_mb"] for c in cpu]
    res["server_runq"] = [c["runq"] for c in cpu]
    if target.redis is not None:
        res["redis_cpu"] = sampler.window(target.redis.pid, w0, w1)["cpu"]
    res["loadgen_cpu"] = [sampler.window(pid, w0, w1)["cpu"] for pid in lg.pids]
    mach = sampler.machine(w0, w1)
    ours = sum(c or 0 for c in res["server_cpu"]) + sum(c or 0 for c in res["loadgen_cpu"]) + (
        res.get("redis_cpu") or 0)
    res["machine_busy"] = mach["busy"]
    res["steal"] = mach["steal"]
    # CPU used by everything else on this shared machine while the window was measured.
    res["other_cpu"] = None if mach["busy"] is None else max(0.0, mach["busy"] - ours)
    res["failed"] = verdict(res, stop_p99)
    return res


def noisy(res: dict[str, Any]) -> bool:
    """Whether the machine, not the server, may have decided this measurement."""
    runq = max((w or 0.0 for w in res.get("server_runq", [])), default=0.0)
    return (res.get("other_cpu") or 0.0) > 0.3 or runq > 0.25


def verdict(res: dict[str, Any], p99_limit: float) -> str | None:
    p99 = res["latency"]["p99"]
    if p99 is None:
        return "nothing delivered"
    problems = []
    if p99 > p99_limit:
        problems.append(f"p99 {p99:.0f} ms > {p99_limit:.0f} ms")
    lost = sum(res["lost"].values())
    if lost or res["gaps"] or res["dups"] or res["reorders"] or res.get("seq_missing"):
        problems.append(f"undelivered {lost}, gaps {res['gaps']}, duplicates {res['dups']}, "
                        f"reordered {res['reorders']}, behind {res.get('seq_missing', 0)}")
    if res["disconnects"]:
        problems.append(f"{res['disconnects']} connections cut")
    if res["errors"]:
        problems.append(f"errors {res['errors']}")
    return "; ".join(problems) or None


# --- workloads -------------------------------------------------------------------------------


class Bench:
    def __init__(self, quick: bool, workdir: Path) -> None:
        self.quick = quick
        self.workdir = workdir
        self.sampler = peers.Sampler()
        self.results: dict[str, Any] = {"runs": [], "idle": [], "storm": [], "bulk": [],
                                         "render": [], "profiles": [], "failures": []}
        self.measure = 4.0 if quick else 5.0
        self.warmup = 2.0
        self.ladder_measure = 4.0
        self.ladder_warmup = 1.5
        # Load generator processes: the writers in one, the other receivers in two more (one
        # receiving process can fall behind the relays and y-websocket at 300 clients).
        self.procs = 3

    def phase(self, W: int, name: str, measure: float | None = None, add_hz: float = 1.0,
              drag_hz: float = 30.0, warmup: float | None = None) -> dict[str, Any]:
        return {"name": name, "W": W, "add_hz": add_hz, "drag_hz": drag_hz,
                "warmup": self.warmup if warmup is None else warmup,
                "measure": measure or self.measure}

    @contextlib.contextmanager
    def target(self, name: str) -> Iterator[Target]:
        t = Target(name, self.workdir / name, self.sampler)
        log(f"starting {t.label}")
        t.start()
        try:
            yield t
        finally:
            t.stop()

    def load(self, t: Target, workload: str, cfg: dict[str, Any], phases: list[dict[str, Any]],
             stop_p99: float | None = None, extra: dict[str, Any] | None = None,
             p99_limit: float = 100.0) -> list[dict[str, Any]]:
        """Run phases one after the other on the same connections; a ladder stops at the
        first phase that misses ``stop_p99`` (or loses anything)."""
        # A ladder step that fails is tried again before the ladder stops: the machine is
        # shared, and one bad moment should not decide a capacity. A retry first waits
        # (bounded) for the other processes on the machine to quieten; a third try is given
        # only when the second failed while other processes were busy.
        tries = 3 if stop_p99 is not None else 1
        planned = [({**spec, "name": spec["name"] + (" (again)" if a else "")}, a + 1)
                   for spec in phases for a in range(tries)]
        cfg = {**cfg, "phases": [p for p, _ in planned], "drain": 4.0, "settle": 1.0,
               **(extra or {})}
        n = len(cfg["clients"])
        name = f"{workload}-n{n}-{t.runs}"
        lg = LoadGen(t.lang, cfg, self.procs, self.workdir / t.name / "loadgen", name,
                     self.sampler, timeout=120 + len(planned) * 40)
        out: list[dict[str, Any]] = []
        try:
            ready = lg.wait("ready", 90)
            setup = {k: max((r["setup"].get(k) or 0) for r in ready)
                     for k in ("http_s", "connect_s", "subscribe_p50_ms", "subscribe_max_ms")}
            for step in range(len(phases)):
                for attempt in range(tries):
                    i = step * tries + attempt
                    spec = planned[i][0]
                    # Every measurement starts, as far as a few seconds allow, when the rest
                    # of the machine is quiet; a retry waits longer.
                    self.wait_quiet([*t.pids, *lg.pids], max_s=5.0 if attempt else 1.5)
                    start = time.monotonic() + 0.3
                    lg.say(f"GO {i} {start}")
                    parts = lg.wait("phase", spec["warmup"] + spec["measure"] + 40)
                    res = merge_phase(parts, cfg, t, self.sampler, lg, stop_p99 or p99_limit)
                    res.update({"target": t.name, "label": t.label, "workload": workload,
                                "n_clients": n, "setup": setup, "phase_index": i,
                                "attempt": attempt + 1})
                    out.append(res)
                    self.results["runs"].append(res)
                    lat = res["latency"]
                    log(f"  {t.name} {workload} N={n} W={res['W']}"
                        f"{' (again)' if attempt else ''}: in {res['ops_in_s']:.0f} ops/s, "
                        f"delivered {res['delivered_s']:.0f}/s, {res['frames_s']:.0f} frames/s, "
                        f"p50 {fmt(lat['p50'])} p99 {fmt(lat['p99'])} ms, server cpu "
                        f"{'/'.join(fmt(c, 2) for c in res['server_cpu'])} (waiting for a cpu "
                        f"{'/'.join(fmt(c, 2) for c in res['server_runq'])}), loadgen cpu "
                        f"{'/'.join(fmt(c, 2) for c in res['loadgen_cpu'])}, others "
                        f"{fmt(res['other_cpu'], 2)}"
                        + (f" -- {res['failed']}" if res["failed"] else ""))
                    time.sleep(0.5)
                    if not (stop_p99 is not None and res["failed"]):
                        break
                    if attempt == 1 and not noisy(res):
                        break
                if stop_p99 is not None and out and out[-1]["failed"]:
                    break
            tail = lg.finish()
            for msg in tail + lg.extra:
                if msg.get("event") == "verify":
                    self.results.setdefault("verify", []).append(
                        {"target": t.name, "workload": workload, "run": name, **msg})
        except Exception as exc:
            lg.kill()
            self.fail(f"{t.name} {workload} N={n}", exc)
        return out

    def wait_quiet(self, ours: list[int], max_s: float = 8.0, limit: float = 0.3) -> None:
        """Wait, at most ``max_s``, until other processes use less than ``limit`` of a core."""
        end = time.monotonic() + max_s
        while time.monotonic() < end:
            t0 = time.monotonic()
            time.sleep(0.6)
            t1 = time.monotonic()
            busy = self.sampler.machine(t0, t1)["busy"]
            mine = sum(self.sampler.window(pid, t0, t1)["cpu"] or 0.0 for pid in ours)
            if busy is not None and busy - mine < limit:
                return

    def fail(self, what: str, exc: BaseException) -> None:
        msg = f"{what}: {type(exc).__name__}: {exc}"
        log("FAILED " + msg[:3000])
        self.results["failures"].append(msg[:4000])

    # --- the workloads ---------------------------------------------------------------------

    def one_board(self, t: Target, sizes: list[int]) -> None:
        for n in sizes:
            W = max(1, n // 10)
            self.load(t, "one_board", t.layout(1, n, W), [self.phase(W, "standard")])

    def ladders(self, t: Target, n: int, mixed: list[int], notes: list[int]) -> None:
        """300 clients on one board, more writers each step until p99 > 100 ms or a loss:
        ``ladder`` with the standard writers (a note a second, drags at 30 Hz), ``notes`` with
        writers that only add notes, ten a second each (no drags, so nothing to coalesce)."""
        m, w = self.ladder_measure, self.ladder_warmup
        if mixed:
            self.load(t, "ladder", t.layout(1, n, max(mixed)),
                      [self.phase(x, f"ladder W={x}", m, warmup=w) for x in mixed],
                      stop_p99=100.0)
        if notes:
            self.load(t, "notes", t.layout(1, n, max(notes)),
                      [self.phase(x, f"notes W={x}", m, add_hz=10.0, drag_hz=0.0, warmup=w)
                       for x in notes], stop_p99=100.0)

    def workshop(self, t: Target, n: int) -> None:
        W = max(4, n // 10)
        cfg = t.layout(4, n, W, facilitator=True)
        self.load(t, "workshop", cfg, [self.phase(W, "workshop")], p99_limit=50.0)

    def storm(self, t: Target, n: int) -> None:
        W = max(2, n // 10)
        cfg = t.layout(1, n, W)
        phase = self.phase(W, "storm", measure=8.0)
        self.load(t, "storm", cfg, [phase], extra={"storm": {
            "phase": 0, "after_s": 2.0, "gap_s": 1.0, "count": n // 2}})
        run = self.results["runs"][-1] if self.results["runs"] else None
        if run and run.get("workload") == "storm" and run["target"] == t.name:
            self.results["storm"].append({"target": t.name, "label": t.label, "clients": n,
                                          **run.get("storm", {}),
                                          "gaps": run["gaps"], "dups": run["dups"],
                                          "seq_missing": run.get("seq_missing"),
                                          "lost": run["lost"], "p99_ms": run["latency"]["p99"],
                                          "errors": run["errors"]})

    def idle(self, t: Target, steps: list[int]) -> None:
        cfg = t.layout(1, steps[-1], 0)
        cfg.update({"mode": "idle", "idle_steps": steps, "phases": [], "procs": 1})
        # Warm the server first: one client in and out, so what is measured is connections.
        base_rss = self.settled_rss(t)
        lg = LoadGen(t.lang, {**cfg, "verifiers": 0}, 1, self.workdir / t.name / "loadgen",
                     f"idle-{t.runs}", self.sampler, timeout=180)
        points = []
        try:
            for _step in steps:
                msg = lg.wait("idle", 120)[0]
                rss = self.settled_rss(t)
                points.append({"n": msg["n"], "rss_mb": rss / 2**20,
                               "per_conn_kib": (rss - base_rss) / msg["n"] / 1024,
                               "disconnects": msg["disconnects"], "errors": msg["errors"]})
                lg.say("NEXT")
            lg.finish()
        except Exception as exc:
            lg.kill()
            self.fail(f"{t.name} idle", exc)
            return
        slope = None
        if len(points) >= 2:
            xs = [p["n"] for p in points]
            ys = [p["rss_mb"] * 2**20 for p in points]
            mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
            slope = (sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
                     / sum((x - mx) ** 2 for x in xs) / 1024)
        self.results["idle"].append({"target": t.name, "label": t.label,
                                     "base_rss_mb": base_rss / 2**20, "points": points,
                                     "slope_kib": slope})
        log(f"  {t.name} idle: " + ", ".join(f"{p['n']}: {p['per_conn_kib']:.1f} KiB/conn"
                                              for p in points)
            + (f"; slope {slope:.1f} KiB/conn" if slope is not None else ""))

    def settled_rss(self, t: Target) -> int:
        time.sleep(0.5)
        vals = []
        for _ in range(3):
            vals.append(sum(self.sampler.rss(pid) for pid in t.pids))
            time.sleep(0.2)
        return sorted(vals)[1]

    def bulk(self, t: Target, notes: int, render: bool) -> None:
        # Each writer within this server's limit (10 notes a second, R41), so the board fills
        # in about 10 s for 5,000 notes.
        writers = 50
        joins = 5
        cfg = t.layout(1, writers + joins, 0)
        cfg.update({"mode": "bulk", "bulk": {"notes": notes, "writers": writers, "rate": 9.0,
                                             "joins": joins}, "phases": [], "procs": 1})
        lg = LoadGen(t.lang, cfg, 1, self.workdir / t.name / "loadgen", f"bulk-{t.runs}",
                     self.sampler, timeout=240)
        try:
            msg = lg.wait("bulk", 200)[0]
            lg.finish()
        except Exception as exc:
            lg.kill()
            self.fail(f"{t.name} bulk", exc)
            return
        sub = [j["subscribe"] for j in msg["joins_ms"]]
        entry = {"target": t.name, "label": t.label, "notes": msg["notes"],
                 "fill_s": msg["fill_s"], "state_bytes": msg["state_bytes"],
                 "join_first_ms": sub[0] if sub else None,
                 "join_median_ms": sorted(sub)[len(sub) // 2] if sub else None,
                 "joins_ms": msg["joins_ms"], "errors": msg.get("errors")}
        self.results["bulk"].append(entry)
        log(f"  {t.name} {msg['notes']} notes: full-state join first {fmt(entry['join_first_ms'])}"
            f" ms, median {fmt(entry['join_median_ms'])} ms, {msg['state_bytes'] / 1024:.0f} KiB")
        if render and t.kind == "vh":
            self.render(t, cfg["session"], msg["notes"])

    def render(self, t: Target, created: dict[str, Any], notes: int) -> None:
        from bench import browser

        corner = created["session"]["boards"][0]["instrument"]
        url = f"{t.servers[0].http}/#t={created['viewer_token']}&corner={corner}"
        try:
            res = browser.render_times(url, notes, runs=2 if self.quick else 3)
        except Exception as exc:
            self.fail(f"{t.name} render", exc)
            return
        self.results["render"].append({"target": t.name, "label": t.label, "notes": notes,
                                       **res})
        log(f"  Chromium: {notes} notes rendered in "
            + ", ".join(f"{x:.0f}" for x in res["rendered_ms"]) + " ms")

    def state_encode(self, notes: int) -> None:
        """The server's own work for a full-state join, in this process: build the state of a
        board with ``notes`` notes and encode its ``state`` frame (cold, as the first join)."""
        from bench import inprocess

        try:
            self.results["state_encode"] = inprocess.state_encode(notes, self.workdir)
        except Exception as exc:
            self.fail("state encode", exc)
            return
        r = self.results["state_encode"]
        log(f"  server-side state frame of {notes} notes: {r['encode_ms']:.1f} ms "
            f"({r['bytes'] / 1024:.0f} KiB)")

    def heavy(self) -> None:
        """R44: the longest event-loop stall during each heavy request (bench/heavy.py), and
        vote.cast p99 with 40 voters."""
        from bench import heavy

        log("heavy requests: suggestions, a 30 MiB import, exports, compaction, votes")
        try:
            r = self.results["heavy"] = heavy.Heavy(self.workdir / "heavy", self.quick).run()
        except Exception as exc:
            self.fail("heavy", exc)
            return
        for row in r["requests"]:
            log(f"  {row['request']}: {row['seconds'] * 1000:.0f} ms, longest stall "
                f"{row['stall_ms']:.1f} ms")
        v = r.get("votes") or {}
        if v:
            log(f"  {v['voters']} voters: vote.cast p99 {fmt(v['vote_p99_ms'])} ms, note.add "
                f"p99 {fmt(v['note_p99_ms'])} ms")
        for failure in r["failures"]:
            self.fail("heavy", RuntimeError(failure))

    def firstload(self) -> None:
        """R61: a participant's first load on a throttled phone link (bench/firstload.py)."""
        from bench import firstload

        log("a phone's first load at 400 kbit/s, 400 ms round trip (Chromium)")
        try:
            with self.target("vh_memory") as t:
                created = t.layout(1, 0, 0)["session"]
                res = firstload.measure(t.servers[0].http, str(created["code"]),
                                        runs=1 if self.quick else 3)
        except Exception as exc:
            self.fail("firstload", exc)
            return
        self.results["firstload"] = res
        for row in firstload.targets(self.results):
            log(f"  {row['target']}: {row['measured']}")

    def profile(self, n: int) -> None:
        """This server under cProfile: the standard one-board load, then notes only."""
        from bench import profiles

        for label, phase in (
                (f"one board, {n} clients, {n // 10} writers (notes + drags)",
                 self.phase(n // 10, "profiled one board")),
                (f"one board, {n} clients, 16 writers adding 10 notes/s each (no drags)",
                 self.phase(16, "profiled notes", add_hz=10.0, drag_hz=0.0))):
            with self.target("vh_profiled") as t:
                workload = "profile_" + ("notes" if phase["drag_hz"] == 0 else "one_board")
                done = self.load(t, workload, t.layout(1, n, phase["W"]), [phase])
            assert t.profile is not None
            if not t.profile.exists():
                self.fail("profile", RuntimeError(f"no profile:\n{t.servers[0].log_tail()}"))
                continue
            summary_ = profiles.summarise(t.profile, label)
            gc_file = t.profile.with_suffix(".gc.json")
            if gc_file.exists() and done:
                summary_["gc"] = profiles.gc_pauses(json.loads(gc_file.read_text()),
                                                    *done[0]["window"])
                summary_["run"] = {k: done[0][k] for k in ("ops_in_s", "delivered_s",
                                                           "frames_s", "latency")}
            self.results["profiles"].append(summary_)
            t.profile.unlink(missing_ok=True)

    def memprobe(self, n: int) -> None:
        """Where an idle connection's memory goes: the server with tracemalloc (bench/memprobe.py),
        snapshots after a first batch of connections and after ``n`` more."""
        from bench import memprobe

        port = peers.free_port()
        out = self.workdir / "memprobe"
        proc = peers._spawn("memprobe", "vh", [PY, "-m", "bench.memprobe", "--port", str(port),
                                               "--out", str(out)],
                            peers.vh_env("memory://", self.workdir / "memprobe-data"),
                            self.workdir / "logs", port)
        t = Target("vh_memory", self.workdir / "memprobe-target", self.sampler)
        try:
            peers.wait_port(proc, path="/healthz", timeout=60)
            proc.extra["organiser"] = peers.sign_in(proc)  # sessions are an organiser's (R31)
            t.servers = [proc]
            first = 20
            cfg = t.layout(1, first + n, 0)
            cfg.update({"mode": "idle", "idle_steps": [first, first + n], "phases": [],
                        "procs": 1})
            lg = LoadGen("py", cfg, 1, self.workdir / "memprobe-lg", "memprobe", self.sampler,
                         timeout=240)
            try:
                for i in range(2):
                    lg.wait("idle", 180)
                    os.kill(proc.pid, 10)  # SIGUSR1: write a snapshot
                    deadline = time.monotonic() + 120
                    while not (out / f"snap-{i}.done").exists():
                        if time.monotonic() > deadline:
                            raise TimeoutError("no tracemalloc snapshot")
                        time.sleep(0.1)
                    lg.say("NEXT")
                lg.finish()
            except Exception:
                lg.kill()
                raise
            self.results["memprobe"] = memprobe.diff(out / "snap-0.pickle",
                                                     out / "snap-1.pickle", n)
            r = self.results["memprobe"]
            log(f"  tracemalloc: {r['traced_kib_per_conn']:.1f} KiB traced per idle connection")
        except Exception as exc:
            self.fail("memprobe", exc)
        finally:
            proc.stop()

    # --- the whole run --------------------------------------------------------------------

    def run_only(self, parts: list[str], peers_: list[str]) -> None:
        """A few parts for a quick look while working (``--only``); no report is written."""
        rest = [p for p in parts if p not in ("heavy", "memprobe", "profile", "firstload")]
        for name in peers_ if rest else []:
            with self.target(name) as t:
                if "idle" in parts:
                    self.idle(t, [100, 300, 600])
                if "one_board" in parts:
                    self.one_board(t, [300])
                if "mixed" in parts:
                    self.ladders(t, 300, [27, 60, 90], [])
                if "notes" in parts:
                    self.ladders(t, 300, [], [24, 48, 72, 96, 128])
                if "workshop" in parts:
                    self.workshop(t, 300)
                if "storm" in parts:
                    self.storm(t, 300)
                if "bulk" in parts:
                    self.bulk(t, 5000, False)
        if "heavy" in parts:
            self.heavy()
        if "firstload" in parts:
            self.firstload()
        if "memprobe" in parts:
            self.memprobe(300)
        if "profile" in parts:
            self.profile(300)

    def run(self) -> None:
        t_start = time.monotonic()
        quick = self.quick
        if quick:
            sizes, big = [100], 100
            mixed, notes = [3, 8, 20], []
            idle_steps = [100, 200]
            base = ["relay_ws", "yws", "vh_memory"]
        else:
            sizes, big = [50, 150, 300], 300
            mixed = [5, 8, 12, 18, 27, 40, 60, 90]
            notes = [9, 12, 16, 20, 24, 32, 48, 64, 80, 96, 128]
            idle_steps = [100, 300, 600]
            base = ["relay_ws", "relay_starlette", "yws", "vh_memory"]
        for name in base:
            try:
                with self.target(name) as t:
                    if not quick or name == "vh_memory":
                        self.idle(t, idle_steps)
                    self.one_board(t, sizes)
                    self.ladders(t, big, mixed, notes)
                    if not quick or name == "vh_memory":
                        self.workshop(t, big)
                    if name == "vh_memory":
                        self.storm(t, big)
                        if quick:
                            self.bulk(t, 1000, render=True)
            except Exception as exc:
                self.fail(name, exc)
        if not quick:
            for name in ["vh_sqlite", "vh_redis", "vh_redis2"]:
                try:
                    with self.target(name) as t:
                        self.one_board(t, [big])
                        if name == "vh_sqlite":
                            self.workshop(t, big)
                            self.storm(t, big)
                            self.bulk(t, 5000, render=True)
                except Exception as exc:
                    self.fail(name, exc)
            try:
                with self.target("yws") as t:
                    self.bulk(t, 5000, render=False)
            except Exception as exc:
                self.fail("yws bulk", exc)
        self.state_encode(1000 if quick else 5000)
        self.heavy()
        self.firstload()
        if not quick:
            self.memprobe(300)
            try:
                self.profile(big)
            except Exception as exc:
                self.fail("profile", exc)
        self.results["elapsed_s"] = time.monotonic() - t_start
        self.results["loadavg_end"] = os.getloadavg()
        log(f"done in {self.results['elapsed_s']:.0f} s")


def fmt(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="a reduced set, about two minutes")
    ap.add_argument("--report-only", action="store_true",
                    help="render the report from bench/out/results.json again")
    ap.add_argument("--only", default="",
                    help="comma-separated parts (idle, one_board, mixed, notes, workshop, storm, "
                    "bulk, heavy, firstload, memprobe, profile) for a quick look, printed and "
                    "kept in bench/out/ only")
    ap.add_argument("--peers", default="vh_memory", help="comma-separated peers for --only")
    args = ap.parse_args(argv)
    if args.only:
        with tempfile.TemporaryDirectory(prefix="vh-bench-") as tmp:
            bench = Bench(False, Path(tmp))
            try:
                bench.run_only(args.only.split(","), args.peers.split(","))
            finally:
                bench.sampler.close()
                OUT.mkdir(parents=True, exist_ok=True)
                (OUT / "results-only.json").write_text(json.dumps(bench.results, indent=1))
        return 0
    quick = args.quick or os.environ.get("BENCH_QUICK", "") not in ("", "0")
    OUT.mkdir(parents=True, exist_ok=True)
    results_path = OUT / ("results-quick.json" if quick else "results.json")
    from bench import report

    if args.report_only:
        report.write(json.loads(results_path.read_text()), quick)
        return 0
    with tempfile.TemporaryDirectory(prefix="vh-bench-") as tmp:
        bench = Bench(quick, Path(tmp))
        bench.results["started"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        bench.results["loadavg_start"] = os.getloadavg()
        bench.results["quick"] = quick
        bench.results["command"] = "make bench QUICK=1" if quick else "make bench"
        try:
            bench.run()
        finally:
            bench.sampler.close()
            results_path.write_text(json.dumps(bench.results, indent=1))
            log(f"results in {results_path.relative_to(ROOT)}")
    report.write(bench.results, quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
