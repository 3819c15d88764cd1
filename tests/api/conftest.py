"""Fixtures of the REST API tests: callers, a real local git SCM, an activated repo."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.helpers import Caller, bare_repo, make_caller


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def admin(app: Flask) -> Caller:
    """An administrator."""
    return make_caller("root", admin=True)


@pytest.fixture
def alice(app: Flask) -> Caller:
    """A user without admin rights."""
    return make_caller("alice")


@pytest.fixture
def bob(app: Flask) -> Caller:
    """Another user without admin rights, who has no permission on anything."""
    return make_caller("bob")


@pytest.fixture(scope="session")
def git_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bare repositories made once: acme/app (with a commit on main) and acme/lib (empty)."""
    root = tmp_path_factory.mktemp("git-template") / "git"
    bare_repo(root, "acme/app", commit=True)
    bare_repo(root, "acme/lib")
    return root


@pytest.fixture
def git_root(git_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template repositories, for one test."""
    return Path(shutil.copytree(git_template, tmp_path / "git", symlinks=True))


@pytest.fixture
def local_scm(client: FlaskClient, admin: Caller, git_root: Path) -> dict[str, Any]:
    """A local SCM registered by the admin."""
    answer = client.post("/api/scms", headers=admin.headers,
                         json={"kind": "local", "name": "disk", "url": str(git_root)})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


@pytest.fixture
def repo(client: FlaskClient, admin: Caller, local_scm: dict[str, Any]) -> dict[str, Any]:
    """acme/app activated by the admin."""
    answer = client.post("/api/repos", headers=admin.headers, json={"scm_id": local_scm["id"], "full_name": "acme/app"})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()

