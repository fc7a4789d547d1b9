"""Benchmarks and the page generator behind the bundled samples (run from the repo root)."""
