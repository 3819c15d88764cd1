"""Gitea API v1 client: the Remote for Gitea, Forgejo and Codeberg; Gogs subclasses it."""
from __future__ import annotations

from typing import Iterable, Mapping
from urllib.parse import quote

from circle.errors import NotFound
from circle.remote.api import ApiRemote, file_path, repo_path
from circle.remote.gitea import convert
from circle.remote.gitea.hook import GiteaHook
from circle.remote.http import HttpClient
from circle.remote.payload import file_list
from circle.remote.types import Commit, HookEvent, Perm, RemoteRepo, RemoteUser, Team
from circle.states import FOUR_STATES

HOOK_EVENTS = ["push", "create", "pull_request"]


class GiteaRemote(ApiRemote):
    """A Gitea server (API at <url>/api/v1), token or username/password."""

    kind = "gitea"
    label = "Gitea"
    hook_type = "gitea"
    hooks = GiteaHook()
    states = FOUR_STATES

    def api_base(self) -> str:
        """Return <url>/api/v1."""
        return self.url + "/api/v1"

    def fetch_user(self, api: HttpClient) -> RemoteUser:
        """Return GET /user."""
        return convert.user(api.get_json("user"))

    def teams(self) -> list[Team]:
        """List the account's organizations."""
        return [convert.team(o) for o in self.api.pages("user/orgs", {"limit": 50})]

    def team_perm(self, org: str) -> Perm:
        """Return GET /users/{me}/orgs/{org}/permissions."""
        me = quote(self.user().login, safe="")
        return convert.org_perm(self.api.get_json(f"users/{me}/orgs/{quote(org, safe='')}/permissions"))

    def repo(self, full_name: str) -> RemoteRepo:
        """Fetch GET /repos/{owner}/{repo}."""
        return convert.repo(self.api.get_json(f"repos/{repo_path(full_name)}"))

    def repos(self) -> list[RemoteRepo]:
        """List GET /user/repos, every page."""
        return [convert.repo(r) for r in self.api.pages("user/repos", {"limit": 50})]

    def perm(self, full_name: str) -> Perm:
        """Return the `permissions` of GET /repos/{owner}/{repo}."""
        return convert.perm(self.api.get_json(f"repos/{repo_path(full_name)}"))

    def raw_path(self, full_name: str, ref: str, path: str) -> tuple[str, dict[str, str]]:
        """Return the raw-file API path and query for a file at a ref."""
        return f"repos/{repo_path(full_name)}/raw/{file_path(path)}", {"ref": ref}

    def file_ref(self, full_name: str, ref: str, path: str) -> bytes:
        """Fetch the raw file at a ref."""
        api_path, params = self.raw_path(full_name, ref, path)
        try:
            return self.api.request("GET", api_path, params=params).content
        except NotFound:
            raise NotFound(f"{path} not found in {full_name} at {ref} on {self.label} at {self.url}") from None

    def dir(self, full_name: str, sha: str, path: str) -> list[str]:
        """List the files of GET /repos/{owner}/{repo}/contents/{path}?ref= (a directory answers a list)."""
        return self.contents_dir(full_name, sha, path)

    def branch_head(self, full_name: str, branch: str) -> str:
        """Return the commit id of GET /repos/{owner}/{repo}/branches/{branch}."""
        try:
            data = self.api.get_json(f"repos/{repo_path(full_name)}/branches/{quote(branch, safe='/')}")
        except NotFound:
            raise NotFound(f"{full_name} has no branch {branch} on {self.label}") from None
        return str(data["commit"]["id"])

    def commit_path(self, full_name: str, ref: str) -> str:
        """Return the API path of one commit."""
        return f"repos/{repo_path(full_name)}/git/commits/{quote(ref, safe='')}"

    def commit(self, full_name: str, ref: str) -> Commit:
        """Fetch one commit's metadata."""
        return convert.commit(self.api.get_json(self.commit_path(full_name, ref)))

    def changed_files(self, full_name: str, number: int) -> list[str] | None:
        """List GET /repos/{owner}/{repo}/pulls/{number}/files (Gitea 1.17 and later; a rename names both paths)."""
        items = self.api.pages(f"repos/{repo_path(full_name)}/pulls/{number}/files", {"limit": 50})
        return file_list(str(item.get(key) or "") for item in items for key in ("filename", "previous_filename"))

    def post_status(self, full_name: str, sha: str, state: str, context: str, link: str, description: str) -> None:
        """POST /repos/{owner}/{repo}/statuses/{sha}."""
        body = {"state": state, "target_url": link, "description": description, "context": context}
        self.api.send_json(
            "POST", f"repos/{repo_path(full_name)}/statuses/{quote(sha, safe='')}", body, idempotent=True
        )

    def list_hooks(self, full_name: str) -> Iterable[tuple[str, str]]:
        """Yield (id, config.url) of GET /repos/{owner}/{repo}/hooks."""
        for item in self.api.pages(f"repos/{repo_path(full_name)}/hooks"):
            yield str(item.get("id")), str((item.get("config") or {}).get("url", ""))

    def create_hook(self, full_name: str, hook_url: str, secret: str) -> None:
        """POST /repos/{owner}/{repo}/hooks: a JSON hook for push, create and pull_request, signed by `secret`."""
        body = {
            "type": self.hook_type,
            "active": True,
            "events": HOOK_EVENTS,
            "config": {"url": hook_url, "content_type": "json", "secret": secret},
        }
        self.api.send_json("POST", f"repos/{repo_path(full_name)}/hooks", body)

    def delete_hook(self, full_name: str, hook_id: str) -> None:
        """DELETE /repos/{owner}/{repo}/hooks/{id}."""
        self.api.request("DELETE", f"repos/{repo_path(full_name)}/hooks/{quote(hook_id, safe='')}")

    def parse(self, headers: Mapping[str, str], body: bytes) -> HookEvent:
        """Parse a delivery."""
        return self.hooks.parse(headers, body)

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
        """Check the delivery's HMAC-SHA256 signature."""
        return self.hooks.verify(headers, body, secret)
