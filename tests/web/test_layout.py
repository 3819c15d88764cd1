"""The dashboard's layout in real Chromium: a phone-wide viewport never scrolls sideways, and the small things a
newcomer tripped over (the code-host form's fields per kind, one primary button, breadcrumbs, the badge)."""
from __future__ import annotations

from typing import Any

import pytest
import requests

from e2e.harness import Server
from web.browser import wait_for
from web.test_browser import activate, by_css, log_in, text_of

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": False}
PIPELINE = ("pipeline:\n  a-step-with-a-rather-long-name-for-a-phone:\n    image: x\n"
            "    commands: [echo a-line-of-output-much-wider-than-a-phone-screen-is-wide-0123456789-abcdefghij]\n"
            "  second:\n    image: x\n    commands: [echo ok]\n")
# The document's width, and the viewport's without its scrollbar (at most innerWidth).
SCROLLS = "return [document.scrollingElement.scrollWidth, document.documentElement.clientWidth]"
# Tables wider than their box that do not scroll inside it (their right part cut off).
CLIPPED = ("return Array.from(document.querySelectorAll('main table'))"
           ".filter((t) => t.scrollWidth > t.clientWidth + 1"
           " && !['auto', 'scroll'].includes(getComputedStyle(t).overflowX))"
           ".map((t) => t.id || t.className)")


def _on_phone(driver: Any) -> None:
    """Make the viewport a 390 px wide phone (the meta viewport applies)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)


def _wide_pages(driver: Any, server: Server, paths: list[str]) -> dict[str, Any]:
    """Open each path; return those whose document is wider than the viewport ([scrollWidth, clientWidth]) or
    that cut a table off."""
    wide: dict[str, Any] = {}
    for path in paths:
        driver.get(server.url + path)
        wait_for(lambda: driver.execute_script("return document.readyState") == "complete", what=path)
        width, inner = driver.execute_script(SCROLLS)
        if width > inner:
            wide[path] = [width, inner]
        if driver.execute_script(CLIPPED):
            wide[path] = driver.execute_script(CLIPPED)
    return wide


def test_no_page_scrolls_sideways_on_a_phone(browser, web_server):
    """With a repo, a finished two-step build and an agent, every page fits 390 px: the tab bar wraps."""
    repo_id = activate(web_server, {".circle.yml": PIPELINE})
    number = web_server.ok("POST", f"/api/repos/{repo_id}/builds", json={"params": {"A_PARAMETER": "x" * 80}})[0]
    assert web_server.wait_build(repo_id, number["number"])["status"] == "success"
    log_in(browser, web_server, "admin", web_server.password)
    _on_phone(browser)
    try:
        assert browser.execute_script("return window.innerWidth") == 390
        repo = f"/repos/{repo_id}"
        paths = ["/", "/scms", repo, *(f"{repo}?tab={tab}" for tab in
                                       ("settings", "configs", "secrets", "registries", "crons")),
                 f"{repo}/builds/{number['number']}", f"{repo}/builds/{number['number']}?pid=2", "/agents", "/account"]
        assert _wide_pages(browser, web_server, paths) == {}
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_code_host_form_shows_what_the_kind_takes(browser, web_server):
    """For kind local the credentials and the https example are gone (and not sent); for a forge they are back.
    While the form is open there is no "Register a code host" button, and Cancel closes it."""
    from selenium.webdriver.support.ui import Select

    activate(web_server, {".circle.yml": PIPELINE})
    log_in(browser, web_server, "admin", web_server.password, "/scms")
    summary = by_css(browser, "details.register summary")
    summary.click()
    assert not summary.is_displayed()
    kind = Select(by_css(browser, "#register-scm select[name=kind]"))
    kind.select_by_value("local")
    url = by_css(browser, "#register-scm input[name=url]")
    assert not by_css(browser, "#register-scm input[name=token]").is_displayed()
    assert not by_css(browser, "#register-scm input[name=username]").is_displayed()
    assert "https" not in url.get_attribute("placeholder")
    kind.select_by_value("gitea")
    assert by_css(browser, "#register-scm input[name=token]").is_displayed()
    assert url.get_attribute("placeholder").startswith("https://")
    by_css(browser, "#register-cancel").click()
    assert by_css(browser, "details.register summary").is_displayed()
    assert not by_css(browser, "#register-scm").is_displayed()


def _primary_buttons(driver: Any) -> list[str]:
    """Return the texts of the visible buttons in the page's main part drawn in the accent colour."""
    return driver.execute_script("""
      const probe = document.createElement('span');
      probe.className = 'btn btn-primary';
      document.body.appendChild(probe);
      const blue = getComputedStyle(probe).backgroundColor;
      probe.remove();
      return Array.from(document.querySelectorAll('main .btn'))
        .filter((b) => b.offsetParent !== null && getComputedStyle(b).backgroundColor === blue)
        .map((b) => b.textContent.trim());
    """)


def test_one_primary_button_crumbs_without_a_trailing_slash_and_a_badge_to_copy(browser, web_server):
    """The open build form has one blue button (Start build); breadcrumbs end in the page, not in "/"; the
    settings tab offers the badge's Markdown, whose image URL serves the badge."""
    repo_id = activate(web_server, {".circle.yml": PIPELINE})
    log_in(browser, web_server, "admin", web_server.password, f"/repos/{repo_id}")
    assert by_css(browser, "details.build-form").get_attribute("open")
    assert _primary_buttons(browser) == ["Start build"]
    crumbs = text_of(browser, ".crumbs").strip()
    assert not crumbs.endswith("/") and crumbs.endswith(text_of(browser, "h1"))
    by_css(browser, "#start-build").click()
    wait_for(lambda: "/builds/1" in browser.current_url, what="the build page")
    assert text_of(browser, ".crumbs").strip().endswith("/ #1")

    browser.get(f"{web_server.url}/repos/{repo_id}?tab=settings")
    markdown = text_of(browser, "#badge-markdown")
    image = f"{web_server.url}/api/badges/{repo_id}/status.svg"
    assert markdown == f"[![build status]({image})]({web_server.url}/repos/{repo_id})"
    answer = requests.get(image, timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("image/svg+xml")
