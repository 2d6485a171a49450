"""Benchmarks: `make bench` (python -m bench). Figures for the closing notes, never test limits."""
