"""Paged reads: paging keys, 9650, filters (incl. unlimited), sinceVersionId, users."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

UNLIMITED = 2147483647


def adam_ids(body: dict, key: str = "assets") -> list[str]:
    return sorted(item["adamId"] for item in body[key])


def test_paging_keys_and_last_page(vpp, client) -> None:
    client.post("/_sim/settings", json={"pageSize": 5})
    first = vpp.get("/assignments").json()
    assert (first["currentPageIndex"], first["nextPageIndex"], first["size"], first["totalPages"]) == (0, 1, 5, 4)
    assert len(first["assignments"]) == 5 and first["versionId"]
    last = vpp.get("/assignments", pageIndex=3).json()
    assert last["currentPageIndex"] == 3 and "nextPageIndex" not in last and len(last["assignments"]) == 1
    assert len({str(item) for item in vpp.walk("/assignments", "assignments")}) == 16


def test_bad_page_index(vpp) -> None:
    for index in (4, -1, "x"):
        response = vpp.get("/assignments", pageIndex=index)
        assert (response.status_code, response.json()["errorNumber"]) == (400, 9650)


def test_empty_result(vpp) -> None:
    body = vpp.get("/assignments", adamId="999").json()
    assert body["assignments"] == [] and body["totalPages"] == 0 and "nextPageIndex" not in body
    assert vpp.get("/assignments", adamId="999", pageIndex=0).status_code == 200
    assert vpp.get("/assignments", adamId="999", pageIndex=1).json()["errorNumber"] == 9650


def test_big_location_has_many_pages(vpp, client) -> None:
    big = vpp.as_location("Big")
    first = big.get("/assignments").json()
    assert first["size"] == 500 and first["totalPages"] == 5
    assert len({(item["adamId"], item["serialNumber"]) for item in big.walk("/assignments", "assignments")}) == 2500
    client.post("/_sim/settings", json={"pageSize": 7})
    assert big.get("/assets").json()["totalPages"] == 9  # 60 assets
    assert len(big.walk("/assets", "assets")) == 60


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page_size=st.integers(min_value=1, max_value=20))
def test_any_page_size_walks_every_item_once(vpp, client, page_size) -> None:
    client.post("/_sim/settings", json={"pageSize": page_size})
    items = [tuple(sorted(item.items())) for item in vpp.walk("/assignments", "assignments")]
    assert len(items) == len(set(items)) == 16


def test_asset_counts_and_unlimited_forms(vpp) -> None:
    assets = {(a["adamId"], a["pricingParam"]): a for a in vpp.get("/assets").json()["assets"]}
    assert len(assets) == 10
    pages = assets[("361309726", "STDQ")]
    assert (pages["totalCount"], pages["assignedCount"], pages["availableCount"], pages["retiredCount"]) == (100, 6, 94, 0)
    assert assets[("361304891", "STDQ")]["availableCount"] == 38  # 40 - 0 assigned - 2 retired
    free = assets[("1000000003", "STDQ")]
    assert free["totalCount"] == UNLIMITED and free["availableCount"] == UNLIMITED - 1
    split = vpp.get("/assets", unlimited="true").json()
    assert adam_ids(split, "unlimitedAssets") == ["1000000003"]
    assert not {"availableCount", "totalCount", "retiredCount"} & set(split["unlimitedAssets"][0])
    assert len(split["assets"]) == 9 and "1000000003" not in adam_ids(split)
    limited = vpp.get("/assets", unlimited="false").json()
    assert len(limited["assets"]) == 9 and "unlimitedAssets" not in limited


def test_asset_filters(vpp) -> None:
    def ids(**query) -> list[str]:
        return adam_ids(vpp.get("/assets", **query).json())

    assert ids(adamId="408709785") == ["408709785", "408709785"]  # both pricing params
    assert ids(adamId="408709785", pricingParam="PLUS") == ["408709785"]
    assert ids(productType="Book") == ids(deviceAssignable="false") == ids(revocable="false") == ["1485035550"]
    assert ids(minAvailableCount=1, maxAvailableCount=2) == ["1000000001"]
    assert ids(maxAvailableCount=0) == ["1000000002"]
    assert ids(minAssignedCount=2) == sorted(["361309726", "1000000001", "1000000002", "1485035550"])
    for bad in ({"productType": "Movie"}, {"revocable": "maybe"}, {"minAvailableCount": "many"}):
        assert vpp.get("/assets", **bad).json()["errorNumber"] == 9602


def test_assignment_filters(vpp) -> None:
    def count(**query) -> int:
        return len(vpp.get("/assignments", **query).json()["assignments"])

    assert count(adamId="361309726") == 6
    assert count(adamId="408709785") == 1  # the PLUS one: adamId alone does not filter pricingParam
    assert count(adamId="408709785", pricingParam="STDQ") == 0
    assert count(serialNumber="C02MAIN0001") == 3
    assert count(clientUserId="user-1") == 2
    assert count(clientUserId="user-1", adamId="1485035550") == 1
    records = vpp.get("/assignments", clientUserId="user-1").json()["assignments"]
    assert all(set(record) == {"adamId", "pricingParam", "clientUserId"} for record in records)


def test_since_version_id(vpp) -> None:
    assert vpp.get("/assignments", sinceVersionId="no-such-version").json()["errorNumber"] == 9721
    version = vpp.get("/assignments").json()["versionId"]
    assert vpp.get("/assignments", sinceVersionId=version).json()["assignments"] == []
    vpp.run("/assets/associate", {"assets": [{"adamId": "361285480", "pricingParam": "STDQ"}], "serialNumbers": ["NEW-1"]})
    delta = vpp.get("/assignments", sinceVersionId=version).json()
    assert delta["assignments"] == [{"adamId": "361285480", "pricingParam": "STDQ", "serialNumber": "NEW-1"}]
    assert delta["versionId"] != version


def test_users(vpp) -> None:
    assert len(vpp.get("/users").json()["users"]) == 5
    assert len(vpp.get("/users", activeOnly="true").json()["users"]) == 4
    assert [user["clientUserId"] for user in vpp.get("/users", retiredOnly="true").json()["users"]] == ["user-retired"]
    (user,) = vpp.get("/users", clientUserId="user-1").json()["users"]
    assert user["email"] == "user-1@example.org" and user["status"] == "Associated"
