"""Work that would stall the event loop, run in a worker process (R44).

One request must never freeze every client: suggestions, import checks and export rendering
take from tens of milliseconds to seconds on a big session, and the event loop serves everyone.
They run here, in a small pool of worker processes (one or two; the machine has few cores and
the event loop needs one), made lazily with ``spawn`` — never ``fork``: forking a process that
runs an event loop and threads copies their locks mid-use.

Only pure functions go to the pool; what they take and give back is pickled, so callers pass
bytes or small values and get back strings or small values. Small inputs are run inline by the
caller's choice (``inline=True``): a worker round trip costs more than a few milliseconds of work.

When the pool cannot be used (it broke, or the platform refuses processes) the work runs in a
thread instead: slower for everyone, since the thread shares the interpreter lock, but
correct, and logged once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

log = logging.getLogger("vierhoeken.offload")

P = ParamSpec("P")
T = TypeVar("T")

# Workers: one leaves the other core to the event loop on a 2-core machine; OFFLOAD_WORKERS
# raises it where there are more.
DEFAULT_WORKERS = max(1, min(2, (os.cpu_count() or 2) - 1))
# Workers yield the CPU to the event loop: their work may take a second longer, a frame may not.
WORKER_NICE = 10


def _started(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    pool.submit(_nothing).result(timeout=120)


def _nothing() -> None:
    return None


def _lower_priority() -> None:
    with contextlib.suppress(OSError):  # not allowed here: the work still gets done
        os.nice(WORKER_NICE)


class Pool:
    """A lazily made process pool with a thread fallback."""

    def __init__(self, workers: int = DEFAULT_WORKERS) -> None:
        self.workers = max(1, workers)
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._broken = False
        self._fresh = False
        self._lock = threading.Lock()
        #: Jobs run, in the pool and (fallback) in threads: for tests and the operator's log.
        self.ran = {"process": 0, "thread": 0}

    def _pool(self) -> concurrent.futures.ProcessPoolExecutor | None:
        with self._lock:
            if self._broken:
                return None
            if self._executor is None:
                self._fresh = True
                try:
                    self._executor = concurrent.futures.ProcessPoolExecutor(
                        self.workers, mp_context=multiprocessing.get_context("spawn"),
                        initializer=_lower_priority)
                except (OSError, ValueError, NotImplementedError) as exc:
                    log.warning("no worker processes (%s): heavy work runs in threads", exc)
                    self._broken = True
                    return None
            return self._executor

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args)`` in a worker process; in a thread when the pool is unusable."""
        loop = asyncio.get_running_loop()
        call = functools.partial(fn, *args, **kwargs)
        for attempt in range(2):
            pool = self._pool()
            if pool is None:
                break
            try:
                if self._fresh:
                    # The first job of a new pool starts its worker: fork, exec and the
                    # worker's pipes, tens of milliseconds the event loop should not wait.
                    self._fresh = False
                    await asyncio.to_thread(_started, pool)
                result = await loop.run_in_executor(pool, call)
            except BrokenProcessPool:
                # A worker died (killed, out of memory): make a new pool once, then give up on
                # processes for the rest of this run.
                log.warning("a worker process died; %s", "restarting the pool" if attempt == 0
                            else "heavy work runs in threads from now on")
                self._discard(broken=attempt > 0)
                continue
            except RuntimeError as exc:
                if "shutdown" not in str(exc):
                    raise
                break  # shutting down: finish this one in a thread
            self.ran["process"] += 1
            return result
        self.ran["thread"] += 1
        return await asyncio.to_thread(call)

    def _discard(self, broken: bool) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
            self._broken = self._broken or broken
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def started(self) -> bool:
        return self._executor is not None

    def shutdown(self) -> None:
        """Stop the workers (the app's lifespan ends); a later ``run`` makes a new pool."""
        with self._lock:
            executor, self._executor = self._executor, None
            self._broken = False
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


#: The process's pool: the app shuts it down when it stops, the command line at exit.
POOL = Pool(int(os.environ.get("OFFLOAD_WORKERS", "0") or 0) or DEFAULT_WORKERS)


async def run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    return await POOL.run(fn, *args, **kwargs)


def shutdown() -> None:
    POOL.shutdown()
