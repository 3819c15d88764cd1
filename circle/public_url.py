"""The start's check of the public URL (CIRCLE_HOST): its port against the listening one, and that it answers.

Hook URLs, links and upload URLs are built from CIRCLE_HOST, so a wrong one fails only later, at the code host
or the agent. At start the server asks `GET <CIRCLE_HOST>/healthz` itself (directly, no proxy from the
environment) and logs one line: that it answers, or why not; and one warning when the URL names another port
than the one it listens on (right only behind a proxy that forwards).
"""
from __future__ import annotations

import logging
import urllib.error
import urllib.request
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

# Seconds the start's request to CIRCLE_HOST may take.
TIMEOUT = 5.0
DEFAULT_PORTS = {"http": 80, "https": 443}


def port_mismatch(host: str, port: int) -> str | None:
    """Return the sentence saying that `host` names another port than `port`, or None when they agree."""
    parts = urlsplit(host)
    try:
        named = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port that is not a number: the reachability check says what is wrong
        return None
    if named is None or named == port:
        return None
    return (f"CIRCLE_HOST {host} names port {named} but circle listens on port {port}: hook URLs, links and "
            f"upload URLs reach this server only through a proxy that forwards port {named} to {port}")


def unreachable(host: str, timeout: float = TIMEOUT) -> str | None:
    """Return why `GET <host>/healthz` does not answer 200 from this machine, or None when it does."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{host}/healthz", timeout=timeout) as answer:
            return None if answer.status == 200 else f"it answered {answer.status}"
    except urllib.error.HTTPError as err:
        return f"it answered {err.code}"
    except urllib.error.URLError as err:
        return str(err.reason)
    except (OSError, ValueError) as err:  # a timeout, a malformed URL
        return str(err) or type(err).__name__


def check(host: str, port: int) -> None:
    """Log whether CIRCLE_HOST answers as hooks will use it, and warn when it names another port than `port`."""
    mismatch = port_mismatch(host, port)
    if mismatch:
        log.warning(mismatch)
    why = unreachable(host)
    if why is None:
        log.info("CIRCLE_HOST %s answers: hook URLs, links and upload URLs reach a circle server", host)
    else:
        log.warning("CIRCLE_HOST %s does not answer GET /healthz from this machine (%s): code hosts and agents "
                    "use it for hooks, links and uploads, so set it to a URL they reach", host, why)
