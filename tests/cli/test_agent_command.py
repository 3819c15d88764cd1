"""`circle agent` as a real process: its servers from --server (repeated, comma-separated) or CIRCLE_SERVER."""
from __future__ import annotations

import subprocess
import sys

import pytest

from e2e.harness import Server, clean_env, free_port

pytestmark = pytest.mark.slow


def _dead_urls(count: int) -> list[str]:
    """Return URLs of ports nobody listens on."""
    return [f"http://127.0.0.1:{free_port()}" for _ in range(count)]


def _run_until_retrying(args: list[str], **env: str) -> tuple[int, list[str]]:
    """Start an agent with no server answering; once it has retried a few times, SIGTERM it; return rc, lines."""
    process = subprocess.Popen(
        [sys.executable, "-m", "circle", "agent", "--secret", "s", "--backend", "local", *args],
        env=clean_env(CIRCLE_LOG_LEVEL="debug", **env), stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    lines: list[str] = []
    try:
        for line in process.stderr:
            lines.append(line)
            if "retrying in 2.0s" in line:
                break
        process.terminate()
        lines += process.stderr.readlines()
        return process.wait(30), lines
    finally:
        process.kill()


def _outage_lines(lines: list[str]) -> list[str]:
    """Return the warnings that no server answers."""
    return [line for line in lines if "WARNING" in line and "no server answers" in line]


def test_servers_from_repeated_and_comma_separated_flags():
    """--server A --server B,C: the agent tries all three, says once that none answers, and stops cleanly."""
    a, b, c = _dead_urls(3)
    rc, lines = _run_until_retrying(["--server", a, "--server", f"{b},{c}"])
    assert rc == 0, "".join(lines)
    outage = _outage_lines(lines)
    assert len(outage) == 1 and f"no server answers ({a}, {b}, {c}; last: " in outage[0], "".join(lines)
    assert "Connection refused" in outage[0]
    assert not any("Traceback" in line for line in lines), "".join(lines)


def test_servers_from_the_environment():
    """CIRCLE_SERVER holds comma-separated URLs when no --server is given."""
    a, b = _dead_urls(2)
    rc, lines = _run_until_retrying([], CIRCLE_SERVER=f"{a}, {b}/")
    assert rc == 0, "".join(lines)
    outage = _outage_lines(lines)
    assert len(outage) == 1 and f"no server answers ({a}, {b}; last: " in outage[0], "".join(lines)


def test_a_url_that_is_not_http_is_refused():
    """A server URL without http:// or https:// is one sentence on stderr, exit 1."""
    done = subprocess.run([sys.executable, "-m", "circle", "agent", "--secret", "s", "--server", "127.0.0.1:8000"],
                          env=clean_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == "circle: server URL '127.0.0.1:8000' must start with http:// or https://"


def test_a_wrong_agent_secret_is_one_sentence_and_a_failure(tmp_path):
    """An agent whose secret the server refuses exits non-zero at once with one line saying so, no traceback."""
    port = free_port()
    server = Server(data_dir=tmp_path, port=port, env=clean_env(CIRCLE_DATA_DIR=str(tmp_path),
                                                                CIRCLE_HOST=f"http://127.0.0.1:{port}"))
    server.start(agents=0)
    try:
        done = subprocess.run([sys.executable, "-m", "circle", "agent", "--server", server.url, "--secret", "wrong",
                               "--backend", "local"], env=clean_env(), capture_output=True, text=True, timeout=60)
    finally:
        server.stop()
    assert done.returncode == 1, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].endswith("stops: the server refused the agent's credentials (401): check the agent secret "
                             "(--secret or CIRCLE_AGENT_SECRET)"), lines
