"""Benchmarks and load tests: scripts, not tests (bench/README.md)."""
