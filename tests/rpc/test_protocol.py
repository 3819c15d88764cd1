"""The protocol's dataclasses: wire round trips, and one clear invalid-params error naming the bad field."""
from __future__ import annotations

from typing import Any

import pytest

from circle.pipeline.types import StepState
from circle.rpc import protocol
from circle.rpc.protocol import (
    INVALID_PARAMS,
    Assignment,
    DoneState,
    InitState,
    LogLine,
    RegisterParams,
    Registration,
    RpcError,
    StepReport,
    UploadFile,
    WaitResult,
)

VALUES = [RegisterParams(name="a", capacity=2, labels={"gpu": "yes"}), Registration(agent_id=3, token="t"),
          Assignment(id="4.abc", config={"stages": []}, timeout=5, lease=7.5), WaitResult(canceled=True),
          InitState(started=9), StepReport(proc="build", exited=True, exit_code=2, killed=True, attempts=2),
          LogLine(proc="build", pos=1, time=2, out="hi"), UploadFile(name="f", data=b"\x00\xff", proc="build"),
          DoneState(finished=3, exit_code=1, error="boom")]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_to_json_and_back(value: Any):
    """from_json(to_json(x)) == x for every payload."""
    assert type(value).from_json(value.to_json()) == value


@pytest.mark.parametrize("cls, data, message", [
    (StepReport, {"proc": "build", "exit_code": "1"}, "state.exit_code must be an integer"),
    (StepReport, {"exited": True}, "state.proc is required"),
    (StepReport, {"proc": "build", "attempts": -1}, "state.attempts must be an integer from 0 to 2147483647"),
    (StepReport, {"proc": "build", "exited": 1}, "state.exited must be a boolean"),
    (StepReport, [], "state must be an object"),
    (DoneState, {"exit_code": True}, "state.exit_code must be an integer"),
    (InitState, {"started": "now"}, "state.started must be an integer"),
    (UploadFile, {"name": "f", "data": "not base64!"}, "file.data must be base64"),
    (UploadFile, {"data": ""}, "file.name is required"),
    (RegisterParams, {"name": " "}, "name must be a non-empty string"),
    (RegisterParams, {"name": "a", "labels": []}, "labels must be an object"),
])
def test_bad_fields_are_invalid_params(cls: Any, data: Any, message: str):
    """A wrong type or a missing field raises RpcError(-32602) with a sentence naming the field."""
    with pytest.raises(RpcError) as caught:
        cls.from_json(data)
    assert (caught.value.code, str(caught.value)) == (INVALID_PARAMS, message)


def test_log_lines_are_named_by_position():
    """A bad line in a batch is named by its index."""
    with pytest.raises(RpcError, match=r"lines\[1\]\.pos must be an integer"):
        LogLine.batch_from_json([{"proc": "a", "pos": 0}, {"proc": "a", "pos": "1"}])


def test_decode_params_types_each_method():
    """decode_params turns a call's params into the Peer method's typed arguments."""
    assert protocol.decode_params("update", {"id": "1.x", "state": {"proc": "a"}}) == ("1.x", StepReport(proc="a"))
    assert protocol.decode_params("extend", {"id": "1.x"}) == ("1.x",)
    with pytest.raises(RpcError, match="id must be a string"):
        protocol.decode_params("wait", {"id": 1})


def test_a_step_report_carries_the_runtime_state():
    """StepReport.of copies what the runtime reported about a step."""
    state = StepState(proc="build", started=1, finished=2, exited=True, exit_code=3, error="e", killed=True)
    assert StepReport.of(state) == StepReport(proc="build", started=1, finished=2, exited=True, exit_code=3,
                                              error="e", killed=True)
