"""GitLab API v4 client: the Remote for gitlab.com and self-hosted GitLab.

Authentication: a personal/project/OAuth access token (sent as a bearer token), or a username and
password exchanged once for an OAuth token (POST /oauth/token, grant_type=password; GitLab refuses
it for accounts with two-factor authentication, so prefer a token).
"""
from __future__ import annotations

import logging
from typing import Any, Iterable, Mapping
from urllib.parse import quote

import requests
import requests.auth

from circle.errors import NotFound, RemoteAuthError, RemoteError
from circle.remote.api import ApiRemote, file_path, repo_path
from circle.remote.gitlab import convert, hook
from circle.remote.guard import new_session
from circle.remote.hosts import HostPolicy
from circle.remote.http import HttpClient, describe_failure, status_text
from circle.remote.payload import file_list
from circle.remote.types import Commit, HookEvent, Perm, RemoteRepo, RemoteUser, Team
from circle.states import GITLAB_STATES

log = logging.getLogger(__name__)


def project_id(full_name: str, *, min_parts: int = 2) -> str:
    """Return a project's (or group's) URL-encoded path ("group/sub/name" → "group%2Fsub%2Fname")."""
    repo_path(full_name, min_parts=min_parts, max_parts=20)
    return quote(full_name.strip("/"), safe="")


class PasswordGrant(requests.auth.AuthBase):
    """Exchange a username and password for an OAuth token on first use, then send it."""

    def __init__(self, server: str, username: str, password: str, timeout: Any, hosts: HostPolicy | None) -> None:
        self.server = server
        self.username = username
        self.password = password
        self.timeout = timeout
        self.token = ""
        self.session = new_session(hosts)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add the bearer token, fetching it first if needed."""
        if not self.token:
            self.token = self.fetch()
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request

    def fetch(self) -> str:
        """POST /oauth/token with the password grant."""
        body = {"grant_type": "password", "username": self.username, "password": self.password}
        try:
            resp = self.session.post(f"{self.server}/oauth/token", data=body, timeout=self.timeout)
        except requests.RequestException as err:
            raise RemoteError(f"cannot reach GitLab at {self.server}: {describe_failure(err)}") from None
        if resp.status_code in (400, 401):
            raise RemoteAuthError(f"GitLab at {self.server} refused the username and password for {self.username}")
        if not resp.ok:
            raise RemoteError(f"GitLab at {self.server} answered {status_text(resp.status_code)} to the password login")
        try:
            return str(resp.json().get("access_token", ""))
        except (ValueError, AttributeError):
            raise RemoteError(f"GitLab at {self.server} answered the password login with no token") from None


class GitlabRemote(ApiRemote):
    """A GitLab server (API at <url>/api/v4)."""

    kind = "gitlab"
    label = "GitLab"
    states = GITLAB_STATES

    def api_base(self) -> str:
        """Return <url>/api/v4."""
        return self.url + "/api/v4"

    def auth_headers(self, token: str) -> dict[str, str]:
        """Send the token as a bearer token (works for personal, project and OAuth tokens)."""
        return {"Authorization": f"Bearer {token}"}

    def password_auth(self, username: str, password: str) -> requests.auth.AuthBase:
        """Use the OAuth password grant: the v4 API takes no HTTP basic auth."""
        return PasswordGrant(self.url, username, password, self.options.get("timeout", (5.0, 30.0)), self.hosts)

    def fetch_user(self, api: HttpClient) -> RemoteUser:
        """Return GET /user."""
        return convert.user(api.get_json("user"))

    def teams(self) -> list[Team]:
        """List the groups the account is a member of."""
        return [convert.team(g) for g in self.api.pages("groups", {"per_page": 100, "min_access_level": 10})]

    def team_perm(self, org: str) -> Perm:
        """Return the account's access in a group (inherited membership counts)."""
        me = self.api.get_json("user")
        try:
            member = self.api.get_json(f"groups/{project_id(org, min_parts=1)}/members/all/{int(me['id'])}")
        except NotFound:
            return Perm()
        return convert.access_perm(int(member.get("access_level") or 0))

    def repo(self, full_name: str) -> RemoteRepo:
        """Fetch GET /projects/:id."""
        return convert.repo(self.api.get_json(f"projects/{project_id(full_name)}"))

    def repos(self) -> list[RemoteRepo]:
        """List the projects the account is a member of, every page."""
        params = {"membership": "true", "per_page": 100, "order_by": "path", "sort": "asc"}
        return [convert.repo(p) for p in self.api.pages("projects", params)]

    def perm(self, full_name: str) -> Perm:
        """Return the account's access to a project."""
        return convert.perm(self.api.get_json(f"projects/{project_id(full_name)}"))

    def file_ref(self, full_name: str, ref: str, path: str) -> bytes:
        """Fetch GET /projects/:id/repository/files/:path/raw?ref=."""
        encoded = quote(file_path(path), safe="")
        try:
            resp = self.api.request(
                "GET", f"projects/{project_id(full_name)}/repository/files/{encoded}/raw", params={"ref": ref}
            )
        except NotFound:
            raise NotFound(f"{path} not found in {full_name} at {ref} on {self.label} at {self.url}") from None
        return resp.content

    def dir(self, full_name: str, sha: str, path: str) -> list[str]:
        """List the blobs of GET /projects/:id/repository/tree?path=&ref= (every page)."""
        params = {"path": file_path(path), "ref": sha, "per_page": 100}
        try:
            items = list(self.api.pages(f"projects/{project_id(full_name)}/repository/tree", params))
        except NotFound:
            raise NotFound(f"{path} not found in {full_name} at {sha} on {self.label} at {self.url}") from None
        if not items:
            raise NotFound(f"{path} is no directory in {full_name} at {sha}")
        return [str(i["path"]) for i in items if isinstance(i, dict) and i.get("type") == "blob"]

    def branch_head(self, full_name: str, branch: str) -> str:
        """Return the commit id of GET /projects/:id/repository/branches/:branch."""
        try:
            data = self.api.get_json(f"projects/{project_id(full_name)}/repository/branches/{quote(branch, safe='')}")
        except NotFound:
            raise NotFound(f"{full_name} has no branch {branch} on {self.label}") from None
        return str(data["commit"]["id"])

    def changed_files(self, full_name: str, number: int) -> list[str] | None:
        """List GET /projects/:id/merge_requests/:iid/diffs (GitLab 15.7 and later; a rename names both paths)."""
        items = self.api.pages(f"projects/{project_id(full_name)}/merge_requests/{number}/diffs", {"per_page": 100})
        return file_list(str(item.get(key) or "") for item in items for key in ("new_path", "old_path"))

    def commit(self, full_name: str, ref: str) -> Commit:
        """Fetch GET /projects/:id/repository/commits/:sha."""
        path = f"projects/{project_id(full_name)}/repository/commits/{quote(ref, safe='')}"
        return convert.commit(self.api.get_json(path))

    def post_status(self, full_name: str, sha: str, state: str, context: str, link: str, description: str) -> None:
        """POST /projects/:id/statuses/:sha; a repeated state GitLab refuses to re-apply is not an error."""
        body = {"state": state, "name": context, "target_url": link, "description": description}
        try:
            self.api.send_json(
                "POST", f"projects/{project_id(full_name)}/statuses/{quote(sha, safe='')}", body, idempotent=True
            )
        except RemoteError as err:
            if "Cannot transition status" not in err.detail:
                raise
            log.debug("GitLab kept status %s of %s@%s: %s", state, full_name, sha, err)

    def list_hooks(self, full_name: str) -> Iterable[tuple[str, str]]:
        """Yield (id, url) of GET /projects/:id/hooks."""
        for item in self.api.pages(f"projects/{project_id(full_name)}/hooks", {"per_page": 100}):
            yield str(item.get("id")), str(item.get("url", ""))

    def create_hook(self, full_name: str, hook_url: str, secret: str) -> None:
        """POST /projects/:id/hooks for push, tag push and merge request events, with the secret token."""
        body = {
            "url": hook_url,
            "token": secret,
            "push_events": True,
            "tag_push_events": True,
            "merge_requests_events": True,
            "enable_ssl_verification": True,
        }
        self.api.send_json("POST", f"projects/{project_id(full_name)}/hooks", body)

    def delete_hook(self, full_name: str, hook_id: str) -> None:
        """DELETE /projects/:id/hooks/:hook_id."""
        self.api.request("DELETE", f"projects/{project_id(full_name)}/hooks/{quote(hook_id, safe='')}")

    def parse(self, headers: Mapping[str, str], body: bytes) -> HookEvent:
        """Parse a GitLab delivery."""
        return hook.parse(headers, body)

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
        """Check X-Gitlab-Token."""
        return hook.verify(headers, body, secret)
