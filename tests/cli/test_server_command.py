"""`circle server`, `circle db upgrade`, `circle user add` and `circle token` as real processes."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Return an environment with circle's data in `data_dir` and no inherited CIRCLE_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIRCLE_")}
    env.update(CIRCLE_DATA_DIR=str(data_dir), **extra)
    return env


def _circle(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `python -m circle ARGS` and capture its output."""
    return subprocess.run([sys.executable, "-m", "circle", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def _free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_server_answers_healthz_and_prints_admin(tmp_path):
    """A first start migrates, prints the admin's login, password and token, and answers /healthz."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "circle", "server", "--port", str(port), "--agents", "0"],
                            env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                    status = response.status
                    body = response.read()
            except OSError:
                time.sleep(0.05)
        assert status == 200 and b'"ok"' in body
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "login:    admin" in output and "password: " in output and "token:    " in output


def test_unreachable_database_is_one_sentence(tmp_path):
    """A database that does not answer gives exit 1 and one line, no traceback."""
    result = _circle("db", "upgrade", env=_env(
        tmp_path, CIRCLE_DATABASE_URL=f"postgresql+psycopg://nobody@127.0.0.1:{_free_port()}/x"))
    assert result.returncode == 1
    assert "cannot open the database" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_malformed_database_url_is_one_sentence(tmp_path):
    """An unknown dialect gives exit 1 and a clear sentence."""
    result = _circle("db", "upgrade", env=_env(tmp_path, CIRCLE_DATABASE_URL="nosuchdb://x"))
    assert result.returncode == 1
    assert "CIRCLE_DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_db_upgrade_logs_what_it_migrates(tmp_path):
    """`circle db upgrade` logs at INFO (the default level), so a long upgrade's progress and backup show."""
    result = _circle("db", "upgrade", env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "INFO circle.database: migrating the database from an empty schema to " in result.stderr
    assert "INFO alembic.runtime.migration: Running upgrade 0008 -> 0009" in result.stderr


def test_user_add_then_token_then_duplicate(tmp_path):
    """`user add` prints a token last; `token` prints another; a second `user add` fails and changes nothing."""
    env = _env(tmp_path)
    assert _circle("db", "upgrade", env=env).returncode == 0
    created = _circle("user", "add", "carol", "--admin", "--password", "pw", env=env)
    assert created.returncode == 0, created.stderr
    first_token = created.stdout.strip().splitlines()[-1]
    again = _circle("token", "carol", env=env)
    assert again.returncode == 0 and again.stdout.strip().splitlines()[-1] not in ("", first_token)
    duplicate = _circle("user", "add", "carol", env=env)
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr and "Traceback" not in duplicate.stderr
    missing = _circle("token", "nobody", env=env)
    assert missing.returncode == 1 and "not found" in missing.stderr


def test_a_port_in_use_is_one_sentence_and_changes_nothing(tmp_path):
    """`circle server` on a taken port says so in one line, exits 1, and has not created the database."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _circle("server", "--port", str(port), "--agents", "0", env=_env(tmp_path))
    assert result.returncode == 1, result
    assert result.stderr.strip() == f"circle: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert not (tmp_path / "circle.db").exists()


@pytest.mark.slow
def test_without_circle_host_hook_urls_name_the_port_the_server_listens_on(tmp_path):
    """`circle server --port N` (no CIRCLE_HOST): hook URLs and the printed address use port N."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "circle", "server", "--port", str(port), "--agents", "0"],
                            env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        token, output = "", []
        for line in proc.stdout:
            output.append(line)
            if line.strip().startswith("token:"):
                token = line.split(":", 1)[1].strip()
            if line.startswith("circle is listening on"):
                break
        assert output[-1].strip() == f"circle is listening on http://127.0.0.1:{port}", output
        (tmp_path / "git" / "acme").mkdir(parents=True)
        subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "git" / "acme" / "app.git")], check=True)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def post(path: str, body: bytes) -> dict:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers)
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())

        scm = post("/api/scms", json.dumps({"kind": "local", "name": "disk", "url": str(tmp_path / "git")}).encode())
        repo = post("/api/repos", json.dumps({"scm_id": scm["id"], "full_name": "acme/app"}).encode())
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
    assert repo["hook_url"].startswith(f"http://127.0.0.1:{port}/hook/"), repo["hook_url"]


@pytest.mark.parametrize("command", [["token", "admin"], ["user", "add", "dave"], ["user", "passwd", "admin"],
                                     ["purge", "--older-than", "30d"]])
def test_commands_refuse_a_directory_without_an_installation(tmp_path, command):
    """Run elsewhere than the server's data, a command says so in one sentence and creates nothing."""
    elsewhere = tmp_path / "elsewhere"
    result = _circle(*command, env=_env(elsewhere))
    assert result.returncode == 1, result
    assert result.stderr.strip() == (
        f"circle: there is no circle installation in {elsewhere}: run this where `circle server` keeps its data, "
        "or set CIRCLE_DATA_DIR (`circle db upgrade` creates one)")
    assert not elsewhere.exists()


def _output_until(tmp_path: Path, port: int, circle_host: str, wanted: str) -> list[str]:
    """Start `circle server --port PORT` with CIRCLE_HOST, return its output lines up to one containing `wanted`."""
    proc = subprocess.Popen([sys.executable, "-m", "circle", "server", "--port", str(port), "--agents", "0"],
                            env=_env(tmp_path, CIRCLE_HOST=circle_host), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    watchdog = threading.Timer(30, proc.terminate)  # a line that never comes ends the output, not the test run
    watchdog.start()
    try:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if wanted in line:
                break
    finally:
        watchdog.cancel()
        proc.terminate()
        proc.communicate(timeout=20)
    assert wanted in lines[-1], lines
    return lines


@pytest.mark.slow
def test_a_circle_host_on_another_port_is_warned_of_and_found_not_to_answer(tmp_path):
    """CIRCLE_HOST naming a port nobody listens on: one warning of the port, one that it does not answer."""
    port, other = _free_port(), _free_port()
    host = f"http://127.0.0.1:{other}"
    lines = _output_until(tmp_path, port, host, "does not answer")
    warnings = [line.split(" ", 2)[2] for line in lines if " circle.public_url: " in line]
    assert warnings == [
        f"WARNING circle.public_url: CIRCLE_HOST {host} names port {other} but circle listens on port {port}: "
        f"hook URLs, links and upload URLs reach this server only through a proxy that forwards port {other} "
        f"to {port}",
        f"WARNING circle.public_url: CIRCLE_HOST {host} does not answer GET /healthz from this machine "
        "([Errno 111] Connection refused): code hosts and agents use it for hooks, links and uploads, so set it "
        "to a URL they reach"]


@pytest.mark.slow
def test_a_circle_host_that_reaches_the_server_is_said_to_answer(tmp_path):
    """CIRCLE_HOST naming the listening port under another name: it answers, and nothing is warned of."""
    port = _free_port()
    host = f"http://localhost:{port}"
    lines = _output_until(tmp_path, port, host, f"CIRCLE_HOST {host} answers")
    assert not [line for line in lines if "WARNING circle.public_url" in line]


def test_server_refuses_a_database_from_a_newer_circle(tmp_path):
    """`circle server` on a database at a revision it does not know: one sentence, exit 1, the revision kept."""
    import sqlalchemy as sa

    env = _env(tmp_path)
    assert _circle("db", "upgrade", env=env).returncode == 0
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'circle.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    result = _circle("server", "--port", str(_free_port()), "--agents", "0", env=env)
    assert result.returncode == 1, result
    assert result.stderr.strip().splitlines()[-1].startswith(
        "circle: the database is at revision 9999_future, which this circle does not know")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "9999_future"
    engine.dispose()
