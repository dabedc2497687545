"""Benchmarks that print figures (not timed tests): run them with `python -m bench.NAME`."""
