"""Short child processes (git and the like) that stay cheap in a large, gevent-patched server.

Under gevent's monkey patching, `subprocess` forks the whole server and re-initialises gevent in the
child before exec: 10–20 ms per call in a server process. Here the child is started with
posix_spawn (vfork-like, its cost independent of the parent's size); its pipes are read
cooperatively and its exit status comes from a libev child watcher started before the event loop
can run, so the loop's SIGCHLD handling cannot reap it unseen. Unpatched, this is subprocess.run.
Only for short commands whose output fits in memory.

Without gevent, long-running children are started from one long-lived thread: a child that asked
for a parent-death signal (bubblewrap's --die-with-parent) gets it when the THREAD that forked it
ends, so a step started from a short-lived thread would be killed with it. That fork enters the
child's directory and changes its user itself; posix_spawn (gevent) needs a shell and setpriv for that.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, ContextManager, Mapping, Sequence


@dataclass(frozen=True)
class Completed:
    """How a child process ended and what it printed."""

    returncode: int
    stdout: bytes
    stderr: bytes


@dataclass(frozen=True)
class Credentials:
    """Whom a root parent starts a child as: this uid and gid, and no supplementary groups."""

    uid: int
    gid: int


def _gevent_patched() -> bool:
    """Tell whether gevent has patched subprocess in this process."""
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey and monkey.is_module_patched("subprocess"))


def run(argv: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 60.0) -> Completed:
    """Run a command to completion; raise FileNotFoundError when it does not exist, TimeoutError after `timeout`."""
    if not _gevent_patched():
        try:
            done = subprocess.run(list(argv), env=dict(env) if env is not None else None, capture_output=True,
                                  stdin=subprocess.DEVNULL, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"{argv[0]} took longer than {timeout:g} s") from None
        return Completed(done.returncode, done.stdout, done.stderr)
    return _run_spawned(argv, env, timeout)


def _run_spawned(argv: Sequence[str], env: Mapping[str, str] | None, timeout: float) -> Completed:
    """posix_spawn the command and wait for it cooperatively (gevent)."""
    import gevent
    from gevent.event import AsyncResult
    from gevent.fileobject import FileObjectPosix

    hub = gevent.get_hub()
    hub.loop.install_sigchld()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    actions = [(os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2),
               (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)]
    try:
        pid = os.posix_spawnp(argv[0], list(argv), dict(os.environ if env is None else env), file_actions=actions)
    except OSError:
        for fd in (out_r, out_w, err_r, err_w):
            os.close(fd)
        raise
    # No yield between the spawn and the watcher: the loop cannot have reaped the child yet.
    watcher = hub.loop.child(pid, False)
    status: AsyncResult = AsyncResult()
    watcher.start(lambda: status.set(watcher.rstatus))
    os.close(out_w)
    os.close(err_w)
    stdout, stderr = FileObjectPosix(out_r, "rb"), FileObjectPosix(err_r, "rb")
    try:
        with gevent.Timeout(timeout, TimeoutError(f"{argv[0]} took longer than {timeout:g} s")):
            err_reader = gevent.spawn(stderr.read)
            out = stdout.read()
            err = err_reader.get()
            code = os.waitstatus_to_exitcode(status.get())
    except TimeoutError:
        os.kill(pid, signal.SIGKILL)
        status.get(timeout=5)
        raise
    finally:
        watcher.stop()
        stdout.close()
        stderr.close()
    return Completed(code, out, err)


def deadline(seconds: float, what: str) -> ContextManager[object]:
    """Raise TimeoutError naming `what` in the block after `seconds` under gevent; without gevent, never."""
    if not _gevent_patched():
        return contextlib.nullcontext()
    import gevent

    return gevent.Timeout(seconds, TimeoutError(f"{what} took longer than {seconds:g} s"))


class Child:
    """A long-running child started with posix_spawn under gevent: the part of Popen the local backend uses."""

    def __init__(self, pid: int, stdout_fd: int) -> None:
        import gevent
        from gevent.event import AsyncResult
        from gevent.fileobject import FileObjectPosix

        self.pid = pid
        self.returncode: int | None = None
        self._status: AsyncResult = AsyncResult()
        hub = gevent.get_hub()
        self._watcher = hub.loop.child(pid, False)
        self._watcher.start(self._exited)
        self.stdout = FileObjectPosix(stdout_fd, "rb")

    def _exited(self) -> None:
        """Record the exit status (called by the event loop)."""
        self._watcher.stop()
        self.returncode = os.waitstatus_to_exitcode(self._watcher.rstatus)
        self._status.set(self.returncode)

    def poll(self) -> int | None:
        """Return the exit code, or None while running."""
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit code; raise subprocess.TimeoutExpired after `timeout` seconds."""
        from gevent import Timeout

        try:
            return self._status.get(timeout=timeout)
        except Timeout:
            assert timeout is not None  # gevent times out only when given a timeout
            raise subprocess.TimeoutExpired([str(self.pid)], timeout) from None


class Coprocess:
    """A long-running helper that answers requests written to its stdin on its stdout (stderr is discarded)."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str]) -> None:
        """Start the helper; raise FileNotFoundError when the command does not exist."""
        self._child: subprocess.Popen[bytes] | Child
        self.stdin: IO[bytes]
        self.stdout: IO[bytes]
        if not _gevent_patched():
            popen = subprocess.Popen(list(argv), env=dict(env), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
            assert popen.stdin is not None and popen.stdout is not None  # both are pipes
            self._child, self.stdin, self.stdout = popen, popen.stdin, popen.stdout
            return
        import gevent
        from gevent.fileobject import FileObjectPosix

        gevent.get_hub().loop.install_sigchld()
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        actions = [(os.POSIX_SPAWN_DUP2, in_r, 0), (os.POSIX_SPAWN_DUP2, out_w, 1),
                   (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)]
        try:
            pid = os.posix_spawnp(argv[0], list(argv), dict(env), file_actions=actions)
        except OSError:
            os.close(in_w)
            os.close(out_r)
            raise
        finally:
            os.close(in_r)
            os.close(out_w)
        child = Child(pid, out_r)  # no yield since the spawn: the watcher sees the exit
        self._child, self.stdin, self.stdout = child, FileObjectPosix(in_w, "wb"), child.stdout

    @property
    def pid(self) -> int:
        """Return the helper's process id."""
        return self._child.pid

    def close(self) -> None:
        """Stop the helper and reap it."""
        for pipe in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                pipe.close()
        if self._child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._child.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._child.wait(timeout=5)


# Runs the command in a directory: posix_spawn has no chdir action before Python 3.13.
_IN_DIR = 'cd -- "$1" || exit 126; shift; exec "$@"'


# The one thread that starts long-running children when gevent is not in use (see the module docstring).
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="circle-spawn")


def spawn(argv: Sequence[str], *, cwd: str | None, env: Mapping[str, str], pass_fds: tuple[int, ...] = (),
          credentials: Credentials | None = None) -> subprocess.Popen[bytes] | Child:
    """Start a command in its own session with stdout and stderr on one pipe and stdin from /dev/null.

    It starts in `cwd` (None: this process's directory, for a command that enters its own, e.g. bwrap).
    The descriptors in `pass_fds` stay open in the child under the same numbers. With `credentials` (the
    parent is root) it runs as that uid and gid.
    """
    if not _gevent_patched():
        groups: list[int] | None = [] if credentials else None
        uid, gid = (credentials.uid, credentials.gid) if credentials else (None, None)
        return _SPAWNER.submit(subprocess.Popen, list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                               pass_fds=pass_fds, user=uid, group=gid, extra_groups=groups).result()
    import gevent

    gevent.get_hub().loop.install_sigchld()
    if credentials is not None:
        argv = [shutil.which("setpriv") or "setpriv", f"--reuid={credentials.uid}", f"--regid={credentials.gid}",
                "--clear-groups", "--", *argv]
    executable = argv[0] if os.sep in argv[0] else _which(argv[0], env)
    if cwd is not None:
        executable, argv = "/bin/sh", ["sh", "-c", _IN_DIR, "circle", cwd, executable, *argv[1:]]
    out_r, out_w = os.pipe()
    actions = [(os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, out_w, 2),
               (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)]
    for fd in pass_fds:  # no other spawn can run before they are closed again: nothing yields in between
        os.set_inheritable(fd, True)
    try:
        pid = os.posix_spawn(executable, list(argv), dict(env), file_actions=actions, setsid=True)
    except OSError:
        os.close(out_r)
        raise
    finally:
        os.close(out_w)
        for fd in pass_fds:
            os.set_inheritable(fd, False)
    return Child(pid, out_r)


def read_all(fd: int) -> bytes:
    """Read a pipe to its end (cooperatively under gevent) and close it."""
    if not _gevent_patched():
        with os.fdopen(fd, "rb") as pipe:
            return pipe.read()
    from gevent.fileobject import FileObjectPosix

    reader = FileObjectPosix(fd, "rb")
    try:
        return reader.read()
    finally:
        reader.close()


def _which(name: str, env: Mapping[str, str]) -> str:
    """Return the path of command `name` on the step's PATH, or raise FileNotFoundError."""
    found = shutil.which(name, path=env.get("PATH", os.defpath))
    if found is None:
        raise FileNotFoundError(name)
    return found
