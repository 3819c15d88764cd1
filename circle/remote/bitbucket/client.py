"""Bitbucket Cloud API 2.0 client.

Authentication: a username with an app password (HTTP basic), or an access token (bearer).
The API lives at api.bitbucket.org/2.0 for bitbucket.org; for any other URL at <url>/2.0.
"""
from __future__ import annotations

from typing import Iterable, Mapping
from urllib.parse import quote, urlsplit

from circle.errors import NotFound
from circle.remote.api import ApiRemote, file_path, repo_path
from circle.remote.bitbucket import convert, hook
from circle.remote.http import HttpClient
from circle.remote.payload import dig
from circle.remote.types import Commit, HookEvent, Perm, RemoteRepo, RemoteUser, Team
from circle.states import BITBUCKET_STATES

HOOK_EVENTS = [
    "repo:push",
    "pullrequest:created",
    "pullrequest:updated",
    "pullrequest:fulfilled",
    "pullrequest:rejected",
]


class BitbucketRemote(ApiRemote):
    """Bitbucket Cloud."""

    kind = "bitbucket"
    label = "Bitbucket"
    states = BITBUCKET_STATES

    def api_base(self) -> str:
        """Return api.bitbucket.org/2.0 for bitbucket.org, else <url>/2.0."""
        if urlsplit(self.url).hostname in ("bitbucket.org", "api.bitbucket.org"):
            return "https://api.bitbucket.org/2.0"
        return self.url + "/2.0"

    def auth_headers(self, token: str) -> dict[str, str]:
        """Send the token as a bearer token."""
        return {"Authorization": f"Bearer {token}"}

    def token_netrc(self, token: str) -> tuple[str, str]:
        """Clone with the x-token-auth login Bitbucket expects for access tokens."""
        return "x-token-auth", token

    def fetch_user(self, api: HttpClient) -> RemoteUser:
        """Return GET /user."""
        return convert.user(api.get_json("user"))

    def teams(self) -> list[Team]:
        """List the account's workspaces."""
        items = self.api.cursor_pages("user/permissions/workspaces", {"pagelen": 100})
        return [convert.team(item.get("workspace") or {}) for item in items]

    def team_perm(self, org: str) -> Perm:
        """Return the account's permission in a workspace."""
        repo_path(org, min_parts=1, max_parts=1)
        items = self.api.cursor_pages("user/permissions/workspaces", {"q": f'workspace.slug="{org}"'})
        return convert.perm(convert.WORKSPACE_PERMS, dig(next(items, None), "permission"))

    def repo(self, full_name: str) -> RemoteRepo:
        """Fetch GET /repositories/{workspace}/{slug}."""
        return convert.repo(self.api.get_json(f"repositories/{repo_path(full_name)}"))

    def repos(self) -> list[RemoteRepo]:
        """List the repositories the account is a member of, every page."""
        items = self.api.cursor_pages("repositories", {"role": "member", "pagelen": 100})
        return [convert.repo(r) for r in items]

    def perm(self, full_name: str) -> Perm:
        """Return the account's permission on a repository."""
        repo_path(full_name)
        items = self.api.cursor_pages("user/permissions/repositories", {"q": f'repository.full_name="{full_name}"'})
        return convert.perm(convert.REPO_PERMS, dig(next(items, None), "permission"))

    def file_ref(self, full_name: str, ref: str, path: str) -> bytes:
        """Fetch GET /repositories/{workspace}/{slug}/src/{ref}/{path}."""
        api_path = f"repositories/{repo_path(full_name)}/src/{quote(ref, safe='')}/{file_path(path)}"
        try:
            return self.api.request("GET", api_path).content
        except NotFound:
            raise NotFound(f"{path} not found in {full_name} at {ref} on {self.label}") from None

    def dir(self, full_name: str, sha: str, path: str) -> list[str]:
        """List the files of GET /repositories/{workspace}/{slug}/src/{sha}/{path}/ (every page)."""
        api_path = f"repositories/{repo_path(full_name)}/src/{quote(sha, safe='')}/{file_path(path)}/"
        try:
            items = list(self.api.cursor_pages(api_path, {"pagelen": 100}))
        except NotFound:
            raise NotFound(f"{path} not found in {full_name} at {sha} on {self.label}") from None
        return [str(i["path"]) for i in items if isinstance(i, dict) and i.get("type") == "commit_file"]

    def branch_head(self, full_name: str, branch: str) -> str:
        """Return target.hash of GET /repositories/{workspace}/{slug}/refs/branches/{name}."""
        try:
            data = self.api.get_json(f"repositories/{repo_path(full_name)}/refs/branches/{quote(branch, safe='')}")
        except NotFound:
            raise NotFound(f"{full_name} has no branch {branch} on {self.label}") from None
        return str(data["target"]["hash"])

    def commit(self, full_name: str, ref: str) -> Commit:
        """Fetch GET /repositories/{workspace}/{slug}/commit/{sha}."""
        return convert.commit(self.api.get_json(f"repositories/{repo_path(full_name)}/commit/{quote(ref, safe='')}"))

    def post_status(self, full_name: str, sha: str, state: str, context: str, link: str, description: str) -> None:
        """POST /repositories/{workspace}/{slug}/commit/{sha}/statuses/build (the key is the context)."""
        body = {"state": state, "key": context[:40], "name": context, "url": link, "description": description}
        path = f"repositories/{repo_path(full_name)}/commit/{quote(sha, safe='')}/statuses/build"
        self.api.send_json("POST", path, body, idempotent=True)

    def list_hooks(self, full_name: str) -> Iterable[tuple[str, str]]:
        """Yield (uuid, url) of the repository's webhooks."""
        for item in self.api.cursor_pages(f"repositories/{repo_path(full_name)}/hooks"):
            yield str(item.get("uuid")), str(item.get("url", ""))

    def create_hook(self, full_name: str, hook_url: str, secret: str) -> None:
        """POST /repositories/{workspace}/{slug}/hooks with the secret Bitbucket signs deliveries with."""
        body = {"description": "circle", "url": hook_url, "active": True, "events": HOOK_EVENTS, "secret": secret}
        self.api.send_json("POST", f"repositories/{repo_path(full_name)}/hooks", body)

    def delete_hook(self, full_name: str, hook_id: str) -> None:
        """DELETE /repositories/{workspace}/{slug}/hooks/{uuid}."""
        self.api.request("DELETE", f"repositories/{repo_path(full_name)}/hooks/{quote(hook_id, safe='')}")

    def parse(self, headers: Mapping[str, str], body: bytes) -> HookEvent:
        """Parse a Bitbucket delivery."""
        return hook.parse(headers, body)

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
        """Check X-Hub-Signature."""
        return hook.verify(headers, body, secret)
