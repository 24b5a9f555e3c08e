"""The reseller half (/api/v1): OAuth password grant, the asset list, one asset, tags, the shared machinery."""
from __future__ import annotations

import base64
import json
import re
import time
from decimal import Decimal
from typing import Any, Iterator

import httpx
import pytest

from tests.simulator import DEFAULT_SEED
from tests.simulator.control import SimulatorControl
from tests.simulator.server import create_simulator
from tests.simulator.state import SeedError

CLIENT_ID, CLIENT_SECRET = "sim-client-1001", "sim-client-secret-7f3a9e"
USERNAME, PASSWORD = "reseller.admin@example.org", "sim-password-9c2e41"
STATIC_TOKEN = "sim-static-token-5b1d0c"
TOKEN = "/api/v1/connect/token"
ASSETS = "/api/v1/assets/"
SINGLE_ORDER_ASSET = 100001  # ORD-1001-A, tagged, PurchasePrice 12.345678901234567890
MULTI_ORDER_ASSETS = [100002, 100003]  # ORD-1001-MULTI, differ by ExternalSkuId
UNTAGGED_NO_PROFILE = 100004  # InvoiceProfile null, AutoRenewEnabled null, prices with 23 digits
ERROR_KEYS = ["ErrorCode", "Message", "Parameters", "ObjectErrors"]


def basic(client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()}


def token_form(**changes: str) -> dict[str, str]:
    return {"grant_type": "password", "username": USERNAME, "password": PASSWORD, "scope": "CustomerApi", **changes}


class Reseller:
    """Calls /api/v1 with a bearer token, through a TestClient or an httpx.Client."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, params: Any = None) -> Any:
        return self.client.get(path, params=params, headers=self.headers)

    def list(self, **params: Any) -> Any:
        response = self.get(ASSETS, params)
        assert response.status_code == 200, response.text
        return response.json()

    def ids(self, **params: Any) -> list[int]:
        return [item["Id"] for item in self.list(PageSize=100, **params)["Items"]]

    def asset(self, asset_id: int) -> dict[str, Any]:
        response = self.get(f"{ASSETS}{asset_id}")
        assert response.status_code == 200, response.text
        return response.json(parse_float=Decimal)

    def send(self, method: str, path: str, body: Any = None) -> Any:
        content = None if body is None else json.dumps(body, default=str)
        return self.client.request(method, path, content=content, headers={**self.headers, "Content-Type": "application/json"})


def new_token(client: Any) -> str:
    response = client.post(TOKEN, data=token_form(), headers=basic())
    assert response.status_code == 200, response.text
    return response.json()["AccessToken"]


@pytest.fixture
def api(client) -> Reseller:
    return Reseller(client, new_token(client))


def settings(client, **changes: Any) -> None:
    response = client.post("/_sim/settings", json=changes)
    assert response.status_code == 200, response.text


# ---------------------------------------------------------------------- token endpoint
def test_token_success(client) -> None:
    response = client.post(TOKEN, data=token_form(scope="openid CustomerApi"), headers=basic())
    body = response.json()
    assert response.status_code == 200 and list(body) == ["AccessToken", "ExpiresIn", "TokenType", "RefreshToken"]
    assert (body["ExpiresIn"], body["TokenType"]) == (3600, "Bearer") and body["AccessToken"] != body["RefreshToken"]
    assert Reseller(client, body["AccessToken"]).get(ASSETS).status_code == 200


@pytest.mark.parametrize(
    ("headers", "form", "status", "error"),
    [
        ({}, token_form(), 401, "invalid_client"),
        (basic(client_secret="wrong"), token_form(), 401, "invalid_client"),
        (basic(client_id="other"), token_form(), 401, "invalid_client"),
        ({"Authorization": "Basic !!notbase64"}, token_form(), 401, "invalid_client"),
        (basic(), token_form(grant_type="client_credentials"), 400, "unsupported_grant_type"),
        (basic(), token_form(scope="openid"), 400, "invalid_scope"),
        (basic(), {key: value for key, value in token_form().items() if key != "scope"}, 400, "invalid_scope"),
        (basic(), token_form(password="wrong"), 400, "invalid_grant"),
        (basic(), token_form(username="nobody@example.org"), 400, "invalid_grant"),
    ],
)
def test_token_errors(client, headers, form, status, error) -> None:
    response = client.post(TOKEN, data=form, headers=headers)
    assert (response.status_code, response.json()["error"]) == (status, error)
    if error == "invalid_grant":
        assert response.json()["error_description"]
    if status == 401:
        assert response.headers["www-authenticate"] == "Basic"
    assert client.get("/_sim/state").json()["reseller"]["tokensIssued"] == 0


def test_bearer_is_required(client, api) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {api.token}"}, {"Authorization": "Bearer "}):
        response = client.get(ASSETS, headers=headers)
        assert response.status_code == 401 and list(response.json()) == ERROR_KEYS
        assert response.json()["ErrorCode"] == "Unauthorized" and response.json()["Parameters"] == {} and response.json()["ObjectErrors"] == []
    assert Reseller(client, STATIC_TOKEN).get(ASSETS).status_code == 200


def test_tokens_expire(client) -> None:
    settings(client, resellerTokenSeconds=0.3)
    response = client.post(TOKEN, data=token_form(), headers=basic())
    assert response.json()["ExpiresIn"] == 0.3
    api = Reseller(client, response.json()["AccessToken"])
    assert api.get(ASSETS).status_code == 200
    time.sleep(0.35)
    assert api.get(ASSETS).status_code == 401
    settings(client, resellerTokenSeconds=0)
    assert Reseller(client, new_token(client)).get(ASSETS).status_code == 401


def test_expire_tokens_then_one_refresh(client, api) -> None:
    assert client.post("/_sim/reseller/expire-tokens").json() == {"expired": 1}
    assert api.get(ASSETS).status_code == 401
    assert Reseller(client, STATIC_TOKEN).get(ASSETS).status_code == 200  # static tokens are not issued ones
    api.token = new_token(client)
    assert api.get(ASSETS).status_code == 200
    state = client.get("/_sim/state").json()["reseller"]
    assert (state["tokensIssued"], state["tokensValid"]) == (2, 1) and api.token not in json.dumps(state)


# ---------------------------------------------------------------------- the list
def test_status_defaults_to_succeeded(api) -> None:
    assert api.list()["TotalHits"] == 31
    assert api.list(Status=2)["TotalHits"] == 31
    assert api.list(Status=15)["TotalHits"] == 48
    assert api.list(Status=1)["TotalHits"] == 6 and api.list(Status=12)["TotalHits"] == 11  # Fulfilling; Cancelled|Expired
    assert {item["Status"] for item in api.list(Status=15, PageSize=100)["Items"]} == {1, 2, 4, 8}


def test_filters(api) -> None:
    assert api.ids(ExternalOrderId="ORD-1001-A", ResellerCustomerId=1001) == [SINGLE_ORDER_ASSET]
    multi = api.list(ExternalOrderId="ORD-1001-MULTI", ResellerCustomerId=1001)["Items"]
    assert [item["Id"] for item in multi] == MULTI_ORDER_ASSETS
    assert len({item["ExternalProductId"] for item in multi}) == 1 and len({item["ExternalSkuId"] for item in multi}) == 2
    assert api.ids(ExternalOrderIds=["ORD-1001-A", "ORD-1001-MULTI"]) == [SINGLE_ORDER_ASSET, *MULTI_ORDER_ASSETS]
    assert api.ids(ExternalOrderId="ORD-SHARED") == [100011, 100102]
    assert api.ids(ExternalOrderId="ORD-SHARED", ResellerCustomerId=1002) == [100102]
    assert api.list(ResellerCustomerId=1001, Status=15)["TotalHits"] == 24
    assert api.list(PublisherId=20, Status=15)["TotalHits"] == 6
    assert {item["AssetType"] for item in api.list(AssetType=1, Status=15)["Items"]} == {1}
    assert api.list(AssetType=1, Status=15)["TotalHits"] == 5
    assert api.ids(ReservationId="RES-1001-0001") == [100006]
    assert api.ids(Search="m365 E3") == [] and set(api.ids(Search="365 e3")) == {100001, 100101}
    assert api.ids(InvoiceProfileId=503) == [100011, 100020, 100111]
    assert api.ids(resellercustomerid=1002, externalorderid="ORD-1002-A") == [100101]  # names bind case-insensitively


@pytest.mark.parametrize(
    "params",
    [{"AssetType": 4}, {"Status": 0}, {"Status": 16}, {"ResellerCustomerId": "abc"}, {"Page": 0}, {"Page": -1}, {"PageSize": 0}, {"SortBy": 3}],
)
def test_bad_query_is_400(api, params) -> None:
    response = api.get(ASSETS, params)
    assert response.status_code == 400 and list(response.json()) == ERROR_KEYS and response.json()["ErrorCode"] == "BadRequest"
    assert response.json()["Parameters"] == {name: str(value) for name, value in params.items()}


def test_paging_from_one(client, api) -> None:
    pages = [api.list(Status=15, PageSize=10, Page=page) for page in (1, 2, 3, 4, 5, 6)]
    assert [len(page["Items"]) for page in pages] == [10, 10, 10, 10, 8, 0]
    assert {page["TotalHits"] for page in pages} == {48}
    ids = [item["Id"] for page in pages for item in page["Items"]]
    assert len(set(ids)) == 48 and ids == sorted(ids)
    assert api.list(Status=15)["Items"] == pages[0]["Items"] + pages[1]["Items"]  # default PageSize 20
    assert len(api.list(Status=15, PageSize=1000)["Items"]) == 48  # clamped to 100
    settings(client, resellerMaxPageSize=7)
    assert len(api.list(Status=15, PageSize=1000)["Items"]) == 7


def test_sorting(api) -> None:
    names = [item["Name"].lower() for item in api.list(SortBy=0, SortOrder=1, PageSize=100)["Items"]]
    assert names == sorted(names, reverse=True)
    expirations = [item["ExpirationDate"] for item in api.list(Status=15, SortBy=2, PageSize=100)["Items"]]
    assert expirations[-4:] == [None] * 4 and expirations[:-4] == sorted(expirations[:-4])


def test_bare_array_and_camel_case(client, api) -> None:
    settings(client, resellerBareArray=True)
    page = api.list(ResellerCustomerId=1001, PageSize=3)
    assert isinstance(page, list) and [item["Id"] for item in page] == [100001, 100002, 100003]
    settings(client, resellerBareArray=False, resellerCamelCase=True)
    page = api.list(ExternalOrderId="ORD-1001-A")
    assert list(page) == ["items", "totalHits"]
    item = page["items"][0]
    assert item["id"] == SINGLE_ORDER_ASSET and item["invoiceProfile"] == {"id": 501, "name": "Default invoice"}
    assert item["tags"]["costCenter"] == "CC-4100" and "Id" not in item
    assert re.search(rb'"purchasePrice":12\.345678901234567890[,}]', api.get(f"{ASSETS}{SINGLE_ORDER_ASSET}").content)
    assert list(api.get(f"{ASSETS}1").json()) == ["errorCode", "message", "parameters", "objectErrors"]
    assert "accessToken" in client.post(TOKEN, data=token_form(), headers=basic()).json()
    updated = api.send("PUT", f"{ASSETS}{SINGLE_ORDER_ASSET}", {"name": "camel"}).json()
    assert updated["name"] == "camel"


def test_exact_decimals(client, api) -> None:
    raw = api.get(ASSETS, {"Status": 15, "PageSize": 100}).content
    for field, text in (("PurchasePrice", "12.345678901234567890"), ("PurchasePrice", "1234567890.1234567890123"),
                        ("SalesPrice", "98765.432109876543210"), ("PurchasePrice", "3120.000000000000000001"),
                        ("PurchasePrice", "8.250000000000000000000000001"), ("SalesPrice", "14.99"), ("PurchasePrice", "0")):
        assert re.search(rf'"{field}":{re.escape(text)}[,}}]'.encode(), raw), text
    assert api.asset(SINGLE_ORDER_ASSET)["PurchasePrice"] == Decimal("12.345678901234567890")
    state_asset = next(asset for asset in client.get("/_sim/state").json()["reseller"]["assets"] if asset["Id"] == UNTAGGED_NO_PROFILE)
    assert (state_asset["PurchasePrice"], state_asset["SalesPrice"]) == ("1234567890.1234567890123", "1234567890.1234567890124")


def test_get_one_and_404(api) -> None:
    asset = api.asset(UNTAGGED_NO_PROFILE)
    assert (asset["InvoiceProfile"], asset["Tags"], asset["AutoRenewEnabled"]) == (None, None, None)
    assert len(asset) == 31 and api.get(ASSETS.rstrip("/")).status_code == 200
    missing = api.get(f"{ASSETS}999999")
    assert missing.status_code == 404 and missing.json()["ErrorCode"] == "NotFound" and list(missing.json()) == ERROR_KEYS
    assert api.get(f"{ASSETS}not-a-number").status_code == 404
    assert api.send("PATCH", f"{ASSETS}{SINGLE_ORDER_ASSET}", {}).status_code == 405


# ---------------------------------------------------------------------- PUT
def test_put_honours_only_the_editable_fields(client, api) -> None:
    before = api.asset(SINGLE_ORDER_ASSET)
    body = dict(before, Name="Renamed E3", InvoiceProfile={"Id": 502, "Name": "ignored"}, AutoRenewEnabled=False,
                Quantity=999, PurchasePrice="1.00", Status=4, ExternalOrderId="HACK", Tags=None, ChangedBy="me", ModifiedDate="2000-01-01T00:00:00.000")
    response = api.send("PUT", f"{ASSETS}{SINGLE_ORDER_ASSET}", body)
    assert response.status_code == 200, response.text
    after = response.json(parse_float=Decimal)
    assert (after["Name"], after["InvoiceProfile"], after["AutoRenewEnabled"]) == ("Renamed E3", {"Id": 502, "Name": "Marketing"}, False)
    kept = [field for field in before if field not in ("Name", "InvoiceProfile", "AutoRenewEnabled", "ModifiedDate", "ChangedBy")]
    assert {field: after[field] for field in kept} == {field: before[field] for field in kept}
    assert after["ChangedBy"] == USERNAME and after["ModifiedDate"] > before["ModifiedDate"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", after["ModifiedDate"])
    assert api.asset(SINGLE_ORDER_ASSET) == after
    # lower-case keys bind; a partial body changes only what it names; null clears the profile
    after = api.send("PUT", f"{ASSETS}{SINGLE_ORDER_ASSET}", {"invoiceprofile": None, "autorenewenabled": None}).json()
    assert (after["Name"], after["InvoiceProfile"], after["AutoRenewEnabled"]) == ("Renamed E3", None, None)
    assert client.get("/_sim/log/summary").json()["writes"] == 2


@pytest.mark.parametrize(
    "body",
    [{"InvoiceProfile": {"Id": 999}}, {"InvoiceProfile": {"Name": "Marketing"}}, {"Id": 100002, "Name": "x"}, {"Name": ""},
     {"AutoRenewEnabled": "yes"}, ["not", "an", "object"]],
)
def test_put_refuses_bad_bodies(api, body) -> None:
    before = api.asset(SINGLE_ORDER_ASSET)
    response = api.send("PUT", f"{ASSETS}{SINGLE_ORDER_ASSET}", body)
    assert response.status_code == 400 and list(response.json()) == ERROR_KEYS
    assert api.asset(SINGLE_ORDER_ASSET) == before


def test_put_ignored_fields_and_empty_response(client, api) -> None:
    settings(client, resellerIgnoredFields=["AutoRenewEnabled"])
    after = api.send("PUT", f"{ASSETS}{SINGLE_ORDER_ASSET}", {"Name": "N2", "AutoRenewEnabled": False}).json()
    assert (after["Name"], after["AutoRenewEnabled"]) == ("N2", True)
    settings(client, resellerEmptyPutResponse=True)
    response = api.send("PUT", f"{ASSETS}{SINGLE_ORDER_ASSET}", {"Name": "N3"})
    assert (response.status_code, response.content) == (200, b"")
    assert api.asset(SINGLE_ORDER_ASSET)["Name"] == "N3"
    assert api.send("PUT", f"{ASSETS}999999", {"Name": "x"}).status_code == 404


# ---------------------------------------------------------------------- tags
def test_tags_post_put_delete(client, api) -> None:
    path = f"{ASSETS}{UNTAGGED_NO_PROFILE}/tags"
    assert api.send("PUT", path, {"CostCenter": "x"}).status_code == 404  # none yet: POST first
    created = api.send("POST", path, {"CostCenter": "CC-1", "Department": "IT", "owner": "dana@example.org"})
    assert created.status_code == 200
    expected = {"AssetId": UNTAGGED_NO_PROFILE, "CostCenter": "CC-1", "Department": "IT", "Project": None, "Custom": None, "Owner": "dana@example.org"}
    assert created.json() == expected
    assert api.asset(UNTAGGED_NO_PROFILE)["Tags"] == created.json()
    conflict = api.send("POST", path, {"CostCenter": "CC-2"})
    assert conflict.status_code == 409 and conflict.json()["ErrorCode"] == "Conflict" and list(conflict.json()) == ERROR_KEYS
    replaced = api.send("PUT", path, {"AssetId": UNTAGGED_NO_PROFILE, "Project": "P"}).json()
    assert replaced == {"AssetId": UNTAGGED_NO_PROFILE, "CostCenter": None, "Department": None, "Project": "P", "Custom": None, "Owner": None}
    assert api.asset(UNTAGGED_NO_PROFILE)["Tags"] == replaced and api.asset(UNTAGGED_NO_PROFILE)["ChangedBy"] == USERNAME
    assert api.send("PUT", path, {"AssetId": 1, "Project": "P"}).status_code == 400
    assert api.send("PUT", path, {"Project": 5}).status_code == 400
    deleted = api.send("DELETE", path)
    assert (deleted.status_code, deleted.content) == (200, b"") and api.asset(UNTAGGED_NO_PROFILE)["Tags"] is None
    assert api.send("PUT", path, {"Project": "P"}).status_code == 404
    assert api.send("POST", f"{ASSETS}{SINGLE_ORDER_ASSET}/tags", {"Project": "P"}).status_code == 409  # seeded with tags
    assert api.send("POST", f"{ASSETS}999999/tags", {"Project": "P"}).status_code == 404
    counts = client.get("/_sim/log/summary").json()["counts"]
    assert counts["PUT /api/v1/assets/{id}/tags"] == 5 and counts["POST /api/v1/assets/{id}/tags"] == 4
    assert counts["DELETE /api/v1/assets/{id}/tags"] == 1 and counts["GET /api/v1/assets/{id}"] == 4


# ---------------------------------------------------------------------- shared machinery
def test_log_never_holds_secrets(client, api) -> None:
    client.post(TOKEN, data=token_form(password="wrong-" + PASSWORD), headers=basic())
    client.post(TOKEN, data=token_form(), headers=basic(client_secret="bad-" + CLIENT_SECRET))
    Reseller(client, STATIC_TOKEN).get(ASSETS)
    api.get(f"{ASSETS}{SINGLE_ORDER_ASSET}")
    entries = client.get("/_sim/log").json()["entries"]
    dumped = json.dumps(entries)
    for secret in (CLIENT_SECRET, PASSWORD, api.token, STATIC_TOKEN, basic()["Authorization"].split()[1], "Bearer", "Basic"):
        assert secret not in dumped
    token_entries = [entry for entry in entries if entry["path"] == TOKEN]
    assert [entry["body"] for entry in token_entries] == [{"grant_type": "password", "scope": "CustomerApi", "username": USERNAME}] * 3
    assert [entry["errorNumber"] for entry in token_entries] == [None, "invalid_grant", "invalid_client"]
    summary = client.get("/_sim/log/summary").json()
    assert summary["counts"] == {"POST /api/v1/connect/token": 3, "GET /api/v1/assets": 1, "GET /api/v1/assets/{id}": 1}
    assert entries[-1]["route"] == "/api/v1/assets/{id}" and entries[-1]["path"] == f"{ASSETS}{SINGLE_ORDER_ASSET}"
    assert entries[-1]["location"] == USERNAME and summary["writes"] == 0


def test_settings_are_checked(client) -> None:
    for bad in ({"resellerMaxPageSize": 0}, {"resellerBareArray": "yes"}, {"resellerIgnoredFields": "Name"}, {"resellerTokenSeconds": -1}):
        assert client.post("/_sim/settings", json=bad).status_code == 400
    current = client.get("/_sim/settings").json()
    assert (current["resellerMaxPageSize"], current["resellerTokenSeconds"], current["resellerIgnoredFields"]) == (100, None, [])


def test_reset_restores_assets_and_forgets_tokens(client, api) -> None:
    api.send("PUT", f"{ASSETS}{SINGLE_ORDER_ASSET}", {"Name": "changed"})
    client.post("/_sim/reset")
    assert api.get(ASSETS).status_code == 401
    assert Reseller(client, new_token(client)).asset(SINGLE_ORDER_ASSET)["Name"] == "Microsoft 365 E3"


def test_generated_seed_and_seed_errors(tmp_path) -> None:
    seed = json.loads(DEFAULT_SEED.read_text(encoding="utf-8"), parse_float=Decimal)
    section = {"clients": [{"clientId": "c", "clientSecret": "s"}], "users": [{"username": "u", "password": "p"}], "staticTokens": ["t"],
               "invoiceProfiles": [{"Id": 1, "Name": "P"}],
               "generate": {"assets": [{"count": 250, "idStart": 500001, "ResellerCustomerId": 7, "Name": "Bulk",
                                        "InvoiceProfile": {"Id": 1}, "SalesPrice": 1}]}}
    path = tmp_path / "bulk.json"
    path.write_text(json.dumps({"vpp": {"locations": []}, "reseller": section}), encoding="utf-8")
    from starlette.testclient import TestClient  # pylint: disable=import-outside-toplevel
    with TestClient(create_simulator(path), base_url="http://127.0.0.1") as client:
        api = Reseller(client, "t")
        page = api.list(Page=13, PageSize=20)
        assert page["TotalHits"] == 250 and [item["Id"] for item in page["Items"]] == list(range(500241, 500251))
        assert page["Items"][0]["Name"] == "Bulk 241" and page["Items"][0]["ExternalOrderId"] == "GEN-00241"
        assert page["Items"][0]["InvoiceProfile"] == {"Id": 1, "Name": "P"}
    for broken in ({"assets": [{"Id": 1, "Name": "x", "Status": 2, "AssetType": 2, "ResellerCustomerId": 1, "Colour": "red"}]},
                   {"assets": [{"Id": 1, "Name": "x", "Status": 3, "AssetType": 2, "ResellerCustomerId": 1}]},
                   {"assets": [{"Id": 1, "Name": "x", "Status": 2, "AssetType": 2, "ResellerCustomerId": 1, "InvoiceProfile": {"Id": 9}}]}):
        path.write_text(json.dumps({"reseller": broken}), encoding="utf-8")
        with pytest.raises(SeedError):
            create_simulator(path)
    assert len(seed["reseller"]["assets"]) == 48


@pytest.fixture
def wire(control: SimulatorControl) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=control.reseller_url, timeout=5) as http:
        yield http


def test_over_the_wire_with_control_helpers_and_a_fault(control, wire) -> None:
    credentials = control.reseller_credentials()
    assert credentials == {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "username": USERNAME, "password": PASSWORD}
    assert control.reseller_static_token() == STATIC_TOKEN
    token = wire.post(TOKEN, data=token_form(), auth=(CLIENT_ID, CLIENT_SECRET)).json()["AccessToken"]  # httpx's own Basic auth
    api = Reseller(wire, token)
    control.add_faults({"method": "GET", "path": "/api/v1/assets/*", "kind": "status", "status": 503, "errorNumber": "ServiceUnavailable", "retryAfter": "1"})
    failed = api.get(f"{ASSETS}{SINGLE_ORDER_ASSET}")
    assert (failed.status_code, failed.headers["retry-after"], failed.json()["ErrorCode"]) == (503, "1", "ServiceUnavailable")
    assert list(failed.json()) == ERROR_KEYS
    assert api.get(f"{ASSETS}{SINGLE_ORDER_ASSET}").status_code == 200
    control.add_faults({"path": "/api/v1/assets/", "kind": "status", "status": 502, "html": True})
    assert api.get(ASSETS).status_code == 502 and api.get(ASSETS).status_code == 200
    assert [entry["fault"] for entry in control.log()][-4:] == ["status", None, "status", None]
    assert control.summary()["counts"]["GET /api/v1/assets/{id}"] == 2
    assert control.reseller_asset(SINGLE_ORDER_ASSET)["PurchasePrice"] == "12.345678901234567890"
    assert control.expire_reseller_tokens() == 1 and api.get(ASSETS).status_code == 401
    assert control.reseller_state()["tokensIssued"] == 1


# ---------------------------------------------------------------------- servers that do not quite follow the reference
def test_ignored_query_parameters(client, api) -> None:
    settings(client, resellerIgnoredQuery=["ExternalOrderIds", "resellercustomerid"])
    assert len(api.ids(ExternalOrderIds="ORD-1001-A", ResellerCustomerId=1002)) == 31  # neither filter bound: Succeeded ones
    assert api.ids(ExternalOrderId="ORD-1001-A") == [SINGLE_ORDER_ASSET]  # others still are
    settings(client, resellerIgnoredQuery=["Page"], resellerBareArray=True)
    first = api.list(Status=15, PageSize=10)
    assert api.list(Status=15, PageSize=10, Page=3) == first and len(first) == 10  # every page is the first
    assert client.post("/_sim/settings", json={"resellerIgnoredQuery": "Page"}).status_code == 400


def test_list_in_seed_order(tmp_path) -> None:
    seed = {"reseller": {"staticTokens": ["t"], "assets": [
        {"Id": number, "Name": f"A{number}", "Status": 2, "AssetType": 2, "ResellerCustomerId": 1} for number in (3, 1, 2)]}}
    path = tmp_path / "unsorted.json"
    path.write_text(json.dumps(seed), encoding="utf-8")
    from starlette.testclient import TestClient  # pylint: disable=import-outside-toplevel
    with TestClient(create_simulator(path, resellerListOrder="seed"), base_url="http://127.0.0.1") as client:
        api = Reseller(client, "t")
        assert api.ids() == [3, 1, 2] and [item["Id"] for item in api.list(PageSize=2, Page=2)["Items"]] == [2]
        assert api.ids(SortBy=0) == [1, 2, 3]  # an explicit SortBy still sorts
        settings(client, resellerListOrder="id")
        assert api.ids() == [1, 2, 3]
        assert client.post("/_sim/settings", json={"resellerListOrder": "random"}).status_code == 400


def test_total_hits_overstated_or_omitted(client, api) -> None:
    settings(client, resellerTotalHits=10 ** 6)
    page = api.list(ResellerCustomerId=1001, Status=15, PageSize=100)
    assert page["TotalHits"] == 10 ** 6 and len(page["Items"]) == 24
    settings(client, resellerTotalHits="omit")
    assert list(api.list()) == ["Items"]
    settings(client, resellerTotalHits=None)
    assert api.list()["TotalHits"] == 31
    for bad in (-1, "many", 1.5, True):
        assert client.post("/_sim/settings", json={"resellerTotalHits": bad}).status_code == 400


def test_list_sends_some_fields_as_null_the_single_get_does_not(client, api) -> None:
    settings(client, resellerListNulls=["Tags", "InvoiceProfile", "AutoRenewEnabled"])
    listed = next(item for item in api.list(ExternalOrderId="ORD-1001-A")["Items"] if item["Id"] == SINGLE_ORDER_ASSET)
    whole = api.asset(SINGLE_ORDER_ASSET)
    assert listed["Tags"] is None and listed["InvoiceProfile"] is None and listed["AutoRenewEnabled"] is None
    assert whole["Tags"] is not None and whole["Name"] == listed["Name"]
    assert client.post("/_sim/settings", json={"resellerListNulls": "Tags"}).status_code == 400


def test_a_page_size_above_the_limit_is_refused_not_clamped(client, api) -> None:
    settings(client, resellerRefusePageSizeAbove=50)
    refused = client.get(ASSETS, params={"PageSize": 100}, headers=api.headers)
    assert refused.status_code == 400 and refused.json()["Parameters"] == {"PageSize": "100"}
    assert len(api.list(PageSize=50)["Items"]) == 31
    assert len(api.list(PageSize=20)["Items"]) == 20


def test_tag_writes_ignored(client, api) -> None:
    settings(client, resellerIgnoredFields=["Tags"])
    tags_path = f"{ASSETS}{UNTAGGED_NO_PROFILE}/tags"
    created = api.send("POST", tags_path, {"Owner": "dana"})
    assert created.status_code == 200 and created.json()["Owner"] == "dana"  # answered as if written
    assert api.asset(UNTAGGED_NO_PROFILE)["Tags"] is None
    before = api.asset(SINGLE_ORDER_ASSET)
    assert api.send("PUT", f"{ASSETS}{SINGLE_ORDER_ASSET}/tags", {"Owner": "x"}).status_code == 200
    assert api.send("DELETE", f"{ASSETS}{SINGLE_ORDER_ASSET}/tags").status_code == 200
    assert api.asset(SINGLE_ORDER_ASSET) == before
    assert api.send("PUT", tags_path, {"Owner": "x"}).status_code == 404  # still checked as usual
    assert api.send("PUT", f"{ASSETS}{SINGLE_ORDER_ASSET}", {"Name": "still taken"}).json()["Name"] == "still taken"


# ---------------------------------------------------------------------- fault extras
def add_faults(client, *rules: dict[str, Any]) -> Any:
    return client.post("/_sim/faults", json={"faults": list(rules)})


def test_status_fault_with_its_own_message_or_body(client, api) -> None:
    add_faults(client, {"method": "GET", "path": "/api/v1/assets/*", "kind": "status", "status": 400, "errorNumber": "InvalidFilter",
                        "message": "PageSize is too large"})
    failed = api.get(ASSETS)
    assert failed.status_code == 400 and failed.json() == {"ErrorCode": "InvalidFilter", "Message": "PageSize is too large",
                                                           "Parameters": {}, "ObjectErrors": []}
    body = {"ErrorCode": "InvalidFilter", "Message": "m", "Parameters": {"PageSize": "1000"}, "ObjectErrors": [{"Field": "PageSize"}]}
    add_faults(client, {"path": "/api/v1/assets/", "kind": "status", "status": 400, "body": body})
    assert api.get(ASSETS).json() == body
    add_faults(client, {"path": "/api/v1/assets/", "kind": "status", "status": 200, "body": {"Items": "not a list"}})
    assert api.get(ASSETS).json() == {"Items": "not a list"}
    add_faults(client, {"method": "POST", "path": TOKEN, "kind": "status", "status": 401, "body": ""},
               {"method": "POST", "path": TOKEN, "kind": "status", "status": 503, "message": "maintenance", "retryAfter": "2"})
    empty = client.post(TOKEN, data=token_form(), headers=basic())
    assert (empty.status_code, empty.content) == (401, b"")
    plain_text = client.post(TOKEN, data=token_form(), headers=basic())
    assert (plain_text.status_code, plain_text.text, plain_text.headers["retry-after"]) == (503, "maintenance", "2")
    assert [entry["fault"] for entry in client.get("/_sim/log").json()["entries"]] == [None] + ["status"] * 5  # the api fixture's login first
    for bad in ({"message": 5}, {"body": {"a": 1}, "html": True}, {"body": "x", "message": "y"}):
        assert add_faults(client, {"path": ASSETS, "kind": "status", "status": 500, **bad}).status_code == 400
    assert api.get(ASSETS).status_code == 200


def test_mutate_update_and_remove_asset(client, api) -> None:
    rules = [{"method": "GET", "path": ASSETS, "kind": "mutate", "action": "update_asset", "assetId": UNTAGGED_NO_PROFILE, "after": 1,
              "fields": {"Name": "Renamed elsewhere", "InvoiceProfile": {"Id": 502}, "SalesPrice": "0.30000000000000000001"}},
             {"method": "GET", "path": ASSETS, "kind": "mutate", "action": "remove_asset", "assetId": 100002, "after": 2}]
    assert add_faults(client, *rules).status_code == 200
    first = api.list(ResellerCustomerId=1001, PageSize=3)  # before any change
    assert [item["Id"] for item in first["Items"]] == [100001, 100002, 100003]
    second = api.list(ResellerCustomerId=1001, PageSize=3, Page=2)  # changed just before this page
    assert any(item["Name"] == "Renamed elsewhere" for item in second["Items"])
    changed = api.asset(UNTAGGED_NO_PROFILE)
    assert changed["InvoiceProfile"] == {"Id": 502, "Name": "Marketing"} and changed["SalesPrice"] == Decimal("0.30000000000000000001")
    third = api.list(ResellerCustomerId=1001, PageSize=3)  # removed just before this one: the rest moves up
    assert [item["Id"] for item in third["Items"]][:2] == [100001, 100003] and third["TotalHits"] == first["TotalHits"] - 1
    assert api.get(f"{ASSETS}100002").status_code == 404
    for bad in ({"action": "explode", "assetId": 100001}, {"action": "remove_asset", "assetId": 1},
                {"action": "update_asset", "assetId": 100001}, {"action": "update_asset", "assetId": 100001, "fields": {"Id": 5}},
                {"action": "update_asset", "assetId": 100001, "fields": {"Colour": "red"}},
                {"action": "update_asset", "assetId": 100001, "fields": {"Status": 3}},
                {"action": "update_asset", "assetId": 100001, "fields": {"PurchasePrice": "a lot"}}):
        assert add_faults(client, {"path": ASSETS, "kind": "mutate", **bad}).status_code == 400, bad


def test_in_process_drops_are_httpx_errors() -> None:
    from tests.utils.inprocess import InProcessSimulator  # pylint: disable=import-outside-toplevel
    sim = InProcessSimulator()
    try:
        with httpx.Client(transport=sim.transport(), base_url=sim.reseller_url) as http:
            api = Reseller(http, sim.reseller_static_token())
            sim.add_faults({"method": "PUT", "path": f"{ASSETS}{SINGLE_ORDER_ASSET}", "kind": "drop_before"},
                           {"method": "PUT", "path": f"{ASSETS}{SINGLE_ORDER_ASSET}", "kind": "drop_after"})
            with pytest.raises(httpx.RemoteProtocolError):
                api.send("PUT", f"{ASSETS}{SINGLE_ORDER_ASSET}", {"Name": "first"})
            assert sim.reseller_asset(SINGLE_ORDER_ASSET)["Name"] == "Microsoft 365 E3"  # not applied
            with pytest.raises(httpx.RemoteProtocolError):
                api.send("PUT", f"{ASSETS}{SINGLE_ORDER_ASSET}", {"Name": "second"})
            assert sim.reseller_asset(SINGLE_ORDER_ASSET)["Name"] == "second"  # applied, answer lost
            assert api.asset(SINGLE_ORDER_ASSET)["Name"] == "second"  # the next request is served
        assert [(entry["fault"], entry["status"]) for entry in sim.log()] == [("drop_before", None), ("drop_after", 200), (None, 200)]
        sent = sim.sent()
        assert [request.method for request in sent] == ["PUT", "PUT", "GET"] and sent[0].headers["authorization"].startswith("Bearer ")
        assert json.loads(sent[1].content) == {"Name": "second"}
    finally:
        sim.close()
