"""Hostile input to POST /rpc: every wrong type, range, id, nesting and batch answers its JSON-RPC 2.0 code."""
from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy.exc import DataError

from circle.limits import INT_MAX, INT_MIN, MAX_DEPTH
from circle.rpc.jsonrpc import INVALID_PARAMS, INVALID_REQUEST, MAX_BATCH, METHOD_NOT_FOUND, PARSE_ERROR
from circle.rpc.protocol import ERROR_MAX, FILE_NAME_MAX, NOT_LEASED
from circle.rpc.wire import MAX_LABELS, NAME_MAX
from circle.store import agents as agent_store
from circle.store import builds as build_store
from circle.store import logs as log_store
from circle.store import tasks as task_store

TASK = "<task>"  # replaced by the id of a task leased to the caller
HUGE = 10**30
STEP = {"proc": "build"}

# (method, params, code, words the message must contain: the field it names)
PARAMS: list[tuple[str, dict[str, Any], int, str]] = [
    ("register", {}, INVALID_PARAMS, "missing name"),
    ("register", {"name": "a", "extra": 1}, INVALID_PARAMS, "unknown extra"),
    ("register", {"name": 5}, INVALID_PARAMS, "name must be a string"),
    ("register", {"name": ["a"]}, INVALID_PARAMS, "name must be a string"),
    ("register", {"name": ""}, INVALID_PARAMS, "name must be a non-empty string"),
    ("register", {"name": "a" * (NAME_MAX + 1)}, INVALID_PARAMS, "name must be at most"),
    ("register", {"name": "a", "capacity": "2"}, INVALID_PARAMS, "capacity must be an integer"),
    ("register", {"name": "a", "capacity": 2.5}, INVALID_PARAMS, "capacity must be an integer"),
    ("register", {"name": "a", "capacity": True}, INVALID_PARAMS, "capacity must be an integer"),
    ("register", {"name": "a", "capacity": -1}, INVALID_PARAMS, "capacity must be an integer from 0"),
    ("register", {"name": "a", "capacity": INT_MAX + 1}, INVALID_PARAMS, "capacity must be an integer from 0"),
    ("register", {"name": "a", "capacity": HUGE}, INVALID_PARAMS, "capacity must be an integer from 0"),
    ("register", {"name": "a", "platform": "p" * 65}, INVALID_PARAMS, "platform must be at most 64"),
    ("register", {"name": "a", "backend": {}}, INVALID_PARAMS, "backend must be a string"),
    ("register", {"name": "a", "version": 3}, INVALID_PARAMS, "version must be a string"),
    ("register", {"name": "a", "labels": []}, INVALID_PARAMS, "labels must be an object"),
    ("register", {"name": "a", "labels": {"gpu": 1}}, INVALID_PARAMS, "labels must map"),
    ("register", {"name": "a", "labels": {"k": {"nested": "x"}}}, INVALID_PARAMS, "labels must map"),
    ("register", {"name": "a", "labels": {f"k{i}": "v" for i in range(MAX_LABELS + 1)}}, INVALID_PARAMS,
     "labels must map"),
    ("next", {"labels": "gpu"}, INVALID_PARAMS, "labels must be an object"),
    ("next", {"labels": {"gpu": None}}, INVALID_PARAMS, "labels must map"),
    ("next", {"labels": {}, "wait": 5}, INVALID_PARAMS, "unknown wait"),
    ("wait", {}, INVALID_PARAMS, "missing id"),
    ("wait", {"id": 5}, INVALID_PARAMS, "id must be a string"),
    ("extend", {"id": None}, INVALID_PARAMS, "id is required"),
    ("extend", {"id": {"row": 1}}, INVALID_PARAMS, "id must be a string"),
    ("extend", {"id": "abc"}, NOT_LEASED, "is not leased by this agent"),
    ("extend", {"id": "1"}, NOT_LEASED, "is not leased by this agent"),
    ("extend", {"id": f"{HUGE}.lease"}, NOT_LEASED, "is not leased by this agent"),
    ("extend", {"id": f"{INT_MAX + 1}.lease"}, NOT_LEASED, "is not leased by this agent"),
    ("extend", {"id": "-1.lease"}, NOT_LEASED, "is not leased by this agent"),
    ("extend", {"id": "\u0661.lease"}, NOT_LEASED, "is not leased by this agent"),
    ("extend", {"id": f"{INT_MAX}.lease"}, NOT_LEASED, "is not leased by this agent"),
    ("extend", {"id": "x" * (NAME_MAX + 1)}, INVALID_PARAMS, "id must be at most"),
    ("init", {"id": TASK}, INVALID_PARAMS, "missing state"),
    ("init", {"id": TASK, "state": "started"}, INVALID_PARAMS, "state must be an object"),
    ("init", {"id": TASK, "state": {"started": "now"}}, INVALID_PARAMS, "state.started must be an integer"),
    ("init", {"id": TASK, "state": {"started": 1.5}}, INVALID_PARAMS, "state.started must be an integer"),
    ("init", {"id": TASK, "state": {"started": -1}}, INVALID_PARAMS, "state.started must be an integer from 0"),
    ("init", {"id": TASK, "state": {"started": INT_MAX + 1}}, INVALID_PARAMS, "state.started must be an integer"),
    ("init", {"id": TASK, "state": {"started": HUGE}}, INVALID_PARAMS, "state.started must be an integer"),
    ("update", {"id": TASK, "state": {"proc": 5}}, INVALID_PARAMS, "state.proc must be a string"),
    ("update", {"id": TASK, "state": {"proc": ""}}, INVALID_PARAMS, "state.proc must name a step"),
    ("update", {"id": TASK, "state": {"proc": "p" * (NAME_MAX + 1)}}, INVALID_PARAMS, "state.proc must be at most"),
    ("update", {"id": TASK, "state": {**STEP, "exited": 1}}, INVALID_PARAMS, "state.exited must be a boolean"),
    ("update", {"id": TASK, "state": {**STEP, "exit_code": 2**63}}, INVALID_PARAMS, "state.exit_code must be"),
    ("update", {"id": TASK, "state": {**STEP, "exit_code": INT_MIN - 1}}, INVALID_PARAMS, "state.exit_code must"),
    ("update", {"id": TASK, "state": {**STEP, "exit_code": "1"}}, INVALID_PARAMS, "state.exit_code must be"),
    ("update", {"id": TASK, "state": {**STEP, "started": HUGE}}, INVALID_PARAMS, "state.started must be"),
    ("update", {"id": TASK, "state": {**STEP, "finished": -5}}, INVALID_PARAMS, "state.finished must be"),
    ("update", {"id": TASK, "state": {**STEP, "error": 5}}, INVALID_PARAMS, "state.error must be a string"),
    ("update", {"id": TASK, "state": {**STEP, "error": "e" * (ERROR_MAX + 1)}}, INVALID_PARAMS,
     "state.error must be at most"),
    ("update", {"id": TASK, "state": {**STEP, "killed": "yes"}}, INVALID_PARAMS, "state.killed must be a boolean"),
    ("log", {"id": TASK, "lines": {}}, INVALID_PARAMS, "lines must be a list"),
    ("log", {"id": TASK, "lines": [1]}, INVALID_PARAMS, "lines[0] must be an object"),
    ("log", {"id": TASK, "lines": [{**STEP, "pos": "0"}]}, INVALID_PARAMS, "lines[0].pos must be an integer"),
    ("log", {"id": TASK, "lines": [{**STEP, "pos": 1.0}]}, INVALID_PARAMS, "lines[0].pos must be an integer"),
    ("log", {"id": TASK, "lines": [{**STEP, "pos": -1}]}, INVALID_PARAMS, "lines[0].pos must be an integer from 0"),
    ("log", {"id": TASK, "lines": [{**STEP, "pos": 0}, {**STEP, "pos": INT_MAX + 1}]}, INVALID_PARAMS,
     "lines[1].pos must be an integer from 0"),
    ("log", {"id": TASK, "lines": [{**STEP, "pos": 0, "time": 1.5}]}, INVALID_PARAMS, "lines[0].time must be"),
    ("log", {"id": TASK, "lines": [{**STEP, "pos": 0, "time": HUGE}]}, INVALID_PARAMS, "lines[0].time must be"),
    ("log", {"id": TASK, "lines": [{"proc": None, "pos": 0}]}, INVALID_PARAMS, "lines[0].proc is required"),
    ("log", {"id": TASK, "lines": [{**STEP, "pos": 0, "out": 5}]}, INVALID_PARAMS, "lines[0].out must be a string"),
    ("upload", {"id": TASK, "file": "x"}, INVALID_PARAMS, "file must be an object"),
    ("upload", {"id": TASK, "file": {"name": "f" * (FILE_NAME_MAX + 1)}}, INVALID_PARAMS, "file.name must be"),
    ("upload", {"id": TASK, "file": {"name": "f", "data": 5}}, INVALID_PARAMS, "file.data must be a string"),
    ("upload", {"id": TASK, "file": {"name": "f", "mime": 5}}, INVALID_PARAMS, "file.mime must be a string"),
    ("upload", {"id": TASK, "file": {"name": "f", "mime": "m" * (NAME_MAX + 1)}}, INVALID_PARAMS, "file.mime must"),
    ("upload", {"id": TASK, "file": {"name": "f", "meta": []}}, INVALID_PARAMS, "file.meta must be an object"),
    ("done", {"id": TASK, "state": {"finished": HUGE}}, INVALID_PARAMS, "state.finished must be an integer"),
    ("done", {"id": TASK, "state": {"exit_code": "0"}}, INVALID_PARAMS, "state.exit_code must be an integer"),
    ("done", {"id": TASK, "state": {"exit_code": 2**64}}, INVALID_PARAMS, "state.exit_code must be an integer"),
    ("done", {"id": TASK, "state": {"error": ["x"]}}, INVALID_PARAMS, "state.error must be a string"),
    ("done", {"id": TASK, "state": {}, "extra": True}, INVALID_PARAMS, "unknown extra"),
    ("next", {"poll": 0.5}, INVALID_PARAMS, "poll must be from 1 to 300 seconds"),
    ("next", {"poll": 301}, INVALID_PARAMS, "poll must be from 1 to 300 seconds"),
    ("next", {"poll": "55"}, INVALID_PARAMS, "poll must be a number"),
    ("nosuch", {}, METHOD_NOT_FOUND, "method not found"),
    ("_touch", {}, METHOD_NOT_FOUND, "method not found"),
]


@pytest.fixture
def task(make_build, rpc) -> str:
    """The id of a task leased to the caller."""
    make_build()
    return rpc.ok("next", labels={})["id"]


def _body(response) -> Any:
    """Return a JSON-RPC answer after checking it is one: HTTP 200 with a JSON body."""
    assert response.status_code == 200, response.data[:300]
    return response.get_json()


@pytest.mark.parametrize("method, params, code, words", PARAMS,
                         ids=[f"{m}-{i}" for i, (m, *_) in enumerate(PARAMS)])
def test_bad_params_answer_their_code_naming_the_field(app, rpc, task, method, params, code, words):
    """Wrong types, out-of-range integers, missing and extra fields: the spec's code, one sentence naming the field."""
    params = {k: task if v == TASK else v for k, v in params.items()}
    answer = rpc(method, **params)
    assert answer["id"] == rpc.ids and answer["error"]["code"] == code, answer
    assert words in answer["error"]["message"], answer


def test_the_edges_of_the_stored_range_are_stored(app, rpc, task):
    """The largest (and smallest) integers the params allow reach the database on every kind without error."""
    rpc.ok("init", id=task, state={"started": INT_MAX})
    rpc.ok("update", id=task, state={"proc": "build", "started": INT_MAX, "finished": INT_MAX, "exited": True,
                                     "exit_code": INT_MIN})
    assert rpc.ok("log", id=task, lines=[{"proc": "build", "pos": INT_MAX, "time": INT_MAX, "out": "x"}]) == 1
    row = task_store.get(int(task.partition(".")[0]))
    step = build_store.get_step(row.build_id, build_store.get_proc(row.proc_id).pid, "build")
    assert (step.exit_code, step.finished) == (INT_MIN, INT_MAX)
    assert [line[0] for line in log_store.list_page(step.id, limit=10)] == [INT_MAX]
    rpc.ok("done", id=task, state={"finished": INT_MAX, "exit_code": INT_MAX})
    assert "agent_id" in rpc.ok("register", name="edge", capacity=INT_MAX)


@pytest.mark.parametrize("request_id", ["a", "", 0, -7, 2.5, HUGE, None])
def test_valid_ids_are_echoed(app, rpc, request_id):
    """A string, any number (negative, fractional, huge) or null is a valid id and comes back unchanged."""
    answer = _body(rpc.raw({"jsonrpc": "2.0", "method": "nosuch", "id": request_id}))
    assert answer["id"] == request_id and answer["error"]["code"] == METHOD_NOT_FOUND


@pytest.mark.parametrize("request_id", [{"x": 1}, [1], True, False])
def test_an_object_array_or_boolean_id_is_invalid_and_never_echoed(app, rpc, request_id):
    """The id must be a string, number or null: anything else is -32600 answered with id null."""
    answer = _body(rpc.raw({"jsonrpc": "2.0", "method": "register", "params": {"name": "x"}, "id": request_id}))
    assert answer == {"jsonrpc": "2.0", "id": None, "error": {
        "code": INVALID_REQUEST, "message": "invalid request: id must be a string, a number or null"}}


@pytest.mark.parametrize("body", [
    {"jsonrpc": "1.0", "method": "next", "id": 1}, {"jsonrpc": "2.0", "method": None, "id": 1},
    {"jsonrpc": "2.0", "method": "register", "params": None, "id": 1},
    {"jsonrpc": "2.0", "method": "register", "params": "name", "id": 1}, False, 3, "register"])
def test_malformed_request_objects_are_invalid_requests(app, rpc, body):
    """A request that is not an object with jsonrpc "2.0", a method name and object params is -32600."""
    assert _body(rpc.raw(body))["error"]["code"] == INVALID_REQUEST


@pytest.mark.parametrize("data", [b"{", b"", b"\xff\xfe\x00", b'{"jsonrpc": "2.0", "method": "next", "id": NaN}',
                                  b'{"jsonrpc": "2.0", "method": "next", "id": 1e999}',
                                  b'{"jsonrpc": "2.0", "method": "next", "id": ' + b"9" * 5000 + b"}"])
def test_bodies_that_are_not_strict_json_are_parse_errors(app, rpc, data):
    """Malformed JSON, bad encodings, NaN, infinite floats and integers of thousands of digits answer -32700."""
    answer = _body(rpc.raw(None, data=data))
    assert answer["error"]["code"] == PARSE_ERROR and answer["id"] is None


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 1000, 50_000])
def test_deep_nesting_is_an_invalid_request(app, rpc, levels):
    """Params nested past MAX_DEPTH levels (also far past Python's recursion limit) are -32600, never HTTP 500."""
    deep = '{"a": ' * levels + "1" + "}" * levels
    data = f'{{"jsonrpc": "2.0", "method": "register", "params": {{"name": "x", "labels": {deep}}}, "id": 1}}'
    answer = _body(rpc.raw(None, data=data.encode()))
    assert answer["error"] == {"code": INVALID_REQUEST,
                               "message": f"invalid request: the JSON nests deeper than {MAX_DEPTH} levels"}


def test_nesting_within_the_limit_reaches_the_params_check(app, rpc):
    """A document nested just within MAX_DEPTH is parsed; the wrong label type is then -32602."""
    deep: Any = 1
    for _ in range(MAX_DEPTH - 3):
        deep = {"a": deep}
    answer = rpc("register", name="x", labels={"k": deep})
    assert answer["error"]["code"] == INVALID_PARAMS and "labels must map" in answer["error"]["message"]


def test_an_oversized_body_is_413(app, rpc):
    """A body over the documented MAX_CONTENT_LENGTH is refused with HTTP 413 and the error JSON, not parsed."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = rpc.raw(None, data=b" " * (limit + 1))
    assert response.status_code == 413 and response.get_json()["error"] == "Request Entity Too Large"


def test_a_batch_over_the_limit_is_refused_as_a_whole(app, rpc):
    """More than MAX_BATCH calls answer one -32600 with id null; none of them runs."""
    calls = [{"jsonrpc": "2.0", "method": "register", "params": {"name": f"a{i}"}, "id": i}
             for i in range(MAX_BATCH + 1)]
    answer = _body(rpc.raw(calls))
    assert answer["error"]["code"] == INVALID_REQUEST and answer["id"] is None
    assert str(MAX_BATCH) in answer["error"]["message"]
    full = _body(rpc.raw(calls[:MAX_BATCH]))
    assert [a["id"] for a in full] == list(range(MAX_BATCH)) and all("result" in a for a in full)


def test_long_polls_in_a_batch_are_refused_and_the_rest_answered_at_once(app, rpc, task):
    """next and wait inside a batch get an error each (without blocking); the other calls run."""
    started = time.monotonic()
    answers = _body(rpc.raw([
        {"jsonrpc": "2.0", "method": "next", "params": {"labels": {}}, "id": 1},
        {"jsonrpc": "2.0", "method": "extend", "params": {"id": task}, "id": 2},
        {"jsonrpc": "2.0", "method": "wait", "params": {"id": task}, "id": 3},
        {"jsonrpc": "2.0", "method": "update", "params": {"id": task, "state": {"proc": 1}}, "id": 4},
    ]))
    assert time.monotonic() - started < 10
    assert [a["id"] for a in answers] == [1, 2, 3, 4]
    for answer, method in ((answers[0], "next"), (answers[2], "wait")):
        assert answer["error"] == {"code": INVALID_REQUEST, "message": f"invalid request: {method} long-polls, "
                                   "so it cannot be part of a batch; send it alone"}
    assert answers[1] == {"jsonrpc": "2.0", "result": None, "id": 2}
    assert answers[3]["error"]["code"] == INVALID_PARAMS



def test_a_value_the_database_refuses_is_invalid_params_not_a_retry(app, rpc, monkeypatch):
    """A DataError behind the checks is -32602 (the agent must not retry it as an outage), not -32603."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise DataError("UPDATE agents", {}, ValueError("integer out of range"))
    monkeypatch.setattr(agent_store, "update", refuse)
    answer = rpc("register", name="again")
    assert answer["error"] == {"code": INVALID_PARAMS, "message": "invalid params: a value does not fit the "
                                                                  "database (too long or out of range)"}
