"""The account page in real Chromium: API tokens (created and shown once, listed by name and last use, revoked)
and the password change, against a real server process."""
from __future__ import annotations

from typing import Any

import pytest
import requests

from e2e.harness import Server
from web.browser import wait_for
from web.test_browser import by_css, log_in, text_of

pytestmark = pytest.mark.slow


def _as(server: Server, token: str) -> int:
    """Return the status of GET /api/user with `token`."""
    return requests.get(server.url + "/api/user", headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code


def _token_row(driver: Any, name: str) -> Any:
    """Return the row of the tokens table named `name`, or None."""
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, "#tokens tbody tr")
    return next((row for row in rows if by_css(row, "[data-field=name]").text == name), None)


def test_tokens_are_created_shown_once_listed_and_revoked(browser, web_server):
    """The header's login leads to the account page; a new token is shown once and works; after a reload it is
    listed by name with its last use (its secret gone from the page); Revoke makes it stop working."""
    web_server.ok("POST", "/api/users", json={"login": "carol", "password": "carol-password"})
    log_in(browser, web_server, "carol", "carol-password")
    by_css(browser, ".topbar a.who").click()
    wait_for(lambda: browser.current_url.endswith("/account"), what="the account page")
    assert text_of(browser, "h1") == "Account" and "No tokens yet" in text_of(browser, "main")
    by_css(browser, "#add-token input[name=name]").send_keys("laptop")
    by_css(browser, "#add-token button[type=submit]").click()
    shown = wait_for(lambda: by_css(browser, "#new-token").is_displayed() and text_of(browser, "#new-token code"),
                     what="the new token")
    assert _as(web_server, shown) == 200
    assert _token_row(browser, "laptop") is not None

    browser.refresh()
    row = wait_for(lambda: _token_row(browser, "laptop"), what="the listed token")
    assert row.find_elements("css selector", "time[data-field=last_used]"), row.get_attribute("outerHTML")
    assert by_css(row, "[data-field=expires]").text == "never"
    assert shown not in browser.page_source and not by_css(browser, "#new-token").is_displayed()

    browser.execute_script("window.confirm = () => true;")
    by_css(row, "button.btn-danger").click()
    wait_for(lambda: _token_row(browser, "laptop") is None, what="the revoked token gone")
    assert _as(web_server, shown) == 401


def test_password_change_needs_the_current_password_and_keeps_this_session(browser, web_server):
    """A wrong current password is refused with a message; the right one changes it, the page's session goes on
    (a token can still be made), and the next login takes the new password only."""
    web_server.ok("POST", "/api/users", json={"login": "dave", "password": "dave-password"})
    log_in(browser, web_server, "dave", "dave-password", "/account")
    form = "#change-password"
    by_css(browser, f"{form} input[name=current_password]").send_keys("not-my-password")
    by_css(browser, f"{form} input[name=password]").send_keys("dave-new-password")
    by_css(browser, f"{form} button[type=submit]").click()
    wait_for(lambda: "current password is wrong" in text_of(browser, f"{form} .form-msg"), what="the refusal")

    current = by_css(browser, f"{form} input[name=current_password]")
    current.clear()
    current.send_keys("dave-password")
    new = by_css(browser, f"{form} input[name=password]")
    new.clear()
    new.send_keys("dave-new-password")
    by_css(browser, f"{form} button[type=submit]").click()
    wait_for(lambda: text_of(browser, f"{form} .form-msg").startswith("Password changed"), what="the change")
    by_css(browser, "#add-token input[name=name]").send_keys("after-change")
    by_css(browser, "#add-token button[type=submit]").click()
    wait_for(lambda: _token_row(browser, "after-change"), what="a token made in the same session")

    by_css(browser, ".logout button").click()
    wait_for(lambda: browser.current_url.endswith("/login"), what="the login form after logging out")
    by_css(browser, "input[name=login]").send_keys("dave")
    by_css(browser, "input[name=password]").send_keys("dave-password")
    by_css(browser, "form button[type=submit]").click()
    assert wait_for(lambda: text_of(browser, "#login-error")) == "Wrong login or password."
    by_css(browser, "input[name=password]").send_keys("dave-new-password")
    by_css(browser, "form button[type=submit]").click()
    wait_for(lambda: browser.current_url == web_server.url + "/", what="the start page after the new login")
