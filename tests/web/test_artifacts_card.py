"""The build page's Artifacts card, in real headless Chromium: a real agent's build stores two artifacts from one
step and a report from another; the card lists them per step with size, download link and the report marked."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from web.browser import wait_for
from web.test_browser import activate, by_css, log_in, open_build, text_of

pytestmark = pytest.mark.slow

REPORT = '<testsuite name="s"><testcase classname="c" name="test_ok" time="0.01"/></testsuite>'
# `wait` gives the page time to open while the build runs, so the card usually fills in live.
PIPELINE = """
pipeline:
  wait:
    image: x
    commands: [sleep 2]
  package:
    image: x
    commands:
      - mkdir -p dist
      - printf 'binary-bytes' > dist/app.bin
      - printf 'notes' > dist/notes.txt
    artifacts: dist/*
  test:
    image: x
    commands: [mkdir -p out, cp junit.xml out/junit.xml]
    reports: out/*.xml
"""


def _groups(browser) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """Return the card's steps, each with its files' (name, size text, marked as report)."""
    return [(text_of(step, "[data-field=step]"),
             [(text_of(item, "[data-field=name]"), text_of(item, "[data-field=size]").strip(),
               not by_css(item, "[data-field=report]").get_attribute("hidden"))
              for item in step.find_elements("css selector", ".artifact")])
            for step in browser.find_elements("css selector", "#artifacts .artifact-step")]


def test_artifacts_are_listed_per_step_with_size_link_and_reports_marked(browser, web_server, shots: Path):
    repo_id = activate(web_server, {".circle.yml": PIPELINE, "junit.xml": REPORT})
    web_server.ok("POST", f"/api/repos/{repo_id}/builds", json={})
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}/builds/1")
    open_build(browser, web_server, repo_id, 1)
    assert web_server.wait_build(repo_id, 1, timeout=60)["status"] == "success"
    # In order within a step: a glob's matches are uploaded sorted by path.
    expected = [("package", [("dist/app.bin", "12 Bytes", False), ("dist/notes.txt", "5 Bytes", False)]),
                ("test", [("out/junit.xml", f"{len(REPORT)} Bytes", True)])]
    wait_for(lambda: _groups(browser) == expected, timeout=30, what="both steps' artifacts")
    assert by_css(browser, "#no-artifacts").get_attribute("hidden")
    browser.save_screenshot(str(shots / "artifacts-card.png"))
    digest = hashlib.sha256(b"binary-bytes").hexdigest()
    link = by_css(browser, '#artifacts .artifact-step:first-child .artifact:first-child')
    href = by_css(link, "[data-field=download]").get_attribute("href")
    assert by_css(link, "[data-field=size]").get_attribute("title") == f"sha256 {digest}"
    fetched = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(async (r) => done([r.status, await r.text(), r.headers.get('ETag')]));", href)
    assert fetched == [200, "binary-bytes", f'"{digest}"']
