"""Gogs (API v1): Gitea's ancestor, served by the Gitea code with Gogs' differences."""
