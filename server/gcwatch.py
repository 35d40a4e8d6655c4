"""Garbage-collection pauses: measured, and kept short (R44).

A full collection walks every tracked object, and everything waits while it does: 130-160 ms
were seen, most of it the millions of dicts a 30 MiB import made on the event loop (now parsed
in a worker process, ``offload``). What lives as long as the process (modules, templates, the
app) is moved out of the collector's sight with ``gc.freeze()`` once start-up is done, and the
youngest generation is collected less often, so short-lived frames and dicts die by reference
counting before a collection sees them.

Rooms are not frozen when they load: they are unloaded again when idle (R45), and a frozen
object in a reference cycle is never collected, so every unloaded room would stay.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

log = logging.getLogger("vierhoeken.gc")

# Allocations (less deallocations) before a young collection; Python's default is 700.
GEN0_THRESHOLD = 20_000
# A pause this long is worth a line in the log.
LOG_PAUSE_S = 0.05


class GcWatch:
    """Records every collection's pause (through ``gc.callbacks``)."""

    def __init__(self) -> None:
        self.longest = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self.total = [0.0, 0.0, 0.0]
        self._started = 0.0
        self._installed = False
        self._old_threshold: tuple[int, int, int] | None = None

    def install(self) -> None:
        if self._installed:
            return
        self._installed = True
        gc.callbacks.append(self._callback)
        self._old_threshold = gc.get_threshold()
        _, g1, g2 = self._old_threshold
        gc.set_threshold(max(GEN0_THRESHOLD, self._old_threshold[0]), g1, g2)

    def uninstall(self) -> None:
        if not self._installed:
            return
        self._installed = False
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)
        if self._old_threshold is not None:
            gc.set_threshold(*self._old_threshold)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        gen = int(info.get("generation", 2))
        pause = time.perf_counter() - self._started
        self.count[gen] += 1
        self.total[gen] += pause
        if pause > self.longest[gen]:
            self.longest[gen] = pause
            if pause >= LOG_PAUSE_S:
                log.warning("garbage collection of generation %d paused %.0f ms", gen,
                            pause * 1000)

    def freeze(self) -> None:
        """What lives now lives as long as the process: out of the collector's sight (after
        a young collection, so recent garbage is not frozen with it)."""
        gc.collect(1)
        gc.freeze()

    def summary(self) -> dict[str, Any]:
        return {"longest_ms": [round(x * 1000, 2) for x in self.longest],
                "count": list(self.count),
                "total_ms": [round(x * 1000, 1) for x in self.total],
                "threshold": list(gc.get_threshold()), "frozen": gc.get_freeze_count()}


#: The process's watch: installed by the app's lifespan.
WATCH = GcWatch()
