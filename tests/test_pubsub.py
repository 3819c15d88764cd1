"""PubSub in one process and across processes, on a real Redis and a real PostgreSQL.

Two PubSub objects on the same bus stand for two `circle server` processes. The buses come from
CIRCLE_TEST_REDIS_URL (default redis://127.0.0.1:6379/0) and CIRCLE_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test); each test gets a channel of its own. A bus that does
not answer skips its tests with a reason, except under CI=true, where it fails them.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from circle import pubsub as pubsub_module
from circle.errors import SettingsError
from circle.pubsub import MAX_BYTES, OVERFLOW, PubSub, Subscription, create_pubsub
from circle.pubsub_bus import BusPubSub
from circle.queue import Queue
from circle.store import agents
from dbtools import IN_CI, make_app, make_workflow
from e2e.harness import free_port

ROOT = Path(__file__).resolve().parent.parent
BUSES = {
    "redis": os.environ.get("CIRCLE_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0",
    "postgres": os.environ.get("CIRCLE_TEST_POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432/test",
}
# Generous bounds for things that take milliseconds; they only matter when something is broken.
WAIT = 10.0
_problems: dict[str, str | None] = {}


def _problem(kind: str, url: str) -> str | None:
    """Return why the bus of `kind` cannot be used, or None when it answers."""
    try:
        if kind == "redis":
            import redis

            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        else:
            import psycopg

            from circle.pubsub_postgres import conninfo

            psycopg.connect(conninfo(url), connect_timeout=2).close()
    except ImportError as err:
        return f"the {err.name} package is not installed"
    except Exception as err:  # any failure to answer means "not here"; the reason goes into the skip
        return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return None


@pytest.fixture(params=list(BUSES))
def bus_url(request: pytest.FixtureRequest) -> str:
    """The URL of a reachable bus with a fresh channel; skip (fail under CI) when the bus does not answer."""
    kind, url = request.param, BUSES[request.param]
    if kind not in _problems:
        _problems[kind] = _problem(kind, url)
    if _problems[kind] is not None:
        message = f"the {kind} pubsub tests need {url}: {_problems[kind]}"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: nothing may be skipped)")
        pytest.skip(message)
    return f"{url}{'&' if '?' in url else '?'}channel=circle_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def pair(bus_url: str) -> Iterator[tuple[BusPubSub, BusPubSub]]:
    """Two processes' PubSubs on one bus."""
    first, second = create_pubsub(bus_url), create_pubsub(bus_url)
    assert isinstance(first, BusPubSub) and isinstance(second, BusPubSub)
    yield first, second
    first.close()
    second.close()


def _take(subscription: Subscription, count: int) -> list[dict[str, Any]]:
    """Read `count` messages, giving up after WAIT seconds."""
    deadline, taken = time.monotonic() + WAIT, []
    while len(taken) < count:
        message = subscription.get(max(0.0, deadline - time.monotonic()))
        if message is None:
            break
        taken.append(message)
    return taken


def _until(condition: Callable[[], bool]) -> bool:
    """Wait up to WAIT seconds for `condition()` to hold; return whether it did."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_in_process_pubsub_feeds_every_subscriber_and_watcher():
    """Without a URL the PubSub is in-process: subscribers and watchers of a topic each get its messages."""
    pubsub = create_pubsub("")
    assert type(pubsub) is PubSub
    seen: list[dict[str, Any]] = []
    with pubsub.subscribe(["t"]) as first, pubsub.subscribe(["t", "u"]) as second:
        watch = pubsub.watch(["t"], seen.append)
        pubsub.publish("t", {"n": 1})
        pubsub.publish("u", {"n": 2})
        pubsub.publish("other", {"n": 3})
        assert _take(first, 1) == [{"n": 1}] and first.get(0) is None
        assert _take(second, 2) == [{"n": 1}, {"n": 2}]
        assert seen == [{"n": 1}]
        watch.close()
    assert pubsub.subscriber_count("t") == 0


def test_a_failing_watcher_is_logged_and_the_others_still_get_the_message(caplog: pytest.LogCaptureFixture):
    """A watch callback that raises does not reach the publisher nor starve the other subscribers."""
    pubsub = PubSub()

    def broken(message: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    pubsub.watch(["t"], broken)
    with pubsub.subscribe(["t"]) as subscription, caplog.at_level(logging.ERROR, "circle.pubsub"):
        pubsub.publish("t", {"n": 1})
        assert subscription.get(0) == {"n": 1}
    assert "pubsub callback for t failed" in caplog.text and "boom" in caplog.text


def test_a_subscriber_past_its_byte_bound_learns_it_lost_messages():
    """Unread messages past MAX_BYTES of JSON are dropped; the reader gets OVERFLOW once, in their place."""
    pubsub = PubSub()
    quarter = "x" * (MAX_BYTES // 4)
    with pubsub.subscribe(["t"]) as subscription:
        for n in range(6):
            pubsub.publish("t", {"n": n, "out": quarter})  # a little over a quarter each: three fit
        pubsub.publish("t", {"n": 6})  # a small one still fits: it comes after the gap
        assert [message["n"] for message in _take(subscription, 3)] == [0, 1, 2]
        gap, after = _take(subscription, 2)
        assert gap is OVERFLOW and after == {"n": 6} and subscription.dropped == 3
        assert subscription.get(0) is None
        pubsub.publish("t", {"n": 7, "out": quarter})  # read: there is room again
        assert _take(subscription, 1) == [{"n": 7, "out": quarter}]


def test_a_subscriber_past_its_message_bound_learns_it_lost_messages(monkeypatch: pytest.MonkeyPatch):
    """The count bound (BACKLOG) still holds for small messages, and a drop is marked the same way."""
    monkeypatch.setattr(pubsub_module, "BACKLOG", 3)
    pubsub = PubSub()
    with pubsub.subscribe(["t"]) as subscription, pubsub.subscribe(["t"]) as reader:
        for n in range(5):
            pubsub.publish("t", {"n": n})
            assert _take(reader, 1) == [{"n": n}]  # a subscriber that reads loses nothing
        *kept, gap = _take(subscription, 4)
        assert kept == [{"n": 0}, {"n": 1}, {"n": 2}] and gap is OVERFLOW
        assert subscription.dropped == 2 and reader.dropped == 0


def test_a_message_that_is_not_json_reaches_nobody(caplog: pytest.LogCaptureFixture):
    """Messages are measured by their JSON, so one that has none is logged and dropped, here as on a bus."""
    pubsub = PubSub()
    with pubsub.subscribe(["t"]) as subscription, caplog.at_level(logging.ERROR, "circle.pubsub"):
        pubsub.publish("t", {"when": object()})
        assert subscription.get(0) is None
    assert "a message on t is not JSON" in caplog.text


def test_a_process_hears_only_the_topics_it_has_subscribers_for(pair: tuple[BusPubSub, BusPubSub]):
    """A message on a topic that no subscriber of a process follows never reaches that process at all."""
    first, second = pair
    with second.subscribe(["u"]) as subscription:
        for n in range(5):
            first.publish("t", {"n": n})
        first.publish("u", {"end": True})  # on one connection, after the five would have come
        assert _take(subscription, 1) == [{"end": True}]
    assert second.received == 1


def test_closing_the_last_subscriber_of_a_topic_stops_its_delivery(pair: tuple[BusPubSub, BusPubSub]):
    """The bus keeps delivering a topic while one subscriber of it is left, and stops after the last one."""
    first, second = pair
    with second.subscribe(["u"]) as sync:
        one, two = second.subscribe(["t"]), second.watch(["t"], lambda message: None)
        first.publish("t", {"n": 1})
        assert _take(one, 1) == [{"n": 1}]
        one.close()
        first.publish("t", {"n": 2})
        first.publish("u", {"n": 3})
        assert _take(sync, 1) == [{"n": 3}]
        assert second.received == 3
        two.close()
        first.publish("t", {"n": 4})
        first.publish("u", {"n": 5})
        assert _take(sync, 1) == [{"n": 5}]
    assert second.received == 4


def test_a_subscription_hears_what_is_published_as_soon_as_it_returns(pair: tuple[BusPubSub, BusPubSub]):
    """`subscribe` returns once the bus listens, so a message published right after it is never missed."""
    first, second = pair
    for n in range(20):
        with second.subscribe([f"task:{n}"]) as subscription:
            first.publish(f"task:{n}", {"n": n})
            assert _take(subscription, 1) == [{"n": n}]


def test_a_long_topic_name_crosses_the_bus(pair: tuple[BusPubSub, BusPubSub]):
    """A topic whose channel would pass PostgreSQL's 63-byte names gets a hashed name, and still arrives."""
    first, second = pair
    long_topic, other = "logs:" + "7" * 100, "logs:" + "7" * 99 + "8"
    with second.subscribe([long_topic]) as subscription, second.subscribe([other]) as neighbour:
        first.publish(long_topic, {"n": 1})
        first.publish(other, {"n": 2})
        assert _take(subscription, 1) == [{"n": 1}] and _take(neighbour, 1) == [{"n": 2}]
        assert subscription.get(0) is None


def test_postgres_channel_names_fit_in_63_bytes():
    """Channel names are "<channel>:<topic>" up to 63 bytes, else a stable hash; a longer ?channel= is refused."""
    pytest.importorskip("psycopg")
    from circle.pubsub_postgres import PostgresPubSub

    bus = PostgresPubSub("postgresql://postgres@127.0.0.1:1/test?channel=circle")
    assert bus.bus_name("logs:7") == "circle:logs:7"
    hashed = bus.bus_name("logs:" + "ü" * 40)
    assert len(hashed.encode()) <= 63 and hashed.startswith("circle:")
    assert hashed == bus.bus_name("logs:" + "ü" * 40) != bus.bus_name("logs:" + "ü" * 41)
    with pytest.raises(SettingsError, match="longer than 30 bytes"):
        PostgresPubSub("postgresql://postgres@127.0.0.1:1/test?channel=" + "c" * 31)


def test_messages_reach_the_other_process_once_each_in_order(pair: tuple[PubSub, PubSub]):
    """What one process publishes reaches the other's subscribers, and its own, once each and in order."""
    first, second = pair
    mine, theirs = first.subscribe(["t"]), second.subscribe(["t"])
    other_topic = second.subscribe(["u"])
    sent = [{"n": n, "text": f"message {n} ✓"} for n in range(50)]
    for message in sent:
        first.publish("t", message)
    assert _take(theirs, 50) == sent
    second.publish("t", {"end": True})  # reaches `mine` after any echo of the 50 that should not be there
    assert _take(mine, 51) == [*sent, {"end": True}]
    assert _take(theirs, 1) == [{"end": True}]
    assert mine.get(0.2) is None and theirs.get(0) is None and other_topic.get(0) is None


def test_a_message_over_the_notify_limit_arrives_whole(pair: tuple[PubSub, PubSub]):
    """A log batch far past NOTIFY's 8000 bytes arrives whole and in its place among small messages."""
    first, second = pair
    big = {"lines": [{"pos": pos, "time": pos, "out": f"line {pos}: ünïcødé \x1b[32mgreen\x1b[0m " + "x" * 120}
                     for pos in range(400)]}
    assert len(json.dumps(big)) > 8 * 8000
    with second.subscribe(["logs:1"]) as subscription:
        first.publish("logs:1", {"n": 1})
        first.publish("logs:1", big)
        first.publish("logs:1", {"eof": True})
        assert _take(subscription, 3) == [{"n": 1}, big, {"eof": True}]


def _drop(bus_url: str, pubsub: PubSub, role: str) -> int:
    """Cut `pubsub`'s "listen" or "publish" connection from the server side; return how many were cut."""
    name = f"circle-{role}-{pubsub.origin}"
    if bus_url.startswith("redis"):
        import redis

        client = redis.Redis.from_url(bus_url.partition("?")[0], decode_responses=True)
        with client:
            return sum(client.client_kill_filter(_id=entry["id"])
                       for entry in client.client_list() if entry["name"] == name)
    import psycopg

    from circle.pubsub_postgres import conninfo

    with psycopg.connect(conninfo(bus_url.partition("?")[0]), autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                            (name,)).fetchall()
    return sum(1 for (done,) in rows if done)


def test_the_listener_reconnects_after_the_bus_drops_it(pair: tuple[PubSub, PubSub], bus_url: str,
                                                         caplog: pytest.LogCaptureFixture):
    """When the bus closes a listener's connection, it says so, reconnects, and later messages arrive."""
    first, second = pair
    with second.subscribe(["t"]) as subscription, caplog.at_level(logging.WARNING, "circle.pubsub_bus"):
        first.publish("t", {"n": 1})
        assert _take(subscription, 1) == [{"n": 1}]
        assert _drop(bus_url, second, "listen") == 1
        assert _until(lambda: second.connections >= 2), "the listener did not reconnect"
        first.publish("t", {"n": 2})
        assert _take(subscription, 1) == [{"n": 2}]
    assert "lost the bus" in caplog.text and "listening on" in caplog.text


def test_a_dropped_publishing_connection_is_replaced_at_once(pair: tuple[PubSub, PubSub], bus_url: str):
    """When the bus closed the connection a process publishes on, its next message still gets through."""
    first, second = pair
    with second.subscribe(["t"]) as subscription:
        first.publish("t", {"n": 1})
        assert _take(subscription, 1) == [{"n": 1}]
        assert _drop(bus_url, first, "publish") == 1
        first.publish("t", {"n": 2})
        assert _take(subscription, 1) == [{"n": 2}]


def _redis_server(port: int, workdir: Path) -> subprocess.Popen:
    """Start a private redis-server on `port` and wait until it accepts connections."""
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.02)
    process.kill()
    raise AssertionError(f"redis-server did not listen on {port}")


def test_a_restarted_redis_is_reconnected_and_later_messages_arrive(tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture):
    """While a private Redis is down, publishing neither fails nor blocks; once it is back, messages flow again."""
    pytest.importorskip("redis")
    if shutil.which("redis-server") is None:
        if IN_CI:
            pytest.fail("redis-server is not installed (CI=true: nothing may be skipped)")
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = _redis_server(port, tmp_path)
    url = f"redis://127.0.0.1:{port}/0"
    first, second = create_pubsub(url), create_pubsub(url)
    try:
        with second.subscribe(["t"]) as theirs, first.subscribe(["t"]) as mine, \
                caplog.at_level(logging.WARNING, "circle.pubsub_bus"):
            first.publish("t", {"n": 1})
            assert _take(theirs, 1) == [{"n": 1}]
            server.terminate()
            server.wait(WAIT)
            first.publish("t", {"n": 2})  # lost to the other process, still delivered here
            assert _take(mine, 2) == [{"n": 1}, {"n": 2}]
            server = _redis_server(port, tmp_path)
            assert _until(lambda: first.connections >= 2 and second.connections >= 2), "no reconnection"
            first.publish("t", {"n": 3})
            assert _take(theirs, 1) == [{"n": 3}]
        assert "lost the bus" in caplog.text and "listening on" in caplog.text
    finally:
        first.close()
        second.close()
        server.terminate()
        server.wait(WAIT)


def test_a_process_is_told_once_of_its_own_push_and_once_of_anothers(pair: tuple[PubSub, PubSub]):
    """A change of the pending tasks announced in one process reaches each process's dispatcher exactly once."""
    first, second = pair
    told: dict[str, list[dict[str, object]]] = {"first": [], "second": []}
    here, there = Queue(first), Queue(second)
    here.dispatcher.announce = told["first"].append  # type: ignore[method-assign]
    there.dispatcher.announce = told["second"].append  # type: ignore[method-assign]
    here.wake()
    assert _until(lambda: len(told["second"]) == 1)
    with first.subscribe(["sync"]) as sync:
        second.publish("sync", {})  # arrives after any echo of the announcement in `first`
        assert _take(sync, 1) == [{}]
    assert told == {"first": [{"changed": True}], "second": [{"changed": True}]}
    here.close()
    there.close()


def test_a_push_wakes_a_poller_in_another_process(app, bus_url: str):
    """A long-poll in one process gets a task pushed in another, though its own refresh is far away."""
    build_id, proc_id = make_workflow()
    first, second = create_pubsub(bus_url), create_pubsub(bus_url)
    pusher, poller = Queue(first), Queue(second, refresh_seconds=3600)
    agent_id = agents.create(name="elsewhere").id
    result: dict[str, int | None] = {}

    def wait() -> None:
        with app.app_context():
            task = poller.poll(agent_id, {"platform": "linux/*"}, WAIT)
            result["task"] = task.id if task else None

    thread = threading.Thread(target=wait)
    thread.start()
    try:
        assert _until(lambda: poller.info()["waiting_agents"] == 1)
        pushed = pusher.push(build_id=build_id, proc_id=proc_id, payload={}, labels={"platform": "linux/amd64"},
                             timeout=60)
        thread.join(WAIT + 5)
        assert result == {"task": pushed.id}
    finally:
        thread.join(WAIT + 5)
        first.close()
        second.close()


GEVENT_SCRIPT = """
from gevent import monkey
monkey.patch_all()
import sys
import time
from circle.pubsub import create_pubsub
first, second = create_pubsub(sys.argv[1]), create_pubsub(sys.argv[1])
subscription = second.subscribe(["t"])
for n in range(20):
    first.publish("t", {"n": n, "pad": "x" * (n * 1000)})
    with second.subscribe([f"u{n}"]) as other:  # channels change while the listener greenlet waits
        first.publish(f"u{n}", {"n": n})
        assert other.get(10) == {"n": n}
deadline, got = time.monotonic() + 10, []
while len(got) < 20 and (message := subscription.get(max(0.0, deadline - time.monotonic()))) is not None:
    got.append(message["n"])
assert got == list(range(20)), got
if "psycopg" in sys.modules:
    import psycopg.waiting
    assert psycopg.waiting.wait is not getattr(psycopg.waiting, "wait_c", None), "psycopg would block the hub"
first.close()
second.close()
print("ok")
"""


@pytest.mark.slow
def test_the_bus_works_under_gevent(bus_url: str):
    """In a monkey-patched process (as `circle server` runs) messages, big ones included, cross the bus."""
    done = subprocess.run([sys.executable, "-c", GEVENT_SCRIPT, bus_url], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr


@pytest.mark.parametrize("url", ["redis://127.0.0.1:1/0", "postgresql://postgres@127.0.0.1:1/test"])
def test_an_unreachable_bus_is_one_clear_sentence(url: str):
    """A bus that does not answer at start is a SettingsError naming it, not a traceback."""
    pytest.importorskip("redis" if url.startswith("redis") else "psycopg")
    with pytest.raises(SettingsError, match=r"cannot reach the pubsub bus .*127\.0\.0\.1:1"):
        create_pubsub(url)


def test_an_app_does_not_start_when_its_bus_does_not_answer(tmp_path: Path):
    """create_app (and so `circle server`) refuses to start on an unreachable CIRCLE_PUBSUB_URL."""
    with pytest.raises(SettingsError, match="cannot reach the pubsub bus") as raised:
        make_app(f"sqlite:///{tmp_path / 'circle.db'}", tmp_path,
                 CIRCLE_PUBSUB_URL="postgresql://postgres:secret@127.0.0.1:1/test")
    assert "secret" not in str(raised.value)


@pytest.mark.parametrize("url", ["amqp://guest:guest@127.0.0.1/", "127.0.0.1:6379", "http://127.0.0.1/"])
def test_an_unknown_scheme_is_a_settings_error(url: str):
    """Only empty, redis://… and postgresql://… are understood, and the message hides passwords."""
    with pytest.raises(SettingsError, match="must be empty .* redis://… or postgresql://…") as raised:
        create_pubsub(url)
    assert "guest" not in str(raised.value)


def test_a_missing_driver_is_a_settings_error(monkeypatch: pytest.MonkeyPatch):
    """A Redis URL without the redis package says which extra to install."""
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.delitem(sys.modules, "circle.pubsub_redis", raising=False)
    with pytest.raises(SettingsError, match=r"redis package is not installed: pip install 'circle-ci\[redis\]'"):
        create_pubsub("redis://127.0.0.1:6379/0")
