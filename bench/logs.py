"""Log throughput of a real `circle server` on loopback: one big step log in, then out two ways.

    .venv/bin/python bench/logs.py [--size 1GiB] [--batch 2500] [--line 100] [--store ''|file|s3://BUCKET/PREFIX]
                                   [--database-url URL]

Writes --size bytes of output (default 1 GiB) as one step's log through `log` RPC batches of --batch
lines, ends the step, then reads the whole log back through the paged API (?after=&limit=50000) and
through the websocket tail; prints lines/s each way and the server's resident memory (at start, peak
sampled every 0.1 s, growth) as JSON, and the server's CPU seconds per million lines ingested (which, unlike
lines/s, does not depend on what else the machine is doing). Goals: ingest >= 150 000 lines/s, paged read
>= 300 000 lines/s, websocket >= 100 000 lines/s, server RSS growth <= 64 MiB.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import websocket

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("circle_e2e_harness", ROOT / "tests" / "e2e" / "harness.py")
harness = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = harness
_spec.loader.exec_module(harness)

STEP = "skip_clone: true\nsteps:\n  big:\n    image: x\n    commands: [true]\n"
PAGE = 50_000
WORDS = ("compiling", "module", "warning:", "unused", "variable", "in", "src/app/main.c", "line", "ok", "test",
         "passed", "took", "ms", "linking", "object", "file", "[INFO]", "downloading", "artifact", "done")


def parse_size(text: str) -> int:
    """Return a size like 1GiB, 64MiB, 500KiB or 123 in bytes."""
    match = re.fullmatch(r"(\d+)\s*(|B|KiB|MiB|GiB)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 1GiB, 64MiB)")
    return int(match[1]) * {"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[match[2]]


def cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU seconds so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """Return a process's resident memory in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Peak(threading.Thread):
    """Sample a process's RSS every 0.1 s; keep the highest."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, rss_mib(pid), threading.Event()

    def run(self) -> None:
        """Sample until stopped."""
        while not self.stop.wait(0.1):
            self.peak = max(self.peak, rss_mib(self.pid))


def line_bodies(width: int, count: int = 997) -> list[str]:
    """Return `count` build-log-like texts of about `width` characters, JSON-encoded, to cycle through."""
    bodies = []
    for n in range(count):
        words = " ".join(WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(width // 6))
        bodies.append(json.dumps(words[:max(1, width - 10)])[1:-1])
    return bodies


class Agent:
    """A raw JSON-RPC agent holding one task."""

    def __init__(self, server: harness.Server) -> None:
        self.url = server.url + "/rpc"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {server.agent_secret}"
        token = self.call("register", name="bench-logs")["token"]
        self.session.headers.update({"Authorization": f"Bearer {token}", "Content-Type": "application/json"})

    def call(self, method: str, **params: object) -> dict:
        """Make one call and return its result."""
        answer = self.session.post(self.url, data=json.dumps({"jsonrpc": "2.0", "method": method, "id": 1,
                                                               "params": params}), timeout=120).json()
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer["result"]


def open_step(server: harness.Server, full_name: str) -> tuple[int, int, Agent, str]:
    """Start a manual build of a new repo holding STEP and take its task as a raw agent whose step `big` runs;
    return the repo id, the build number, the agent and the task id."""
    repo_id, _ = harness.activate_local(server, server.data_dir / "git", full_name, {".circle.yml": STEP})
    number = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    agent = Agent(server)
    task = agent.call("next", labels={})
    agent.call("init", id=task["id"], state={"started": int(time.time())})
    agent.call("update", id=task["id"], state={"proc": "big", "started": int(time.time())})
    return repo_id, number, agent, task["id"]


def ingest(agent: Agent, task_id: str, total: int, batch: int, width: int) -> float:
    """Send `total` lines of the step in batches, the next body made while a call is in flight; return lines/s."""
    bodies = line_bodies(width)
    head = '{"jsonrpc": "2.0", "method": "log", "id": 1, "params": {"id": ' + json.dumps(task_id) + ', "lines": ['
    ready: queue.Queue[tuple[int, str]] = queue.Queue(maxsize=2)

    def produce() -> None:
        """Queue (line count, request body) for every batch."""
        for first in range(0, total, batch):
            stop = min(first + batch, total)
            lines = ",".join(f'{{"proc":"big","pos":{pos},"time":0,"out":"{pos:09d} {bodies[pos % len(bodies)]}"}}'
                             for pos in range(first, stop))
            ready.put((stop - first, f"{head}{lines}]}}}}"))

    threading.Thread(target=produce, daemon=True).start()
    started = time.perf_counter()
    for first in range(0, total, batch):
        count, body = ready.get()
        answer = agent.session.post(agent.url, data=body, timeout=120).json()
        if answer.get("result") != count:
            raise RuntimeError(f"log batch at {first}: {answer}")
    return total / (time.perf_counter() - started)


def paged(server: harness.Server, path: str, total: int) -> float:
    """Read the log through ?after=&limit= pages; return lines/s."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {server.token}"
    started, after, count = time.perf_counter(), -1, 0
    while True:
        page = session.get(server.url + path, params={"after": after, "limit": PAGE}, timeout=120).json()
        count += len(page)
        if len(page) < PAGE:
            break
        after = page[-1]["pos"]
    if count != total:
        raise RuntimeError(f"paged read gave {count} lines, not {total}")
    return total / (time.perf_counter() - started)


def tailed(server: harness.Server, path: str, total: int) -> tuple[float, int]:
    """Read the finished log through the websocket to eof; return (lines/s, messages)."""
    started = time.perf_counter()
    # websocket-client checks UTF-8 in pure Python (~10 µs a line) unless told not to; json.loads checks it anyway.
    conn = websocket.create_connection(server.url.replace("http", "ws") + path, timeout=120, skip_utf8_validation=True,
                                       header=[f"Authorization: Bearer {server.token}"])
    count = frames = 0
    while True:
        message = json.loads(conn.recv())
        if message.get("eof"):
            break
        count += len(message["lines"])
        frames += 1
    conn.close()
    if count != total:
        raise RuntimeError(f"websocket gave {count} lines, not {total}")
    return total / (time.perf_counter() - started), frames


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=1 << 30, help="bytes of log text (default 1GiB)")
    parser.add_argument("--batch", type=int, default=2500, help="lines per log call (default 2500)")
    parser.add_argument("--line", type=int, default=100, help="characters per line (default 100)")
    parser.add_argument("--store", default="", help="CIRCLE_LOG_STORE of the server: '', file or s3://BUCKET/PREFIX "
                        "(endpoint and keys from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
    parser.add_argument("--database-url", default="", help="CIRCLE_DATABASE_URL (default: SQLite in a temp dir)")
    args = parser.parse_args()
    total = max(1, args.size // args.line)
    tmp = Path(tempfile.mkdtemp(prefix="circle-bench-logs-"))
    port = harness.free_port()
    env = harness.clean_env(CIRCLE_DATA_DIR=str(tmp), CIRCLE_HOST=f"http://127.0.0.1:{port}",
                            CIRCLE_LOG_LEVEL="warning", CIRCLE_LOG_STORE=args.store,
                            CIRCLE_LEASE_SECONDS="36000",  # the bench never calls `extend`
                            CIRCLE_LOG_MAX_BYTES=str(max(args.size * 2, 1 << 20)))
    if args.database_url:
        env["CIRCLE_DATABASE_URL"] = args.database_url
    server = harness.Server(data_dir=tmp, port=port, env=env)
    server.start(agents=0)
    try:
        repo_id, number, agent, task_id = open_step(server, "bench/logs")
        pid = next(p["pid"] for p in server.build(repo_id, number)["procs"] if p["name"] == "big")
        peak = Peak(server.process.pid)
        start_rss = peak.peak
        peak.start()
        cpu = cpu_seconds(server.process.pid)
        into = ingest(agent, task_id, total, args.batch, args.line)
        ingest_cpu = cpu_seconds(server.process.pid) - cpu
        agent.call("update", id=task_id, state={"proc": "big", "exited": True, "exit_code": 0,
                                                "finished": int(time.time())})
        agent.call("done", id=task_id, state={"finished": int(time.time()), "exit_code": 0})
        out_paged = paged(server, f"/api/repos/{repo_id}/builds/{number}/logs/{pid}", total)
        out_ws, frames = tailed(server, f"/ws/logs/{repo_id}/{number}/{pid}", total)
        peak.stop.set()
        peak.join()
        print(json.dumps({
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "lines": total,
            "bytes": total * args.line, "batch": args.batch, "store": args.store or "database",
            "database": args.database_url.split("://")[0] if args.database_url else "sqlite",
            "ingest_lines_per_s": round(into),
            "ingest_server_cpu_s_per_million_lines": round(ingest_cpu * 1e6 / total, 2),
            "paged_read_lines_per_s": round(out_paged),
            "websocket_lines_per_s": round(out_ws), "websocket_messages": frames,
            "server_rss_start_mib": round(start_rss, 1), "server_rss_peak_mib": round(peak.peak, 1),
            "server_rss_growth_mib": round(peak.peak - start_rss, 1)}, indent=2))
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
