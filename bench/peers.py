"""Start, watch and stop the servers under test, each in its own process on 127.0.0.1.

- ``relay_ws``: bench/relay_ws.py (peer 1, the Python ceiling)
- ``relay_starlette``: bench/relay_starlette.py (peer 2, the cost of the stack)
- ``yws``: y-websocket's bin/server.js under Node (peer 3)
- ``vh``: this project's server, ``python -m server serve`` (peer 4), with any STORE_URL, and
  optionally under cProfile (``python -m cProfile -o FILE -m server serve``)
- ``redis``: a throw-away redis-server for the Redis store

A ``Sampler`` thread reads CPU time and RSS of the processes under test (psutil) five times a
second, so the report can give CPU and memory over exactly the measured window of a phase.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = sys.executable
SECRET = "bench-secret-key-0123456789abcdef0123456789"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    name: str
    port: int
    popen: subprocess.Popen[bytes]
    log: Path
    kind: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> int | None:
        p = self.popen
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        return p.returncode


def die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the bench process dies, however it dies, so
    no server or load generator outlives a killed run (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _spawn(name: str, kind: str, args: list[str], env: dict[str, str], logdir: Path,
           port: int, cwd: Path = ROOT) -> Proc:
    logdir.mkdir(parents=True, exist_ok=True)
    log = logdir / f"{name}.log"
    full = dict(os.environ)
    full.update(env)
    full.setdefault("PYTHONUNBUFFERED", "1")
    with open(log, "ab") as fh:
        popen = subprocess.Popen(args, cwd=cwd, env=full, stdin=subprocess.DEVNULL, stdout=fh,
                                 stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
    return Proc(name, port, popen, log, kind)


def wait_port(proc: Proc, timeout: float = 30.0, path: str | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}:\n"
                               f"{proc.log_tail()}")
        try:
            if path is None:
                with socket.create_connection(("127.0.0.1", proc.port), timeout=0.5):
                    return
            else:
                with urllib.request.urlopen(proc.http + path, timeout=2) as r:
                    if r.status == 200:
                        return
        except OSError:
            pass
        time.sleep(0.05)
    proc.stop()
    raise TimeoutError(f"{proc.name} not ready on port {proc.port}:\n{proc.log_tail()}")


def start_relay_ws(logdir: Path) -> Proc:
    port = free_port()
    p = _spawn("relay_ws", "relay", [PY, "-m", "bench.relay_ws", "--port", str(port)], {},
               logdir, port)
    wait_port(p)
    return p


def start_relay_starlette(logdir: Path) -> Proc:
    port = free_port()
    p = _spawn("relay_starlette", "relay",
               [PY, "-m", "bench.relay_starlette", "--port", str(port)], {}, logdir, port)
    wait_port(p, path="/healthz")
    return p


def node() -> str:
    path = shutil.which("node") or "/usr/bin/node"
    return path


def start_yws(logdir: Path) -> Proc:
    port = free_port()
    server = BENCH / "node_modules" / "y-websocket" / "bin" / "server.js"
    p = _spawn("yws", "yws", [node(), str(server)], {"HOST": "127.0.0.1", "PORT": str(port)},
               logdir, port, cwd=BENCH)
    wait_port(p, path="/")
    return p


def start_vh(logdir: Path, store_url: str, name: str = "vh", profile: Path | None = None,
             data_dir: Path | None = None, lag: Path | None = None) -> Proc:
    """``python -m server serve``; with ``profile``, under cProfile with GC pauses recorded
    (bench/serve_probe.py; the pauses go next to the profile, ``.gc.json``); with ``lag``, with
    the event loop's stalls and the GC pauses recorded into that file (bench/heavy.py)."""
    port = free_port()
    if lag is not None:
        args = [PY, "-m", "bench.serve_probe", "--lag", str(lag), "--port", str(port)]
    elif profile is not None:
        args = [PY, "-m", "bench.serve_probe", "--profile", str(profile), "--gc",
                str(profile.with_suffix(".gc.json")), "--port", str(port)]
    else:
        args = [PY, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port)]
    # The benchmark is the organiser of a server made for it: every client comes from one
    # loopback address, so the per-address limits (R41, R42) are lifted; the limits per
    # connection and per participant stay (a writer adds at most 10 notes a second, R41). A
    # ladder writes far more notes to one board than a day does, so the quotas on what a board
    # and a person may hold (R46) are raised too.
    env = vh_env(store_url, data_dir or logdir / f"{name}-data")
    p = _spawn(name, "vh", args, env, logdir, port)
    wait_port(p, path="/healthz", timeout=60)
    p.extra["organiser"] = sign_in(p)
    return p


def vh_env(store_url: str, data_dir: Path) -> dict[str, str]:
    """The settings of a server made for the benchmark (see ``start_vh``)."""
    return {"STORE_URL": store_url, "SECRET_KEY": SECRET, "DATA_DIR": str(data_dir),
            "MAX_CONNECTIONS": "100000", "MAX_CONNECTIONS_PER_ADDRESS": "100000",
            "WRITES_PER_ADDRESS_PER_S": "1000000", "JOIN_MISSES_PER_MINUTE": "100000",
            "MAX_NOTES_PER_BOARD": "1000000", "MAX_NOTES_PER_PARTICIPANT": "1000000"}


def sign_in(proc: Proc) -> str:
    """Sign in as the first organiser with the one-time link the server printed (R31); the
    organiser token, for ``Authorization: Bearer``. Several processes of one store print a
    link each; any one works once."""
    links = re.findall(r"/o/([A-Za-z0-9_\-]+)", proc.log.read_text(errors="replace"))
    for secret in reversed(links):
        req = urllib.request.Request(proc.http + "/api/organiser/signin", method="POST",
                                     data=json.dumps({"link": secret}).encode(),
                                     headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                cookie = r.headers.get("set-cookie", "")
            return cookie.split("vh_organiser=", 1)[1].split(";", 1)[0]
        except urllib.error.HTTPError:
            continue
    return ""


class Redis:
    def __init__(self, logdir: Path) -> None:
        path = "/usr/bin/redis-server"
        if not os.access(path, os.X_OK):
            found = shutil.which("redis-server")
            if found is None:
                raise RuntimeError("redis-server missing: apt-get install redis-server")
            path = found
        self.dir = logdir / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.popen = subprocess.Popen(
            [path, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--save", "", "--appendonly", "no", "--logfile", str(self.dir / "redis.log"),
             "--daemonize", "no"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not answer PING")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)


def runqueue_wait(pid: int) -> float:
    """Seconds the process's main thread has spent runnable but waiting for a CPU (Linux
    schedstat): how much the machine, not the program, held it up."""
    try:
        with open(f"/proc/{pid}/schedstat") as fh:
            return int(fh.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


class Sampler:
    """CPU seconds and RSS of some processes, sampled every ``interval`` seconds."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.samples: dict[int, list[tuple[float, float, int, float]]] = {}
        self._procs: dict[int, psutil.Process] = {}
        self._lock = threading.Lock()
        self.system: list[tuple[float, float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def watch(self, pid: int) -> None:
        with self._lock:
            try:
                self._procs[pid] = psutil.Process(pid)
                self.samples.setdefault(pid, [])
            except psutil.Error:
                pass
        self.sample_now()

    def unwatch(self, pid: int) -> None:
        with self._lock:
            self._procs.pop(pid, None)

    def sample_now(self) -> None:
        with self._lock:
            for pid, p in list(self._procs.items()):
                try:
                    t = p.cpu_times()
                    rss = p.memory_info().rss
                except psutil.Error:
                    self._procs.pop(pid, None)
                    continue
                self.samples[pid].append((time.monotonic(), t.user + t.system, rss,
                                          runqueue_wait(pid)))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample_now()
            t = psutil.cpu_times()
            busy = t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0)
            self.system.append((time.monotonic(), busy, getattr(t, "steal", 0.0)))

    def machine(self, t0: float, t1: float) -> dict[str, float | None]:
        """Cores busy on the whole machine (every process) and stolen by the hypervisor."""
        s = [x for x in self.system if t0 <= x[0] <= t1]
        if len(s) < 2 or s[-1][0] <= s[0][0]:
            return {"busy": None, "steal": None}
        dt = s[-1][0] - s[0][0]
        return {"busy": (s[-1][1] - s[0][1]) / dt, "steal": (s[-1][2] - s[0][2]) / dt}

    def window(self, pid: int, t0: float, t1: float) -> dict[str, float | None]:
        """CPU use (1.0 = one core busy) and peak RSS between two monotonic times."""
        s = [x for x in self.samples.get(pid, []) if t0 - self.interval <= x[0] <= t1 +
             self.interval]
        inside = [x for x in s if t0 <= x[0] <= t1] or s
        if len(s) < 2:
            return {"cpu": None, "rss_mb": None, "runq": None}
        first, last = s[0], s[-1]
        for x in s:
            if x[0] >= t0:
                first = x
                break
        for x in reversed(s):
            if x[0] <= t1:
                last = x
                break
        dt = last[0] - first[0]
        cpu = (last[1] - first[1]) / dt if dt > 0 else None
        wait = (last[3] - first[3]) / dt if dt > 0 else None
        return {"cpu": cpu, "rss_mb": max(x[2] for x in inside) / 2**20, "runq": wait}

    def rss(self, pid: int) -> int:
        try:
            return int(psutil.Process(pid).memory_info().rss)
        except psutil.Error:
            return 0

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
