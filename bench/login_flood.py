"""Measure /healthz while clients hammer /login with wrong passwords; prints figures (not a test).

    PYTHONPATH=. .venv/bin/python bench/login_flood.py [--clients 8] [--seconds 20] [--failures N]

Starts a `circle server` (SQLite, no agents) in a temporary directory. Each client thread fetches the
login form once (session cookie and CSRF token), then posts the bootstrap admin's login with a wrong
password as fast as the server answers. Meanwhile one probe asks /healthz every 50 ms and the script
prints the probe's p50/p99 latency and how the login posts were answered (401 tried, 429 throttled).
`--failures` sets the server's CIRCLE_LOGIN_FAILURES (0 = no throttling: only the hashing off the loop helps).
"""
from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

import requests


def start_server(data: str, port: int, failures: int | None) -> subprocess.Popen:
    """Start `circle server` on `port` and return it once it listens."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIRCLE_")}
    env.update(CIRCLE_DATA_DIR=data, CIRCLE_HOST=f"http://127.0.0.1:{port}")
    if failures is not None:
        env["CIRCLE_LOGIN_FAILURES"] = str(failures)
    server = subprocess.Popen([sys.executable, "-m", "circle", "server", "--port", str(port), "--agents", "0"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert server.stdout is not None
    for line in server.stdout:
        if "listening on" in line:
            return server
    raise RuntimeError("the server did not start")


def flood(url: str, stop: threading.Event, answers: Counter[int]) -> None:
    """Post wrong passwords to /login until `stop` is set, counting the statuses."""
    session = requests.Session()
    form = session.get(url + "/login", timeout=60).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert match, "the login form has no CSRF token"
    while not stop.is_set():
        answer = session.post(url + "/login", data={"login": "admin", "password": "wrong",
                                                    "csrf_token": match.group(1)},
                              timeout=60, allow_redirects=False)
        answers[answer.status_code] += 1


def probe(url: str, seconds: float) -> list[float]:
    """Return the latencies (ms) of /healthz asked every 50 ms for `seconds`."""
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter()
        requests.get(url + "/healthz", timeout=60).raise_for_status()
        latencies.append((time.perf_counter() - start) * 1000)
        time.sleep(0.05)
    return latencies


def main() -> None:
    """Run the flood and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--failures", type=int, default=None)
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = start_server(tempfile.mkdtemp(prefix="circle-login-flood-"), port, args.failures)
    try:
        idle = probe(url, 2)
        stop, answers = threading.Event(), Counter[int]()
        clients = [threading.Thread(target=flood, args=(url, stop, answers)) for _ in range(args.clients)]
        for client in clients:
            client.start()
        busy = probe(url, args.seconds)
        stop.set()
        for client in clients:
            client.join()
    finally:
        server.terminate()
        server.wait(20)
    for name, values in (("idle", idle), (f"{args.clients} clients on /login", busy)):
        cuts = statistics.quantiles(values, n=100)
        print(f"/healthz {name}: p50 {cuts[49]:.0f} ms, p99 {cuts[98]:.0f} ms ({len(values)} probes)")
    print("login answers:", dict(sorted(answers.items())))


if __name__ == "__main__":
    main()
