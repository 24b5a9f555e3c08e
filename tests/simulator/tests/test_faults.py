"""Fault injection and timing against the simulator process, with a real httpx client."""
from __future__ import annotations

import email.utils
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Iterator

import httpx
import pytest

from tests.simulator.control import SimulatorControl, SimulatorProcess
from tests.simulator.tests.helpers import Vpp

KEYNOTE = {"adamId": "361285480", "pricingParam": "STDQ"}
ASSOCIATE = {"assets": [KEYNOTE], "serialNumbers": ["F1"]}
F1 = ("361285480", "STDQ", "serial", "F1")


@pytest.fixture
def api(control: SimulatorControl) -> Iterator[Vpp]:
    with httpx.Client(base_url=control.url, timeout=5) as http:
        yield Vpp(http, control.tokens())


def test_status_fault_with_retry_after_seconds(control, api) -> None:
    control.add_faults({"method": "GET", "path": "/mdm/v2/assets", "kind": "status", "status": 503, "errorNumber": 9729, "retryAfter": "2"})
    response = api.get("/assets")
    assert (response.status_code, response.json()["errorNumber"], response.headers["retry-after"]) == (503, 9729, "2")
    assert api.get("/assets").status_code == 200  # count defaults to 1
    assert control.faults() == []


def test_status_fault_with_retry_after_date(control, api) -> None:
    control.add_faults({"path": "/mdm/v2/*", "kind": "status", "status": 500, "errorNumber": 9603, "retryAfter": "date+2"})
    response = api.get("/users")
    assert (response.status_code, response.json()["errorNumber"]) == (500, 9603)
    ahead = (email.utils.parsedate_to_datetime(response.headers["retry-after"]) - datetime.now(timezone.utc)).total_seconds()
    assert 0 < ahead <= 2.5


def test_status_fault_429_and_html_502(control, api) -> None:
    control.add_faults(
        {"path": "/mdm/v2/assignments", "kind": "status", "status": 429, "errorNumber": 9646},
        {"path": "/mdm/v2/assignments", "kind": "status", "status": 502, "html": True},
    )
    first = api.get("/assignments")
    assert (first.status_code, first.json()["errorNumber"], "retry-after" in first.headers) == (429, 9646, False)
    second = api.get("/assignments")
    assert second.status_code == 502 and second.headers["content-type"].startswith("text/html") and "<html>" in second.text
    assert [entry["fault"] for entry in control.log()] == ["status", "status"]
    assert [entry["errorNumber"] for entry in control.log()] == [9646, None]


def test_after_count_and_method(control, api) -> None:
    control.add_faults({"method": "GET", "path": "/mdm/v2/assets", "after": 1, "count": 2, "kind": "status", "status": 500})
    assert api.post("/assets/associate", ASSOCIATE).status_code == 200  # other method and path: untouched
    assert [api.get("/assets").status_code for _attempt in range(4)] == [200, 500, 500, 200]


def test_drop_before_is_not_applied(control, api) -> None:
    control.add_faults({"method": "POST", "path": "/mdm/v2/assets/associate", "kind": "drop_before"})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.post("/assets/associate", ASSOCIATE)
    assert F1 not in control.assignments("Main")
    assert control.location_state("Main")["events"] == []
    assert control.log()[0]["fault"] == "drop_before" and control.log()[0]["status"] is None
    assert api.get("/assets").status_code == 200  # the client recovers on a new connection


def test_drop_after_is_applied(control, api) -> None:
    control.add_faults({"method": "POST", "path": "/mdm/v2/assets/associate", "kind": "drop_after"})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.post("/assets/associate", ASSOCIATE)
    assert F1 in control.assignments("Main")
    (event,) = control.location_state("Main")["events"]
    assert event["eventStatus"] == "COMPLETE" and event["request"]["serialNumbers"] == ["F1"]
    assert control.summary()["status"] == {"dropped": 1}


def test_delay_outlives_the_client_timeout_and_still_applies(control) -> None:
    control.add_faults({"method": "POST", "path": "/mdm/v2/assets/associate", "kind": "delay", "seconds": 0.6})
    with httpx.Client(base_url=control.url, timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            Vpp(http, control.tokens()).post("/assets/associate", ASSOCIATE)
    assert F1 not in control.assignments("Main")
    time.sleep(0.6)
    assert F1 in control.assignments("Main")


def test_delay_slows_the_answer(control, api) -> None:
    control.add_faults({"path": "/mdm/v2/client/config", "kind": "delay", "seconds": 0.3})
    started = time.monotonic()
    assert api.get("/client/config").status_code == 200
    assert time.monotonic() - started >= 0.3
    assert control.log()[0]["fault"] == "delay" and control.log()[0]["duration"] >= 0.3


def test_mutations_during_a_page_walk(control, api) -> None:
    control.settings(pageSize=4)  # Main: 16 assignments, 4 pages
    control.add_faults(
        {"method": "GET", "path": "/mdm/v2/assignments", "after": 1, "kind": "mutate", "action": "add_assignments", "count": 5, "adamId": "361285480"},
        {"method": "GET", "path": "/mdm/v2/assignments", "after": 2, "kind": "mutate", "action": "remove_assignments", "count": 9},
        {"method": "GET", "path": "/mdm/v2/assignments", "after": 3, "kind": "mutate", "action": "bump_version"},
    )
    pages = [api.get("/assignments", pageIndex=index).json() for index in (0, 1, 2, 0)]
    assert [page["totalPages"] for page in pages] == [4, 6, 3, 3]  # 16, +5, -9, same count
    versions = [page["versionId"] for page in pages]
    assert len(set(versions)) == 4
    assert "nextPageIndex" not in pages[2] and pages[2]["currentPageIndex"] == 2
    assert len(control.assignments("Main")) == 12
    assert control.faults() == []


def test_mutate_rule_is_checked(control) -> None:
    with pytest.raises(RuntimeError, match="action"):
        control.add_faults({"path": "/mdm/v2/assignments", "kind": "mutate", "action": "explode"})
    with pytest.raises(RuntimeError, match="kind"):
        control.add_faults({"path": "/mdm/v2/assignments", "kind": "boom"})


def test_latency_overlaps_parallel_requests(control, api) -> None:
    control.settings(latencyMs=300)
    clients = [httpx.Client(base_url=control.url, timeout=5) for _attempt in range(5)]  # one connection each
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=5) as pool:
        statuses = list(pool.map(lambda http: Vpp(http, api.tokens).get("/assets").status_code, clients))
    elapsed = time.monotonic() - started
    for http in clients:
        http.close()
    assert statuses == [200] * 5
    assert 0.3 <= elapsed < 1.2  # five requests one after another would take 1.5 s
    summary = control.summary()
    assert summary["peak_concurrency"] >= 3 and summary["peak_per_second"] == 5


def test_rate_limit_over_the_wire(control, api) -> None:
    control.settings(rateLimit=True, limits={"maxRequestPerSecond": 3})
    statuses = [api.get("/client/config").status_code for _attempt in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_process_start_failure_reports_stderr(tmp_path) -> None:
    seed = tmp_path / "broken.json"
    seed.write_text("{ not json", encoding="utf-8")
    with pytest.raises(RuntimeError, match="cannot start"):
        SimulatorProcess(seed).start()


def test_process_stops_after_max_requests() -> None:
    process = SimulatorProcess(max_requests=2)
    control = process.start()
    try:
        assert process.url.startswith("http://127.0.0.1:")
        control.health()
        control.health()
        deadline = time.monotonic() + 5
        while process.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not process.running
    finally:
        process.stop()


def test_every_fires_on_every_nth_matching_request(control, api) -> None:
    control.add_faults({"path": "/mdm/v2/*", "after": 1, "every": 3, "count": None, "kind": "status", "status": 429, "errorNumber": 9646})
    statuses = [api.get("/client/config").status_code for _attempt in range(10)]
    assert statuses == [200, 200, 200, 429, 200, 200, 429, 200, 200, 429]
    with pytest.raises(RuntimeError, match="every"):
        control.add_faults({"path": "/mdm/v2/*", "every": 0, "kind": "status", "status": 429})


def test_revoke_token_mutation_refuses_that_request_and_later_ones(control, api) -> None:
    control.add_faults({"method": "POST", "path": "/mdm/v2/assets/associate", "after": 1, "kind": "mutate", "action": "revoke_token"})
    assert api.post("/assets/associate", ASSOCIATE).status_code == 200
    refused = api.post("/assets/associate", ASSOCIATE)
    assert (refused.status_code, refused.json()["errorNumber"]) == (401, 9625)
    assert api.get("/assets").json()["errorNumber"] == 9625
    assert control.location_state("Main")["revoked"] is True
    control.reset()
    assert api.get("/assets").status_code == 200


def test_retire_user_mutation(control, api) -> None:
    control.add_faults({"method": "POST", "path": "/mdm/v2/assets/disassociate", "kind": "mutate", "action": "retire_user", "clientUserId": "user-1"})
    answer = api.post("/assets/disassociate", {"assets": [{"adamId": "361309726", "pricingParam": "STDQ"}], "clientUserIds": ["user-1"]})
    assert answer.status_code == 200
    users = {user["clientUserId"]: user["status"] for user in control.location_state("Main")["users"]}
    assert users["user-1"] == "Retired"
    assert ("361309726", "STDQ", "user", "user-1") not in control.assignments("Main")
    with pytest.raises(RuntimeError, match="clientUserId"):
        control.add_faults({"path": "/mdm/v2/assets/disassociate", "kind": "mutate", "action": "retire_user"})
