"""Benchmark the shared bus with several PubSubs standing for server processes; prints figures (not a test).

    PYTHONPATH=. .venv/bin/python bench/pubsub.py URL [--processes N] [--messages M]

URL is a CIRCLE_PUBSUB_URL (redis://… or postgresql://…). One process publishes M messages on each of
N topics "logs:<i>"; process i follows topic i only. It prints how many bus messages each process
decoded (per-topic channels: only its own topic's), the time a `subscribe` takes to return (the bus
confirmed the channel), and the publish-to-delivery throughput.
"""
from __future__ import annotations

import argparse
import statistics
import time
import uuid

from circle.pubsub import create_pubsub
from circle.pubsub_bus import BusPubSub


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--messages", type=int, default=500)
    args = parser.parse_args()
    url = f"{args.url}{'&' if '?' in args.url else '?'}channel=bench_{uuid.uuid4().hex[:8]}"
    publisher = create_pubsub(url)
    others = [bus for bus in (create_pubsub(url) for _ in range(args.processes)) if isinstance(bus, BusPubSub)]
    subscribe_ms = []
    for index in range(50):
        start = time.perf_counter()
        others[0].subscribe([f"probe:{index}"]).close()
        subscribe_ms.append((time.perf_counter() - start) * 1000)
    subscriptions = [bus.subscribe([f"logs:{index}"]) for index, bus in enumerate(others)]
    line = {"pos": 0, "time": 0, "out": "x" * 100}
    start = time.perf_counter()
    for n in range(args.messages):
        for index in range(args.processes):
            publisher.publish(f"logs:{index}", {"n": n, "lines": [line]})
    for subscription in subscriptions:
        for _ in range(args.messages):
            assert subscription.get(30) is not None
    elapsed = time.perf_counter() - start
    total = args.messages * args.processes
    print(f"{total} messages on {args.processes} topics, one follower each: "
          f"{total / elapsed:,.0f} delivered/s")
    print("bus messages decoded per process:", [bus.received for bus in others],
          f"(each follows 1 of {args.processes} topics; one shared channel would be {total} each)")
    print(f"subscribe until the bus listens: median {statistics.median(subscribe_ms):.2f} ms, "
          f"max {max(subscribe_ms):.2f} ms")
    for bus in [publisher, *others]:
        bus.close()


if __name__ == "__main__":
    main()
