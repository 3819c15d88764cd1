"""Template filters: times, durations, short commits, first lines, URLs without credentials, state classes."""
from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone

from circle import states
from circle.web.blueprint import bp

USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@")


@bp.app_template_filter("when")
def when(seconds: int) -> str:
    """Return a UNIX time as `YYYY-MM-DD HH:MM UTC` ("" for 0 = not yet)."""
    if not seconds:
        return ""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@bp.app_template_filter("iso")
def iso(seconds: int) -> str:
    """Return a UNIX time in ISO 8601 for a <time datetime=…> attribute ("" for 0)."""
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat() if seconds else ""


@bp.app_template_global()
def duration(started: int, finished: int) -> str:
    """Return how long something ran (until now while it still runs) as `1h 02m`, `3m 07s` or `12s`."""
    if not started:
        return ""
    seconds = max(0, (finished or int(time.time())) - started)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


@bp.app_template_filter("short")
def short(commit: str) -> str:
    """Return the first 8 characters of a commit sha."""
    return (commit or "")[:8]


@bp.app_template_filter("firstline")
def firstline(text: str) -> str:
    """Return the first non-empty line of a text (a commit message's subject)."""
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")


@bp.app_template_filter("public_url")
def public_url(text: str) -> str:
    """Return a URL (or a message quoting URLs) without the user and password a URL may carry."""
    return USERINFO.sub(r"\1", text or "")


@bp.app_template_filter("href")
def href(url: str) -> str:
    """Return an http(s) URL from a code host fit for a link (without credentials), else "" (no javascript: links)."""
    return public_url(url) if re.match(r"https?://", url or "", re.IGNORECASE) else ""


@bp.app_template_global()
def is_active(state: str) -> bool:
    """Tell whether a build or proc state is still pending, blocked or running."""
    return state in states.ACTIVE


@bp.app_template_global()
def state_class(state: str) -> str:
    """Return the CSS class of a build or proc state's pill."""
    return states.CSS_CLASSES[state]


@bp.app_template_global()
def states_json() -> str:
    """Return what the dashboard scripts know of the states: the active ones and each one's CSS class."""
    return json.dumps({"active": sorted(states.ACTIVE), "classes": states.CSS_CLASSES})
