"""The reseller platform's Asset API under /api/v1, as Crayon documents it
(Cloud-iQ API, Asset resource): OAuth password grant (Basic client auth, scope CustomerApi),
bearer tokens that expire, the asset list with PascalCase filters and {Items, TotalHits} paging from
page 1, GET/PUT of one asset, tags, and the {ErrorCode, Message, Parameters, ObjectErrors} error body.

Prices are decimal.Decimal from the seed to the wire (``encode_json``): never a float.
"""
from __future__ import annotations

import base64
import binascii
import copy
import http
import json
import re
import secrets
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Awaitable, Callable

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .core import ApiHalf, Caller, ExtraSetting, Settings, SettingsError, _logged_body
from .state import SeedError

PREFIX = "/api/v1"
TOKEN_PATH = PREFIX + "/connect/token"
ASSET_ROUTE = PREFIX + "/assets/{id}"
TAGS_ROUTE = PREFIX + "/assets/{id}/tags"
WRITE_PATHS = frozenset({f"PUT {ASSET_ROUTE}", f"POST {TAGS_ROUTE}", f"PUT {TAGS_ROUTE}", f"DELETE {TAGS_ROUTE}"})
_ID_PATH = re.compile(r"^/api/v1/assets/(\d+)(/tags)?/?$")

# Every Asset field, in the order the API sends them.
ASSET_FIELDS = (
    "InvoiceProfile", "Id", "Status", "ExternalOrderId", "Quantity", "ExternalProductId", "ExternalSkuId", "Name",
    "StartDate", "ExpirationDate", "ResellerCustomerId", "Scope", "AssetType", "BillingCycle", "PublisherId", "ProgramId",
    "ReservationId", "ReservationUsedInSubscriptionId", "ReservationUsedInSubscription", "PurchaseCurrency", "PurchasePrice",
    "SalesCurrency", "SalesPrice", "CreatedDate", "ModifiedDate", "ChangedBy", "ReservedInstanceArtifactResourceId",
    "PurchaseDate", "Tags", "AutoRenewEnabled", "ProductVariantId",
)
TAG_FIELDS = ("CostCenter", "Department", "Project", "Custom", "Owner")
PRICE_FIELDS = ("PurchasePrice", "SalesPrice")
EDITABLE_FIELDS = ("Name", "InvoiceProfile", "AutoRenewEnabled")  # what a PUT honours
STATUS_FLAGS = {1: "Fulfilling", 2: "Succeeded", 4: "Cancelled", 8: "Expired"}
ALL_STATUSES = 15
DEFAULT_STATUS_FILTER = 2  # no Status in the query: Succeeded only
ASSET_TYPES = {1: "Reservation", 2: "Software", 3: "Subscription"}
SORT_FIELDS = {0: "Name", 1: "PurchaseDate", 2: "ExpirationDate"}
DEFAULT_PAGE_SIZE = 20
MUTATIONS = ("update_asset", "remove_asset")  # mutate fault actions: {"assetId", "fields"} / {"assetId"}
DEFAULT_TOKEN_SECONDS = 3600


# ---------------------------------------------------------------------- JSON with exact decimals
def decimal_text(value: Decimal) -> str:
    """A decimal as a JSON number, digit for digit (plain notation, never through float)."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    return format(value, "f")


def encode_json(value: Any) -> bytes:
    """Compact JSON like starlette's JSONResponse, but Decimals are written exactly."""
    parts: list[str] = []
    _encode(value, parts.append)
    return "".join(parts).encode("utf-8")


def _encode(value: Any, out: Callable[[str], Any]) -> None:
    if value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif isinstance(value, Decimal):
        out(decimal_text(value))
    elif isinstance(value, int):
        out(str(int(value)))
    elif isinstance(value, (float, str)):
        out(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, dict):
        out("{")
        for index, (key, item) in enumerate(value.items()):
            out(("," if index else "") + json.dumps(str(key), ensure_ascii=False) + ":")
            _encode(item, out)
        out("}")
    elif isinstance(value, (list, tuple)):
        out("[")
        for index, item in enumerate(value):
            if index:
                out(",")
            _encode(item, out)
        out("]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


class ExactJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return encode_json(content)


def camel_case(value: Any) -> Any:
    """Every dict key with its first letter in lower case (TotalHits -> totalHits), recursively."""
    if isinstance(value, dict):
        return {(key[:1].lower() + key[1:] if isinstance(key, str) else key): camel_case(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel_case(item) for item in value]
    return value


def plain(value: Any) -> Any:
    """A copy safe for the standard json module: Decimals become their exact text."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def now_text() -> str:
    """The API's date form: UTC without a zone, milliseconds (2023-06-10T08:20:30.123)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


# ---------------------------------------------------------------------- errors
class ResellerError(Exception):
    """An /api/v1 error in the documented body shape."""

    def __init__(self, status: int, code: str, message: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameters = parameters or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.parameters)


class OAuthError(Exception):
    """A token endpoint error: {"error", "error_description"} as OAuth2 servers answer."""

    def __init__(self, status: int, error: str, description: str | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, Any]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


def error_body(code: str, message: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"ErrorCode": code, "Message": message, "Parameters": dict(parameters or {}), "ObjectErrors": []}


def _bad_request(message: str, **parameters: Any) -> ResellerError:
    return ResellerError(400, "BadRequest", message, {key: str(value) for key, value in parameters.items()})


def _not_found(asset_id: int) -> ResellerError:
    return ResellerError(404, "NotFound", f"Asset {asset_id} was not found.", {"Id": str(asset_id)})


# ---------------------------------------------------------------------- settings
def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SettingsError(f"{key} must be an integer >= 1")
    return value


def _optional_positive_int(key: str, value: Any) -> int | None:
    return None if value is None else _positive_int(key, value)


def _optional_seconds(key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)) or value < 0:
        raise SettingsError(f"{key} must be a number >= 0, or null for the seed's tokenSeconds")
    return value if isinstance(value, int) else float(value)


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"{key} must be true or false")
    return value


def _field_names(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise SettingsError(f"{key} must be a list of Asset field names")
    return list(value)


def _query_names(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise SettingsError(f"{key} must be a list of query parameter names")
    return list(value)


LIST_ORDERS = ("id", "seed")


def _list_order(key: str, value: Any) -> str:
    if value not in LIST_ORDERS:
        raise SettingsError(f"{key} must be one of {list(LIST_ORDERS)}")
    return value


def _total_hits(key: str, value: Any) -> int | str | None:
    if value is None or value == "omit" or (_is_int(value) and value >= 0):
        return value
    raise SettingsError(f"{key} must be null (the real count), an integer >= 0 or \"omit\"")


SETTINGS: dict[str, ExtraSetting] = {
    "resellerTokenSeconds": (None, _optional_seconds),  # null: the seed's "tokenSeconds"
    "resellerMaxPageSize": (100, _positive_int),
    "resellerBareArray": (False, _flag),
    "resellerCamelCase": (False, _flag),
    "resellerIgnoredFields": ([], _field_names),
    "resellerEmptyPutResponse": (False, _flag),
    "resellerMaxRequestPerSecond": (None, _optional_positive_int),
    # servers that do not quite follow the reference
    "resellerIgnoredQuery": ([], _query_names),  # query parameters the list does not bind (e.g. filters, Page)
    "resellerListOrder": ("id", _list_order),  # "seed": the list without SortBy comes in seed order, not by Id
    "resellerTotalHits": (None, _total_hits),  # null: the real count; a number: always that; "omit": no TotalHits
    "resellerListNulls": ([], _field_names),  # Asset fields the list sends as null (the single GET has them)
    "resellerRefusePageSizeAbove": (None, _optional_positive_int),  # a larger PageSize is a 400, not clamped
}


# ---------------------------------------------------------------------- the data
@dataclass
class IssuedToken:
    username: str
    expires_at: float  # time.monotonic()


def _lower_keys(value: dict[str, Any]) -> dict[str, Any]:
    """Request body keys matched case-insensitively: lower-cased (the last of equal keys wins)."""
    return {str(key).lower(): item for key, item in value.items()}


def _seed_list(section: dict[str, Any], name: str) -> list[Any]:
    value = section.get(name) or []
    if not isinstance(value, list):
        raise SeedError(f"reseller.{name} must be a list")
    return value


class ResellerWorld:
    """Clients, users, tokens, invoice profiles and assets of the reseller half."""

    def __init__(self, section: dict[str, Any] | None = None) -> None:
        section = copy.deepcopy(section or {})
        try:
            self.clients = {str(item["clientId"]): str(item["clientSecret"]) for item in _seed_list(section, "clients")}
            self.users = {str(item["username"]): str(item["password"]) for item in _seed_list(section, "users")}
        except (KeyError, TypeError) as exc:
            raise SeedError(f"reseller clients need clientId and clientSecret, users username and password: {exc!r}") from exc
        self.client_list = [{"clientId": key, "clientSecret": value} for key, value in self.clients.items()]
        self.user_list = [{"username": key, "password": value} for key, value in self.users.items()]
        first_user = next(iter(self.users), "static-token")
        self.static_tokens: dict[str, str] = {}
        for item in _seed_list(section, "staticTokens"):
            if isinstance(item, str):
                self.static_tokens[item] = first_user
            elif isinstance(item, dict) and isinstance(item.get("token"), str):
                self.static_tokens[item["token"]] = str(item.get("username") or first_user)
            else:
                raise SeedError("reseller.staticTokens: a token string or {\"token\", \"username\"}")
        seconds = section.get("tokenSeconds", DEFAULT_TOKEN_SECONDS)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, Decimal)) or seconds < 0:
            raise SeedError("reseller.tokenSeconds must be a number >= 0")
        self.token_seconds = float(seconds)
        self.profiles: dict[int, str] = {}
        for item in _seed_list(section, "invoiceProfiles"):
            if not isinstance(item, dict) or not _is_int(item.get("Id")) or not isinstance(item.get("Name"), str):
                raise SeedError(f"reseller.invoiceProfiles: {item!r} needs an integer Id and a Name")
            if item["Id"] in self.profiles:
                raise SeedError(f"reseller.invoiceProfiles: Id {item['Id']} twice")
            self.profiles[item["Id"]] = item["Name"]
        self.assets: dict[int, dict[str, Any]] = {}
        specs = list(_seed_list(section, "assets")) + _generated(section.get("generate"))
        for spec in specs:
            asset = self._checked_asset(spec)
            if asset["Id"] in self.assets:
                raise SeedError(f"reseller asset Id {asset['Id']} twice")
            self.assets[asset["Id"]] = asset
        self.issued: dict[str, IssuedToken] = {}
        self.tokens_issued = 0
        self.issued_ever: list[str] = []  # every access token handed out since load (for secret-hygiene tests)

    def _checked_asset(self, spec: Any) -> dict[str, Any]:
        if not isinstance(spec, dict):
            raise SeedError(f"a reseller asset must be an object: {spec!r}")
        unknown = sorted(set(spec) - set(ASSET_FIELDS))
        label = f"reseller asset {spec.get('Id')!r}"
        if unknown:
            raise SeedError(f"{label}: unknown fields {unknown}")
        asset = {field: copy.deepcopy(spec.get(field)) for field in ASSET_FIELDS}
        if not _is_int(asset["Id"]):
            raise SeedError(f"{label}: Id must be an integer")
        if asset["Status"] not in STATUS_FLAGS:
            raise SeedError(f"{label}: Status must be one of {sorted(STATUS_FLAGS)}")
        if asset["AssetType"] not in ASSET_TYPES:
            raise SeedError(f"{label}: AssetType must be one of {sorted(ASSET_TYPES)}")
        if not isinstance(asset["Name"], str) or not _is_int(asset["ResellerCustomerId"]):
            raise SeedError(f"{label}: Name and ResellerCustomerId are required")
        for field in PRICE_FIELDS:
            if asset[field] is not None and (isinstance(asset[field], bool) or not isinstance(asset[field], (int, Decimal))):
                raise SeedError(f"{label}: {field} must be a number")
        profile = asset["InvoiceProfile"]
        if profile is not None:
            if not isinstance(profile, dict) or profile.get("Id") not in self.profiles:
                raise SeedError(f"{label}: InvoiceProfile must be null or {{\"Id\": <a seeded invoice profile>}}")
            asset["InvoiceProfile"] = {"Id": profile["Id"], "Name": profile.get("Name") or self.profiles[profile["Id"]]}
        tags = asset["Tags"]
        if tags is not None:
            if not isinstance(tags, dict) or set(tags) - {"AssetId", *TAG_FIELDS}:
                raise SeedError(f"{label}: Tags must be null or AssetTags")
            asset["Tags"] = {"AssetId": asset["Id"], **{field: tags.get(field) for field in TAG_FIELDS}}
        return asset

    # ------------------------------------------------------------------ tokens
    def issue(self, username: str, seconds: float) -> str:
        token = secrets.token_urlsafe(32)
        self.issued[token] = IssuedToken(username, time.monotonic() + seconds)
        self.tokens_issued += 1
        self.issued_ever.append(token)
        return token

    def user_for(self, token: str) -> str | None:
        """The username a bearer token acts for, or None (unknown, expired or expired by /_sim)."""
        if token in self.static_tokens:
            return self.static_tokens[token]
        issued = self.issued.get(token)
        if issued is None:
            return None
        if time.monotonic() >= issued.expires_at:
            del self.issued[token]
            return None
        return issued.username

    def expire_tokens(self) -> int:
        count = len(self.issued)
        self.issued.clear()
        return count

    def state(self) -> dict[str, Any]:
        now = time.monotonic()
        return {
            "assets": [plain(self.assets[asset_id]) for asset_id in sorted(self.assets)],
            "invoiceProfiles": [{"Id": key, "Name": name} for key, name in self.profiles.items()],
            "tokensIssued": self.tokens_issued,
            "tokensValid": sum(1 for token in self.issued.values() if now < token.expires_at),
        }


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _generated(generate: Any) -> list[dict[str, Any]]:
    """{"assets": [{"count": N, "idStart": ID, "orderPrefix": "GEN-", <Asset fields as a template>}]}:
    N assets with consecutive Ids, Names "<Name> <n>" and ExternalOrderIds "<orderPrefix><n:05>"."""
    if not generate:
        return []
    rules = generate.get("assets") if isinstance(generate, dict) else None
    if not isinstance(rules, list):
        raise SeedError('reseller.generate must be {"assets": [rule, ...]}')
    specs = []
    for rule in rules:
        if not isinstance(rule, dict) or not _is_int(rule.get("count")) or not _is_int(rule.get("idStart")):
            raise SeedError(f"reseller.generate rule {rule!r} needs integer count and idStart")
        template = {key: value for key, value in rule.items() if key not in ("count", "idStart", "orderPrefix")}
        template.setdefault("Status", 2)
        template.setdefault("AssetType", 2)
        template.setdefault("Quantity", 1)
        name = template.get("Name") or "Generated asset"
        prefix = rule.get("orderPrefix", "GEN-")
        for number in range(1, rule["count"] + 1):
            spec = copy.deepcopy(template)
            spec.update(Id=rule["idStart"] + number - 1, Name=f"{name} {number}", ExternalOrderId=f"{prefix}{number:05d}")
            specs.append(spec)
    return specs


# ---------------------------------------------------------------------- request parsing helpers
class _Query:
    """The query string with case-insensitive names (ASP.NET binds them so)."""

    def __init__(self, request: Request, ignored: Any = ()) -> None:
        self._values: dict[str, list[str]] = {}
        skipped = {name.lower() for name in ignored}
        for key, value in request.query_params.multi_items():
            if key.lower() not in skipped:
                self._values.setdefault(key.lower(), []).append(value)

    def all(self, name: str) -> list[str]:
        return self._values.get(name.lower(), [])

    def get(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def int(self, name: str, choices: Any = None, minimum: int | None = None) -> int | None:
        text = self.get(name)
        if text is None or text == "":
            return None
        try:
            value = int(text)
        except ValueError:
            raise _bad_request(f"The value '{text}' is not valid for {name}.", **{name: text}) from None
        if (choices is not None and value not in choices) or (minimum is not None and value < minimum):
            raise _bad_request(f"The value '{text}' is not valid for {name}.", **{name: text})
        return value


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw, parse_float=Decimal) if raw.strip() else None
    except ValueError:
        raise _bad_request("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise _bad_request("The request body must be a JSON object.")
    return _lower_keys(body)


def _sort_key(field: str) -> Callable[[dict[str, Any]], Any]:
    def key(asset: dict[str, Any]) -> Any:
        value = asset[field]
        if isinstance(value, str) and field == "Name":
            value = value.lower()
        return (value is None, value if value is not None else "", asset["Id"])
    return key


def _redacted_token_form(body: bytes) -> Any:
    """The token request as the log keeps it: grant_type, scope and username only."""
    try:
        form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return "<redacted>"
    return {key: form[key][0] for key in ("grant_type", "scope", "username") if key in form}


# ---------------------------------------------------------------------- the half
class ResellerApi(ApiHalf):
    """The /api/v1 half of the simulator."""

    name = "reseller"
    prefix = PREFIX
    write_paths = WRITE_PATHS
    exact_decimals = True

    def __init__(self) -> None:
        super().__init__()
        self.world = ResellerWorld()

    def load(self, seed: dict[str, Any], settings: Settings) -> None:
        self.settings = settings
        self.world = ResellerWorld(seed.get("reseller"))

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/connect/token", self.token, methods=["POST"]),
            Route("/assets", self._authenticated(self.list_assets)),
            Route("/assets/", self._authenticated(self.list_assets)),
            Route("/assets/{id:int}", self._authenticated(self.asset), methods=["GET", "PUT"]),
            Route("/assets/{id:int}/tags", self._authenticated(self.tags), methods=["POST", "PUT", "DELETE"]),
        ]

    def control_routes(self) -> list[BaseRoute]:
        return [
            Route("/expire-tokens", self._expire_tokens_endpoint, methods=["POST"]),
            Route("/credentials", self._credentials_endpoint),
            Route("/issued-tokens", self._issued_tokens_endpoint),
        ]

    # ------------------------------------------------------------------ ApiHalf hooks
    def extra_settings(self) -> dict[str, ExtraSetting]:
        return SETTINGS

    def rate_limit(self, settings: Settings) -> int | None:
        return settings.get("resellerMaxRequestPerSecond")

    def caller(self, path: str, headers: Headers) -> Caller | None:
        username = self._user_for(headers)
        return Caller("reseller:" + username, username) if username is not None and path != TOKEN_PATH else None

    def route_template(self, path: str) -> str:
        match = _ID_PATH.match(path)
        if match:
            return TAGS_ROUTE if match.group(2) else ASSET_ROUTE
        return path.rstrip("/") or path

    def log_body(self, path: str, body: bytes) -> Any:
        if path.rstrip("/") == TOKEN_PATH:
            return _redacted_token_form(body) if body else None
        return _logged_body(body)

    def error_response(self, status: int, number: int | str | None, message: str | None = None) -> Response:
        code = str(number) if number is not None else _error_code(status)
        return self._respond(error_body(code, message or _phrase(status)), status)

    def too_many_requests(self) -> Response:
        response = self.error_response(429, "TooManyRequests", "Too many requests.")
        response.headers["Retry-After"] = "1"
        return response

    def http_error(self, status: int) -> Response:
        return self.error_response(status, None, "No such resource." if status == 404 else _phrase(status))

    def error_number(self, body: bytes) -> int | str | None:
        if b"rrorCode" not in body and b'"error"' not in body:
            return None
        try:
            payload = json.loads(body)
        except ValueError:
            return None
        if not isinstance(payload, dict):
            return None
        return payload.get("ErrorCode") or payload.get("errorCode") or payload.get("error")

    def state(self) -> dict[str, Any]:
        return self.world.state()

    # ------------------------------------------------------------------ mutate faults
    def check_mutation(self, rule: dict[str, Any]) -> None:
        if rule.get("action") not in MUTATIONS:
            raise ValueError(f"a reseller mutate rule needs action: one of {list(MUTATIONS)}")
        if not _is_int(rule.get("assetId")) or rule["assetId"] not in self.world.assets:
            raise ValueError(f"{rule['action']} needs assetId: the Id of an asset the simulator has")
        if rule["action"] == "update_asset":
            self._updated_asset(self.world.assets[rule["assetId"]], rule.get("fields"))

    def mutate(self, caller: Caller | None, rule: dict[str, Any]) -> None:
        asset = self.world.assets.get(rule["assetId"])
        if asset is None:  # removed in the meantime
            return
        if rule["action"] == "remove_asset":
            del self.world.assets[rule["assetId"]]
        else:
            self.world.assets[rule["assetId"]] = self._updated_asset(asset, rule.get("fields"))

    def _updated_asset(self, asset: dict[str, Any], fields: Any) -> dict[str, Any]:
        """The asset with ``fields`` (Asset fields as in a seed; prices as numbers or decimal strings) set."""
        if not isinstance(fields, dict) or not fields or "Id" in fields:
            raise ValueError("update_asset needs fields: an object of Asset fields to set (not Id)")
        changes = dict(fields)
        for field in PRICE_FIELDS:
            if isinstance(changes.get(field), (str, float)):
                try:
                    changes[field] = Decimal(str(changes[field]))
                except ArithmeticError:
                    changes[field] = None
                if changes[field] is None or not changes[field].is_finite():
                    raise ValueError(f"update_asset: {field} must be a number")
        try:
            return self.world._checked_asset({**asset, **changes})  # pylint: disable=protected-access
        except SeedError as exc:
            raise ValueError(f"update_asset: {exc}") from None

    # ------------------------------------------------------------------ plumbing
    def _respond(self, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        if self.settings.get("resellerCamelCase"):
            payload = camel_case(payload)
        return ExactJSONResponse(payload, status_code=status, headers=headers)

    def _user_for(self, headers: Headers) -> str | None:
        scheme, _separator, token = headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.world.user_for(token.strip())

    def _authenticated(self, handler: Callable[[Request, str], Awaitable[tuple[Any, int]]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            username = self._user_for(request.headers)
            if username is None:
                error = ResellerError(401, "Unauthorized", "The access token is missing, invalid or expired.")
                return self._respond(error.body(), error.status, {"WWW-Authenticate": "Bearer"})
            try:
                payload, status = await handler(request, username)
            except ResellerError as error:
                return self._respond(error.body(), error.status)
            if payload is None:
                return Response(status_code=status)
            return self._respond(payload, status)
        return endpoint

    def _asset_or_404(self, request: Request) -> dict[str, Any]:
        asset_id = request.path_params["id"]
        asset = self.world.assets.get(asset_id)
        if asset is None:
            raise _not_found(asset_id)
        return asset

    # ------------------------------------------------------------------ token
    async def token(self, request: Request) -> Response:
        body = await request.body()
        try:
            payload = self._grant(request.headers, body)
        except OAuthError as error:
            headers = {"WWW-Authenticate": "Basic"} if error.status == 401 else None
            return self._respond(error.body(), error.status, headers)
        return self._respond(payload)

    def _grant(self, headers: Headers, body: bytes) -> dict[str, Any]:
        if not self._client_ok(headers.get("authorization", "")):
            raise OAuthError(401, "invalid_client")
        try:
            form = {key: values[0] for key, values in urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        except UnicodeDecodeError:
            form = {}
        if form.get("grant_type") != "password":
            raise OAuthError(400, "unsupported_grant_type")
        if "CustomerApi" not in form.get("scope", "").split():
            raise OAuthError(400, "invalid_scope")
        username = form.get("username", "")
        if username not in self.world.users or self.world.users[username] != form.get("password"):
            raise OAuthError(400, "invalid_grant", "invalid_username_or_password")
        seconds = self.settings.get("resellerTokenSeconds")
        seconds = self.world.token_seconds if seconds is None else float(seconds)
        return {
            "AccessToken": self.world.issue(username, seconds),
            "ExpiresIn": int(seconds) if seconds == int(seconds) else seconds,
            "TokenType": "Bearer",
            "RefreshToken": secrets.token_urlsafe(32),
        }

    def _client_ok(self, authorization: str) -> bool:
        """Basic client_id:client_secret, as sent or form-urlencoded first (RFC 6749 2.3.1)."""
        decoded = _basic_credentials(authorization)
        if decoded is None:
            return False
        candidates = [decoded, tuple(urllib.parse.unquote_plus(part) for part in decoded)]
        return any(client_id in self.world.clients and self.world.clients[client_id] == secret for client_id, secret in candidates)

    # ------------------------------------------------------------------ assets
    async def list_assets(self, request: Request, _username: str) -> tuple[Any, int]:
        query = _Query(request, self.settings.get("resellerIgnoredQuery"))
        checks: list[Callable[[dict[str, Any]], bool]] = []
        for name in ("ResellerCustomerId", "PublisherId"):
            value = query.int(name)
            if value is not None:
                checks.append(lambda asset, name=name, value=value: asset[name] == value)
        for name in ("ExternalOrderId", "ReservationId"):
            text = query.get(name)
            if text:
                checks.append(lambda asset, name=name, text=text: asset[name] == text)
        order_ids = {text for text in query.all("ExternalOrderIds") if text}
        if order_ids:
            checks.append(lambda asset: asset["ExternalOrderId"] in order_ids)
        asset_type = query.int("AssetType", choices=ASSET_TYPES)
        if asset_type is not None:
            checks.append(lambda asset: asset["AssetType"] == asset_type)
        status = query.int("Status", choices=range(1, ALL_STATUSES + 1))
        status = DEFAULT_STATUS_FILTER if status is None else status
        checks.append(lambda asset: bool(asset["Status"] & status))
        search = (query.get("Search") or "").lower()
        if search:
            checks.append(lambda asset: search in (asset["Name"] or "").lower())
        profile_id = query.int("InvoiceProfileId")
        if profile_id is not None:
            checks.append(lambda asset: (asset["InvoiceProfile"] or {}).get("Id") == profile_id)
        sort_by = query.int("SortBy", choices=SORT_FIELDS)
        descending = query.int("SortOrder", choices=(0, 1)) == 1
        page = query.int("Page", minimum=1) or 1
        size = query.int("PageSize", minimum=1) or DEFAULT_PAGE_SIZE
        refuse_above = self.settings.get("resellerRefusePageSizeAbove")
        if refuse_above is not None and size > refuse_above:
            raise _bad_request(f"PageSize must be at most {refuse_above}.", PageSize=size)
        size = min(size, self.settings.get("resellerMaxPageSize"))

        assets = [asset for asset in self.world.assets.values() if all(check(asset) for check in checks)]
        if sort_by is not None or self.settings.get("resellerListOrder") == "id":  # "seed": as the seed lists them
            key = _sort_key(SORT_FIELDS[sort_by]) if sort_by is not None else (lambda asset: asset["Id"])
            assets.sort(key=key, reverse=descending)
        items = [copy.deepcopy(asset) for asset in assets[(page - 1) * size:page * size]]
        for item in items:
            item.update((name, None) for name in self.settings.get("resellerListNulls") if name in item)
        if self.settings.get("resellerBareArray"):
            return items, 200
        total = self.settings.get("resellerTotalHits")
        if total == "omit":
            return {"Items": items}, 200
        return {"Items": items, "TotalHits": len(assets) if total is None else total}, 200

    async def asset(self, request: Request, username: str) -> tuple[Any, int]:
        asset = self._asset_or_404(request)
        if request.method == "GET":
            return copy.deepcopy(asset), 200
        body = await _json_object(request)
        if body.get("id") is not None and body["id"] != asset["Id"]:
            raise _bad_request("The Id in the body does not match the Id in the path.", Id=body["id"])
        ignored = {name.lower() for name in self.settings.get("resellerIgnoredFields")}
        changes: dict[str, Any] = {}
        if "name" in body and "name" not in ignored:
            if not isinstance(body["name"], str) or not body["name"].strip():
                raise _bad_request("Name must be a non-empty string.", Name=body["name"])
            changes["Name"] = body["name"]
        if "invoiceprofile" in body and "invoiceprofile" not in ignored:
            changes["InvoiceProfile"] = self._invoice_profile(body["invoiceprofile"])
        if "autorenewenabled" in body and "autorenewenabled" not in ignored:
            if body["autorenewenabled"] is not None and not isinstance(body["autorenewenabled"], bool):
                raise _bad_request("AutoRenewEnabled must be true, false or null.", AutoRenewEnabled=body["autorenewenabled"])
            changes["AutoRenewEnabled"] = body["autorenewenabled"]
        asset.update(changes, ModifiedDate=now_text(), ChangedBy=username)
        if self.settings.get("resellerEmptyPutResponse"):
            return None, 200
        return copy.deepcopy(asset), 200

    def _invoice_profile(self, value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        profile_id = _lower_keys(value).get("id") if isinstance(value, dict) else None
        if not _is_int(profile_id) or profile_id not in self.world.profiles:
            raise ResellerError(400, "BadRequest", f"Invoice profile {profile_id} was not found.", {"InvoiceProfileId": str(profile_id)})
        return {"Id": profile_id, "Name": self.world.profiles[profile_id]}

    async def tags(self, request: Request, username: str) -> tuple[Any, int]:
        asset = self._asset_or_404(request)
        # "Tags" in resellerIgnoredFields: tag writes are answered as if done and change nothing
        ignored = "tags" in {name.lower() for name in self.settings.get("resellerIgnoredFields")}
        if request.method == "DELETE":
            if not ignored:
                asset.update(Tags=None, ModifiedDate=now_text(), ChangedBy=username)
            return None, 200
        if request.method == "POST" and asset["Tags"] is not None:
            raise ResellerError(409, "Conflict", f"Asset {asset['Id']} already has tags: use PUT.", {"Id": str(asset["Id"])})
        if request.method == "PUT" and asset["Tags"] is None:
            raise ResellerError(404, "NotFound", f"Asset {asset['Id']} has no tags: use POST.", {"Id": str(asset["Id"])})
        body = await _json_object(request)
        if body.get("assetid") is not None and body["assetid"] != asset["Id"]:
            raise _bad_request("The AssetId in the body does not match the Id in the path.", AssetId=body["assetid"])
        tags = {"AssetId": asset["Id"]}
        for field in TAG_FIELDS:
            value = body.get(field.lower())
            if value is not None and not isinstance(value, str):
                raise _bad_request(f"{field} must be a string or null.", **{field: value})
            tags[field] = value
        if not ignored:
            asset.update(Tags=tags, ModifiedDate=now_text(), ChangedBy=username)
        return copy.deepcopy(tags), 200

    # ------------------------------------------------------------------ /_sim/reseller
    async def _expire_tokens_endpoint(self, _request: Request) -> Response:
        return ExactJSONResponse({"expired": self.world.expire_tokens()})

    async def _issued_tokens_endpoint(self, _request: Request) -> Response:
        return ExactJSONResponse({"tokens": list(self.world.issued_ever)})

    async def _credentials_endpoint(self, _request: Request) -> Response:
        return ExactJSONResponse({
            "clients": self.world.client_list,
            "users": self.world.user_list,
            "staticTokens": [{"token": token, "username": user} for token, user in self.world.static_tokens.items()],
        })


def _basic_credentials(authorization: str) -> tuple[str, str] | None:
    scheme, _separator, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, separator, client_secret = decoded.partition(":")
    return (client_id, client_secret) if separator else None


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _error_code(status: int) -> str:
    """An ErrorCode for a bare status: 'Service Unavailable' -> 'ServiceUnavailable'."""
    return _phrase(status).replace(" ", "").replace("-", "")
