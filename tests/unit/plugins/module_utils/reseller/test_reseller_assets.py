"""reseller_asset(_info) logic: filters, lookup, tags and the update (GET, change, PUT whole, re-read), on the simulator."""
from __future__ import annotations

import decimal

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
from reseller_helpers import ASSETS_PATH, asset, asset_writes, calls, camel, dumps, entries, loads, param, sent, tags

D = decimal.Decimal
NO_TAGS = {name: None for name in TAG_FIELDS}


@pytest.fixture
def build():
    """build(sim, read_only=False) -> ResellerClient with the seeded static access token (no logins in the log)."""
    made = []

    def make(sim, read_only=False):
        client = ResellerClient(Credentials(access_token=sim.reseller_static_token()), api_url=sim.reseller_url, retries=1,
                                read_only=read_only, httpx_transport=sim.transport(), sleep=lambda seconds: None)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def bytes_of(value):
    return dumps(value).encode("utf-8")


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


def test_filters_reach_the_query(build, reseller):
    sim = reseller([asset(1, ExternalOrderId="A"), asset(2, ExternalOrderId="B"), asset(3, ExternalOrderId="C", Status=8)])
    found = find_assets(build(sim, read_only=True), reseller_customer_id=501, external_order_ids=["A", "C"])
    assert [record.id for record in found] == [1, 3]  # Status 15: the expired one too
    (request,) = entries(sim, "GET")
    assert param(request, "Status") == ["15"] and param(request, "ExternalOrderIds") == ["A", "C"]
    assert param(request, "ResellerCustomerId") == ["501"]


def test_find_assets_by_id(build, reseller):
    sim = reseller([asset(1), asset(2)])
    client = build(sim, read_only=True)
    assert [record.id for record in find_assets(client, asset_id=2)] == [2]
    assert find_assets(client, asset_id=404) == []


def test_find_assets_sorts_by_id(build, reseller):
    sim = reseller([asset(3), asset(1), asset(2)], resellerListOrder="seed")  # the server answers 3, 1, 2
    assert [record.id for record in find_assets(build(sim, read_only=True))] == [1, 2, 3]


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


def test_lookup_by_id(build, reseller):
    sim = reseller(order_assets())
    assert lookup(build(sim, read_only=True), 12, None, None, NO_NARROWING).id == 12
    assert calls(sim) == [("GET", ASSETS_PATH + "12")]


def test_lookup_by_unknown_id_says_assets_come_from_orders(build, reseller):
    sim = reseller(order_assets())
    with pytest.raises(AssetLookupError) as caught:
        lookup(build(sim, read_only=True), 404, None, None, NO_NARROWING)
    assert "asset 404 not found" in caught.value.message and "purchase orders" in caught.value.message
    assert NOT_FOUND_HINT in caught.value.message


def test_lookup_by_order_without_match_says_assets_come_from_orders(build, reseller):
    sim = reseller(order_assets())
    with pytest.raises(AssetLookupError) as caught:
        lookup(build(sim, read_only=True), None, "ORD-9", 501, NO_NARROWING)
    assert "ORD-9" in caught.value.message and "501" in caught.value.message and "purchase orders" in caught.value.message
    with pytest.raises(AssetLookupError, match="purchase orders"):
        lookup(build(sim, read_only=True), None, "ORD-1", 501, dict(NO_NARROWING, external_sku_id="S9"))


def test_lookup_by_order_sends_order_customer_and_every_state(build, reseller):
    sim = reseller(order_assets())
    found = lookup(build(sim, read_only=True), None, "ORD-2", 501, NO_NARROWING)
    request, whole = entries(sim, "GET")
    assert param(request, "Status") == ["15"] and param(request, "ResellerCustomerId") == ["501"]
    assert param(request, "ExternalOrderIds") == ["ORD-2"]
    assert found.id == 30 and whole["path"] == ASSETS_PATH + "30"  # then read whole, by id


def test_an_asset_found_by_the_list_is_compared_and_put_as_the_single_get_shows_it(build, reseller):
    record = dict(TAGGED, ExternalOrderId="ORD-7", ResellerCustomerId=501, InvoiceProfile={"Id": 12, "Name": "Second profile"})
    sim = reseller([record], resellerListNulls=["Tags", "InvoiceProfile", "AutoRenewEnabled"])
    client = build(sim)
    current = lookup(client, None, "ORD-7", 501, NO_NARROWING)
    result = update_asset(client, current, name="Renamed", tags={"project": "P"}, auto_renew_enabled=True)
    held = sim.reseller_asset(7)
    assert held["InvoiceProfile"]["Id"] == 12 and held["AutoRenewEnabled"] is True  # the PUT blanked nothing
    assert held["Tags"] == tags(7, CostCenter="CC", Project="P", Owner="O")  # purge_tags false kept the unlisted tags
    assert result["diff"]["before"] == {"name": "Seven", "auto_renew_enabled": True, "tags": dict(NO_TAGS, cost_center="CC", owner="O")}
    (put_asset,) = [entry for entry in asset_writes(sim) if entry["path"] == ASSETS_PATH + "7"]
    assert put_asset["body"]["InvoiceProfile"] == {"Id": 12, "Name": "Second profile"}


def test_several_matches_are_listed(build, reseller):
    sim = reseller(order_assets())
    with pytest.raises(AssetLookupError) as caught:
        lookup(build(sim, read_only=True), None, "ORD-1", 501, NO_NARROWING)
    message = caught.value.message
    assert message.startswith("3 assets match order ORD-1 of customer 501")
    assert "ids 10, 11, 12" in message and "external_sku_id" in message and "20" not in message.split("ids")[1]
    assert caught.value.details == {"candidate_ids": [10, 11, 12]}
    with pytest.raises(AssetLookupError) as caught:
        lookup(build(sim, read_only=True), None, "ORD-1", 501, dict(NO_NARROWING, external_product_id="P1"))
    assert caught.value.details == {"candidate_ids": [10, 12]} and "with external_product_id P1" in caught.value.message


@pytest.mark.parametrize("narrowing, expected", [
    ({"external_sku_id": "S2"}, 12),
    ({"external_product_id": "P2"}, 11),
    ({"product_variant_id": 1}, 10),
    ({"external_product_id": "P1", "product_variant_id": 2}, 12),
    ({"external_product_id": "P1", "external_sku_id": "S1", "product_variant_id": None}, 10),
])
def test_narrowing_picks_one(build, reseller, narrowing, expected):
    sim = reseller(order_assets())
    assert lookup(build(sim, read_only=True), None, "ORD-1", 501, dict(NO_NARROWING, **narrowing)).id == expected


def test_lookup_checks_order_and_customer_itself_when_the_server_ignores_filters(build, reseller):
    # the server answers every asset, whatever order and customer the query names
    sim = reseller(order_assets(), resellerIgnoredQuery=["ExternalOrderIds", "ResellerCustomerId"])
    assert lookup(build(sim, read_only=True), None, "ORD-1", 999, NO_NARROWING).id == 20
    assert lookup(build(sim, read_only=True), None, "ORD-2", 501, NO_NARROWING).id == 30


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


def run(build, sim, read_only=False, **options):
    client = build(sim, read_only=read_only)
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
def test_nothing_to_change_sends_no_write(build, reseller, options):
    sim = reseller([TAGGED])
    result, warnings = run(build, sim, **options)
    assert result["changed"] is False and warnings == []
    assert asset_writes(sim) == [] and len(sim.log()) == 1  # the lookup only
    assert result["asset"] == lookup(build(sim), 7, None, None, NO_NARROWING).to_result()
    assert result["diff"]["before"] == result["diff"]["after"]


def test_an_option_not_given_is_not_compared(build, reseller):
    # the server differs from anything a task might want in every field, but only name is given
    sim = reseller([asset(7, Name="Seven", AutoRenewEnabled=None, InvoiceProfile=None, Tags=None)])
    result, _warnings = run(build, sim, name="Seven")
    assert result["changed"] is False and asset_writes(sim) == []
    assert result["diff"] == {"before": {"name": "Seven"}, "after": {"name": "Seven"}}


def test_false_is_a_given_value(build, reseller):
    sim = reseller([TAGGED])
    result, _warnings = run(build, sim, auto_renew_enabled=False)
    assert result["changed"] is True and sim.reseller_asset(7)["AutoRenewEnabled"] is False
    assert result["diff"] == {"before": {"auto_renew_enabled": True}, "after": {"auto_renew_enabled": False}}


# -- update_asset: check mode ----------------------------------------------------------------------


def test_check_mode_predicts_and_writes_nothing(build, reseller):
    sim = reseller([TAGGED])
    before = sim.reseller_asset(7)
    result, _warnings = run(build, sim, read_only=True, check_mode=True, name="New", invoice_profile_id=12,
                            auto_renew_enabled=False, tags={"project": "P"}, purge_tags=True)
    assert asset_writes(sim) == [] and sim.reseller_asset(7) == before and len(sim.log()) == 1
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


def test_check_mode_predicts_deleting_tags(build, reseller):
    sim = reseller([TAGGED])
    result, _warnings = run(build, sim, read_only=True, check_mode=True, tags={}, purge_tags=True)
    assert result["changed"] is True and result["asset"]["tags"] is None and asset_writes(sim) == []


# -- update_asset: writing -------------------------------------------------------------------------


@pytest.mark.parametrize("options, key, value", [
    ({"name": "Renamed"}, "Name", "Renamed"),
    ({"invoice_profile_id": 12}, "InvoiceProfile", {"Id": 12}),
    ({"auto_renew_enabled": False}, "AutoRenewEnabled", False),
])
def test_a_change_puts_the_whole_object_with_only_that_field_changed(build, reseller, options, key, value):
    sim = reseller([TAGGED])  # the server holds TAGGED and sends it as it is
    served = dumps(TAGGED)
    result, warnings = run(build, sim, **options)
    assert calls(sim) == [("GET", ASSETS_PATH + "7"), ("PUT", ASSETS_PATH + "7"), ("GET", ASSETS_PATH + "7")]
    (put,) = sent(sim, "PUT")
    expected = dict(TAGGED, **{key: value})
    assert put.content == bytes_of(expected)  # byte for byte: every other field as the API sent it
    assert b'"PurchasePrice":1234.567890123456789012345' in put.content and b'"SalesPrice":0.1,' in put.content
    assert served.replace(dumps({key: TAGGED[key]})[1:-1], dumps({key: value})[1:-1]).encode() == put.content
    assert result["changed"] is True and warnings == []


def test_the_result_is_the_asset_as_re_read(build, reseller):
    sim = reseller([TAGGED])
    result, _warnings = run(build, sim, invoice_profile_id=12, name="Renamed")
    (put,) = entries(sim, "PUT")
    assert put["body"]["InvoiceProfile"] == {"Id": 12} and put["body"]["Name"] == "Renamed"
    assert result["asset"]["invoice_profile"] == {"id": 12, "name": "Second profile"}  # the server's name: re-read
    assert result["asset"]["name"] == "Renamed" and result["asset"]["sales_price"] == "0.1"
    assert result["diff"] == {"before": {"name": "Seven", "invoice_profile_id": 11},
                              "after": {"name": "Renamed", "invoice_profile_id": 12}}


def test_a_camel_case_server_gets_its_own_keys_back(build, reseller):
    sim = reseller([TAGGED], resellerCamelCase=True)
    run(build, sim, name="Renamed", auto_renew_enabled=False)
    (put,) = sent(sim, "PUT")
    body = loads(put.content)
    assert body == dict(camel(TAGGED), name="Renamed", autoRenewEnabled=False)
    assert "Name" not in body and "AutoRenewEnabled" not in body


def test_only_tags_changing_sends_no_put_of_the_object(build, reseller):
    sim = reseller([TAGGED])
    result, warnings = run(build, sim, tags={"project": "P"})
    assert calls(sim) == [("GET", ASSETS_PATH + "7"), ("PUT", ASSETS_PATH + "7/tags"), ("GET", ASSETS_PATH + "7")]
    (put,) = entries(sim, "PUT")
    assert put["body"] == {"AssetId": 7, "CostCenter": "CC", "Department": None, "Project": "P", "Custom": None, "Owner": "O"}
    assert result["changed"] is True and warnings == []
    assert result["asset"]["tags"] == dict(NO_TAGS, cost_center="CC", project="P", owner="O")


def test_tags_are_posted_when_the_asset_has_none(build, reseller):
    sim = reseller([dict(TAGGED, Tags=None)])
    result, _warnings = run(build, sim, tags={"owner": "me"})
    (post,) = asset_writes(sim)
    assert (post["method"], post["path"]) == ("POST", ASSETS_PATH + "7/tags")
    assert post["body"] == {"AssetId": 7, "CostCenter": None, "Department": None, "Project": None, "Custom": None, "Owner": "me"}
    assert result["changed"] is True and result["asset"]["tags"] == dict(NO_TAGS, owner="me")
    assert result["diff"] == {"before": {"tags": None}, "after": {"tags": dict(NO_TAGS, owner="me")}}


@pytest.mark.parametrize("server_tags, client_thinks, first, then", [
    (tags(7, Owner="someone"), False, ("POST", 409), "PUT"),  # tags appeared since the read: POST is refused, PUT once
    (None, True, ("PUT", 404), "POST"),  # tags were deleted since the read: PUT finds none, POST once
])
def test_tags_use_the_other_verb_once_when_the_answer_says_so(build, reseller, server_tags, client_thinks, first, then):
    sim = reseller([dict(TAGGED, Tags=server_tags)])
    wanted = dict(NO_TAGS, owner="me")
    build(sim).write_tags(7, wanted, asset_has_tags=client_thinks)
    writes = asset_writes(sim)
    assert [(entry["method"], entry["status"]) for entry in writes] == [first, (then, 200)]
    assert sim.reseller_asset(7)["Tags"] == tags(7, Owner="me")


def test_a_tags_post_is_never_sent_twice(build, reseller):
    sim = reseller([dict(TAGGED, Tags=None)])
    sim.add_faults({"method": "POST", "path": ASSETS_PATH + "7/tags", "kind": "status", "status": 400, "count": 2})
    with pytest.raises(ApiError):
        build(sim).write_tags(7, dict(NO_TAGS, owner="me"), asset_has_tags=False)
    assert [(entry["method"], entry["status"]) for entry in asset_writes(sim)] == [("POST", 400), ("PUT", 404)]


def test_purging_every_tag_deletes_them(build, reseller):
    sim = reseller([TAGGED])
    result, _warnings = run(build, sim, tags={}, purge_tags=True)
    (delete,) = asset_writes(sim)
    assert (delete["method"], delete["path"]) == ("DELETE", ASSETS_PATH + "7/tags")
    assert result["changed"] is True and result["asset"]["tags"] is None and sim.reseller_asset(7)["Tags"] is None


def test_purge_replaces_the_set(build, reseller):
    sim = reseller([TAGGED])
    run(build, sim, tags={"department": "D"}, purge_tags=True)
    (put,) = asset_writes(sim)
    assert put["body"] == {"AssetId": 7, "CostCenter": None, "Department": "D", "Project": None, "Custom": None, "Owner": None}


def test_object_and_tags_together(build, reseller):
    sim = reseller([TAGGED])
    result, _warnings = run(build, sim, name="Renamed", tags={"owner": "new"})
    assert calls(sim) == [("GET", ASSETS_PATH + "7"), ("PUT", ASSETS_PATH + "7"), ("PUT", ASSETS_PATH + "7/tags"),
                          ("GET", ASSETS_PATH + "7")]
    assert result["asset"]["name"] == "Renamed" and result["asset"]["tags"]["owner"] == "new"


def test_a_second_run_changes_nothing(build, reseller):
    sim = reseller([TAGGED])
    options = dict(name="Renamed", invoice_profile_id=12, auto_renew_enabled=False, tags={"project": "P"}, purge_tags=True)
    assert run(build, sim, **options)[0]["changed"] is True
    writes = len(asset_writes(sim))
    result, warnings = run(build, sim, **options)
    assert result["changed"] is False and warnings == [] and len(asset_writes(sim)) == writes


# -- update_asset: what the server did not take ----------------------------------------------------


def test_a_field_the_server_ignored_is_warned_about(build, reseller):
    sim = reseller([TAGGED], resellerIgnoredFields=["InvoiceProfile", "AutoRenewEnabled"])  # the PUT takes only Name
    result, warnings = run(build, sim, name="Renamed", auto_renew_enabled=False)
    assert len(warnings) == 1 and "auto_renew_enabled" in warnings[0] and "did not take" in warnings[0]
    assert "name" not in warnings[0].split("did not take")[1].split(":")[0]
    assert result["changed"] is True  # the name did change
    assert result["diff"]["after"] == {"name": "Renamed", "auto_renew_enabled": True}
    assert result["asset"]["auto_renew_enabled"] is True


def test_a_write_the_server_ignored_still_counts_as_changed(build, reseller):
    sim = reseller([TAGGED], resellerIgnoredFields=["Name", "InvoiceProfile", "AutoRenewEnabled"])
    result, warnings = run(build, sim, invoice_profile_id=12)
    assert len(entries(sim, "PUT")) == 1  # it was sent, and the server recorded it
    assert sim.reseller_asset(7)["ModifiedDate"] != TAGGED["ModifiedDate"]
    assert len(warnings) == 1 and "invoice_profile_id" in warnings[0] and "asked for 12" in warnings[0]
    # changed tells that a write happened; the asset and the diff tell what the server really holds
    assert result["changed"] is True and result["asset"]["invoice_profile"] == {"id": 11, "name": "Default profile"}
    assert result["diff"]["after"] == result["diff"]["before"]


def test_tags_the_server_ignored_are_warned_about(build, reseller):
    sim = reseller([TAGGED], resellerIgnoredFields=["Tags"])  # tag writes are answered but not applied
    result, warnings = run(build, sim, tags={"owner": "new"})
    assert len(warnings) == 1 and "tags" in warnings[0] and '"owner": "new"' in warnings[0]
    assert result["changed"] is True and result["diff"]["after"] == result["diff"]["before"]


def test_an_empty_tags_object_counts_as_no_tags(build, reseller):
    sim = reseller([dict(TAGGED, Tags=tags(7))])  # {"AssetId": 7, "CostCenter": null, ...}
    result, warnings = run(build, sim, tags={})
    assert asset_writes(sim) == [] and result["changed"] is False and warnings == []


# -- update_asset: writes that fail ----------------------------------------------------------------


def test_a_tags_post_whose_answer_was_lost_is_read_back_not_sent_again(build, reseller):
    sim = reseller([dict(TAGGED, Tags=None)])
    # the first tags POST is applied, then its connection breaks before the answer
    sim.add_faults({"method": "POST", "path": ASSETS_PATH + "7/tags", "kind": "drop_after"})
    result, warnings = run(build, sim, tags={"owner": "me"})
    assert [(entry["method"], entry["path"], entry["fault"]) for entry in asset_writes(sim)] == [("POST", ASSETS_PATH + "7/tags", "drop_after")]
    assert calls(sim)[-2:] == [("GET", ASSETS_PATH + "7"), ("GET", ASSETS_PATH + "7")]  # the check, then the re-read
    assert result["changed"] is True and warnings == [] and result["asset"]["tags"] == dict(NO_TAGS, owner="me")


def test_a_tags_post_that_failed_unapplied_is_sent_once_more_after_a_read(build, reseller):
    sim = reseller([dict(TAGGED, Tags=None)])
    sim.add_faults({"method": "POST", "path": ASSETS_PATH + "7/tags", "kind": "status", "status": 500, "errorNumber": "InternalServerError",
                    "message": "oops"})
    result, warnings = run(build, sim, tags={"owner": "me"})
    assert [(entry["method"], entry["path"]) for entry in asset_writes(sim)] == [("POST", ASSETS_PATH + "7/tags")] * 2
    assert result["changed"] is True and warnings == [] and result["asset"]["tags"] == dict(NO_TAGS, owner="me")


def test_a_failed_write_names_the_fields_changed_and_not_changed(build, reseller):
    sim = reseller([TAGGED])
    sim.add_faults({"method": "PUT", "path": ASSETS_PATH + "7/tags", "kind": "status", "status": 400, "errorNumber": "BadRequest",
                    "message": "no"})
    with pytest.raises(ApiError) as raised:
        run(build, sim, name="Renamed", auto_renew_enabled=False, tags={"owner": "new"})
    message = raised.value.message
    assert message.endswith("; changed: auto_renew_enabled, name; not changed: tags") and "\n" not in message
    assert raised.value.details["changed_fields"] == ["auto_renew_enabled", "name"]
    assert sim.reseller_asset(7)["Name"] == "Renamed" and sim.reseller_asset(7)["Tags"]["Owner"] == "O"


def test_a_write_without_an_answer_says_its_outcome_is_unknown(build, reseller):
    sim = reseller([TAGGED])
    # every PUT loses its connection before an answer (the retry too)
    sim.add_faults({"method": "PUT", "path": ASSETS_PATH + "7", "kind": "drop_before", "count": None})
    with pytest.raises(ApiError) as raised:
        run(build, sim, name="Renamed")
    assert raised.value.message.endswith("; changed: nothing; outcome unknown: name")
    assert [entry["fault"] for entry in entries(sim, "PUT")] == ["drop_before", "drop_before"]
