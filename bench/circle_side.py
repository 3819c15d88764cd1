"""circle measured like Buildbot's bench.py: real `circle server` and `circle agent` processes on loopback."""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import requests

from bench import procs
from bench.summary import summarize
from bench.wire import Api, BenchError, Events

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("circle_e2e_harness", ROOT / "tests" / "e2e" / "harness.py")
assert _spec is not None and _spec.loader is not None
harness = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = harness
_spec.loader.exec_module(harness)

LOG_LINE = "log line %05g of 10000 abcdefghijklmnopqrstuvwxyz"
LOG_RE = re.compile(r"^log line (\d{5}) of 10000 abcdefghijklmnopqrstuvwxyz$")


def _pipeline(steps: dict[str, str], clone: bool) -> str:
    """Return a .circle.yml with one shell step per entry (JSON is YAML, so the commands need no quoting)."""
    body: dict[str, Any] = {"steps": {name: {"image": "x", "commands": [cmd]} for name, cmd in steps.items()}}
    if not clone:
        body["skip_clone"] = True
    return json.dumps(body)


# The same work as Buildbot's builders (master.cfg); only `one` runs circle's clone step.
REPOS = {
    "one": _pipeline({"hello": "echo hello"}, clone=True),
    "one-noclone": _pipeline({"hello": "echo hello"}, clone=False),
    "five": _pipeline({f"hello{i}": f"echo hello {i}" for i in range(1, 6)}, clone=False),
    "log10k": _pipeline({"log10k": f"seq -f '{LOG_LINE}' 1 10000"}, clone=False),
}
# (repo, trigger, poll interval in s or None for the /ws/events push); Buildbot's force ↔ circle's api.
LATENCY = [("one", "api", None), ("one", "api", 0.01), ("one", "hook", None), ("one", "hook", 0.01),
           ("one-noclone", "api", None), ("one-noclone", "api", 0.01), ("one-noclone", "hook", 0.01),
           ("five", "api", None), ("five", "api", 0.01)]
THROUGHPUT = [("one", "api"), ("one", "hook"), ("one-noclone", "api")]


def traversable_tmp(prefix: str) -> Path:
    """Return a new temp dir that others may enter but not list (0711), as a deployment's /srv is.

    The sandboxed clone step (uid nobody) reads the local SCM's repos at their path; in a 0700 dir the
    agent would first copy each repo to where that uid can read it (a `git clone --mirror` per build),
    which a deployment whose repos are readable (e.g. /srv/git) never does.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o711)
    return path


class Circle:
    """One circle server (no embedded agent) with `circle agent` processes that run one workflow each."""

    def __init__(self, database_url: str | None, deadline: float) -> None:
        self.tmp = traversable_tmp("circle-sbs-")
        self.port = harness.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.deadline = deadline
        env = {"CIRCLE_DATA_DIR": str(self.tmp / "data"), "CIRCLE_HOST": self.url, "CIRCLE_LOG_LEVEL": "warning"}
        if database_url:
            env["CIRCLE_DATABASE_URL"] = database_url
        (self.tmp / "data").mkdir(mode=0o700)
        self.env = harness.clean_env(**env)
        self._compile_bytecode()
        self.server: procs.Proc | None = None
        self.agents: list[procs.Proc] = []
        self.token = ""
        self.repos: dict[str, dict[str, Any]] = {}

    def _compile_bytecode(self) -> None:
        """Byte-compile the circle package the server will import, as `pip install` does for an installed package
        (and did for Buildbot's): this machine sets PYTHONDONTWRITEBYTECODE=1, so a start from the checkout would
        otherwise compile its ~130 start modules from source every time (~75 ms here)."""
        script = "import circle, compileall, os; compileall.compile_dir(os.path.dirname(circle.__file__), quiet=1)"
        subprocess.run([sys.executable, "-c", script], env=self.env, check=True, timeout=300)

    def check_deadline(self) -> None:
        """Stop the run once --max-seconds is spent."""
        if time.monotonic() > self.deadline:
            raise BenchError("the time limit (--max-seconds) was reached")

    def start_server(self) -> dict[str, float]:
        """Spawn the server; return the seconds to its first 200 on /healthz (polled every 10 ms), and its CPU then."""
        log = self.tmp / "server.log"
        offset = log.stat().st_size if log.exists() else 0
        self.server = procs.Proc("circle server", [sys.executable, "-m", "circle", "server", "--port", str(self.port),
                                                   "--agents", "0"], self.env, log)
        probe = requests.Session()
        probe.trust_env = False
        deadline = time.perf_counter() + 60
        while True:
            try:
                if probe.get(self.url + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if not self.server.alive() or time.perf_counter() > deadline:
                raise BenchError(f"circle server did not answer /healthz; see {log}")
            time.sleep(0.01)
        ready = time.perf_counter() - self.server.spawned
        cpu = procs.cpu_seconds(self.server.pid) or {"self": 0.0}
        probe.close()
        found = re.search(r"token:\s*(\S+)", log.read_text()[offset:])
        if found:
            self.token = found.group(1)
        return {"http_ready_s": ready, "cpu_s": cpu["self"]}

    def stop_server(self) -> float:
        """SIGTERM the server; return the seconds until it exited."""
        assert self.server is not None
        took = self.server.stop()
        self.server = None
        return took

    def start_agent(self) -> float:
        """Spawn one `circle agent` (local backend, one workflow at a time); return spawn → listed by the server."""
        name = f"agent{len(self.agents) + 1}"
        workdir = self.tmp / name
        workdir.mkdir()
        secret = (self.tmp / "data" / "agent_secret").read_text().strip()
        agent = procs.Proc(name, [sys.executable, "-m", "circle", "agent", "--server", self.url, f"--secret={secret}",
                                  "--backend", "local", "--name", name, "--workdir", str(workdir), "--max-procs", "1"],
                           harness.clean_env(CIRCLE_LOG_LEVEL="warning"), workdir / "agent.log")
        self.agents.append(agent)
        api = Api(self.url, self.token)
        try:
            while name not in {a["name"] for a in api.call("GET", "/api/agents")}:
                if not agent.alive() or time.perf_counter() - agent.spawned > 60:
                    raise BenchError(f"{name} did not register; see {workdir / 'agent.log'}")
                time.sleep(0.01)
        finally:
            api.close()
        return time.perf_counter() - agent.spawned

    def create_repos(self, api: Api) -> None:
        """Create a local SCM of bare git repos, one per kind of build, and activate them."""
        git_root = self.tmp / "git"
        git_root.mkdir()
        scm = api.call("POST", "/api/scms", json={"kind": "local", "name": "disk", "url": str(git_root)})
        for key, pipeline in REPOS.items():
            full_name = f"bench/{key}"
            work = harness.make_repo(git_root, full_name, {".circle.yml": pipeline})
            repo = api.call("POST", "/api/repos", json={"scm_id": scm["id"], "full_name": full_name})
            hooks = json.loads((git_root / f"{full_name}.git" / "hooks" / "circle-hooks.json").read_text())
            target = hooks["targets"][0]
            self.repos[key] = {"id": repo["id"], "url": target["url"], "secret": target["secret"],
                               "repo": full_name, "sha": harness.git(work, "rev-parse", "HEAD")}

    def pids(self) -> dict[str, int]:
        """Return the PIDs of the running server and agents by role."""
        out = {"server": self.server.pid} if self.server else {}
        out.update({a.name: a.pid for a in self.agents})
        return out

    def cpu(self) -> dict[str, float]:
        """Return CPU seconds so far: each process, its finished children, and the whole machine."""
        out: dict[str, float] = {"machine_busy": procs.machine_busy_seconds()}
        for role, pid in self.pids().items():
            seconds = procs.cpu_seconds(pid)
            if seconds:
                out[role], out[f"{role}_children"] = seconds["self"], seconds["children"]
        return out

    def memory(self) -> dict[str, Any]:
        """Return VmRSS and VmHWM of the server and each agent."""
        return {role: procs.memory_mib(pid) for role, pid in self.pids().items()}

    def trigger(self, api: Api, key: str, how: str) -> tuple[int, int]:
        """Start one build of repo `key` by `how` (api or hook); return its (repo id, number)."""
        repo = self.repos[key]
        return repo["id"], api.trigger_api(repo["id"]) if how == "api" else api.trigger_hook(repo)

    def log_tail(self, lines: int = 80) -> list[str]:
        """Return the last lines of the server's log (kept in the results when a run fails)."""
        log = self.tmp / "server.log"
        return log.read_text(errors="replace").splitlines()[-lines:] if log.exists() else []

    def close(self) -> None:
        """Stop every process of this run and remove its temp dir."""
        for agent in reversed(self.agents):
            agent.stop()
        self.agents = []
        if self.server:
            self.stop_server()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Return after − before for each key both have, and `not_circle`: busy CPU of the machine outside circle."""
    out = {k: round(after[k] - before[k], 3) for k in after if k in before}
    out["not_circle"] = round(out["machine_busy"] - sum(v for k, v in out.items() if k != "machine_busy"), 3)
    return out


def phase_startup(circle: Circle, cycles: int) -> dict[str, Any]:
    """Start and stop the server `cycles` times; the first start migrates a fresh database."""
    starts, cpus, stops = [], [], []
    for _ in range(cycles):
        circle.check_deadline()
        started = circle.start_server()
        starts.append(started["http_ready_s"])
        cpus.append(started["cpu_s"])
        stops.append(circle.stop_server())
    return {"n": cycles, "first_start_fresh_db_s": round(starts[0], 3),
            "server_http_ready_s": summarize(starts[1:] or starts),
            "server_cpu_at_ready_s": summarize(cpus[1:] or cpus), "server_sigterm_to_exit_s": summarize(stops),
            "raw": {"http_ready_s": starts, "cpu_at_ready_s": cpus, "sigterm_to_exit_s": stops}}


def phase_latency(circle: Circle, api: Api, events: Events, key: str, how: str, poll: float | None,
                  count: int) -> dict[str, Any]:
    """One build at a time: trigger → final status, seen on /ws/events (poll None) or by polling the build."""
    samples, answered, polls, failed = [], [], [], 0
    cpu0 = circle.cpu()
    for _ in range(count):
        circle.check_deadline()
        t0 = time.perf_counter()
        build = circle.trigger(api, key, how)
        answered.append(time.perf_counter() - t0)
        if poll is None:
            ((t1, status),) = events.wait({build})
        else:
            status, made = api.poll_until_final(*build, every=poll)
            t1 = time.perf_counter()
            polls.append(made)
        samples.append(t1 - t0)
        failed += status != "success"
    cpu1 = circle.cpu()
    return {"repo": key, "trigger": how, "completion_seen_by": "/ws/events push" if poll is None else
            f"GET the build every {poll * 1000:g} ms", "trigger_to_complete_ms": summarize(samples, 1000, 1),
            "post_response_ms": summarize(answered, 1000, 2), "polls_per_build": summarize(polls, 1, 1),
            "failed_builds": failed, "cpu_s": _delta(cpu0, cpu1),
            "server_cpu_ms_per_build": round(1000 * (cpu1["server"] - cpu0["server"]) / count, 1),
            "raw_ms": [round(s * 1000, 1) for s in samples]}


def check_log(api: Api, repo_id: int, number: int) -> dict[str, Any]:
    """Read the log10k step's log as text and check that lines 1..10000 are all there, in order."""
    build = api.build(repo_id, number)
    pid = next(p["pid"] for p in build["procs"] if p["name"] == "log10k" and p["ppid"])
    response = api.session.get(f"{api.url}/api/repos/{repo_id}/builds/{number}/logs/{pid}?format=text", timeout=60)
    numbers = [int(m.group(1)) for m in (LOG_RE.match(line) for line in response.text.splitlines()) if m]
    return {"http_status": response.status_code, "raw_bytes": len(response.content),
            "payload_lines_found": len(numbers), "payload_complete_and_ordered": numbers == list(range(1, 10001))}


def phase_log10k(circle: Circle, api: Api, events: Events, count: int) -> dict[str, Any]:
    """Builds printing 10 000 lines: trigger → final (push), and trigger → all lines read back in order."""
    done, readable, checks = [], [], []
    cpu0 = circle.cpu()
    for _ in range(count):
        circle.check_deadline()
        t0 = time.perf_counter()
        build = circle.trigger(api, "log10k", "api")
        ((t1, status),) = events.wait({build})
        check = check_log(api, *build)
        readable.append(time.perf_counter() - t0)
        done.append(t1 - t0)
        checks.append({**check, "status": status})
    cpu1 = circle.cpu()
    return {"repo": "log10k", "trigger": "api", "completion_seen_by": "/ws/events push",
            "trigger_to_complete_ms": summarize(done, 1000, 1),
            "trigger_to_all_lines_read_ms": summarize(readable, 1000, 1),
            "all_logs_complete": all(c["payload_complete_and_ordered"] for c in checks), "checks": checks,
            "cpu_s": _delta(cpu0, cpu1),
            "server_cpu_ms_per_build": round(1000 * (cpu1["server"] - cpu0["server"]) / count, 1)}


def phase_throughput(circle: Circle, events: Events, key: str, how: str, count: int,
                     threads: int = 4) -> dict[str, Any]:
    """`count` builds submitted at once by `threads` clients; time until the last one is seen final."""
    cpu0 = circle.cpu()

    def submit(share: int) -> list[tuple[int, int]]:
        """Trigger `share` builds on a connection of its own; return their (repo id, number)."""
        api = Api(circle.url, circle.token)
        try:
            return [circle.trigger(api, key, how) for _ in range(share)]
        finally:
            api.close()

    shares = [count // threads + (i < count % threads) for i in range(threads)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        builds = {b for chunk in pool.map(submit, [s for s in shares if s]) for b in chunk}
    submitted = time.perf_counter() - t0
    finals = events.wait(builds, timeout=max(120, count * 5))
    elapsed = max(t for t, _ in finals) - t0
    cpu1 = circle.cpu()
    return {"repo": key, "trigger": how, "builds_requested": count, "submit_threads": threads,
            "agents": len(circle.agents), "submit_s": round(submitted, 3),
            "first_complete_s": round(min(t for t, _ in finals) - t0, 3), "all_complete_s": round(elapsed, 3),
            "builds_per_s": round(count / elapsed, 2), "builds_run": len(finals),
            "builds_not_success": sum(1 for _, status in finals if status != "success"), "cpu_s": _delta(cpu0, cpu1),
            "server_cpu_ms_per_build": round(1000 * (cpu1["server"] - cpu0["server"]) / count, 1),
            "server_children_cpu_ms_per_build": round(
                1000 * (cpu1["server_children"] - cpu0["server_children"]) / count, 1)}


def run(database: str, database_url: str | None, counts: dict[str, int], deadline: float,
        progress: Callable[[str], None]) -> dict[str, Any]:
    """Measure circle on one database; return every figure and raw sample (and `error` when it stopped early)."""
    circle = Circle(database_url, deadline)
    out: dict[str, Any] = {"system": "circle", "database": database,
                           "agents": "`circle agent` processes, local backend, --max-procs 1 (one workflow each)"}
    try:
        progress(f"circle/{database}: startup x{counts['starts']}")
        out["startup"] = phase_startup(circle, counts["starts"])
        out["run_start"] = circle.start_server()
        api = Api(circle.url, circle.token)
        out["run_start"]["agent1_spawn_to_registered_s"] = circle.start_agent()
        circle.create_repos(api)
        time.sleep(5)
        out["pids"], out["memory_idle"] = circle.pids(), circle.memory()
        events = Events(circle.url, circle.token)
        out["first_build"] = phase_latency(circle, api, events, "one", "api", None, 1)
        latency = out["latency"] = {}
        for key, how, poll in LATENCY:
            name = f"{key}/{how}/{'push' if poll is None else f'poll{poll * 1000:g}ms'}"
            latency[name] = phase_latency(circle, api, events, key, how, poll, counts["latency_n"])
            progress(f"circle/{database}: latency {name}: p50 {latency[name]['trigger_to_complete_ms']['median']} ms")
        out["log10k"] = phase_log10k(circle, api, events, counts["log_n"])
        throughput = out["throughput"] = {}
        for agents in (1, 2):
            if agents == 2:
                out["run_start"]["agent2_spawn_to_registered_s"] = circle.start_agent()
            for key, how in THROUGHPUT:
                name = f"{key}-{agents}a/{how}"
                throughput[name] = phase_throughput(circle, events, key, how, counts["tp_n"])
                progress(f"circle/{database}: throughput {name}: {throughput[name]['builds_per_s']} builds/s")
        events.close()
        api.close()
        out["memory_after_runs"], out["cpu_total_s"] = circle.memory(), circle.cpu()
    except BenchError as err:
        out["error"] = str(err)  # what was measured before stays in the results
        out["server_log_tail"] = circle.log_tail()
    finally:
        circle.close()
    return out


def empty_database(url: str) -> None:
    """Drop everything in a PostgreSQL database's public schema, so circle starts on a fresh database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
