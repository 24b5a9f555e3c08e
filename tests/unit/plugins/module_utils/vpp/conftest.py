"""The Apple client's tests run against the real simulator, in-process, on a location of their own."""
from __future__ import annotations

import itertools
from typing import Any, Callable, Dict, Iterable, Optional

import pytest

from tests.utils.inprocess import InProcessSimulator
from tests.utils.vpp_seeds import write_seed

# No rate limit: the tests' pacers do not really wait, and pacing has tests of its own.
UNIT_SETTINGS = {"rateLimit": False}


@pytest.fixture
def apple(simulator_factory: Callable[..., InProcessSimulator], tmp_path) -> Callable[..., InProcessSimulator]:
    """apple(assets=[...], assignments=[...], users=[...], pageSize=3, ...) -> a simulator holding that location.

    Keyword arguments other than the three are simulator settings (see tests/simulator/README.md)."""
    numbers = itertools.count(1)

    def make(assets: Iterable[Dict[str, Any]] = (), assignments: Iterable[Dict[str, Any]] = (), users: Optional[Iterable[str]] = None,
             **settings: Any) -> InProcessSimulator:
        seed = write_seed(tmp_path / "seed-{0}.json".format(next(numbers)), assets, assignments, users)
        return simulator_factory(seed, **dict(UNIT_SETTINGS, **settings))

    return make
