"""Start and stop a real ``python -m server serve`` process for browser and integration tests.

Small on purpose: ``free_port()``, ``start_server(port, env, log_path)``, ``wait_healthy(port)``,
``stop(proc)``. The server's stdout/stderr go to a log file (never a pipe, which could fill up
and block the server); ``read_log(proc)`` returns it for failure messages.

Organisers (R31): a fresh server prints a one-time sign-in link; ``wait_healthy`` signs in with
it as a browser would (``POST /api/organiser/signin``) and keeps the organiser token per base
URL, so that ``organiser_headers(base)`` can make sessions on it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(port: int, env: dict[str, str] | None = None,
                 log_path: str | os.PathLike[str] | None = None) -> subprocess.Popen[bytes]:
    """Start the server on 127.0.0.1:``port``; ``env`` is added to os.environ.

    Returns at once; call ``wait_healthy(port)`` before using it. The log goes to ``log_path``
    (appended, so a restart on the same path keeps the earlier run), or to a temp file.
    """
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix=f"vierhoeken-{port}-", suffix=".log")
        os.close(fd)
        log_path = name
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed in stop()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=full_env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT,
        )
    except BaseException:
        log.close()
        raise
    proc.log_path = str(log_path)  # type: ignore[attr-defined]
    proc.vh_env = full_env  # type: ignore[attr-defined]
    proc.log_file = log  # type: ignore[attr-defined]
    return proc


def read_log(proc: subprocess.Popen[bytes]) -> str:
    path = getattr(proc, "log_path", None)
    if not path:
        return ""
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


# base URL -> the organiser token a test signed in with (the cookie's value).
ORGANISERS: dict[str, str] = {}
SIGNIN_LINK = re.compile(r"(https?://[^\s/]+)/o/([A-Za-z0-9_\-]+)")


def enrol(base: str, secret: str) -> str:
    """Sign in with a one-time link's secret; keeps and returns the organiser token."""
    req = urllib.request.Request(f"{base}/api/organiser/signin", method="POST",
                                 data=json.dumps({"link": secret}).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        cookie = resp.headers.get("set-cookie", "")
    token = cookie.split("vh_organiser=", 1)[1].split(";", 1)[0]
    ORGANISERS[base] = token
    return token


def organiser_headers(base: str) -> dict[str, str]:
    token = ORGANISERS.get(base)
    if token is None:
        raise RuntimeError(f"no organiser signed in on {base} (see serverproc.enrol)")
    return {"authorization": f"Bearer {token}"}


def _enrol_from_log(port: int, proc: subprocess.Popen[bytes]) -> None:
    """Sign in with the link a fresh server printed; on a store someone signed in to before
    (a shared Redis, a restarted SQLite file) ask the command line for a token instead."""
    base = f"http://127.0.0.1:{port}"
    if base in ORGANISERS:
        return
    found = SIGNIN_LINK.findall(read_log(proc))
    if found:
        try:
            enrol(base, found[-1][1])
            return
        except urllib.error.HTTPError:
            pass  # used already (another process of the same store)
    env = getattr(proc, "vh_env", None)
    if env is not None:
        out = subprocess.run([sys.executable, "-m", "server", "organiser", "token", "beheerder"],
                             cwd=ROOT, env=env, capture_output=True, timeout=30)
        if out.returncode == 0:
            ORGANISERS[base] = out.stdout.decode().strip()


def wait_healthy(port: int, timeout: float = 15.0,
                 proc: subprocess.Popen[bytes] | None = None) -> dict[str, object]:
    """Poll ``/healthz`` until it answers 200; raise with the log if it does not."""
    url = f"http://127.0.0.1:{port}/healthz"
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{read_log(proc)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    body: dict[str, object] = json.loads(resp.read())
                    if proc is not None:
                        _enrol_from_log(port, proc)
                    return body
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = exc
        time.sleep(0.05)
    log = read_log(proc) if proc is not None else ""
    raise TimeoutError(f"server on port {port} not healthy after {timeout}s ({last!r})\n{log}")


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
    """Send ``sig`` (SIGTERM: graceful; SIGKILL: crash) and wait; kill if it hangs."""
    try:
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
    finally:
        log = getattr(proc, "log_file", None)
        if log is not None:
            log.close()
    return proc.returncode


def http_json(method: str, url: str, body: object | None = None,
              timeout: float = 5.0, headers: dict[str, str] | None = None
              ) -> tuple[int, dict[str, object]]:
    """A tiny JSON HTTP call (stdlib only): returns (status, decoded body)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read() or b"{}")
