"""Run CPU-heavy work (compiling pipelines, hashing passwords) off the gevent event loop.

Under the gevent server the work goes to gevent's thread pool, so the hub keeps serving other
requests (hashlib's scrypt and pbkdf2 release the GIL); without gevent's threading patch it runs inline.
Stdlib and gevent only: every layer may import it.
"""
from __future__ import annotations

from typing import Callable, TypeVar, Union

T = TypeVar("T")


def off_loop(work: Callable[[], T]) -> T:
    """Return `work()`, computed in gevent's thread pool when threading is patched, else inline."""
    try:
        from gevent import get_hub, monkey
    except ImportError:
        return work()
    if not monkey.is_module_patched("threading"):
        return work()
    outcome = get_hub().threadpool.apply(_outcome, (work,))
    if isinstance(outcome, _Raised):
        raise outcome.error
    return outcome


class _Raised:
    """An exception `work` raised in the pool, carried back to be raised in the caller."""

    def __init__(self, error: Exception) -> None:
        self.error = error


def _outcome(work: Callable[[], T]) -> Union[T, _Raised]:
    """Return `work()` or the exception it raised: an exception escaping the pool is printed by gevent's hub."""
    try:
        return work()
    except Exception as err:  # re-raised in the caller, where it is handled
        return _Raised(err)
