"""POST /rpc conforms to JSON-RPC 2.0: error codes, notifications, batches, and agent authentication."""
from __future__ import annotations

from circle.rpc.jsonrpc import INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR
from circle.rpc.protocol import NOT_REGISTERED
from circle.store import agents


def test_without_the_agent_secret_is_401(app, rpc):
    """No token or a wrong one: HTTP 401, nothing registered."""
    before = agents.count()
    assert rpc.client.post("/rpc", json={"jsonrpc": "2.0", "method": "register", "params": {"name": "x"},
                                         "id": 1}).status_code == 401
    assert rpc.raw({"jsonrpc": "2.0", "method": "register", "params": {"name": "x"}, "id": 1},
                   token="wrong").status_code == 401
    assert agents.count() == before


def test_not_json_is_a_parse_error(app, rpc):
    """A body that is not JSON answers -32700 with a null id."""
    answer = rpc.raw(None, data=b"{not json").get_json()
    assert answer == {"jsonrpc": "2.0", "error": {"code": PARSE_ERROR, "message": answer["error"]["message"]},
                      "id": None}


def test_invalid_requests(app, rpc):
    """Missing jsonrpc/method, a bad id or an empty batch answer -32600."""
    for body in ({"method": "next", "id": 1}, {"jsonrpc": "2.0", "id": 1}, {"jsonrpc": "2.0", "method": 5, "id": 1},
                 {"jsonrpc": "2.0", "method": "next", "id": {"x": 1}}, [], 42, "text"):
        answer = rpc.raw(body).get_json()
        assert answer["error"]["code"] == INVALID_REQUEST, body


def test_unknown_method_and_bad_params(app, rpc):
    """An unknown method answers -32601; missing, unknown or positional params -32602."""
    assert rpc("nosuch")["error"]["code"] == METHOD_NOT_FOUND
    assert rpc("wait")["error"]["code"] == INVALID_PARAMS
    assert rpc("next", labels={}, bogus=1)["error"]["code"] == INVALID_PARAMS
    positional = rpc.raw({"jsonrpc": "2.0", "method": "next", "params": [{}], "id": 9}).get_json()
    assert positional["error"]["code"] == INVALID_PARAMS and positional["id"] == 9
    assert rpc("update", id="abc", state={})["error"]["code"] == INVALID_PARAMS


def test_notifications_get_no_answer(app, rpc):
    """A notification is executed but answered with nothing (204); a batch of them too."""
    response = rpc.raw({"jsonrpc": "2.0", "method": "extend", "params": {"id": "1"}})
    assert response.status_code == 204 and response.data == b""
    batch = rpc.raw([{"jsonrpc": "2.0", "method": "nosuch"}, {"jsonrpc": "2.0", "method": "register",
                                                              "params": {"name": "n"}}])
    assert batch.status_code == 204


def test_batch_answers_each_call_in_order(app, rpc):
    """A batch mixing good calls, errors and notifications answers the calls with ids, in order."""
    answers = rpc.raw([
        {"jsonrpc": "2.0", "method": "register", "params": {"name": "again"}, "id": "a"},
        {"jsonrpc": "2.0", "method": "nosuch", "id": "b"},
        {"jsonrpc": "2.0", "method": "register", "params": {"name": "note"}},
        {"foo": "bar"},
    ]).get_json()
    assert [a.get("id") for a in answers] == ["a", "b", None]
    assert "result" in answers[0] and answers[1]["error"]["code"] == METHOD_NOT_FOUND
    assert answers[2]["error"]["code"] == INVALID_REQUEST


def test_unregistered_caller_must_register_first(app, rpc):
    """With the shared secret but no agent id, only register works."""
    anonymous = type(rpc)(rpc.client)
    assert anonymous("next", labels={})["error"]["code"] == NOT_REGISTERED
    assert "agent_id" in anonymous.ok("register", name="fresh")
