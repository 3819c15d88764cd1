"""circle: a self-hosted continuous-integration server."""

__version__ = "0.1.0"
