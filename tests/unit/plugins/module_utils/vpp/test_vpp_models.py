"""Pydantic models of Apple's answers: tolerant of new fields, strict where it matters."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import (
    UNLIMITED_TOTAL,
    Asset,
    AssetsPage,
    Assignment,
    AssignmentsPage,
    EventStatus,
    ServiceConfig,
    ServiceLimits,
)

APPLE_ASSET = {"adamId": "408709785", "assignedCount": 5000, "availableCount": 10000, "deviceAssignable": True,
               "pricingParam": "STDQ", "productType": "App", "retiredCount": 0, "revocable": True,
               "supportedPlatforms": ["iOS"], "totalCount": 15000}


def test_asset_from_apples_example():
    asset = Asset.model_validate(APPLE_ASSET)
    assert asset.key == ("408709785", "STDQ")
    assert asset.to_result() == {
        "adam_id": "408709785", "pricing_param": "STDQ", "product_type": "App", "device_assignable": True,
        "revocable": True, "supported_platforms": ["iOS"], "assigned_count": 5000, "available_count": 10000,
        "retired_count": 0, "total_count": 15000, "unlimited": False,
    }


def test_unknown_fields_are_ignored_everywhere():
    asset = Asset.model_validate(dict(APPLE_ASSET, brandNewField={"nested": [1]}, anotherOne=3))
    assert "brandNewField" not in asset.model_dump() and asset.adam_id == "408709785"
    page = AssetsPage.model_validate({"assets": [APPLE_ASSET], "totalPages": 1, "somethingElse": True,
                                      "mdmInfo": {"id": "x", "name": "y"}})
    assert len(page.items) == 1
    status = EventStatus.model_validate({"eventStatus": "COMPLETE", "newThing": 1, "failures": [{"errorNumber": 9709, "x": 2}]})
    assert status.failures[0].error_number == 9709


def test_adam_id_as_number_becomes_a_string():
    asset = Asset.model_validate(dict(APPLE_ASSET, adamId=408709785))
    assert asset.adam_id == "408709785" and isinstance(asset.adam_id, str)
    raw = AssignmentsPage.model_validate({"assignments": [{"adamId": 361309726, "pricingParam": "STDQ", "serialNumber": "C02X"}]})
    assert raw.items[0].adam_id == "361309726"


def test_required_fields_are_required():
    with pytest.raises(ValidationError):
        Asset.model_validate({"pricingParam": "STDQ"})
    with pytest.raises(ValidationError):
        EventStatus.model_validate({"numCompleted": 1})


def test_unlimited_by_total_count():
    assert Asset.model_validate(dict(APPLE_ASSET, totalCount=UNLIMITED_TOTAL)).unlimited is True
    assert Asset.model_validate(dict(APPLE_ASSET, totalCount=UNLIMITED_TOTAL - 1)).unlimited is False
    assert UNLIMITED_TOTAL == 2 ** 31 - 1


def test_unlimited_assets_array():
    free = {"adamId": "1", "pricingParam": "STDQ", "productType": "App", "deviceAssignable": True, "revocable": True,
            "supportedPlatforms": ["iOS", "macOS"], "assignedCount": 3}
    page = AssetsPage.model_validate({"assets": [APPLE_ASSET], "unlimitedAssets": [free], "totalPages": 1})
    items = page.items
    assert [asset.adam_id for asset in items] == ["408709785", "1"]
    assert [asset.unlimited for asset in items] == [False, True]
    result = items[1].to_result()
    assert result["unlimited"] is True and result["total_count"] is None and result["available_count"] is None
    assert "listed_unlimited" not in items[1].model_dump()


def test_page_fields_and_defaults():
    page = AssignmentsPage.model_validate({"currentPageIndex": 2, "nextPageIndex": 3, "size": 1000, "totalPages": 9,
                                           "versionId": "v", "uId": "2049025000431439",
                                           "tokenExpirationDate": "2030-11-08T22:33:22+0000"})
    assert (page.current_page_index, page.next_page_index, page.size, page.total_pages) == (2, 3, 1000, 9)
    assert page.version_id == "v" and page.u_id == "2049025000431439" and page.items == []
    empty = AssetsPage.model_validate({})
    assert (empty.current_page_index, empty.next_page_index, empty.total_pages, empty.items) == (0, None, 0, [])


def test_service_limits_round_trip_through_the_cache_form():
    config = ServiceConfig.model_validate({"limits": {"maxAssets": 25, "maxSerialNumbers": 1000, "maxRequestPerSecond": 15,
                                                      "someNewLimit": 7}, "urls": {}})
    limits = config.limits
    assert (limits.max_assets, limits.max_serial_numbers, limits.max_request_per_second) == (25, 1000, 15)
    assert limits.max_users is None
    dumped = limits.model_dump(by_alias=True, exclude_none=True)
    assert dumped == {"maxAssets": 25, "maxSerialNumbers": 1000, "maxRequestPerSecond": 15}
    assert ServiceLimits.model_validate(dumped) == limits
    assert ServiceConfig.model_validate({}).limits.max_assets is None


def test_event_status_with_partial_failure():
    status = EventStatus.model_validate({
        "eventStatus": "FAILED", "eventType": "ASSOCIATE", "numCompleted": 14, "numRequested": 16,
        "failures": [{"errorInfo": {"clientUserIds": ["client-4"]}, "errorNumber": 9609, "errorMessage": "Registered user not found"}],
    })
    assert status.event_status == "FAILED" and status.num_completed == 14 and status.num_requested == 16
    assert status.failures[0].error_info.client_user_ids == ["client-4"]
    assert status.failures[0].error_info.serial_numbers == []


def test_assignment_from_raw_records():
    page = AssignmentsPage.model_validate({"assignments": [
        {"adamId": "1", "pricingParam": "STDQ", "serialNumber": "C02X"},
        {"adamId": "1", "pricingParam": "PLUS", "clientUserId": "user-1"},
    ]})
    assert page.items == [Assignment("1", "STDQ", Assignment.SERIAL, "C02X"), Assignment("1", "PLUS", Assignment.USER, "user-1")]
    assert page.items[0].to_result() == {"adam_id": "1", "pricing_param": "STDQ", "serial_number": "C02X"}
    assert page.items[1].to_result() == {"adam_id": "1", "pricing_param": "PLUS", "client_user_id": "user-1"}


ids = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=12)


@given(adam=ids, pricing=st.sampled_from(["STDQ", "PLUS"]), kind=st.sampled_from([Assignment.SERIAL, Assignment.USER]), target=ids)
def test_assignment_tuple_round_trip(adam, pricing, kind, target):
    item = Assignment(adam, pricing, kind, target)
    assert (item.adam_id, item.pricing_param, item.target_kind, item.target_id) == (adam, pricing, kind, target)
    assert item == (adam, pricing, kind, target) and hash(item) == hash((adam, pricing, kind, target))
    result = item.to_result()
    assert result == {"adam_id": adam, "pricing_param": pricing, kind: target}
    wire = {"adamId": adam, "pricingParam": pricing, ("serialNumber" if kind == Assignment.SERIAL else "clientUserId"): target}
    assert AssignmentsPage.model_validate({"assignments": [wire]}).items == [item]
    assert not hasattr(item, "__dict__")


def test_explicit_null_for_an_optional_list_or_object_reads_as_absent():
    status = EventStatus.model_validate({"eventStatus": "FAILED", "numCompleted": 1, "numRequested": 2,
                                         "failures": [{"errorNumber": 9709, "errorInfo": None}, ]})
    assert status.failures[0].error_info.serial_numbers == []
    assert EventStatus.model_validate({"eventStatus": "COMPLETE", "failures": None}).failures == []
    page = AssetsPage.model_validate({"assets": None, "unlimitedAssets": None, "totalPages": 1})
    assert page.items == []
    info = EventStatus.model_validate({"eventStatus": "FAILED", "failures": [{"errorInfo": {"serialNumbers": None, "assets": None}}]})
    assert info.failures[0].error_info.assets == []
