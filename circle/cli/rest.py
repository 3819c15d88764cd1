"""The REST client of the `circle` commands: one requests session, errors as one sentence, paging; table output."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from circle.errors import (
    CircleError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    SettingsError,
    TooLarge,
    Unauthorized,
)

ERRORS: dict[int, type[CircleError]] = {400: InvalidInput, 401: Unauthorized, 403: Forbidden, 404: NotFound,
                                        409: Conflict, 413: TooLarge}
TIMEOUT = 30
PER_PAGE = 200
# Lines per log request: the server's largest page (GET …/logs/{pid}?limit=).
LOG_PAGE = 50_000

if TYPE_CHECKING:  # imported when a command talks to a server, so that `circle lint`/`compile` start faster
    import requests


class Client:
    """A session with the circle server, authenticated with an API token."""

    def __init__(self, server: str, token: str) -> None:
        if not token:
            raise SettingsError("set CIRCLE_TOKEN (or pass --token) to an API token; `circle token LOGIN` prints one")
        import requests

        self.server = server.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        """Send one request; return the decoded answer or raise the CircleError matching the status."""
        return self._answer(self._send(method, path, body=body, params=params))

    def _send(self, method: str, path: str, *, body: Any = None,
              params: dict[str, Any] | None = None) -> requests.Response:
        """Send one request, turning a network failure into one sentence."""
        import requests

        try:
            return self.session.request(method, self.server + path, json=body, params=params, timeout=TIMEOUT)
        except requests.Timeout:
            raise CircleError(f"the circle server at {self.server} did not answer within {TIMEOUT} s") from None
        except requests.RequestException:
            raise CircleError(f"cannot reach the circle server at {self.server}; is it running "
                              "(CIRCLE_SERVER)?") from None

    def _answer(self, resp: requests.Response) -> Any:
        """Decode a response or raise its error."""
        if resp.status_code >= 400:
            try:
                message = resp.json()["message"]
            except (ValueError, KeyError, TypeError):
                message = f"the server answered {resp.status_code} {resp.reason}"
            raise ERRORS.get(resp.status_code, CircleError)(message)
        if resp.status_code == 204:
            return None
        return resp.json()

    def every(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Return every item of a paginated list."""
        items: list[Any] = []
        page = 1
        while True:
            resp = self._send("GET", path, params={**(params or {}), "page": page, "per_page": PER_PAGE})
            batch = self._answer(resp)
            items.extend(batch)
            if not batch or len(items) >= int(resp.headers.get("X-Total-Count", len(items))):
                return items
            page += 1

    def log_lines(self, path: str) -> Iterator[dict[str, Any]]:
        """Yield every line of a proc's log, a page of LOG_PAGE lines per request (`?after=&limit=`)."""
        after = -1
        while True:
            page = self.call("GET", path, params={"after": after, "limit": LOG_PAGE})
            yield from page
            if len(page) < LOG_PAGE:
                return
            after = page[-1]["pos"]

    def repo_id(self, ref: str) -> int:
        """Return the id of a repo given as an id or as "owner/name"."""
        if ref.isdigit():
            return int(ref)
        found = self.call("GET", "/api/repos", params={"full_name": ref})
        if not found:
            raise NotFound(f"there is no repo {ref!r} you can read")
        return int(found[0]["id"])


def when(seconds: int | None) -> str:
    """Return a UNIX time as local 'YYYY-MM-DD HH:MM', or '-' for 0."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds)) if seconds else "-"


def table(headers: list[str], rows: Iterable[Iterable[Any]]) -> str:
    """Return rows as an aligned text table."""
    cells = [[str(c) for c in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)


def fields(data: dict[str, Any], keys: Iterable[str]) -> str:
    """Return `key: value` lines of a mapping."""
    return "\n".join(f"{key}: {data.get(key)}" for key in keys)


def pairs(values: list[str], flag: str) -> dict[str, str]:
    """Parse repeated KEY=VALUE arguments."""
    result = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise InvalidInput(f"{flag} takes KEY=VALUE, not {value!r}")
        result[key] = rest
    return result
