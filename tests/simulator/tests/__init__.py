"""The simulator's own tests."""
from __future__ import annotations
