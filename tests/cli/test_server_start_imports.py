"""`circle server` starts without what only later requests need: the schemas, the compiler, the agent, requests,
the websocket stack, the pipeline backends, the view modules."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Callable

import pytest
from test_lazy_views import VIEWS

# Modules a start (spawn → first 200 on /healthz, no embedded agent) must not import; they load on first use.
LATER = ("marshmallow", "circle.schemas", "circle.api.jsonschema", "circle.compiler.compile", "ruamel",
         "circle.agent", "circle.rpc.client", "requests", "circle.pipeline.runtime", "docker",
         "flask_sock", "simple_websocket", "wsproto", "h11", "circle.pipeline.backends")
# Nor VIEWS, the API's view and the dashboard's page modules, which load with their first call (tests/test_lazy_views.py
# checks that in sys.modules: this probe sees only what import statements load, as they did before the route tables).
# The websocket stack, loaded by the first websocket connection.
WEBSOCKET = ("flask_sock", "simple_websocket", "wsproto")


def _free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _imported_until_healthy(tmp_path: Path, then: Callable[[int], None] = lambda port: None) -> set[str]:
    """Start `circle server --agents 0` under `-X importtime`; return the modules it imported until it answered.

    `then(port)` runs after the first answer: the modules are those imported until it returned.
    """
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIRCLE_")}
    env["CIRCLE_DATA_DIR"] = str(tmp_path)
    assert subprocess.run([sys.executable, "-m", "circle", "db", "upgrade"], env=env, capture_output=True,
                          timeout=120).returncode == 0
    log = tmp_path / "importtime.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "circle", "server", "--port", str(port),
                                 "--agents", "0"], env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                        assert response.status == 200
                        break
                except OSError:
                    assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
                    time.sleep(0.05)
            then(port)
            lines = log.read_text().splitlines()  # read before the stop, which may import more
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:") and "|" in line}


@pytest.mark.slow
def test_the_start_leaves_what_later_requests_need_unloaded(tmp_path: Path):
    """Up to its first /healthz answer the server imports no schema, compiler front end, agent, HTTP client,
    websocket stack, pipeline backend, API view or dashboard page module."""
    imported = _imported_until_healthy(tmp_path)
    assert "circle.app" in imported and "flask" in imported  # the probe sees the server's imports
    early = sorted(m for m in imported if any(m == name or m.startswith(name + ".") for name in (*LATER, *VIEWS)))
    assert early == []


def _open_websocket(port: int) -> None:
    """Open a websocket to /ws/events (without credentials: it is refused after the handshake) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(b"GET /ws/events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        assert conn.recv(4096).startswith(b"HTTP/1.1 101 ")


@pytest.mark.slow
def test_the_websocket_stack_loads_with_the_first_websocket(tmp_path: Path):
    """flask-sock and simple-websocket, left out of the start, are there once a websocket has opened."""
    imported = _imported_until_healthy(tmp_path, then=_open_websocket)
    assert sorted(m for m in WEBSOCKET if m in imported) == sorted(WEBSOCKET)

