"""Where a 1-step build's time goes, phase by phase: trigger → build row → compile and queue → hand-out → agent
start → clone step → step → report → done → seen by the client.

    .venv/bin/python -m bench.phases [--builds 20] [--json FILE]

The server runs in this process (as in bench.roundtrips: SQLite in a temp dir, gevent, the app of `circle
server`), so each request's start and end and each commit are stamped where they happen; a real `circle agent
--backend local --max-procs 1` runs under `strace -f -tt -e trace=execve`, which stamps every process it starts
and its exit. Every stamp is the wall clock of this one machine, so they line up. A step is the life of one
process chain the agent starts (setpriv → prlimit → bwrap → sh as root; bwrap → sh otherwise). Builds run one
at a time, each after the agent is back in its long poll; the client polls the build every 10 ms, as the
side-by-side bench does. Printed: the median of each phase over `--builds` builds (after one warm-up), for the
1-step build with the clone step and without it.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Iterable  # noqa: E402

import gevent  # noqa: E402

from bench import procs  # noqa: E402
from bench.circle_side import REPOS, harness, traversable_tmp  # noqa: E402
from bench.roundtrips import start_server  # noqa: E402
from bench.strace import STRACE  # noqa: E402
from bench.timeline import Stamps, chains, phase_medians, timeline  # noqa: E402
from bench.wire import FINAL, Api, BenchError  # noqa: E402

SCENARIOS = ("one", "one-noclone")


class Stamping:
    """WSGI middleware and commit listener: stamps each request's start and end and each commit with its caller."""

    def __init__(self, app: Any, stamps: Stamps) -> None:
        from sqlalchemy import event

        from circle.extensions import db

        self.wsgi, self.stamps, self._who = app.wsgi_app, stamps, {}
        app.wsgi_app = self
        with app.app_context():
            event.listen(db.engine, "commit", self._commit)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Serve the request and stamp it with its label (the JSON-RPC methods for /rpc)."""
        started = time.time()
        label = f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO', '')}"
        if environ.get("PATH_INFO") == "/rpc":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = _Body(body)
            parsed = json.loads(body)
            label = "rpc " + "+".join(item.get("method", "?") for item in (parsed if isinstance(parsed, list)
                                                                             else [parsed]))
        self._who[gevent.getcurrent()] = label
        try:
            return list(self.wsgi(environ, start_response))
        finally:
            self._who.pop(gevent.getcurrent(), None)
            self.stamps.requests.append((label, started, time.time()))

    def _commit(self, _connection: Any) -> None:
        """Stamp a commit with the request that made it."""
        self.stamps.commits.append((self._who.get(gevent.getcurrent(), "background"), time.time()))


class _Body:
    """A re-readable request body."""

    def __init__(self, data: bytes) -> None:
        self._data, self._at = data, 0

    def read(self, size: int = -1) -> bytes:
        """Return the next `size` bytes (all when negative)."""
        end = len(self._data) if size < 0 else self._at + size
        chunk, self._at = self._data[self._at:end], min(end, len(self._data))
        return chunk


def one_build(api: Api, repo_id: int) -> dict[str, float]:
    """Trigger one build, poll it every 10 ms until final; return the client's stamps."""
    posted = time.time()
    number = api.trigger_api(repo_id)
    deadline = time.monotonic() + 60
    while (status := api.build(repo_id, number)["status"]) not in FINAL:
        if time.monotonic() > deadline:
            raise BenchError(f"build {number} did not finish within 60 s")
        time.sleep(0.01)
    if status != "success":
        raise BenchError(f"build {number} ended {status}")
    return {"post": posted, "seen": time.time()}


def main() -> int:
    """Run each scenario's builds and print the median of each phase."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--builds", type=int, default=20, help="builds per scenario after one warm-up (default 20)")
    parser.add_argument("--json", type=Path, help="also write every build's moments as JSON to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (the agent's strace output)")
    args = parser.parse_args()
    tmp = traversable_tmp("circle-phases-")
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "builds": args.builds}
    agent = None
    try:
        app, _counting, server = start_server(tmp)
        stamps = Stamps()
        Stamping(app, stamps)
        api = Api(server.url, server.token)
        repos = {key: harness.activate_local(server, tmp / "git", f"bench/{key}", {".circle.yml": REPOS[key]})[0]
                 for key in SCENARIOS}
        trace, workdir = tmp / "agent.strace", tmp / "agent"
        workdir.mkdir()
        agent = procs.Proc("agent", [*STRACE, "-o", str(trace), sys.executable, "-m", "circle", "agent",
                                     "--server", server.url, f"--secret={server.agent_secret}", "--backend", "local",
                                     "--name", "phases", "--workdir", str(workdir), "--max-procs", "1"],
                           harness.clean_env(CIRCLE_LOG_LEVEL="warning"), workdir / "agent.log", tree=True)
        day_start = time.mktime(time.localtime()[:3] + (0, 0, 0, 0, 0, -1))
        for key in SCENARIOS:
            one_build(api, repos[key])
            clients = []
            for _ in range(args.builds):
                time.sleep(0.3)  # the agent is back in its long poll
                clients.append(one_build(api, repos[key]))
            time.sleep(0.3)
            steps = chains(trace, day_start)
            results[key] = [timeline(client, stamps, steps) for client in clients]
    finally:
        if agent is not None:
            agent.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    for key in SCENARIOS:
        print(f"== {key}: median of {args.builds} builds, ms")
        for name, value in phase_medians(results[key]):
            if value is not None:
                print(f"   {value:8.1f}  {name}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
