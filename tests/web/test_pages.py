"""The pages as the test client sees them: what each shows, to whom, and what it never shows."""
from __future__ import annotations

import html
import json
import re
import subprocess
import time

import pytest

from api.helpers import closed_port
from circle import states
from circle.api.csrf import HEADER
from circle.extensions import db
from circle.models import Proc
from circle.service.hook_url import hook_url
from circle.store import agents, builds, files, repos, secrets
from web import seed
from web.forms import sign_in


@pytest.fixture
def ann(site):
    """A signed-in user without admin rights."""
    return seed.person("ann")


@pytest.fixture
def ann_client(client, ann):
    """The test client, signed in as ann."""
    sign_in(client, "ann", "ann-pw")
    return client


@pytest.fixture
def root_client(client, site):
    """The test client, signed in as an administrator."""
    seed.person("root", admin=True)
    sign_in(client, "root", "root-pw")
    return client


def test_user_without_repos_is_pointed_to_scms(ann_client):
    """The start page of a user with no repo explains how to get one and links to /scms."""
    page = ann_client.get("/").text
    assert "No repos yet" in page and 'href="/scms"' in page


def test_pages_hand_the_scripts_the_state_vocabulary(ann_client):
    """<body data-states> carries the active states and each state's CSS class, read from circle.states."""
    match = re.search(r'<body data-states="([^"]*)"', ann_client.get("/").text)
    assert match is not None
    assert json.loads(html.unescape(match.group(1))) == {"active": sorted(states.ACTIVE),
                                                         "classes": states.CSS_CLASSES}


def test_start_page_lists_readable_repos_with_their_last_build(ann_client, ann):
    """Only repos the user may read are listed, each with its newest build's status and a link to it."""
    source = seed.scm(ann)
    mine, other = seed.repo(source, "acme/app"), seed.repo(source, "acme/secret-project")
    seed.grant(ann, mine, "pull")
    seed.build(mine, 1, status="failure")
    seed.build(mine, 2, status="success")
    page = ann_client.get("/").text
    assert "acme/app" in page and "acme/secret-project" not in page
    assert f'href="/repos/{mine.id}/builds/2"' in page and "status-success" in page
    assert other.id != mine.id


def test_repo_the_user_cannot_read_is_a_404_page(ann_client, ann):
    """An unreadable repo, and a build of it, answer the HTML 404 page (as if they did not exist)."""
    hidden = seed.repo(seed.scm(ann))
    seed.build(hidden, 1)
    for path in (f"/repos/{hidden.id}", f"/repos/{hidden.id}/builds/1", "/repos/999999"):
        answer = ann_client.get(path)
        assert answer.status_code == 404 and answer.mimetype == "text/html"
        assert "Not found" in answer.text


def test_missing_build_is_a_404_page(ann_client, ann):
    """A build number the repo does not have answers the 404 page."""
    mine = seed.repo(seed.scm(ann))
    seed.grant(ann, mine, "pull")
    answer = ann_client.get(f"/repos/{mine.id}/builds/5")
    assert answer.status_code == 404 and answer.mimetype == "text/html"


def test_reader_sees_builds_but_no_build_button_nor_settings(ann_client, ann):
    """Pull permission shows the builds; the Build button needs push, the other tabs need admin (403)."""
    mine = seed.repo(seed.scm(ann))
    seed.grant(ann, mine, "pull")
    seed.build(mine, 1, message="Add the parser\n\nlong body")
    page = ann_client.get(f"/repos/{mine.id}").text
    assert "Add the parser" in page and "long body" not in page and 'id="manual-build"' not in page
    assert "?tab=settings" not in page
    assert ann_client.get(f"/repos/{mine.id}?tab=secrets").status_code == 403


def test_pusher_gets_the_build_button(ann_client, ann):
    """Push permission shows the manual build form posting to the builds route."""
    mine = seed.repo(seed.scm(ann))
    seed.grant(ann, mine, "push")
    page = ann_client.get(f"/repos/{mine.id}").text
    assert 'id="manual-build"' in page and f'data-path="/api/repos/{mine.id}/builds"' in page


def test_builds_are_listed_newest_first_and_filtered(ann_client, ann):
    """The builds tab lists newest first; `?status=` filters."""
    mine = seed.repo(seed.scm(ann))
    seed.grant(ann, mine, "pull")
    for number, state in ((1, "success"), (2, "failure"), (3, "success")):
        seed.build(mine, number, status=state, message=f"change number {number}")
    page = ann_client.get(f"/repos/{mine.id}").text
    assert page.index("change number 3") < page.index("change number 2") < page.index("change number 1")
    failed = ann_client.get(f"/repos/{mine.id}?status=failure").text
    assert "change number 2" in failed and "change number 3" not in failed


def test_secret_values_and_credentials_are_never_rendered(ann_client, ann):
    """The secrets and registries tabs show names and usernames, never values or passwords."""
    mine = seed.repo(seed.scm(ann))
    seed.grant(ann, mine, "admin")
    secrets.create(repo_id=mine.id, name="deploy_key", value="s3cr3t-value-123", events=["push"], images=[])
    secrets.create_registry(repo_id=mine.id, address="registry.example.com", username="bot",
                            password="registry-pass-456")
    secrets_page = ann_client.get(f"/repos/{mine.id}?tab=secrets").text
    registries_page = ann_client.get(f"/repos/{mine.id}?tab=registries").text
    assert "deploy_key" in secrets_page and "s3cr3t-value-123" not in secrets_page
    assert "registry.example.com" in registries_page and "registry-pass-456" not in registries_page


def test_settings_tab_offers_trusted_only_to_administrators(ann_client, ann, site):
    """A repo admin sees the switches; `trusted` is read-only unless the user is an administrator."""
    mine = seed.repo(seed.scm(ann))
    seed.grant(ann, mine, "admin")
    page = ann_client.get(f"/repos/{mine.id}?tab=settings").text
    assert 'name="allow_push"' in page and 'name="gated"' in page and 'name="timeout"' in page
    assert 'name="trusted"' not in page
    assert 'name="retention_days"' in page and 'name="retention_keep_min"' in page
    assert 'name="artifact_retention_days"' in page and 'placeholder="10"' in page  # the global keep-min


def test_configs_tab_shows_path_content_and_branch_filters(ann_client, ann):
    """Each config is editable: path or content, include and exclude globs."""
    mine = seed.repo(seed.scm(ann))
    seed.grant(ann, mine, "admin")
    page = ann_client.get(f"/repos/{mine.id}?tab=configs").text
    assert ".circle.yml" in page and 'name="branches.include"' in page and 'name="content"' in page


def test_scm_page_never_shows_credentials(ann_client, ann, no_backoff):
    """Registered SCMs show name, kind and URL, without passwords, tokens or passwords inside the URL,
    also when the code host does not answer and its error message quotes the URL."""
    seed.scm(ann, kind="gitea", name="forge", url=f"http://bot:url-pass@127.0.0.1:{closed_port()}",
             username="bot", password="scm-pass-789", token="scm-token-000")
    page = ann_client.get("/scms").text
    assert "forge" in page and "did not list its repositories" in page and "http://127.0.0.1:" in page
    for secret in ("scm-pass-789", "scm-token-000", "url-pass"):
        assert secret not in page


def test_scm_page_lists_local_repositories_with_activate_buttons(root_client, site, tmp_path):
    """The chosen SCM's repositories are listed; those not yet active get an Activate button."""
    import subprocess

    from circle.store import users

    (tmp_path / "acme").mkdir()
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "acme" / "tool.git")], check=True)
    seed.scm(users.get_by_login("root"), url=str(tmp_path))
    page = root_client.get("/scms").text
    assert "acme/tool" in page and "Activate" in page and "&#34;full_name&#34;" not in page
    assert '"full_name": "acme/tool"' in page


def test_agents_page_is_for_administrators_only(ann_client):
    """A user without admin rights gets the 403 page for /agents and no link to it."""
    answer = ann_client.get("/agents")
    assert answer.status_code == 403 and answer.mimetype == "text/html"
    assert 'href="/agents"' not in ann_client.get("/").text


def test_agents_page_shows_queue_counts(root_client):
    """An administrator sees the queue counters and the agents table (empty here)."""
    page = root_client.get("/agents").text
    assert 'id="queue-pending"' in page and "No agents yet" in page


def test_agents_page_shows_each_agent_state_and_its_actions(root_client):
    """Online, offline and paused agents are named so, each with Pause or Resume and Delete calling the API."""
    fresh = agents.create(name="fresh", last_contact=int(time.time()))
    gone = agents.create(name="gone", last_contact=1_700_000_000)
    held = agents.create(name="held", last_contact=int(time.time()), paused=True)
    db.session.commit()
    page = root_client.get("/agents").text
    for agent, state in ((fresh, "online"), (gone, "offline"), (held, "paused")):
        assert f'data-agent-id="{agent.id}" data-state="{state}"' in page
        assert f'data-method="DELETE" data-path="/api/agents/{agent.id}"' in page
    assert page.count('data-action="pause"') == 2 and page.count('data-action="resume"') == 1
    assert "js/agents.js" in page


def test_build_page_shows_procs_and_selects_the_failed_step(ann_client, ann):
    """The first failed step is selected by default; ?pid= selects another; artifacts link to the API."""
    mine = seed.repo(seed.scm(ann))
    seed.grant(ann, mine, "pull")
    made = seed.build(mine, 4, status="failure", steps={"clone": "success", "test": "failure", "deploy": "skipped"})
    files.create(build_id=made.id, pid=3, name="reports/junit.xml", mime="text/xml", size=12, data=b"<testsuite/>")
    page = ann_client.get(f"/repos/{mine.id}/builds/4").text
    assert 'data-pid="3" data-pinned="no"' in page
    assert "exit 1" in page and "junit.xml" in page and f"/api/repos/{mine.id}/builds/4/files/" in page
    assert 'id="action-cancel"' not in page  # pull permission: no actions
    assert 'data-pid="2" data-pinned="yes"' in ann_client.get(f"/repos/{mine.id}/builds/4?pid=2").text
    assert 'data-pid="3" data-pinned="yes"' in ann_client.get(f"/repos/{mine.id}/builds/4?pid=77").text


def test_build_page_lists_artifacts_per_step_with_reports_marked(ann_client, ann):
    """The Artifacts card groups files under their step in pid order; a report says so; the sha256 is the title."""
    mine = seed.repo(seed.scm(ann))
    seed.grant(ann, mine, "pull")
    made = seed.build(mine, 5, steps={"clone": "success", "package": "success", "test": "success"})
    for pid, name, kind in ((4, "junit.xml", "report"), (3, "app.bin", "artifact"), (3, "notes.txt", "artifact")):
        files.create(build_id=made.id, pid=pid, name=name, size=3, data=b"abc", kind=kind, sha256="ab" * 32)
    page = ann_client.get(f"/repos/{mine.id}/builds/5").text
    card = page[page.index('id="artifacts"'):page.index('id="no-artifacts"')]
    assert card.index('data-pid="3"><h3 data-field="step">package</h3>') < card.index("app.bin") \
        < card.index("notes.txt") < card.index('data-pid="4"><h3 data-field="step">test</h3>') < card.index("junit.xml")
    assert card.count('data-kind="report"') == 1 and card.count('data-field="report"') == 3
    assert card.count(" hidden>test report") == 2 and f'title="sha256 {"ab" * 32}"' in card


def test_build_page_names_what_each_workflow_runs_after(ann_client, ann):
    """Workflows are listed in their order, each dependent one with the workflows it ran after (issue 12)."""
    mine = seed.repo(seed.scm(ann))
    seed.grant(ann, mine, "pull")
    made = seed.build(mine, 6, status="failure")
    builds.create_procs([Proc(build_id=made.id, pid=2, ppid=0, name="test", state="skipped", depends_on=[1],
                              runs_on=["success"]),
                         Proc(build_id=made.id, pid=3, ppid=0, name="notify", state="success", depends_on=[1, 2],
                              runs_on=["success", "failure"])])
    page = ann_client.get(f"/repos/{mine.id}/builds/6").text
    assert page.index(">default<") < page.index(">test<") < page.index(">notify<")
    assert '<p class="muted small after">after default</p>' in page
    assert '<p class="muted small after">after default, test (success or failure)</p>' in page
    graph = page[page.index('id="workflow-graph"'):page.index('<div class="build-body">')]
    assert graph.count('<li class="wf-row">') == 3
    assert graph.index(">default<") < graph.index(">test<") < graph.index(">notify<")
    assert '<span class="muted small wf-after">after: default, test (success or failure)</span>' in graph


def test_build_page_shows_the_actions_that_apply(ann_client, ann):
    """A running build offers Cancel; a finished one offers Restart and Fork (hidden ones stay in the page)."""
    mine = seed.repo(seed.scm(ann))
    seed.grant(ann, mine, "push")
    seed.build(mine, 1, status="running", finished=0, steps={"test": "running"})
    running = ann_client.get(f"/repos/{mine.id}/builds/1").text
    assert 'id="action-cancel" data-when="active"' in running and 'data-path="/api/repos/' in running
    assert 'id="action-restart" data-when="final" data-method="POST" data-path="/api/repos/%d/builds/1/restart" ' \
           'data-done="reload" hidden' % mine.id in running


def test_data_is_escaped_in_pages(ann_client, ann):
    """A commit message or step name with markup is shown as text."""
    mine = seed.repo(seed.scm(ann))
    seed.grant(ann, mine, "pull")
    seed.build(mine, 1, message="<script>alert('x')</script>", author="<b>eve</b>",
               steps={"<img src=x onerror=alert(1)>": "success"})
    for path in (f"/repos/{mine.id}", f"/repos/{mine.id}/builds/1", "/"):
        page = ann_client.get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>eve" not in page
    assert "&lt;script&gt;alert(" in ann_client.get(f"/repos/{mine.id}/builds/1").text


def test_only_web_links_from_code_hosts_become_links(ann_client, ann):
    """A commit link that is not http(s) (say, javascript:) is shown as plain text."""
    mine = seed.repo(seed.scm(ann), link="javascript:alert(1)")
    seed.grant(ann, mine, "pull")
    seed.build(mine, 1, link="javascript:alert(2)")
    seed.build(mine, 2, link="https://bot:pw@forge.example/acme/app/commit/1")
    assert "javascript:" not in ann_client.get(f"/repos/{mine.id}/builds/1").text
    assert "javascript:" not in ann_client.get(f"/repos/{mine.id}").text
    assert 'href="https://forge.example/acme/app/commit/1"' in ann_client.get(f"/repos/{mine.id}/builds/2").text


def test_pages_carry_a_strict_content_security_policy(ann_client):
    """Pages allow only this site's own scripts and styles (no inline code) and cannot be framed."""
    answer = ann_client.get("/")
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_static_files_are_served(client):
    """The stylesheet and scripts come from circle/web/static."""
    for path in ("/static/circle.css", "/static/js/page.js", "/static/js/build.js", "/static/js/logview.js"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        answer.close()


def test_settings_tab_has_a_repair_hook_button_the_session_can_press(ann_client, ann, tmp_path):
    """The button posts to the repair route; with the page's CSRF token the session's POST rotates the hook."""
    subprocess.run(["git", "init", "--quiet", "--bare", str(tmp_path / "acme" / "app.git")], check=True)
    mine = seed.repo(seed.scm(ann, url=str(tmp_path)))
    seed.grant(ann, mine, "admin")
    before = hook_url(mine)
    page = ann_client.get(f"/repos/{mine.id}?tab=settings").text
    button = re.search(r'<button[^>]*id="repair-hook"[^>]*>', page)
    assert button and f'data-path="/api/repos/{mine.id}/repair"' in button.group(0)
    assert 'data-method="POST"' in button.group(0) and "Repair hook" in page
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    assert ann_client.post(f"/api/repos/{mine.id}/repair").status_code == 403
    answer = ann_client.post(f"/api/repos/{mine.id}/repair", headers={HEADER: token})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["hook_url"] == hook_url(repos.get(mine.id)) != before


def test_crons_tab_lists_jobs_and_offers_the_form(ann_client, ann):
    """The crons tab shows each job's schedule, branch, next due time (UTC) and last error, and the add form."""
    from circle.store import crons

    mine = seed.repo(seed.scm(ann))
    seed.grant(ann, mine, "admin")
    crons.create(repo_id=mine.id, name="nightly", schedule="0 3 * * *", branch="", next=86400 * 3 + 3 * 3600,
                 creator="ann", error="acme has no branch gone")
    page = ann_client.get(f"/repos/{mine.id}?tab=crons").text
    assert "<code>nightly</code>" in page and "<code>0 3 * * *</code>" in page
    assert "1970-01-04 03:00 UTC" in page and "acme has no branch gone" in page
    assert 'id="add-cron"' in page and f'data-path="/api/repos/{mine.id}/crons"' in page


def test_the_account_page_lists_only_the_callers_tokens_by_name(ann_client, ann):
    """/account names ann's tokens (never a secret) and not another user's; anonymous visitors go to /login."""
    from circle.store import users

    _, secret = users.issue_token(ann, "laptop")
    users.issue_token(seed.person("bea"), "bea-secret-laptop")
    page = ann_client.get("/account").text
    assert "laptop" in page and secret not in page and "bea-secret-laptop" not in page
    assert 'href="/account"' in page
    ann_client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)})
    answer = ann_client.get("/account")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login?next=/account")
