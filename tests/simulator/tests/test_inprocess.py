"""The simulator in-process (tests/utils/inprocess.py), as the unit tests use it: drops as httpx errors,
one event loop for parallel requests, the test's clock, and the wire as the client sent it."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import httpx
import pytest

from tests.utils.inprocess import InProcessSimulator

ASSOCIATE = {"assets": [{"adamId": "361285480", "pricingParam": "STDQ"}], "serialNumbers": ["IP1"]}
IP1 = ("361285480", "STDQ", "serial", "IP1")


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def sim() -> Iterator[InProcessSimulator]:
    simulator = InProcessSimulator(eventSeconds=0, rateLimit=False)
    yield simulator
    simulator.close()


def test_drop_before_is_a_transport_error_and_not_applied(sim) -> None:
    sim.add_faults({"method": "POST", "path": "/mdm/v2/assets/associate", "kind": "drop_before"})
    with sim.api_client("Main") as http, pytest.raises(httpx.RemoteProtocolError):
        http.post("/assets/associate", json=ASSOCIATE)
    [entry] = sim.writes()
    assert (entry["fault"], entry["status"]) == ("drop_before", None)
    assert IP1 not in sim.assignments("Main")


def test_drop_after_is_the_chosen_error_and_applied(sim) -> None:
    sim.add_faults({"method": "POST", "path": "/mdm/v2/assets/associate", "kind": "drop_after"})
    with httpx.Client(base_url=sim.vpp_url, transport=sim.transport(httpx.ReadTimeout), trust_env=False) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.post("/assets/associate", json=ASSOCIATE, headers={"Authorization": "Bearer " + sim.tokens()["Main"]})
    [entry] = sim.writes()
    assert (entry["fault"], entry["status"]) == ("drop_after", 200)  # answered, but the answer never arrived
    assert IP1 in sim.assignments("Main")


def test_parallel_requests_overlap_on_one_event_loop(sim) -> None:
    sim.settings(latencyMs=50)
    with sim.api_client("Main") as http, ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _n: http.get("/assets").status_code, range(4)))
    assert statuses == [200] * 4
    assert sim.summary()["peak_concurrency"] >= 2


def test_use_clock_drives_log_times_waits_and_events(sim) -> None:
    clock = Clock()
    sim.use_clock(clock, clock.advance)
    sim.settings(eventSeconds=30, latencyMs=1000)
    sim.add_faults({"method": "GET", "path": "/mdm/v2/assets", "kind": "delay", "seconds": 20})
    with sim.api_client("Main") as http:
        http.get("/assets")  # 20 s delay + 1 s latency, on the clock: no real waiting
        event = http.post("/assets/associate", json=ASSOCIATE).json()["eventId"]  # arrives at 521 s; due 30 s after it is handled
        first_look = http.get("/status", params={"eventId": event}).json()["eventStatus"]
        clock.advance(30)
        second_look = http.get("/status", params={"eventId": event}).json()["eventStatus"]
    assert (first_look, second_look) == ("PENDING", "COMPLETE")
    assert [entry["time"] for entry in sim.log()] == [500.0, 521.0, 522.0, 553.0]
    assert [entry["duration"] for entry in sim.log()] == [21.0, 1.0, 1.0, 1.0]


def test_sent_keeps_what_the_log_leaves_out(sim) -> None:
    with sim.api_client("Main") as http:
        http.get("/assets", params={"adamId": "361309726"})
    [request] = sim.sent()
    assert request.headers["authorization"] == "Bearer " + sim.tokens()["Main"]
    assert "authorization" not in str(sim.log()).lower()
    assert sim.queries("/mdm/v2/assets") == [{"adamId": "361309726"}]
