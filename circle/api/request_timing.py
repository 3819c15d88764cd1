"""Every HTTP request the Flask app answers is timed into circle_http_request_duration_seconds{route, method}.

The route label is the URL rule (`/api/repos/<int:repo_id>`), never the path, so ids do not multiply the
series; a request no rule matched counts as `unmatched`. Agent RPCs bypass Flask (circle.rpc.endpoint) and
are counted as circle_rpc_calls instead.
"""
from __future__ import annotations

import time

from flask import Flask, g, request

from circle.metrics import HTTP_DURATION


def register(app: Flask) -> None:
    """Time every request of `app`."""
    app.before_request(_start)
    app.teardown_request(_finish)


def _start() -> None:
    """Note when the request began."""
    g.circle_request_started = time.perf_counter()


def _finish(_error: BaseException | None) -> None:
    """Record how long the request took."""
    started = g.pop("circle_request_started", None)
    if started is not None:
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        HTTP_DURATION.labels(route, request.method).observe(time.perf_counter() - started)
