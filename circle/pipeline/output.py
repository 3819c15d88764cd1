"""Step output: raw chunks in, masked, capped and numbered log lines out.

Nothing a step prints leaves the runtime without passing through `StepOutput`: chunks are split
into lines (a chunk boundary may fall anywhere, even inside a UTF-8 character or a secret), each
line is decoded, every secret value is replaced by `********`, a line longer than `LINE_LIMIT`
characters is cut, and once a step's output passed `max_output` characters one visible
`[output truncated]` line is emitted and the rest is read and dropped.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable

from circle.pipeline.types import MASK, LogLine

LINE_LIMIT = 1 << 20  # characters kept of one line
OUTPUT_LIMIT = 10 << 20  # characters kept of one step's output, by default
TRUNCATED = "[output truncated]"
LINE_TRUNCATED = " [line truncated]"


class Masker:
    """Replace secret values, and each line of multi-line values, with `********`."""

    def __init__(self, values: Iterable[str]) -> None:
        needles = {part.strip() for value in values for part in value.splitlines()}
        needles.discard("")
        self.longest = max(map(len, needles), default=0)
        ordered = sorted(needles, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def mask(self, text: str) -> str:
        """Return `text` with every secret replaced."""
        return self._pattern.sub(MASK, text) if self._pattern else text


class StepOutput:
    """Turn one step's output chunks into `LogLine`s passed to `emit`, in order."""

    def __init__(self, proc: str, masker: Masker, emit: Callable[[LogLine], None], *,
                 started: float | None = None, max_output: int = OUTPUT_LIMIT,
                 line_limit: int = LINE_LIMIT) -> None:
        self.proc = proc
        self.last_line = ""
        self._masker = masker
        self._emit = emit
        self._started = time.monotonic() if started is None else started
        self._max_output = max_output
        self._line_limit = line_limit
        # Bytes kept past the cut of an overlong line, so a secret across the cut is still masked.
        self._hold = line_limit + 4 * masker.longest + 4
        self._pending = b""
        self._discarding = False  # inside an overlong line, after its first `line_limit` chars
        self._pos = 0
        self._total = 0
        self._full = False

    def feed(self, chunk: bytes | str) -> None:
        """Take one chunk of raw output and emit the lines it completes."""
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8", "surrogateescape")
        if self._discarding:
            end = chunk.find(b"\n")
            if end < 0:
                return
            chunk = chunk[end + 1:]
            self._discarding = False
        lines = (self._pending + chunk).split(b"\n")
        self._pending = lines.pop()
        for raw in lines:
            self._line(raw)
        if len(self._pending) > self._hold:
            self._line(self._pending)
            self._pending = b""
            self._discarding = True

    def close(self) -> None:
        """Emit the last line when the output did not end with a newline."""
        if self._pending:
            self._line(self._pending)
        self._pending = b""

    def notice(self, text: str) -> None:
        """Emit a line written by circle itself (an error sentence), masked like any other."""
        self.close()
        for part in text.splitlines() or [""]:
            self._send(self._masker.mask(part))

    def _line(self, raw: bytes) -> None:
        if self._full:
            return
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        out = self._masker.mask(raw.decode("utf-8", "replace"))
        if len(out) > self._line_limit:
            out = out[:self._line_limit] + LINE_TRUNCATED
        self._total += len(out) + 1
        if self._total > self._max_output:
            self._full = True
            out = TRUNCATED
        self._send(out)

    def _send(self, out: str) -> None:
        self.last_line = out
        self._emit(LogLine(self.proc, self._pos, int(time.monotonic() - self._started), out))
        self._pos += 1
