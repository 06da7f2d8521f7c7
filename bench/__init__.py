"""Benchmarks: `make bench` (python -m bench) prints Candor's figures side by side."""
