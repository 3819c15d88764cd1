"""The small expression language of Woodpecker's `when: evaluate:` (a subset of expr-lang).

    expr    := or
    or      := and { ("||" | "or") and }
    and     := not { ("&&" | "and") not }
    not     := ("!" | "not") not | compare
    compare := primary [ ("==" | "!=" | "<" | "<=" | ">" | ">=" | "contains" | "startsWith"
                          | "endsWith" | "matches" | "in" | "not in") primary ]
    primary := STRING | NUMBER | true | false | nil | NAME | "(" expr ")" | "[" [expr {"," expr}] "]"
             | "$env" [ "[" expr "]" | "." NAME ]

A NAME is a variable of the build environment (CI_COMMIT_BRANCH…); unknown names are "".
`$env` is the whole environment (expr-lang's builtin): `$env["CI_COMMIT_BRANCH"]`, `$env.X`, `"X" in $env`.
`compile_expr` checks the syntax once; the returned function evaluates it against an environment.
"""
from __future__ import annotations

import logging
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

Env = Mapping[str, str]
Evaluator = Callable[[Env], Any]

_TOKEN = re.compile(r"""\s*(?:
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<number>[0-9]+(?:\.[0-9]+)?)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\],.])
  | (?P<name>\$env|[A-Za-z_][A-Za-z0-9_]*)
)""", re.VERBOSE)
_WORD_OPS = {"contains", "startsWith", "endsWith", "matches", "in"}
_COMPARE = {"==", "!=", "<", "<=", ">", ">="} | _WORD_OPS


class ExprError(ValueError):
    """An expression that does not parse or cannot be evaluated."""


def compile_expr(source: str) -> Evaluator:
    """Parse `source` and return a function of the environment giving its value."""
    parser = _Parser(_tokenize(source))
    evaluator = parser.expr()
    extra = parser.peek()
    if extra is not None:
        raise ExprError(f"unexpected `{extra[1]}` in expression")
    return evaluator


def evaluate_bool(evaluator: Evaluator, env: Env) -> bool:
    """Evaluate and insist on a boolean result."""
    value = evaluator(env)
    if not isinstance(value, bool):
        raise ExprError(f"the expression gives {value!r}, not true or false")
    return value


def _tokenize(source: str) -> list[tuple[str, str]]:
    """Split `source` into (kind, text) tokens."""
    tokens = []
    pos = 0
    source = source.rstrip()
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if not match or match.end() == pos:
            raise ExprError(f"cannot read the expression from `{source[pos:pos + 10]}`")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent over the token list, building closures."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        """Return the next token without consuming it."""
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def accept(self, *texts: str) -> str | None:
        """Consume the next token when its text is one of `texts`."""
        token = self.peek()
        if token is not None and token[0] in ("op", "name") and token[1] in texts:
            self.pos += 1
            return token[1]
        return None

    def expect(self, text: str) -> None:
        """Consume `text` or fail."""
        if not self.accept(text):
            found = self.peek()
            raise ExprError(f"expected `{text}`, found {('`' + found[1] + '`') if found else 'the end'}")

    def expr(self) -> Evaluator:
        """Parse an `or` chain."""
        left = self.conjunction()
        while self.accept("||", "or"):
            right = self.conjunction()
            left = (lambda a, b: lambda env: _truth(a(env)) or _truth(b(env)))(left, right)
        return left

    def conjunction(self) -> Evaluator:
        """Parse an `and` chain."""
        left = self.negation()
        while self.accept("&&", "and"):
            right = self.negation()
            left = (lambda a, b: lambda env: _truth(a(env)) and _truth(b(env)))(left, right)
        return left

    def negation(self) -> Evaluator:
        """Parse `!x` / `not x`."""
        if self.accept("!", "not"):
            inner = self.negation()
            return lambda env: not _truth(inner(env))
        return self.comparison()

    def comparison(self) -> Evaluator:
        """Parse `a OP b` or a lone primary."""
        left = self.primary()
        negate = False
        if self.tokens[self.pos:self.pos + 2] == [("name", "not"), ("name", "in")]:
            self.pos += 1
            negate = True
        op = self.accept(*_COMPARE)
        if op is None:
            return left
        right = self.primary()
        if op == "matches":
            right = _constant_regex(right)
        compare = _OPERATORS[op]
        if negate:
            return lambda env: not compare(left(env), right(env))
        return lambda env: compare(left(env), right(env))

    def primary(self) -> Evaluator:
        """Parse a literal, a variable, a parenthesised expression or a list."""
        token = self.peek()
        if token is None:
            raise ExprError("the expression ends too early")
        self.pos += 1
        kind, text = token
        if kind == "string":
            value = _unquote(text)
            return lambda env: value
        if kind == "number":
            number = float(text) if "." in text else int(text)
            return lambda env: number
        if kind == "name":
            if text in ("true", "false"):
                flag = text == "true"
                return lambda env: flag
            if text == "nil":
                return lambda env: None
            if text in _WORD_OPS or text in ("and", "or", "not"):
                raise ExprError(f"`{text}` needs a value before it")
            if text == "$env":
                return self.environment()
            return lambda env: env.get(text, "")
        if text == "(":
            inner = self.expr()
            self.expect(")")
            return inner
        if text == "[":
            items: list[Evaluator] = []
            if not self.accept("]"):
                items.append(self.expr())
                while self.accept(","):
                    items.append(self.expr())
                self.expect("]")
            return lambda env: [item(env) for item in items]
        raise ExprError(f"unexpected `{text}` in expression")


    def environment(self) -> Evaluator:
        """Parse what follows `$env`: an index, a member, or nothing (the whole environment)."""
        if self.accept("."):
            token = self.peek()
            if token is None or token[0] != "name":
                raise ExprError("`$env.` needs a variable name after it")
            self.pos += 1
            name = token[1]
            return lambda env: env.get(name, "")
        if self.accept("["):
            key = self.expr()
            self.expect("]")
            return lambda env: env.get(str(key(env)), "")
        return lambda env: env


def _unquote(text: str) -> str:
    """Return the value of a quoted string literal."""
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _truth(value: Any) -> bool:
    """Insist on booleans where logic needs them."""
    if isinstance(value, bool):
        return value
    raise ExprError(f"{value!r} is not true or false")


def _constant_regex(right: Evaluator) -> Evaluator:
    """Compile a constant regular expression once, or fail at parse time."""
    pattern = right({})
    if not isinstance(pattern, str):
        raise ExprError("`matches` needs a string pattern")
    try:
        regex = re.compile(pattern)
    except re.error as err:
        raise ExprError(f"bad regular expression {pattern!r}: {err}") from None
    return lambda env: regex


def _ordered(check: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """Return `check` turning a comparison of unlike values into an ExprError."""
    def compare(a: Any, b: Any) -> bool:
        """Compare `a` and `b`."""
        try:
            return check(a, b)
        except TypeError:
            raise ExprError(f"cannot compare {a!r} with {b!r}") from None
    return compare


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": _ordered(operator.lt),
    "<=": _ordered(operator.le),
    ">": _ordered(operator.gt),
    ">=": _ordered(operator.ge),
    "contains": lambda a, b: str(b) in a if isinstance(a, (str, list)) else False,
    "startsWith": lambda a, b: str(a).startswith(str(b)),
    "endsWith": lambda a, b: str(a).endswith(str(b)),
    "matches": lambda a, b: b.search(str(a)) is not None,
    "in": lambda a, b: a in b if isinstance(b, (list, str, Mapping)) else False,
}
