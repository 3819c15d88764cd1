"""The queue at scale: thousands of idle long-polling agents, a backlog none of them can run, one task that can.

    .venv/bin/python bench/dispatch.py [--agents 5000] [--backlog 200] [--seconds 60] [--dispatches 20] [--poll 55]
                                       [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/circle_bench]

One fresh `circle server` process (SQLite unless --database-url), no embedded agent. `--agents` raw JSON-RPC
agents register and long-poll `next` in a loop, each poll waiting `--poll` seconds (the agent's default);
their first polls are spread evenly over one poll interval, as a fleet's agents are (they did not all start in
the same second), so the polls answered arrive at a steady agents/poll per second rather than in waves that a
measuring window may or may not catch;
`--backlog` builds wait whose workflow wants linux/arm64, which no agent offers. Over `--seconds` the server's
CPU (% of one core), RSS and, on PostgreSQL, transactions/s are measured, and the server's CPU per idle poll
answered (which, unlike the %, does not depend on how fast a loaded machine lets the bench's pollers go); then
`--dispatches` runnable builds are triggered one at a time and the time from the POST being sent to some idle
agent's `next` answering with it is measured (p50/p90; the POST itself, which compiles and queues the build
before it answers, is given alongside, and the mean time the server spent inside it, from /metrics, which
leaves out the waits of this client's own loop). Prints one JSON object.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
import gevent.pool  # noqa: E402
import sqlalchemy  # noqa: E402

from circle.agent.options import AgentOptions  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import e2e  # noqa: E402

ARM_STEP = ("skip_clone: true\nlabels:\n  platform: linux/arm64\n"
            "steps:\n  hello:\n    image: x\n    commands: [echo hi]\n")


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU seconds a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def transactions(url: str) -> int | None:
    """Return the committed + rolled back transactions of a PostgreSQL database so far, or None elsewhere."""
    if not url.startswith("postgresql"):
        return None
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(sqlalchemy.text(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")).scalar()
    engine.dispose()
    return int(value or 0)


def post_timing(server: e2e.Server) -> tuple[float, int]:
    """Return the seconds the server spent answering trigger POSTs so far, and how many (from /metrics)."""
    text = server.api("GET", "/metrics").text
    values = {}
    for line in text.splitlines():
        if line.startswith("circle_http_request_duration_seconds_") and 'method="POST"' in line \
                and 'route="/api/repos/<int:repo_id>/builds"' in line:
            name, value = line.split("{", 1)[0], float(line.rsplit(" ", 1)[1])
            values[name.rsplit("_", 1)[1]] = value
    return values.get("sum", 0.0), int(values.get("count", 0))


def reset_postgres(url: str) -> None:
    """Drop and recreate the bench's PostgreSQL database, so every run starts empty."""
    target = sqlalchemy.engine.make_url(url)
    engine = sqlalchemy.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{target.database}"'))
    engine.dispose()


def say(message: str) -> None:
    """Print a progress line to stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(agents: int, backlog: int, seconds: float, dispatches: int, database_url: str, poll_seconds: float) -> dict:
    """Measure one server with `agents` idle pollers and `backlog` unrunnable builds."""
    env = {"CIRCLE_DATABASE_URL": database_url} if database_url else {}
    if database_url.startswith("postgresql"):
        reset_postgres(database_url)
    bench = e2e.Bench(agents=0, **env)
    server, pid = bench.server, bench.server.process.pid
    try:
        work = bench.tmp / "git"
        e2e.make_repo(work, "bench/arm", {".circle.yml": ARM_STEP})
        arm = server.ok("POST", "/api/repos", json={"scm_id": server.ok("GET", "/api/scms")[0]["id"],
                                                    "full_name": "bench/arm"})["id"]
        say(f"queueing {backlog} builds nobody can run")
        for _ in range(backlog):
            server.ok("POST", f"/api/repos/{arm}/builds", json={})
        rss_before = e2e.rss_mib(pid)
        say(f"registering {agents} agents")
        pool = gevent.pool.Pool(50)
        pollers = list(pool.imap_unordered(lambda i: e2e.FakeAgent(server, f"idle-{i}"), range(agents)))
        received: list[tuple[float, str]] = []
        answered_polls = [0]
        got = gevent.event.Event()
        stop = gevent.event.Event()

        def poll(agent: e2e.FakeAgent, offset: float) -> None:
            gevent.sleep(offset)
            while not stop.is_set():
                try:
                    task = agent.call("next", labels={}, poll=poll_seconds)
                except Exception:
                    gevent.sleep(1)
                    continue
                answered_polls[0] += 1
                if task:
                    received.append((time.perf_counter(), task["id"]))
                    got.set()
                    agent.call("init", id=task["id"], state={"started": int(time.time())})
                    agent.call("done", id=task["id"], state={"finished": int(time.time()), "exit_code": 0})

        for index, agent in enumerate(pollers):
            gevent.spawn(poll, agent, index * poll_seconds / len(pollers))
        say(f"agents long-poll; waiting {poll_seconds + 5:.0f} s for the steady state")
        gevent.sleep(poll_seconds + 5)  # every poller is polling, and answers come at agents/poll a second
        cpu, xacts, started = cpu_seconds(pid), transactions(database_url), time.perf_counter()
        polls = answered_polls[0]
        say(f"measuring for {seconds:.0f} s")
        gevent.sleep(seconds)
        elapsed = time.perf_counter() - started
        used, polls = cpu_seconds(pid) - cpu, answered_polls[0] - polls
        cpu_pct = used / elapsed * 100
        xact_rate = None if xacts is None else round((transactions(database_url) - xacts) / elapsed, 1)
        rss_idle = e2e.rss_mib(pid)
        say(f"triggering {dispatches} runnable builds")
        latencies, posts, after_answer = [], [], []
        served_before = post_timing(server)
        for _ in range(dispatches):
            got.clear()
            count = len(received)
            sent = time.perf_counter()
            bench.trigger()
            answered = time.perf_counter()
            got.wait(30)
            if len(received) > count:
                latencies.append(received[count][0] - sent)
                posts.append(answered - sent)
                after_answer.append(received[count][0] - answered)
            gevent.sleep(0.2)
        stop.set()
        served = [a - b for a, b in zip(post_timing(server), served_before)]
        return {"database": "postgresql" if database_url.startswith("postgresql") else "sqlite",
                "idle_agents": agents, "poll_s": poll_seconds, "backlog_nobody_can_run": backlog,
                "window_s": round(elapsed, 1),
                "server_cpu_pct_of_one_core": round(cpu_pct, 1),
                "idle_polls_answered_per_s": round(polls / elapsed, 1),
                "idle_polls_per_s_steady": round(agents / poll_seconds, 1),
                "server_cpu_ms_per_idle_poll": round(used * 1000 / polls, 3) if polls else None,
                "server_rss_mib_before_agents": rss_before,
                "server_rss_mib_with_agents": rss_idle, "postgres_transactions_per_s": xact_rate,
                "trigger_post_ms_p50": e2e.pct(posts, 0.5) if posts else None,
                "trigger_post_ms_mean_inside_server": round(served[0] * 1000 / served[1], 1) if served[1] else None,
                "dispatch_ms_p50": e2e.pct(latencies, 0.5) if latencies else None,
                "dispatch_ms_p90": e2e.pct(latencies, 0.9) if latencies else None,
                "handed_out_after_post_answered_ms_p50": e2e.pct(after_answer, 0.5) if after_answer else None,
                "dispatched": len(latencies), "of": dispatches}
    finally:
        bench.close()


def main() -> None:
    """Parse the options, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=5000)
    parser.add_argument("--backlog", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--dispatches", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--poll", type=float, default=AgentOptions.poll_seconds,
                        help="seconds each idle poll waits (the agent's CIRCLE_AGENT_POLL_SECONDS default)")
    args = parser.parse_args()
    result = run(args.agents, args.backlog, args.seconds, args.dispatches, args.database_url, args.poll)
    result["date"] = time.strftime("%Y-%m-%d")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
