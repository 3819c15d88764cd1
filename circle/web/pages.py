"""The dashboard's pages: their rules on the `web` blueprint, each view (module.function in circle.web) imported on
the first call, so the server starts without the page modules."""
from __future__ import annotations

from circle.lazy_views import deferred
from circle.web.blueprint import bp

PAGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/account", "account.account", ("GET",)),
    ("/agents", "agents.agents_page", ("GET",)),
    ("/repos/<int:repo_id>/builds/<int:number>/tests", "testresults.build_tests", ("GET",)),
    ("/repos/<int:repo_id>/tests/flaky", "testresults.flaky_tests", ("GET",)),
    ("/repos/<int:repo_id>/tests/<int:test_id>", "testresults.test_history", ("GET",)),
    ("/repos/<int:repo_id>/builds/<int:number>", "builds.build", ("GET",)),
    ("/", "home.home", ("GET",)),
    ("/repos/<int:repo_id>", "repos.repo", ("GET",)),
    ("/scms", "scms.scms_page", ("GET",)),
    ("/login", "session.login", ("GET", "POST")),
    ("/logout", "session.logout", ("GET", "POST")),
)

for rule, view, methods in PAGES:
    bp.add_url_rule(rule, view_func=deferred(f"circle.web.{view}"), methods=list(methods))
