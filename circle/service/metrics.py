"""`GET /metrics`: the process's own metrics (circle.metrics) and what the database knows, read when scraped.

Builds by status and event, tasks by state and agents paused/online/offline come from the database, so every
server process answers the same installation-wide values; each process's own counters and histograms
count what that process did (scrape every server process, or sum them).
"""
from __future__ import annotations

from typing import Iterator

from flask import current_app
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from circle import metrics
from circle.service import agents as agent_service
from circle.store import agents as agent_store
from circle.store import builds as build_store
from circle.store import retention as retention_store
from circle.store import tasks as task_store

EXTENSION = "circle.metrics"


class InstallationCollector:
    """Read builds, tasks and agents from the database at each scrape."""

    def collect(self) -> Iterator[Metric]:
        """Yield the database's figures as metric families."""
        builds = CounterMetricFamily("circle_builds", "Builds by status and event", labels=["status", "event"])
        for status, event, count in build_store.count_by_status_and_event():
            builds.add_metric([status, event or ""], count)
        yield builds
        tasks = task_store.count_by_state()
        yield GaugeMetricFamily("circle_queue_pending", "Tasks waiting for an agent", value=tasks.get("pending", 0))
        yield GaugeMetricFamily("circle_queue_running", "Tasks an agent holds (running or being canceled)",
                                value=tasks.get("running", 0) + tasks.get("canceled", 0))
        agents = GaugeMetricFamily("circle_agents", "Agents by state: paused, else online or offline (no contact "
                                   "for two long-polls)", labels=["state"])
        for state, count in agent_store.count_by_state(agent_service.online_since()).items():
            agents.add_metric([state], count)
        yield agents
        size = retention_store.database_size()
        if size is not None:
            yield GaugeMetricFamily("circle_database_size_bytes", "Bytes the database takes (SQLite: its pages)",
                                    value=size)


def exposition() -> bytes:
    """Return the Prometheus text exposition of this process and the installation."""
    registry = current_app.extensions.get(EXTENSION)
    if registry is None:
        registry = CollectorRegistry()
        for metric in metrics.PROCESS_METRICS:
            registry.register(metric)
        registry.register(InstallationCollector())
        current_app.extensions[EXTENSION] = registry
    return generate_latest(registry)
