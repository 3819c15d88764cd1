"""The account page `/account`: the caller's API tokens (create, shown once; revoke) and their password."""
from __future__ import annotations

from flask import render_template

from circle.store import users
from circle.web.guard import signed_in, viewer

# What the "expires" choice of a new token offers: (label, seconds; 0 = never).
EXPIRIES = (("never", 0), ("in 30 days", 30 * 86400), ("in 90 days", 90 * 86400), ("in a year", 365 * 86400))


@signed_in
def account() -> str:
    """Show the caller's tokens by name and last use, the form that creates one, and the password form."""
    return render_template("account/index.html", tokens=users.list_tokens(viewer()), expiries=EXPIRIES)
