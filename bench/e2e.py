"""End-to-end figures of circle on this machine (SQLite, loopback), printed as JSON.

    .venv/bin/python bench/e2e.py [--quick]

Scenarios (each on a fresh server process):
  latency      trigger → success of a 1-step build (skip_clone, `echo hello`) with 1 embedded local agent
  throughput   200 queued 1-step builds, 1 embedded agent × 4 procs
  dispatch     `next` answered while a task is pending (the claim), and a waiting agent woken by a manual build
  logs         log lines/s into the database through `log` batches, and out to a websocket tail
  idle         1 000 agents long-polling one server: server RSS, and dispatch latency with them waiting
Completion is observed on /ws/events, not by polling.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
import requests  # noqa: E402
import websocket  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# The harness of the end-to-end tests, loaded by path: this script is itself called e2e.
_spec = importlib.util.spec_from_file_location("circle_e2e_harness", ROOT / "tests" / "e2e" / "harness.py")
harness = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = harness
_spec.loader.exec_module(harness)
Server, clean_env, free_port, make_repo = harness.Server, harness.clean_env, harness.free_port, harness.make_repo

ONE_STEP = "skip_clone: true\nsteps:\n  hello:\n    image: x\n    commands: [echo hello]\n"


def pct(values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of values, in milliseconds rounded to 0.1."""
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def rss_mib(pid: int) -> float:
    """Return a process's resident memory in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class Bench:
    """A fresh server with one activated repo holding the 1-step pipeline."""

    def __init__(self, agents: int, max_procs: int = 1, **env: str) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="circle-bench-"))
        port = free_port()
        self.server = Server(data_dir=self.tmp, port=port, env=clean_env(
            CIRCLE_DATA_DIR=str(self.tmp), CIRCLE_HOST=f"http://127.0.0.1:{port}", CIRCLE_LOG_LEVEL="warning",
            CIRCLE_AGENT_BACKEND="local", CIRCLE_AGENT_MAX_PROCS=str(max_procs), **env))
        self.server.start(agents=agents)
        git_root = self.tmp / "git"
        git_root.mkdir()
        make_repo(git_root, "bench/app", {".circle.yml": ONE_STEP})
        scm = self.server.ok("POST", "/api/scms", json={"kind": "local", "name": "disk", "url": str(git_root)})
        self.repo_id = self.server.ok("POST", "/api/repos", json={"scm_id": scm["id"], "full_name": "bench/app"})["id"]
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.server.token}"
        self.finished: dict[int, float] = {}
        self.statuses: dict[int, str] = {}
        self.changed = gevent.event.Event()
        self.events = websocket.create_connection(self.server.url.replace("http", "ws") + "/ws/events",
                                                  header=[f"Authorization: Bearer {self.server.token}"])
        gevent.spawn(self._follow)

    def _follow(self) -> None:
        """Record when each build reaches a final status."""
        while True:
            try:
                event = json.loads(self.events.recv())
            except Exception:
                return
            if event.get("type") == "build" and event["build"]["status"] in ("success", "failure", "error", "killed"):
                number = event["build"]["number"]
                self.finished.setdefault(number, time.perf_counter())
                self.statuses[number] = event["build"]["status"]
                self.changed.set()

    def trigger(self) -> int:
        """Start a manual build; return its number."""
        response = self.session.post(f"{self.server.url}/api/repos/{self.repo_id}/builds", json={}, timeout=30)
        response.raise_for_status()
        return response.json()[0]["number"]

    def wait(self, numbers: set[int], timeout: float = 600) -> None:
        """Wait until every build in `numbers` finished."""
        deadline = time.perf_counter() + timeout
        while not numbers <= self.finished.keys() and time.perf_counter() < deadline:
            self.changed.clear()
            self.changed.wait(1)

    def close(self) -> None:
        """Stop the server."""
        self.events.close()
        self.server.stop()


def latency(count: int) -> dict:
    """Trigger → success, one build at a time."""
    bench = Bench(agents=1)
    try:
        first_t0 = time.perf_counter()
        first = bench.trigger()
        bench.wait({first})
        first_ms = round((bench.finished[first] - first_t0) * 1000, 1)
        samples = []
        for _ in range(count):
            t0 = time.perf_counter()
            number = bench.trigger()
            bench.wait({number})
            samples.append(bench.finished[number] - t0)
        ok = sum(1 for n in bench.statuses.values() if n == "success")
        return {"builds": count, "first_build_ms": first_ms, "p50_ms": pct(samples, 0.5), "p90_ms": pct(samples, 0.9),
                "max_ms": pct(samples, 1.0), "succeeded": ok}
    finally:
        bench.close()


def throughput(count: int) -> dict:
    """Queue `count` builds at once; time until the last one finished."""
    bench = Bench(agents=1, max_procs=4)
    try:
        bench.wait({bench.trigger()})
        t0 = time.perf_counter()
        jobs = [gevent.spawn(bench.trigger) for _ in range(count)]
        gevent.joinall(jobs, raise_error=True)
        numbers = {job.value for job in jobs}
        queued = time.perf_counter() - t0
        bench.wait(numbers)
        elapsed = max(bench.finished[n] for n in numbers) - t0
        ok = sum(1 for n in numbers if bench.statuses.get(n) == "success")
        return {"builds": count, "queue_s": round(queued, 2), "total_s": round(elapsed, 2),
                "builds_per_s": round(count / elapsed, 1), "succeeded": ok}
    finally:
        bench.close()


class FakeAgent:
    """A raw JSON-RPC agent that leases tasks and acknowledges them."""

    def __init__(self, server: Server, name: str) -> None:
        self.server = server
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {server.agent_secret}"
        registration = self.call("register", name=name)
        self.id = registration["agent_id"]
        self.session.headers["Authorization"] = f"Bearer {registration['token']}"

    def call(self, method: str, **params):
        """Make one call and return its result."""
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        answer = self.session.post(self.server.url + "/rpc", json=body, timeout=360).json()
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer["result"]


def dispatch(count: int, idle_agents: int = 0) -> dict:
    """Measure POST-answered → `next` returned, optionally with many idle long-polling agents."""
    bench = Bench(agents=0)
    try:
        idlers = [FakeAgent(bench.server, f"idle-{i}") for i in range(idle_agents)]
        stop = gevent.event.Event()

        def idle(agent: FakeAgent) -> None:
            while not stop.is_set():
                try:
                    task = agent.call("next", labels={"platform": "none/idle"})
                except Exception:
                    continue
                if task:
                    agent.call("done", id=task["id"], state={"finished": 0, "exit_code": 0})

        for agent in idlers:
            gevent.spawn(idle, agent)
        gevent.sleep(2 if idle_agents else 0)
        worker = FakeAgent(bench.server, "worker")
        woken, claims = [], []
        for _ in range(count):
            got = gevent.event.AsyncResult()
            gevent.spawn(lambda: got.set((worker.call("next", labels={}), time.perf_counter())))
            gevent.sleep(0.05)
            sent = time.perf_counter()
            bench.trigger()
            task, received = got.get(timeout=60)
            woken.append(received - sent)
            worker.call("done", id=task["id"], state={"finished": 0, "exit_code": 0})
            bench.trigger()
            started = time.perf_counter()
            task = worker.call("next", labels={})
            claims.append(time.perf_counter() - started)
            worker.call("done", id=task["id"], state={"finished": 0, "exit_code": 0})
        result = {"dispatches": count, "next_with_task_pending_p50_ms": pct(claims, 0.5),
                  "next_with_task_pending_p90_ms": pct(claims, 0.9),
                  "waiting_agent_post_sent_to_next_p50_ms": pct(woken, 0.5)}
        if idle_agents:
            result.update(idle_agents=idle_agents, server_rss_mib=rss_mib(bench.server.process.pid))
        stop.set()
        return result
    finally:
        bench.close()


def _log_rate(bench: Bench, agent: FakeAgent, batches: int, per_batch: int, tail: bool) -> tuple[float, float]:
    """Send batches of lines for a fresh build's step; return (lines/s stored, lines/s through a tail or 0)."""
    number = bench.trigger()
    task = agent.call("next", labels={})
    agent.call("init", id=task["id"], state={"started": int(time.time())})
    agent.call("update", id=task["id"], state={"proc": "hello", "started": int(time.time())})
    pid = next(p["pid"] for p in bench.server.build(bench.repo_id, number)["procs"] if p["name"] == "hello")
    total = batches * per_batch
    received = gevent.event.AsyncResult()
    if tail:
        conn = websocket.create_connection(
            bench.server.url.replace("http", "ws") + f"/ws/logs/{bench.repo_id}/{number}/{pid}",
            header=[f"Authorization: Bearer {bench.server.token}"])

        def read() -> None:
            count = 0
            while count < total:
                count += len(json.loads(conn.recv()).get("lines", ()))
            received.set(time.perf_counter())

        gevent.spawn(read)
    text = "x" * 80
    payloads = [json.dumps({"jsonrpc": "2.0", "method": "log", "id": 1, "params": {"id": task["id"], "lines": [
        {"proc": "hello", "pos": b * per_batch + i, "time": 0, "out": f"{b * per_batch + i} {text}"}
        for i in range(per_batch)]}}) for b in range(batches)]
    headers = {"Content-Type": "application/json"}
    t0 = time.perf_counter()
    for payload in payloads:
        answer = agent.session.post(bench.server.url + "/rpc", data=payload, headers=headers, timeout=60).json()
        assert answer.get("result") == per_batch, answer
    stored = total / (time.perf_counter() - t0)
    through = total / (received.get(timeout=300) - t0) if tail else 0.0
    agent.call("done", id=task["id"], state={"finished": int(time.time()), "exit_code": 0})
    return stored, through


def logs(batches: int, per_batch: int) -> dict:
    """Lines/s into the DB through `log` calls, then with a websocket tail following the same step."""
    bench = Bench(agents=0)
    try:
        agent = FakeAgent(bench.server, "logger")
        stored, _ = _log_rate(bench, agent, batches, per_batch, tail=False)
        stored_tailed, through = _log_rate(bench, agent, batches, per_batch, tail=True)
        return {"lines": batches * per_batch, "batch": per_batch, "into_db_lines_per_s": round(stored),
                "into_db_with_tail_lines_per_s": round(stored_tailed), "to_websocket_lines_per_s": round(through)}
    finally:
        bench.close()


def main() -> None:
    """Run every scenario and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts, for a smoke run")
    args = parser.parse_args()
    q = args.quick
    results = {"machine": {"cores": os.cpu_count()}, "database": "sqlite"}
    results["latency"] = latency(5 if q else 30)
    results["throughput"] = throughput(20 if q else 200)
    results["dispatch"] = dispatch(10 if q else 50)
    results["logs"] = logs(10 if q else 100, 1000)
    results["idle"] = dispatch(5 if q else 20, idle_agents=50 if q else 1000)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
