"""An agent installed without the server extras runs: its import path loads neither Flask nor SQLAlchemy."""
from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import circle.agent.runner, circle.agent.task, circle.cli.agent, circle.rpc.client
from circle.cli import build_parser
build_parser()
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'flask_sqlalchemy', 'docker'))
print(','.join(heavy))
"""


def test_agent_import_path_is_light():
    """Importing the agent and building the CLI parser pulls in no server library and no docker SDK."""
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
