"""${VAR} substitution: the operators Drone's envsubst offers, `$$` escapes, and clear errors."""
from __future__ import annotations

import pytest

from circle.compiler.substitute import SubstitutionError, TreeSubstituter, expand, references
from circle.compiler.yamlnodes import Mapping, load

ENV = {"REF": "refs/heads/feature/x", "NAME": "Circle", "EMPTY": ""}


@pytest.mark.parametrize("text, expected", [
    ("${NAME}", "Circle"),
    ("${MISSING}", ""),
    ("${MISSING=dflt} ${EMPTY=dflt} ${EMPTY:=dflt} ${EMPTY-d} ${EMPTY:-d}", "dflt  dflt  d"),
    ("${REF##*/}", "x"),
    ("${REF#*/}", "heads/feature/x"),
    ("${REF%%/*}", "refs"),
    ("${REF%/*}", "refs/heads/feature"),
    ("${REF/heads/tags}", "refs/tags/feature/x"),
    ("${REF//e/E}", "rEfs/hEads/fEaturE/x"),
    ("${NAME^^} ${NAME,,} ${NAME,} ${#NAME}", "CIRCLE circle circle 6"),
    ("${NAME:1} ${NAME:0:3} ${NAME:-x}", "ircle Cir Circle"),
    ("$${NAME} $$ $HOME cost: 5$", "${NAME} $ $HOME cost: 5$"),
    ("${MISSING:-${NAME}}", "Circle"),
])
def test_expand(text: str, expected: str) -> None:
    assert expand(text, ENV) == expected


def test_keep_unknown_leaves_unknown_variables_for_the_linter() -> None:
    assert expand("${NAME} ${OTHER##*/}", ENV, keep_unknown=True) == "Circle ${OTHER##*/}"


@pytest.mark.parametrize("text, fragment", [
    ("echo ${", "never closed"),
    ("${1}", "does not start with a variable name"),
    ("${arr[@]}", "unsupported substitution"),
    ("${NAME:x}", "not a substring range"),
])
def test_errors_suggest_escaping(text: str, fragment: str) -> None:
    with pytest.raises(SubstitutionError) as raised:
        expand("ab " + text, ENV)
    assert fragment in str(raised.value) and raised.value.offset == ("ab " + text).index("${")


def test_tree_substitution_keeps_positions_and_shares_untouched_nodes() -> None:
    [root] = load("a: ${NAME}\nb: [plain]\n${NAME}: 1\n")
    assert isinstance(root, Mapping)
    done = TreeSubstituter(ENV).apply(root)
    assert isinstance(done, Mapping)
    assert done.plain() == {"a": "Circle", "b": ["plain"], "Circle": 1}
    assert done.get("b") is root.get("b")
    assert (done.get("a").line, done.get("a").col) == (1, 4)  # type: ignore[union-attr]


def test_axes_that_agree_on_what_a_node_reads_share_it() -> None:
    [root] = load("x: ${A}\ny: ${B}\n")
    assert isinstance(root, Mapping)
    refs, memo = references(root), {}
    first = TreeSubstituter({"A": "1", "B": "1"}, refs=refs, memo=memo).apply(root)
    second = TreeSubstituter({"A": "1", "B": "2"}, refs=refs, memo=memo).apply(root)
    assert isinstance(first, Mapping) and isinstance(second, Mapping)
    assert first.get("x") is second.get("x") and first.get("y") is not second.get("y")
    assert refs[id(root)] == ("A", "B")
