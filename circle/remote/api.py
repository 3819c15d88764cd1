"""What the HTTP code hosts share: credentials, the API session, login/auth, netrc and hook upkeep."""
from __future__ import annotations

import abc
import logging
import re
from typing import Any, ClassVar, Iterable, Mapping
from urllib.parse import quote, unquote, urlsplit

import requests.auth

from circle.errors import InvalidInput, NotFound
from circle.remote.base import Remote, map_state, same_hook
from circle.remote.hosts import HostPolicy
from circle.remote.http import HttpClient, redact
from circle.remote.types import Netrc, RemoteUser
from circle.states import DESCRIPTIONS

log = logging.getLogger(__name__)

CLIENT_OPTIONS = frozenset({"timeout", "retries", "backoff", "max_wait", "verify_tls"})
RETRIES = 3  # tries after the first, for a connection failure, a rate limit or a 5xx of an idempotent call
BACKOFF_SECONDS = 0.5  # the first pause between tries; each next one doubles
_SEGMENT = re.compile(r"^[A-Za-z0-9_.~-][A-Za-z0-9_.~ -]*$")


def repo_path(full_name: str, *, min_parts: int = 2, max_parts: int = 2) -> str:
    """Check an "owner/name" (GitLab: "group/sub/name"; a group alone with min_parts=1) and quote it."""
    parts = full_name.strip("/").split("/")
    if not min_parts <= len(parts) <= max_parts or any(p in (".", "..") or not _SEGMENT.match(p) for p in parts):
        shape = "owner/name" if min_parts == 2 else "a path"
        raise InvalidInput(f"'{full_name}' is not a repository or group name of the form {shape}")
    return "/".join(quote(p, safe="") for p in parts)


def file_path(path: str) -> str:
    """Check a file path inside a repository and quote it, keeping the slashes."""
    clean = path.strip("/")
    if not clean or any(p in ("", ".", "..") for p in clean.split("/")):
        raise InvalidInput(f"'{path}' is not a file path inside a repository")
    return quote(clean, safe="/")


class ApiRemote(Remote):
    """A code host reached over its REST API with a token or a username and password."""

    label: ClassVar[str] = ""
    states: ClassVar[Mapping[str, str]] = {}

    def __init__(self, url: str, *, username: str = "", password: str = "", token: str = "",
                 hosts: HostPolicy | None = None, **options: Any) -> None:
        unknown = set(options) - CLIENT_OPTIONS
        if unknown:
            raise InvalidInput(f"unknown {self.kind} SCM option(s): {', '.join(sorted(unknown))}")
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInput(f"'{redact(url)}' is not an http(s) URL of a {self.label} server")
        # Credentials written into the URL become the username/password; the URL in messages never carries them.
        username = username or unquote(parts.username or "")
        password = password or unquote(parts.password or "")
        self.url = redact(url.strip()).rstrip("/")
        self.username = username
        self.password = password
        self.token = token
        self.hosts = hosts
        self.options = options
        self.api = self.client(token=token, username=username, password=password)

    @abc.abstractmethod
    def api_base(self) -> str:
        """Return the API root URL for this server."""

    def auth_headers(self, token: str) -> dict[str, str]:
        """Return the headers that carry a token."""
        return {"Authorization": f"token {token}"}

    def password_auth(self, username: str, password: str) -> tuple[str, str] | requests.auth.AuthBase:
        """Return the requests auth for a username and password (HTTP basic by default)."""
        return (username, password)

    def extra_headers(self) -> dict[str, str]:
        """Return headers sent on every call."""
        return {}

    def client(self, *, token: str = "", username: str = "", password: str = "") -> HttpClient:
        """Build an API session with the given credentials."""
        opts = self.options
        headers = {**self.extra_headers(), **(self.auth_headers(token) if token else {})}
        return HttpClient(
            self.api_base(),
            f"{self.label} at {self.url}",
            headers=headers,
            auth=self.password_auth(username, password) if username and not token else None,
            timeout=opts.get("timeout", (5.0, 30.0)),
            retries=opts.get("retries", RETRIES),
            backoff=opts.get("backoff", BACKOFF_SECONDS),
            max_wait=opts.get("max_wait", 60.0),
            verify=opts.get("verify_tls", True),
            hosts=self.hosts,
        )

    @abc.abstractmethod
    def fetch_user(self, api: HttpClient) -> RemoteUser:
        """Return the account an API session is authenticated as."""

    def user(self) -> RemoteUser:
        """Return the account this SCM's credentials belong to."""
        return self.fetch_user(self.api)

    def login(self, username: str, password: str) -> RemoteUser:
        """Check a username and password (or app password) at the code host."""
        return self.fetch_user(self.client(username=username, password=password))

    def auth(self, token: str, secret: str = "") -> str:
        """Return the login a token belongs to."""
        return self.fetch_user(self.client(token=token)).login

    def machine(self) -> str:
        """Return the host name git clones from."""
        return urlsplit(self.url).hostname or ""

    def netrc(self, full_name: str) -> Netrc | None:
        """Return clone credentials: the token, or the username and password."""
        if self.token:
            login, password = self.token_netrc(self.token)
            return Netrc(self.machine(), login, password)
        if self.username:
            return Netrc(self.machine(), self.username, self.password)
        return None

    def token_netrc(self, token: str) -> tuple[str, str]:
        """Return the (login, password) git uses with a token: any login, the token as password."""
        return self.username or "oauth2", token

    def status(self, full_name: str, sha: str, state: str, context: str, link: str, description: str = "") -> None:
        """Report a build state on a commit."""
        forge_state = map_state(self.kind, self.states, state)
        self.post_status(full_name, sha, forge_state, context, link, (description or DESCRIPTIONS[state])[:140])

    @abc.abstractmethod
    def post_status(self, full_name: str, sha: str, state: str, context: str, link: str, description: str) -> None:
        """Send a status already mapped to the forge's vocabulary."""

    def activate(self, full_name: str, hook_url: str, secret: str) -> None:
        """Register the webhook, replacing every hook of circle for the same repo (whatever its host)."""
        if not secret:
            raise InvalidInput("a hook secret is needed to activate a repository")
        self.deactivate(full_name, hook_url)
        self.create_hook(full_name, hook_url, secret)
        log.info("%s: hook registered on %s", self.label, full_name)

    def deactivate(self, full_name: str, hook_url: str) -> None:
        """Remove every webhook circle installed for the repo of `hook_url` (see same_hook)."""
        for hook_id, url in self.list_hooks(full_name):
            if same_hook(url, hook_url):
                self.delete_hook(full_name, hook_id)
                log.info("%s: hook %s removed from %s", self.label, hook_id, full_name)

    def contents_dir(self, full_name: str, sha: str, path: str) -> list[str]:
        """List a directory through a contents API (GitHub, Gitea, Gogs): a list answers a directory, else NotFound."""
        try:
            data = self.api.get_json(f"repos/{repo_path(full_name)}/contents/{file_path(path)}", {"ref": sha})
        except NotFound:
            raise NotFound(f"{path} not found in {full_name} at {sha} on {self.label} at {self.url}") from None
        if not isinstance(data, list):
            raise NotFound(f"{path} in {full_name} at {sha} is not a directory")
        return [str(i["path"]) for i in data if isinstance(i, dict) and i.get("type") == "file"]

    @abc.abstractmethod
    def list_hooks(self, full_name: str) -> Iterable[tuple[str, str]]:
        """Yield (hook id, URL) of a repository's webhooks."""

    @abc.abstractmethod
    def create_hook(self, full_name: str, hook_url: str, secret: str) -> None:
        """Create a webhook for push, tag and pull request events."""

    @abc.abstractmethod
    def delete_hook(self, full_name: str, hook_id: str) -> None:
        """Delete one webhook."""
