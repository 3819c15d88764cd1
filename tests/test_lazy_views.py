"""circle.lazy_views: after create_app no API view or dashboard page module is loaded; a call loads its own."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from circle.api.routes import ROUTES
from circle.lazy_views import imported
from circle.web.pages import PAGES
from dbtools import make_app

VIEWS = sorted({f"circle.api.{route.view.rpartition('.')[0]}" for route in ROUTES} |
               {f"circle.web.{view.rpartition('.')[0]}" for _, view, _ in PAGES})

# Creates the app, then calls a public API route and a page that read no database; prints which of the view modules
# (argv[1]: a JSON list) were loaded after create_app and after each call.
PROBE = textwrap.dedent("""
    import json
    import sys

    from circle.app import create_app

    views = json.loads(sys.argv[1])
    app = create_app()
    loaded = [[name for name in views if name in sys.modules]]
    for path in ("/api/schema/pipeline.json", "/login"):
        assert app.test_client().get(path).status_code == 200, path
        loaded.append([name for name in views if name in sys.modules])
    print(json.dumps(loaded))
""")


def test_view_modules_load_with_their_first_call(tmp_path: Path):
    """None at start; the pipeline schema loads circle.api.openapi, then the login form circle.web.session."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIRCLE_")}
    env.update(CIRCLE_DATA_DIR=str(tmp_path), CIRCLE_DATABASE_URL=f"sqlite:///{tmp_path / 'circle.db'}")
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(VIEWS)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[], ["circle.api.openapi"], ["circle.api.openapi", "circle.web.session"]]


def test_every_page_is_a_rule_of_the_dashboard(tmp_path: Path):
    """Each page is a rule of the `web` blueprint, with its methods, named after a documented function of its module."""
    app = make_app(f"sqlite:///{tmp_path / 'circle.db'}", tmp_path)
    rules = {rule.endpoint: (rule.rule, rule.methods) for rule in app.url_map.iter_rules()}
    for rule, view, methods in PAGES:
        module, _, function = view.rpartition(".")
        assert rules[f"web.{function}"][0] == rule and set(methods) <= (rules[f"web.{function}"][1] or set()), view
        page = imported(f"circle.web.{view}")
        assert page.__module__ == f"circle.web.{module}" and page.__doc__, view
