"""Round trips per build, counted on a real server: /rpc requests and JSON-RPC calls, commits, processes spawned.

    .venv/bin/python -m bench.roundtrips [--builds 5] [--json FILE]

The server runs in this process (SQLite in a temp dir, gevent, the same app as `circle server`), so every
database commit can be counted and charged to what made it (an RPC method, a REST request, or the server's
background work); a real `circle agent --backend local --max-procs 1` runs under `strace -f -e trace=execve` so
every process it spawns (sh, bwrap, each git) is counted, with its wall time from exec to exit. The builds are
the side-by-side bench's (bench.circle_side.REPOS): 1 step with the clone step, 1 step without it, 5 steps
without it; each is warmed up once, then run `--builds` times one after the other, and the counts printed per build.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Iterable  # noqa: E402

import gevent  # noqa: E402

from bench import procs  # noqa: E402
from bench.circle_side import REPOS, harness, traversable_tmp  # noqa: E402
from bench.strace import STRACE, execs  # noqa: E402
from bench.timeline import Stamps  # noqa: E402
from bench.wire import FINAL, Api, BenchError  # noqa: E402

SCENARIOS = ("one", "one-noclone", "five")


class Counting:
    """WSGI middleware and commit listener: counts /rpc requests, RPC calls and commits by who made them.

    It also stamps each request's start and end and each commit with the wall clock (`stamps`, bench.phases).
    """

    def __init__(self, app: Any) -> None:
        from circle.extensions import db

        self.wsgi, self.requests, self.calls, self.commits = app.wsgi_app, collections.Counter(), \
            collections.Counter(), collections.Counter()
        self._who: dict[Any, str] = {}
        self.stamps = Stamps()
        app.wsgi_app = self
        with app.app_context():
            from sqlalchemy import event
            event.listen(db.engine, "commit", self._commit)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Count the request, remember who runs in this greenlet, and serve it."""
        started = time.time()
        who = f"{environ.get('REQUEST_METHOD')} {_route(environ.get('PATH_INFO', ''))}"
        if environ.get("PATH_INFO") == "/rpc":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = _Body(body)
            parsed = json.loads(body)
            methods = [item.get("method", "?") for item in (parsed if isinstance(parsed, list) else [parsed])]
            self.calls.update(methods)
            who = "rpc " + "+".join(methods)
        self.requests[who] += 1
        self._who[gevent.getcurrent()] = who
        try:
            return list(self.wsgi(environ, start_response))
        finally:
            self._who.pop(gevent.getcurrent(), None)
            self.stamps.requests.append((who, started, time.time()))

    def _commit(self, connection: Any) -> None:
        """Charge one commit to the request running in this greenlet (or the server's background work)."""
        who = self._who.get(gevent.getcurrent(), "background")
        self.commits[who] += 1
        self.stamps.commits.append((who, time.time()))

    def snapshot(self) -> dict[str, collections.Counter]:
        """Return copies of the counters."""
        return {"requests": self.requests.copy(), "calls": self.calls.copy(), "commits": self.commits.copy()}


class _Body:
    """A re-readable request body (the middleware read it to count the calls)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, size: int = -1) -> bytes:
        """Return the next `size` bytes (all when negative)."""
        end = len(self.data) if size < 0 else self.pos + size
        chunk, self.pos = self.data[self.pos:end], min(end, len(self.data))
        return chunk


def _route(path: str) -> str:
    """Return a path with its numbers as {n}, so requests group by route."""
    return re.sub(r"/\d+", "/{n}", path)


def start_server(tmp: Path) -> tuple[Any, Counting, harness.Server]:
    """Serve the app in this process on a free port; return it, its counters and a harness handle for the API."""
    os.environ.update(CIRCLE_DATA_DIR=str(tmp / "data"), CIRCLE_LOG_LEVEL="warning")
    from circle.app import create_app
    from circle.bootstrap import ensure_admin
    from circle.database import open_database
    from circle.server import Server, listen, reachable_url
    from circle.service.reaper import Reaper

    listener = listen("127.0.0.1", 0)
    os.environ["CIRCLE_HOST"] = reachable_url(listener)
    app = create_app()
    open_database(app)
    with app.app_context():
        credentials = ensure_admin()
    counting = Counting(app)
    Server(listener, app, log=None).start()
    Reaper(app).start()
    handle = harness.Server(data_dir=tmp / "data", port=listener.getsockname()[1], env={},
                            token=credentials.token)
    return app, counting, handle


def traced_agent(server: harness.Server, tmp: Path) -> tuple[procs.Proc, Path]:
    """Start `circle agent --backend local --max-procs 1` under strace; return it and its trace file."""
    trace, workdir = tmp / "agent.strace", tmp / "agent"
    workdir.mkdir()
    agent = procs.Proc("agent", [*STRACE, "-o", str(trace), sys.executable, "-m", "circle", "agent",
                                 "--server", server.url, f"--secret={server.agent_secret}", "--backend", "local",
                                 "--name", "traced", "--workdir", str(workdir), "--max-procs", "1"],
                       harness.clean_env(CIRCLE_LOG_LEVEL="warning"), workdir / "agent.log", tree=True)
    return agent, trace


def build_once(api: Api, repo_id: int, every: float) -> None:
    """Trigger one build and poll it every `every` seconds until it ends; BenchError unless it succeeded."""
    number = api.trigger_api(repo_id)
    deadline = time.monotonic() + 60
    while (status := api.build(repo_id, number)["status"]) not in FINAL:
        if time.monotonic() > deadline:
            raise BenchError(f"build {number} of repo {repo_id} did not finish within 60 s")
        time.sleep(every)
    if status != "success":
        raise BenchError(f"build {number} of repo {repo_id} ended {status}")


def run_builds(api: Api, repo_id: int, count: int) -> None:
    """Trigger `count` builds one after the other, each waited for (polled every 20 ms) and checked successful."""
    for _ in range(count):
        build_once(api, repo_id, 0.02)
        time.sleep(0.3)  # let the agent's last calls (done, the next `next`) arrive before counting


def per_build(before: collections.Counter, after: collections.Counter, builds: int) -> dict[str, float]:
    """Return the counts made during the builds, per build, largest first."""
    delta = after - before
    return {key: round(value / builds, 2) for key, value in delta.most_common()}


def parse_args(doc: str | None, *, builds: int) -> argparse.Namespace:
    """Parse the options of a bench that runs builds through a traced agent: --builds, --json, --keep."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--builds", type=int, default=builds,
                        help=f"builds per scenario after one warm-up (default {builds})")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (the agent's strace output)")
    return parser.parse_args()


def main() -> int:
    """Run the scenarios and print the counts per build."""
    args = parse_args(__doc__, builds=5)
    tmp = traversable_tmp("circle-roundtrips-")
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "builds": args.builds}
    agent = None
    try:
        _app, counting, server = start_server(tmp)
        api = Api(server.url, server.token)
        git_root = tmp / "git"
        repos = {}
        for key in SCENARIOS:
            repos[key] = harness.activate_local(server, git_root, f"bench/{key}", {".circle.yml": REPOS[key]})[0]
        agent, trace = traced_agent(server, tmp)
        offset = 0
        for key in SCENARIOS:
            run_builds(api, repos[key], 1)
            before = counting.snapshot()
            _, offset = execs(trace, offset)
            run_builds(api, repos[key], args.builds)
            after = counting.snapshot()
            spawned, offset = execs(trace, offset)
            programs: dict[str, list[float]] = collections.defaultdict(list)
            for name, seconds in spawned:
                programs[name].append(seconds)
            results[key] = {
                "rpc_requests": sum((after["requests"] - before["requests"])[k] for k in after["requests"]
                                    if k.startswith("rpc ")) / args.builds,
                "rpc_calls": sum((after["calls"] - before["calls"]).values()) / args.builds,
                "commits_rpc": sum((after["commits"] - before["commits"])[k] for k in after["commits"]
                                   if k.startswith("rpc ")) / args.builds,
                "processes": len(spawned) / args.builds,
                "requests": per_build(before["requests"], after["requests"], args.builds),
                "commits": per_build(before["commits"], after["commits"], args.builds),
                "programs": {name: {"per_build": round(len(times) / args.builds, 2),
                                    "median_ms": round(sorted(times)[len(times) // 2] * 1000, 1)}
                             for name, times in sorted(programs.items())},
            }
    finally:
        if agent is not None:
            agent.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    for key in SCENARIOS:
        figures = results[key]
        print(f"== {key}: per build, {args.builds} builds")
        print(f"   /rpc requests {figures['rpc_requests']:g}, JSON-RPC calls {figures['rpc_calls']:g}, "
              f"commits in RPCs {figures['commits_rpc']:g}, processes the agent spawned {figures['processes']:g}")
        for what in ("requests", "commits"):
            print(f"   {what}: " + ", ".join(f"{k} {v:g}" for k, v in figures[what].items()))
        print("   programs (per build, median ms exec→exit under strace): " + ", ".join(
            f"{name} {p['per_build']:g}× {p['median_ms']:g}" for name, p in figures["programs"].items()))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
