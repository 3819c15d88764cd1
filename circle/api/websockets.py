"""Websocket routes whose server side (flask-sock, simple-websocket, wsproto, h11) loads with the first connection.

flask-sock imports its whole websocket stack when imported (~20 ms of a start). `route` registers the rule
at start, as flask-sock's `Sock.route` would, and has flask-sock wrap the view when the rule is first called.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from flask import Blueprint

View = Callable[..., Any]


class _Kept:
    """Stands for a blueprint to flask-sock's `route`: keeps the view it wraps instead of registering it."""

    view: View

    def route(self, _rule: str, **_options: Any) -> Callable[[View], View]:
        """Return the decorator that keeps the wrapped view."""
        return self._keep

    def _keep(self, view: View) -> View:
        """Keep `view` and hand it back."""
        self.view = view
        return view


def route(bp: Blueprint, rule: str) -> Callable[[View], View]:
    """Register `view(ws, **arguments)` as the websocket route `rule` on `bp`."""

    def decorate(view: View) -> View:
        @functools.cache
        def served() -> View:
            from flask_sock import Sock

            kept = _Kept()
            Sock().route(rule, bp=kept)(view)
            return kept.view

        @functools.wraps(view)
        def websocket_route(**arguments: Any) -> Any:
            return served()(**arguments)

        bp.route(rule, websocket=True)(websocket_route)
        return view

    return decorate
