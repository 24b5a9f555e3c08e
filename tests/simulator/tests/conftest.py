"""Fixtures: an in-process simulator behind starlette's TestClient, and one simulator process
(shared by the tests that need real sockets: faults, drops, latency)."""
from __future__ import annotations

import warnings
from typing import Iterator

import pytest

from tests.simulator import DEFAULT_SEED
from tests.simulator.control import SimulatorControl, SimulatorProcess
from tests.simulator.core import Simulator
from tests.simulator.server import create_simulator
from tests.simulator.tests.helpers import Vpp

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")  # newer starlette wants httpx2
    from starlette.testclient import TestClient  # pylint: disable=wrong-import-position


@pytest.fixture
def simulator() -> Simulator:
    """A fresh in-process simulator. Events finish on the next request (eventSeconds 0); the rate
    limit is off so quick page walks pass (the rate-limit tests switch it on)."""
    return create_simulator(DEFAULT_SEED, eventSeconds=0, rateLimit=False)


@pytest.fixture
def client(simulator: Simulator) -> Iterator[TestClient]:
    with TestClient(simulator, base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture
def tokens(client: TestClient) -> dict[str, str]:
    return {entry["name"]: entry["sToken"] for entry in client.get("/_sim/tokens").json()}


@pytest.fixture
def vpp(client: TestClient, tokens: dict[str, str]) -> Vpp:
    return Vpp(client, tokens)


@pytest.fixture(scope="session")
def process() -> Iterator[SimulatorControl]:
    with SimulatorProcess(event_seconds=0, rate_limit=False) as control:
        yield control


@pytest.fixture
def control(process: SimulatorControl) -> SimulatorControl:
    """The shared simulator process, reset to its seed for each test."""
    process.reset()
    return process
