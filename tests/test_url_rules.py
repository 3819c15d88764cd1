"""circle.url_rules: the app's rules build the URLs Werkzeug's would, compiling their builders only when used."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, url_for
from werkzeug import routing

from circle.url_rules import Rule
from dbtools import make_app

WERKZEUG = "<werkzeug routing>"  # the file name of the builders Werkzeug compiles


def _app(tmp_path: Path) -> Flask:
    """Return an app on a throwaway SQLite database."""
    return make_app(f"sqlite:///{tmp_path / 'circle.db'}", tmp_path)


def _compiled(rule: routing.Rule) -> set[str]:
    """Return which of a rule's two builders are Werkzeug's compiled functions."""
    return {slot for slot in ("_build", "_build_unknown") if getattr(rule, slot).__code__.co_filename == WERKZEUG}


def _values(rule: routing.Rule) -> dict[str, object]:
    """Return a value for each argument of a rule (ints for its int converters), plus one unknown argument."""
    ints = {name for name, converter in rule._converters.items() if isinstance(converter, routing.IntegerConverter)}
    return {**{name: 7 if name in ints else "a b/c" for name in rule.arguments}, "extra": "x y"}


def test_the_app_adds_every_rule_without_compiling_a_builder(tmp_path: Path):
    """After create_app no rule but Flask's static one has compiled a URL builder; building one compiles it."""
    app = _app(tmp_path)
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    assert len(rules) > 50 and all(isinstance(rule, Rule) for rule in rules)
    assert [rule.rule for rule in rules if _compiled(rule)] == []
    with app.test_request_context():
        assert url_for("web.repo", repo_id=3) == "/repos/3"
    (repo_page,) = [rule for rule in rules if rule.endpoint == "web.repo"]
    assert _compiled(repo_page) == {"_build_unknown"}  # url_for's, which appends unknown arguments


def test_every_rule_builds_what_werkzeugs_rule_builds(tmp_path: Path):
    """With and without unknown arguments, every rule's URL equals the one of a plain Werkzeug rule."""
    app = _app(tmp_path)
    plain = routing.Map([routing.Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods, defaults=rule.defaults,
                                      websocket=rule.websocket) for rule in app.url_map.iter_rules()],
                        converters=app.url_map.converters)
    ours, theirs = app.url_map.bind("localhost"), plain.bind("localhost")
    for rule in app.url_map.iter_rules():
        values = _values(rule)
        method = sorted(rule.methods or {"GET"})[0]
        for append_unknown in (True, False):
            built = ours.build(rule.endpoint, values, method=method, append_unknown=append_unknown)
            assert built == theirs.build(rule.endpoint, values, method=method, append_unknown=append_unknown)
