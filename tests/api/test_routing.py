"""circle.api.routing: Flask knows every rule of the table at start; a view's module loads with its first call."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from circle.api.routes import ROUTES
from circle.api.routing import view_function
from dbtools import make_app

# Creates the app, then asks for one public route of circle.api.openapi that reads no database; prints which view
# modules were loaded after create_app and after that request.
PROBE = textwrap.dedent("""
    import json
    import sys

    from circle.api.routes import ROUTES
    from circle.app import create_app

    views = sorted({f"circle.api.{route.view.rpartition('.')[0]}" for route in ROUTES})
    app = create_app()
    loaded = [[name for name in views if name in sys.modules]]
    assert app.test_client().get("/api/schema/pipeline.json").status_code == 200
    loaded.append([name for name in views if name in sys.modules])
    print(json.dumps(loaded))
""")


def test_the_view_modules_load_with_their_routes_first_call(tmp_path: Path):
    """After create_app no view module is loaded; a call of /api/schema/pipeline.json loads circle.api.openapi only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIRCLE_")}
    env.update(CIRCLE_DATA_DIR=str(tmp_path), CIRCLE_DATABASE_URL=f"sqlite:///{tmp_path / 'circle.db'}")
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[], ["circle.api.openapi"]]


def test_every_route_of_the_table_is_a_rule_of_the_app(tmp_path: Path):
    """Each entry is a rule with its method and endpoint, and names a documented view of its module."""
    app = make_app(f"sqlite:///{tmp_path / 'circle.db'}", tmp_path)
    rules = {(rule.rule, rule.endpoint): rule.methods for rule in app.url_map.iter_rules()}
    for route in ROUTES:
        assert route.method in rules[(route.rule, route.endpoint)], route
        view = view_function(route.view)
        assert view.__module__ == f"circle.api.{route.view.rpartition('.')[0]}" and route.summary, route
