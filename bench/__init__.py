"""Benchmarks for Nearer: `python -m bench` (see BENCHMARKS.md and `python -m bench --help`)."""
