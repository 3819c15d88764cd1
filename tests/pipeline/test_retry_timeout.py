"""Step `retry` and `timeout` in the runtime: attempts share the workspace and one log; a timeout kills one step."""
from __future__ import annotations

import threading
import time

import pytest

from circle.pipeline.runtime import Runtime

shell_backends = pytest.mark.parametrize(
    "backend_name", ["local", pytest.param("docker", marks=pytest.mark.docker)], indirect=True)

# Counts its attempts in a workspace file and succeeds on the third.
THIRD_TIME_LUCKY = ['n=$(cat attempts.txt 2>/dev/null || echo 0)', "n=$((n + 1))", "echo $n > attempts.txt",
                    'echo "try $n"', '[ "$n" -ge 3 ]']


@shell_backends
def test_a_step_that_fails_twice_then_succeeds_ends_success_after_three_attempts(run, ir):
    config = ir.pipeline([ir.step("flaky", commands=THIRD_TIME_LUCKY, retry=2)], [ir.step("after", out="ran")])
    result, rec, _ = run(config)
    assert result.state == "success", rec.all_text()
    final = rec.final("flaky")
    assert (final.exit_code, final.attempts, final.killed) == (0, 3, False)
    out = rec.out("flaky")
    marks = [out.index(text) for text in ("try 1", "--- attempt 2 of 3 ---", "try 2", "--- attempt 3 of 3 ---",
                                          "try 3")]
    assert marks == sorted(marks)
    assert [line.pos for line in rec.lines["flaky"]] == list(range(len(out)))
    assert [s.attempts for s in rec.states["flaky"] if not s.exited] == [1, 2, 3]
    assert "ran" in rec.out("after")


@shell_backends
def test_a_step_that_keeps_failing_ends_failure_after_its_last_attempt(run, ir):
    config = ir.pipeline([ir.step("broken", commands=["echo nope", "exit 3"], retry=1)], [ir.step("after")])
    result, rec, _ = run(config)
    assert (result.state, result.exit_code) == ("failure", 3)
    assert (rec.final("broken").exit_code, rec.final("broken").attempts) == (3, 2)
    assert rec.out("broken").count("nope") == 2
    assert rec.final("after").skipped


def test_a_step_past_its_timeout_is_killed_with_the_reason_and_fails_the_pipeline(run, ir):
    config = ir.pipeline([ir.step("slow", out="started", sleep=100, timeout=2)], [ir.step("after", out="never")])
    began = time.monotonic()
    result, rec, _ = run(config)
    assert time.monotonic() - began < 30  # cut short: the step would sleep 100 s
    slow = rec.final("slow")
    assert slow.killed and slow.exit_code == 137 and slow.error == "the step timed out after 2 seconds"
    assert rec.out("slow")[-1] == "the step timed out after 2 seconds and was killed"
    assert (result.state, result.exit_code, result.error) == ("failure", 137, "")
    assert rec.final("after").skipped


def test_a_timed_out_step_with_failure_ignore_does_not_fail_the_pipeline(run, ir):
    config = ir.pipeline([ir.step("slow", sleep=100, timeout=1, failure="ignore")], [ir.step("after", out="ran")])
    result, rec, _ = run(config)
    assert result.state == "success", rec.all_text()
    assert rec.final("slow").killed and "ran" in rec.out("after")


@shell_backends
def test_a_timed_out_attempt_is_retried_and_the_next_one_can_succeed(run, ir):
    commands = ["if [ -e tried ]; then echo second; exit 0; fi", "touch tried", "sleep 100"]
    result, rec, _ = run(ir.pipeline([ir.step("hangs-once", commands=commands, timeout=2, retry=1)]))
    assert result.state == "success", rec.all_text()
    final = rec.final("hangs-once")
    assert (final.exit_code, final.killed, final.error, final.attempts) == (0, False, "", 2)
    out = rec.out("hangs-once")
    assert out.index("the step timed out after 2 seconds and was killed") < out.index("second")


def test_cancel_during_the_pause_between_attempts_ends_the_step_killed(make_backend, ir):
    rec = ir.Recorder()
    failed_once = rec.waiter("failing")
    config = ir.pipeline([ir.step("flaky", out="failing", code=1, retry=3, retry_delay=300)])
    runtime = Runtime(config, make_backend(), rec)
    results: list = []
    thread = threading.Thread(target=lambda: results.append(runtime.run()), daemon=True)
    thread.start()
    assert failed_once.wait(60)
    runtime.cancel()
    thread.join(30)
    assert not thread.is_alive()
    assert results[0].state == "killed"
    assert rec.final("flaky").killed and rec.final("flaky").attempts == 1
