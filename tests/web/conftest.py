"""Fixtures of the dashboard tests: a Flask app with the pages (test client), and for the browser
tests a real server process with the dashboard, a real agent, and headless Chromium."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from circle.database import upgrade
from dbtools import disposed_after, emptied, make_app
from e2e.harness import Server, clean_env, free_port, start_agent
from web.browser import require_browser, start_chromium


@pytest.fixture(scope="session")
def site_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app with the dashboard on a migrated SQLite database, once per session."""
    data_dir = tmp_path_factory.mktemp("web-data")
    app = make_app(f"sqlite:///{data_dir / 'circle.db'}", data_dir)
    upgrade(app)
    with disposed_after(app):
        yield app


@pytest.fixture
def site(site_app: Flask) -> Iterator[Flask]:
    """The dashboard app with empty tables, no login failures counted, and an active app context."""
    site_app.extensions.pop("circle.login_throttle", None)
    with emptied(site_app):
        yield site_app


@pytest.fixture
def client(site: Flask) -> FlaskClient:
    """A test client (it keeps the session cookie between requests)."""
    return site.test_client()


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A running server with the dashboard, its bootstrap admin, a directory of bare git repos, and one agent."""
    require_browser()
    data = tmp_path_factory.mktemp("web-server")
    port = free_port()
    server = Server(data_dir=data, port=port, env=clean_env(
        CIRCLE_DATA_DIR=str(data), CIRCLE_LEASE_SECONDS="3", CIRCLE_HOST=f"http://127.0.0.1:{port}"))
    server.start()
    server.git_root = data / "git"
    server.git_root.mkdir()
    agent = start_agent(server, "web-agent", tmp_path_factory.mktemp("web-agent"), "--max-procs", "2")
    yield server
    agent.terminate()
    agent.wait(30)
    server.stop()


@pytest.fixture(scope="module")
def browser(web_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium with a fresh profile."""
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.fixture
def shots() -> Path:
    """Where screenshots go (outside the repository)."""
    path = Path("/tmp/circle-web-shots")
    path.mkdir(exist_ok=True)
    return path
