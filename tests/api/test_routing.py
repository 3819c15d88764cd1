"""circle.api.routing: Flask knows every rule of the route table from the start (tests/test_lazy_views.py: and
loads a view's module on its first call)."""
from __future__ import annotations

from pathlib import Path

from circle.api.routes import ROUTES
from dbtools import make_app


def test_every_route_of_the_table_is_a_rule_of_the_app(tmp_path: Path):
    """Each entry is a rule with its method and endpoint, and names a documented view of its module."""
    app = make_app(f"sqlite:///{tmp_path / 'circle.db'}", tmp_path)
    rules = {(rule.rule, rule.endpoint): rule.methods for rule in app.url_map.iter_rules()}
    for route in ROUTES:
        assert route.method in rules[(route.rule, route.endpoint)], route
        assert route.function.__module__ == f"circle.api.{route.view.rpartition('.')[0]}" and route.summary, route
