"""Webhook bodies are decoded strictly: malformed, non-standard or too deeply nested JSON is a 400, never a crash."""
from __future__ import annotations

import pytest

from circle.errors import InvalidInput
from circle.limits import MAX_DEPTH
from circle.remote.payload import load_json


@pytest.mark.parametrize("body, words", [
    (b"{", "not valid JSON"), (b"\xff", "not valid JSON"), (b'{"a": NaN}', "NaN is not JSON"),
    (b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", f"deeper than {MAX_DEPTH} levels"),
    (b"[]", "not an object"),
])
def test_bad_hook_bodies_are_invalid_input(body: bytes, words: str):
    with pytest.raises(InvalidInput) as caught:
        load_json(body, "GitHub")
    assert caught.value.http_status == 400 and words in str(caught.value)


def test_a_hook_body_object_is_decoded():
    assert load_json(b'{"ref": "refs/heads/main", "n": 1.5}', "GitHub") == {"ref": "refs/heads/main", "n": 1.5}
