"""Integer path ids outside the stored range answer 404 on every route that has one, on every database."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from api.helpers import Caller
from circle.limits import INT_MAX

IGNORED_METHODS = {"HEAD", "OPTIONS"}
BEYOND = [INT_MAX + 1, 2**63, 10**30]


def id_routes(app: Flask) -> list[tuple[str, Rule]]:
    """Return (method, rule) of every HTTP route of the app with an integer path parameter."""
    return [(method, rule) for rule in app.url_map.iter_rules() if "<int:" in rule.rule and not rule.websocket
            for method in sorted(rule.methods - IGNORED_METHODS)]


def path(rule: Rule, number: int) -> str:
    """Return the rule's path with every integer parameter `number` and every other one "x"."""
    return re.sub(r"<\w+>", "x", re.sub(r"<int:\w+>", str(number), rule.rule))


def test_the_routes_with_ids_are_found(app: Flask):
    """The enumeration sees the routes with ids (so a new route is covered without editing this file)."""
    rules = {rule.rule for _, rule in id_routes(app)}
    assert {"/api/repos/<int:repo_id>", "/api/scms/<int:scm_id>", "/hook/<int:scm_id>/<int:repo_id>",
            "/repos/<int:repo_id>/builds/<int:number>"} <= rules


@pytest.mark.parametrize("number", BEYOND)
def test_ids_beyond_the_stored_range_are_404(app: Flask, client: FlaskClient, admin: Caller, number: int):
    """Every route answers an out-of-range id with 404 and the error JSON naming it; the database is never asked."""
    for method, rule in id_routes(app):
        answer = client.open(path(rule, number), method=method, headers=admin.headers, json={})
        assert answer.status_code == 404, (method, rule.rule, answer.data[:200])
        assert answer.get_json() == {"error": "Not Found",
                                     "message": f"id {str(number)[:32]} not found: ids are at most {INT_MAX}"}


def test_the_largest_stored_id_reaches_the_database_without_error(app: Flask, client: FlaskClient, admin: Caller):
    """INT_MAX itself is looked up on every database: an answer below 500 (a 404 for the missing row)."""
    for method, rule in id_routes(app):
        answer = client.open(path(rule, INT_MAX), method=method, headers=admin.headers, json={})
        assert answer.status_code < 500, (method, rule.rule, answer.data[:200])
