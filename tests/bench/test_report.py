"""The pure parts of `python -m bench`: percentiles, and the ratio/goal table built from recorded results."""
from __future__ import annotations

import pytest

from bench import report
from bench.summary import percentile, summarize


def _lat(median: float, p90: float) -> dict:
    """A latency variant as both harnesses record it."""
    return {"trigger_to_complete_ms": {"median": median, "p90": p90}, "server_cpu_ms_per_build": 40.0,
            "master_cpu_ms_per_build": 160.0}


CIRCLE = {
    "latency": {"one/api/poll10ms": _lat(80.0, 120.0), "one/api/push": _lat(50.0, 60.0)},
    "throughput": {"one-1a/api": {"builds_per_s": 30.0, "server_cpu_ms_per_build": 12.0},
                   "one-2a/api": {"builds_per_s": 40.0}},
    "memory_idle": {"server": {"rss_mib": 90.0}, "agent1": {"rss_mib": 40.0}},
    "startup": {"server_http_ready_s": {"median": 0.3}},
}
BUILDBOT = {
    "latency": {"one-1w/force/poll10ms": _lat(900.0, 1000.0), "one-1w/force/push": _lat(400.0, 450.0)},
    "throughput": {"one-1w/force": {"builds_per_s": {"median": 2.0}, "master_cpu_ms_per_build": {"median": 150.0}},
                   "one-2w/force": {"builds_per_s": {"median": 4.0}}},
    "memory_idle": {"master": {"rss_mib": 93.0}, "w1": {"rss_mib": 54.0}},
    "startup": {"master_http_ready_s": {"median": 0.8}},
}


def _row(table: list[dict], label: str) -> dict:
    """Return the row of the metric called label."""
    return next(r for r in table if r["metric"] == label)


def test_percentile_takes_the_sample_at_the_rounded_rank():
    """p50 and p90 are samples of the list, at rank round(q·(n-1)) as Buildbot's bench.py computes them."""
    samples = [float(x) for x in range(20, 0, -1)]
    assert percentile(samples, 0.5) == 11.0 and percentile(samples, 0.9) == 18.0
    assert percentile([7.0], 0.9) == 7.0
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_summarize_scales_and_rounds():
    """Seconds become milliseconds; an empty list has no summary."""
    assert summarize([0.1, 0.2, 0.3], 1000, 1) == {"n": 3, "min": 100.0, "median": 200.0, "p90": 300.0,
                                                   "max": 300.0, "mean": 200.0}
    assert summarize([]) is None


def test_rows_compare_ratios_with_the_goals():
    """Each row is circle/Buildbot; a ratio under a "<=" goal or over a ">=" goal is met, others are not."""
    table = report.rows(CIRCLE, BUILDBOT)
    latency = _row(table, "1-step with clone, API/force → done, 10 ms poll, p50")
    assert (latency["circle"], latency["buildbot"], latency["ratio"], latency["met"]) == (80.0, 900.0, 0.089, True)
    push = _row(table, "1-step with clone, API/force → done, push, p50")
    assert (push["ratio"], push["goal"], push["met"]) == (0.125, "<= 0.1", False)
    one = _row(table, "throughput, builds sent at once, 1 agent/worker, API/force")
    assert (one["ratio"], one["goal"], one["met"]) == (15.0, ">= 10", True)
    two = _row(table, "throughput, builds sent at once, 2 agents/workers, API/force")
    assert (two["ratio"], two["goal"], two["met"]) == (10.0, ">= 15", False)
    assert _row(table, "server RSS idle")["met"] is True
    assert _row(table, "server start: spawn → first 200 (p50)")["ratio"] == 0.375
    p90 = _row(table, "1-step with clone, API/force → done, 10 ms poll, p90")
    assert (p90["goal"], p90["met"]) == ("", None)


def test_figures_a_side_did_not_measure_stay_empty():
    """A phase missing from either side (or a side missing entirely) leaves its figure, ratio and verdict empty."""
    table = report.rows(CIRCLE, None)
    log = _row(table, "10 000-line build → done, push, p50")
    assert (log["circle"], log["buildbot"], log["ratio"], log["met"]) == (None, None, None, None)
    assert all(r["buildbot"] is None and r["met"] is None for r in table)
    text = report.markdown(report.rows(CIRCLE, BUILDBOT), "sqlite")
    assert "| 1-step with clone, API/force → done, 10 ms poll, p50 (ms) | 80 | 900 | 0.089 | <= 0.1 | yes |" in text
    assert "| 10 000-line build → done, push, p50 (ms) | — | — | — |  |  |" in text
