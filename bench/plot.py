"""The PNG of a side-by-side run: latency samples of both systems, and circle/Buildbot ratios against the goals."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

# (circle variant, Buildbot variant, label) of the latency samples drawn.
PAIRS = [("one/api/poll10ms", "one-1w/force/poll10ms", "1-step clone\nAPI, poll"),
         ("one/hook/push", "one-1w/hook/push", "1-step clone\nhook, push"),
         ("one-noclone/api/poll10ms", "one-1w/force/poll10ms", "1-step no clone\nAPI, poll"),
         ("five/api/push", "five-1w/force/push", "5-step\nAPI, push")]


def draw(results: dict[str, Any], tables: dict[str, list[dict[str, Any]]], path: Path) -> None:
    """Write the plot to path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 7), gridspec_kw={"width_ratios": [1, 1.3]})
    buildbot = results.get("buildbot") or {}
    series, labels = [], []
    for circle_key, bb_key, label in PAIRS:
        for database, circle in results["circle"].items():
            samples = circle.get("latency", {}).get(circle_key, {}).get("raw_ms")
            if samples:
                series.append(samples)
                labels.append(f"circle/{database}\n{label}")
        samples = buildbot.get("latency", {}).get(bb_key, {}).get("raw_ms")
        if samples:
            series.append(samples)
            labels.append(f"Buildbot\n{label}")
    if series:
        left.boxplot(series, vert=False)
        left.set_yticks(range(1, len(labels) + 1), labels, fontsize=7)
    left.set_xscale("log")
    left.set_xlabel("trigger → build done (ms, log scale)")
    left.set_title("latency samples, one build at a time")

    bars = [(f"{database}: {row['metric']}", row) for database, table in tables.items() for row in table
            if row["goal"] and row["ratio"]]
    for i, (label, row) in enumerate(bars):
        colour = "tab:green" if row["met"] else "tab:red"
        right.barh(i, row["ratio"], color=colour)
        right.plot([float(row["goal"].split()[1])] * 2, [i - 0.4, i + 0.4], color="black", linewidth=2)
    right.set_yticks(range(len(bars)), [label for label, _ in bars], fontsize=7)
    right.set_xscale("log")
    right.axvline(1, color="grey", linewidth=0.5)
    right.set_xlabel("circle / Buildbot (log scale); black tick = goal; green = met")
    right.set_title("ratios with a goal")
    if bars:
        low = min(min(r["ratio"], float(r["goal"].split()[1])) for _, r in bars)
        high = max(max(r["ratio"], float(r["goal"].split()[1])) for _, r in bars)
        right.set_xlim(10 ** math.floor(math.log10(low / 2)), 10 ** math.ceil(math.log10(high * 2)))
    fig.suptitle(results.get("title", "circle vs Buildbot"))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
