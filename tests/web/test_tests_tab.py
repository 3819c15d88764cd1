"""Test results on the dashboard, in real headless Chromium: a build's Tests card, the tests page, the failed
count on build rows, the flaky-tests page and a test's history, from reports a real agent uploaded."""
from __future__ import annotations

from pathlib import Path

import pytest

from web.browser import wait_for
from web.test_browser import activate, by_css, log_in, open_build, text_of

pytestmark = pytest.mark.slow

CASES = ('<testcase classname="shop.cart" name="test_add" time="0.01"/>'
         '<testcase classname="shop.cart" name="test_skip" time="0"><skipped/></testcase>')
FAIL = (f'<testsuite name="shop">{CASES}<testcase classname="shop.cart" name="test_total" time="0.2">'
        '<failure message="assert 100 == 90">cart.py:12: AssertionError</failure></testcase></testsuite>')
PASS = f'<testsuite name="shop">{CASES}<testcase classname="shop.cart" name="test_total" time="0.2"/></testsuite>'
# Odd builds fail test_total, even ones pass it: two builds of one commit make it flaky.
PIPELINE = """
pipeline:
  test:
    image: x
    commands:
      - mkdir -p out
      - 'if [ $((CI_BUILD_NUMBER % 2)) = 1 ]; then cp fail.xml out/junit.xml; else cp pass.xml out/junit.xml; fi'
    reports: out/*.xml
"""


def test_tests_card_rows_and_flaky_page(browser, web_server, shots: Path):
    repo_id = activate(web_server, {".circle.yml": PIPELINE, "fail.xml": FAIL, "pass.xml": PASS})
    for number in (1, 2):
        web_server.ok("POST", f"/api/repos/{repo_id}/builds", json={})
        assert web_server.wait_build(repo_id, number, timeout=60)["status"] == "success"
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}/builds/1")
    open_build(browser, web_server, repo_id, 1)
    assert " ".join(text_of(browser, "#test-counts").split()) == \
        "3 tests: 1 passed, 1 failed, 0 errors, 1 skipped (0.21s)"
    failed = browser.find_elements("css selector", "#failed-tests .test-case")
    assert len(failed) == 1 and text_of(browser, "#failed-tests [data-field=message]") == "assert 100 == 90"
    assert "test_total" in text_of(browser, "#failed-tests [data-field=name]")
    browser.save_screenshot(str(shots / "tests-card.png"))
    by_css(browser, "#failed-tests [data-field=log]").click()
    wait_for(lambda: "?pid=" in browser.current_url, what="the step's log")
    wait_for(lambda: text_of(browser, "#log-title") == "test", what="the test step selected")

    open_build(browser, web_server, repo_id, 1)
    by_css(browser, "#all-tests").click()
    wait_for(lambda: browser.current_url.endswith("/builds/1/tests"), what="the tests page")
    statuses = [e.get_attribute("data-status") for e in browser.find_elements("css selector", ".test-case")]
    assert statuses == ["failed", "passed", "skipped"]

    browser.get(f"{web_server.url}/repos/{repo_id}")
    row = wait_for(lambda: by_css(browser, '.build-row[data-number="1"]'))
    assert text_of(row, "[data-field=failed-tests]") == "1 failed"
    assert not browser.find_elements("css selector", '.build-row[data-number="2"] [data-field=failed-tests]')
    by_css(browser, "#flaky-link").click()
    wait_for(lambda: browser.current_url.endswith("/tests/flaky"), what="the flaky tests page")
    rows = browser.find_elements("css selector", "#flaky .flaky-row")
    assert len(rows) == 1 and "test_total" in text_of(browser, "#flaky [data-field=name]")
    assert (text_of(browser, "#flaky [data-field=failed]"), text_of(browser, "#flaky [data-field=builds]")) == (
        "1", "#1")
    by_css(browser, "#flaky a[data-field=name]").click()
    wait_for(lambda: "/tests/" in browser.current_url and "flaky" not in browser.current_url, what="the history")
    assert [e.get_attribute("class") for e in browser.find_elements("css selector", "#sparkline rect")] == [
        "spark-failed", "spark-passed"]
    assert [e.get_attribute("data-status") for e in browser.find_elements("css selector", ".result-row")] == [
        "passed", "failed"]
    browser.save_screenshot(str(shots / "test-history.png"))
