"""The shared input limits: nesting depth of decoded JSON and strict decoding."""
from __future__ import annotations

import json

import pytest

from circle.limits import MAX_DEPTH, TooDeep, decode_json, depth


def _nested(levels: int) -> str:
    """Return a JSON document of `levels` nested arrays."""
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("document, expected", [
    ("1", 0), ('"[[[["', 0), ("[]", 1), ("{}", 1), ("[[[]]]", 3), ('{"a": [1, {"b": []}]}', 4),
    ('[{"a": 1}, [[[2]]], "x"]', 4),
])
def test_depth_counts_the_deepest_branch(document, expected):
    """Scalars are 0; each array or object level adds one, on the deepest branch; strings never count."""
    assert depth(json.loads(document)) == expected


def test_a_wide_flat_batch_is_shallow():
    """A log batch of thousands of flat objects is depth 4, however wide."""
    batch = {"params": {"lines": [{"proc": "p", "pos": i, "out": "[{"} for i in range(10_000)]}}
    assert depth(batch) == 4


def test_decoding_stops_past_the_limit():
    """MAX_DEPTH levels decode; one more is TooDeep; far deeper (past Python's recursion) too."""
    assert depth(decode_json(_nested(MAX_DEPTH))) == MAX_DEPTH
    for levels in (MAX_DEPTH + 1, 5 * MAX_DEPTH, 50_000):
        with pytest.raises(TooDeep):
            decode_json(_nested(levels))
