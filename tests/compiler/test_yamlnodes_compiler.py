"""The YAML loader keeps positions, resolves anchors and merge keys, and turns every bad input into YamlError."""
from __future__ import annotations

import pytest

from circle.compiler.yamlnodes import MAX_DEPTH, Mapping, Scalar, Sequence, YamlError, load, resolve


def test_positions_are_one_based_line_and_column() -> None:
    [root] = load("a:\n  b: [x, 'y']\n")
    assert isinstance(root, Mapping) and (root.line, root.col) == (1, 1)
    inner = root.get("a")
    assert isinstance(inner, Mapping) and (inner.line, inner.col) == (2, 3)
    seq = inner.get("b")
    assert isinstance(seq, Sequence)
    assert [(i.line, i.col) for i in seq.items] == [(2, 7), (2, 10)]


def test_scalars_keep_their_text_and_know_if_they_were_quoted() -> None:
    [root] = load("a: 1.10\nb: '1.10'\nc: yes\nd: ~\ne: 0x1f\nf: .inf\n")
    assert isinstance(root, Mapping)
    assert root.plain() == {"a": 1.1, "b": "1.10", "c": True, "d": None, "e": 31, "f": float("inf")}
    a = root.get("a")
    assert isinstance(a, Scalar) and a.text == "1.10" and a.implicit
    assert resolve("0755") == 493 and resolve("08") == "08" and resolve("a") == "a"


def test_merge_keys_explicit_keys_win_and_lists_splice() -> None:
    text = ("base: &base {image: a, pull: true}\nlist: &cmds [one, two]\n"
            "step:\n  pull: false\n  <<: *base\n  commands:\n    - <<: *cmds\n    - three\n"
            "multi:\n  <<: [*base, {x: 1}]\n")
    [root] = load(text)
    assert isinstance(root, Mapping)
    data = root.plain()
    assert data["step"] == {"pull": False, "image": "a", "commands": ["one", "two", "three"]}
    assert data["multi"] == {"image": "a", "pull": True, "x": 1}


def test_duplicate_keys_are_kept_for_the_front_end() -> None:
    [root] = load("a: 1\na: 2\n")
    assert isinstance(root, Mapping) and len(root.pairs) == 2 and root.plain() == {"a": 2}


def test_several_documents_and_an_empty_one() -> None:
    assert load("") == []
    assert len(load("a: 1\n---\nb: 2\n")) == 2


@pytest.mark.parametrize("text, where, fragment", [
    ("a: [1, 2\n", (2, 1), "not valid YAML"),
    ("a: *missing\n", (1, 4), "no anchor &missing"),
    ("a: &x [1, *x]\n", (1, 11), "contains it"),
    ("a: \x07\n", (1, 4), "control characters"),
    ("<<: 1\n", (1, 5), "`<<` merges a mapping"),
    ("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5), (1, MAX_DEPTH + 1), "nesting deeper"),
    ("- " * (MAX_DEPTH + 5) + "x\n", (1, 2 * MAX_DEPTH + 1), "nesting deeper"),
    ("\ud800", (1, 1), "cannot read the file"),
])
def test_bad_input_is_a_positioned_error(text: str, where: tuple[int, int], fragment: str) -> None:
    with pytest.raises(YamlError) as raised:
        load(text)
    assert (raised.value.line, raised.value.col) == where
    assert fragment in raised.value.message


def test_alias_bombs_are_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 7)]
    with pytest.raises(YamlError) as raised:
        load("\n".join(lines))
    assert "expands to more than" in raised.value.message


def test_the_pure_python_parser_gives_the_same_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "a: &x {b: [1, 'two', ~]}\nc:\n  <<: *x\n  d: |\n    text\n"
    with_c = load(text)[0].plain()
    monkeypatch.setattr("circle.compiler.yamlnodes.CBaseLoader", None)
    [root] = load(text)
    assert root.plain() == with_c and (root.line, root.col) == (1, 1)
    with pytest.raises(YamlError):
        load("a: [")
