"""Line splitting, masking and capping of step output (circle.pipeline.output)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from circle.pipeline.masking import Masker
from circle.pipeline.output import LINE_TRUNCATED, TRUNCATED, StepOutput
from circle.pipeline.types import MASK, LogLine


def collect(masker: Masker, chunks: list[bytes | str], **options: int) -> list[LogLine]:
    lines: list[LogLine] = []
    output = StepOutput("step", masker, lines.append, **options)
    for chunk in chunks:
        output.feed(chunk)
    output.close()
    return lines


def cut(data: bytes, points: list[int]) -> list[bytes]:
    """Split `data` at the given offsets."""
    edges = sorted({0, len(data), *(p % (len(data) + 1) for p in points)})
    return [data[a:b] for a, b in zip(edges, edges[1:])]


TEXT = "héllo wörld\nplain line\r\nsecret=hunter2-xyz in the middle\nmulti-A\nmulti-B\nlast without newline"
SECRETS = ["hunter2-xyz", "multi-A\nmulti-B"]


@given(st.lists(st.integers(min_value=0, max_value=200), max_size=12))
def test_chunk_boundaries_never_change_the_lines(points):
    lines = collect(Masker(SECRETS), cut(TEXT.encode(), points))
    assert [line.out for line in lines] == [
        "héllo wörld", "plain line", f"secret={MASK} in the middle", MASK, MASK, "last without newline"]
    assert [line.pos for line in lines] == list(range(6))
    assert {line.proc for line in lines} == {"step"}


def test_str_chunks_and_invalid_utf8_are_accepted():
    lines = collect(Masker([]), ["from a str\n", b"bad \xff byte\n"])
    assert [line.out for line in lines] == ["from a str", "bad \ufffd byte"]


def test_an_overlong_line_is_cut_with_a_marker_and_the_rest_dropped():
    data = [b"x" * 700, b"y" * 700, b"z" * 700, b"\nnext\n"]
    lines = collect(Masker([]), data, line_limit=1000)
    assert [len(line.out) for line in lines] == [1000 + len(LINE_TRUNCATED), 4]
    assert lines[0].out.endswith(LINE_TRUNCATED) and lines[1].out == "next"


def test_a_secret_across_the_line_cut_is_still_masked():
    secret = "S" * 10 + "T" * 10
    data = b"a" * 995 + secret.encode() + b"b" * 3000 + b"\n"
    for chunks in ([data], cut(data, [500, 1000, 1005, 1010])):
        out = collect(Masker([secret]), chunks, line_limit=1000)[0].out
        assert "SSSSS" not in out and "TTTTT" not in out
        assert out.startswith("a" * 995 + "*****")


def test_total_output_over_the_cap_ends_with_one_marker():
    lines = collect(Masker([]), [f"line {i}\n".encode() for i in range(100)], max_output=100)
    texts = [line.out for line in lines]
    assert texts[-1] == TRUNCATED and texts.count(TRUNCATED) == 1
    assert sum(len(t) + 1 for t in texts[:-1]) <= 100
    assert [line.pos for line in lines] == list(range(len(lines)))


def test_notice_lines_are_masked_and_numbered_after_the_output():
    lines: list[LogLine] = []
    output = StepOutput("step", Masker(["pw-123"]), lines.append)
    output.feed(b"partial")
    output.notice("cannot pull with password pw-123")
    assert [(line.pos, line.out) for line in lines] == [(0, "partial"), (1, f"cannot pull with password {MASK}")]
    assert output.last_line == f"cannot pull with password {MASK}"


SPLIT_SECRETS = ["tok-Zq7!Kp2#Lm4", "-----BEGIN KEY-----\nline-one-of-key\nline-two-of-key\n-----END KEY-----"]
SPLIT_TEXT = ("start\ntoken tok-Zq7!Kp2#Lm4 and é\n-----BEGIN KEY-----\nline-one-of-key\r\n  line-two-of-key\n"
              '{"k": "tok-Zq7!Kp2#Lm4"} dG9rLVpxNyFLcDIjTG00 tok-Zq7%21Kp2%23Lm4\nend tok-Zq7!Kp2#Lm4')


PIECES = {part[i:i + 5] for value in SPLIT_SECRETS for part in value.splitlines()
          for i in range(len(part) - 4)} - {"-----"}
MASKER = Masker(SPLIT_SECRETS)


def leaked(lines: list[LogLine]) -> list[str]:
    """Return the secret pieces (any 5 characters of a secret line) found in the lines."""
    return sorted(piece for piece in PIECES for line in lines if piece in line.out)


def test_a_secret_split_between_two_reads_at_any_offset_is_masked():
    data = SPLIT_TEXT.encode()
    whole = [line.out for line in collect(Masker(SPLIT_SECRETS), [data])]
    assert whole == ["start", f"token {MASK} and é", MASK, MASK, f"  {MASK}", f'{{"k": "{MASK}"}} {MASK} {MASK}',
                     f"end {MASK}"]
    for offset in range(len(data) + 1):
        lines = collect(MASKER, [data[:offset], data[offset:]])
        assert [line.out for line in lines] == whole, offset


@pytest.mark.parametrize("char", ["a", "é", "€", "😀"])
def test_a_secret_at_the_cut_of_an_overlong_line_never_leaks_at_any_offset(char):
    secret = SPLIT_SECRETS[0]
    for before in range(40, 80):
        data = (char * before + secret + char * 200 + "\nnext\n").encode()
        for offset in range(len(data) + 1):
            lines = collect(MASKER, [data[:offset], data[offset:]], line_limit=64)
            assert not leaked(lines), (before, offset, lines[0].out)
            assert lines[0].out.endswith(LINE_TRUNCATED) and lines[-1].out == "next"


def test_an_overlong_line_of_secrets_never_ends_in_part_of_one():
    secret = SPLIT_SECRETS[0]
    data = (secret * 100).encode()
    for offset in range(0, len(data), 7):
        lines = collect(MASKER, [data[:offset], data[offset:]], line_limit=100)
        assert not leaked(lines), (offset, lines)
        assert lines[0].out.endswith(LINE_TRUNCATED)


SECRET_CHARS = "QZXJ#@é€😀%+/"  # none in the filler: five of them in a row can only come from a secret
secret_lines = st.lists(st.text(SECRET_CHARS, min_size=5, max_size=12), min_size=1, max_size=3)
filler_or_secret = st.one_of(st.text("ab ", max_size=40), st.just("\n"), st.integers(min_value=0, max_value=20))


@given(st.lists(secret_lines, min_size=1, max_size=3), st.lists(filler_or_secret, max_size=20),
       st.lists(st.integers(min_value=0, max_value=2000), max_size=6), st.integers(min_value=8, max_value=40))
def test_no_five_characters_of_a_secret_pass_any_boundary(values, pieces, points, line_limit):
    secrets = ["\n".join(lines) for lines in values]
    printed = secrets + [line for lines in values for line in lines]  # whole values and lines alone
    text = "".join(p if isinstance(p, str) else printed[p % len(printed)] for p in pieces)
    lines = collect(Masker(secrets), cut(text.encode(), points), line_limit=line_limit)
    windows = {line[i:i + 5] for lines_ in values for line in lines_ for i in range(len(line) - 4)}
    assert [w for w in windows for line in lines if w in line.out] == []
