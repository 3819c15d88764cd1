"""The `evaluate` expression language."""
from __future__ import annotations

import pytest

from circle.compiler.expr import ExprError, compile_expr, evaluate_bool

ENV = {"CI_COMMIT_BRANCH": "release/1.2", "CI_BUILD_EVENT": "push", "TASK": "docs", "N": "3"}


@pytest.mark.parametrize("source, expected", [
    ('TASK == "docs"', True),
    ("TASK != 'docs'", False),
    ('CI_COMMIT_BRANCH matches "^release/[0-9.]+$"', True),
    ('CI_COMMIT_BRANCH startsWith "release" and CI_BUILD_EVENT in ["push", "tag"]', True),
    ('not (TASK contains "doc") || CI_BUILD_EVENT == "tag"', False),
    ('!(UNKNOWN == "") && CI_COMMIT_BRANCH endsWith "1.2"', False),
    ('CI_BUILD_EVENT not in ["tag"]', True),
    ("true && !false", True),
    ('N == "3"', True),
])
def test_evaluate(source: str, expected: bool) -> None:
    assert evaluate_bool(compile_expr(source), ENV) is expected


@pytest.mark.parametrize("source", ['TASK ==', '"a" "b"', "(TASK", "TASK matches '['", "@", "contains 'x'"])
def test_syntax_errors(source: str) -> None:
    with pytest.raises(ExprError):
        compile_expr(source)


def test_non_boolean_results_are_errors() -> None:
    with pytest.raises(ExprError):
        evaluate_bool(compile_expr("TASK"), ENV)
    with pytest.raises(ExprError):
        evaluate_bool(compile_expr("TASK && true"), ENV)
