"""Running git against bare repositories on disk, with argument lists only (never a shell)."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator

from circle import process
from circle.errors import InvalidInput, RemoteError

TIMEOUT = 60
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_BAD_REV = re.compile(r"[\s:~^?*\[\\]|\.\.|^-|@\{")


def is_sha(value: str) -> bool:
    """Tell whether a string is a full SHA-1 or SHA-256 object name."""
    return bool(_SHA.match(value))


def check_rev(rev: str) -> str:
    """Refuse a revision that is empty, could be read as an option, or uses rev-parse syntax."""
    if not rev or _BAD_REV.search(rev):
        raise InvalidInput(f"'{rev}' is not a branch, tag or commit name")
    return rev


def is_bare(path: Path) -> bool:
    """Tell whether a directory is a bare git repository (a work tree's .git directory is not)."""
    return (
        path.name != ".git" and (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()
    )


def find_bare(root: Path) -> Iterator[Path]:
    """Yield every bare repository under root, not descending into repositories or symlinks."""
    for current, dirs, _ in os.walk(root):
        here = Path(current)
        if is_bare(here):
            dirs[:] = []
            yield here
        else:
            dirs.sort()


def run(git_dir: Path, *args: str, check: bool = True) -> process.Completed:
    """Run `git --git-dir=<git_dir> args…` and return the completed process."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        proc = process.run(["git", f"--git-dir={git_dir}", *args], env=env, timeout=TIMEOUT)
    except FileNotFoundError:
        raise RemoteError("the local SCM needs git, and git is not installed on the server") from None
    except TimeoutError:
        raise RemoteError(f"git {args[0]} in {git_dir} took longer than {TIMEOUT} s") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise RemoteError(f"git {args[0]} failed in {git_dir}: {message[-1] if message else proc.returncode}")
    return proc


