"""Schemathesis over GET /api/openapi.json against the real app (SQLite, an admin token): no 5xx, documented answers.

Bounded for CI: a few valid and invalid examples per operation, no shrinking, no example database. Every default
check runs but "a schema-valid request is accepted": OpenAPI 3.0 cannot state some rules the API keeps (exactly one
of a config's path and content, build parameter names, an SCM url per kind), so such a request is rightly a 400.
An invalid request may also be refused with 413: strings within their maxLength can still make a body over 1 MiB.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from api.helpers import make_caller
from circle.extensions import db
from dbtools import disposed_after, make_app

EXAMPLES = 8
CONFIG = {"checks": {"positive_data_acceptance": {"enabled": False},
                     "negative_data_rejection": {"expected-statuses": [400, 401, 403, 404, 405, 409, 413, 415]}}}


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app of its own on a fresh SQLite database (the rows the fuzzer creates stay out of other tests)."""
    from circle.database import upgrade

    data_dir: Path = tmp_path_factory.mktemp("schemathesis")
    app = make_app(f"sqlite:///{data_dir / 'circle.db'}", data_dir)
    upgrade(app)
    with disposed_after(app):
        yield app


@pytest.fixture(scope="module")
def admin_headers(fuzzed_app: Flask) -> dict[str, str]:
    """The Authorization header of an administrator."""
    with fuzzed_app.app_context():
        caller = make_caller("fuzz-admin", admin=True)
        db.session.commit()
        return caller.headers


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> str | None:
    """Run one operation's generated cases of `mode`; return the first failure as text, None when all pass."""
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers)
    try:
        run()
    except Unsatisfiable:  # nothing to make invalid: no parameter, body or credential (GET /api/schema/pipeline.json)
        if mode is not GenerationMode.NEGATIVE:
            raise
    except (Exception, BaseExceptionGroup) as err:  # schemathesis raises a group of the failures it found
        return f"{operation.label} ({mode}): {err}"
    return None


def test_every_operation_answers_as_documented(fuzzed_app: Flask, admin_headers: dict[str, str]):
    """Generated requests, valid and invalid, get no 5xx, a documented status, and answers matching the document."""
    document = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzzed_app,
                                              config=SchemathesisConfig.from_dict(CONFIG))
    operations = [result.ok() for result in document.get_all_operations()]
    assert len(operations) > 40
    failures = [failure for operation in operations for mode in GenerationMode
                if (failure := _fuzz(operation, mode, admin_headers)) is not None]
    assert not failures, "\n\n".join(failures)
