"""Step output: raw chunks in, masked, capped and numbered log lines out.

Nothing a step prints leaves the runtime without passing through `StepOutput`: chunks are decoded
(a chunk boundary may fall anywhere, even inside a UTF-8 character or a secret), the complete lines
they hold are masked together (circle.pipeline.masking), a line longer than `LINE_LIMIT` characters
is cut, and once a step's output passed `max_output` characters one visible `[output truncated]`
line is emitted and the rest is read and dropped. Only whole lines are masked, and the cut of an
overlong line leaves out its last characters a secret could still begin in, so no boundary lets
part of a secret through.
"""
from __future__ import annotations

import codecs
import time
from collections.abc import Callable

from circle.pipeline.masking import Masker
from circle.pipeline.types import LogLine

LINE_LIMIT = 1 << 20  # characters kept of one line
OUTPUT_LIMIT = 10 << 20  # characters kept of one step's output, by default
TRUNCATED = "[output truncated]"
LINE_TRUNCATED = " [line truncated]"


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
        # Characters kept of an unfinished line before it is cut, so a secret across the cut is still masked.
        self._hold = line_limit + masker.longest
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""
        self._discarding = False  # inside an overlong line, after its cut
        self._pos = 0
        self._total = 0
        self._full = False

    def feed(self, chunk: bytes | str) -> None:
        """Take one chunk of raw output and emit the lines it completes."""
        if self._full:  # past the cap: read and dropped, not even decoded
            return
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8", "surrogateescape")
        self._take(self._decoder.decode(chunk))

    def close(self) -> None:
        """Emit the last line when the output did not end with a newline."""
        self._take(self._decoder.decode(b"", final=True))
        if self._pending:
            self._lines(self._masker.mask(self._pending))
        self._pending = ""
        self._discarding = False

    def notice(self, text: str) -> None:
        """Emit a line written by circle itself (an error sentence), masked like any other."""
        self.close()
        for part in self._masker.mask(text).splitlines() or [""]:
            self._send(part)

    def _take(self, text: str) -> None:
        """Add decoded output: mask and emit the lines it completes, cut an unfinished line grown too long."""
        if self._discarding:
            end = text.find("\n")
            if end < 0:
                return
            text, self._discarding = text[end + 1:], False
        end = text.rfind("\n")
        if end >= 0:
            self._lines(self._masker.mask(self._pending + text[:end]))
            self._pending = text[end + 1:]
        else:
            self._pending += text
        if len(self._pending) > self._hold:
            self._emit_line(self._masker.mask(self._pending, final=False)[:self._line_limit] + LINE_TRUNCATED)
            self._pending, self._discarding = "", True

    def _lines(self, masked: str) -> None:
        for line in masked.split("\n"):
            if line.endswith("\r"):
                line = line[:-1]
            if len(line) > self._line_limit:
                line = line[:self._line_limit] + LINE_TRUNCATED
            self._emit_line(line)

    def _emit_line(self, out: str) -> None:
        if self._full:
            return
        self._total += len(out) + 1
        if self._total > self._max_output:
            self._full = True
            out = TRUNCATED
        self._send(out)

    def _send(self, out: str) -> None:
        self.last_line = out
        self._emit(LogLine(self.proc, self._pos, int(time.monotonic() - self._started), out))
        self._pos += 1
