"""Bitbucket Cloud (API 2.0)."""
