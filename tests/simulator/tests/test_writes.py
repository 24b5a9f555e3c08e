"""Writes: synchronous validation, events PENDING -> COMPLETE/FAILED, license accounting, users."""
from __future__ import annotations

import time

import pytest

from tests.simulator.tests.helpers import asset_of, state_of

PAGES = {"adamId": "361309726", "pricingParam": "STDQ"}
KEYNOTE = {"adamId": "361285480", "pricingParam": "STDQ"}
SCARCE = {"adamId": "1000000001", "pricingParam": "STDQ"}  # 5 licenses, 3 used
SOLD_OUT = {"adamId": "1000000002", "pricingParam": "STDQ"}
BOOK = {"adamId": "1485035550", "pricingParam": "STDQ"}


@pytest.mark.parametrize(
    ("path", "body", "number"),
    [
        ("/assets/associate", {"serialNumbers": ["S1"]}, 9718),
        ("/assets/associate", {"assets": [PAGES]}, 9719),
        ("/assets/associate", {"assets": [PAGES, PAGES], "serialNumbers": ["S1"]}, 9703),
        ("/assets/associate", {"assets": [PAGES], "clientUserIds": ["user-1", "user-1"]}, 9704),
        ("/assets/associate", {"assets": [PAGES], "serialNumbers": ["S1", "S1"]}, 9705),
        ("/assets/associate", {"assets": [{"adamId": str(n), "pricingParam": "STDQ"} for n in range(26)], "serialNumbers": ["S1"]}, 9700),
        ("/assets/associate", {"assets": [BOOK], "serialNumbers": ["S1"]}, 9707),
        ("/assets/associate", {"assets": [{"adamId": "999", "pricingParam": "STDQ"}], "serialNumbers": ["S1"]}, 9602),
        ("/assets/associate", {"assets": [{"adamId": 361309726}], "serialNumbers": ["S1"]}, 9602),  # adamId is a string
        ("/assets/disassociate", {"assets": [BOOK], "clientUserIds": ["user-1"]}, 9706),
        ("/assets/revoke", {}, 9719),
        ("/assets/revoke", {"serialNumbers": [f"S{n}" for n in range(101)]}, 9702),
        ("/assets/revoke", {"clientUserIds": [f"u{n}" for n in range(101)]}, 9701),
        ("/users/create", {"users": []}, 9720),
        ("/users/create", {"users": [{"clientUserId": "a"}, {"clientUserId": "a"}]}, 9715),
        ("/users/create", {"users": [{"clientUserId": "a", "email": "not-an-email"}]}, 9717),
        ("/users/create", {"users": [{"clientUserId": f"u{n}"} for n in range(101)]}, 9714),
    ],
)
def test_rejected_writes_queue_nothing(vpp, client, path, body, number) -> None:
    response = vpp.post(path, body)
    assert (response.status_code, response.json()["errorNumber"]) == (400, number)
    assert state_of(client)["events"] == []


def test_limits_follow_settings(vpp, client) -> None:
    client.post("/_sim/settings", json={"limits": {"maxSerialNumbers": 2, "maxClientUserIds": 1}})
    assert vpp.post("/assets/associate", {"assets": [PAGES], "serialNumbers": ["A", "B", "C"]}).json()["errorNumber"] == 9702
    assert vpp.post("/assets/associate", {"assets": [PAGES], "clientUserIds": ["user-1", "user-2"]}).json()["errorNumber"] == 9701
    assert vpp.post("/assets/associate", {"assets": [PAGES], "serialNumbers": ["A", "B"]}).status_code == 200


def test_book_error_names_the_asset(vpp) -> None:
    body = vpp.post("/assets/associate", {"assets": [PAGES, BOOK], "serialNumbers": ["S1"]}).json()
    assert body["errorInfo"]["assets"] == [BOOK]


def test_event_stays_pending_then_completes(vpp, client) -> None:
    client.post("/_sim/settings", json={"eventSeconds": 0.3})
    event_id = vpp.submit("/assets/associate", {"assets": [KEYNOTE], "serialNumbers": ["NEW-1", "NEW-2"]})
    pending = vpp.get("/status", eventId=event_id).json()
    assert (pending["eventStatus"], pending["eventType"], pending["numRequested"], pending["numCompleted"]) == ("PENDING", "ASSOCIATE", 2, 0)
    assert asset_of(client, "361285480")["assignedCount"] == 1  # nothing applied yet
    time.sleep(0.35)
    done = vpp.get("/status", eventId=event_id).json()
    assert (done["eventStatus"], done["numCompleted"], done["numRequested"]) == ("COMPLETE", 2, 2)
    assert "failures" not in done and done["uId"] == "2049025000431439"
    assert asset_of(client, "361285480")["assignedCount"] == 3


def test_license_shortage_is_a_partial_failure(vpp, client) -> None:
    version = vpp.get("/assets").json()["versionId"]
    status = vpp.run("/assets/associate", {"assets": [SCARCE, PAGES], "serialNumbers": ["N1", "N2", "N3"]})
    assert (status["eventStatus"], status["numRequested"], status["numCompleted"]) == ("FAILED", 6, 5)
    assert status["failures"] == [
        {"errorNumber": 9709, "errorMessage": status["failures"][0]["errorMessage"], "errorInfo": {"assets": [SCARCE], "serialNumbers": ["N3"]}}
    ]
    scarce = asset_of(client, "1000000001")
    assert (scarce["assignedCount"], scarce["availableCount"]) == (5, 0)
    assert vpp.get("/assets").json()["versionId"] != version


def test_unknown_and_retired_users_fail_with_9609(vpp) -> None:
    status = vpp.run("/assets/associate", {"assets": [KEYNOTE], "clientUserIds": ["user-3", "nobody", "user-retired"]})
    assert (status["eventStatus"], status["numRequested"], status["numCompleted"]) == ("FAILED", 3, 1)
    (failure,) = status["failures"]
    assert failure["errorNumber"] == 9609 and failure["errorInfo"] == {"clientUserIds": ["nobody", "user-retired"]}


def test_existing_pairs_and_missing_pairs_complete_without_change(vpp, client) -> None:
    version = vpp.get("/assignments").json()["versionId"]
    status = vpp.run("/assets/associate", {"assets": [SOLD_OUT], "serialNumbers": ["C02MAIN0004", "C02MAIN0005"]})
    assert (status["eventStatus"], status["numCompleted"]) == ("COMPLETE", 2)  # no license needed
    status = vpp.run("/assets/disassociate", {"assets": [KEYNOTE], "serialNumbers": ["NEVER-ASSIGNED"]})
    assert (status["eventStatus"], status["numCompleted"]) == ("COMPLETE", 1)
    assert vpp.get("/assignments").json()["versionId"] == version
    assert asset_of(client, "1000000002")["availableCount"] == 0


def test_disassociate_returns_the_license(vpp, client) -> None:
    status = vpp.run("/assets/disassociate", {"assets": [SOLD_OUT], "serialNumbers": ["C02MAIN0004"]})
    assert status["eventStatus"] == "COMPLETE"
    assert asset_of(client, "1000000002")["availableCount"] == 1
    assert vpp.get("/assignments", adamId="1000000002", serialNumber="C02MAIN0004").json()["assignments"] == []


def test_revoke_removes_every_revocable_assignment_of_the_targets(vpp) -> None:
    status = vpp.run("/assets/revoke", {"serialNumbers": ["C02MAIN0001"], "clientUserIds": ["user-1"]})
    assert (status["eventStatus"], status["eventType"], status["numRequested"], status["numCompleted"]) == ("COMPLETE", "REVOKE", 2, 2)
    assert vpp.get("/assignments", serialNumber="C02MAIN0001").json()["assignments"] == []
    assert vpp.get("/assignments", clientUserId="user-1").json()["assignments"] == [{**BOOK, "clientUserId": "user-1"}]  # Books stay


def test_unknown_event_and_other_locations_event(vpp) -> None:
    assert vpp.get("/status", eventId="00000000-0000-0000-0000-000000000000").json()["errorNumber"] == 9708
    event_id = vpp.submit("/assets/associate", {"assets": [KEYNOTE], "serialNumbers": ["X"]})
    response = vpp.as_location("Expiring").get("/status", eventId=event_id)
    assert (response.status_code, response.json()["errorNumber"]) == (400, 9708)


def test_user_lifecycle(vpp) -> None:
    assert vpp.run("/users/create", {"users": [{"clientUserId": "user-9", "email": "nine@example.org"}]})["eventStatus"] == "COMPLETE"
    assert vpp.get("/users", clientUserId="user-9").json()["users"][0]["status"] == "Registered"
    duplicate = vpp.run("/users/create", {"users": [{"clientUserId": "user-2", "email": "two@example.org"}]})
    assert duplicate["eventStatus"] == "FAILED" and duplicate["failures"][0]["errorNumber"] == 9716
    assert vpp.run("/users/update", {"users": [{"clientUserId": "ghost", "email": "g@example.org"}]})["failures"][0]["errorNumber"] == 9609
    assert vpp.run("/users/update", {"users": [{"clientUserId": "user-9", "email": "new@example.org"}]})["eventStatus"] == "COMPLETE"
    assert vpp.get("/users", clientUserId="user-9").json()["users"][0]["email"] == "new@example.org"
    retired = vpp.run("/users/retire", {"users": [{"clientUserId": "user-1"}]})
    assert (retired["eventType"], retired["eventStatus"]) == ("RETIRE", "COMPLETE")
    assert vpp.get("/assignments", clientUserId="user-1").json()["assignments"] == [{**BOOK, "clientUserId": "user-1"}]
    assert vpp.get("/assignments", clientUserId="user-1", excludeInactiveUsers="true").json()["assignments"] == []


def test_a_managed_apple_id_associates_at_once_and_an_invite_code_only_while_registered(vpp) -> None:
    vpp.run("/users/create", {"users": [{"clientUserId": "m-1", "managedAppleId": "m1@appleid.example.org"}, {"clientUserId": "r-1"}]})
    associated, registered = (vpp.get("/users", clientUserId=user).json()["users"][0] for user in ("m-1", "r-1"))
    assert associated["status"] == "Associated" and "idHash" in associated and "inviteCode" not in associated
    assert registered["status"] == "Registered" and "inviteCode" in registered and "idHash" not in registered
    assert vpp.run("/users/update", {"users": [{"clientUserId": "r-1", "managedAppleId": "r1@appleid.example.org"}]})["eventStatus"] == "COMPLETE"
    joined = vpp.get("/users", clientUserId="r-1").json()["users"][0]
    assert joined["status"] == "Associated" and "idHash" in joined and "inviteCode" not in joined


def test_the_service_config_has_the_invitation_link(vpp) -> None:
    url = vpp.client.get("/mdm/v2/service/config").json()["urls"]["invitationEmail"]
    assert "%25inviteCode%25" in url


@pytest.mark.parametrize("number", [9635, 9641])
def test_apple_account_failures_fail_the_user_in_the_event(vpp, number) -> None:
    vpp.client.post("/_sim/settings", json={"appleAccountFailures": {"taken@appleid.example.org": number}})
    status = vpp.run("/users/create", {"users": [{"clientUserId": "a-1", "managedAppleId": "taken@appleid.example.org"}, {"clientUserId": "a-2"}]})
    assert (status["eventStatus"], status["numCompleted"], status["numRequested"]) == ("FAILED", 1, 2)
    assert [(failure["errorNumber"], failure["errorInfo"]) for failure in status["failures"]] == [(number, {"clientUserIds": ["a-1"]})]
    assert vpp.get("/users", clientUserId="a-1").json()["users"] == []


def test_retiring_keeps_the_licenses_when_the_setting_says_so(vpp) -> None:
    held = vpp.get("/assignments", clientUserId="user-1").json()["assignments"]
    vpp.client.post("/_sim/settings", json={"retireFreesLicenses": False})
    assert vpp.run("/users/retire", {"users": [{"clientUserId": "user-1"}]})["eventStatus"] == "COMPLETE"
    assert vpp.get("/users", clientUserId="user-1").json()["users"][0]["status"] == "Retired"
    assert vpp.get("/assignments", clientUserId="user-1").json()["assignments"] == held and len(held) > 1


def test_user_filters_combine_and_page(vpp) -> None:
    vpp.client.post("/_sim/settings", json={"pageSize": 2})
    assert len(vpp.walk("/users", "users")) == 5
    assert vpp.get("/users", clientUserId="user-retired", activeOnly="true").json()["users"] == []
    assert [user["clientUserId"] for user in vpp.walk("/users", "users", retiredOnly="true")] == ["user-retired"]
    assert len(vpp.walk("/users", "users", activeOnly="true")) == 4
