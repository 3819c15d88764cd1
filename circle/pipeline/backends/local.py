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
from circle.pipeline.backends.sandbox import NamespaceInit, Sandbox, unavailable
from circle.pipeline.collect import Collection, collect
from circle.pipeline.errors import EXIT_KILLED, EXIT_NOT_FOUND, BackendError
from circle.pipeline.limits import DEFAULT_PIDS
from circle.pipeline.script import step_script
from circle.pipeline.types import KIND_CLONE, Config, Step, StepState

log = logging.getLogger(__name__)

PASSED_VARIABLES = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ")
ARGUMENT_LIMIT = 100_000  # a longer script goes to a file: Linux caps one argument at 128 KiB


def _kill_group(pgid: int, sig: int) -> bool:
    """Send `sig` to a process group that may be gone (or, in a sandbox being set up, not formed yet)."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _kill_process(pid: int, sig: int) -> None:
    """Send `sig` to a process that may be gone already."""
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class LocalBackend:
    """Steps as host processes in a per-pipeline temporary workspace."""

    name = "local"

    def __init__(self, root: str | None = None, shell: str = "sh", stop_grace: float = 2.0, *, sandbox: bool = True,
                 user: str = "nobody", pids: int = DEFAULT_PIDS, network: bool = True, unsafe: bool = False) -> None:
        self.root = root
        self.shell = shell
        self.stop_grace = stop_grace
        self.sandbox: Sandbox | None = Sandbox.for_user(user, pids, network) if sandbox else None
        self.unsafe = unsafe
        self.dir = ""
        self._notice = ""
        self._default_dir = ""
        self._base = ("", "")
        self._procs: dict[str, subprocess.Popen[bytes] | process.Child] = {}
        self._inits: dict[str, NamespaceInit] = {}
        self._stopped: set[str] = set()
        self._lock = threading.Lock()

    def setup(self, config: Config) -> None:
        """Decide the isolation, then create the pipeline's private directory, its workspace and HOME."""
        self._choose_isolation(config)
        root = self._reachable_root()
        try:
            if root:
                os.makedirs(root, exist_ok=True)
            self.dir = tempfile.mkdtemp(prefix="circle-", dir=root)
            for sub in ("workspace", "home", "clone-home", "scripts"):
                os.mkdir(os.path.join(self.dir, sub), 0o700)
            if self.sandbox is not None and os.geteuid() == 0:
                for path in [self.dir] + [os.path.join(self.dir, sub) for sub in os.listdir(self.dir)]:
                    os.chown(path, self.sandbox.uid, self.sandbox.gid)
        except OSError as err:
            raise BackendError(f"cannot create the workspace in {root or tempfile.gettempdir()}: "
                               f"{err.strerror or err}") from err
        workspace = os.path.join(self.dir, "workspace")
        self._base = (config.workspace.base.rstrip("/") or "/", workspace)
        self._default_dir = config.workspace.full_path
        log.debug("local pipeline directory %s", self.dir)

    def _choose_isolation(self, config: Config) -> None:
        """Keep the sandbox when it works; without one, refuse root agents and untrusted repos (unless unsafe)."""
        if self.sandbox is None:
            self._notice = "sandbox: none (turned off), steps run as the agent's user"
            return
        reason = unavailable(self.sandbox)
        if not reason:
            self._notice = self.sandbox.describe()
            return
        if not self.unsafe and os.geteuid() == 0:
            raise BackendError(f"this agent runs as root and cannot sandbox local steps ({reason}); "
                               "set CIRCLE_AGENT_LOCAL_UNSAFE=true to run them unsandboxed as root")
        if not self.unsafe and not config.trusted:
            raise BackendError(f"local steps of untrusted repositories need a sandbox and this agent cannot set "
                               f"one up ({reason})")
        self.sandbox = None
        self._notice = f"sandbox: none ({reason}), steps run as the agent's user"

    def _reachable_root(self) -> str | None:
        """Return `root`, or a directory in the temp dir when the sandbox's uid cannot enter `root`'s parents."""
        root = self.root or tempfile.gettempdir()
        if self.sandbox is None or not (blocked := self.sandbox.unreachable(os.path.join(root, "x"))):
            return self.root
        fallback = os.path.join(tempfile.gettempdir(), f"circle-pipelines-{self.sandbox.uid}")
        log.warning("uid %d cannot enter %s: local pipelines go to %s instead of %s", self.sandbox.uid, blocked,
                    fallback, root)
        try:
            os.makedirs(fallback, mode=0o711, exist_ok=True)
            info = os.lstat(fallback)
        except OSError as err:
            raise BackendError(f"cannot create the workspace in {fallback}: {err.strerror or err}") from err
        if info.st_uid != os.geteuid() or info.st_mode & 0o022 or not os.path.isdir(fallback):
            raise BackendError(f"uid {self.sandbox.uid} cannot enter {blocked}, and {fallback} belongs to someone "
                               "else: make the workdir's parents traversable (chmod o+x)")
        return fallback

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
        if self.sandbox is not None and step.kind == KIND_CLONE:
            # A local origin belongs to the agent's user; git refuses repositories of other owners by default.
            env.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="safe.directory", GIT_CONFIG_VALUE_0="*")
        env.update({k: self.host_path(v) for k, v in step.environment.items()})
        return env

    def _argv(self, step: Step) -> list[str]:
        if step.commands:
            script = step_script(step.commands, step.trace)
            if len(script.encode()) < ARGUMENT_LIMIT:
                return [self.shell, "-e", "-c", script, self.shell]
            fd, path = tempfile.mkstemp(suffix=".sh", dir=os.path.join(self.dir, "scripts"))
            with open(fd, "w", encoding="utf-8") as fh:
                fh.write(script)
            if self.sandbox is not None and os.geteuid() == 0:
                os.chown(path, self.sandbox.uid, self.sandbox.gid)
            return [self.shell, "-e", path]
        argv = list(step.entrypoint or []) + list(step.command or [])
        if not argv:
            raise BackendError(f"step {step.name} has no commands; running the image {step.image} "
                               "needs the docker backend")
        return argv

    def start_step(self, step: Step) -> None:
        """Start the step's script (or program) in its own process group."""
        cwd = self.host_path(step.working_dir or self._default_dir)
        info_r, info_w = os.pipe() if self.sandbox is not None else (-1, -1)
        try:
            try:
                self._make_dirs(cwd)
                argv = self._argv(step)
                env = self._environment(step)
                if self.sandbox is not None:
                    if shutil.which(argv[0], path=env.get("PATH", os.defpath)) is None:
                        raise BackendError(f"{argv[0]}: command not found", EXIT_NOT_FOUND)
                    argv = self._sandboxed(step, argv, cwd, info_w)
            except OSError as err:
                raise BackendError(f"cannot prepare step {step.name}: {err.strerror or err}") from err
            try:
                proc = self._spawn(argv, cwd, env, info_w)
            except FileNotFoundError as err:
                raise BackendError(f"{argv[0]}: command not found", EXIT_NOT_FOUND) from err
            except OSError as err:
                raise BackendError(f"cannot run {argv[0]}: {err.strerror or err}") from err
        except BackendError:
            if info_r >= 0:
                os.close(info_r)
            raise
        finally:
            if info_w >= 0:
                os.close(info_w)
        with self._lock:
            self._procs[step.name] = proc
            self._stopped.discard(step.name)  # a retried step starts afresh
            if info_r >= 0:
                self._inits[step.name] = NamespaceInit(info_r)
        threading.Thread(target=self._reap, args=(proc,), name=f"circle-reap-{proc.pid}", daemon=True).start()

    def _spawn(self, argv: list[str], cwd: str, env: dict[str, str],
               info_fd: int) -> subprocess.Popen[bytes] | process.Child:
        """Start the step's command: a sandboxed one as the sandbox's user, entering `cwd` by bwrap's --chdir."""
        if self.sandbox is None:
            return process.spawn(argv, cwd=cwd, env=env)
        return process.spawn(argv, cwd=None, env=env, pass_fds=(info_fd,), credentials=self.sandbox.credentials())

    def _make_dirs(self, path: str) -> None:
        """Create `path` and its missing parents, owned by the sandbox's uid when the agent is root."""
        missing = []
        while not os.path.isdir(path) and path != os.path.dirname(path):
            missing.append(path)
            path = os.path.dirname(path)
        for directory in reversed(missing):
            try:
                os.mkdir(directory)
            except FileExistsError:  # a parallel step of the stage made it first
                continue
            if self.sandbox is not None and os.geteuid() == 0:
                os.chown(directory, self.sandbox.uid, self.sandbox.gid)

    def _sandboxed(self, step: Step, argv: list[str], cwd: str, info_fd: int) -> list[str]:
        """Return `argv` wrapped in the sandbox: the workspace and HOME writable, the scripts readable."""
        assert self.sandbox is not None
        home = "clone-home" if step.kind == KIND_CLONE else "home"
        writable = [os.path.join(self.dir, sub) for sub in ("workspace", home)]
        readable = [os.path.join(self.dir, "scripts")]
        binds = []
        if step.kind == KIND_CLONE and (source := local_remote(step.environment.get("CI_REPO_REMOTE", ""))):
            binds.append((self._origin_copy(source), source))
        return self.sandbox.argv(argv, cwd=cwd, writable=writable, readable=readable, binds=binds, info_fd=info_fd)

    def _origin_copy(self, source: str) -> str:
        """Return where the sandbox's uid can read a local origin: itself, or a mirror in the pipeline dir."""
        assert self.sandbox is not None
        if not self.sandbox.unreachable(os.path.join(source, "x")):
            return source
        mirror = os.path.join(self.dir, "origin")
        try:
            done = process.run(["git", "clone", "-q", "--mirror", "--", source, mirror], timeout=600)
        except (OSError, TimeoutError) as err:
            raise BackendError(f"cannot copy the local origin {source} for the sandbox: {err}") from err
        if done.returncode != 0:
            raise BackendError(f"cannot copy the local origin {source} for the sandbox: "
                               f"{done.stderr.decode(errors='replace').strip()}")
        return mirror

    def notices(self, step: Step) -> list[str]:
        """Return the lines a step's log starts with: its isolation, and that its image is not used."""
        lines = [self._notice] if self._notice else []
        if step.image and step.kind != KIND_CLONE:
            lines.append(f"local backend: image `{step.image}` is ignored; the step runs on the agent's host"
                         + (" in a sandbox" if self.sandbox is not None else ""))
        return lines

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
        if lines := self.notices(step):
            yield "".join(line + "\n" for line in lines).encode()
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
        """Stop the step's process group: SIGTERM, then SIGKILL after `stop_grace` seconds.

        A sandboxed step's group is its namespace init's (see circle.pipeline.backends.sandbox); killing
        that init ends the whole namespace.
        """
        proc = self._procs.get(step.name)
        if proc is None:
            return
        init = self._inits.get(step.name)
        group = (init.pid() if init is not None else 0) or proc.pid
        if proc.poll() is None:
            self._stopped.add(step.name)
            try:
                if _kill_group(group, signal.SIGTERM):  # else nothing of the step runs yet: kill at once
                    proc.wait(self.stop_grace)
            except subprocess.TimeoutExpired:
                log.info("local step %s ignored SIGTERM, killing it", step.name)
        if group != proc.pid and proc.poll() is None:  # bwrap still waits for the init: its pid is the init's
            _kill_process(group, signal.SIGKILL)
            try:  # bwrap ends once the kernel has emptied the namespace; killed sooner, it would not wait
                proc.wait(self.stop_grace)
            except subprocess.TimeoutExpired:
                log.info("local step %s: bwrap outlived its namespace's init, killing it", step.name)
        _kill_group(proc.pid, signal.SIGKILL)
        proc.wait()

    def collect(self, step: Step, max_bytes: int) -> Collection:
        """Read the step's reports and artifacts from the pipeline's workspace directory."""
        return collect(self.host_path(self._default_dir), step.reports, step.artifacts, max_bytes)

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


def local_remote(url: str) -> str:
    """Return the directory of a clone URL that is a path on this host (`/srv/git/x`, `file:///srv/git/x`), or ""."""
    path = url[len("file://"):] if url.startswith("file://") else url
    return path if path.startswith("/") and os.path.isdir(path) else ""


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
