"""`circle lint`, `circle compile` and `circle schema` start light: they load no server, network or docker library."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Libraries only the server, the REST commands or the runners need.
HEAVY = ("flask", "flask_sqlalchemy", "sqlalchemy", "alembic", "marshmallow", "werkzeug", "jinja2", "gevent",
         "docker", "requests", "urllib3", "http.client", "jsonschema")
PROBE = """
import sys
from circle.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in {heavy!r}))
print(f'{{code}}|' + ','.join(heavy), file=sys.stderr)
"""
PIPELINE = "steps:\n  build:\n    image: alpine\n    commands: [make]\n"


@pytest.mark.parametrize("command", [["lint"], ["compile"], ["schema"]], ids=lambda c: c[0])
def test_pipeline_commands_import_no_heavy_library(command: list[str], tmp_path: Path) -> None:
    path = tmp_path / ".circle.yml"
    path.write_text(PIPELINE)
    argv = command + ([str(path)] if command != ["schema"] else [])
    result = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
                            capture_output=True, text=True, timeout=60)
    assert result.stderr.strip().splitlines()[-1] == "0|"
