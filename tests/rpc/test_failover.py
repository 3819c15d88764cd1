"""The client's failover rules against real HTTP on loopback: no answer moves on, a JSON-RPC error never does."""
from __future__ import annotations

import json
import logging
import threading
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from circle.agent.options import AgentOptions
from circle.agent.task import TaskRun
from circle.extensions import db
from circle.rpc.client import RpcClient, ServerUnavailable
from circle.rpc.jsonrpc import INTERNAL_ERROR, INVALID_PARAMS
from circle.rpc.protocol import NOT_LEASED, NextParams, RegisterParams, RpcError
from circle.store import builds as build_store
from e2e.harness import free_port
from loopback import serving
from rpc.conftest import SECRET

OK = "ok"
RESET = "reset"
HANG = "hang"


class Stub(ThreadingHTTPServer):
    """A scripted JSON-RPC server: each call takes the next answer (the last repeats) and records its method.

    An answer is OK (result "<name>"), RESET (close without answering), HANG (answer nothing until
    closed), an HTTP status (int), or a JSON-RPC error code (a (code,) tuple).
    """

    daemon_threads = True

    def __init__(self, name: str, *answers: Any, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.name = name
        self.answers = list(answers) or [OK]
        self.methods: list[str] = []
        self.closing = threading.Event()

    def next_answer(self, method: str) -> Any:
        """Record a call and return its scripted answer."""
        self.methods.append(method)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class Handler(BaseHTTPRequestHandler):
    """Answers POST /rpc as its Stub's script says."""

    server: Stub

    def do_POST(self) -> None:
        """Answer one call."""
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer = self.server.next_answer(body["method"])
        if answer == RESET:
            self.close_connection = True
            self.connection.close()
            return
        if answer == HANG:
            self.server.closing.wait()
            return
        if isinstance(answer, int):
            self._send(answer, {"message": "unavailable"})
        elif isinstance(answer, tuple):
            self._send(200, {"jsonrpc": "2.0", "error": {"code": answer[0], "message": "refused"}, "id": body["id"]})
        else:
            self._send(200, {"jsonrpc": "2.0", "result": self.server.name, "id": body["id"]})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        """Send a JSON response."""
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


@pytest.fixture
def stubs() -> Iterator[ExitStack]:
    """Serve stubs started with `serve` until the test ends."""
    with ExitStack() as stack:
        yield stack


def serve(stack: ExitStack, stub: Stub) -> str:
    """Serve `stub` until the test ends; return its URL."""
    stack.callback(stub.closing.set)
    return stack.enter_context(serving(stub))


def dead_url() -> str:
    """Return the URL of a port nobody listens on."""
    return f"http://127.0.0.1:{free_port()}"


def switches(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the logged server switches."""
    return [r.getMessage() for r in caplog.records if "switched to" in r.getMessage()]


@pytest.mark.parametrize("failure", [RESET, 502, 503, 504])
def test_a_server_without_an_answer_hands_the_call_to_the_next(stubs, caplog, failure):
    """A reset or an HTTP 502/503/504 moves the call to the next server, which keeps the later calls."""
    first, second = Stub("a", failure), Stub("b")
    urls = [serve(stubs, first), serve(stubs, second)]
    client = RpcClient(urls, "token")
    with caplog.at_level(logging.WARNING, "circle.rpc.servers"):
        assert client.call("extend", {"id": "1.x"}) == "b"
        assert client.call("log", {"id": "1.x"}) == "b"
    assert first.methods == ["extend"] and second.methods == ["extend", "log"]
    why = "Remote end closed connection without response" if failure == RESET else f"answered HTTP {failure}"
    assert switches(caplog) == [f"{urls[0]}{':' if failure == RESET else ''} {why}; switched to {urls[1]}"]


def test_a_refused_connection_moves_on_and_round_robin_wraps(stubs):
    """Connection refused moves on; when the last server fails, the first one is next again."""
    port = free_port()
    second = Stub("b", OK, 503)
    client = RpcClient([f"http://127.0.0.1:{port}", serve(stubs, second)], "token")
    assert client.call("next", {}) == "b"
    first = Stub("a", port=port)
    serve(stubs, first)
    assert client.call("next", {}) == "a"
    assert first.methods == ["next"] and second.methods == ["next", "next"]


def test_a_server_that_does_not_answer_in_time_is_left_for_the_next(stubs):
    """A read timeout (a hung server) moves the call to the next server."""
    first, second = Stub("a", HANG), Stub("b")
    client = RpcClient([serve(stubs, first), serve(stubs, second)], "token")
    assert client.call("wait", {"id": "1.x"}, timeout=0.5) == "b"
    assert client.servers.current == client.servers.urls[1]


@pytest.mark.parametrize("code", [NOT_LEASED, INVALID_PARAMS, INTERNAL_ERROR])
def test_a_json_rpc_error_is_an_answer_not_a_reason_to_switch(stubs, code):
    """-32001, -32602 and -32603 are raised as they are; the next server is never asked."""
    first, second = Stub("a", (code,)), Stub("b")
    client = RpcClient([serve(stubs, first), serve(stubs, second)], "token")
    with pytest.raises(RpcError) as raised:
        client.call("update", {"id": "1.x"})
    assert raised.value.code == code
    assert client.servers.current == client.servers.urls[0] and second.methods == []


def test_retrying_an_unwell_server_stays_on_it(stubs):
    """INTERNAL_ERROR (its database failed) is retried on the same server, which then answers."""
    first, second = Stub("a", (INTERNAL_ERROR,), (INTERNAL_ERROR,), OK), Stub("b")
    client = RpcClient([serve(stubs, first), serve(stubs, second)], "token")
    assert client.retrying(lambda: client.call("done", {"id": "1.x"}), what="done") == "a"
    assert first.methods == ["done"] * 3 and second.methods == []


def test_concurrent_calls_switch_once(stubs, caplog):
    """Calls of several threads failing on the same server switch once, to the same next server."""
    second = Stub("b")
    client = RpcClient([dead_url(), serve(stubs, second), dead_url()], "token")
    answers: list[str] = []
    with caplog.at_level(logging.WARNING, "circle.rpc.servers"):
        threads = [threading.Thread(target=lambda: answers.append(client.call("log", {}))) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert answers == ["b"] * 8 and len(second.methods) == 8
    assert len(switches(caplog)) == 1


def test_all_servers_down_is_said_once_and_work_resumes_when_one_returns(stubs, caplog):
    """With every server down each call tries each once; the outage is said once, its end once, nothing else."""
    ports = [free_port(), free_port()]
    client = RpcClient([f"http://127.0.0.1:{port}" for port in ports], "token")
    attempts: list[int] = []

    def call() -> Any:
        attempts.append(1)
        if len(attempts) == 4:
            serve(stubs, Stub("b", port=ports[1]))
        return client.call("next", {})

    with caplog.at_level(logging.INFO, "circle.rpc.servers"):
        with pytest.raises(ServerUnavailable):
            client.call("next", {})
        assert client.retrying(call, what="next") == "b"
    down, resumed = [r.getMessage() for r in caplog.records]
    assert down.startswith(f"no server answers (http://127.0.0.1:{ports[0]}, http://127.0.0.1:{ports[1]}; last: ")
    assert down.endswith("Connection refused); retrying with backoff until one does")
    assert resumed == f"server http://127.0.0.1:{ports[1]} answers again; resuming"


def test_one_server_down_is_said_once(caplog):
    """A lone server that does not answer: one sentence however often the call is retried, no switch."""
    client = RpcClient(dead_url(), "token")
    with caplog.at_level(logging.DEBUG, "circle.rpc"):
        with pytest.raises(ServerUnavailable, match="Connection refused"):
            client.retrying(lambda: client.call("next", {}), what="next", give_up_after=1.0)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("no server answers")
    assert switches(caplog) == []


def test_the_real_endpoint_s_json_rpc_error_stays_on_its_server(app, stubs):
    """-32001 from the real /rpc is raised; the second server is never asked."""
    second = Stub("b")
    real = stubs.enter_context(serving(make_server("127.0.0.1", 0, app, threaded=True)))
    client = RpcClient([real, serve(stubs, second)], SECRET)
    client.register(RegisterParams(name="agent-a", backend="dummy"))
    with pytest.raises(RpcError) as raised:
        client.extend("999.nosuchlease")
    assert raised.value.code == NOT_LEASED and second.methods == []


def test_a_task_leased_through_one_server_finishes_through_the_other(app, make_build, tmp_path):
    """Register and lease through server A; with A gone the same token and lease finish the build through B."""
    app.extensions["circle"].queue.lease_seconds = 30
    build = make_build()
    with serving(make_server("127.0.0.1", 0, app, threaded=True)) as other:
        with serving(make_server("127.0.0.1", 0, app, threaded=True)) as first:
            client = RpcClient([first, other], SECRET)
            client.register(RegisterParams(name="agent-a", backend="dummy"))
            task = client.next(NextParams())
        assert task is not None
        options = AgentOptions(servers=[first, other], secret=SECRET, backend="dummy", workdir=str(tmp_path))
        TaskRun(client, task, options).run()
        assert client.servers.current == other
    db.session.rollback()
    db.session.expire_all()
    assert build_store.get(build.id).status == "success"
