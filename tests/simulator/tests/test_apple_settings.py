"""The Apple half's settings and mutations for client tests: events finished by /status looks, servers
that ignore filters, repeat records or hide totalPages, free assets without availableCount, and assets
bought or removed during a walk. In-process (TestClient)."""
from __future__ import annotations

import time

import pytest

from tests.simulator.tests.helpers import asset_of, state_of

KEYNOTE = {"adamId": "361285480", "pricingParam": "STDQ"}


def settings(client, **changes):
    response = client.post("/_sim/settings", json=changes)
    assert response.status_code == 200, response.text
    return response.json()


def add_faults(client, *rules):
    response = client.post("/_sim/faults", json={"faults": list(rules)})
    assert response.status_code == 200, response.text


def walk_ids(vpp, path, key, field, **params):
    return [record[field] for record in vpp.walk(path, key, **params)]


def test_event_polls_finish_an_event_at_its_nth_look(vpp, client) -> None:
    settings(client, eventPolls=3, eventSeconds=0)
    event = vpp.submit("/assets/associate", {"assets": [KEYNOTE], "serialNumbers": ["P1"]})
    looks = [vpp.get("/status", eventId=event).json()["eventStatus"] for _look in range(4)]
    assert looks == ["PENDING", "PENDING", "COMPLETE", "COMPLETE"]
    assert {"adamId": "361285480", "pricingParam": "STDQ", "serialNumber": "P1"} in state_of(client)["assignments"]


def test_event_polls_keep_an_unlooked_event_pending(vpp, client) -> None:
    settings(client, eventPolls=1, eventSeconds=0)
    before = asset_of(client, "361285480")["assignedCount"]
    event = vpp.submit("/assets/associate", {"assets": [KEYNOTE], "serialNumbers": ["P2"]})
    vpp.get("/assets")  # other requests do not count as looks
    assert [e["eventStatus"] for e in state_of(client)["events"] if e["eventId"] == event] == ["PENDING"]
    assert asset_of(client, "361285480")["assignedCount"] == before  # applied only when it finishes
    assert vpp.get("/status", eventId=event).json()["eventStatus"] == "COMPLETE"
    assert asset_of(client, "361285480")["assignedCount"] == before + 1


def test_event_polls_are_read_when_the_write_comes(vpp, client) -> None:
    settings(client, eventPolls=2, eventSeconds=0)
    slow = vpp.submit("/assets/associate", {"assets": [KEYNOTE], "serialNumbers": ["P3"]})
    settings(client, eventPolls=None)  # back to eventSeconds (0): due at once
    quick = vpp.submit("/assets/associate", {"assets": [KEYNOTE], "serialNumbers": ["P4"]})
    assert vpp.get("/status", eventId=quick).json()["eventStatus"] == "COMPLETE"
    assert vpp.get("/status", eventId=slow).json()["eventStatus"] == "PENDING"
    assert vpp.get("/status", eventId=slow).json()["eventStatus"] == "COMPLETE"


def test_a_status_query_too_soon_after_a_pending_answer_is_a_rule_break(vpp, client) -> None:
    settings(client, eventPolls=3, eventSeconds=0, statusIntervalSeconds=0.2)
    event = vpp.submit("/assets/associate", {"assets": [KEYNOTE], "serialNumbers": ["P9"]})
    assert vpp.get("/status", eventId=event).json()["eventStatus"] == "PENDING"  # the first look is never too soon
    assert vpp.get("/status", eventId=event).json()["eventStatus"] == "PENDING"  # at once: too soon
    breaks = state_of(client)["ruleBreaks"]
    assert [(item["rule"], item["eventId"], item["minimum"]) for item in breaks] == [("statusInterval", event, 0.2)]
    assert breaks[0]["seconds"] < 0.2
    time.sleep(0.25)
    assert vpp.get("/status", eventId=event).json()["eventStatus"] == "COMPLETE"  # after the interval: fine
    assert vpp.get("/status", eventId=event).json()["eventStatus"] == "COMPLETE"  # a finished event may be asked any time
    assert len(state_of(client)["ruleBreaks"]) == 1
    settings(client, statusIntervalSeconds=None)
    assert len(state_of(client)["ruleBreaks"]) == 1


@pytest.mark.parametrize("bad", [{"eventPolls": 0}, {"eventPolls": True}, {"pageOverlap": -1}, {"ignoreFilters": "yes"},
                                 {"hideTotalPages": 1}, {"omitUnlimitedAvailableCount": None}, {"statusIntervalSeconds": 0},
                                 {"statusIntervalSeconds": "30"}, {"retireFreesLicenses": "no"},
                                 {"appleAccountFailures": {"x@example.org": 9609}}, {"appleAccountFailures": ["x@example.org"]}])
def test_settings_are_checked(client, bad) -> None:
    assert client.post("/_sim/settings", json=bad).status_code == 400


def test_ignore_filters(vpp, client) -> None:
    settings(client, ignoreFilters=True, pageSize=4)
    everything = walk_ids(vpp, "/assets", "assets", "adamId")
    assert len(everything) == 10
    assert walk_ids(vpp, "/assets", "assets", "adamId", productType="Book", adamId="361309726") == everything
    assert vpp.get("/assets", productType="Movie").status_code == 200  # not even read, so not refused
    assert len(vpp.walk("/assignments", "assignments", serialNumber="C02MAIN0001")) == 16
    settings(client, ignoreFilters=False)
    assert walk_ids(vpp, "/assets", "assets", "adamId", productType="Book") == ["1485035550"]


def test_page_overlap_repeats_the_end_of_the_page_before(vpp, client) -> None:
    settings(client, pageSize=4)
    plain = walk_ids(vpp, "/assets", "assets", "adamId")
    settings(client, pageOverlap=1)
    pages = [vpp.get("/assets", pageIndex=index).json() for index in range(3)]
    assert [len(page["assets"]) for page in pages] == [4, 5, 3]  # 10 assets: 4 + (1 + 4) + (1 + 2)
    assert pages[1]["assets"][0] == pages[0]["assets"][-1] and pages[2]["assets"][0] == pages[1]["assets"][-1]
    assert [page["totalPages"] for page in pages] == [3, 3, 3] and pages[1]["size"] == 4
    repeated = walk_ids(vpp, "/assets", "assets", "adamId")
    assert len(repeated) == 12 and list(dict.fromkeys(repeated)) == list(dict.fromkeys(plain))


def test_hide_total_pages_leaves_next_page_index_to_follow(vpp, client) -> None:
    settings(client, pageSize=4, hideTotalPages=True)
    pages = [vpp.get("/assets", pageIndex=index).json() for index in range(3)]
    assert [(page["totalPages"], page.get("nextPageIndex")) for page in pages] == [(1, 1), (2, 2), (3, None)]
    assert len(walk_ids(vpp, "/assets", "assets", "adamId")) == 10  # following nextPageIndex reads everything


def test_omit_unlimited_available_count(vpp, client) -> None:
    settings(client, omitUnlimitedAvailableCount=True)
    assets = {a["adamId"]: a for a in vpp.get("/assets").json()["assets"] if a["pricingParam"] == "STDQ"}
    assert "availableCount" not in assets["1000000003"] and assets["1000000003"]["totalCount"] == 2147483647
    assert assets["361309726"]["availableCount"] == 94  # limited assets keep it


def test_add_assets_during_a_walk(vpp, client) -> None:
    settings(client, pageSize=4)
    version = vpp.get("/assets").json()["versionId"]
    add_faults(client, {"method": "GET", "path": "/mdm/v2/assets", "kind": "mutate", "action": "add_assets", "count": 6,
                        "pricingParam": "PLUS", "totalCount": 3})
    first = vpp.get("/assets").json()  # the mutation happens just before this answer
    assert first["totalPages"] == 4 and first["versionId"] != version
    new = state_of(client)["assets"][10:]
    assert len(new) == 6 and {(a["pricingParam"], a["totalCount"], a["productType"]) for a in new} == {("PLUS", 3, "App")}
    assert len({a["adamId"] for a in new} | {a["adamId"] for a in state_of(client)["assets"][:10]}) == 15  # 6 new adamIds


def test_remove_assets_takes_the_newest_and_their_assignments(vpp, client) -> None:
    add_faults(client, {"method": "GET", "path": "/mdm/v2/assets", "kind": "mutate", "action": "remove_assets", "count": 2})
    vpp.get("/assets")
    names = [(a["adamId"], a["pricingParam"]) for a in state_of(client)["assets"]]
    assert len(names) == 8 and ("1485035550", "STDQ") not in names and ("497799835", "STDQ") not in names
    assert all(a["adamId"] not in ("1485035550", "497799835") for a in state_of(client)["assignments"])


def test_keep_version_hides_the_change(vpp, client) -> None:
    version = vpp.get("/assets").json()["versionId"]
    add_faults(client, {"method": "GET", "path": "/mdm/v2/assets", "kind": "mutate", "action": "add_assets", "count": 1, "keepVersion": True},
               {"method": "GET", "path": "/mdm/v2/assets", "kind": "mutate", "action": "remove_assets", "count": 3, "keepVersion": True})
    grown = vpp.get("/assets").json()
    shrunk = vpp.get("/assets").json()
    assert (len(grown["assets"]), len(shrunk["assets"])) == (11, 8)
    assert grown["versionId"] == shrunk["versionId"] == version


@pytest.mark.parametrize("rule, problem", [
    ({"action": "add_assets", "count": 0}, "count"),
    ({"action": "remove_assets", "count": 1, "keepVersion": "yes"}, "keepVersion"),
    ({"action": "add_assets", "count": 1, "pricingParam": "GOLD"}, "pricingParam"),
])
def test_asset_mutations_are_checked(client, rule, problem) -> None:
    response = client.post("/_sim/faults", json={"faults": [dict(rule, kind="mutate", path="/mdm/v2/assets")]})
    assert response.status_code == 400 and problem in response.json()["error"]
