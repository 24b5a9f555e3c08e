"""Pydantic models of the reseller Asset: any key case, enumerations as names, prices exact to the digit."""
from __future__ import annotations

import decimal
import json

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.assetops.licensing.plugins.module_utils.http import _decode_body
from ansible_collections.assetops.licensing.plugins.module_utils.reseller.models import (
    Asset,
    AssetTags,
    TokenResponse,
    enum_name,
    exact,
    split_asset_list,
    STATUS_FLAGS,
)
from reseller_helpers import asset, camel, dumps, tags

D = decimal.Decimal

# The contract (architecture.md, "Asset records are snake_case"), in its order.
CONTRACT_KEYS = [
    "id", "name", "status", "asset_type", "scope", "billing_cycle", "quantity", "external_order_id",
    "external_product_id", "external_sku_id", "product_variant_id", "reseller_customer_id", "publisher_id", "program_id",
    "reservation_id", "reservation_used_in_subscription_id", "reservation_used_in_subscription", "start_date",
    "expiration_date", "purchase_date", "created_date", "modified_date", "changed_by", "purchase_currency",
    "purchase_price", "sales_currency", "sales_price", "invoice_profile", "tags", "auto_renew_enabled",
    "reserved_instance_artifact_resource_id",
]

FULL = asset(
    42, Tags=tags(42, CostCenter="CC-1", Owner="me"), ReservationId="res-1", ReservationUsedInSubscriptionId=77,
    ReservationUsedInSubscription={"Id": 77, "Name": "Sub", "PublisherSubscriptionId": "ps-1", "ResellerCustomerName": "Acme"},
    ExpirationDate="2024-06-10T00:00:00", ReservedInstanceArtifactResourceId="/subscriptions/x",
)


def decoded(text: str):
    """JSON text through the transport's own decoder with exact decimals (as the client reads answers)."""
    return _decode_body(httpx.Response(200, content=text.encode("utf-8")), exact_decimals=True)


def mixed_case(value):
    """Keys alternately PascalCase, camelCase, lower and UPPER case, at every level."""
    if isinstance(value, dict):
        styles = (lambda k: k, lambda k: k[:1].lower() + k[1:], str.lower, str.upper)
        return {styles[index % 4](key): mixed_case(item) for index, (key, item) in enumerate(value.items())}
    if isinstance(value, list):
        return [mixed_case(item) for item in value]
    return value


# -- key casing, unknown fields ------------------------------------------------------------------


@pytest.mark.parametrize("shape", [lambda v: v, camel, mixed_case], ids=["pascal", "camel", "mixed"])
def test_every_key_casing_gives_the_same_asset(shape):
    reference = Asset.model_validate(decoded(dumps(FULL)))
    other = Asset.model_validate(decoded(dumps(shape(FULL))))
    assert other == reference
    assert other.to_result() == reference.to_result()
    result = reference.to_result()
    assert result["external_order_id"] == "ORD-42" and result["product_variant_id"] == 9001
    assert result["invoice_profile"] == {"id": 11, "name": "Default profile"}
    assert result["tags"] == {"cost_center": "CC-1", "department": None, "project": None, "custom": None, "owner": "me"}
    assert result["reservation_used_in_subscription"] == {
        "id": 77, "name": "Sub", "publisher_subscription_id": "ps-1", "reseller_customer_name": "Acme"}


def test_snake_case_field_names_are_accepted_too():
    assert Asset.model_validate({"id": 1, "external_order_id": "O", "auto_renew_enabled": False}).to_result()["external_order_id"] == "O"


def test_unknown_fields_are_ignored_at_every_level():
    noisy = dict(FULL, BrandNewField={"x": [1, 2]}, AnotherOne=3.5,
                 InvoiceProfile={"Id": 11, "Name": "Default profile", "Extra": True},
                 Tags=dict(FULL["Tags"], Colour="blue"))
    model = Asset.model_validate(decoded(dumps(noisy)))
    assert model.to_result() == Asset.model_validate(decoded(dumps(FULL))).to_result()
    assert "BrandNewField" not in model.model_dump() and "brand_new_field" not in model.model_dump()


def test_to_result_has_exactly_the_contracts_keys():
    result = Asset.model_validate(decoded(dumps(FULL))).to_result()
    assert list(result) == CONTRACT_KEYS
    minimal = Asset.model_validate({"Id": 3}).to_result()
    assert list(minimal) == CONTRACT_KEYS
    assert minimal["id"] == 3 and all(minimal[key] is None for key in CONTRACT_KEYS if key != "id")


def test_to_result_is_json_serialisable_without_floats():
    result = Asset.model_validate(decoded(dumps(FULL))).to_result()
    text = json.dumps(result)  # no Decimal left in the result
    assert result["purchase_price"] == "1234.567890123456789012345" and result["sales_price"] == "0.1"
    assert '"purchase_price": "1234.567890123456789012345"' in text


# -- null handling -------------------------------------------------------------------------------


def test_null_tags_and_invoice_profile():
    result = Asset.model_validate(decoded(dumps(asset(5, Tags=None, InvoiceProfile=None, AutoRenewEnabled=None)))).to_result()
    assert result["tags"] is None and result["invoice_profile"] is None and result["auto_renew_enabled"] is None
    model = Asset.model_validate(decoded(dumps(asset(5, Tags=None))))
    assert model.tag_values == {"cost_center": None, "department": None, "project": None, "custom": None, "owner": None}


def test_tags_with_some_null_fields_and_missing_fields():
    model = Asset.model_validate({"Id": 5, "Tags": {"AssetId": 5, "Project": "P", "Owner": None}})
    assert model.to_result()["tags"] == {"cost_center": None, "department": None, "project": "P", "custom": None, "owner": None}
    assert model.tag_values == model.to_result()["tags"]


def test_asset_tags_dump_in_pascal_case_for_requests():
    body = AssetTags(asset_id=5, cost_center="CC", owner=None).model_dump(by_alias=True)
    assert body == {"AssetId": 5, "CostCenter": "CC", "Department": None, "Project": None, "Custom": None, "Owner": None}


def test_token_response_in_every_casing():
    for body in ({"AccessToken": "t"}, {"accessToken": "t"}, {"access_token": "t", "expires_in": 3600}):
        assert TokenResponse.model_validate(body).access_token == "t"


# -- enumerations --------------------------------------------------------------------------------


@pytest.mark.parametrize("field, cases", [
    ("Status", [(1, "fulfilling"), (2, "succeeded"), (4, "cancelled"), (8, "expired"), ("Succeeded", "succeeded"),
                ("EXPIRED", "expired"), ("4", "cancelled"), (3, "3"), (16, "16")]),
    ("AssetType", [(1, "reservation"), (2, "software"), (3, "subscription"), ("Subscription", "subscription"), (9, "9")]),
    ("Scope", [(1, "shared"), (2, "single"), (3, "managementgroups"), ("ManagementGroups", "managementgroups"), (0, "0")]),
    ("BillingCycle", [(0, "unknown"), (1, "monthly"), (2, "annual"), (3, "none"), (4, "onetime"), (5, "triennial"),
                      (6, "biennial"), ("OneTime", "onetime"), ("Annual", "annual"), (7, "7"), (42, "42")]),
])
def test_enumerations_as_numbers_and_names(field, cases):
    result_key = {"Status": "status", "AssetType": "asset_type", "Scope": "scope", "BillingCycle": "billing_cycle"}[field]
    for wire, expected in cases:
        assert Asset.model_validate(decoded(dumps({"Id": 1, field: wire}))).to_result()[result_key] == expected, wire


def test_enum_name_directly():
    assert enum_name(None, STATUS_FLAGS) is None
    assert enum_name(" Succeeded ", STATUS_FLAGS) == "succeeded"
    assert enum_name(" 8 ", STATUS_FLAGS) == "expired"
    assert enum_name(32, STATUS_FLAGS) == "32"


# -- prices --------------------------------------------------------------------------------------


@st.composite
def decimal_texts(draw, exponent=False):
    """A JSON number with 1 to 30 significant digits, a point anywhere (or none), maybe a sign."""
    digits = draw(st.text("0123456789", min_size=1, max_size=30).filter(lambda text: text[0] != "0" or len(text) == 1))
    point = draw(st.integers(0, len(digits)))
    leading_zeros = draw(st.integers(0, 5))
    if point == 0 and leading_zeros:
        text = "0." + "0" * leading_zeros + digits
    elif 0 < point < len(digits):
        text = digits[:point] + "." + digits[point:]
    else:
        text = digits
    if exponent:
        text += draw(st.sampled_from(["e", "E"])) + draw(st.sampled_from(["", "+", "-"])) + str(draw(st.integers(0, 40)))
    # "-0" without point or exponent is the JSON integer zero, and Python has no negative integer zero
    if "." in text or exponent or text.strip("0"):
        text = draw(st.sampled_from(["", "-"])) + text
    return text


@settings(max_examples=300, deadline=None)
@given(purchase=decimal_texts(), sales=decimal_texts())
def test_prices_survive_exactly_from_json_text_to_the_result(purchase, sales):
    text = '{"Id": 1, "PurchasePrice": %s, "salesPrice": %s, "Name": "x"}' % (purchase, sales)
    model = Asset.model_validate(decoded(text))
    assert isinstance(model.purchase_price, D) and isinstance(model.sales_price, D)
    result = model.to_result()
    # the very text the API sent (plain notation), no float anywhere on the way
    assert result["purchase_price"] == purchase and result["sales_price"] == sales
    assert D(result["purchase_price"]) == D(purchase) and D(result["sales_price"]) == D(sales)


@settings(max_examples=200, deadline=None)
@given(price=decimal_texts(exponent=True))
def test_prices_in_exponent_notation_keep_their_value(price):
    result = Asset.model_validate(decoded('{"Id": 1, "PurchasePrice": %s}' % price)).to_result()
    assert "e" not in result["purchase_price"].lower()
    assert D(result["purchase_price"]) == D(price)


@pytest.mark.parametrize("text", ["0.1", "12.345678901234567890123", "0.30000000000000000000000000001", "-0.0", "10.50",
                                  "123456789012345678901234567890", "99999999999999999999.9999999999", "0"])
def test_known_float_traps_stay_exact(text):
    result = Asset.model_validate(decoded('{"Id": 1, "PurchasePrice": %s, "SalesPrice": "%s"}' % (text, text))).to_result()
    assert result["purchase_price"] == text  # a JSON number
    assert result["sales_price"] == text  # a JSON string holding a number is taken too


def test_exact_helper():
    assert exact(None) is None
    assert exact(D("1E+3")) == "1000"
    assert exact(D("1E-7")) == "0.0000001"
    assert exact(0.1) == "0.1"  # a float (bypassed decoder) is at least not widened to 0.1000000000000000055...


# -- list answers (split_asset_list: raw items, the client validates them) --------------------------------------------------------------------------------


@pytest.mark.parametrize("body, total", [
    ({"Items": [asset(1), asset(2)], "TotalHits": 7}, 7),
    ({"items": [camel(asset(1)), camel(asset(2))], "totalHits": 7}, 7),
    ({"ITEMS": [asset(1), asset(2)], "totalhits": "7", "Other": 1}, 7),
    ([asset(1), asset(2)], None),
    ([camel(asset(1)), asset(2)], None),
])
def test_split_asset_list_shapes(body, total):
    raw, hits = split_asset_list(decoded(dumps(body)))
    items = [Asset.model_validate(item) for item in raw]
    assert [item.id for item in items] == [1, 2]
    assert hits == total
    assert items[0].to_result()["purchase_price"] == "1234.567890123456789012345"


@pytest.mark.parametrize("body, expected", [
    ({"Items": [], "TotalHits": 0}, ([], 0)),
    ({"Items": None, "TotalHits": 0}, ([], 0)),
    ({"TotalHits": 3}, ([], 3)),
    ({"Items": []}, ([], None)),
    ([], ([], None)),
    (None, ([], 0)),
])
def test_split_asset_list_empty_answers(body, expected):
    assert split_asset_list(body) == expected


def test_split_asset_list_keeps_the_raw_items():
    raw, _total = split_asset_list(decoded(dumps({"Items": [asset(1)], "TotalHits": 1})))
    assert raw == [asset(1)] and isinstance(raw[0]["PurchasePrice"], D)
