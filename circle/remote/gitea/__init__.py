"""Gitea (API v1); Forgejo and Codeberg speak the same API."""
