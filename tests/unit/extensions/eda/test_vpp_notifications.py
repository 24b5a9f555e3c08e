"""The event source extensions/eda/plugins/event_source/vpp_notifications.py over real HTTP on 127.0.0.1."""
from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import socket
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from tests.simulator.control import make_test_certificates

SOURCE = Path(__file__).resolve().parents[4] / "extensions" / "eda" / "plugins" / "event_source" / "vpp_notifications.py"
_SPEC = importlib.util.spec_from_file_location("vpp_notifications", SOURCE)
vpp = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(vpp)

TOKEN = "notify-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
UID = "2900000000001"


class ListQueue:
    """What ansible-rulebook hands a source, reduced to ``await put``: the events land in a list."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def put(self, event: dict[str, Any]) -> None:
        self.events.append(event)


class GatedQueue(ListQueue):
    """put() waits until the test opens the gate (a rule engine that is slow to take events)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()

    async def put(self, event: dict[str, Any]) -> None:
        self.waiting.set()
        await self.gate.wait()
        await super().put(event)


def envelope(kind: str, notification: Any, notification_id: str = "n-1", uid: str = UID) -> dict[str, Any]:
    return {"notification": notification, "notificationId": notification_id, "notificationType": kind, "uId": uid}


ASSOCIATE_FAILED = {
    "assignments": [{"adamId": "361309726", "pricingParam": "STDQ", "serialNumber": "C02AAA"},
                    {"adamId": 361309726, "pricingParam": "STDQ", "clientUserId": "u-1"}],
    "eventId": "ev-1", "result": "FAILURE", "type": "ASSOCIATE",
    "error": {"errorNumber": 9709, "errorMessage": "Not enough licenses"},
}


async def make_client(queue: ListQueue, **args: Any) -> TestClient:
    options = vpp.parse_options({"token": TOKEN, **args})
    client = TestClient(TestServer(vpp.build_app(queue, options), host="127.0.0.1"))
    await client.start_server()
    return client


@pytest_asyncio.fixture
async def served():
    clients: list[TestClient] = []

    async def serve(queue: ListQueue, **args: Any) -> TestClient:
        clients.append(await make_client(queue, **args))
        return clients[-1]

    yield serve
    for client in clients:
        await client.close()


# ---------------------------------------------------------------------- payload types

@pytest.mark.asyncio
async def test_asset_management_failure_becomes_one_flat_event(served):
    queue = ListQueue()
    client = await served(queue)
    answer = await client.post("/apple/notify", json=envelope("ASSET_MANAGEMENT", ASSOCIATE_FAILED), headers=AUTH)
    assert answer.status == 200
    assert queue.events == [{"vpp": {
        "type": "asset_management", "notification_type": "ASSET_MANAGEMENT", "notification_id": "n-1", "uid": UID,
        "event_id": "ev-1", "action": "ASSOCIATE", "result": "FAILURE", "success": False,
        "error": {"error_number": 9709, "error_message": "Not enough licenses"}, "error_number": 9709,
        "assignments": [{"adam_id": "361309726", "pricing_param": "STDQ", "serial_number": "C02AAA"},
                        {"adam_id": "361309726", "pricing_param": "STDQ", "client_user_id": "u-1"}],
        "failures": [{"adam_id": "361309726", "pricing_param": "STDQ", "serial_number": "C02AAA", "error_number": 9709},
                     {"adam_id": "361309726", "pricing_param": "STDQ", "client_user_id": "u-1", "error_number": 9709}],
        "serial_numbers": ["C02AAA"], "client_user_ids": ["u-1"], "adam_ids": ["361309726"],
    }}]


@pytest.mark.asyncio
async def test_asset_management_success_has_no_failures(served):
    queue = ListQueue()
    client = await served(queue)
    body = {"assignments": [{"adamId": "1", "serialNumber": "S1"}], "eventId": "ev-2", "result": "SUCCESS", "type": "DISASSOCIATE"}
    assert (await client.post("/", json=envelope("ASSET_MANAGEMENT", body), headers=AUTH)).status == 200
    event = queue.events[0]["vpp"]
    assert (event["success"], event["failures"], event["error"], event["action"]) == (True, [], None, "DISASSOCIATE")
    assert event["assignments"] == [{"adam_id": "1", "pricing_param": "STDQ", "serial_number": "S1"}]


@pytest.mark.asyncio
@pytest.mark.parametrize("kind, notification, expected", [
    ("ASSET_COUNT", {"adamId": "408709785", "countDelta": -3, "pricingParam": "PLUS"},
     {"adam_id": "408709785", "pricing_param": "PLUS", "count_delta": -3}),
    ("USER_MANAGEMENT", {"eventId": "ev-9", "result": "SUCCESS", "type": "CREATE", "users": [{"clientUserId": "u-7", "email": "a@b.c"}]},
     {"event_id": "ev-9", "action": "CREATE", "result": "SUCCESS", "success": True, "error": None, "error_number": None,
      "users": [{"client_user_id": "u-7", "email": "a@b.c"}], "failures": [], "client_user_ids": ["u-7"]}),
    ("USER_ASSOCIATED", {"associatedUsers": [{"clientUserId": "u-8", "idHash": "h"}]},
     {"associated_users": [{"client_user_id": "u-8", "id_hash": "h"}], "client_user_ids": ["u-8"]}),
    ("TEST_NOTIFICATION", {}, {}),
    ("UNLIMITED_ASSET", {"adamId": "5", "pricingParam": "STDQ"}, {"notification": {"adam_id": "5", "pricing_param": "STDQ"}}),
])
async def test_each_payload_type(served, kind, notification, expected):
    queue = ListQueue()
    client = await served(queue)
    assert (await client.post("/", json=envelope(kind, notification), headers=AUTH)).status == 200
    assert queue.events == [{"vpp": {"type": kind.lower(), "notification_type": kind, "notification_id": "n-1", "uid": UID, **expected}}]


# ---------------------------------------------------------------------- auth

@pytest.mark.asyncio
@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer wrong"},
    {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"},
    {"Authorization": "Bearer"},
])
async def test_wrong_or_missing_token_is_401_and_queues_nothing(served, headers, caplog):
    queue = ListQueue()
    client = await served(queue)
    with caplog.at_level(logging.DEBUG):
        answer = await client.post("/", json=envelope("ASSET_COUNT", {"adamId": "1", "countDelta": 1}), headers=headers)
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert queue.events == []
    assert TOKEN not in caplog.text


@pytest.mark.asyncio
async def test_only_post(served):
    client = await served(ListQueue())
    assert (await client.get("/", headers=AUTH)).status == 405


# ---------------------------------------------------------------------- malformed bodies

@pytest.mark.asyncio
@pytest.mark.parametrize("body", [
    b"not json",
    b"\xff\xfe",
    b"[]",
    json.dumps({"notificationType": "ASSET_COUNT", "uId": UID, "notification": {"adamId": "1", "countDelta": 1}}).encode(),
    json.dumps(envelope("ASSET_COUNT", {"adamId": "1", "countDelta": "1"})).encode(),
    json.dumps(envelope("ASSET_COUNT", {"adamId": "1", "countDelta": True})).encode(),
    json.dumps(envelope("ASSET_COUNT", [])).encode(),
    json.dumps(envelope("ASSET_MANAGEMENT", {**ASSOCIATE_FAILED, "assignments": "x"})).encode(),
    json.dumps(envelope("ASSET_MANAGEMENT", {**ASSOCIATE_FAILED, "assignments": [{"adamId": "1"}]})).encode(),
    json.dumps(envelope("ASSET_MANAGEMENT", {**ASSOCIATE_FAILED, "assignments": [{"adamId": "", "serialNumber": "S"}]})).encode(),
    json.dumps(envelope("ASSET_MANAGEMENT", {**ASSOCIATE_FAILED, "assignments": [{"adamId": "1", "serialNumber": 7.5}]})).encode(),
    json.dumps(envelope("ASSET_MANAGEMENT", {**ASSOCIATE_FAILED, "assignments": [{"adamId": "1", "serialNumber": "S", "clientUserId": "u"}]})).encode(),
    json.dumps(envelope("ASSET_MANAGEMENT", {**ASSOCIATE_FAILED, "error": "boom"})).encode(),
    json.dumps(envelope("USER_MANAGEMENT", {"eventId": "e", "result": "SUCCESS", "type": "CREATE"})).encode(),
    json.dumps({**envelope("TEST_NOTIFICATION", {}), "uId": ""}).encode(),
])
async def test_malformed_body_is_400_and_queues_nothing(served, body):
    queue = ListQueue()
    client = await served(queue)
    answer = await client.post("/", data=body, headers={**AUTH, "Content-Type": "application/json"})
    assert answer.status == 400
    assert queue.events == []


@pytest.mark.asyncio
async def test_oversized_body_is_400(served):
    queue = ListQueue()
    client = await served(queue)
    big = envelope("UNLIMITED_ASSET", {"padding": "x" * (vpp.MAX_BODY_BYTES + 1)})
    answer = await client.post("/", data=json.dumps(big).encode(), headers={**AUTH, "Content-Type": "application/json"})
    assert answer.status == 400
    assert queue.events == []


# ---------------------------------------------------------------------- dedupe, uids, answer after the queue

@pytest.mark.asyncio
async def test_repeated_notification_id_is_answered_but_queued_once(served):
    queue = ListQueue()
    client = await served(queue)
    body = envelope("ASSET_COUNT", {"adamId": "1", "countDelta": 1}, notification_id="same")
    statuses = [(await client.post("/", json=body, headers=AUTH)).status for _attempt in range(3)]
    assert statuses == [200, 200, 200]
    assert len(queue.events) == 1
    assert (await client.post("/", json={**body, "notificationId": "other"}, headers=AUTH)).status == 200
    assert len(queue.events) == 2


@pytest.mark.asyncio
async def test_dedupe_off_with_zero_seconds(served):
    queue = ListQueue()
    client = await served(queue, dedupe_seconds=0)
    body = envelope("ASSET_COUNT", {"adamId": "1", "countDelta": 1}, notification_id="same")
    for _attempt in range(2):
        await client.post("/", json=body, headers=AUTH)
    assert len(queue.events) == 2


def test_seen_ids_forget_after_the_window_and_stay_bounded():
    now = [0.0]
    seen = vpp.SeenIds(10, limit=3, clock=lambda: now[0])
    seen.add("a")
    now[0] = 5
    assert seen.seen("a")
    now[0] = 10.5
    assert not seen.seen("a")  # the window has passed
    for name in "bcdef":
        seen.add(name)
    assert len(seen) == 3 and not seen.seen("b") and seen.seen("f")


@pytest.mark.asyncio
async def test_other_locations_are_answered_200_and_dropped(served):
    queue = ListQueue()
    client = await served(queue, uids=[UID])
    other = envelope("ASSET_COUNT", {"adamId": "1", "countDelta": 1}, notification_id="x", uid="999")
    assert (await client.post("/", json=other, headers=AUTH)).status == 200
    assert queue.events == []
    assert (await client.post("/", json={**other, "uId": UID}, headers=AUTH)).status == 200
    assert len(queue.events) == 1


@pytest.mark.asyncio
async def test_answer_comes_only_after_the_event_is_queued(served):
    queue = GatedQueue()
    client = await served(queue)
    request = asyncio.ensure_future(client.post("/", json=envelope("TEST_NOTIFICATION", {}), headers=AUTH))
    await asyncio.wait_for(queue.waiting.wait(), 5)
    await asyncio.sleep(0.2)
    assert not request.done()  # no answer while the queue has not taken the event
    retry = await client.post("/", json=envelope("TEST_NOTIFICATION", {}), headers=AUTH)
    assert retry.status == 503 and not request.done()  # the same id while the first is not queued: try again later
    queue.gate.set()
    answer = await asyncio.wait_for(request, 5)
    assert answer.status == 200 and len(queue.events) == 1
    assert (await client.post("/", json=envelope("TEST_NOTIFICATION", {}), headers=AUTH)).status == 200
    assert len(queue.events) == 1  # now a duplicate


@pytest.mark.asyncio
async def test_a_put_that_fails_answers_5xx_and_the_retry_gets_through(served):
    class FailingOnce(ListQueue):
        failed = False

        async def put(self, event):
            if not self.failed:
                self.failed = True
                raise RuntimeError("engine busy")
            await super().put(event)

    queue = FailingOnce()
    client = await served(queue)
    body = envelope("TEST_NOTIFICATION", {})
    assert (await client.post("/", json=body, headers=AUTH)).status == 500
    assert (await client.post("/", json=body, headers=AUTH)).status == 200
    assert len(queue.events) == 1


# ---------------------------------------------------------------------- options and main()

@pytest.mark.parametrize("args, message", [
    ({}, "token is required"),
    ({"token": ""}, "token is required"),
    ({"token": TOKEN, "port": 0}, "port must be between 1 and 65535, got 0"),
    ({"token": TOKEN, "port": 70000}, "port must be between 1 and 65535, got 70000"),
    ({"token": TOKEN, "port": "http"}, "port must be an integer"),
    ({"token": TOKEN, "certfile": "cert.pem"}, "certfile and keyfile go together"),
    ({"token": TOKEN, "keyfile": "key.pem"}, "certfile and keyfile go together"),
    ({"token": TOKEN, "certfile": "/nonexistent/cert.pem", "keyfile": "/nonexistent/key.pem"}, "cannot read certfile/keyfile"),
    ({"token": TOKEN, "dedupe_seconds": -1}, "dedupe_seconds must be a number >= 0"),
    ({"token": TOKEN, "uids": {"a": 1}}, "uids must be a list"),
])
def test_bad_options_fail_with_one_line(args, message):
    with pytest.raises(vpp.OptionError) as raised:
        vpp.parse_options(args)
    text = str(raised.value)
    assert message in text and "\n" not in text and TOKEN not in text


def test_a_certificate_that_is_not_pem_is_refused(tmp_path):
    (tmp_path / "cert.pem").write_text("not a certificate")
    (tmp_path / "key.pem").write_text("not a key")
    with pytest.raises(vpp.OptionError, match="not a usable PEM certificate"):
        vpp.parse_options({"token": TOKEN, "certfile": str(tmp_path / "cert.pem"), "keyfile": str(tmp_path / "key.pem")})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_listening(port: int) -> None:
    for _attempt in range(100):
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


@pytest.mark.asyncio
async def test_main_serves_https_until_cancelled(tmp_path, caplog):
    tls = make_test_certificates(tmp_path)
    queue, port = ListQueue(), free_port()
    with caplog.at_level(logging.DEBUG):
        args = {"token": TOKEN, "host": "127.0.0.1", "port": port, "certfile": str(tls.cert), "keyfile": str(tls.key)}
        task = asyncio.ensure_future(vpp.main(queue, args))
        await wait_listening(port)
        async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(tls.ca))) as client:
            answer = await client.post(f"https://127.0.0.1:{port}/any/path", json=envelope("TEST_NOTIFICATION", {}), headers=AUTH)
            refused = await client.post(f"https://127.0.0.1:{port}/", json=envelope("TEST_NOTIFICATION", {}, "n-2"))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert (answer.status_code, refused.status_code, len(queue.events)) == (200, 401, 1)
    assert TOKEN not in caplog.text
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)  # the listener is gone


@pytest.mark.asyncio
async def test_main_fails_with_one_line_when_the_port_is_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(vpp.OptionError, match=f"cannot listen on 127.0.0.1:{port}"):
            await asyncio.wait_for(vpp.main(ListQueue(), {"token": TOKEN, "host": "127.0.0.1", "port": port}), 10)


def test_the_command_line_runner_prints_events_and_never_the_token(tmp_path):
    """python vpp_notifications.py PORT, logging at DEBUG: events on stdout, the token nowhere in the output."""
    import os
    import subprocess
    import sys

    port = free_port()
    env = {**os.environ, "VPP_NOTIFICATION_TOKEN": TOKEN}
    process = subprocess.Popen([sys.executable, str(SOURCE), str(port)], env=env, stdout=subprocess.PIPE,  # pylint: disable=consider-using-with
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = 100
        while deadline and socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            deadline -= 1
            asyncio.run(asyncio.sleep(0.1))
        with httpx.Client(timeout=5) as client:
            good = client.post(f"http://127.0.0.1:{port}/", json=envelope("TEST_NOTIFICATION", {}), headers=AUTH)
            bad = client.post(f"http://127.0.0.1:{port}/", json=envelope("TEST_NOTIFICATION", {}, "n-2"),
                              headers={"Authorization": f"Bearer {TOKEN[:-2]}"})
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert (good.status_code, bad.status_code) == (200, 401)
    assert json.loads(out.splitlines()[0])["vpp"]["notification_id"] == "n-1" and len(out.splitlines()) == 1
    assert "refused a request" in err and TOKEN not in out + err and TOKEN[:-2] not in out + err


def test_the_command_line_runner_fails_with_one_line_without_a_token():
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key != "VPP_NOTIFICATION_TOKEN"}
    done = subprocess.run([sys.executable, str(SOURCE), "5999"], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1:] == ["vpp_notifications: token is required (the location's notification auth token)"]


@pytest.mark.asyncio
async def test_a_revoke_failure_may_name_only_targets(served):
    queue = ListQueue()
    client = await served(queue)
    body = {"assignments": [{"clientUserId": "u-9"}], "eventId": "ev-3", "result": "FAILURE", "type": "REVOKE",
            "error": {"errorNumber": 9609, "errorMessage": "unknown user"}}
    assert (await client.post("/", json=envelope("ASSET_MANAGEMENT", body), headers=AUTH)).status == 200
    event = queue.events[0]["vpp"]
    assert event["assignments"] == [{"client_user_id": "u-9"}] and event["adam_ids"] == []
    assert event["failures"] == [{"client_user_id": "u-9", "error_number": 9609}]
