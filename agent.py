"""Launcher: `python agent.py [agent options]` runs `circle agent` (imports no Flask, no SQLAlchemy)."""
from circle.patching import patch_all

patch_all()

import sys  # noqa: E402

from circle.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["agent", *sys.argv[1:]]))
