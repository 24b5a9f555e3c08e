"""sTokens and the authentication error numbers."""
from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.simulator.tokens import decode_stoken, make_stoken

DATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")


def test_stoken_round_trip() -> None:
    expires = datetime(2030, 11, 8, 22, 33, 22, tzinfo=timezone.utc)
    stoken = make_stoken("inner", expires, "Org")
    decoded = decode_stoken(stoken)
    assert (decoded.token, decoded.exp_date, decoded.org_name) == ("inner", expires, "Org")
    assert b'"expDate": "2030-11-08T22:33:22+0000"' in base64.b64decode(stoken)


@pytest.mark.parametrize("value", ["inner-token", "bm90IGpzb24=", base64.b64encode(b'{"token": 1}').decode()])
def test_decode_rejects_what_is_not_an_stoken(value: str) -> None:
    with pytest.raises(ValueError):
        decode_stoken(value)


@pytest.mark.parametrize(
    ("headers", "number"),
    [
        ({}, 9601),
        ({"Authorization": "Token abc"}, 9722),
        ({"Authorization": "Bearer"}, 9722),
        ({"Authorization": "Bearer a b"}, 9722),
        ({"Authorization": "Bearer not-base64-json"}, 9622),
        ({"Authorization": "Bearer sim-inner-main-7f3a9c"}, 9622),  # the inner token itself
        ({"Authorization": "Bearer " + make_stoken("unknown-inner", datetime(2030, 1, 1), "X")}, 9622),
    ],
)
def test_bad_authorization(client, headers, number) -> None:
    response = client.get("/mdm/v2/assets", headers=headers)
    assert response.status_code == 401
    assert response.json()["errorNumber"] == number
    assert response.json()["errorMessage"]


@pytest.mark.parametrize(("location", "number"), [("Revoked", 9625), ("Expired", 9621)])
def test_dead_tokens(vpp, location, number) -> None:
    response = vpp.as_location(location).get("/client/config")
    assert (response.status_code, response.json()["errorNumber"]) == (401, number)


def test_authenticated_responses_carry_uid_and_expiry(vpp) -> None:
    body = vpp.as_location("Expiring").get("/assets").json()
    assert body["uId"] == "2049025000431440"
    assert DATE_RE.match(body["tokenExpirationDate"])
    expires = datetime.strptime(body["tokenExpirationDate"], "%Y-%m-%dT%H:%M:%S%z")
    assert timedelta(days=9) < expires - datetime.now(timezone.utc) <= timedelta(days=10)


def test_service_config_needs_no_token_and_follows_settings(client) -> None:
    config = client.get("/mdm/v2/service/config").json()
    assert config["limits"]["maxAssets"] == 25 and config["limits"]["maxRequestPerSecond"] == 15
    assert config["urls"]["getAssets"] == "http://127.0.0.1/mdm/v2/assets"
    assert all(set(code) == {"errorNumber", "errorMessage"} for code in config["errorCodes"])
    assert {9601, 9621, 9622, 9625, 9646, 9650, 9709, 9722} <= {code["errorNumber"] for code in config["errorCodes"]}
    assert "ASSET_MANAGEMENT" in config["notificationTypes"]
    client.post("/_sim/settings", json={"limits": {"maxAssets": 5, "maxRequestPerSecond": None}})
    limits = client.get("/mdm/v2/service/config").json()["limits"]
    assert limits["maxAssets"] == 5 and "maxRequestPerSecond" not in limits


def test_content_type_method_and_unknown_path(vpp, client) -> None:
    response = vpp.client.post("/mdm/v2/assets/associate", content=b"{}", headers={**vpp.headers, "Content-Type": "text/plain"})
    assert (response.status_code, response.json()["errorNumber"]) == (415, 9727)
    response = vpp.client.delete("/mdm/v2/assets", headers=vpp.headers)
    assert (response.status_code, response.json()["errorNumber"]) == (405, 9726)
    response = vpp.client.get("/mdm/v2/assets/associate", headers=vpp.headers)
    assert (response.status_code, response.json()["errorNumber"]) == (405, 9726)
    assert client.get("/mdm/v2/nothing-here", headers=vpp.headers).status_code == 404
    response = vpp.client.post("/mdm/v2/assets/associate", content=b"{not json", headers={**vpp.headers, "Content-Type": "application/json"})
    assert (response.status_code, response.json()["errorNumber"]) == (400, 9602)
