"""Shared machinery through the in-process app: rate limit, request log and summary, settings, reset."""
from __future__ import annotations

import json
import time

PAGES = {"adamId": "361309726", "pricingParam": "STDQ"}


def test_rate_limit_refuses_the_sixteenth_request_in_a_second(vpp, client) -> None:
    client.post("/_sim/settings", json={"rateLimit": True})
    responses = [vpp.get("/client/config") for _attempt in range(20)]
    refused = [response for response in responses if response.status_code == 429]
    assert [response.status_code for response in responses[:15]] == [200] * 15
    assert len(refused) == 5
    assert all(response.json()["errorNumber"] == 9646 and "retry-after" not in response.headers for response in refused)
    assert vpp.as_location("Expiring").get("/client/config").status_code == 200  # counted per location
    assert all(client.get("/mdm/v2/service/config").status_code == 200 for _attempt in range(20))  # no token, no limit


def test_paced_requests_are_never_refused(vpp, client) -> None:
    client.post("/_sim/settings", json={"rateLimit": True, "limits": {"maxRequestPerSecond": 4}})
    statuses = []
    for _attempt in range(7):
        statuses.append(vpp.get("/client/config").status_code)
        time.sleep(0.27)
    assert statuses == [200] * 7
    assert client.get("/_sim/log/summary").json()["peak_per_second"] <= 4


def test_rate_limit_off(vpp) -> None:
    assert {vpp.get("/client/config").status_code for _attempt in range(25)} == {200}


def test_request_log_entries(vpp, client, tokens) -> None:
    vpp.get("/assets", adamId="361309726")
    vpp.post("/assets/associate", {"assets": [PAGES], "serialNumbers": ["L1"]})
    vpp.post("/assets/associate", {"assets": [PAGES]})  # 9719
    client.get("/mdm/v2/assets")  # 9601, no location
    entries = client.get("/_sim/log").json()["entries"]
    assert [entry["seq"] for entry in entries] == [1, 2, 3, 4]
    read, write, rejected, anonymous = entries
    assert (read["method"], read["path"], read["query"], read["status"], read["errorNumber"]) == ("GET", "/mdm/v2/assets", {"adamId": "361309726"}, 200, None)
    assert (read["uId"], read["location"], read["fault"], read["body"]) == ("2049025000431439", "Main", None, None)
    assert read["duration"] >= 0 and isinstance(read["time"], float)
    assert write["body"] == {"assets": [PAGES], "serialNumbers": ["L1"]}
    assert (rejected["status"], rejected["errorNumber"]) == (400, 9719)
    assert (anonymous["status"], anonymous["errorNumber"], anonymous["uId"]) == (401, 9601, None)
    assert tokens["Main"] not in json.dumps(entries)  # the Authorization header is never logged
    assert [entry["seq"] for entry in client.get("/_sim/log", params={"since": 2}).json()["entries"]] == [3, 4]
    assert client.get("/_sim/log").json()["entries"] == entries  # /_sim requests are not logged


def test_summary_and_clear(vpp, client) -> None:
    vpp.get("/assets")
    vpp.get("/assets", pageIndex=5)  # 9650
    vpp.post("/assets/associate", {"assets": [PAGES], "serialNumbers": ["L1"]})
    vpp.post("/assets/revoke", {})  # rejected, still a write
    summary = client.get("/_sim/log/summary").json()
    assert summary["counts"] == {"GET /mdm/v2/assets": 2, "POST /mdm/v2/assets/associate": 1, "POST /mdm/v2/assets/revoke": 1}
    assert summary["writes"] == 2
    assert summary["status"] == {"200": 2, "400": 2}
    assert summary["peak_concurrency"] == 1 and summary["peak_per_second"] == 4
    client.delete("/_sim/log")
    assert client.get("/_sim/log").json()["entries"] == []
    assert client.get("/_sim/log/summary").json() == {"counts": {}, "writes": 0, "status": {}, "peak_concurrency": 0, "peak_per_second": 0}


def test_settings_partial_update_and_validation(client) -> None:
    settings = client.get("/_sim/settings").json()
    assert settings["pageSize"] == 500 and settings["rateLimit"] is False and settings["limits"]["maxAssets"] == 25
    changed = client.post("/_sim/settings", json={"pageSize": 3, "limits": {"maxAssets": 2, "maxUsers": None}}).json()
    assert changed["pageSize"] == 3 and changed["limits"]["maxAssets"] == 2 and "maxUsers" not in changed["limits"]
    assert changed["limits"]["maxSerialNumbers"] == 1000 and changed["eventSeconds"] == 0
    for bad in ({"pageSize": 0}, {"nope": 1}, {"rateLimit": "yes"}, {"limits": {"maxAssets": -1}}):
        assert client.post("/_sim/settings", json=bad).status_code == 400
    assert client.get("/_sim/settings").json() == changed


def test_reset_restores_seed_settings_and_clears_everything(vpp, client) -> None:
    vpp.run("/assets/associate", {"assets": [PAGES], "serialNumbers": ["R1"]})
    client.post("/_sim/settings", json={"pageSize": 2})
    client.post("/_sim/faults", json={"faults": [{"path": "/mdm/v2/users", "kind": "status", "status": 500}]})
    assert client.post("/_sim/reset").json() == {"ok": True}
    state = client.get("/_sim/state").json()["vpp"]["locations"][0]
    assert state["events"] == [] and {"adamId": "361309726", "pricingParam": "STDQ", "serialNumber": "R1"} not in state["assignments"]
    assert client.get("/_sim/settings").json()["pageSize"] == 500
    assert client.get("/_sim/faults").json()["faults"] == []
    assert client.get("/_sim/log").json()["entries"] == []
    assert vpp.get("/users").status_code == 200


def test_state_and_tokens(client) -> None:
    tokens = client.get("/_sim/tokens").json()
    assert [entry["name"] for entry in tokens] == ["Main", "Expiring", "Expired", "Revoked", "Big", "Owned", "Reclaim"]
    assert set(tokens[0]) == {"uId", "name", "sToken"}
    main = client.get("/_sim/state").json()["vpp"]["locations"][0]
    assert len(main["assets"]) == 10 and len(main["assignments"]) == 16 and len(main["users"]) == 5
    assert client.get("/_sim/health").json()["ok"] is True
