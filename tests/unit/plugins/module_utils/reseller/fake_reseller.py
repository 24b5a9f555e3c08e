"""Test helpers for the reseller client: an in-memory reseller platform (an ``httpx.MockTransport`` handler).

Not a test module; the test files of this folder import it by name (pytest puts their folder on sys.path).

The fake writes its own JSON (``dumps`` below, independent of the collection's ``encode_json``) so
that prices go over the wire exactly as the test wrote them, and it keeps every request it saw
(method, path, query as a list of pairs, headers, raw body) for the tests to inspect.
"""
from __future__ import annotations

import base64
import copy
import decimal
import json
import urllib.parse
from typing import Any, Callable, Dict, List, Optional, Tuple

import httpx

API_URL = "https://reseller.example.test"
TOKEN_PATH = "/api/v1/connect/token"
ASSETS_PATH = "/api/v1/assets/"

CLIENT_ID = "client-7f3a"
CLIENT_SECRET = "client-SECRET-9d2e41"
USERNAME = "ops@example.test"
PASSWORD = "pass-SECRET-b81c07"
STATIC_TOKEN = "static-TOKEN-51aa"

TAG_KEYS = ("CostCenter", "Department", "Project", "Custom", "Owner")
EDITABLE = ("Name", "InvoiceProfile", "AutoRenewEnabled")


def dumps(value: Any) -> str:
    """JSON with decimal.Decimal written as its own digits (the fake's writer, not the collection's)."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(key) + ":" + dumps(item) for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    return json.dumps(value)


def loads(text: Any) -> Any:
    return json.loads(text, parse_float=decimal.Decimal)


def json_response(status: int, value: Any, headers: Optional[Dict[str, str]] = None) -> httpx.Response:
    return httpx.Response(status, content=dumps(value).encode("utf-8"),
                          headers=dict({"Content-Type": "application/json"}, **(headers or {})))


def error(status: int, code: str, message: str, **extra: Any) -> httpx.Response:
    return json_response(status, dict({"ErrorCode": code, "Message": message, "Parameters": {}, "ObjectErrors": []}, **extra))


def asset(asset_id: int, **fields: Any) -> Dict[str, Any]:
    """A full Asset in the API's PascalCase, in the API's field order; ``fields`` override (PascalCase keys)."""
    record: Dict[str, Any] = {
        "InvoiceProfile": {"Id": 11, "Name": "Default profile"},
        "Id": asset_id,
        "Status": 2,
        "ExternalOrderId": "ORD-{0}".format(asset_id),
        "Quantity": 5,
        "ExternalProductId": "PROD-1",
        "ExternalSkuId": "SKU-{0}".format(asset_id),
        "Name": "Asset {0}".format(asset_id),
        "StartDate": "2023-06-10T08:20:30.123",
        "ExpirationDate": None,
        "ResellerCustomerId": 501,
        "Scope": 2,
        "AssetType": 2,
        "BillingCycle": 2,
        "PublisherId": 2,
        "ProgramId": 7,
        "ReservationId": None,
        "ReservationUsedInSubscriptionId": None,
        "ReservationUsedInSubscription": None,
        "PurchaseCurrency": "EUR",
        "PurchasePrice": decimal.Decimal("1234.567890123456789012345"),
        "SalesCurrency": "NOK",
        "SalesPrice": decimal.Decimal("0.1"),
        "CreatedDate": "2023-06-10T08:20:30.123",
        "ModifiedDate": "2023-07-01T00:00:00",
        "ChangedBy": "someone@example.test",
        "ReservedInstanceArtifactResourceId": None,
        "PurchaseDate": "2023-06-10T08:20:30",
        "Tags": None,
        "AutoRenewEnabled": True,
        "ProductVariantId": 9001,
    }
    record.update(fields)
    return record


def tags(asset_id: int, **values: Optional[str]) -> Dict[str, Any]:
    return dict({"AssetId": asset_id}, **{key: values.get(key) for key in TAG_KEYS})


def camel(value: Any) -> Any:
    """The same JSON with camelCase keys (some deployments answer so)."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel(item) for item in value]
    return value


class Request(object):
    """One request as the fake received it."""

    def __init__(self, request: httpx.Request):
        self.method = request.method
        self.path = request.url.path
        self.query: List[Tuple[str, str]] = list(request.url.params.multi_items())
        self.headers = request.headers
        self.content = request.content

    @property
    def auth(self) -> Optional[str]:
        return self.headers.get("authorization")

    def form(self) -> Dict[str, List[str]]:
        return urllib.parse.parse_qs(self.content.decode("ascii"))

    def json(self) -> Any:
        return loads(self.content)

    def param(self, name: str) -> List[str]:
        return [value for key, value in self.query if key == name]


class FakeReseller:
    """The Asset resource: OAuth password grant, paged list, GET/PUT of one asset, tags.

    ``page_size_cap`` is the largest page the server sends whatever PageSize asks; ``bare_array``
    answers lists without the {Items, TotalHits} envelope; ``camel_case`` answers with camelCase
    keys. ``honoured`` names the fields a PUT takes (others are silently ignored). ``faults`` is a
    queue of (method, path-prefix, Response) consumed by the first matching request. Tokens stop
    working with ``expire_tokens()``; with ``issue_bad_tokens`` the login hands out tokens the API
    refuses. ``static_tokens`` are accepted without a login.
    """

    def __init__(self, assets: Optional[List[Dict[str, Any]]] = None, page_size_cap: int = 1000,
                 bare_array: bool = False, camel_case: bool = False, total_hits_override: Optional[int] = None):
        self.assets: Dict[int, Dict[str, Any]] = {record["Id"]: copy.deepcopy(record) for record in assets or []}
        self.page_size_cap = page_size_cap
        self.bare_array = bare_array
        self.camel_case = camel_case
        self.total_hits_override = total_hits_override
        self.honoured = set(EDITABLE)
        self.honour_tags = True
        self.faults: List[Tuple[str, str, httpx.Response]] = []
        self.log: List[Request] = []
        self.valid_tokens = {STATIC_TOKEN}
        self.issued: List[str] = []
        self.issue_bad_tokens = False
        self.profiles = {11: "Default profile", 12: "Second profile"}
        self.before: Optional[Callable[[Request], Optional[httpx.Response]]] = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- measurements ---------------------------------------------------------------------------

    def requests(self, method: Optional[str] = None, path: Optional[str] = None) -> List[Request]:
        return [entry for entry in self.log if (method is None or entry.method == method)
                and (path is None or entry.path == path)]

    def logins(self) -> List[Request]:
        return self.requests("POST", TOKEN_PATH)

    def writes(self) -> List[Request]:
        return [entry for entry in self.log if entry.method != "GET" and entry.path != TOKEN_PATH]

    def expire_tokens(self) -> None:
        self.valid_tokens = {STATIC_TOKEN}

    # -- the server -----------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        entry = Request(request)
        self.log.append(entry)
        for index, (method, prefix, response) in enumerate(self.faults):
            if method == entry.method and entry.path.startswith(prefix):
                del self.faults[index]
                return response
        if self.before is not None:
            answer = self.before(entry)
            if answer is not None:
                return answer
        if entry.path == TOKEN_PATH:
            return self._token(entry)
        auth = entry.auth or ""
        if not auth.startswith("Bearer ") or auth[len("Bearer "):] not in self.valid_tokens:
            return json_response(401, {"ErrorCode": "Unauthorized", "Message": "Authorization has been denied for this request."})
        answer = self._assets(entry)
        return answer

    def _token(self, entry: Request) -> httpx.Response:
        expected = "Basic " + base64.b64encode("{0}:{1}".format(CLIENT_ID, CLIENT_SECRET).encode()).decode()
        if entry.method != "POST" or entry.auth != expected:
            return json_response(401, {"error": "invalid_client"})
        form = entry.form()
        if form.get("grant_type") != ["password"] or form.get("scope") != ["CustomerApi"]:
            return json_response(400, {"error": "unsupported_grant_type"})
        if form.get("username") != [USERNAME] or form.get("password") != [PASSWORD]:
            return json_response(400, {"error": "invalid_grant", "error_description": "The user name or password is incorrect."})
        token = "issued-TOKEN-{0}".format(len(self.issued) + 1)
        self.issued.append(token)
        if not self.issue_bad_tokens:
            self.valid_tokens.add(token)
        return json_response(200, {"AccessToken": token, "ExpiresIn": 3600, "TokenType": "Bearer", "RefreshToken": None})

    def _wire(self, value: Any) -> Any:
        return camel(value) if self.camel_case else value

    def _assets(self, entry: Request) -> httpx.Response:
        rest = entry.path[len(ASSETS_PATH):] if entry.path.startswith(ASSETS_PATH) else None
        if rest is None:
            return httpx.Response(404, text="no such route")
        if rest == "" and entry.method == "GET":
            return self._list(entry)
        parts = rest.strip("/").split("/")
        if not parts[0].isdigit():
            return httpx.Response(404, text="no such route")
        record = self.assets.get(int(parts[0]))
        if record is None:
            return error(404, "NotFound", "Asset {0} was not found".format(parts[0]))
        if len(parts) == 1 and entry.method == "GET":
            return json_response(200, self._wire(record))
        if len(parts) == 1 and entry.method == "PUT":
            body = entry.json()
            for key, value in body.items():
                if key in self.honoured:
                    if key == "InvoiceProfile" and value is not None:
                        value = {"Id": value["Id"], "Name": self.profiles.get(value["Id"])}
                    record[key] = value
            return json_response(200, self._wire(record))
        if parts[1:] == ["tags"]:
            return self._tags(entry, record)
        return httpx.Response(405, text="method not allowed")

    def _tags(self, entry: Request, record: Dict[str, Any]) -> httpx.Response:
        if entry.method == "DELETE":
            if self.honour_tags:
                record["Tags"] = None
            return httpx.Response(200)
        if entry.method not in ("POST", "PUT"):
            return httpx.Response(405, text="method not allowed")
        if entry.method == "POST" and record["Tags"] is not None:
            return error(400, "TagsExist", "The asset already has tags: use PUT")
        if entry.method == "PUT" and record["Tags"] is None:
            return error(404, "TagsNotFound", "The asset has no tags: use POST")
        body = entry.json()
        value = tags(record["Id"], **{key: body.get(key) for key in TAG_KEYS})
        if self.honour_tags:
            record["Tags"] = value
        return json_response(200, value)

    def _list(self, entry: Request) -> httpx.Response:
        selected = sorted(self.assets.values(), key=lambda record: record["Id"])
        status = entry.param("Status")
        flags = int(status[0]) if status else 2
        selected = [record for record in selected if record["Status"] & flags]
        for name in ("ResellerCustomerId", "PublisherId", "AssetType"):
            if entry.param(name):
                selected = [record for record in selected if str(record[name]) == entry.param(name)[0]]
        if entry.param("ExternalOrderIds"):
            selected = [record for record in selected if record["ExternalOrderId"] in entry.param("ExternalOrderIds")]
        page = int((entry.param("Page") or ["1"])[0])
        size = min(int((entry.param("PageSize") or ["20"])[0]), self.page_size_cap)
        items = selected[(page - 1) * size:page * size]
        if self.bare_array:
            return json_response(200, self._wire(items))
        total = len(selected) if self.total_hits_override is None else self.total_hits_override
        return json_response(200, self._wire({"Items": items, "TotalHits": total}))
