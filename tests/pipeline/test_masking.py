"""Every shape of a secret is masked, short values only where they stand alone (circle.pipeline.masking)."""
from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote, quote_plus

import pytest

from circle.pipeline.masking import Masker
from circle.pipeline.types import MASK

TOKEN = 'Tk-9f"3\\q/p+w=%&é ¿7Zx'
PEM = ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nZg==\n"
       "-----END PRIVATE KEY-----\n")


def printed(value: str) -> list[str]:
    """Return the ways a step commonly prints `value`, computed here with the standard library."""
    data = value.encode()
    return [value, json.dumps(value), json.dumps(value, ensure_ascii=False), json.dumps({"v": value}),
            json.dumps(value).replace("/", "\\/"), quote(value, safe=""), quote_plus(value, safe=""),
            quote(value, safe="!'()*"), re.sub("%..", lambda m: m.group().lower(), quote(value, safe="")),
            base64.b64encode(data).decode(), base64.b64encode(data).decode().rstrip("="),
            base64.urlsafe_b64encode(data).decode(), base64.b64encode(data + b"\n").decode()]


@pytest.mark.parametrize("shown", printed(TOKEN))
def test_every_encoding_of_a_value_is_masked(shown):
    out = Masker([TOKEN]).mask(f"before {shown} after")
    assert out.startswith("before ") and out.endswith(" after") and MASK in out
    left = out[len("before "):-len(" after")].replace(MASK, "")
    assert len(left) <= len('{"v": ""}'), left


@pytest.mark.parametrize("prefix", ["", "u", "us", "use"])
def test_a_value_inside_longer_base64_is_masked_at_every_alignment(prefix):
    header = base64.b64encode(f"{prefix}:{TOKEN}:tail".encode()).decode()
    out = Masker([TOKEN]).mask(f"Authorization: Basic {header}")
    assert MASK in out
    shown = out.split("Basic ")[1].split(MASK)
    assert len(shown) == 2 and len(shown[0]) + len(shown[1]) <= len(header) - 4 * len(TOKEN.encode()) // 3 + 4


def test_base64_wrapped_at_76_columns_is_masked_line_by_line():
    value = "long-secret-" * 10
    wrapped = base64.encodebytes(value.encode()).decode().splitlines()
    assert len(wrapped) > 1
    out = Masker([value]).mask("\n".join(wrapped)).split("\n")
    assert out == [MASK] * len(wrapped)


def test_every_line_of_a_multiline_value_is_masked_also_alone():
    masker = Masker([PEM])
    assert masker.mask(PEM.rstrip("\n")) == "\n".join([MASK] * 5)
    for line in PEM.splitlines():
        assert masker.mask(f"  {line}  ") == f"  {MASK}  "
    assert masker.mask(json.dumps(PEM)) == f'"{MASK}\\n"'


def test_regex_metacharacters_are_literal():
    value = r"a.b*c+(d)|[e]^$\1{2}?"
    masker = Masker([value])
    assert masker.mask(f"x{value}y") == f"x{MASK}y"
    assert masker.mask("aXbbbc+dd|e") == "aXbbbc+dd|e"


def test_the_longest_secret_wins_over_its_prefix():
    assert Masker(["abcd", "abcdef"]).mask("xabcdefx abcd") == f"x{MASK}x {MASK}"


def test_overlapping_secrets_are_masked_as_one_span():
    masker = Masker(["foo-bar-1", "bar-1-baz", "abab-ab"])
    assert masker.mask("x foo-bar-1-baz y") == f"x {MASK} y"
    assert masker.mask("abab-abab-ab!") == f"{MASK}!"


def test_a_needle_is_found_when_its_anchor_overlaps_another_ones():
    # "Qbbb" (the anchor of the first value, at its rarest character) shows up without the value, and
    # the anchor "bbbb" of the second starts inside it.
    assert Masker(["aaaaQbbb", "bbbbeeee"]).mask("Qbbbbeeee aaaaQbbb") == f"Q{MASK} {MASK}"


def test_short_values_are_masked_only_as_whole_words():
    masker = Masker(["ab", "7"])
    text = "ab, abc cab 7 17 x7 7.5 ab"
    assert masker.mask(text) == f"{MASK}, abc cab {MASK} 17 x7 {MASK}.5 {MASK}"
    assert Masker(["abcd"]).mask("xabcdx") == f"x{MASK}x"
    prose = "a log line with an x, a y and 1 or 2 numbers"
    assert Masker(["a", "x", "1"]).mask(prose) == f"{MASK} log line with an {MASK}, {MASK} y and {MASK} or 2 numbers"


def test_short_lines_without_letters_are_masked_only_as_whole_lines():
    key = '{\n  "type": "service_account",\n  "private_key_id": "0123abcd"\n}\n'
    masker = Masker([key])
    assert masker.mask("if (x) {\n  y = {}\n}") == "if (x) {\n  y = {}\n" + MASK
    assert [line.strip() for line in masker.mask(key).splitlines()] == [MASK] * 4


def test_the_encodings_of_a_short_value_are_not_masked():
    assert Masker(["é", "ab"]).mask('caf\\u00e9 w6k= YWI= é') == f'caf\\u00e9 w6k= YWI= {MASK}'


def test_an_unfinished_text_leaves_out_the_tail_a_secret_may_still_enter():
    masker = Masker(["secret-value"])  # its longest shape is a base64 one
    assert masker.mask("x" * 40 + "secret-va", final=False) == "x" * (49 - masker.longest)
    assert masker.mask("secret-value" + "y" * 40, final=False) == MASK + "y" * (52 - masker.longest - 12)
    assert masker.mask("x" * 40 + "secret-va") == "x" * 40 + "secret-va"


def test_blank_and_empty_values_mask_nothing():
    masker = Masker(["", "  \n", "\n"])
    assert masker.longest == 0 and masker.mask("some text", final=False) == "some text"
