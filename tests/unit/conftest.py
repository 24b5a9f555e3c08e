"""Unit-test fixtures: the real simulator, in-process (see tests/utils/inprocess.py)."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from tests.simulator import DEFAULT_SEED
from tests.utils.inprocess import InProcessSimulator


@pytest.fixture
def simulator_factory() -> Iterator[Callable[..., InProcessSimulator]]:
    """``simulator_factory(seed=DEFAULT_SEED, **settings)``: a fresh simulator, closed after the test."""
    made: list[InProcessSimulator] = []

    def make(seed: Any = DEFAULT_SEED, **settings: Any) -> InProcessSimulator:
        made.append(InProcessSimulator(seed, **settings))
        return made[-1]

    yield make
    for sim in made:
        sim.close()


@pytest.fixture
def simulator(simulator_factory: Callable[..., InProcessSimulator]) -> InProcessSimulator:
    """A fresh simulator on the default seed."""
    return simulator_factory()
