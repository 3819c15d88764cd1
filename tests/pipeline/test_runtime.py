"""The runtime suite: every test runs on the dummy, local and docker backends."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from circle.pipeline.runtime import Runtime
from circle.pipeline.types import MASK, Secret, Step

# Tests that need a shell run on the backends that have one (the dummy backend runs no commands).
shell_backends = pytest.mark.parametrize(
    "backend_name", ["local", pytest.param("docker", marks=pytest.mark.docker)], indirect=True)


def test_one_step_streams_numbered_lines_and_states(run, ir):
    result, rec, _ = run(ir.pipeline([ir.step("hello", out="hello world")]))
    assert result.state == "success" and result.exit_code == 0
    assert "hello world" in rec.out("hello")
    assert [line.pos for line in rec.lines["hello"]] == list(range(len(rec.lines["hello"])))
    assert all(isinstance(line.time, int) and line.time >= 0 for line in rec.lines["hello"])
    started, finished = rec.states["hello"]
    assert started.started > 0 and not started.exited
    assert finished.exited and finished.exit_code == 0 and finished.finished >= finished.started
    assert result.steps["hello"] == finished


def test_failure_skips_on_success_steps_and_runs_on_failure_steps(run, ir):
    config = ir.pipeline(
        [ir.step("broken", out="breaking", code=3)],
        [ir.step("build", out="never"),
         ir.step("notify", out="status=$CI_BUILD_STATUS drone=$DRONE_BUILD_STATUS wp=$CI_PIPELINE_STATUS",
                 on_success=False, on_failure=True),
         ir.step("always", out="always ran", on_failure=True)],
    )
    result, rec, _ = run(config)
    assert (result.state, result.exit_code) == ("failure", 3)
    assert rec.final("broken").exit_code == 3
    assert rec.states["build"] == [rec.final("build")] and rec.final("build").skipped and rec.final("build").exited
    assert "never" not in rec.out("build")
    assert "status=failure drone=failure wp=failure" in rec.out("notify")
    assert "always ran" in rec.out("always")


def test_status_is_success_until_a_step_fails(run, ir):
    config = ir.pipeline([ir.step("first", out="status=$CI_BUILD_STATUS")],
                         [ir.step("failure-only", out="no", on_success=False, on_failure=True)])
    result, rec, _ = run(config)
    assert result.state == "success"
    assert "status=success" in rec.out("first")
    assert rec.final("failure-only").skipped


def test_ignored_failure_does_not_fail_the_pipeline(run, ir):
    config = ir.pipeline([ir.step("flaky", code=4, failure="ignore")],
                         [ir.step("next", out="status=$CI_BUILD_STATUS")])
    result, rec, _ = run(config)
    assert result.state == "success"
    assert rec.final("flaky").exit_code == 4
    assert "status=success" in rec.out("next")


@shell_backends
def test_steps_of_a_stage_run_in_parallel(run, ir):
    wait_for_b = ("i=0; while [ ! -f b.ready ]; do i=$((i+1)); [ $i -lt 600 ] || exit 9; sleep 0.05; done; "
                  "echo saw b")
    config = ir.pipeline([ir.step("a", commands=[wait_for_b]),
                          ir.step("b", commands=["touch b.ready", "echo b ready"])])
    result, rec, _ = run(config)
    assert result.state == "success", rec.all_text()
    assert "saw b" in rec.out("a")


@shell_backends
def test_workspace_files_pass_from_step_to_step(run, ir):
    config = ir.pipeline([ir.step("write", commands=["echo shared-content > artefact.txt"])],
                         [ir.step("read", commands=["cat artefact.txt", "pwd"])])
    result, rec, _ = run(config)
    assert result.state == "success", rec.all_text()
    assert "shared-content" in rec.out("read")


def _run_in_thread(runtime: Runtime) -> tuple[threading.Thread, list]:
    results: list = []
    thread = threading.Thread(target=lambda: results.append(runtime.run()), daemon=True)
    thread.start()
    return thread, results


def test_cancel_kills_running_steps_and_skips_the_rest(make_backend, ir):
    rec = ir.Recorder()
    ready = rec.waiter("ready")
    config = ir.pipeline([ir.step("long", out="ready", sleep=60)], [ir.step("later", out="never")])
    backend = make_backend()
    runtime = Runtime(config, backend, rec)
    thread, results = _run_in_thread(runtime)
    assert ready.wait(60)
    runtime.cancel()
    thread.join(30)
    assert not thread.is_alive()
    result = results[0]
    assert (result.state, result.exit_code) == ("killed", 137)
    long = rec.final("long")
    assert long.killed and long.exit_code == 137 and long.exited
    assert rec.final("later").skipped
    ir.assert_clean(backend)


def test_timeout_kills_the_pipeline(run, ir):
    config = ir.pipeline([ir.step("slow", out="started", sleep=60)], [ir.step("after", out="never")])
    result, rec, _ = run(config, timeout=1.5)
    assert (result.state, result.exit_code) == ("killed", 137)
    assert "timed out" in result.error
    assert rec.final("slow").killed and rec.final("after").skipped


def test_detached_steps_run_until_the_pipeline_ends(run, ir):
    config = ir.pipeline([ir.step("service", out="serving", sleep=60, detach=True)],
                         [ir.step("client", out="client done")])
    result, rec, _ = run(config)
    assert result.state == "success", rec.all_text()
    assert "client done" in rec.out("client")
    service = rec.final("service")
    assert service.exited and service.exit_code == 0 and not service.killed
    events = [(kind, name) for kind, name, _ in rec.events if kind == "state"]
    assert events.index(("state", "client")) < len(events) - 1  # the service ended after the client


def test_masking_covers_plain_embedded_and_multiline_secrets(run, ir):
    secrets = [Secret("token", "s3cr3t-T0KEN"), Secret("key", "first-key-line\nsecond-key-line\n"),
               Secret("shown", "not-a-secret", mask=False)]
    out = ("s3cr3t-T0KEN\\nprefix-s3cr3t-T0KEN-suffix\\nfirst-key-line\\nsecond-key-line\\nnot-a-secret")
    step = ir.step("leak", commands=[f"printf '{out}\\n'"],
                   environment={"DUMMY_OUTPUT": out.replace("\\n", "\n")})
    result, rec, _ = run(ir.pipeline([step], secrets=secrets))
    assert result.state == "success", rec.all_text()
    text = rec.all_text()
    for value in ("s3cr3t-T0KEN", "first-key-line", "second-key-line"):
        assert value not in text
    lines = rec.out("leak")
    assert MASK in lines and f"prefix-{MASK}-suffix" in lines and "not-a-secret" in lines
    assert lines.count(MASK) >= 3


def test_the_steps_upload_url_is_masked_like_a_secret(run, ir):
    url = "http://ci.example/api/upload/3.2.0123abcd"
    step = ir.step("dump", commands=["echo \"url=$CIRCLE_UPLOAD_URL\""],
                   environment={"CIRCLE_UPLOAD_URL": url, "DUMMY_OUTPUT": f"url={url}"})
    result, rec, _ = run(ir.pipeline([step]))
    assert result.state == "success", rec.all_text()
    assert url not in rec.all_text() and f"url={MASK}" in rec.out("dump")


def test_the_upload_token_alone_is_masked_too(run, ir):
    token = "3.2.0123abcdef0123abcdef"
    step = ir.step("dump", commands=['echo "token=${CIRCLE_UPLOAD_URL##*/}"'],
                   environment={"CIRCLE_UPLOAD_URL": f"http://ci.example/api/upload/{token}",
                                "DUMMY_OUTPUT": f"token={token}"})
    result, rec, _ = run(ir.pipeline([step]))
    assert result.state == "success", rec.all_text()
    assert token not in rec.all_text() and f"token={MASK}" in rec.out("dump")


def test_output_over_the_limit_ends_with_a_visible_marker(run, ir):
    result, rec, _ = run(ir.pipeline([ir.step("chatty", count=3000)]), max_output=2000)
    assert result.state == "success"
    lines = rec.out("chatty")
    assert lines[-1] == "[output truncated]"
    assert sum(len(line) + 1 for line in lines[:-1]) <= 2000
    assert "3000" not in lines


def test_a_step_that_cannot_start_ends_in_error_and_teardown_runs(run, ir, backend_name):
    if backend_name == "dummy":
        bad = ir.step("bad", environment={"DUMMY_START_ERROR": "image frobnicate not found"})
    elif backend_name == "local":
        bad = Step(name="bad", commands=[], entrypoint=["/nonexistent/circle-tool"], working_dir="/circle/src")
    else:
        bad = ir.step("bad", out="never", image="127.0.0.1:1/circle-test/missing:latest")
    result, rec, _ = run(ir.pipeline([bad], [ir.step("after", out="never")]))
    state = rec.final("bad")
    assert state.exited and state.error and state.exit_code in (126, 127)
    assert any(state.error in line for line in rec.out("bad"))
    assert (result.state, result.error) == ("error", state.error)
    assert rec.final("after").skipped


def test_a_pipeline_that_cannot_be_set_up_ends_in_error(run, ir, backend_name, make_backend, tmp_path: Path):
    if backend_name == "dummy":
        backend = make_backend(setup_error="cannot create the workspace")
    elif backend_name == "local":
        blocker = tmp_path / "a-file"
        blocker.write_text("")
        backend = make_backend(root=str(blocker / "pipelines"))
    else:
        backend = make_backend(base_url="unix:///nonexistent/docker.sock")
    result, rec, _ = run(ir.pipeline([ir.step("first", out="x")], [ir.step("second", out="y")]), backend=backend)
    assert result.state == "error" and result.error
    assert rec.final("first").error == result.error
    assert result.error in rec.out("first")
    assert rec.final("second").skipped


def test_a_command_not_found_ends_the_step_in_error_with_the_shells_sentence(run, ir):
    step = ir.step("typo", commands=["nosuchcommand-xyz --flag"],
                   environment={"DUMMY_OUTPUT": "sh: nosuchcommand-xyz: not found", "DUMMY_EXIT_CODE": "127"})
    result, rec, _ = run(ir.pipeline([step]))
    state = rec.final("typo")
    assert state.exit_code == 127 and "nosuchcommand-xyz" in state.error and "not found" in state.error
    assert state.error in rec.out("typo")
    assert (result.state, result.exit_code, result.error) == ("error", 127, state.error)
