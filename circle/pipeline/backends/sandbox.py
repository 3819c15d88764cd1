"""Wrap a local step in bubblewrap: its own namespaces, an unprivileged user, only its workspace writable.

Inside, a step sees the host's system directories read-only (/usr, /bin, /sbin, /lib*, /etc with
password hashes and SSH host keys hidden), a fresh /tmp, /dev and a private /proc (its own pid
namespace: the server, the agent and other builds are invisible), and the pipeline directories it
may use, bound at their host paths. Nothing else of the host exists in it: not the server's data
dir, not other builds' workspaces. A system directory that is a symlink into another (merged /usr:
/bin → usr/bin) is the same symlink inside, not one more mount. When the agent is root, bwrap
starts as `user` (default nobody, 65534) without supplementary groups (`credentials`: set by the
agent's fork, or by setpriv under gevent, see circle.process.spawn); the step's process count is
capped with prlimit (RLIMIT_NPROC, which counts every process of that uid on the host), set before
bwrap creates the step's user namespace, whose limit it then also is. The network is the host's
unless `network` is off, so loopback services of the host stay reachable.

A step is stopped through the init of its pid namespace, whose host pid bwrap writes to an info
pipe (`--info-fd`): SIGTERM goes to that init's process group (the step's shell and what it ran),
SIGKILL to the init itself, which makes the kernel kill every process of the namespace, detached
and background ones included. bwrap's outer process is never signalled while the init may live:
killed during its set-up, before the init asked for its parent-death signal, it would leave the
init running, orphaned.
"""
from __future__ import annotations

import functools
import glob
import json
import os
import pwd
import shutil
import signal
import subprocess
import threading
from dataclasses import dataclass

from circle import process

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/run/systemd/resolve")
HIDDEN_FILES = ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/sudoers")
HIDDEN_GLOBS = ("/etc/ssh/ssh_host_*key*",)
HIDDEN_DIRS = ("/etc/sudoers.d",)


@dataclass(frozen=True)
class Sandbox:
    """How local steps are isolated: who they run as, how many processes, whether they get a network."""

    uid: int
    gid: int
    pids: int
    network: bool = True

    @classmethod
    def for_user(cls, user: str, pids: int, network: bool = True) -> Sandbox:
        """Return the sandbox for `user` (a name or uid) when the agent is root, else for the agent's own uid."""
        if os.geteuid() != 0:
            return cls(os.geteuid(), os.getegid(), pids, network)
        try:
            entry = pwd.getpwuid(int(user)) if user.isdigit() else pwd.getpwnam(user)
        except (KeyError, ValueError):
            if user.isdigit():
                return cls(int(user), int(user), pids, network)
            raise ValueError(f"the local step user {user!r} does not exist on this host") from None
        return cls(entry.pw_uid, entry.pw_gid, pids, network)

    def describe(self) -> str:
        """Return the one line a step's log starts with."""
        network = "" if self.network else ", no network"
        return f"sandbox: bubblewrap, uid {self.uid}, workspace only, at most {self.pids} processes{network}"

    def argv(self, command: list[str], *, cwd: str, writable: list[str], readable: list[str],
             binds: list[tuple[str, str]] | None = None, info_fd: int | None = None) -> list[str]:
        """Return the command line that runs `command` in the sandbox, in `cwd`; `binds`: read-only (source, dest).

        With `info_fd`, bwrap writes the host pid of the namespace's init to that descriptor (see NamespaceInit).
        """
        args = [shutil.which("bwrap") or "bwrap"]
        for path in SYSTEM_DIRS:
            args += ["--symlink", os.readlink(path), path] if _linked_within(path) else ["--ro-bind-try", path, path]
        for path in HIDDEN_FILES + tuple(p for pattern in HIDDEN_GLOBS for p in glob.glob(pattern)):
            if os.path.exists(path):
                args += ["--ro-bind", "/dev/null", path]
        for path in HIDDEN_DIRS:
            if os.path.isdir(path):
                args += ["--tmpfs", path]
        args += ["--tmpfs", "/tmp", "--tmpfs", "/var/tmp", "--proc", "/proc", "--dev", "/dev"]
        for path in writable:
            args += ["--bind", path, path]
        for source, dest in [(path, path) for path in readable] + (binds or []):
            args += ["--ro-bind", source, dest]
        args += ["--remount-ro", "/", "--chdir", cwd]
        args += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if not self.network:
            args.append("--unshare-net")
        if info_fd is not None:
            args += ["--info-fd", str(info_fd)]
        prlimit = [shutil.which("prlimit") or "prlimit", f"--nproc={self.pids}", "--"]
        return [*prlimit, *args, "--new-session", "--die-with-parent", "--", *command]

    def credentials(self) -> process.Credentials | None:
        """Return whom a root agent starts the command line of `argv` as, or None (as the agent itself)."""
        if os.geteuid() != 0 or self.uid == 0:
            return None
        return process.Credentials(self.uid, self.gid)

    def unreachable(self, path: str) -> str:
        """Return the first directory above `path` the step's uid cannot enter, or ""."""
        if os.geteuid() != 0 or self.uid == 0:
            return ""
        current = os.path.dirname(os.path.abspath(path))
        while True:
            try:
                info = os.stat(current)
            except FileNotFoundError:  # created later, traversable
                current = os.path.dirname(current)
                continue
            except NotADirectoryError:  # a file in the way: creating the workdir will say so
                return ""
            if not info.st_mode & 0o001 and not (info.st_uid == self.uid and info.st_mode & 0o100):
                return current
            if current == "/":
                return ""
            current = os.path.dirname(current)


def _linked_within(path: str) -> bool:
    """Tell whether `path` is a symlink to inside one of the system directories that are bound as they are."""
    if not os.path.islink(path):
        return False
    target = os.path.realpath(path)
    return any(target.startswith(top + "/") for top in SYSTEM_DIRS if top != path and not os.path.islink(top))


class NamespaceInit:
    """The init of one sandboxed step's pid namespace, read from bwrap's info pipe once, when first needed."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._pid: int | None = None
        self._lock = threading.Lock()

    def pid(self) -> int:
        """Return the init's host pid, or 0 when bwrap ended before it started one (waits for bwrap's set-up)."""
        with self._lock:
            if self._pid is None:
                try:
                    info = json.loads(process.read_all(self._fd) or b"{}")
                except ValueError:
                    info = {}
                self._pid = int(info.get("child-pid", 0)) if isinstance(info, dict) else 0
            return self._pid


@functools.cache
def unavailable(sandbox: Sandbox) -> str:
    """Return why `sandbox` cannot run on this host (one clause), or "" when a trial step ran in it."""
    for tool in ("bwrap", "prlimit"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    argv = sandbox.argv(["true"], cwd="/", writable=[], readable=[])
    try:
        child = process.spawn(argv, cwd=None, env={"PATH": os.defpath}, credentials=sandbox.credentials())
    except OSError as err:
        return f"bubblewrap could not start ({err})"
    try:
        code: int | None = child.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        code = None
    assert child.stdout is not None  # spawn's output pipe
    with child.stdout:
        output = child.stdout.read()
    if code is None:
        return "bubblewrap could not start (a trial step took longer than 30 s)"
    if code != 0:
        reason = output.decode(errors="replace").strip().splitlines()
        return f"bubblewrap failed: {reason[-1] if reason else f'exit code {code}'}"
    return ""
