"""Benchmarks of circle; `python -m bench` measures circle and Buildbot side by side (see docs/performance.md)."""
