"""The agent: lease workflows over JSON-RPC, run them with the pipeline runtime, report back."""
