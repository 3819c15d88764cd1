"""The floor under an idle long-poll's cost: gevent's WSGI server alone, answering the same polls as circle's `next`.

    .venv/bin/python bench/pollfloor.py [--agents 1000] [--poll 5] [--seconds 20]

A bare gevent WSGIServer in its own process reads each JSON-RPC body, waits the poll's seconds and answers a null
result: no Flask, no database, no dispatcher. The pollers are bench/dispatch.py's (keep-alive HTTP sessions, first
polls spread over one interval). What it prints, CPU per poll answered, is what any circle server on gevent pays per
idle poll before any of circle's own work: compare it with dispatch.py's `server_cpu_ms_per_idle_poll`, run in the
same sitting with the same --agents and --poll.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Iterable  # noqa: E402

import gevent  # noqa: E402
import requests  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dispatch import cpu_seconds  # noqa: E402

from e2e import free_port  # noqa: E402


def answer_after_poll(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Read a JSON-RPC call, wait its params.poll seconds, answer a null result."""
    call = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    gevent.sleep(float(call["params"]["poll"]))
    body = json.dumps({"jsonrpc": "2.0", "result": None, "id": call.get("id")}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def serve(port: int) -> None:
    """Serve `answer_after_poll` on loopback until killed."""
    from gevent.pywsgi import WSGIServer

    WSGIServer(("127.0.0.1", port), answer_after_poll, log=None).serve_forever()


def wait_listening(url: str, deadline: float) -> None:
    """Wait until the server answers one short poll."""
    while True:
        try:
            requests.post(url, json={"params": {"poll": 0}, "id": 0}, timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def measure(agents: int, poll: float, seconds: float) -> dict[str, Any]:
    """Run the bare server and `agents` pollers; return its CPU per poll answered over `seconds`."""
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    url = f"http://127.0.0.1:{port}/rpc"
    answered = [0]

    def poller(index: int) -> None:
        session = requests.Session()
        gevent.sleep(index * poll / agents)
        body = {"jsonrpc": "2.0", "method": "next", "params": {"labels": {}, "poll": poll}, "id": 1}
        while True:
            session.post(url, json=body, timeout=poll + 30).raise_for_status()
            answered[0] += 1

    pollers: list[gevent.Greenlet] = []
    try:
        wait_listening(url, time.monotonic() + 30)
        pollers = [gevent.spawn(poller, index) for index in range(agents)]
        gevent.sleep(poll + 2)  # every poller is polling: answers come at agents/poll a second
        cpu, polls, started = cpu_seconds(server.pid), answered[0], time.perf_counter()
        gevent.sleep(seconds)
        elapsed = time.perf_counter() - started
        used, polls = cpu_seconds(server.pid) - cpu, answered[0] - polls
    finally:
        gevent.killall(pollers)
        server.kill()
        server.wait()
    return {"server": "bare gevent pywsgi", "agents": agents, "poll_s": poll, "window_s": round(elapsed, 1),
            "polls_answered_per_s": round(polls / elapsed, 1),
            "server_cpu_pct_of_one_core": round(used / elapsed * 100, 1),
            "server_cpu_ms_per_poll": round(used * 1000 / polls, 3) if polls else None,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def main() -> None:
    """Parse the options; serve (internal) or measure and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--poll", type=float, default=5)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    print(json.dumps(measure(args.agents, args.poll, args.seconds), indent=2))


if __name__ == "__main__":
    main()
