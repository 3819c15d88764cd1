"""What the server accepts from outside, shared by every layer: the stored integer range and strict JSON.

Every id, number, count and time is stored in an SQL INTEGER column, which holds 32-bit signed values on
PostgreSQL and MySQL; an input integer outside [INT_MIN, INT_MAX] is refused as invalid before any query.
`decode_json` refuses NaN, Infinity, out-of-range floats and documents nested deeper than MAX_DEPTH.
Only the standard library: the agent imports this too.
"""
from __future__ import annotations

import json
import math
from typing import Any

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
MAX_DEPTH = 64
# The newest builds a log search looks through by default and at most, and the matches it answers at most.
SEARCH_BUILDS, MAX_SEARCH_BUILDS = 20, 100
SEARCH_MATCHES, MAX_SEARCH_MATCHES = 100, 1000


class TooDeep(ValueError):
    """A JSON document nests arrays and objects deeper than MAX_DEPTH."""

    def __init__(self) -> None:
        super().__init__(f"the JSON nests deeper than {MAX_DEPTH} levels")


def _finite(text: str) -> float:
    """Return a JSON number as a float; refuse one too large to be finite."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:32]} is out of range")
    return value


def _constant(name: str) -> Any:
    """Refuse the non-JSON constants NaN, Infinity and -Infinity that Python's decoder would accept."""
    raise ValueError(f"{name} is not JSON")


def depth(value: Any) -> int:
    """Return how deep arrays and objects nest in a decoded document (0 for a scalar; MAX_DEPTH + 1 at most).

    Level by level, without recursion: a log batch of thousands of flat objects is walked in C-speed list
    operations, not one Python step per value.
    """
    level, current = 0, [value]
    while True:
        current = [item for item in current if type(item) is dict or type(item) is list]
        if not current or level > MAX_DEPTH:
            return level
        level += 1
        children: list[Any] = []
        for item in current:
            children.extend(item.values() if type(item) is dict else item)
        current = children


def decode_json(raw: bytes | str) -> Any:
    """Parse strict JSON; raise ValueError when malformed, TooDeep when nested deeper than MAX_DEPTH."""
    try:
        value = json.loads(raw, parse_float=_finite, parse_constant=_constant)
    except RecursionError:
        raise TooDeep() from None
    if depth(value) > MAX_DEPTH:
        raise TooDeep()
    return value
