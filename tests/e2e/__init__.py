"""End-to-end tests with real server and agent processes."""
