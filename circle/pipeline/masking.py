"""Secret masking: every shape of a secret value a step may print becomes `********`.

The shapes of a value (its surrounding whitespace trimmed) are: the value itself; each line of a multi-line
value (trimmed), also printed alone; the value JSON-escaped (`json.dumps`, ASCII-only or not, `/` as is or as
`\\/`); percent-encoded (`quote`, `quote_plus`, `encodeURIComponent`'s unescaped set; hex digits in either
case); base64 in the standard and the URL-safe alphabet, padded or not, of the value, of the value and a newline
(`echo "$S" | base64`) and wrapped at 76 columns like `base64` writes it; and the value's part of any longer
base64 text (the three byte alignments, e.g. `user:password` in a Basic auth header), all but the one or two
characters it shares with its neighbours.

A value or line shorter than `MIN_LENGTH` characters would turn ordinary text into asterisks, so it is masked
only where it stands alone: as a whole word (no letter, digit or `_` right before or after it) when it holds
such a character, else (the `{` and `}` lines of a JSON key file) only as a whole line; the encodings of such a
value are not masked (they would show no more than the value itself).
Overlapping occurrences (two secrets sharing characters, a value overlapping itself) are masked as one span.
A needle is found through its anchor, the `MIN_LENGTH` characters that start at its rarest one (by how often
characters appear in build logs): one regex finds every anchor, so the scan skips quickly over ordinary text
whatever the number of needles, and each anchor found is checked against the needles it belongs to.
"""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from circle.pipeline.types import MASK, Config

NETRC_VARIABLES = ("CI_NETRC_PASSWORD", "DRONE_NETRC_PASSWORD")
UPLOAD_VARIABLE = "CIRCLE_UPLOAD_URL"
# Step variables masked like secrets: the clone credential and the step's own upload URL (its token alone too).
MASKED_VARIABLES = (*NETRC_VARIABLES, UPLOAD_VARIABLE)

MIN_LENGTH = 4  # shorter values and lines are masked only where they stand alone
_WORD = re.compile(r"\w")
_URLSAFE = str.maketrans("+/", "-_")
_PERCENT = re.compile("%[0-9A-F]{2}")
_WORD_END = r"(?!\w)"
_LINE_END = r"(?=[^\S\n]*(?:\n|\Z))"
# Printable ASCII, about the most frequent in build logs first; an anchor starts at the rarest character it can.
_COMMON = (" etaoinsrlcduhpm012f.g-/3b45y6w879:_v=,k()x[]'\"ESTARICONLDPMFUBGHjqzKWVYJQXZ;><+*#@$%!&?|{}~^`\\"
           "\t")


def shapes(value: str) -> set[str]:
    """Return every string that shows `value` in a log: its lines and its encodings."""
    text = value.strip()
    found = {line.strip() for line in value.split("\n")} - {""}
    if len(text) < MIN_LENGTH:
        return found
    b64 = {_base64_inside(text.encode(), shift) for shift in range(3)}
    for data in {text, value, text + "\n"}:
        b64 |= _base64_whole(data.encode())
    b64 |= {shape.translate(_URLSAFE) for shape in b64}
    escaped = {json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    escaped |= {shape.replace("/", "\\/") for shape in escaped}
    encoded = {quote(text, safe=""), quote_plus(text, safe=""), quote(text, safe="!'()*")}
    encoded |= {_PERCENT.sub(lambda hex_digits: hex_digits.group().lower(), shape) for shape in encoded}
    return found | b64 | escaped | encoded


def _base64_whole(data: bytes) -> set[str]:
    """Return the base64 of `data`: padded, unpadded and each line of it wrapped at 76 columns."""
    whole = base64.b64encode(data).decode()
    return {whole, whole.rstrip("="), *base64.encodebytes(data).decode().split()}


def _base64_inside(data: bytes, shift: int) -> str:
    """Return the characters base64 writes from `data` alone when `data` starts `shift` bytes into a group."""
    encoded = base64.b64encode(bytes(shift) + data).decode()
    first = -(-8 * shift // 6)  # the first character whose 6 bits all come from `data`
    return encoded[first:8 * (shift + len(data)) // 6]


class _Node:
    """One trie node: the characters that may follow and, at the end of a needle, its end condition."""

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.end: str | None = None


def _trie(needles: Iterable[str]) -> _Node:
    """Return the trie of the needles; a short one ends only before a word or line end."""
    root = _Node()
    for needle in needles:
        node = root
        for char in needle:
            node = node.children.setdefault(char, _Node())
        if len(needle) >= MIN_LENGTH:
            node.end = ""
        else:
            node.end = _WORD_END if _WORD.search(needle) else _LINE_END
    return root


def _regex(node: _Node) -> str:
    """Return the regex of the needles below `node`, longest first."""
    run = []
    while node.end is None and len(node.children) == 1:  # a chain of single characters needs no group
        char, node = next(iter(node.children.items()))
        run.append(re.escape(char))
    branches = [re.escape(char) + _regex(child) for char, child in sorted(node.children.items())]
    if node.end is not None:
        if not branches:
            return "".join(run) + node.end
        branches.append(node.end)  # tried last: a longer needle wins
    if len(branches) == 1:
        return "".join(run) + branches[0]
    return "".join(run) + "(?:" + "|".join(branches) + ")"


def _anchor(needle: str) -> int:
    """Return where the `MIN_LENGTH` characters that find `needle` start: at its rarest character."""
    starts = range(len(needle) - MIN_LENGTH + 1)
    return max(starts, key=lambda i: _COMMON.find(needle[i]) % (len(_COMMON) + 1))


class Masker:
    """Replace every shape of the secret values with `********` (see the module docstring)."""

    def __init__(self, values: Iterable[str]) -> None:
        needles = set().union(*map(shapes, values))
        self.longest = max(map(len, needles), default=0)
        # A long needle is found by its anchor, so the scan stops only at rare characters; a short one by a regex.
        self._by_anchor: dict[str, list[tuple[int, str]]] = {}
        for needle in (n for n in needles if len(n) >= MIN_LENGTH):
            start = _anchor(needle)
            self._by_anchor.setdefault(needle[start:start + MIN_LENGTH], []).append((start, needle))
        # Each branch takes one character and looks ahead for the rest, so overlapping anchors are all found.
        root = _trie(self._by_anchor)
        self._anchors = re.compile("|".join(re.escape(char) + f"(?={_regex(child)})"
                                            for char, child in sorted(root.children.items())))
        self._short = {n: _WORD.search(n) is not None for n in needles if len(n) < MIN_LENGTH}
        self._short_pattern = re.compile(_regex(_trie(self._short)))

    def mask(self, text: str, final: bool = True) -> str:
        """Return `text` masked; unless `final` (more of its line follows), without the tail a secret may enter."""
        limit = len(text) if final else max(0, len(text) - self.longest)
        pieces: list[str] = []
        pos = 0
        for start, end in self._spans(text):
            if start >= limit:
                break
            if pieces and start <= pos:  # overlaps or touches the span masked last: one mask for both
                pos = max(pos, end)
                continue
            pieces += (text[pos:start], MASK)
            pos = end
        if not pieces:
            return text[:limit]
        pieces.append(text[pos:limit])
        return "".join(pieces)

    def _spans(self, text: str) -> list[tuple[int, int]]:
        """Return the (start, end) of every needle occurrence by start, overlapping ones included."""
        spans = []
        if self._by_anchor:
            by_anchor = self._by_anchor
            for match in self._anchors.finditer(text):
                at = match.start()
                for offset, needle in by_anchor[text[at:at + MIN_LENGTH]]:
                    start = at - offset
                    if start >= 0 and text.startswith(needle, start):
                        spans.append((start, start + len(needle)))
        if self._short:
            search = self._short_pattern.search
            found = search(text)
            while found:
                start = found.start()
                if self._alone(text, start, self._short[found.group()]):
                    spans.append(found.span())
                found = search(text, start + 1)
        spans.sort()
        return spans

    @staticmethod
    def _alone(text: str, start: int, word: bool) -> bool:
        """Return whether a short needle at `start` begins a word (`word`) or, after blanks only, a line."""
        if word:
            return start == 0 or not _WORD.match(text, start - 1)
        return not text[text.rfind("\n", 0, start) + 1:start].strip()


def secret_values(config: Config) -> list[str]:
    """Return every value to mask: masked secrets, netrc passwords and upload URLs given to steps."""
    values = [s.value for s in config.secrets if s.mask and s.value]
    values += [step.environment[n] for step in config.steps() for n in MASKED_VARIABLES
               if step.environment.get(n)]
    values += [step.environment[UPLOAD_VARIABLE].rsplit("/", 1)[-1] for step in config.steps()
               if step.environment.get(UPLOAD_VARIABLE)]
    return values
