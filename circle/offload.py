"""Run CPU-heavy work (compiling pipelines, hashing passwords) off the gevent event loop.

Under the gevent server the work goes to gevent's thread pool, so the hub keeps serving other
requests (hashlib's scrypt and pbkdf2 release the GIL); without gevent's threading patch it runs inline.
Stdlib and gevent only: every layer may import it.
"""
from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T")


def off_loop(work: Callable[[], T]) -> T:
    """Return `work()`, computed in gevent's thread pool when threading is patched, else inline."""
    try:
        from gevent import get_hub, monkey
    except ImportError:
        return work()
    if not monkey.is_module_patched("threading"):
        return work()
    return get_hub().threadpool.apply(work)
