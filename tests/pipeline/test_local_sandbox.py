"""Hostile steps on the local backend as the default setup runs it (root agent, workspaces in the data dir)."""
from __future__ import annotations

import os
import secrets
import tempfile
import threading
import time
from pathlib import Path

import pytest

from circle.pipeline.backends import local as local_module
from circle.pipeline.backends.local import LocalBackend
from circle.pipeline.types import Config, Step

from .test_local import processes_with


@pytest.fixture
def data_dir(workdir: Path) -> Path:
    """Return a server data dir with its secrets (world-readable, to prove the sandbox hides them) and workspaces."""
    data = workdir.parent / "data"
    data.mkdir(mode=0o755)
    for name in ("secret_key", "agent_secret", "circle.db"):
        (data / name).write_text(f"{name}-value\n")
        (data / name).chmod(0o644)
    return data


@pytest.fixture
def backend(data_dir: Path) -> LocalBackend:
    """Return a local backend like the embedded agent's (its pids limit counts every process of uid nobody)."""
    return LocalBackend(root=str(data_dir / "workspaces"), stop_grace=1.0)


def hostile(execute, ir, backend: LocalBackend, *commands: str, **fields) -> tuple[str, list[str]]:
    """Run one step of `commands` (failure ignored) and return its final state's exit code text and its lines."""
    result, rec, _ = execute(ir.pipeline([ir.step("evil", commands=list(commands), **fields)]), backend=backend)
    assert result.state in ("success", "failure"), rec.all_text()
    return str(rec.final("evil").exit_code), rec.out("evil")


def test_the_server_data_dir_is_not_visible(execute, ir, backend, data_dir):
    code, lines = hostile(execute, ir, backend, f"ls -a {data_dir}", f"cat {data_dir}/secret_key || echo no-key",
                          f"cat {data_dir}/circle.db || echo no-db")
    assert "no-key" in lines and "no-db" in lines
    assert not any("-value" in line for line in lines)
    assert "secret_key" not in lines and "circle.db" not in lines


def test_other_processes_and_their_environ_and_cwd_are_invisible(execute, ir, backend):
    me = os.getpid()
    code, lines = hostile(execute, ir, backend, f"cat /proc/{me}/environ || echo no-environ",
                          f"ls -l /proc/{me}/cwd || echo no-cwd", "ls /proc | grep -c '^[0-9]'",
                          "cat /proc/1/cmdline | tr '\\0' ' '; echo")
    assert "no-environ" in lines and "no-cwd" in lines
    assert int(lines[lines.index("+ ls /proc | grep -c '^[0-9]'") + 1]) < 10
    assert not any("pytest" in line for line in lines if not line.startswith("+"))


def test_another_builds_workspace_is_invisible(execute, ir, backend, data_dir):
    other = LocalBackend(root=str(data_dir / "workspaces"))
    other.setup(Config())
    name = os.path.basename(other.dir)
    try:
        Path(other.dir, "workspace", "loot").write_text("other-build-secret\n")
        code, lines = hostile(execute, ir, backend, f"cat {other.dir}/workspace/loot || echo no-loot",
                              f"ls {data_dir}/workspaces")
    finally:
        other.destroy(Config())
    assert "no-loot" in lines and "other-build-secret" not in lines
    assert name not in lines


def test_only_the_workspace_is_writable(execute, ir, backend, data_dir):
    code, lines = hostile(execute, ir, backend, "touch in-workspace && echo ws-ok",
                          f"touch {data_dir}/planted", "touch /etc/planted || echo etc-no",
                          "touch /usr/bin/planted || echo usr-no", "touch /planted || echo root-no",
                          "ls /tmp /var/tmp")
    assert {"ws-ok", "etc-no", "usr-no", "root-no"} <= set(lines)
    # The data dir here lies below /tmp, a fresh tmpfs in the sandbox: what lands there never reaches the host.
    assert not (data_dir / "planted").exists() and not Path("/etc/planted").exists()


def test_steps_run_as_nobody_without_the_agents_environment(execute, ir, backend, monkeypatch):
    monkeypatch.setenv("CIRCLE_AGENT_SECRET", "agent-only-value")
    code, lines = hostile(execute, ir, backend, "id -u", 'echo "secret=${CIRCLE_AGENT_SECRET:-unset}"')
    assert lines[lines.index("+ id -u") + 1] == "65534"
    assert "secret=unset" in lines


def test_system_directories_that_are_symlinks_stay_symlinks(execute, ir, backend):
    """Merged /usr: /bin and the like are the host's symlinks inside, not more bind mounts."""
    links = [path for path in ("/bin", "/sbin", "/lib", "/lib64") if os.path.islink(path)]
    if not links:
        pytest.skip("this host has no merged /usr")
    code, lines = hostile(execute, ir, backend, *[f"readlink {path}" for path in links], "ls /bin/sh")
    assert code == "0", lines
    assert [lines[lines.index(f"+ readlink {path}") + 1] for path in links] == [os.readlink(path) for path in links]


def test_a_fork_bomb_hits_the_pids_limit(execute, ir, data_dir):
    backend = LocalBackend(root=str(data_dir / "workspaces"), stop_grace=1.0, pids=64)  # one the machine survives
    marker = f"1000.{secrets.randbelow(10**6):06d}"
    code, lines = hostile(execute, ir, backend, f"i=0; while [ $i -lt 300 ]; do sleep {marker} & i=$((i+1)); done")
    assert code != "0"
    assert any("fork" in line.lower() for line in lines)
    assert processes_with(f"sleep {marker}") == []


def test_a_process_that_escapes_its_group_dies_with_the_pipeline(execute, ir, backend):
    marker = f"sleep 1000.{secrets.randbelow(10**6):06d}"
    config = ir.pipeline([ir.step("service", commands=[f"setsid sh -c '{marker}' &", "sleep 30"], detach=True)],
                         [ir.step("build", commands=[f"setsid nohup {marker} >/dev/null 2>&1 &", "echo started"])])
    result, rec, _ = execute(config, backend=backend)
    assert result.state == "success", rec.all_text()
    assert processes_with(marker) == []


def test_each_step_log_says_its_isolation_and_that_the_image_is_ignored(execute, ir, backend):
    code, lines = hostile(execute, ir, backend, "true", image="golang:1.22")
    assert lines[:2] == [
        "sandbox: bubblewrap, uid 65534, workspace only, at most 16384 processes",
        "local backend: image `golang:1.22` is ignored; the step runs on the agent's host in a sandbox"]


def test_without_a_sandbox_a_root_agent_refuses_and_unsafe_runs(execute, ir, data_dir, monkeypatch):
    monkeypatch.setattr(local_module, "unavailable", lambda sandbox: "bwrap is not installed")
    step = Step(name="evil", commands=["id -u"], working_dir="/circle/src")
    refused, rec, _ = execute(ir.pipeline([step]), backend=LocalBackend(root=str(data_dir / "w1")))
    assert refused.state == "error"
    assert refused.error == ("this agent runs as root and cannot sandbox local steps (bwrap is not installed); "
                             "set CIRCLE_AGENT_LOCAL_UNSAFE=true to run them unsandboxed as root")
    unsafe, rec, _ = execute(ir.pipeline([step]), backend=LocalBackend(root=str(data_dir / "w2"), unsafe=True))
    assert unsafe.state == "success"
    assert rec.out("evil")[0] == "sandbox: none (bwrap is not installed), steps run as the agent's user"


def test_without_a_sandbox_a_non_root_agent_refuses_untrusted_repos(execute, ir, data_dir, monkeypatch):
    monkeypatch.setattr(local_module, "unavailable", lambda sandbox: "bwrap is not installed")
    monkeypatch.setattr(local_module.os, "geteuid", lambda: 1000)
    config = ir.pipeline([Step(name="evil", commands=["true"], working_dir="/circle/src")])
    refused, _, _ = execute(config, backend=LocalBackend(root=str(data_dir / "w1"), sandbox=False))
    assert refused.state == "success"  # a sandbox turned off on purpose (circle exec) is not refused
    refused, _, _ = execute(config, backend=LocalBackend(root=str(data_dir / "w2")))
    assert refused.error == ("local steps of untrusted repositories need a sandbox and this agent cannot set one "
                             "up (bwrap is not installed)")
    config.trusted = True
    trusted, _, _ = execute(config, backend=LocalBackend(root=str(data_dir / "w3")))
    assert trusted.state == "success"


def test_a_workdir_the_step_user_cannot_enter_moves_to_the_temp_dir(execute, ir, tmp_path):
    closed = LocalBackend(root=str(tmp_path / "workspaces"))  # pytest's tmp_path is mode 700, root's own
    result, rec, backend = execute(ir.pipeline([ir.step("build", commands=["pwd", "touch made"])]), backend=closed)
    assert result.state == "success", rec.all_text()
    assert rec.out("build")[3].startswith(f"{tempfile.gettempdir()}/circle-pipelines-65534/circle-")


def test_steps_destroyed_while_bwrap_sets_up_leave_nothing_running(data_dir):
    """A cancel that reaches steps whose sandbox is still being set up kills them, never orphans them."""
    backend = LocalBackend(root=str(data_dir / "workspaces"), stop_grace=1.0)
    backend.setup(Config())
    marker = f"sleep 1000.{secrets.randbelow(10**6):06d}"
    steps = [Step(name=f"s{index}", commands=[marker], working_dir="/circle/src") for index in range(40)]
    try:
        for index, step in enumerate(steps):
            backend.start_step(step)
            time.sleep(index / 4000)  # 0 to 10 ms: somewhere in bwrap's set-up of the namespace
            backend.destroy_step(step)
        assert processes_with(marker) == []
        assert all(backend.wait_step(step).killed for step in steps)
    finally:
        backend.destroy(Config())


def test_a_step_outlives_the_thread_that_started_it(data_dir):
    """bwrap's parent-death signal follows the thread that forked it: a step started by a thread that ends runs on."""
    backend = LocalBackend(root=str(data_dir / "workspaces"), stop_grace=1.0)
    backend.setup(Config())
    step = Step(name="service", commands=["sleep 0.5", "echo still-here"], working_dir="/circle/src")
    try:
        starter = threading.Thread(target=backend.start_step, args=(step,))
        starter.start()
        starter.join()
        output = b"".join(backend.tail_step(step)).decode()
        state = backend.wait_step(step)
    finally:
        backend.destroy(Config())
    assert state.exit_code == 0 and "still-here" in output, (state, output)


def test_a_stopped_step_gets_sigterm_before_its_namespace_is_killed(data_dir):
    """destroy_step signals the step's own processes first (as `docker stop` does), not only bwrap."""
    backend = LocalBackend(root=str(data_dir / "workspaces"), stop_grace=5.0)
    backend.setup(Config())
    step = Step(name="graceful", commands=["trap 'echo got-term; exit 3' TERM", "echo ready", "sleep 30 & wait"],
                working_dir="/circle/src")
    try:
        backend.start_step(step)
        lines = backend.tail_step(step)
        while b"ready" not in next(lines):
            pass
        backend.destroy_step(step)
        output = b"".join(lines).decode()
        state = backend.wait_step(step)
    finally:
        backend.destroy(Config())
    assert "got-term" in output and state.killed, (state, output)
