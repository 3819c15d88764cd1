"""Gogs webhook deliveries: Gitea's parser with Gogs' headers.

Gogs sends X-Gogs-Event (and, since 0.12, an X-Github-Event copy) and signs with X-Gogs-Signature
(bare hex HMAC-SHA256). Its pull request payloads carry no commit sha; GogsRemote.hook() resolves
the source branch's head through the API.
"""
from __future__ import annotations

from circle.remote.gitea.hook import GiteaHook


class GogsHook(GiteaHook):
    """The Gitea parser reading Gogs' headers."""

    forge = "Gogs"
    event_header = "X-Gogs-Event"
    signature_headers = (("X-Gogs-Signature", ""),)
