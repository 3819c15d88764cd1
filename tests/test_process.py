"""circle.process.run gives the same answers with and without gevent's monkey patching."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from circle import process

PROBE = """
from gevent import monkey; monkey.patch_all()
import json, gevent
from circle import process
ticks = []
ticker = gevent.spawn(lambda: [ticks.append(gevent.sleep(0.01)) for _ in range(1000)])
results = {}
ok = process.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
results["ok"] = [ok.returncode, ok.stdout.decode(), ok.stderr.decode()]
big = process.run(["sh", "-c", "head -c 300000 /dev/zero"])
results["big"] = len(big.stdout)
slow = process.run(["sleep", "0.3"])
results["ticks_while_sleeping"] = len(ticks)
try:
    process.run(["sleep", "5"], timeout=0.2)
except TimeoutError as err:
    results["timeout"] = str(err)
try:
    process.run(["no-such-command-anywhere"])
except FileNotFoundError:
    results["missing"] = True
import os, signal
child = process.spawn(["sh", "-c", "pwd; echo oops >&2; exit 4"], cwd="/usr", env=dict(os.environ))
results["spawn"] = [child.stdout.read().decode(), child.wait()]
sleeper = process.spawn(["sleep", "30"], cwd="/tmp", env=dict(os.environ))
try:
    sleeper.wait(0.2)
except Exception as err:
    results["spawn_timeout"] = type(err).__name__
os.killpg(sleeper.pid, signal.SIGKILL)
results["spawn_killed"] = sleeper.wait()
try:
    process.spawn(["no-such-command-anywhere"], cwd="/tmp", env=dict(os.environ))
except FileNotFoundError:
    results["spawn_missing"] = True
if os.geteuid() == 0:
    who = process.spawn(["sh", "-c", "id -u; id -g; id -G; pwd"], cwd=None, env=dict(os.environ),
                        credentials=process.Credentials(65534, 65534))
    results["who"] = [who.stdout.read().decode(), who.wait(), os.getcwd()]
print(json.dumps(results))
"""

AS_NOBODY = "65534\n65534\n65534\n"  # uid, gid, and its only group: the agent's supplementary groups are dropped


def test_under_gevent_the_loop_keeps_running():
    """Patched: exit code and both streams come back, other greenlets run meanwhile, timeouts kill."""
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    assert answers["ok"] == [3, "out\n", "err\n"]
    assert answers["big"] == 300000
    assert answers["ticks_while_sleeping"] >= 5
    assert "took longer than 0.2 s" in answers["timeout"] and answers["missing"] is True
    assert answers["spawn"] == ["/usr\noops\n", 4]
    assert answers["spawn_timeout"] == "TimeoutExpired" and answers["spawn_killed"] == -9
    assert answers["spawn_missing"] is True
    if "who" in answers:  # root: the child runs as the uid and gid given, in this process's directory
        output, code, cwd = answers["who"]
        assert (output, code) == (AS_NOBODY + cwd + "\n", 0)


def test_unpatched():
    """Unpatched: the same answers through subprocess."""
    done = process.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (done.returncode, done.stdout, done.stderr) == (3, b"out\n", b"err\n")
    with pytest.raises(TimeoutError):
        process.run(["sleep", "5"], timeout=0.2)
    with pytest.raises(FileNotFoundError):
        process.run(["no-such-command-anywhere"])


@pytest.mark.skipif(os.geteuid() != 0, reason="changing the user needs root")
def test_unpatched_spawn_as_another_user_in_this_directory():
    """A spawned child runs as the credentials' uid and gid without other groups; cwd None keeps this directory."""
    child = process.spawn(["sh", "-c", "id -u; id -g; id -G; pwd"], cwd=None, env=dict(os.environ),
                          credentials=process.Credentials(65534, 65534))
    assert child.stdout is not None
    assert (child.stdout.read().decode(), child.wait()) == (AS_NOBODY + os.getcwd() + "\n", 0)
