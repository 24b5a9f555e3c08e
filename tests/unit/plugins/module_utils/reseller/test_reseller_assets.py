"""reseller_asset(_info) logic: filters, lookup, tags and the update (GET, change, PUT whole, re-read), on the fake platform."""
from __future__ import annotations

import decimal

import httpx
import pytest

from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError
from ansible_collections.assetops.licensing.plugins.module_utils.reseller.assets import (
    NOT_FOUND_HINT,
    AssetLookupError,
    desired_tags,
    find_assets,
    list_filters,
    lookup,
    update_asset,
)
from ansible_collections.assetops.licensing.plugins.module_utils.reseller.client import Credentials, ResellerClient
from ansible_collections.assetops.licensing.plugins.module_utils.reseller.models import TAG_FIELDS
from fake_reseller import API_URL, ASSETS_PATH, STATIC_TOKEN, FakeReseller, asset, camel, dumps, json_response, tags

D = decimal.Decimal
NO_TAGS = {name: None for name in TAG_FIELDS}


@pytest.fixture
def build(monkeypatch):
    """build(fake, read_only=False) -> ResellerClient with a static access token (no logins in the log)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    made = []

    def make(fake, read_only=False):
        client = ResellerClient(Credentials(access_token=STATIC_TOKEN), api_url=API_URL, retries=1, read_only=read_only,
                                httpx_transport=fake.transport(), sleep=lambda seconds: None)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def calls(fake):
    return [(entry.method, entry.path) for entry in fake.log]


# -- list_filters ----------------------------------------------------------------------------------


def test_every_state_by_default():
    assert list_filters() == [("Status", 15)]
    assert list_filters(status=[]) == [("Status", 15)]


@pytest.mark.parametrize("status, flags", [
    (["fulfilling"], 1), (["succeeded"], 2), (["cancelled"], 4), (["expired"], 8),
    (["succeeded", "expired"], 10), (["succeeded", "succeeded"], 2),
    (["fulfilling", "succeeded", "cancelled", "expired"], 15),
])
def test_status_is_the_sum_of_flags(status, flags):
    assert list_filters(status=status) == [("Status", flags)]


@pytest.mark.parametrize("asset_type, number", [("reservation", 1), ("software", 2), ("subscription", 3)])
def test_asset_type_is_sent_as_its_number(asset_type, number):
    assert ("AssetType", number) in list_filters(asset_type=asset_type)


def test_all_filters_with_repeated_external_order_ids():
    params = list_filters(reseller_customer_id=501, publisher_id=2, external_order_ids=["A", "B", "C"], reservation_id="r-1",
                          asset_type="software", status=["succeeded"], search="Office", invoice_profile_id=0)
    assert params == [("Status", 2), ("ResellerCustomerId", 501), ("PublisherId", 2), ("ReservationId", "r-1"),
                      ("AssetType", 2), ("Search", "Office"), ("InvoiceProfileId", 0),
                      ("ExternalOrderIds", "A"), ("ExternalOrderIds", "B"), ("ExternalOrderIds", "C")]


def test_filters_reach_the_query(build):
    fake = FakeReseller([asset(1, ExternalOrderId="A"), asset(2, ExternalOrderId="B"), asset(3, ExternalOrderId="C", Status=8)])
    found = find_assets(build(fake, read_only=True), reseller_customer_id=501, external_order_ids=["A", "C"])
    assert [record.id for record in found] == [1, 3]  # Status 15: the expired one too
    (request,) = fake.requests("GET")
    assert request.param("Status") == ["15"] and request.param("ExternalOrderIds") == ["A", "C"]
    assert request.param("ResellerCustomerId") == ["501"]


def test_find_assets_by_id(build):
    fake = FakeReseller([asset(1), asset(2)])
    client = build(fake, read_only=True)
    assert [record.id for record in find_assets(client, asset_id=2)] == [2]
    assert find_assets(client, asset_id=404) == []


def test_find_assets_sorts_by_id(build):
    fake = FakeReseller([asset(3), asset(1), asset(2)])
    fake.before = lambda entry: json_response(200, {"Items": [asset(3), asset(1), asset(2)], "TotalHits": 3}) \
        if entry.path == ASSETS_PATH else None
    assert [record.id for record in find_assets(build(fake, read_only=True))] == [1, 2, 3]


# -- lookup --------------------------------------------------------------------------------------


def order_assets():
    return [
        asset(10, ExternalOrderId="ORD-1", ResellerCustomerId=501, ExternalProductId="P1", ExternalSkuId="S1", ProductVariantId=1),
        asset(12, ExternalOrderId="ORD-1", ResellerCustomerId=501, ExternalProductId="P1", ExternalSkuId="S2", ProductVariantId=2),
        asset(11, ExternalOrderId="ORD-1", ResellerCustomerId=501, ExternalProductId="P2", ExternalSkuId="S3", ProductVariantId=3),
        asset(20, ExternalOrderId="ORD-1", ResellerCustomerId=999, ExternalProductId="P1", ExternalSkuId="S1", ProductVariantId=1),
        asset(30, ExternalOrderId="ORD-2", ResellerCustomerId=501),
    ]


NO_NARROWING = {"external_product_id": None, "external_sku_id": None, "product_variant_id": None}


def test_lookup_by_id(build):
    fake = FakeReseller(order_assets())
    assert lookup(build(fake, read_only=True), 12, None, None, NO_NARROWING).id == 12
    assert calls(fake) == [("GET", ASSETS_PATH + "12")]


def test_lookup_by_unknown_id_says_assets_come_from_orders(build):
    fake = FakeReseller(order_assets())
    with pytest.raises(AssetLookupError) as caught:
        lookup(build(fake, read_only=True), 404, None, None, NO_NARROWING)
    assert "asset 404 not found" in caught.value.message and "purchase orders" in caught.value.message
    assert NOT_FOUND_HINT in caught.value.message


def test_lookup_by_order_without_match_says_assets_come_from_orders(build):
    fake = FakeReseller(order_assets())
    with pytest.raises(AssetLookupError) as caught:
        lookup(build(fake, read_only=True), None, "ORD-9", 501, NO_NARROWING)
    assert "ORD-9" in caught.value.message and "501" in caught.value.message and "purchase orders" in caught.value.message
    with pytest.raises(AssetLookupError, match="purchase orders"):
        lookup(build(fake, read_only=True), None, "ORD-1", 501, dict(NO_NARROWING, external_sku_id="S9"))


def test_lookup_by_order_sends_order_customer_and_every_state(build):
    fake = FakeReseller(order_assets())
    lookup(build(fake, read_only=True), None, "ORD-2", 501, NO_NARROWING)
    (request,) = fake.requests("GET")
    assert request.param("Status") == ["15"] and request.param("ResellerCustomerId") == ["501"]
    assert request.param("ExternalOrderIds") == ["ORD-2"]


def test_several_matches_are_listed(build):
    fake = FakeReseller(order_assets())
    with pytest.raises(AssetLookupError) as caught:
        lookup(build(fake, read_only=True), None, "ORD-1", 501, NO_NARROWING)
    message = caught.value.message
    assert message.startswith("3 assets match order ORD-1 of customer 501")
    assert "ids 10, 11, 12" in message and "external_sku_id" in message and "20" not in message.split("ids")[1]
    assert caught.value.details == {"candidate_ids": [10, 11, 12]}
    with pytest.raises(AssetLookupError) as caught:
        lookup(build(fake, read_only=True), None, "ORD-1", 501, dict(NO_NARROWING, external_product_id="P1"))
    assert caught.value.details == {"candidate_ids": [10, 12]} and "with external_product_id P1" in caught.value.message


@pytest.mark.parametrize("narrowing, expected", [
    ({"external_sku_id": "S2"}, 12),
    ({"external_product_id": "P2"}, 11),
    ({"product_variant_id": 1}, 10),
    ({"external_product_id": "P1", "product_variant_id": 2}, 12),
    ({"external_product_id": "P1", "external_sku_id": "S1", "product_variant_id": None}, 10),
])
def test_narrowing_picks_one(build, narrowing, expected):
    fake = FakeReseller(order_assets())
    assert lookup(build(fake, read_only=True), None, "ORD-1", 501, dict(NO_NARROWING, **narrowing)).id == expected


def test_lookup_checks_order_and_customer_itself_when_the_server_ignores_filters(build):
    fake = FakeReseller(order_assets())
    everything = sorted(order_assets(), key=lambda record: record["Id"])
    fake.before = lambda entry: json_response(200, {"Items": everything, "TotalHits": len(everything)}) \
        if entry.path == ASSETS_PATH else None
    assert lookup(build(fake, read_only=True), None, "ORD-1", 999, NO_NARROWING).id == 20
    assert lookup(build(fake, read_only=True), None, "ORD-2", 501, NO_NARROWING).id == 30


# -- desired_tags ----------------------------------------------------------------------------------


CURRENT = {"cost_center": "CC", "department": "D", "project": None, "custom": None, "owner": "O"}


def test_tags_not_named_are_kept():
    assert desired_tags(CURRENT, {"project": "P", "owner": "new"}, purge=False) == {
        "cost_center": "CC", "department": "D", "project": "P", "custom": None, "owner": "new"}


def test_purge_clears_tags_not_named():
    assert desired_tags(CURRENT, {"project": "P"}, purge=True) == dict(NO_TAGS, project="P")


def test_nothing_left_means_no_tags():
    assert desired_tags(CURRENT, {}, purge=True) is None
    assert desired_tags(NO_TAGS, {}, purge=False) is None
    assert desired_tags(dict(NO_TAGS, owner="O"), {"owner": None}, purge=False) is None


def test_nothing_named_and_no_purge_keeps_everything():
    assert desired_tags(CURRENT, {}, purge=False) == CURRENT


# -- update_asset: what is compared ---------------------------------------------------------------


TAGGED = asset(7, Tags=tags(7, CostCenter="CC", Owner="O"), Name="Seven", AutoRenewEnabled=True,
               InvoiceProfile={"Id": 11, "Name": "Default profile"})


def run(build, fake, read_only=False, **options):
    client = build(fake, read_only=read_only)
    current = lookup(client, 7, None, None, NO_NARROWING)
    warnings = []
    result = update_asset(client, current, warn=warnings.append, **options)
    return result, warnings


@pytest.mark.parametrize("options", [
    {},
    {"name": "Seven"},
    {"invoice_profile_id": 11},
    {"auto_renew_enabled": True},
    {"tags": {"cost_center": "CC"}},
    {"tags": {}},
    {"tags": {"owner": "O", "cost_center": "CC"}, "purge_tags": True},
    {"purge_tags": True},  # without tags, purge_tags alone changes nothing
    {"name": "Seven", "invoice_profile_id": 11, "auto_renew_enabled": True, "tags": {"owner": "O"}},
])
def test_nothing_to_change_sends_no_write(build, options):
    fake = FakeReseller([TAGGED])
    result, warnings = run(build, fake, **options)
    assert result["changed"] is False and warnings == []
    assert fake.writes() == [] and len(fake.log) == 1  # the lookup only
    assert result["asset"] == lookup(build(fake), 7, None, None, NO_NARROWING).to_result()
    assert result["diff"]["before"] == result["diff"]["after"]


def test_an_option_not_given_is_not_compared(build):
    # the server differs from anything a task might want in every field, but only name is given
    fake = FakeReseller([asset(7, Name="Seven", AutoRenewEnabled=None, InvoiceProfile=None, Tags=None)])
    result, _warnings = run(build, fake, name="Seven")
    assert result["changed"] is False and fake.writes() == []
    assert result["diff"] == {"before": {"name": "Seven"}, "after": {"name": "Seven"}}


def test_false_is_a_given_value(build):
    fake = FakeReseller([TAGGED])
    result, _warnings = run(build, fake, auto_renew_enabled=False)
    assert result["changed"] is True and fake.assets[7]["AutoRenewEnabled"] is False
    assert result["diff"] == {"before": {"auto_renew_enabled": True}, "after": {"auto_renew_enabled": False}}


# -- update_asset: check mode ----------------------------------------------------------------------


def test_check_mode_predicts_and_writes_nothing(build):
    fake = FakeReseller([TAGGED])
    before = dumps(fake.assets[7])
    result, _warnings = run(build, fake, read_only=True, check_mode=True, name="New", invoice_profile_id=12,
                            auto_renew_enabled=False, tags={"project": "P"}, purge_tags=True)
    assert fake.writes() == [] and dumps(fake.assets[7]) == before and len(fake.log) == 1
    assert result["changed"] is True
    predicted = result["asset"]
    assert predicted["name"] == "New" and predicted["auto_renew_enabled"] is False
    assert predicted["invoice_profile"] == {"id": 12, "name": None}
    assert predicted["tags"] == dict(NO_TAGS, project="P")
    assert predicted["purchase_price"] == "1234.567890123456789012345"  # the rest as it is
    assert result["diff"]["after"] == {"name": "New", "invoice_profile_id": 12, "auto_renew_enabled": False,
                                       "tags": dict(NO_TAGS, project="P")}
    assert result["diff"]["before"] == {"name": "Seven", "invoice_profile_id": 11, "auto_renew_enabled": True,
                                        "tags": dict(NO_TAGS, cost_center="CC", owner="O")}


def test_check_mode_predicts_deleting_tags(build):
    fake = FakeReseller([TAGGED])
    result, _warnings = run(build, fake, read_only=True, check_mode=True, tags={}, purge_tags=True)
    assert result["changed"] is True and result["asset"]["tags"] is None and fake.writes() == []


# -- update_asset: writing -------------------------------------------------------------------------


@pytest.mark.parametrize("options, key, value", [
    ({"name": "Renamed"}, "Name", "Renamed"),
    ({"invoice_profile_id": 12}, "InvoiceProfile", {"Id": 12}),
    ({"auto_renew_enabled": False}, "AutoRenewEnabled", False),
])
def test_a_change_puts_the_whole_object_with_only_that_field_changed(build, options, key, value):
    fake = FakeReseller([TAGGED])
    sent = dumps(fake.assets[7])
    result, warnings = run(build, fake, **options)
    assert calls(fake) == [("GET", ASSETS_PATH + "7"), ("PUT", ASSETS_PATH + "7"), ("GET", ASSETS_PATH + "7")]
    (put,) = fake.requests("PUT")
    expected = dict(TAGGED, **{key: value})
    assert put.content == dumps(expected).encode("utf-8")  # byte for byte: every other field as the API sent it
    assert b'"PurchasePrice":1234.567890123456789012345' in put.content and b'"SalesPrice":0.1,' in put.content
    assert sent.replace(dumps({key: TAGGED[key]})[1:-1], dumps({key: value})[1:-1]).encode() == put.content
    assert result["changed"] is True and warnings == []


def test_the_result_is_the_asset_as_re_read(build):
    fake = FakeReseller([TAGGED])
    result, _warnings = run(build, fake, invoice_profile_id=12, name="Renamed")
    (put,) = fake.requests("PUT")
    assert put.json()["InvoiceProfile"] == {"Id": 12} and put.json()["Name"] == "Renamed"
    assert result["asset"]["invoice_profile"] == {"id": 12, "name": "Second profile"}  # the server's name: re-read
    assert result["asset"]["name"] == "Renamed" and result["asset"]["sales_price"] == "0.1"
    assert result["diff"] == {"before": {"name": "Seven", "invoice_profile_id": 11},
                              "after": {"name": "Renamed", "invoice_profile_id": 12}}


def test_a_camel_case_server_gets_its_own_keys_back(build):
    fake = FakeReseller([TAGGED], camel_case=True)
    run(build, fake, name="Renamed", auto_renew_enabled=False)
    (put,) = fake.requests("PUT")
    body = put.json()
    assert body == dict(camel(TAGGED), name="Renamed", autoRenewEnabled=False)
    assert "Name" not in body and "AutoRenewEnabled" not in body


def test_only_tags_changing_sends_no_put_of_the_object(build):
    fake = FakeReseller([TAGGED])
    result, warnings = run(build, fake, tags={"project": "P"})
    assert calls(fake) == [("GET", ASSETS_PATH + "7"), ("PUT", ASSETS_PATH + "7/tags"), ("GET", ASSETS_PATH + "7")]
    (put,) = fake.requests("PUT")
    assert put.json() == {"AssetId": 7, "CostCenter": "CC", "Department": None, "Project": "P", "Custom": None, "Owner": "O"}
    assert result["changed"] is True and warnings == []
    assert result["asset"]["tags"] == dict(NO_TAGS, cost_center="CC", project="P", owner="O")


def test_tags_are_posted_when_the_asset_has_none(build):
    fake = FakeReseller([dict(TAGGED, Tags=None)])
    result, _warnings = run(build, fake, tags={"owner": "me"})
    (post,) = fake.writes()
    assert (post.method, post.path) == ("POST", ASSETS_PATH + "7/tags")
    assert post.json() == {"AssetId": 7, "CostCenter": None, "Department": None, "Project": None, "Custom": None, "Owner": "me"}
    assert result["changed"] is True and result["asset"]["tags"] == dict(NO_TAGS, owner="me")
    assert result["diff"] == {"before": {"tags": None}, "after": {"tags": dict(NO_TAGS, owner="me")}}


def test_purging_every_tag_deletes_them(build):
    fake = FakeReseller([TAGGED])
    result, _warnings = run(build, fake, tags={}, purge_tags=True)
    (delete,) = fake.writes()
    assert (delete.method, delete.path) == ("DELETE", ASSETS_PATH + "7/tags")
    assert result["changed"] is True and result["asset"]["tags"] is None and fake.assets[7]["Tags"] is None


def test_purge_replaces_the_set(build):
    fake = FakeReseller([TAGGED])
    run(build, fake, tags={"department": "D"}, purge_tags=True)
    (put,) = fake.writes()
    assert put.json() == {"AssetId": 7, "CostCenter": None, "Department": "D", "Project": None, "Custom": None, "Owner": None}


def test_object_and_tags_together(build):
    fake = FakeReseller([TAGGED])
    result, _warnings = run(build, fake, name="Renamed", tags={"owner": "new"})
    assert calls(fake) == [("GET", ASSETS_PATH + "7"), ("PUT", ASSETS_PATH + "7"), ("PUT", ASSETS_PATH + "7/tags"),
                           ("GET", ASSETS_PATH + "7")]
    assert result["asset"]["name"] == "Renamed" and result["asset"]["tags"]["owner"] == "new"


def test_a_second_run_changes_nothing(build):
    fake = FakeReseller([TAGGED])
    options = dict(name="Renamed", invoice_profile_id=12, auto_renew_enabled=False, tags={"project": "P"}, purge_tags=True)
    assert run(build, fake, **options)[0]["changed"] is True
    writes = len(fake.writes())
    result, warnings = run(build, fake, **options)
    assert result["changed"] is False and warnings == [] and len(fake.writes()) == writes


# -- update_asset: what the server did not take ----------------------------------------------------


def test_a_field_the_server_ignored_is_warned_about(build):
    fake = FakeReseller([TAGGED])
    fake.honoured = {"Name"}
    result, warnings = run(build, fake, name="Renamed", auto_renew_enabled=False)
    assert len(warnings) == 1 and "auto_renew_enabled" in warnings[0] and "did not take" in warnings[0]
    assert "name" not in warnings[0].split("did not take")[1].split(":")[0]
    assert result["changed"] is True  # the name did change
    assert result["diff"]["after"] == {"name": "Renamed", "auto_renew_enabled": True}
    assert result["asset"]["auto_renew_enabled"] is True


def test_a_write_the_server_ignored_still_counts_as_changed(build):
    fake = FakeReseller([TAGGED])
    fake.honoured = set()
    result, warnings = run(build, fake, invoice_profile_id=12)
    assert len(fake.requests("PUT")) == 1  # it was sent, and the server recorded it
    assert len(warnings) == 1 and "invoice_profile_id" in warnings[0] and "asked for 12" in warnings[0]
    # changed tells that a write happened; the asset and the diff tell what the server really holds
    assert result["changed"] is True and result["asset"]["invoice_profile"] == {"id": 11, "name": "Default profile"}
    assert result["diff"]["after"] == result["diff"]["before"]


def test_tags_the_server_ignored_are_warned_about(build):
    fake = FakeReseller([TAGGED])
    fake.honour_tags = False
    result, warnings = run(build, fake, tags={"owner": "new"})
    assert len(warnings) == 1 and "tags" in warnings[0] and '"owner": "new"' in warnings[0]
    assert result["changed"] is True and result["diff"]["after"] == result["diff"]["before"]


def test_an_empty_tags_object_counts_as_no_tags(build):
    fake = FakeReseller([dict(TAGGED, Tags=tags(7))])  # {"AssetId": 7, "CostCenter": null, ...}
    result, warnings = run(build, fake, tags={})
    assert fake.writes() == [] and result["changed"] is False and warnings == []


# -- update_asset: writes that fail ----------------------------------------------------------------


def _drop_the_answer_of_the_first_tags_post(fake):
    """A ``before`` hook: the first tags POST is applied, then its connection breaks."""
    dropped = []

    def hook(entry):
        if entry.method == "POST" and entry.path.endswith("/tags") and not dropped:
            dropped.append(fake._assets(entry))  # pylint: disable=protected-access
            raise httpx.RemoteProtocolError("connection closed before the answer")
        return None

    return hook


def test_a_tags_post_whose_answer_was_lost_is_read_back_not_sent_again(build):
    fake = FakeReseller([dict(TAGGED, Tags=None)])
    fake.before = _drop_the_answer_of_the_first_tags_post(fake)
    result, warnings = run(build, fake, tags={"owner": "me"})
    assert [(entry.method, entry.path) for entry in fake.writes()] == [("POST", ASSETS_PATH + "7/tags")]
    assert calls(fake)[-2:] == [("GET", ASSETS_PATH + "7"), ("GET", ASSETS_PATH + "7")]  # the check, then the re-read
    assert result["changed"] is True and warnings == [] and result["asset"]["tags"] == dict(NO_TAGS, owner="me")


def test_a_tags_post_that_failed_unapplied_is_sent_once_more_after_a_read(build):
    fake = FakeReseller([dict(TAGGED, Tags=None)])
    fake.faults.append(("POST", ASSETS_PATH + "7/tags", json_response(500, {"ErrorCode": "InternalServerError", "Message": "oops"})))
    result, warnings = run(build, fake, tags={"owner": "me"})
    assert [(entry.method, entry.path) for entry in fake.writes()] == [("POST", ASSETS_PATH + "7/tags")] * 2
    assert result["changed"] is True and warnings == [] and result["asset"]["tags"] == dict(NO_TAGS, owner="me")


def test_a_failed_write_names_the_fields_changed_and_not_changed(build):
    fake = FakeReseller([TAGGED])
    fake.faults.append(("PUT", ASSETS_PATH + "7/tags", json_response(400, {"ErrorCode": "BadRequest", "Message": "no"})))
    with pytest.raises(ApiError) as raised:
        run(build, fake, name="Renamed", auto_renew_enabled=False, tags={"owner": "new"})
    message = raised.value.message
    assert message.endswith("; changed: auto_renew_enabled, name; not changed: tags") and "\n" not in message
    assert raised.value.details["changed_fields"] == ["auto_renew_enabled", "name"]
    assert fake.assets[7]["Name"] == "Renamed" and fake.assets[7]["Tags"]["Owner"] == "O"


def test_a_write_without_an_answer_says_its_outcome_is_unknown(build):
    fake = FakeReseller([TAGGED])

    def no_answer(entry):
        if entry.method == "PUT":
            raise httpx.ReadTimeout("no answer")
        return None

    fake.before = no_answer
    with pytest.raises(ApiError) as raised:
        run(build, fake, name="Renamed")
    assert raised.value.message.endswith("; changed: nothing; outcome unknown: name")
