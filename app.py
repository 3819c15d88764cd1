"""Launcher: `python app.py [server options]` runs `circle server`; `app` is the WSGI application."""
from circle.patching import patch_all

patch_all()

import sys  # noqa: E402

from circle.app import create_app  # noqa: E402
from circle.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["server", *sys.argv[1:]]))

app = create_app()
