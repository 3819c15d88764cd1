"""Several `circle server` processes started at once on one empty database all come up, with one admin."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from dbtools import drop_database_url, fresh_database_url
from e2e.harness import Server, clean_env, free_port

pytestmark = pytest.mark.slow

SERVERS = 3


def _servers(root: Path, kind: str, database: str) -> list[Server]:
    """Return (not yet started) servers on `database`. On SQLite they share one data dir (the database's, and
    the keys generated into it at the first start); elsewhere each has its own, and the keys come from settings."""
    servers = []
    for index in range(SERVERS):
        data = root / ("data" if kind == "sqlite" else f"server-{index}")
        data.mkdir(exist_ok=True)
        port = free_port()
        keys = {} if kind == "sqlite" else {"CIRCLE_SECRET_KEY": "race-secret-key",
                                            "CIRCLE_AGENT_SECRET": "race-agent-secret"}
        servers.append(Server(data_dir=data, port=port, env=clean_env(
            CIRCLE_DATA_DIR=str(data), CIRCLE_DATABASE_URL=database, CIRCLE_HOST=f"http://127.0.0.1:{port}",
            **keys)))
    return servers


def _logins(database: str) -> list[str]:
    """Return the logins of the users in `database`."""
    engine = create_engine(database)
    with engine.connect() as conn:
        logins = list(conn.execute(text("SELECT login FROM users")).scalars())
    engine.dispose()
    return logins


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "mysql"])
def test_servers_started_together_on_an_empty_database_all_come_up_with_one_admin(kind: str, tmp_path: Path):
    """Three servers launched at the same moment: all migrate-or-wait, listen, answer /healthz; one admin."""
    database = fresh_database_url(kind, tmp_path, "race")
    if kind == "sqlite":
        database = f"sqlite:///{tmp_path / 'data' / 'circle.db'}"
    try:
        servers = _servers(tmp_path, kind, database)
        for server in servers:
            server.launch()
        try:
            for server in servers:
                try:
                    server.wait_listening(timeout=90)
                except RuntimeError as err:
                    raise AssertionError(f"{err}\n{(server.data_dir / 'server.log').read_text()}") from None
            for server in servers:
                health = requests.get(f"{server.url}/healthz", timeout=10)
                assert health.status_code == 200 and health.json()["status"] == "ok"
        finally:
            for server in servers:
                server.stop()
        assert [server.password != "" for server in servers].count(True) == 1
        assert _logins(database) == ["admin"]
    finally:
        drop_database_url(kind, tmp_path, database)
