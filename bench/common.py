"""Pieces shared by the load generator, the orchestrator and the report.

Latencies are kept in log-bucket histograms (1 % wide buckets, from 1 µs up), so a run with
millions of deliveries costs a few kilobytes and histograms of several processes (or of the Node
load generator, which uses the same formula in yws_loadgen.mjs) add up exactly.

Senders are open loop: op ``k`` of writer ``w`` (its rank among the ``W`` writers of a phase) is
due at ``intended(start, W, hz, w, k)``, whatever happened to earlier ops; receivers compute the
same time from ``(phase, w, k)`` carried in the op, so latency counts from the intended send
time and a sender that falls behind makes latency worse, never better (no coordinated omission).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

BUCKETS_PER_E = 100.0  # log buckets per factor e: about 1 % wide


def bucket(latency_s: float) -> int:
    us = latency_s * 1e6
    return int(math.log(us) * BUCKETS_PER_E) if us > 1.0 else 0


def bucket_value_ms(idx: int) -> float:
    return math.exp((idx + 0.5) / BUCKETS_PER_E) / 1000.0 if idx > 0 else 0.001


def intended(start: float, writers: int, hz: float, w: int, k: int) -> float:
    """When op ``k`` of writer ``w`` is due: writers are spread evenly over one period."""
    return start + (w / writers + k) / hz


Hist = dict[int, int]


def merge(hists: Iterable[Mapping[int | str, int]]) -> Hist:
    out: Hist = {}
    for h in hists:
        for k, v in h.items():
            out[int(k)] = out.get(int(k), 0) + v
    return out


def count(h: Mapping[int, int]) -> int:
    return sum(h.values())


def percentile(h: Mapping[int, int], q: float) -> float | None:
    """The q-quantile (0..1) of a histogram in milliseconds, None when empty."""
    total = sum(h.values())
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for idx in sorted(h):
        seen += h[idx]
        if seen >= rank:
            return bucket_value_ms(idx)
    return bucket_value_ms(max(h))


def summary(h: Mapping[int, int]) -> dict[str, float | int | None]:
    return {
        "n": count(h),
        "p50": percentile(h, 0.50),
        "p99": percentile(h, 0.99),
        "p999": percentile(h, 0.999),
        "max": bucket_value_ms(max(h)) if h else None,
    }
