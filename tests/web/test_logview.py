"""The build page's log viewer in real headless Chromium against a real server and agent: line links and
ranges, elapsed times, find, command sections, the end line, downloads, parallel groups, 100 000 lines."""
from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest

from e2e.harness import Server
from web.browser import wait_for
from web.test_browser import activate, by_css, log_in, open_build, text_of

pytestmark = pytest.mark.slow

WORK = """
pipeline:
  work:
    image: x
    commands:
      - echo first-line
      - sleep 2
      - seq 1 30 | sed 's/^/row-/'
"""

ROWS = "return Array.from(document.querySelectorAll('#log .line[data-n]'), (r) => [Number(r.dataset.n), " \
       "r.querySelector('.lx').textContent, r.querySelector('.lt').dataset.t, r.classList.contains('hl')])"


def finished_build(server: Server, pipeline: str, status: str = "success") -> tuple[int, int, dict[str, int]]:
    """Run `pipeline` to its end; return the repo id, the build number and the pids of its steps by name."""
    repo_id = activate(server, {".circle.yml": pipeline})
    number = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    assert server.wait_build(repo_id, number, timeout=60)["status"] == status
    pids = {p["name"]: p["pid"] for p in server.build(repo_id, number)["procs"] if p["ppid"]}
    return repo_id, number, pids


def rows(driver: Any) -> dict[int, tuple[str, str, bool]]:
    """Return the log rows in the DOM: line number → (text, elapsed time shown, highlighted)."""
    return {n: (text, elapsed, lit) for n, text, elapsed, lit in driver.execute_script(ROWS)}


def line_number(driver: Any, text: str) -> int:
    """Return the number of the rendered row whose text is `text`."""
    return next(n for n, (shown, _, _) in rows(driver).items() if shown == text)


def visible(driver: Any, n: int) -> bool:
    """Tell whether row `n` is in the DOM and inside the log box's visible area."""
    return driver.execute_script(
        "const row = document.querySelector(`#log .line[data-n='${arguments[0]}']`); if (!row) return false;"
        "const box = document.getElementById('log').getBoundingClientRect(), r = row.getBoundingClientRect();"
        "return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;", n)


def test_line_links_ranges_and_elapsed_times(browser, web_server):
    """#L<n> highlights and shows a line, a click puts #L<n> in the address, a shift-click #L<a>-L<b>; each row
    shows the seconds since the step started, as stored with the line."""
    repo_id, number, pids = finished_build(web_server, WORK)
    lines = web_server.ok("GET", f"/api/repos/{repo_id}/builds/{number}/logs/{pids['work']}")
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}")
    open_build(browser, web_server, repo_id, number, f"?pid={pids['work']}#L5")
    wait_for(lambda: rows(browser).get(5, ("", "", False))[2], what="line 5 highlighted")
    shown = rows(browser)
    assert [n for n, (_, _, lit) in shown.items() if lit] == [5]
    assert visible(browser, 5)
    for line in lines:
        minutes, seconds = divmod(line["time"], 60)
        assert shown[line["pos"] + 1][1] == f"{minutes}:{seconds:02d}"
    seq = line_number(browser, "+ seq 1 30 | sed 's/^/row-/'")
    assert shown[seq][1] >= "0:02" and shown[line_number(browser, "first-line")][1] == "0:00"

    row3 = line_number(browser, "row-3")
    by_css(browser, f"#log .line[data-n='{row3}'] a.ln").click()
    wait_for(lambda: browser.current_url.endswith(f"#L{row3}"), what="the line's address")
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    target = by_css(browser, f"#log .line[data-n='{row3 + 5}'] a.ln")
    ActionChains(browser).key_down(Keys.SHIFT).click(target).key_up(Keys.SHIFT).perform()
    wait_for(lambda: browser.current_url.endswith(f"#L{row3}-L{row3 + 5}"), what="the range's address")
    wait_for(lambda: [n for n, (_, _, lit) in rows(browser).items() if lit] == list(range(row3, row3 + 6)),
             what="the range highlighted")
    assert f"?pid={pids['work']}#" in browser.current_url

    open_build(browser, web_server, repo_id, number, f"?pid={pids['work']}#L{seq}-L{seq + 2}")
    wait_for(lambda: [n for n, (_, _, lit) in rows(browser).items() if lit] == [seq, seq + 1, seq + 2],
             what="the range of the address highlighted")


def test_find_in_a_log_marks_counts_and_steps_through_matches(browser, web_server):
    """Typing in the find box marks every match and says "1 of N"; next/previous (buttons, Enter) move the
    current match, wrapping around."""
    from selenium.webdriver.common.keys import Keys

    repo_id, number, pids = finished_build(web_server, WORK)
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}/builds/{number}?pid={pids['work']}")
    wait_for(lambda: "row-30" in text_of(browser, "#log"), what="the log")
    find = by_css(browser, "#log-find")
    find.send_keys("ROW-2")  # row-2, row-20 … row-29; case ignored
    wait_for(lambda: text_of(browser, "#log-find-count") == "1 of 11", what="the count")
    marks = "return Array.from(document.querySelectorAll('#log mark'), (m) => [m.textContent, m.className])"
    assert browser.execute_script(marks)[0] == ["row-2", "current"]
    assert len(browser.execute_script(marks)) == 11
    # The current mark is drawn just after the count changes: wait for it too.
    current = ("const mark = document.querySelector('#log mark.current');"
               "return mark && mark.closest('.line').querySelector('.lx').textContent")
    wait_for(lambda: browser.execute_script(current) == "row-2", what="the first match marked current")
    by_css(browser, "#log-find-next").click()
    wait_for(lambda: text_of(browser, "#log-find-count") == "2 of 11", what="the next match")
    wait_for(lambda: browser.execute_script(current) == "row-20", what="the second marked current")
    find.send_keys(Keys.ENTER)
    wait_for(lambda: text_of(browser, "#log-find-count") == "3 of 11", what="Enter: the next match")
    wait_for(lambda: browser.execute_script(current) == "row-21", what="the third marked current")
    for _ in range(3):
        by_css(browser, "#log-find-prev").click()
    wait_for(lambda: text_of(browser, "#log-find-count") == "11 of 11", what="previous, wrapped around")
    wait_for(lambda: browser.execute_script(current) == "row-29", what="the last marked current")
    find.clear()
    find.send_keys("no such text")
    wait_for(lambda: text_of(browser, "#log-find-count") == "no matches", what="no matches")
    assert browser.execute_script(marks) == []


def test_command_sections_fold_and_the_end_line_says_how_the_step_ended(browser, web_server):
    """Each command line starts a section its button folds and unfolds; the last row gives the exit code and
    the duration (failed, cancelled, timed out)."""
    repo_id, number, pids = finished_build(web_server, WORK)
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}/builds/{number}?pid={pids['work']}")
    wait_for(lambda: text_of(browser, "#log .log-end"), what="the end line")
    heads = browser.execute_script(
        "return Array.from(document.querySelectorAll('#log .line.section .lx'), (e) => e.textContent)")
    assert heads == ["+ echo first-line", "+ sleep 2", "+ seq 1 30 | sed 's/^/row-/'"]
    assert re.fullmatch(r"Succeeded after [0-9]+s: exit code 0", text_of(browser, "#log .log-end"))
    took = "return document.querySelector('#log .line.section[data-n=\"' + arguments[0] + '\"] .took').dataset.t"
    sleep_head = line_number(browser, "+ sleep 2")
    assert browser.execute_script(took, sleep_head) in ("2s", "3s")
    seq = line_number(browser, "+ seq 1 30 | sed 's/^/row-/'")
    by_css(browser, f"#log .line[data-n='{seq}'] button.fold").click()
    wait_for(lambda: "row-1" not in [text for text, _, _ in rows(browser).values()], what="the folded section")
    assert by_css(browser, f"#log .line[data-n='{seq}'] button.fold").get_attribute("aria-expanded") == "false"
    assert text_of(browser, "#log .log-end")
    by_css(browser, f"#log .line[data-n='{seq}'] button.fold").click()
    wait_for(lambda: "row-30" in [text for text, _, _ in rows(browser).values()], what="the unfolded section")

    failing = "pipeline:\n  broken:\n    image: x\n    commands: [echo about-to-fail, exit 3]\n"
    repo_id, number, pids = finished_build(web_server, failing, "failure")
    open_build(browser, web_server, repo_id, number, f"?pid={pids['broken']}")
    wait_for(lambda: by_css(browser, "#log .log-end").get_attribute("data-kind") == "failed", what="the failed end")
    assert re.fullmatch(r"Failed after [0-9]+s: exit code 3", text_of(browser, "#log .log-end"))

    slow = "pipeline:\n  slow:\n    image: x\n    commands: [echo started-slow, sleep 2, echo later-slow, sleep 300]\n"
    repo_id = activate(web_server, {".circle.yml": slow})
    number = web_server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    open_build(browser, web_server, repo_id, number)
    wait_for(lambda: "started-slow" in text_of(browser, "#log"), what="the running step's output")
    by_css(browser, "#log-find").send_keys("slow")  # also found in the lines that arrive afterwards
    wait_for(lambda: text_of(browser, "#log-find-count") == "1 of 4", what="matches in lines tailed later")
    assert not browser.find_elements("css selector", "#log .log-end")
    web_server.ok("POST", f"/api/repos/{repo_id}/builds/{number}/cancel")
    wait_for(lambda: by_css(browser, "#log .log-end").get_attribute("data-kind") == "cancelled", timeout=30,
             what="the cancelled marker, live")
    assert text_of(browser, "#log .log-end").startswith("Cancelled")

    timeout = "pipeline:\n  stuck:\n    image: x\n    timeout: 1s\n    commands: [sleep 30]\n"
    repo_id, number, pids = finished_build(web_server, timeout, "failure")
    open_build(browser, web_server, repo_id, number, f"?pid={pids['stuck']}")
    wait_for(lambda: by_css(browser, "#log .log-end").get_attribute("data-kind") == "timedout", what="timed out")
    assert "Timed out" in text_of(browser, "#log .log-end") and "timed out after 1 second" in text_of(
        browser, "#log .log-end")


def test_download_links_of_a_step_and_of_the_whole_build(browser, web_server):
    """The log head links the selected step's text (as STEP.log) and the build's zip of every step's log."""
    pipeline = WORK + "  other:\n    image: x\n    commands: [echo from-other]\n"
    repo_id, number, pids = finished_build(web_server, pipeline)
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}/builds/{number}?pid={pids['work']}")
    wait_for(lambda: "row-30" in text_of(browser, "#log"), what="the log")
    step = by_css(browser, "#log-download")
    assert step.get_attribute("download") == "work.log"
    assert step.get_attribute("href").endswith(f"/builds/{number}/logs/{pids['work']}?format=text")
    by_css(browser, f'#procs a[data-pid="{pids["other"]}"]').click()
    wait_for(lambda: by_css(browser, "#log-download").get_attribute("download") == "other.log", what="other's link")
    whole = by_css(browser, "#logs-zip").get_attribute("href")
    assert whole == f"{web_server.url}/api/repos/{repo_id}/builds/{number}/logs?format=zip"
    fetched = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(async (r) => done([r.status, r.headers.get('content-type'),"
        " Array.from(new Uint8Array(await r.arrayBuffer()))]));", whole)
    assert fetched[:2] == [200, "application/zip"]
    archive = zipfile.ZipFile(io.BytesIO(bytes(fetched[2])))
    assert sorted(archive.namelist()) == ["default/clone.log", "default/other.log", "default/work.log"]
    assert "row-30\n" in archive.read("default/work.log").decode()
    assert archive.read("default/work.log").decode() == web_server.log_text(repo_id, number, "work")


def test_a_100000_line_log_is_virtualised(browser, web_server):
    """A finished step with 100 000 coloured lines keeps only a few hundred rows in the DOM; #L99999 scrolls to
    that line, and the end of the log is reachable by scrolling."""
    pipeline = ("pipeline:\n  big:\n    image: x\n    commands:\n"
                "      - seq 100000 | sed 's/^/\\x1b[32mline\\x1b[0m /'\n")
    repo_id, number, pids = finished_build(web_server, pipeline)
    lines = web_server.ok("GET", f"/api/repos/{repo_id}/builds/{number}/logs/{pids['big']}?after=99990")
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}")
    open_build(browser, web_server, repo_id, number, f"?pid={pids['big']}#L99999")
    wait_for(lambda: visible(browser, 99999), timeout=30, what="line 99999 in view")
    expected = re.sub(r"\x1b\[[0-9;]*m", "", next(line["out"] for line in lines if line["pos"] == 99998))
    assert rows(browser)[99999][0] == expected and rows(browser)[99999][2]
    assert browser.execute_script("return document.querySelector(\"#log .line[data-n='99999'] .fg2\").textContent") \
        == "line"
    count = "return document.querySelectorAll('#log .line').length"
    assert 0 < browser.execute_script(count) < 500
    browser.execute_script("const box = document.getElementById('log'); box.scrollTop = box.scrollHeight;")
    last = len(lines) and lines[-1]["pos"] + 1
    wait_for(lambda: visible(browser, last), what="the last line after scrolling to the end")
    assert rows(browser)[last][0] == "line 100000" and browser.execute_script(count) < 500
    browser.execute_script("document.getElementById('log').scrollTop = 0;")
    wait_for(lambda: visible(browser, 1), what="the first line after scrolling to the top")
    assert browser.execute_script(count) < 500


def test_steps_of_a_parallel_group_are_shown_as_a_group(browser, web_server):
    """Steps with one `group` run as one stage: the API gives them that stage and the page boxes them together."""
    pipeline = ("pipeline:\n"
                "  lint:\n    image: x\n    group: checks\n    commands: [echo lint]\n"
                "  unit:\n    image: x\n    group: checks\n    commands: [echo unit]\n"
                "  package:\n    image: x\n    commands: [echo package]\n")
    repo_id, number, pids = finished_build(web_server, pipeline)
    stages = {p["name"]: p["stage"] for p in web_server.build(repo_id, number)["procs"] if p["ppid"]}
    assert stages == {"clone": "clone", "lint": "checks", "unit": "checks", "package": "package"}
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}")
    open_build(browser, web_server, repo_id, number)
    groups = browser.execute_script(
        "return Array.from(document.querySelectorAll('#procs .workflow > .steps > li'), (li) =>"
        " [li.className, li.dataset.stage || '',"
        "  Array.from(li.querySelectorAll('.step .name'), (n) => n.textContent)])")
    assert groups == [["proc step", "", ["clone"]], ["parallel", "checks", ["lint", "unit"]],
                      ["proc step", "", ["package"]]]
    assert text_of(browser, ".parallel .parallel-head") == "parallel · checks"
    by_css(browser, f'.parallel a[data-pid="{pids["unit"]}"]').click()
    wait_for(lambda: "unit" in [text for text, _, _ in rows(browser).values()], what="unit's log")


def test_repo_page_searches_the_logs_and_links_to_the_line(browser, web_server):
    """The repo page's search box lists the matching lines of its builds, newest first; a result opens the
    build on that step with the line highlighted."""
    pipeline = ("pipeline:\n  hunt:\n    image: x\n    commands:\n"
                "      - seq 1 40\n      - printf 'found-\\033[1mnee''dle\\033[0m-%s\\n' $CI_BUILD_NUMBER\n")
    repo_id, first, pids = finished_build(web_server, pipeline)
    second = web_server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    assert web_server.wait_build(repo_id, second)["status"] == "success"
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}")
    by_css(browser, "#log-search input[name=q]").send_keys("NEEDLE")
    by_css(browser, "#log-search button[type=submit]").click()
    wait_for(lambda: text_of(browser, "#log-search-msg").startswith("2 matching lines"), what="the results")
    found = browser.execute_script(
        "return Array.from(document.querySelectorAll('#log-results li'), (li) => [li.querySelector('a').textContent,"
        " li.querySelector('a').getAttribute('href'), li.querySelector('code').textContent])")
    matches = web_server.ok("GET", f"/api/repos/{repo_id}/logs/search?q=needle")
    line = matches[0]["pos"] + 1
    assert [match["number"] for match in matches] == [second, first]
    assert found == [[f"#{n} · hunt · line {line}", f"/repos/{repo_id}/builds/{n}?pid={pids['hunt']}#L{line}",
                      f"found-needle-{n}"] for n in (second, first)]
    by_css(browser, "#log-results li a").click()
    wait_for(lambda: f"/builds/{second}?pid=" in browser.current_url, what="the build page of the match")
    wait_for(lambda: rows(browser).get(line, ("", "", False))[2] and visible(browser, line), what="the line lit")
    assert rows(browser)[line][0] == f"found-needle-{second}"

    browser.get(f"{web_server.url}/repos/{repo_id}")
    by_css(browser, "#log-search input[name=q]").send_keys("nowhere-to-be-found")
    by_css(browser, "#log-search button[type=submit]").click()
    empty = "No line of the newest 20 builds holds “nowhere-to-be-found”."
    wait_for(lambda: text_of(browser, "#log-search-msg") == empty, what="the empty answer")
    assert not by_css(browser, "#log-results").is_displayed()


def test_a_line_address_waits_for_its_line_in_a_running_step(browser, web_server):
    """Opened at #L<n> before the running step wrote line n, the page highlights and shows it once it arrives."""
    pipeline = ("pipeline:\n  late:\n    image: x\n"
                "    commands: [echo early, sleep 3, 'seq 1 60 | sed s/^/late-/', sleep 2]\n")
    repo_id = activate(web_server, {".circle.yml": pipeline})
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}")
    number = web_server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    web_server.wait_build(repo_id, number, {"running"})
    pid = next(p["pid"] for p in web_server.build(repo_id, number)["procs"] if p["name"] == "late")
    open_build(browser, web_server, repo_id, number, f"?pid={pid}#L50")
    wait_for(lambda: rows(browser).get(50, ("", "", False))[2] and visible(browser, 50), timeout=30,
             what="line 50 highlighted once written")
    assert rows(browser)[50][0].startswith("late-")
    assert web_server.wait_build(repo_id, number)["status"] == "success"
