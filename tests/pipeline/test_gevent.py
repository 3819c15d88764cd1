"""The runtime inside a gevent monkey-patched process, as the agent runs it."""
from __future__ import annotations

import json
import secrets
import subprocess
import sys

import pytest

from .test_local import processes_with

SCRIPT = """
from gevent import monkey; monkey.patch_all()
import json, sys, threading, gevent
from circle.pipeline.backends import get_backend
from circle.pipeline.runtime import Runtime
from circle.pipeline.types import Config, Stage, Step

image = "circle-test/busybox:latest"
wait_b = "i=0; while [ ! -f b.ready ]; do i=$((i+1)); [ $i -lt 600 ] || exit 9; sleep 0.05; done; echo saw-b"
config = Config(stages=[
    Stage("services", [Step("svc", image=image, commands=["sleep 600"], detach=True, working_dir="/circle/src")]),
    Stage("parallel", [Step("a", image=image, commands=[wait_b], working_dir="/circle/src"),
                       Step("b", image=image, commands=["touch b.ready"], working_dir="/circle/src")]),
    Stage("long", [Step("long", image=image, commands=["echo ready", "sleep 600"], working_dir="/circle/src")]),
])
lines, states = [], {}

class Tracer:
    def state(self, step, state):
        states[step.name] = state.to_json()
    def line(self, step, line):
        lines.append(line.out)
        if line.out == "ready":
            gevent.spawn(runtime.cancel)
    def file(self, step, found):
        pass

runtime = Runtime(config, get_backend(sys.argv[1]), Tracer())
ticks = []
ticker = gevent.spawn(lambda: [ticks.append(1) or gevent.sleep(0.005) for _ in iter(int, 1)])
result = runtime.run()
ticker.kill()
print(json.dumps({"state": result.state, "lines": lines, "states": states, "ticks": len(ticks),
                  "thread": threading.Thread.__module__}))
"""


@pytest.mark.parametrize("backend", ["local", pytest.param("docker", marks=pytest.mark.docker)])
def test_a_patched_process_runs_parallel_steps_and_cancels(backend, request):
    if backend == "docker":
        request.getfixturevalue("docker_images")
    done = subprocess.run([sys.executable, "-c", SCRIPT, backend], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["thread"].startswith("gevent")
    assert report["state"] == "killed"
    assert "saw-b" in report["lines"]
    assert report["states"]["long"]["killed"] and report["states"]["svc"]["killed"]
    assert report["ticks"] > 1  # the hub kept running other greenlets while steps ran


RACE = """
from gevent import monkey; monkey.patch_all()
import json, sys, time
from circle.pipeline.backends.local import LocalBackend
from circle.pipeline.types import Config, Step

backend = LocalBackend(root=sys.argv[1], stop_grace=1.0)
backend.setup(Config())
steps = [Step(name=f"s{index}", commands=[sys.argv[2]], working_dir="/circle/src") for index in range(40)]
for index, step in enumerate(steps):
    backend.start_step(step)
    time.sleep(index / 4000)  # 0 to 10 ms: somewhere in bwrap's set-up of the namespace
    backend.destroy_step(step)
killed = [backend.wait_step(step).killed for step in steps]
print(json.dumps({"killed": all(killed)}), flush=True)
backend.destroy(Config())
"""


def test_patched_steps_destroyed_while_bwrap_sets_up_leave_nothing_running(tmp_path):
    """Under gevent too (posix_spawn, bwrap entering the directory itself), such a cancel never orphans a step."""
    marker = f"sleep 1000.{secrets.randbelow(10**6):06d}"
    root = tmp_path / "workspaces"
    root.mkdir()
    tmp_path.chmod(0o755)
    done = subprocess.run([sys.executable, "-c", RACE, str(root), marker], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"killed": True}
    assert processes_with(marker) == []
