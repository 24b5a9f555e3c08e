"""notificationDelivery: the simulator POSTs Apple's notifications to the configured URL (notifications.py).

The receiver is a small HTTP server on 127.0.0.1 that records each request and answers the statuses a test gives.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from tests.simulator.server import create_simulator
from tests.simulator.tests.helpers import Vpp, state_of
from tests.utils.vpp_seeds import asset, write_seed

HOOK_TOKEN = "hook-secret-7"
FAST = {"notificationDelivery": True, "notificationAllowHttp": True, "notificationRetrySeconds": [0.05]}


class Receiver:
    """Records POSTs; answers ``statuses`` in turn (200 once they run out)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append({"path": self.path, "authorization": self.headers.get("Authorization"), "body": json.loads(body)})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/apple/notify"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self, kind: str) -> list[dict[str, Any]]:
        return [request["body"] for request in self.requests if request["body"]["notificationType"] == kind]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


def make(seed: Any, **settings: Any):
    from starlette.testclient import TestClient  # pylint: disable=import-outside-toplevel

    simulator = create_simulator(seed, eventSeconds=0, rateLimit=False, **settings)
    client = TestClient(simulator, base_url="http://127.0.0.1")
    tokens = {entry["name"]: entry["sToken"] for entry in client.get("/_sim/tokens").json()}
    return simulator, client, Vpp(client, tokens)


def configure(vpp: Vpp, url: str, types: list[str]) -> Any:
    return vpp.post("/client/config", {"notificationUrl": url, "notificationAuthToken": HOOK_TOKEN, "notificationTypes": types})


def apple(simulator: Any) -> Any:
    return next(half for half in simulator.halves if half.name == "vpp")


@pytest.fixture
def seeded(tmp_path):
    return write_seed(tmp_path / "seed.json", assets=[asset("100", total=300), asset("200", total=1)])


def test_test_notification_is_posted_with_the_token(seeded, receiver) -> None:
    _simulator, client, vpp = make(seeded, **FAST)
    answer = configure(vpp, receiver.url, ["ASSET_MANAGEMENT"])
    assert answer.status_code == 200, answer.text
    (request,) = receiver.requests
    assert request["authorization"] == f"Bearer {HOOK_TOKEN}" and request["path"] == "/apple/notify"
    assert request["body"]["notificationType"] == "TEST_NOTIFICATION" and request["body"]["uId"] == "2049025000431439"
    (record,) = state_of(client)["notifications"]
    assert (record["delivered"], record["attempts"], record["notificationUrl"]) == (True, [200], receiver.url)
    assert HOOK_TOKEN not in json.dumps(state_of(client)["notifications"]) + json.dumps(client.get("/_sim/log").json())


def test_an_undelivered_test_notification_refuses_the_config(seeded, receiver) -> None:
    _simulator, client, vpp = make(seeded, **FAST)
    receiver.statuses = [500]
    answer = configure(vpp, receiver.url, [])
    assert answer.status_code == 400 and answer.json()["errorNumber"] == 9728
    assert "notificationUrl" not in vpp.get("/client/config").json()
    assert state_of(client)["notifications"][0]["delivered"] is False


def test_nothing_listening_refuses_the_config(seeded, receiver) -> None:
    _simulator, _client, vpp = make(seeded, **FAST)
    receiver.close()
    assert configure(vpp, receiver.url, []).json()["errorNumber"] == 9728


def test_http_needs_the_setting(seeded, receiver) -> None:
    _simulator, _client, vpp = make(seeded, notificationDelivery=True)
    assert configure(vpp, receiver.url, []).json()["errorNumber"] == 9712
    assert receiver.requests == []


def test_asset_management_split_at_100_and_asset_count(seeded, receiver) -> None:
    simulator, _client, vpp = make(seeded, **FAST)
    assert configure(vpp, receiver.url, ["ASSET_MANAGEMENT", "ASSET_COUNT"]).status_code == 200
    serials = [f"S{number:04d}" for number in range(250)]
    status = vpp.run("/assets/associate", {"assets": [{"adamId": "100"}], "serialNumbers": serials})
    assert status["eventStatus"] == "COMPLETE"
    assert apple(simulator).notifier.wait_idle(10)
    parts = receiver.bodies("ASSET_MANAGEMENT")
    assert [len(part["notification"]["assignments"]) for part in parts] == [100, 100, 50]
    assert {part["notification"]["result"] for part in parts} == {"SUCCESS"}
    assert [pair["serialNumber"] for part in parts for pair in part["notification"]["assignments"]] == serials
    assert len({part["notificationId"] for part in parts}) == 3
    assert [body["notification"] for body in receiver.bodies("ASSET_COUNT")] == [{"adamId": "100", "countDelta": -250, "pricingParam": "STDQ"}]


def test_a_failed_pair_comes_as_failure_with_the_error(seeded, receiver) -> None:
    simulator, client, vpp = make(seeded, **FAST)
    configure(vpp, receiver.url, ["ASSET_MANAGEMENT"])
    status = vpp.run("/assets/associate", {"assets": [{"adamId": "200"}], "serialNumbers": ["A1", "A2"]})
    assert status["eventStatus"] == "FAILED"
    assert apple(simulator).notifier.wait_idle(10)
    by_result = {body["notification"]["result"]: body["notification"] for body in receiver.bodies("ASSET_MANAGEMENT")}
    assert by_result["SUCCESS"]["assignments"] == [{"adamId": "200", "pricingParam": "STDQ", "serialNumber": "A1"}]
    assert by_result["FAILURE"]["assignments"] == [{"adamId": "200", "pricingParam": "STDQ", "serialNumber": "A2"}]
    assert by_result["FAILURE"]["error"]["errorNumber"] == 9709 and by_result["FAILURE"]["type"] == "ASSOCIATE"
    assert not receiver.bodies("ASSET_COUNT")  # not subscribed
    assert all(record["delivered"] for record in state_of(client)["notifications"])


def test_three_tries_on_non_2xx(seeded, receiver) -> None:
    simulator, client, vpp = make(seeded, **FAST)
    configure(vpp, receiver.url, ["ASSET_COUNT"])
    receiver.statuses = [503, 500]
    vpp.run("/assets/associate", {"assets": [{"adamId": "100"}], "serialNumbers": ["B1"]})
    assert apple(simulator).notifier.wait_idle(10)
    receiver.statuses = [503, 503, 503]
    vpp.run("/assets/disassociate", {"assets": [{"adamId": "100"}], "serialNumbers": ["B1"]})
    assert apple(simulator).notifier.wait_idle(10)
    counts = [record for record in state_of(client)["notifications"] if record["notificationType"] == "ASSET_COUNT"]
    assert [(record["attempts"], record["delivered"]) for record in counts] == [([503, 500, 200], True), ([503, 503, 503], False)]
    assert len(receiver.bodies("ASSET_COUNT")) == 6
    assert len({body["notificationId"] for body in receiver.bodies("ASSET_COUNT")}) == 2  # a retry keeps its id


def test_user_management_and_user_associated(seeded, receiver) -> None:
    simulator, _client, vpp = make(seeded, **FAST)
    configure(vpp, receiver.url, ["USER_MANAGEMENT", "USER_ASSOCIATED"])
    vpp.run("/users/create", {"users": [{"clientUserId": "u-1", "email": "a@example.org", "managedAppleId": "a@appleid.example.org"},
                                        {"clientUserId": "u-2"}]})
    assert apple(simulator).notifier.wait_idle(10)
    (management,) = receiver.bodies("USER_MANAGEMENT")
    assert management["notification"]["type"] == "CREATE" and management["notification"]["result"] == "SUCCESS"
    assert [user["clientUserId"] for user in management["notification"]["users"]] == ["u-1", "u-2"]
    (associated,) = receiver.bodies("USER_ASSOCIATED")
    assert [user["clientUserId"] for user in associated["notification"]["associatedUsers"]] == ["u-1"]


def test_without_delivery_nothing_is_sent(seeded, receiver) -> None:
    _simulator, client, vpp = make(seeded, notificationAllowHttp=True)
    assert configure(vpp, receiver.url, ["ASSET_MANAGEMENT"]).status_code == 200  # notificationReachable decides
    vpp.run("/assets/associate", {"assets": [{"adamId": "100"}], "serialNumbers": ["C1"]})
    time.sleep(0.2)
    assert receiver.requests == [] and len(state_of(client)["notifications"]) == 1


@pytest.mark.parametrize("settings", [{"notificationDelivery": "yes"}, {"notificationRetrySeconds": []},
                                      {"notificationRetrySeconds": [-1]}, {"notificationCaFile": ""}, {"notificationAllowHttp": 1}])
def test_bad_settings_are_refused(client, settings) -> None:
    assert client.post("/_sim/settings", json=settings).status_code == 400


def test_an_event_nobody_looks_at_is_notified_when_due(seeded, receiver) -> None:
    """Over a socket (the simulator's own loop): no /status look, yet ASSET_MANAGEMENT arrives once the event is due."""
    from tests.simulator.control import SimulatorProcess  # pylint: disable=import-outside-toplevel

    with SimulatorProcess(seed=seeded, event_seconds=0.3, rate_limit=False) as sim:
        sim.settings(**FAST)
        import httpx  # pylint: disable=import-outside-toplevel

        with httpx.Client(base_url=sim.url, timeout=10) as client:
            vpp = Vpp(client, sim.tokens())
            assert configure(vpp, receiver.url, ["ASSET_MANAGEMENT"]).status_code == 200
            assert vpp.post("/assets/associate", {"assets": [{"adamId": "100"}], "serialNumbers": ["D1"]}).status_code == 200
            deadline = time.monotonic() + 10
            while not receiver.bodies("ASSET_MANAGEMENT") and time.monotonic() < deadline:
                time.sleep(0.05)
    (body,) = receiver.bodies("ASSET_MANAGEMENT")
    assert body["notification"]["assignments"] == [{"adamId": "100", "pricingParam": "STDQ", "serialNumber": "D1"}]


def test_revoke_lists_the_pairs_it_took_back(seeded, receiver) -> None:
    simulator, _client, vpp = make(seeded, **FAST)
    configure(vpp, receiver.url, ["ASSET_MANAGEMENT"])
    vpp.run("/assets/associate", {"assets": [{"adamId": "100"}, {"adamId": "200"}], "serialNumbers": ["E1"]})
    status = vpp.run("/assets/revoke", {"serialNumbers": ["E1"], "clientUserIds": ["ghost"]})
    assert status["eventStatus"] == "FAILED"
    assert apple(simulator).notifier.wait_idle(10)
    revoke = {body["notification"]["result"]: body["notification"] for body in receiver.bodies("ASSET_MANAGEMENT")
              if body["notification"]["type"] == "REVOKE"}
    assert sorted(pair["adamId"] for pair in revoke["SUCCESS"]["assignments"]) == ["100", "200"]
    assert revoke["FAILURE"]["assignments"] == [{"clientUserId": "ghost"}] and revoke["FAILURE"]["error"]["errorNumber"] == 9609
