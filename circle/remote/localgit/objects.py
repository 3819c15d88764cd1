"""Reading a repository's objects through one long-lived `git cat-file --batch` per repository.

A manual build or a push reads a branch head, a commit and one or more pipeline files; a git process
for each read cost a spawn, a wait and a reap per read on the server's event loop. The batch process
answers each read over its pipes instead. git re-reads refs and re-scans packs on every lookup, so
pushes, repacks and deleted branches are seen at once. At most MAX_READERS processes are kept (the
least recently used is stopped); a process that fails or hangs is stopped and started again on the
next read (a process found dead is replaced within the read).
"""
from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from circle import process
from circle.errors import InvalidInput, RemoteError
from circle.remote.types import Commit

MAX_READERS = 32
TIMEOUT = 60
TREE_MODE = b"40000"
_HEADER = re.compile(rb"^([0-9a-f]{40}|[0-9a-f]{64}) (commit|tree|blob|tag) (\d+)\n$")


@dataclass(frozen=True)
class GitObject:
    """One object as git cat-file gives it."""

    sha: str
    kind: str
    data: bytes


class BatchReader:
    """One `git cat-file --batch` of one repository, used by one caller at a time."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self._helper: process.Coprocess | None = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """Return the running batch process's id (None before the first read)."""
        return self._helper.pid if self._helper else None

    def read(self, name: str) -> GitObject | None:
        """Return the object `name` (a sha, `rev^{commit}`, `sha:path`…) names, or None when there is none."""
        if "\n" in name or not name:
            raise InvalidInput(f"{name!r} is not an object name")
        with self._lock:
            for attempt in (1, 2):  # a process that died since the last read is started again once
                try:
                    return self._ask(name)
                except (OSError, TimeoutError) as err:
                    self.close()
                    if attempt == 2 or isinstance(err, TimeoutError):
                        raise RemoteError(f"git cat-file failed in {self.git_dir}: {err}") from None
        raise AssertionError("unreachable")

    def _ask(self, name: str) -> GitObject | None:
        """Write one request and read its answer."""
        if self._helper is None:
            self._helper = _start(self.git_dir)
        helper = self._helper
        with process.deadline(TIMEOUT, "git cat-file"):
            helper.stdin.write(name.encode() + b"\n")
            helper.stdin.flush()
            header = helper.stdout.readline()
            if not header.endswith(b"\n"):
                raise OSError("the process ended")
            found = _HEADER.match(header)
            if not found:  # "<name> missing" or "<name> ambiguous"
                return None
            size = int(found.group(3))
            data = helper.stdout.read(size + 1)
        if len(data) != size + 1:
            raise OSError("the process ended within an object")
        return GitObject(sha=found.group(1).decode(), kind=found.group(2).decode(), data=data[:-1])

    def close(self) -> None:
        """Stop the batch process (the next read starts another)."""
        if self._helper is not None:
            self._helper.close()
            self._helper = None


def _start(git_dir: Path) -> process.Coprocess:
    """Start `git cat-file --batch` in a repository."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        return process.Coprocess(["git", f"--git-dir={git_dir}", "cat-file", "--batch"], env)
    except FileNotFoundError:
        raise RemoteError("the local SCM needs git, and git is not installed on the server") from None


_readers: OrderedDict[Path, BatchReader] = OrderedDict()
_readers_lock = threading.Lock()


def reader(git_dir: Path) -> BatchReader:
    """Return the batch reader of a repository, stopping the least recently used one beyond MAX_READERS."""
    with _readers_lock:
        found = _readers.get(git_dir)
        if found is None:
            found = _readers[git_dir] = BatchReader(git_dir)
        _readers.move_to_end(git_dir)
        evicted = [_readers.popitem(last=False)[1] for _ in range(len(_readers) - MAX_READERS)]
    for old in evicted:
        with old._lock:
            old.close()
    return found


def close_all() -> None:
    """Stop every batch process."""
    with _readers_lock:
        readers = list(_readers.values())
        _readers.clear()
    for old in readers:
        with old._lock:
            old.close()


def parse_commit(obj: GitObject) -> Commit:
    """Return a commit object's sha, author and message."""
    head, _, message = obj.data.partition(b"\n\n")
    author = next((line[len(b"author "):] for line in head.split(b"\n") if line.startswith(b"author ")), b"")
    name, _, rest = author.decode(errors="replace").partition(" <")
    email = rest.split(">", 1)[0]
    text = message.decode(errors="replace").rstrip("\n")
    return Commit(sha=obj.sha, message=text, author=name, author_name=name, author_email=email)


def tree_entries(obj: GitObject) -> dict[str, tuple[bytes, str]]:
    """Return a tree object's entries: name → (mode, object sha)."""
    oid_bytes, data, entries, at = len(obj.sha) // 2, obj.data, {}, 0
    while at < len(data):
        space = data.index(b" ", at)
        nul = data.index(b"\0", space)
        oid = data[nul + 1:nul + 1 + oid_bytes]
        entries[data[space + 1:nul].decode(errors="replace")] = (data[at:space], oid.hex())
        at = nul + 1 + oid_bytes
    return entries


def _is_tree(entry: tuple[bytes, str] | None) -> bool:
    """Tell whether a tree entry is a directory."""
    return entry is not None and entry[0] == TREE_MODE


def tree_files(obj: GitObject) -> list[str]:
    """Return the names of the files (blobs and symlinks, not trees or submodules) directly in a tree object."""
    return [name for name, (mode, _) in tree_entries(obj).items() if mode.startswith((b"10", b"12"))]


class TooManyPaths(Exception):
    """More paths changed than the caller wants listed."""


def changed_paths(source: BatchReader, before: str, after: str, limit: int) -> list[str]:
    """Return the paths that differ between two commits, sorted: those `git diff --name-only --no-renames` lists.

    Empty when either commit is unknown; TooManyPaths once more than `limit` are found.
    """
    old, new = source.read(f"{before}^{{tree}}"), source.read(f"{after}^{{tree}}")
    if old is None or new is None:
        return []
    found: list[str] = []
    _compare(source, old.sha, new.sha, "", found, limit)
    return sorted(found)


def _compare(source: BatchReader, old: str | None, new: str | None, prefix: str, found: list[str],
             limit: int) -> None:
    """Add the paths under `prefix` that differ between two trees (None: no tree on that side) to `found`."""
    before, after = _entries(source, old), _entries(source, new)
    for name in sorted(before.keys() | after.keys()):
        was, now = before.get(name), after.get(name)
        if was == now:
            continue
        if _is_tree(was) or _is_tree(now):
            _compare(source, was[1] if was and _is_tree(was) else None,
                     now[1] if now and _is_tree(now) else None, f"{prefix}{name}/", found, limit)
        if (was is not None and not _is_tree(was)) or (now is not None and not _is_tree(now)):
            found.append(prefix + name)
        if len(found) > limit:
            raise TooManyPaths(f"more than {limit} paths changed")


def _entries(source: BatchReader, sha: str | None) -> dict[str, tuple[bytes, str]]:
    """Return the entries of tree `sha` (none for None or a tree that cannot be read)."""
    tree = source.read(sha) if sha else None
    return tree_entries(tree) if tree is not None and tree.kind == "tree" else {}
