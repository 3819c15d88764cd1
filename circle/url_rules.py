"""The app's URL rule class: Werkzeug's, with its URL builders compiled when a URL is first built from the rule.

Werkzeug compiles two Python functions per rule when the rule is added (one building URLs with only the rule's
arguments, one appending unknown ones as a query string): for circle's ~90 rules that was ~40 ms of a start,
for rules most of which never build a URL in a server's life (url_for is for the dashboard's links).
"""
from __future__ import annotations

from typing import Any, Callable

from werkzeug import routing


class Rule(routing.Rule):
    """A Werkzeug rule that compiles each URL builder on the builder's first call."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        """Return a stand-in that compiles Werkzeug's builder once, puts it in its place and builds with it."""
        compile_builder = super()._compile_builder
        slot = "_build_unknown" if append_unknown else "_build"

        def build(rule: Rule, **values: Any) -> tuple[str, str]:
            builder = compile_builder(append_unknown).__get__(rule, None)
            setattr(rule, slot, builder)
            return builder(**values)

        return build
