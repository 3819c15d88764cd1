"""Where a 1-step build's time goes, phase by phase: trigger → build row → compile and queue → hand-out → agent
start → clone step → step → report → done → seen by the client.

    .venv/bin/python -m bench.phases [--builds 20] [--json FILE]

The server runs in this process (as in bench.roundtrips: SQLite in a temp dir, gevent, the app of `circle
server`), so each request's start and end and each commit are stamped where they happen (roundtrips.Counting);
a real `circle agent --backend local --max-procs 1` runs under `strace -f -tt -e trace=execve`, which stamps
every process it starts and its exit. Every stamp is the wall clock of this one machine, so they line up.
A step is the life of one process chain the agent starts (setpriv → prlimit → bwrap → sh as root; bwrap → sh
otherwise). Builds run one at a time, each after the agent is back in its long poll; the client polls the
build every 10 ms, as the side-by-side bench does. Printed: the median of each phase over `--builds` builds
(after one warm-up), for the 1-step build with the clone step and without it.
"""
from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from bench.circle_side import REPOS, harness, traversable_tmp  # noqa: E402
from bench.roundtrips import build_once, parse_args, start_server, traced_agent  # noqa: E402
from bench.timeline import chains, phase_medians, timeline  # noqa: E402
from bench.wire import Api  # noqa: E402

SCENARIOS = ("one", "one-noclone")


def one_build(api: Api, repo_id: int) -> dict[str, float]:
    """Trigger one build, poll it every 10 ms until final; return the client's stamps."""
    posted = time.time()
    build_once(api, repo_id, 0.01)
    return {"post": posted, "seen": time.time()}


def main() -> int:
    """Run each scenario's builds and print the median of each phase."""
    args = parse_args(__doc__, builds=20)
    tmp = traversable_tmp("circle-phases-")
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "builds": args.builds}
    agent = None
    try:
        _app, counting, server = start_server(tmp)
        stamps = counting.stamps
        api = Api(server.url, server.token)
        repos = {key: harness.activate_local(server, tmp / "git", f"bench/{key}", {".circle.yml": REPOS[key]})[0]
                 for key in SCENARIOS}
        agent, trace = traced_agent(server, tmp)
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
