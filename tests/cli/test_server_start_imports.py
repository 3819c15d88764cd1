"""`circle server` starts without what only later requests need: the schemas, the compiler, the agent, requests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

# Modules a start (spawn → first 200 on /healthz, no embedded agent) must not import; they load on first use.
LATER = ("marshmallow", "circle.schemas", "circle.api.jsonschema", "circle.compiler.compile", "ruamel",
         "circle.agent", "circle.rpc.client", "requests", "circle.pipeline.runtime", "docker")


def _free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _imported_until_healthy(tmp_path: Path) -> set[str]:
    """Start `circle server --agents 0` under `-X importtime`; return the modules it imported until it answered."""
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
            lines = log.read_text().splitlines()  # read before the stop, which may import more
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:") and "|" in line}


@pytest.mark.slow
def test_the_start_leaves_what_later_requests_need_unloaded(tmp_path: Path):
    """Up to its first /healthz answer the server imports no schema, compiler front end, agent or HTTP client."""
    imported = _imported_until_healthy(tmp_path)
    assert "circle.app" in imported and "flask" in imported  # the probe sees the server's imports
    early = sorted(m for m in imported if any(m == name or m.startswith(name + ".") for name in LATER))
    assert early == []
