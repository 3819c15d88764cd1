"""Short child processes (git and the like) that stay cheap in a large, gevent-patched server.

Under gevent's monkey patching, `subprocess` forks the whole server and re-initialises gevent in the
child before exec: 10–20 ms per call in a server process. Here the child is started with
posix_spawn (vfork-like, its cost independent of the parent's size); its pipes are read
cooperatively and its exit status comes from a libev child watcher started before the event loop
can run, so the loop's SIGCHLD handling cannot reap it unseen. Unpatched, this is subprocess.run.
Only for short commands whose output fits in memory.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from typing import Mapping, Sequence


@dataclass(frozen=True)
class Completed:
    """How a child process ended and what it printed."""

    returncode: int
    stdout: bytes
    stderr: bytes


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
