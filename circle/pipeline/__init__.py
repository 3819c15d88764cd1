"""The pipeline engine: the IR (types), the runtime that executes it, and its backends."""
