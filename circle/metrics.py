"""The server process's own Prometheus metrics (prometheus-client), counted where things happen.

These live for the process and count what it did: HTTP requests, RPC calls, webhook deliveries, log
lines, build and queue-wait durations, database errors. What the database knows for the whole
installation (builds by status, tasks, agents) is read when scraped (circle.service.metrics). Every
layer may import this module: it depends on prometheus-client only.
"""
from __future__ import annotations

from prometheus_client import Counter, Histogram

# Seconds, from a quick step to an hour-long build.
DURATION_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, float("inf"))
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, float("inf"))

BUILD_DURATION = Histogram("circle_build_duration_seconds", "Seconds from a build's start to its end, by status",
                           ["status"], buckets=DURATION_BUCKETS, registry=None)
QUEUE_WAIT = Histogram("circle_queue_wait_seconds", "Seconds a task waited in the queue until an agent took it",
                       buckets=DURATION_BUCKETS, registry=None)
LOG_LINES = Counter("circle_log_lines", "Log lines stored", registry=None)
LOG_BYTES = Counter("circle_log_bytes", "Bytes of log text stored", registry=None)
HTTP_DURATION = Histogram("circle_http_request_duration_seconds", "Seconds to answer an HTTP request, by route",
                          ["route", "method"], buckets=REQUEST_BUCKETS, registry=None)
RPC_CALLS = Counter("circle_rpc_calls", "Agent JSON-RPC calls by method and result (ok or the error code)",
                    ["method", "result"], registry=None)
WEBHOOKS = Counter("circle_webhook_deliveries", "Webhook deliveries by code host and result",
                   ["forge", "result"], registry=None)
DB_ERRORS = Counter("circle_db_errors", "Requests that failed because the database did", registry=None)
RETENTION_BUILDS = Counter("circle_retention_deleted_builds", "Builds the retention deleted", registry=None)
RETENTION_ARTIFACTS = Counter("circle_retention_deleted_artifacts", "Artifacts the retention deleted", registry=None)
RETENTION_PROCS = Counter("circle_retention_deleted_procs", "Procs of the builds the retention deleted",
                          registry=None)
RETENTION_LOG_BATCHES = Counter("circle_retention_deleted_log_batches",
                                "Stored log batches of the builds the retention deleted", registry=None)

PROCESS_METRICS = (BUILD_DURATION, QUEUE_WAIT, LOG_LINES, LOG_BYTES, HTTP_DURATION, RPC_CALLS, WEBHOOKS, DB_ERRORS,
                   RETENTION_BUILDS, RETENTION_ARTIFACTS, RETENTION_PROCS, RETENTION_LOG_BATCHES)
