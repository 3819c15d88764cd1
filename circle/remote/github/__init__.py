"""GitHub (github.com REST v3, or GitHub Enterprise at <url>/api/v3)."""
