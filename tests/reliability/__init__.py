"""Reliability and security suite: faults, bad input, secret hygiene and TLS (issue 7)."""
