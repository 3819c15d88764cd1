"""Fixtures of the service tests: a repo whose one stored config is the test module's GOOD pipeline."""
from __future__ import annotations

import pytest

from circle.store import configs, repos, scms, users


@pytest.fixture(autouse=True)
def _forges_retried_at_once(no_backoff: None) -> None:
    """The forges these tests name are absent (a refused port), and each delivery asks them: tried at once."""


@pytest.fixture
def repo(app, request: pytest.FixtureRequest):
    """A repo (of a local SCM) with one stored config holding the module's GOOD pipeline."""
    owner = users.create("owner", "pw", admin=True)
    scm = scms.create(kind="local", name="disk", url="/srv", owner_id=owner.id)
    row = repos.create(scm_id=scm.id, full_name="a/b", owner="a", name="b", clone_url="/srv/a/b")
    configs.create(repo_id=row.id, name="default", content=request.module.GOOD)
    return row
