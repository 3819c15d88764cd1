"""Views imported on their first call: the app knows every rule from the start, a view's module loads when needed."""
from __future__ import annotations

import functools
import importlib
from typing import Any, Callable

View = Callable[..., Any]


@functools.cache
def imported(name: str) -> View:
    """Return the function `package.module.function`, importing its module on first use."""
    module, _, function = name.rpartition(".")
    return getattr(importlib.import_module(module), function)


def deferred(name: str) -> View:
    """Return a view that calls the function `name` (see `imported`), named after it (Flask's endpoint)."""

    def view(**arguments: Any) -> Any:
        return imported(name)(**arguments)

    view.__name__ = view.__qualname__ = name.rpartition(".")[2]
    return view
