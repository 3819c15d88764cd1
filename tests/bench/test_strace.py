"""bench.strace: the processes of a traced run, counted from strace's execve and exit lines."""
from __future__ import annotations

from pathlib import Path

from bench.strace import execs, program

TRACE = """\
100 10:00:00.000000 execve("/usr/bin/python", ["python", "-m", "circle", "agent"], 0x7ff /* 9 vars */) = 0
101 10:00:01.000000 execve("/root/.cargo/bin/git", ["git", "clone"], 0x7ff /* 9 vars */) = -1 ENOENT (No such file)
101 10:00:01.000100 execve("/usr/bin/git", ["git", "-c", "init.defaultBranch=main", "init", "-q"], 0x7ff) = 0
102 10:00:01.010000 execve("/bin/sh", ["sh", "-c", "cd -- \\"$1\\""...], 0x7ff /* 9 vars */) = 0
101 10:00:01.020100 +++ exited with 0 +++
102 10:00:01.030000 execve("/usr/bin/setpriv", ["/usr/bin/setpriv", "--reuid=65534"], 0x7ff) = 0
102 10:00:01.050000 +++ exited with 0 +++
103 10:00:01.060000 execve("/usr/bin/git", ["git", "fet"""


def test_each_exec_is_counted_once_with_its_time_to_exit_or_to_the_next_exec(tmp_path: Path):
    """Failed PATH lookups are not processes; sh exec'ing its last command ends sh there; a cut line waits."""
    trace = tmp_path / "agent.strace"
    trace.write_text(TRACE)
    found, end = execs(trace)
    assert [(name, round(seconds, 4)) for name, seconds in found] == [
        ("git init", 0.02), ("sh", 0.02), ("setpriv", 0.02)]
    assert end == TRACE.rindex("\n") + 1
    assert execs(trace, end) == ([], end)


def test_git_is_counted_by_its_subcommand():
    """`git -c k=v init` is "git init"; other programs by their file name."""
    assert program("/usr/bin/git", ["git", "-C", "/w", "-c", "a=b", "--no-pager", "fetch", "-q"]) == "git fetch"
    assert program("/usr/lib/git-core/git-upload-pack", ["git-upload-pack", "/r"]) == "git-upload-pack"
    assert program("/usr/bin/git", ["git"]) == "git"
