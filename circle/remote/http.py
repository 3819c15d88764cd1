"""The HTTP session every API remote uses: timeouts, retries with backoff, pagination, error mapping.

One `HttpClient` per remote. It retries connection failures, 429 and rate-limited 403 answers
(honouring Retry-After / X-RateLimit-Reset up to `max_wait`), and 5xx answers of idempotent calls,
sleeping `backoff * 2**attempt` between tries. Answers map to the error tree:
401/403 → RemoteAuthError, 404 → NotFound, other 4xx and final 5xx → RemoteError, each one sentence
naming the code host (label) and the status code, never the answer's body (the forge's own message is
kept in RemoteError.detail for code that must tell answers apart). With a HostPolicy, every
connection goes only where the policy permits (circle.remote.guard).
"""
from __future__ import annotations

import logging
import time
from http import HTTPStatus
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

import requests
import requests.auth

from circle.errors import NotFound, RemoteAuthError, RemoteError
from circle.remote.guard import new_session
from circle.remote.hosts import HostPolicy

log = logging.getLogger(__name__)

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
MAX_PAGES = 500


def origin(url: str) -> str:
    """Return scheme://host[:port] of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def status_text(code: int) -> str:
    """Return "404 Not Found": the code and its standard phrase, not the reason the server sent."""
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def forge_message(resp: requests.Response) -> str:
    """Extract the forge's error message from an answer (JSON message/error fields, else text), for `detail`."""
    try:
        data = resp.json()
    except ValueError:
        return resp.text.strip()[:300]
    if isinstance(data, dict):
        for key in ("message", "error_description", "error", "errors"):
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value
            if isinstance(value, list):
                value = "; ".join(str(v.get("message", v)) if isinstance(v, dict) else str(v) for v in value)
            if value:
                return str(value)[:300]
    return str(data)[:300]


def redact(url: str) -> str:
    """Return `url` without any user:password@ part, for messages and logs."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


def describe_failure(err: Exception) -> str:
    """Describe a connection failure in a few words."""
    text = str(err)
    if isinstance(err, requests.Timeout):
        return "the connection timed out"
    if "refused" in text.lower():
        return "connection refused"
    if "Name or service not known" in text or "getaddrinfo" in text or "resolve" in text.lower():
        return "the host name does not resolve"
    return text[:200]


class HttpClient:
    """A requests session bound to one API base URL."""

    def __init__(
        self,
        base_url: str,
        label: str,
        *,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | requests.auth.AuthBase | None = None,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        retries: int = 3,
        backoff: float = 0.5,
        max_wait: float = 60.0,
        verify: bool = True,
        hosts: HostPolicy | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.label = label
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = float(backoff)
        self.max_wait = float(max_wait)
        self.session = new_session(hosts)
        self.session.headers.update({"User-Agent": "circle-ci", "Accept": "application/json"})
        self.session.headers.update(headers or {})
        self.session.auth = auth
        self.session.verify = verify

    def url(self, path: str) -> str:
        """Return the absolute URL of an API path (absolute URLs pass through)."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Send one call with retries; return the 2xx answer or raise the mapped error."""
        method = method.upper()
        url = self.url(path)
        retry_5xx = method in IDEMPOTENT if idempotent is None else idempotent
        attempt = 0
        while True:
            try:
                resp = self.session.request(
                    method, url, params=params, json=json, headers=headers, timeout=self.timeout
                )
            except requests.RequestException as err:
                sent = isinstance(err, requests.ReadTimeout)
                if attempt < self.retries and (retry_5xx or not sent):
                    self._sleep(attempt, f"{method} {redact(url)}: {describe_failure(err)}")
                    attempt += 1
                    continue
                raise RemoteError(
                    f"cannot reach {self.label}: {describe_failure(err)} ({method} {urlsplit(url).path}, "
                    f"{attempt + 1} attempt{'s' if attempt else ''})"
                ) from None
            if resp.ok:
                return resp
            wait = self._rate_limit_wait(resp, attempt)
            if wait is not None:
                if attempt < self.retries and wait <= self.max_wait:
                    log.warning("%s rate-limited %s %s; retrying in %.1fs", self.label, method, redact(url), wait)
                    time.sleep(wait)
                    attempt += 1
                    continue
                raise RemoteError(
                    f"{self.label} is rate-limiting circle ({status_text(resp.status_code)}); "
                    f"try again in {int(wait)} s"
                )
            if resp.status_code >= 500 and retry_5xx and attempt < self.retries:
                self._sleep(attempt, f"{method} {redact(url)}: {resp.status_code}")
                attempt += 1
                continue
            raise self.error(resp, method, url, attempt + 1)

    def _sleep(self, attempt: int, why: str) -> None:
        """Back off before the next attempt."""
        delay = self.backoff * (2**attempt)
        log.info("%s: retrying %s in %.2fs", self.label, why, delay)
        time.sleep(delay)

    def _rate_limit_wait(self, resp: requests.Response, attempt: int) -> float | None:
        """Return seconds to wait when the answer is a rate limit, else None."""
        limited = resp.status_code == 429 or (
            resp.status_code == 403
            and (resp.headers.get("X-RateLimit-Remaining") == "0" or "rate limit" in resp.text.lower())
        )
        if not limited:
            return None
        retry_after = resp.headers.get("Retry-After", "")
        if retry_after.isdigit():
            return float(retry_after)
        reset = resp.headers.get("X-RateLimit-Reset", "")
        if reset.isdigit():
            return max(0.0, float(reset) - time.time())
        return self.backoff * (2**attempt)

    def error(self, resp: requests.Response, method: str, url: str, attempts: int) -> Exception:
        """Map a non-2xx answer to the error tree: a sentence naming the host and status, never the body."""
        status = status_text(resp.status_code)
        where = f"{method} {urlsplit(url).path}"
        detail = forge_message(resp)
        if resp.status_code == 401:
            return RemoteAuthError(
                f"{self.label} refused the credentials circle holds ({status}); "
                "check the token or password of this SCM", detail,
            )
        if resp.status_code == 403:
            return RemoteAuthError(
                f"{self.label} denied {where} ({status}); the SCM account lacks the permission for it", detail
            )
        if resp.status_code == 404:
            return NotFound(f"{self.label} has no {urlsplit(url).path} ({status})")
        if resp.status_code >= 500:
            return RemoteError(f"{self.label} failed on {where} ({status}) after {attempts} attempt(s)", detail)
        return RemoteError(f"{self.label} rejected {where} ({status})", detail)

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET a JSON document."""
        return self._json(self.request("GET", path, params=params))

    def send_json(self, method: str, path: str, body: Any, *, idempotent: bool | None = None) -> Any:
        """Send a JSON body and return the decoded answer (None when empty)."""
        return self._json(self.request(method, path, json=body, idempotent=idempotent))

    def _json(self, resp: requests.Response) -> Any:
        """Decode an answer's JSON, or raise RemoteError naming the host."""
        if not resp.content.strip():
            return None
        try:
            return resp.json()
        except ValueError:
            raise RemoteError(
                f"{self.label} answered {resp.request.path_url} with something that is not JSON"
            ) from None

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Yield the items of a list endpoint that pages with a Link header (rel="next")."""
        url = path
        query = dict(params or {})
        for _ in range(MAX_PAGES):
            resp = self.request("GET", url, params=query)
            items = self._json(resp) or []
            if not isinstance(items, list):
                raise RemoteError(f"{self.label} answered {urlsplit(self.url(path)).path} with a non-list")
            yield from items
            next_url = resp.links.get("next", {}).get("url")
            if not next_url:
                return
            url, query = self._same_origin(urljoin(resp.url, next_url)), {}
        log.warning("%s: stopped paging %s after %d pages", self.label, path, MAX_PAGES)

    def cursor_pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Yield `values` of a list endpoint that pages with a `next` URL in the body (Bitbucket)."""
        url: str = path
        query: dict[str, Any] | None = dict(params or {})
        for _ in range(MAX_PAGES):
            body = self.get_json(url, query) or {}
            yield from body.get("values") or []
            if not body.get("next"):
                return
            url, query = self._same_origin(str(body["next"])), None
        log.warning("%s: stopped paging %s after %d pages", self.label, path, MAX_PAGES)

    def _same_origin(self, url: str) -> str:
        """Refuse to follow a pagination link to another host (it would receive our credentials)."""
        if origin(url) != origin(self.base_url):
            raise RemoteError(f"{self.label} sent a pagination link to another host ({origin(url)}); not following it")
        return url
