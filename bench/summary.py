"""Summaries of raw samples, computed the way Buildbot's bench.py computes them (so the two compare)."""
from __future__ import annotations

import statistics
from typing import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-quantile (0..1) of values: the sample at rank round(q·(n-1)) of the sorted list."""
    if not values:
        raise ValueError("a percentile needs at least one sample")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summarize(values: Sequence[float], scale: float = 1.0, digits: int = 4) -> dict[str, float] | None:
    """Return n, min, median, p90, max and mean of values times scale (None when there are none)."""
    if not values:
        return None
    scaled = [v * scale for v in values]
    return {"n": len(scaled), "min": round(min(scaled), digits), "median": round(statistics.median(scaled), digits),
            "p90": round(percentile(scaled, 0.9), digits), "max": round(max(scaled), digits),
            "mean": round(statistics.fmean(scaled), digits)}
