"""A local HTTP server that behaves like Apple's App and Book Management API and the reseller
Asset API, for the collection's tests, benchmarks and demo.

Start it with ``python -m tests.simulator --seed FILE`` from the repository root, or from Python
with ``tests.simulator.control.SimulatorProcess``.
"""
from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_SEED = DATA_DIR / "default.json"  # the seed the tests use
DEMO_SEED = DATA_DIR / "demo.json"  # one school: the README's first steps (`make demo` uses onboarding_demo.json)
