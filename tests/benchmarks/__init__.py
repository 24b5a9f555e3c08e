"""Benchmarks against the simulator with Apple-like settings (``make bench``)."""
