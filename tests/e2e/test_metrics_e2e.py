"""A scrape of a real server before and after a real agent ran a build: counters, gauges and histogram buckets."""
from __future__ import annotations

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.slow

PIPELINE = "pipeline:\n  hi:\n    image: x\n    commands: [echo hi]\n"


def _scrape(server) -> dict[tuple[str, tuple], float]:
    """Return (sample name, sorted labels) → value of the server's /metrics (scraped over loopback, no token)."""
    answer = requests.get(f"{server.url}/metrics", timeout=10)
    assert answer.status_code == 200, answer.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def test_a_scrape_counts_the_build_its_queue_wait_and_duration(server, activate, request: pytest.FixtureRequest):
    """Pending with no agent: one build pending, one task queued. After an agent ran it: one successful build,
    an empty queue, one online agent, and the duration histogram's buckets 1 from the build's duration up."""
    repo_id, _ = activate({".circle.yml": PIPELINE})
    number = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    waiting = _scrape(server)
    assert waiting[("circle_builds_total", (("event", "manual"), ("status", "pending")))] == 1
    assert waiting[("circle_queue_pending", ())] == 1 and waiting[("circle_queue_running", ())] == 0
    request.getfixturevalue("agent")
    build = server.wait_build(repo_id, number)
    assert build["status"] == "success", build
    done = _scrape(server)
    assert done[("circle_builds_total", (("event", "manual"), ("status", "success")))] == 1
    assert done.get(("circle_builds_total", (("event", "manual"), ("status", "pending"))), 0) == 0
    assert done[("circle_queue_pending", ())] == 0 and done[("circle_queue_running", ())] == 0
    assert done[("circle_agents", (("state", "online"),))] == 1
    assert done[("circle_queue_wait_seconds_count", ())] == 1
    assert done[("circle_build_duration_seconds_count", (("status", "success"),))] == 1
    took = build["finished"] - build["started"]
    assert done[("circle_build_duration_seconds_sum", (("status", "success"),))] == took
    buckets = {float(labels[0][1]): value for (name, labels), value in done.items()
               if name == "circle_build_duration_seconds_bucket" and labels[1] == ("status", "success")}
    assert buckets and buckets == {le: 1.0 if le >= took else 0.0 for le in buckets}
