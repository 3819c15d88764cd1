"""The agent protocol of SPEC §6: JSON-RPC 2.0 over HTTP long-polling (protocol, server, endpoint, client)."""
