"""gevent's monkey patches for the long-running commands, with one scan of the installed packages' entry points.

gevent tells its plugins (`gevent.plugins.monkey.*` entry points) of every module it patches, and looks them up
afresh each time: `importlib.metadata.entry_points` reads every installed distribution's metadata, 25 times
per `patch_all` — half of what patching costs a start (~65 ms of CPU). The installed packages do not change while it
patches, so here they are read once, and each lookup selects from that one reading.
"""
from __future__ import annotations

from importlib import metadata
from typing import Any


def patch_all() -> None:
    """Apply gevent's default monkey patches, its plugins told as before."""
    from gevent import monkey

    installed = metadata.entry_points()
    lookup = metadata.entry_points

    def entry_points(**params: Any) -> Any:
        """Select from the one reading, as `importlib.metadata.entry_points(**params)` would."""
        return installed.select(**params) if params else installed

    metadata.entry_points = entry_points
    try:
        monkey.patch_all()
    finally:
        metadata.entry_points = lookup
