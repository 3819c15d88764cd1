"""The logs of a whole build as one zip, written while it is sent: one file per step, `workflow/step.log`."""
from __future__ import annotations

import zipfile
from typing import Callable, Iterable, Iterator

from circle.models import Proc
from circle.store.logbatch import Line

Pages = Callable[[int], Iterable[list[Line]]]


class _Sink:
    """A write-only, unseekable file that keeps what zipfile writes until it is taken."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        """Keep `data`."""
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the bytes wait for `take`."""

    def close(self) -> None:
        """Nothing to close: the bytes wait for `take`."""

    def take(self) -> bytes:
        """Return and forget what was written since the last call."""
        data, self._parts = b"".join(self._parts), []
        return data


def _clean(name: str) -> str:
    """Return a proc name usable as one part of a path inside the zip."""
    cleaned = name.replace("/", "_").replace("\\", "_").strip().lstrip(".")
    return cleaned or "unnamed"


def entry_names(procs: list[Proc]) -> list[tuple[Proc, str]]:
    """Return each step with its file name in the zip, `workflow/step.log`, unique (a pid is added when needed)."""
    workflows = {proc.pid: _clean(proc.name) for proc in procs if not proc.ppid}
    named: list[tuple[Proc, str]] = []
    taken: set[str] = set()
    for proc in procs:
        if not proc.ppid:
            continue
        folder = workflows.get(proc.ppid, str(proc.ppid))
        name = f"{folder}/{_clean(proc.name)}.log"
        if name in taken:
            name = f"{folder}/{_clean(proc.name)}-{proc.pid}.log"
        taken.add(name)
        named.append((proc, name))
    return named


def stream_zip(entries: list[tuple[int, str]], pages: Pages) -> Iterator[bytes]:
    """Yield a zip of the logs of `entries` ((proc id, file name) pairs), one page of lines at a time."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for proc_id, name in entries:
            with archive.open(name, mode="w", force_zip64=True) as member:
                for page in pages(proc_id):
                    member.write("".join(f"{out}\n" for _, _, out in page).encode("utf-8", "replace"))
                    yield sink.take()
            yield sink.take()
    yield sink.take()
