"""GitLab (API v4), gitlab.com or self-hosted."""
