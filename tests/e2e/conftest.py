"""Fixtures for end-to-end tests: one server per module, an agent, and an SCM of bare repos."""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from e2e.harness import Server, clean_env, free_port, make_repo, start_agent

_names = itertools.count(1)


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A running server (no embedded agent) with the module's LEASE_SECONDS (default 3), its SERVER_ENV settings
    and a local SCM."""
    data = tmp_path_factory.mktemp("server")
    port = free_port()
    lease = str(getattr(request.module, "LEASE_SECONDS", 3))
    instance = Server(data_dir=data, port=port, env=clean_env(
        CIRCLE_DATA_DIR=str(data), CIRCLE_LEASE_SECONDS=lease, CIRCLE_HOST=f"http://127.0.0.1:{port}",
        **getattr(request.module, "SERVER_ENV", {})))
    instance.start()
    git_root = data / "git"
    git_root.mkdir()
    instance.scm_id = instance.ok("POST", "/api/scms", json={"kind": "local", "name": "disk",
                                                             "url": str(git_root)})["id"]
    instance.git_root = git_root
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def agent(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One agent process running two workflows at once on the local backend."""
    process = start_agent(server, "agent-main", tmp_path_factory.mktemp("agent"), "--max-procs", "2")
    yield process
    process.terminate()
    process.wait(30)


@pytest.fixture
def activate(server: Server) -> Callable[[dict[str, str]], tuple[int, Path]]:
    """Create a bare repo holding `files`, activate it, and return (repo id, work clone)."""
    def make(files: dict[str, str]) -> tuple[int, Path]:
        full_name = f"acme/app{next(_names)}"
        work = make_repo(server.git_root, full_name, files)
        repo = server.ok("POST", "/api/repos", json={"scm_id": server.scm_id, "full_name": full_name})
        return repo["id"], work
    return make
