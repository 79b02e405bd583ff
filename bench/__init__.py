"""Benchmarks and soak tests: `python -m bench.<name>`; each prints its figures."""
