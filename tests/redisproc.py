"""Start and stop a real ``redis-server`` for store tests (no fakes).

``start_redis(tmp_dir, durable=False)`` starts one on a free 127.0.0.1 port with its data in
``tmp_dir`` and waits until it answers PING; ``durable=True`` adds ``appendonly yes`` and
``appendfsync always``. ``restart(proc)`` starts it again on the same port and dir,
``kill(proc)`` sends SIGKILL, ``stop(proc)`` ends it politely. Its log goes to ``redis.log``
in the dir, shown when it does not come up.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from serverproc import free_port

REDIS_SERVER = "/usr/bin/redis-server"


def redis_server_path() -> str:
    path = REDIS_SERVER if os.access(REDIS_SERVER, os.X_OK) else shutil.which("redis-server")
    if path is None:
        raise RuntimeError("redis-server missing: apt-get install redis-server")
    return path


@dataclass
class RedisProc:
    port: int
    dir: Path
    durable: bool
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def args(self) -> list[str]:
        args = [
            redis_server_path(), "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.dir), "--save", "", "--logfile", str(self.dir / "redis.log"),
            "--daemonize", "no",
        ]
        if self.durable:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            args += ["--appendonly", "no"]
        return args

    def log(self) -> str:
        try:
            return (self.dir / "redis.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _launch(rp: RedisProc, timeout: float = 10.0) -> RedisProc:
    rp.proc = subprocess.Popen(
        rp.args(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if rp.proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with {rp.proc.returncode}:\n{rp.log()}")
        if _answers_ping(rp.port):  # also false while loading the AOF (-LOADING)
            return rp
        time.sleep(0.02)
    stop(rp)
    raise RuntimeError(f"redis-server on port {rp.port} did not answer PING:\n{rp.log()}")


def start_redis(tmp_dir: str | os.PathLike[str], durable: bool = False) -> RedisProc:
    path = Path(tmp_dir)
    path.mkdir(parents=True, exist_ok=True)
    return _launch(RedisProc(port=free_port(), dir=path, durable=durable))


def restart(rp: RedisProc) -> RedisProc:
    """Start it again on the same port and dir (after ``kill`` or ``stop``)."""
    return _launch(rp)


def kill(rp: RedisProc) -> None:
    """SIGKILL: no shutdown save, no final fsync."""
    if rp.proc is not None and rp.proc.poll() is None:
        rp.proc.send_signal(signal.SIGKILL)
        rp.proc.wait(timeout=10)
    rp.proc = None


def stop(rp: RedisProc) -> None:
    proc, rp.proc = rp.proc, None
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
