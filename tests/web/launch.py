"""`circle server` with the dashboard registered, for the browser tests.

create_app does not call register_web yet; this wraps it so the real server process serves the
pages. register_web ignores a second call, so this keeps working once create_app wires it.
"""
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402
from typing import Any, Mapping  # noqa: E402

import circle.app  # noqa: E402
from circle.cli import main  # noqa: E402
from circle.web import register_web  # noqa: E402

_create_app = circle.app.create_app


def create_app(test_config: Mapping[str, Any] | None = None) -> Any:
    """Build the app as circle does, then register the dashboard on it."""
    app = _create_app(test_config)
    register_web(app)
    return app


if __name__ == "__main__":
    circle.app.create_app = create_app
    sys.exit(main(["server", *sys.argv[1:]]))
