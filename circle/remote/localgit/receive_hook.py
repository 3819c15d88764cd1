"""Installing and removing circle's post-receive hook in a bare repository.

The hook script is post_receive.py (copied with the server's Python in its #! line); its targets
(hook URL + secret, one per activation) live in hooks/circle-hooks.json, readable by the
server's user only. A post-receive hook circle did not write is never overwritten.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from circle.errors import Conflict
from circle.remote.base import same_hook
from circle.remote.localgit import post_receive

log = logging.getLogger(__name__)

SCRIPT = "post-receive"
CONFIG = "circle-hooks.json"


def _write(path: Path, data: str, mode: int) -> None:
    """Write a file atomically with the given permissions."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _config(hooks: Path) -> dict[str, Any]:
    """Return the hook config ({} when it is missing or unreadable)."""
    try:
        data = json.loads((hooks / CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def install(git_dir: Path, full_name: str, url: str, secret: str) -> None:
    """Install the hook script and add the target for `url`, replacing every earlier one of the same repo."""
    hooks = git_dir / "hooks"
    hooks.mkdir(exist_ok=True)
    script = hooks / SCRIPT
    if script.exists() and post_receive.MARKER not in script.read_text(encoding="utf-8", errors="replace"):
        raise Conflict(f"{script} exists and was not written by circle; remove it or merge it by hand first")
    targets = [t for t in _config(hooks).get("targets", []) if not same_hook(t.get("url", ""), url)]
    targets.append({"url": url, "secret": secret})
    _write(hooks / CONFIG, json.dumps({"repo": full_name, "targets": targets}, indent=2), 0o600)
    source = Path(post_receive.__file__).read_text(encoding="utf-8")
    _write(
        script,
        f"#!{sys.executable}\n# {post_receive.MARKER}: written by circle, rewritten on activation\n{source}",
        0o755,
    )
    log.info("local SCM: post-receive hook installed in %s", git_dir)


def remove(git_dir: Path, url: str) -> None:
    """Remove the targets of the repo of `url` (see same_hook); remove the script and config when none is left."""
    hooks = git_dir / "hooks"
    script = hooks / SCRIPT
    if not script.exists() or post_receive.MARKER not in script.read_text(encoding="utf-8", errors="replace"):
        return
    config = _config(hooks)
    targets = [t for t in config.get("targets", []) if not same_hook(t.get("url", ""), url)]
    if targets:
        _write(hooks / CONFIG, json.dumps({**config, "targets": targets}, indent=2), 0o600)
        return
    script.unlink()
    (hooks / CONFIG).unlink(missing_ok=True)
    log.info("local SCM: post-receive hook removed from %s", git_dir)
