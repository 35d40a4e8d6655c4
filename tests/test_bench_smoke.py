"""The benchmark's harness, tiny: `make bench`'s load generator, peers and report run for a few
seconds against the raw relay and this server, so the harness never rots. It asserts that the
harness counts right (nothing lost, every expected delivery counted, the report renders), never
how fast anything is: speed is `make bench`'s business (docs/PERFORMANCE.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import report
from bench.run import Bench

pytestmark = pytest.mark.slow


def tiny(tmp_path: Path) -> Bench:
    bench = Bench(quick=True, workdir=tmp_path)
    bench.measure, bench.warmup = 1.5, 0.5
    bench.procs = 2  # the writers in one process, the other receivers in another
    return bench


def check_counts(run: dict[str, Any]) -> None:
    assert not any(run["lost"].values()), run["lost"]
    assert run["dups"] == 0 and run["gaps"] == 0 and run["reorders"] == 0
    assert run["errors"] == {}
    # Every note.add reaches every receiver of its board, the writer included.
    assert run["delivered_total"]["add"] == run["expected_total"]["add"] > 0
    assert run["sent_total"]["add"] * run["clients"] == run["expected_total"]["add"]
    assert run["latency"]["p50"] is not None and run["latency"]["p99"] >= run["latency"]["p50"]


def test_bench_harness_counts_add_up(tmp_path: Path) -> None:
    bench = tiny(tmp_path)
    try:
        with bench.target("relay_ws") as t:
            bench.load(t, "one_board", t.layout(1, 8, 2), [bench.phase(2, "smoke")])
        with bench.target("vh_memory") as t:
            bench.load(t, "one_board", t.layout(1, 8, 2), [bench.phase(2, "smoke")])
            bench.storm(t, 8)
            bench.idle(t, [5, 10])
    finally:
        bench.sampler.close()
    assert bench.results["failures"] == []
    runs = bench.results["runs"]
    assert [r["target"] for r in runs] == ["relay_ws", "vh_memory", "vh_memory"]
    for run in runs:
        check_counts(run)
    ours = runs[1]
    assert ours["seq_missing"] == 0
    # This server coalesces drags (R9): never more drag deliveries than were sent × receivers.
    assert ours["delivered_total"]["drag"] <= ours["sent_total"]["drag"] * ours["clients"]
    storm = bench.results["storm"][0]
    assert storm["clients"] == 4 and storm["failed"] == 0 and storm["gaps"] == 0
    assert storm["all_caught_up_s"] is not None
    idle = bench.results["idle"][0]
    assert [p["n"] for p in idle["points"]] == [5, 10]
    assert all(p["disconnects"] == 0 for p in idle["points"])
    bench.results.update(started="smoke", command="pytest", quick=True, elapsed_s=1.0,
                         loadavg_start=(0.0, 0.0, 0.0), loadavg_end=(0.0, 0.0, 0.0))
    page = report.markdown(bench.results, "plot.png")
    assert "| (1) relay websockets |" in page and "| (4) vh memory |" in page
