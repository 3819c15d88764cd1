"""GitHub REST v3 client: the Remote for github.com and GitHub Enterprise."""
from __future__ import annotations

import base64
import binascii
from typing import Any, Iterable, Mapping
from urllib.parse import quote, urlsplit

from circle.errors import NotFound, RemoteError
from circle.remote.api import ApiRemote, file_path, repo_path
from circle.remote.github import convert, hook
from circle.remote.http import HttpClient
from circle.remote.payload import MAX_LISTED_PR_FILES, file_list
from circle.remote.types import Commit, HookEvent, Perm, RemoteRepo, RemoteUser, Team
from circle.states import FOUR_STATES

HOOK_EVENTS = ["push", "pull_request", "deployment"]


class GithubRemote(ApiRemote):
    """github.com (API at api.github.com) or GitHub Enterprise (API at <url>/api/v3)."""

    kind = "github"
    label = "GitHub"
    states = FOUR_STATES

    def api_base(self) -> str:
        """Return api.github.com for github.com, else the Enterprise API root."""
        if urlsplit(self.url).hostname in ("github.com", "api.github.com"):
            return "https://api.github.com"
        return self.url + "/api/v3"

    def auth_headers(self, token: str) -> dict[str, str]:
        """Send the token as a bearer token."""
        return {"Authorization": f"Bearer {token}"}

    def extra_headers(self) -> dict[str, str]:
        """Ask for the v3 JSON media type and a fixed API version."""
        return {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}

    def fetch_user(self, api: HttpClient) -> RemoteUser:
        """Return GET /user."""
        return convert.user(api.get_json("user"))

    def teams(self) -> list[Team]:
        """List the account's organizations."""
        return [convert.team(o) for o in self.api.pages("user/orgs", {"per_page": 100})]

    def team_perm(self, org: str) -> Perm:
        """Return the account's role in an organization (admin, or member with read access)."""
        data = self.api.get_json(f"user/memberships/orgs/{quote(org, safe='')}")
        if data.get("state") != "active":
            return Perm()
        admin = data.get("role") == "admin"
        return Perm(pull=True, push=admin, admin=admin)

    def repo(self, full_name: str) -> RemoteRepo:
        """Fetch GET /repos/{owner}/{repo}."""
        return convert.repo(self.api.get_json(f"repos/{repo_path(full_name)}"))

    def repos(self) -> list[RemoteRepo]:
        """List GET /user/repos, every page."""
        return [convert.repo(r) for r in self.api.pages("user/repos", {"per_page": 100})]

    def perm(self, full_name: str) -> Perm:
        """Return the `permissions` of GET /repos/{owner}/{repo}."""
        return convert.perm(self.api.get_json(f"repos/{repo_path(full_name)}"))

    def file_ref(self, full_name: str, ref: str, path: str) -> bytes:
        """Fetch GET /repos/{owner}/{repo}/contents/{path}?ref= and decode its base64 content."""
        try:
            data = self.api.get_json(f"repos/{repo_path(full_name)}/contents/{file_path(path)}", {"ref": ref})
        except NotFound:
            raise NotFound(f"{path} not found in {full_name} at {ref} on {self.label} at {self.url}") from None
        if not isinstance(data, dict) or data.get("type") != "file":
            raise NotFound(f"{path} in {full_name} at {ref} is not a file")
        if data.get("encoding") != "base64":
            raise RemoteError(f"{self.label} at {self.url} did not send the content of {path} (too large?)")
        try:
            return base64.b64decode(data.get("content") or "")
        except (binascii.Error, ValueError):
            raise RemoteError(f"{self.label} at {self.url} sent undecodable content for {path}") from None

    def dir(self, full_name: str, sha: str, path: str) -> list[str]:
        """List the files of GET /repos/{owner}/{repo}/contents/{path}?ref= (a directory answers a list)."""
        return self.contents_dir(full_name, sha, path)

    def branch_head(self, full_name: str, branch: str) -> str:
        """Return the sha of GET /repos/{owner}/{repo}/git/ref/heads/{branch}."""
        try:
            data = self.api.get_json(f"repos/{repo_path(full_name)}/git/ref/heads/{quote(branch, safe='/')}")
        except NotFound:
            raise NotFound(f"{full_name} has no branch {branch} on {self.label}") from None
        return str(data["object"]["sha"])

    def commit(self, full_name: str, ref: str) -> Commit:
        """Fetch GET /repos/{owner}/{repo}/commits/{ref}."""
        return convert.commit(self.api.get_json(f"repos/{repo_path(full_name)}/commits/{quote(ref, safe='')}"))

    def changed_files(self, full_name: str, number: int) -> list[str] | None:
        """List GET /repos/{owner}/{repo}/pulls/{number}/files (a rename names both paths)."""
        items = list(self.api.pages(f"repos/{repo_path(full_name)}/pulls/{number}/files", {"per_page": 100}))
        if len(items) >= MAX_LISTED_PR_FILES:
            return None
        return file_list(str(item.get(key) or "") for item in items for key in ("filename", "previous_filename"))

    def post_status(self, full_name: str, sha: str, state: str, context: str, link: str, description: str) -> None:
        """POST /repos/{owner}/{repo}/statuses/{sha}."""
        body = {"state": state, "target_url": link, "description": description, "context": context}
        self.api.send_json(
            "POST", f"repos/{repo_path(full_name)}/statuses/{quote(sha, safe='')}", body, idempotent=True
        )

    def list_hooks(self, full_name: str) -> Iterable[tuple[str, str]]:
        """Yield (id, config.url) of GET /repos/{owner}/{repo}/hooks."""
        for item in self.api.pages(f"repos/{repo_path(full_name)}/hooks", {"per_page": 100}):
            yield str(item.get("id")), str((item.get("config") or {}).get("url", ""))

    def create_hook(self, full_name: str, hook_url: str, secret: str) -> None:
        """POST /repos/{owner}/{repo}/hooks with a JSON web hook signed by `secret`."""
        body: dict[str, Any] = {
            "name": "web",
            "active": True,
            "events": HOOK_EVENTS,
            "config": {"url": hook_url, "content_type": "json", "secret": secret, "insecure_ssl": "0"},
        }
        self.api.send_json("POST", f"repos/{repo_path(full_name)}/hooks", body)

    def delete_hook(self, full_name: str, hook_id: str) -> None:
        """DELETE /repos/{owner}/{repo}/hooks/{id}."""
        self.api.request("DELETE", f"repos/{repo_path(full_name)}/hooks/{quote(hook_id, safe='')}")

    def parse(self, headers: Mapping[str, str], body: bytes) -> HookEvent:
        """Parse a GitHub delivery."""
        return hook.parse(headers, body)

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
        """Check the delivery's X-Hub-Signature-256."""
        return hook.verify(headers, body, secret)
