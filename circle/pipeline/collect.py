"""Find the files a step's `reports:` and `artifacts:` globs name in a workspace directory on this host.

Globs are relative to the workspace (`**` spans directories). Only regular files whose real path stays
inside the workspace are taken (a symlink out of it is skipped), each file once, at most `max_bytes` each:
every glob that matches nothing and every file too big becomes one warning sentence for the step's log.
"""
from __future__ import annotations

import fnmatch
import glob
import io
import os
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field

# The largest file a step hands over; the agent protocol's `upload` takes files up to this (rpc.protocol).
MAX_FILE = 48 * 1024 * 1024


@dataclass
class Collected:
    """One file to upload: its path relative to the workspace, its bytes, and whether it is a test report."""

    name: str
    data: bytes
    report: bool = False


@dataclass
class Collection:
    """What a step's globs found, and the warning lines for what they did not."""

    files: list[Collected] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _matches(root: str, pattern: str) -> list[str]:
    """Return the regular files under `root` matching `pattern`, as sorted relative paths inside `root`."""
    if not root or not os.path.isdir(root):
        return []
    real_root = os.path.realpath(root)
    found = []
    for name in glob.glob(pattern, root_dir=root, recursive=True):
        real = os.path.realpath(os.path.join(root, name))
        if os.path.commonpath([real, real_root]) == real_root and os.path.isfile(real):
            found.append(os.path.normpath(name))
    return sorted(found)


def collect(root: str, reports: list[str], artifacts: list[str], max_bytes: int) -> Collection:
    """Read the files the globs match under `root`: reports first, then artifacts not already taken."""
    out = Collection()
    taken: set[str] = set()
    for pattern, report in [(p, True) for p in reports] + [(p, False) for p in artifacts]:
        kind = "reports" if report else "artifacts"
        names = _matches(root, pattern)
        if not names:
            out.warnings.append(f"warning: `{kind}: {pattern}` matched no file in the workspace")
        for name in names:
            if name in taken:
                continue
            taken.add(name)
            path = os.path.join(root, name)
            try:
                size = os.path.getsize(path)
                if size > max_bytes:
                    out.warnings.append(f"warning: {name} is not uploaded: its {size} bytes are over the "
                                        f"{max_bytes} byte limit for one file")
                    continue
                with open(path, "rb") as handle:
                    out.files.append(Collected(name=name, data=handle.read(max_bytes + 1), report=report))
            except OSError as err:
                out.warnings.append(f"warning: {name} is not uploaded: {err.strerror or err}")
    return out


class _Chunks(io.RawIOBase):
    """A readable file over an iterator of byte chunks (a docker archive stream)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._rest = b""

    def readable(self) -> bool:
        """Say that it reads."""
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Fill `buffer` from the chunks; 0 at their end."""
        while not self._rest:
            self._rest = next(self._chunks, b"")
            if not self._rest:
                return 0
        size = min(len(buffer), len(self._rest))
        buffer[:size], self._rest = self._rest[:size], self._rest[size:]
        return size


def _wanted(name: str, patterns: list[str]) -> bool:
    """Tell whether a path may match one of the globs (a superset: `collect` applies them exactly)."""
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(name, p.replace("**/", "")) for p in patterns)


def unpack(chunks: Iterable[bytes], root: str, patterns: list[str], max_bytes: int) -> None:
    """Write the regular files of a tar stream of the workspace directory that the globs may match under `root`.

    The stream's first path component (the directory archived) is dropped; links and special files are left
    out; a file over `max_bytes` is written as a sparse file of its size, so `collect` warns about it unread.
    """
    with tarfile.open(fileobj=io.BufferedReader(_Chunks(chunks)), mode="r|") as archive:
        for member in archive:
            full = os.path.normpath(member.name)
            name = full.partition("/")[2]
            if not member.isreg() or full.startswith(("..", "/")) or not name or not _wanted(name, patterns):
                continue
            path = os.path.join(root, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as out:
                if member.size > max_bytes:
                    out.truncate(member.size)
                    continue
                source = archive.extractfile(member)
                if source is not None:
                    out.write(source.read())
