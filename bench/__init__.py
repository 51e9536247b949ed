"""Benchmarks of ejournal on a large demo school: `make bench` (python -m bench)."""
