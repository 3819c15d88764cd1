"""The side-by-side table: circle's figure, Buildbot's, their ratio, the issue's goal and whether it is met."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

Getter = Callable[[dict[str, Any]], float]


@dataclass(frozen=True)
class Metric:
    """One row: how to read it from each side's results, its unit, and the goal on circle/Buildbot (if any)."""

    label: str
    circle: Getter
    buildbot: Getter
    unit: str
    goal: tuple[str, float] | None = None  # ("<=", 0.1): ratio at most 0.1; (">=", 10): at least 10


def _lat(key: str, stat: str = "median") -> Getter:
    """Read a latency variant's trigger → complete statistic in ms."""
    return lambda r: r["latency"][key]["trigger_to_complete_ms"][stat]


def _tp(key: str) -> Getter:
    """Read builds/s of a circle throughput run."""
    return lambda r: r["throughput"][key]["builds_per_s"]


def _bb_tp(key: str, field: str = "builds_per_s") -> Getter:
    """Read the median over Buildbot's repeats of a throughput figure."""
    return lambda r: r["throughput"][key][field]["median"]


def _mem(when: str, role: str, field: str) -> Getter:
    """Read one process's memory figure in MiB."""
    return lambda r: r[when][role][field]


LATENCY_GOAL = ("<=", 0.1)
METRICS = [
    Metric("1-step with clone, API/force → done, 10 ms poll, p50", _lat("one/api/poll10ms"),
           _lat("one-1w/force/poll10ms"), "ms", LATENCY_GOAL),
    Metric("1-step with clone, API/force → done, 10 ms poll, p90", _lat("one/api/poll10ms", "p90"),
           _lat("one-1w/force/poll10ms", "p90"), "ms"),
    Metric("1-step with clone, API/force → done, push, p50", _lat("one/api/push"), _lat("one-1w/force/push"),
           "ms", LATENCY_GOAL),
    Metric("1-step with clone, API/force → done, push, p90", _lat("one/api/push", "p90"),
           _lat("one-1w/force/push", "p90"), "ms"),
    Metric("1-step with clone, webhook → done, 10 ms poll, p50", _lat("one/hook/poll10ms"),
           _lat("one-1w/hook/poll10ms"), "ms", LATENCY_GOAL),
    Metric("1-step with clone, webhook → done, push, p50", _lat("one/hook/push"), _lat("one-1w/hook/push"),
           "ms", LATENCY_GOAL),
    Metric("1-step skip_clone, API/force → done, 10 ms poll, p50", _lat("one-noclone/api/poll10ms"),
           _lat("one-1w/force/poll10ms"), "ms"),
    Metric("1-step skip_clone, API/force → done, push, p50", _lat("one-noclone/api/push"),
           _lat("one-1w/force/push"), "ms"),
    Metric("1-step skip_clone, webhook → done, 10 ms poll, p50", _lat("one-noclone/hook/poll10ms"),
           _lat("one-1w/hook/poll10ms"), "ms"),
    Metric("5-step, API/force → done, 10 ms poll, p50", _lat("five/api/poll10ms"), _lat("five-1w/force/poll10ms"),
           "ms"),
    Metric("5-step, API/force → done, push, p50", _lat("five/api/push"), _lat("five-1w/force/push"), "ms"),
    Metric("10 000-line build → done, push, p50", lambda r: r["log10k"]["trigger_to_complete_ms"]["median"],
           lambda r: r["log10k"]["trigger_to_complete_ms"]["median"], "ms"),
    Metric("10 000-line build → all lines read in order, p50",
           lambda r: r["log10k"]["trigger_to_all_lines_read_ms"]["median"],
           lambda r: r["log10k"]["trigger_to_complete_ms"]["median"] + r["log10k"]["fetch_raw_ms"]["median"], "ms"),
    Metric("throughput, builds sent at once, 1 agent/worker, API/force", _tp("one-1a/api"), _bb_tp("one-1w/force"),
           "builds/s", (">=", 10)),
    Metric("throughput, builds sent at once, 1 agent/worker, webhook", _tp("one-1a/hook"), _bb_tp("one-1w/hook"),
           "builds/s", (">=", 10)),
    Metric("throughput, builds sent at once, 2 agents/workers, API/force", _tp("one-2a/api"), _bb_tp("one-2w/force"),
           "builds/s", (">=", 15)),
    Metric("throughput, builds sent at once, 2 agents/workers, webhook", _tp("one-2a/hook"), _bb_tp("one-2w/hook"),
           "builds/s", (">=", 15)),
    Metric("throughput skip_clone, 1 agent/worker, API/force", _tp("one-noclone-1a/api"), _bb_tp("one-1w/force"),
           "builds/s"),
    Metric("throughput skip_clone, 2 agents/workers, API/force", _tp("one-noclone-2a/api"), _bb_tp("one-2w/force"),
           "builds/s"),
    Metric("server CPU per build (builds sent at once, 1 agent, API/force)",
           lambda r: r["throughput"]["one-1a/api"]["server_cpu_ms_per_build"],
           _bb_tp("one-1w/force", "master_cpu_ms_per_build"), "ms", ("<=", 0.1)),
    Metric("server CPU per build (one at a time, API/force, push)",
           lambda r: r["latency"]["one/api/push"]["server_cpu_ms_per_build"],
           lambda r: r["latency"]["one-1w/force/push"]["master_cpu_ms_per_build"], "ms"),
    Metric("server RSS idle", _mem("memory_idle", "server", "rss_mib"), _mem("memory_idle", "master", "rss_mib"),
           "MiB", ("<=", 1.0)),
    Metric("server peak RSS (VmHWM) after the runs", _mem("memory_after_runs", "server", "hwm_mib"),
           _mem("memory_after_runs", "master", "hwm_mib"), "MiB"),
    Metric("agent/worker RSS idle", _mem("memory_idle", "agent1", "rss_mib"), _mem("memory_idle", "w1", "rss_mib"),
           "MiB"),
    Metric("agent/worker peak RSS (VmHWM) after the runs", _mem("memory_after_runs", "agent1", "hwm_mib"),
           _mem("memory_after_runs", "w1", "hwm_mib"), "MiB"),
    Metric("server start: spawn → first 200 (p50)", lambda r: r["startup"]["server_http_ready_s"]["median"] * 1000,
           lambda r: r["startup"]["master_http_ready_s"]["median"] * 1000, "ms", ("<=", 0.5)),
]


def _read(getter: Getter, results: dict[str, Any] | None) -> float | None:
    """Return the figure, or None when that side did not measure it (a phase cut short or failed)."""
    if results is None:
        return None
    try:
        return float(getter(results))
    except (KeyError, TypeError, IndexError):
        return None


def met(ratio: float | None, goal: tuple[str, float] | None) -> bool | None:
    """Return whether the ratio meets the goal (None when there is no goal or no ratio)."""
    if goal is None or ratio is None:
        return None
    op, bound = goal
    return ratio <= bound if op == "<=" else ratio >= bound


def rows(circle: dict[str, Any] | None, buildbot: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Return one row per metric: the label, both figures, circle/Buildbot, the goal and whether it is met."""
    out = []
    for metric in METRICS:
        ours, theirs = _read(metric.circle, circle), _read(metric.buildbot, buildbot)
        ratio = round(ours / theirs, 3) if ours is not None and theirs else None
        out.append({"metric": metric.label, "unit": metric.unit, "circle": ours, "buildbot": theirs, "ratio": ratio,
                    "goal": f"{metric.goal[0]} {metric.goal[1]:g}" if metric.goal else "",
                    "met": met(ratio, metric.goal)})
    return out


def _figure(value: float | None) -> str:
    """Format a figure for the table."""
    if value is None:
        return "—"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def markdown(table: list[dict[str, Any]], title: str) -> str:
    """Render rows as a markdown table under a heading."""
    lines = [f"### {title}", "", "| metric | circle | Buildbot | ratio | goal | met? |", "|---|---:|---:|---:|---|---|"]
    for row in table:
        verdict = {True: "yes", False: "**no**", None: ""}[row["met"]]
        ratio = "—" if row["ratio"] is None else f"{row['ratio']:.3g}"
        lines.append(f"| {row['metric']} ({row['unit']}) | {_figure(row['circle'])} | {_figure(row['buildbot'])} | "
                     f"{ratio} | {row['goal']} | {verdict} |")
    return "\n".join(lines) + "\n"
