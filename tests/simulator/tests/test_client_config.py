"""GET and POST /client/config: the answer's shape, Apple's validation with its error numbers, the owner
(mdmInfo) in every authenticated answer, and the offline TEST_NOTIFICATION check (9728)."""
from __future__ import annotations

from typing import Any

import pytest

from tests.simulator.state import SeedError, VppWorld
from tests.simulator.tests.helpers import state_of

MDM_INFO = {"id": "assetops", "name": "assetops.licensing", "metadata": "ansible"}
JAMF = {"id": "jamf-7781", "name": "Jamf Pro", "metadata": "jamf.example.org tenant 7781"}
HOOK = {"notificationUrl": "https://eda.example.org/vpp", "notificationAuthToken": "hook-secret-1"}
ANSWER_KEYS = {"locationName", "countryISO2ACode", "defaultPlatform", "notificationAuthToken", "subscribedNotificationTypes", "uId",
               "tokenExpirationDate"}


def error_number(response: Any) -> int:
    assert response.status_code == 400, response.text
    return response.json()["errorNumber"]


def test_the_answer_has_the_documented_shape(vpp) -> None:
    config = vpp.get("/client/config").json()
    assert set(config) == ANSWER_KEYS  # no mdmInfo, notificationUrl or websiteURL until they are set
    assert (config["locationName"], config["countryISO2ACode"], config["defaultPlatform"]) == ("Main", "US", "volumestore")
    assert config["uId"] == "2049025000431439" and config["subscribedNotificationTypes"] == []
    assert config["notificationAuthToken"]  # a secret the simulator makes up until one is set


def test_a_location_another_mdm_owns(vpp) -> None:
    owned = vpp.as_location("Owned")
    config = owned.get("/client/config").json()
    assert set(config) == ANSWER_KEYS | {"mdmInfo", "notificationUrl", "websiteURL"}
    assert config["mdmInfo"] == JAMF and config["defaultPlatform"] == "enterprisestore"
    assert config["notificationUrl"] == "https://jamf.example.org/vpp/notify"
    assert config["subscribedNotificationTypes"] == ["ASSET_MANAGEMENT", "ASSET_COUNT"]
    assert config["websiteURL"] == "https://owned.example.org"
    for path in ("/assets", "/assignments", "/users"):
        assert owned.get(path).json()["mdmInfo"] == JAMF, path
    assert "mdmInfo" not in vpp.get("/assets").json()  # Main has no owner


def test_the_owner_is_in_every_authenticated_answer_once_set(vpp) -> None:
    response = vpp.post("/client/config", {"mdmInfo": MDM_INFO})
    assert response.status_code == 200 and response.json()["mdmInfo"] == MDM_INFO
    event_id = vpp.submit("/assets/associate", {"assets": [{"adamId": "361309726"}], "serialNumbers": ["C02OWNER01"]})
    answers = [vpp.get(path).json() for path in ("/assets", "/assignments", "/users", "/client/config")]
    answers.append(vpp.get("/status", eventId=event_id).json())
    assert all(answer["mdmInfo"] == MDM_INFO for answer in answers)
    assert vpp.get("/assets", pageIndex=99).json()["errorNumber"] == 9650  # error answers are Apple's error body only
    assert "mdmInfo" not in vpp.as_location("Expiring").get("/assets").json()


def test_only_what_is_sent_changes(vpp) -> None:
    assert vpp.post("/client/config", {"mdmInfo": MDM_INFO, **HOOK, "notificationTypes": ["ASSET_MANAGEMENT"]}).status_code == 200
    assert vpp.post("/client/config", {"notificationTypes": ["USER_MANAGEMENT", "USER_ASSOCIATED", "USER_MANAGEMENT"]}).status_code == 200
    config = vpp.get("/client/config").json()
    assert config["subscribedNotificationTypes"] == ["USER_MANAGEMENT", "USER_ASSOCIATED"]  # the whole set replaced
    assert (config["mdmInfo"], config["notificationUrl"], config["notificationAuthToken"]) == (MDM_INFO, HOOK["notificationUrl"],
                                                                                               HOOK["notificationAuthToken"])
    assert vpp.post("/client/config", {}).status_code == 200
    assert vpp.get("/client/config").json() == config


def test_another_owner_can_be_replaced(vpp) -> None:
    owned = vpp.as_location("Owned")
    assert owned.post("/client/config", {"mdmInfo": MDM_INFO}).json()["mdmInfo"] == MDM_INFO
    assert owned.get("/assets").json()["mdmInfo"] == MDM_INFO


def test_every_notification_type_of_the_reference(vpp) -> None:
    types = ["ASSET_MANAGEMENT", "ASSET_COUNT", "USER_MANAGEMENT", "USER_ASSOCIATED", "SUBSCRIPTION_MANAGEMENT", "SUBSCRIPTION_COUNT",
             "UNLIMITED_ASSET"]
    assert vpp.post("/client/config", {"notificationTypes": types}).json()["subscribedNotificationTypes"] == types
    assert vpp.client.get("/mdm/v2/service/config").json()["notificationTypes"] == types
    assert vpp.post("/client/config", {"notificationTypes": []}).json()["subscribedNotificationTypes"] == []


LONG = "x" * 101


@pytest.mark.parametrize(("body", "number"), [
    ({"mdmInfo": {"id": "x"}}, 9723),
    ({"mdmInfo": {"id": "x", "name": "y"}}, 9723),
    ({"mdmInfo": {"id": "", "name": "y", "metadata": "z"}}, 9723),
    ({"mdmInfo": {"id": "x", "name": "y", "metadata": 1}}, 9723),
    ({"mdmInfo": None}, 9723),
    ({"mdmInfo": dict(MDM_INFO, id=LONG)}, 9724),
    ({"mdmInfo": dict(MDM_INFO, name=LONG)}, 9725),
    ({"mdmInfo": dict(MDM_INFO, metadata="m" * 256)}, 9713),
    ({"notificationUrl": "https://eda.example.org/vpp"}, 9710),
    ({"notificationAuthToken": "secret"}, 9710),
    ({"notificationUrl": "https://eda.example.org/vpp", "notificationAuthToken": ""}, 9710),
    ({**HOOK, "notificationUrl": "http://eda.example.org/vpp"}, 9712),
    ({**HOOK, "notificationUrl": "https://eda.example.org/vpp?key=1"}, 9712),
    ({**HOOK, "notificationUrl": "https://eda.example.org/vpp#part"}, 9712),
    ({**HOOK, "notificationUrl": "https://user:pw@eda.example.org/vpp"}, 9712),
    ({**HOOK, "notificationUrl": "https:///vpp"}, 9712),
    ({**HOOK, "notificationUrl": ""}, 9712),
    ({**HOOK, "notificationUrl": "https://eda.example.org/" + "p" * 600}, 9711),
    ({**HOOK, "notificationAuthToken": "t" * 513}, 9711),
    ({"notificationTypes": ["ASSET_MANAGEMENT", "EVERYTHING"]}, 9602),
    ({"notificationTypes": "ASSET_MANAGEMENT"}, 9602),
])
def test_apple_validation(vpp, body, number) -> None:
    before = state_of(vpp.client)["clientConfig"]
    assert error_number(vpp.post("/client/config", body)) == number
    assert state_of(vpp.client)["clientConfig"] == before


def test_a_refused_body_changes_nothing_at_all(vpp) -> None:
    before = state_of(vpp.client)["clientConfig"]
    body = {"mdmInfo": MDM_INFO, "notificationTypes": ["ASSET_COUNT"], **HOOK, "notificationUrl": "http://eda.example.org/vpp"}
    assert error_number(vpp.post("/client/config", body)) == 9712
    assert state_of(vpp.client)["clientConfig"] == before
    assert "mdmInfo" not in vpp.get("/assets").json()


def test_the_limits_come_from_the_settings(vpp) -> None:
    vpp.client.post("/_sim/settings", json={"limits": {"maxMdmIdLength": 5, "maxNotificationLength": 30}})
    assert error_number(vpp.post("/client/config", {"mdmInfo": dict(MDM_INFO, id="123456")})) == 9724
    assert error_number(vpp.post("/client/config", {**HOOK, "notificationUrl": "https://eda.example.org/vpp/longer"})) == 9711
    assert vpp.post("/client/config", {"mdmInfo": dict(MDM_INFO, id="12345")}).status_code == 200


def test_a_new_notification_url_gets_a_test_notification(vpp) -> None:
    assert vpp.post("/client/config", HOOK).status_code == 200
    sent = state_of(vpp.client)["notifications"]
    assert [(item["notificationType"], item["notificationUrl"], item["delivered"]) for item in sent] == [
        ("TEST_NOTIFICATION", HOOK["notificationUrl"], True)]
    assert "hook-secret-1" not in str(sent)
    vpp.post("/client/config", {"notificationTypes": ["ASSET_COUNT"]})
    assert len(state_of(vpp.client)["notifications"]) == 1  # only a URL sent is tested


def test_an_unreachable_notification_url_is_refused_with_9728(vpp) -> None:
    vpp.client.post("/_sim/settings", json={"notificationReachable": False})
    assert error_number(vpp.post("/client/config", {"mdmInfo": MDM_INFO, **HOOK})) == 9728
    state = state_of(vpp.client)
    assert "notificationUrl" not in state["clientConfig"] and "mdmInfo" not in state["clientConfig"]
    assert [item["delivered"] for item in state["notifications"]] == [False]


def test_reachable_url_prefixes(vpp) -> None:
    vpp.client.post("/_sim/settings", json={"notificationReachable": ["https://eda.example.org/"]})
    assert vpp.post("/client/config", HOOK).status_code == 200
    assert error_number(vpp.post("/client/config", {**HOOK, "notificationUrl": "https://down.example.org/vpp"})) == 9728
    assert vpp.get("/client/config").json()["notificationUrl"] == HOOK["notificationUrl"]


@pytest.mark.parametrize("value", ["yes", ["https://ok.example.org/", ""], [1], None])
def test_the_reachable_setting_is_checked(client, value) -> None:
    assert client.post("/_sim/settings", json={"notificationReachable": value}).status_code == 400


def test_the_log_never_holds_the_notification_auth_token(vpp) -> None:
    vpp.post("/client/config", HOOK)
    entries = vpp.client.get("/_sim/log").json()["entries"]
    assert entries[-1]["body"] == {"notificationUrl": HOOK["notificationUrl"], "notificationAuthToken": "<redacted>"}
    assert "hook-secret-1" not in str(entries)


def test_a_post_counts_as_a_write_and_a_get_does_not(vpp) -> None:
    vpp.get("/client/config")
    assert vpp.client.get("/_sim/log/summary").json()["writes"] == 0
    vpp.post("/client/config", {"notificationTypes": []})
    assert vpp.client.get("/_sim/log/summary").json()["writes"] == 1


@pytest.mark.parametrize(("extra", "problem"), [
    ({"mdmInfo": {"id": "jamf-7781", "name": "Jamf Pro"}}, "mdmInfo needs id, name and metadata"),
    ({"notificationUrl": "https://jamf.example.org/vpp"}, "notificationUrl and notificationAuthToken go together"),
    ({"defaultPlatform": "appstore"}, "defaultPlatform must be volumestore or enterprisestore"),
])
def test_the_seed_keys_are_checked(extra, problem) -> None:
    spec = {"name": "X", "uId": "1", "token": {"token": "inner-x"}, **extra}
    with pytest.raises(SeedError, match=problem):
        VppWorld.from_seed({"locations": [spec]})
