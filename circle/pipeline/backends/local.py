"""Run steps as processes on this host.

Each pipeline gets a fresh private directory (mode 700) holding `workspace/` (what the IR calls
`workspace.base`, e.g. /circle), `home/` (the steps' HOME), `clone-home/` (the clone step's own
HOME, where it writes .netrc, so later steps never see the repository's credentials) and
`scripts/`. The IR's container paths are mapped onto it: `working_dir` and every environment
value that starts with the workspace base. Volumes, networks and `image` are docker matters and
are ignored; a step without commands runs `entrypoint + command` as a program.

A step runs `sh -e -c SCRIPT` (a file for long scripts) in its own process group with a minimal
environment (PATH, locale and the step's variables: nothing else of the agent's environment leaks
in). When the shell exits, whatever it left in its process group is killed, as a container's
processes die with it; `destroy_step` sends SIGTERM to the group, then SIGKILL after
`stop_grace` seconds.
"""
from __future__ import annotations

import io
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from typing import cast

from circle import process
from circle.pipeline.errors import EXIT_KILLED, EXIT_NOT_FOUND, BackendError
from circle.pipeline.script import step_script
from circle.pipeline.types import KIND_CLONE, Config, Step, StepState

log = logging.getLogger(__name__)

PASSED_VARIABLES = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ")
ARGUMENT_LIMIT = 100_000  # a longer script goes to a file: Linux caps one argument at 128 KiB


def _kill_group(pgid: int, sig: int) -> None:
    """Send `sig` to a process group that may be gone already."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class LocalBackend:
    """Steps as host processes in a per-pipeline temporary workspace."""

    name = "local"

    def __init__(self, root: str | None = None, shell: str = "sh", stop_grace: float = 2.0) -> None:
        self.root = root
        self.shell = shell
        self.stop_grace = stop_grace
        self.dir = ""
        self._default_dir = ""
        self._base = ("", "")
        self._procs: dict[str, subprocess.Popen[bytes] | process.Child] = {}
        self._stopped: set[str] = set()
        self._lock = threading.Lock()

    def setup(self, config: Config) -> None:
        """Create the pipeline's private directory, its workspace and HOME."""
        try:
            if self.root:
                os.makedirs(self.root, exist_ok=True)
            self.dir = tempfile.mkdtemp(prefix="circle-", dir=self.root)
            for sub in ("workspace", "home", "clone-home", "scripts"):
                os.mkdir(os.path.join(self.dir, sub), 0o700)
        except OSError as err:
            raise BackendError(f"cannot create the workspace in {self.root or tempfile.gettempdir()}: "
                               f"{err.strerror or err}") from err
        workspace = os.path.join(self.dir, "workspace")
        self._base = (config.workspace.base.rstrip("/") or "/", workspace)
        self._default_dir = config.workspace.full_path
        log.debug("local pipeline directory %s", self.dir)

    def host_path(self, value: str) -> str:
        """Return `value` with a leading workspace path replaced by its host directory."""
        prefix, host = self._base
        if prefix and (value == prefix or value.startswith(prefix + "/")):
            return host + value[len(prefix):]
        return value

    def _environment(self, step: Step) -> dict[str, str]:
        env = {k: os.environ[k] for k in PASSED_VARIABLES if k in os.environ}
        env.setdefault("PATH", os.defpath)
        env["HOME"] = os.path.join(self.dir, "clone-home" if step.kind == KIND_CLONE else "home")
        env.update({k: self.host_path(v) for k, v in step.environment.items()})
        return env

    def _argv(self, step: Step) -> list[str]:
        if step.commands:
            script = step_script(step.commands)
            if len(script.encode()) < ARGUMENT_LIMIT:
                return [self.shell, "-e", "-c", script, self.shell]
            fd, path = tempfile.mkstemp(suffix=".sh", dir=os.path.join(self.dir, "scripts"))
            with open(fd, "w", encoding="utf-8") as fh:
                fh.write(script)
            return [self.shell, "-e", path]
        argv = list(step.entrypoint or []) + list(step.command or [])
        if not argv:
            raise BackendError(f"step {step.name} has no commands; running the image {step.image} "
                               "needs the docker backend")
        return argv

    def start_step(self, step: Step) -> None:
        """Start the step's script (or program) in its own process group."""
        cwd = self.host_path(step.working_dir or self._default_dir)
        try:
            os.makedirs(cwd, exist_ok=True)
            argv = self._argv(step)
        except OSError as err:
            raise BackendError(f"cannot prepare step {step.name}: {err.strerror or err}") from err
        try:
            proc = process.spawn(argv, cwd=cwd, env=self._environment(step))
        except FileNotFoundError as err:
            raise BackendError(f"{argv[0]}: command not found", EXIT_NOT_FOUND) from err
        except OSError as err:
            raise BackendError(f"cannot run {argv[0]}: {err.strerror or err}") from err
        with self._lock:
            self._procs[step.name] = proc
        threading.Thread(target=self._reap, args=(proc,), name=f"circle-reap-{proc.pid}", daemon=True).start()

    @staticmethod
    def _reap(proc: subprocess.Popen[bytes] | process.Child) -> None:
        """Once the step's shell exits, kill what it left in its group, so its output ends."""
        proc.wait()
        _kill_group(proc.pid, signal.SIGKILL)

    def tail_step(self, step: Step) -> Iterator[bytes]:
        """Yield the step's merged stdout and stderr as it comes."""
        proc = self._procs.get(step.name)
        if proc is None or proc.stdout is None:
            return
        # A buffered pipe (or gevent's file object over it): both have read1.
        read = cast(io.BufferedReader, proc.stdout).read1
        while chunk := read(65536):
            yield chunk

    def wait_step(self, step: Step) -> StepState:
        """Wait for the step's shell and return its exit code (128+N after signal N)."""
        proc = self._procs.get(step.name)
        if proc is None:
            return StepState(proc=step.name, exited=True, exit_code=EXIT_KILLED, killed=True)
        code = proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        killed = step.name in self._stopped
        return StepState(proc=step.name, exited=True, exit_code=128 - code if code < 0 else code, killed=killed)

    def destroy_step(self, step: Step) -> None:
        """Stop the step's process group: SIGTERM, then SIGKILL after `stop_grace` seconds."""
        proc = self._procs.get(step.name)
        if proc is None:
            return
        if proc.poll() is None:
            self._stopped.add(step.name)
            _kill_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(self.stop_grace)
            except subprocess.TimeoutExpired:
                log.info("local step %s ignored SIGTERM, killing it", step.name)
        _kill_group(proc.pid, signal.SIGKILL)
        proc.wait()

    def destroy(self, config: Config) -> None:
        """Stop every step and remove the pipeline's directory."""
        for name in list(self._procs):
            self.destroy_step(Step(name=name))
        if self.dir:
            _make_writable(self.dir)
            shutil.rmtree(self.dir, ignore_errors=True)
            if os.path.exists(self.dir):
                log.warning("could not remove the pipeline directory %s", self.dir)
            self.dir = ""


def _make_writable(top: str) -> None:
    """Give the owner full rights on every directory below `top`, so a step's read-only dirs can go."""
    for root, dirs, _files in os.walk(top):
        for name in dirs:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                try:
                    os.chmod(path, 0o700)
                except OSError:
                    pass
