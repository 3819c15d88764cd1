"""The dashboard in real headless Chromium against a real server process and a real agent (local backend)."""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from e2e.harness import Server, make_repo
from web.browser import wait_for

pytestmark = pytest.mark.slow

_names = itertools.count(1)

PIPELINE = """
pipeline:
  greet:
    image: x
    commands:
      - echo hello-from-greet-$GREETING
      - printf '\\033[31mred-text\\033[0m and plain\\n'
  second:
    image: x
    commands:
      - echo output-of-second
      - sleep 4
"""
SLOW = "pipeline:\n  slow:\n    image: x\n    commands: [echo started-slow, sleep 300]\n"


def by_css(driver: Any, selector: str) -> Any:
    """Return the first element matching a CSS selector (raises when there is none)."""
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def text_of(driver: Any, selector: str) -> str:
    """Return the text content of the first element matching `selector` (as in the DOM, not as styled)."""
    return by_css(driver, selector).get_attribute("textContent")


def log_in(driver: Any, server: Server, login: str, password: str, path: str = "/") -> None:
    """Open `path`, get sent to the login form, and log in through it.

    The previous test's page is left first for one of this site without scripts (/healthz): left open while
    its cookies go, its next API call would answer 401 and its script would send the browser to the login
    form, racing this navigation.
    """
    driver.get(server.url + "/healthz")
    driver.delete_all_cookies()
    driver.get(server.url + path)
    wait_for(lambda: "/login" in driver.current_url, what="the login form")
    by_css(driver, "input[name=login]").send_keys(login)
    by_css(driver, "input[name=password]").send_keys(password)
    by_css(driver, "form button[type=submit]").click()
    wait_for(lambda: "/login" not in driver.current_url, what="the page after logging in")


def activate(server: Server, files: dict[str, str]) -> int:
    """Create a bare repo holding `files` on a local SCM and activate it through the API; return its id."""
    full_name = f"acme/api{next(_names)}"
    make_repo(server.git_root, full_name, files)
    scm = server.ok("POST", "/api/scms", json={"kind": "local", "name": f"disk-{full_name}",
                                               "url": str(server.git_root)})
    return server.ok("POST", "/api/repos", json={"scm_id": scm["id"], "full_name": full_name})["id"]


def open_build(driver: Any, server: Server, repo_id: int, number: int, query: str = "") -> None:
    """Open a build page and wait until its script has selected a step."""
    driver.get(f"{server.url}/repos/{repo_id}/builds/{number}{query}")
    wait_for(lambda: text_of(driver, ".build-title .status"), what="the build page")


def test_login_form_then_empty_state(browser, web_server):
    """A wrong password re-shows the form with a message; the right one leads to `next`, here the
    start page, which points a user without repos to the code hosts page."""
    browser.delete_all_cookies()
    browser.get(web_server.url + "/")
    wait_for(lambda: "/login?next=" in browser.current_url, what="the redirect to /login")
    by_css(browser, "input[name=login]").send_keys("admin")
    by_css(browser, "input[name=password]").send_keys("not the password")
    by_css(browser, "form button[type=submit]").click()
    assert wait_for(lambda: text_of(browser, "#login-error")) == "Wrong login or password."
    by_css(browser, "input[name=password]").send_keys(web_server.password)
    by_css(browser, "form button[type=submit]").click()
    wait_for(lambda: browser.current_url == web_server.url + "/", what="the start page")
    assert "No repos yet" in text_of(browser, "main")
    by_css(browser, ".empty a.btn-primary").click()
    wait_for(lambda: browser.current_url.endswith("/scms"), what="the code hosts page")


def test_register_local_scm_and_activate_a_repo(browser, web_server):
    """Register the local code host through the form, see its repository, press Activate, land on the repo."""
    make_repo(web_server.git_root, "acme/web", {".circle.yml": PIPELINE})
    log_in(browser, web_server, "admin", web_server.password, "/scms")
    from selenium.webdriver.support.ui import Select

    if not by_css(browser, "details.register").get_attribute("open"):
        by_css(browser, "details.register summary").click()
    Select(by_css(browser, "#register-scm select[name=kind]")).select_by_value("local")
    by_css(browser, "#register-scm input[name=name]").send_keys("my disk")
    by_css(browser, "#register-scm input[name=url]").send_keys(str(web_server.git_root))
    by_css(browser, "#register-scm button[type=submit]").click()
    wait_for(lambda: "/scms?scm=" in browser.current_url, what="the registered SCM")
    row = wait_for(lambda: by_css(browser, '.remote-repos li[data-full-name="acme/web"]'))
    assert "my disk" in text_of(browser, ".scm-list li.selected")
    by_css(row, "button[data-path='/api/repos']").click()
    wait_for(lambda: "/repos/" in browser.current_url, what="the repo page")
    assert text_of(browser, "h1") == "acme/web"
    assert "No builds yet" in text_of(browser, "main")


def test_build_button_runs_a_build_shown_live(browser, web_server, shots: Path):
    """Press Build (with a parameter): the build page follows the running build, tails the running step's
    log, ends in success; clicking another step (or ?pid=) shows its log with ANSI colours rendered."""
    repo_id = activate(web_server, {".circle.yml": PIPELINE})
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}")
    by_css(browser, "#manual-build textarea[name=params]").send_keys("GREETING=world")
    by_css(browser, "#start-build").click()
    wait_for(lambda: f"/repos/{repo_id}/builds/1" in browser.current_url, what="the new build's page")
    wait_for(lambda: "output-of-second" in text_of(browser, "#log")
             and text_of(browser, ".build-title .status") == "running", what="the live log of the running step")
    assert text_of(browser, "#procs a.selected .name") == "second"
    wait_for(lambda: text_of(browser, ".build-title .status") == "success", timeout=30, what="success")
    assert text_of(browser, '#procs .step[data-state="success"] a[title^="greet"] .name') == "greet"
    assert by_css(browser, "#action-restart").is_displayed() and not by_css(browser, "#action-cancel").is_displayed()
    browser.save_screenshot(str(shots / "build-page.png"))

    by_css(browser, '#procs a[title^="greet"]').click()
    wait_for(lambda: "hello-from-greet-world" in text_of(browser, "#log"), what="greet's log")
    assert "?pid=" in browser.current_url and text_of(browser, "#log-title") == "greet"
    assert text_of(browser, "#log .fg1") == "red-text" and "\x1b" not in text_of(browser, "#log")
    second = by_css(browser, '#procs a[title^="second"]').get_attribute("data-pid")
    assert browser.current_url.endswith(f"?pid={int(second) - 1}")

    open_build(browser, web_server, repo_id, 1, f"?pid={second}")
    wait_for(lambda: "output-of-second" in text_of(browser, "#log"), what="second's log")
    assert "hello-from-greet" not in text_of(browser, "#log")
    assert text_of(browser, "#procs a.selected .name") == "second"


def test_cancel_a_running_build_from_its_page(browser, web_server):
    """A build started elsewhere appears in the repo's list; on its page the Cancel button kills it, the
    page shows killed and offers Restart, which runs the build again in place (cancelled again)."""
    repo_id = activate(web_server, {".circle.yml": SLOW})
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}")
    number = web_server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    row = wait_for(lambda: by_css(browser, f'#builds tr[data-number="{number}"]'), what="the new build in the list")
    assert text_of(browser, "#builds tbody tr:first-child [data-field=message]") == "first commit"
    by_css(row, "a.build-link").click()
    wait_for(lambda: "started-slow" in text_of(browser, "#log"), what="the slow step's output")
    assert text_of(browser, ".build-title .status") == "running"
    by_css(browser, "#action-cancel").click()
    wait_for(lambda: text_of(browser, ".build-title .status") == "killed", what="the killed build")
    wait_for(lambda: by_css(browser, "#action-restart").is_displayed(), what="the Restart button")
    assert not by_css(browser, "#action-cancel").is_displayed()
    assert web_server.build(repo_id, number)["status"] == "killed"

    by_css(browser, "#action-restart").click()
    wait_for(lambda: text_of(browser, ".build-title .status") == "running"
             and "started-slow" in text_of(browser, "#log"), what="the restarted build running again")
    by_css(browser, "#action-cancel").click()
    wait_for(lambda: text_of(browser, ".build-title .status") == "killed", what="the killed build")
    assert web_server.build(repo_id, number)["status"] == "killed"


def test_agents_page_is_for_administrators_only(browser, web_server):
    """The admin sees the agent and the queue; a user without admin rights gets the 403 page and no link."""
    log_in(browser, web_server, "admin", web_server.password, "/agents")
    assert "web-agent" in text_of(browser, "#agents")
    web_server.ok("POST", "/api/users", json={"login": "bob", "password": "bob-password"})
    log_in(browser, web_server, "bob", "bob-password", "/agents")
    assert text_of(browser, ".error-status") == "403"
    assert "Agents" not in text_of(browser, ".topbar")
    by_css(browser, ".logout button").click()
    wait_for(lambda: browser.current_url.endswith("/login"), what="the login form after logging out")
    browser.get(web_server.url + "/")
    wait_for(lambda: "/login?next=" in browser.current_url, what="the login form")


def test_agents_page_follows_agents_live_and_pauses_resumes_and_deletes(browser, web_server):
    """An agent created elsewhere appears without a reload; Pause, Resume and Delete act through the API."""
    log_in(browser, web_server, "admin", web_server.password, "/agents")
    wait_for(lambda: "web-agent" in text_of(browser, "#agents"), what="the agents table")
    browser.execute_script("window.confirm = () => true; document.body.dataset.unreloaded = 'yes';")
    created = web_server.ok("POST", "/api/agents", json={"name": "live-agent"})
    row = f'#agents tr[data-agent-id="{created["id"]}"]'
    wait_for(lambda: "live-agent" in text_of(browser, "#agents"), what="the new agent on the page")
    assert text_of(browser, f"{row} [data-field=state]") == "offline"
    by_css(browser, f'{row} [data-action="pause"]').click()
    wait_for(lambda: text_of(browser, f"{row} [data-field=state]") == "paused", what="the paused agent")
    assert [a["paused"] for a in web_server.ok("GET", "/api/agents") if a["id"] == created["id"]] == [True]
    by_css(browser, f'{row} [data-action="resume"]').click()
    wait_for(lambda: text_of(browser, f"{row} [data-field=state]") == "offline", what="the resumed agent")
    by_css(browser, f'{row} [data-action="delete"]').click()
    wait_for(lambda: "live-agent" not in text_of(browser, "#agents"), what="the deleted agent gone")
    assert created["id"] not in [a["id"] for a in web_server.ok("GET", "/api/agents")]
    assert browser.execute_script("return document.body.dataset.unreloaded") == "yes"


def test_settings_secrets_and_configs_forms_call_the_api(browser, web_server):
    """The settings, secrets and configs forms send what their fields say; values never come back."""
    from selenium.webdriver.common.by import By

    repo_id = activate(web_server, {".circle.yml": SLOW})
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}?tab=settings")
    by_css(browser, "#settings input[name=gated]").click()
    timeout = by_css(browser, "#settings input[name=timeout]")
    timeout.clear()
    timeout.send_keys("30")
    by_css(browser, "#settings input[name=retention_days]").send_keys("90")
    by_css(browser, "#settings button[type=submit]").click()
    wait_for(lambda: text_of(browser, "#settings .form-msg") == "Saved.", what="the saved settings")
    repo = web_server.ok("GET", f"/api/repos/{repo_id}")
    assert repo["gated"] is True and repo["timeout"] == 30 and repo["allow_push"] is True
    assert repo["retention_days"] == 90 and repo["retention_keep_min"] is None  # left empty: the global setting

    browser.get(f"{web_server.url}/repos/{repo_id}?tab=secrets")
    by_css(browser, "#add-secret input[name=name]").send_keys("api_key")
    by_css(browser, "#add-secret input[name=value]").send_keys("value-that-stays-hidden")
    by_css(browser, '#add-secret input[value="tag"]').click()
    by_css(browser, "#add-secret textarea[name=images]").send_keys("alpine*")
    by_css(browser, "#add-secret button[type=submit]").click()
    wait_for(lambda: "api_key" in text_of(browser, "#secrets"), what="the new secret in the list")
    assert "value-that-stays-hidden" not in browser.page_source
    secret = next(s for s in web_server.ok("GET", f"/api/repos/{repo_id}/secrets") if s["name"] == "api_key")
    assert secret["events"] == ["push", "deployment", "manual"] and secret["images"] == ["alpine*"]

    browser.get(f"{web_server.url}/repos/{repo_id}?tab=configs")
    by_css(browser, "#add-config input[name=name]").send_keys("release")
    by_css(browser, "#add-config textarea[name=content]").send_keys(SLOW)
    by_css(browser, '#add-config textarea[name="branches.include"]').send_keys("release/*\nhotfix/*")
    by_css(browser, "#add-config button[type=submit]").click()
    wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, "details.config")) == 2, what="the new config")
    config = next(c for c in web_server.ok("GET", f"/api/repos/{repo_id}/configs") if c["name"] == "release")
    assert config["path"] is None and config["content"].strip() == SLOW.strip()
    assert config["branches"] == {"include": ["release/*", "hotfix/*"], "exclude": []}

    by_css(browser, "#add-config input[name=name]").send_keys("broken")
    by_css(browser, "#add-config input[name=path]").send_keys(".circle.yml")
    by_css(browser, "#add-config textarea[name=content]").send_keys("x: 1")
    by_css(browser, "#add-config button[type=submit]").click()
    wait_for(lambda: "exactly one of path and content" in text_of(browser, "#add-config .form-msg"),
             what="the API's message under the form")


def test_crons_form_adds_and_deletes_a_job(browser, web_server):
    """The crons tab's form creates a job from its fields (empty branch: the default); its button deletes it."""
    from selenium.webdriver.common.by import By

    repo_id = activate(web_server, {".circle.yml": SLOW})
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}?tab=crons")
    by_css(browser, "#add-cron input[name=name]").send_keys("nightly")
    by_css(browser, "#add-cron input[name=schedule]").send_keys("0 3 * * *")
    by_css(browser, "#add-cron button[type=submit]").click()
    wait_for(lambda: "nightly" in text_of(browser, "#crons"), what="the new cron job in the list")
    [job] = web_server.ok("GET", f"/api/repos/{repo_id}/crons")
    assert (job["name"], job["schedule"], job["branch"]) == ("nightly", "0 3 * * *", "")
    by_css(browser, "#add-cron input[name=name]").send_keys("bad")
    by_css(browser, "#add-cron input[name=schedule]").send_keys("* * *")
    by_css(browser, "#add-cron button[type=submit]").click()
    wait_for(lambda: "5 fields" in text_of(browser, "#add-cron .form-msg"), what="the schedule error")
    by_css(browser, "#crons button.btn-danger").click()
    browser.switch_to.alert.accept()
    wait_for(lambda: not browser.find_elements(By.CSS_SELECTOR, "#crons"), what="the emptied list")
    assert web_server.ok("GET", f"/api/repos/{repo_id}/crons") == []


def test_repair_hook_button_gives_the_repo_a_new_hook_url(browser, web_server):
    """The settings tab's "Repair hook" button (after its confirmation) rotates the hook URL through the API."""
    repo_id = activate(web_server, {".circle.yml": SLOW})
    before = web_server.ok("GET", f"/api/repos/{repo_id}")["hook_url"]
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}?tab=settings")
    browser.execute_script("window.confirm = () => true;")
    by_css(browser, "#repair-hook").click()
    wait_for(lambda: text_of(browser, "#repair-hook + .form-msg") == "Hook repaired.", what="the repaired hook")
    assert web_server.ok("GET", f"/api/repos/{repo_id}")["hook_url"] != before


ANSI_CASES = """
  const { AnsiState, runs, visibleText } = await import("/static/js/ansi.js");
  const show = (line, state) => runs(line, state).map((r) => [r.text, r.style ? r.style.classes.join(" ") : "",
                                                           r.style ? r.style.css.color || "" : ""]);
  const state = new AnsiState();
  return {
    basic: show("\\x1b[1;31mred\\x1b[0m plain", new AnsiState()),
    carried: [show("\\x1b[32mgreen starts", state), show("still green\\x1b[39m done", state)],
    c256: show("\\x1b[38;5;208mo\\x1b[38;5;9mb", new AnsiState()),
    rgb: show("\\x1b[38;2;1;2;3mx", new AnsiState()),
    cursor: show("\\x1b[2K\\x1b[1Gclean\\x1b]0;title\\x07 text\\x1b(B\\x1b7", new AnsiState()),
    progress: visibleText("10%\\r50%\\r100%\\r"),
    controls: show("a\\x00b\\x07c\\td\\x1b", new AnsiState()),
  };
"""


def test_ansi_codes_become_styles(browser, web_server):
    """SGR codes become classes (carried across lines), 256/RGB colours inline colours; other escapes go."""
    log_in(browser, web_server, "admin", web_server.password, "/")
    result = browser.execute_async_script(
        f"const done = arguments[arguments.length - 1]; (async () => {{ {ANSI_CASES} }})().then(done);")
    assert result["basic"] == [["red", "fg1 ab", ""], [" plain", "", ""]]
    assert result["carried"] == [[["green starts", "fg2", ""]], [["still green", "fg2", ""], [" done", "", ""]]]
    assert result["c256"] == [["o", "", "rgb(255,135,0)"], ["b", "fg9", ""]]
    assert result["rgb"] == [["x", "", "rgb(1,2,3)"]]
    assert result["cursor"] == [["clean", "", ""], [" text", "", ""]]
    assert result["progress"] == "100%"
    assert result["controls"] == [["abc\td", "", ""]]


MATRIX = ("pipeline:\n  check:\n    image: x\n    commands: [date +run-%s%N, 'test \"${AXIS}\" = good']\n"
          "matrix:\n  AXIS: [good, bad]\n")


def test_a_workflows_restart_button_runs_only_that_workflow(browser, web_server):
    """On a finished build's page each workflow has a Restart button: it runs that workflow again (a new log) and
    leaves the other workflow's log as it was."""
    repo_id = activate(web_server, {".circle.yml": MATRIX})
    number = web_server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    assert web_server.wait_build(repo_id, number)["status"] == "failure"
    procs = web_server.build(repo_id, number)["procs"]
    names = {p["pid"]: p["name"] for p in procs if p["ppid"] == 0}
    checks = {names[p["ppid"]]: p["pid"] for p in procs if p["ppid"]}

    def log(name: str) -> str:
        return web_server.api("GET", f"/api/repos/{repo_id}/builds/{number}/logs/{checks[name]}?format=text").text

    before = {name: log(name) for name in checks}
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}/builds/{number}")
    bad = next(pid for pid, name in names.items() if name.endswith("AXIS=bad)"))
    button = wait_for(lambda: by_css(browser, f'.workflow[data-pid="{bad}"] .workflow-restart'),
                      what="the workflow's Restart button")
    assert button.is_displayed()
    button.click()
    wait_for(lambda: log("default (AXIS=bad)") != before["default (AXIS=bad)"], what="the workflow's new log")
    assert web_server.wait_build(repo_id, number)["status"] == "failure"
    assert log("default (AXIS=good)") == before["default (AXIS=good)"]
    wait_for(lambda: text_of(browser, ".build-title .status") == "failure", what="the page showing failure again")


def test_a_live_build_page_puts_exit_codes_and_the_agent_where_they_belong(browser, web_server):
    """Watched live, a failing build shows the failing step's exit code on that step (not the workflow's on the
    first step) and the workflow's agent as soon as it is known, without a reload."""
    pipeline = ("pipeline:\n  first:\n    image: x\n    commands: [sleep 3, echo ok]\n"
                "  second:\n    image: x\n    commands: [exit 3]\n")
    repo_id = activate(web_server, {".circle.yml": pipeline})
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}")
    number = web_server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    open_build(browser, web_server, repo_id, number)
    wait_for(lambda: text_of(browser, ".build-title .status") == "failure", timeout=30, what="failure")
    exits = browser.execute_script(
        "return Array.from(document.querySelectorAll('#procs .proc [data-field=exit_code]'),"
        " (e) => [e.closest('.proc').querySelector('.name').textContent, e.hidden, e.textContent])")
    shown = {name: text for name, hidden, text in exits if not hidden}
    assert shown == {"second": "exit 3"}, exits
    machine = by_css(browser, ".workflow > .machine [data-field=machine]")
    assert machine.is_displayed() and machine.text, machine.get_attribute("outerHTML")


def test_a_build_page_says_live_why_its_workflows_wait(browser, web_server):
    """deploy depends on build: while build runs the page says deploy waits for it (build's own reason gone, as
    the page asks again after each change); once both ran, nothing waits and the list is hidden."""
    repo_id = activate(web_server, {
        ".woodpecker/build.yml": "steps:\n  b:\n    image: x\n    commands: [echo b, sleep 4]\n",
        ".woodpecker/deploy.yml": "depends_on: [build]\nsteps:\n  d:\n    image: x\n    commands: [echo d]\n"})
    number = web_server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}/builds/{number}")
    wait_for(lambda: text_of(browser, "#build-waiting") == "Waiting: waiting for workflow build"
             and by_css(browser, "#build-waiting").is_displayed(), what="deploy waiting for build, alone")
    wait_for(lambda: text_of(browser, ".build-title .status") == "success", timeout=30, what="success")
    wait_for(lambda: not by_css(browser, "#build-waiting").is_displayed(), what="the reasons gone")
    assert text_of(browser, "#build-waiting") == ""


def test_workflows_show_as_rows_in_dependency_order(browser, web_server, shots: Path):
    """A `.woodpecker/` build of three workflows, `test` after `build` and `lint` independent: the page shows
    `build` and `lint` side by side in the first row, `test` in the second with "after: build", and follows
    the states live; clicking a workflow there shows its log."""
    build = "steps:\n  compile:\n    image: x\n    commands: [sleep 2, echo compiled]\n"
    lint = "steps:\n  vet:\n    image: x\n    commands: [echo vetted]\n"
    test = "depends_on: [build]\nsteps:\n  check:\n    image: x\n    commands: [echo tested]\n"
    repo_id = activate(web_server, {".woodpecker/build.yml": build, ".woodpecker/lint.yml": lint,
                                    ".woodpecker/test.yml": test})
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}")
    number = web_server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    open_build(browser, web_server, repo_id, number)

    def rows() -> list[list[tuple[str, str, str]]]:
        return browser.execute_script(
            "return Array.from(document.querySelectorAll('#workflow-graph .wf-row'), (row) =>"
            " Array.from(row.querySelectorAll('.wf-node'), (node) => [node.querySelector('.name').textContent,"
            " node.dataset.state, node.querySelector('.wf-after')?.textContent || '']))")

    assert [[name for name, _, _ in row] for row in rows()] == [["build", "lint"], ["test"]]
    assert rows()[1][0][2] == "after: build"
    tops = browser.execute_script(
        "return Object.fromEntries(Array.from(document.querySelectorAll('#workflow-graph .wf-node'), (node) =>"
        " [node.querySelector('.name').textContent, node.getBoundingClientRect().top]))")
    assert tops["build"] == tops["lint"] < tops["test"], tops
    wait_for(lambda: all(state == "success" for row in rows() for _, state, _ in row), timeout=30,
             what="every workflow shown as success without a reload")
    browser.save_screenshot(str(shots / "workflow-rows.png"))
    test_pid = by_css(browser, "#workflow-graph .wf-row:nth-child(2) .wf-node").get_attribute("data-pid")
    by_css(browser, "#workflow-graph .wf-row:nth-child(2) a").click()
    wait_for(lambda: browser.current_url.endswith(f"?pid={test_pid}")
             and text_of(browser, "#log-title") == "test", what="the test workflow's log")
