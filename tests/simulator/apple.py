"""Apple's App and Book Management API v2 under /mdm/v2, as Apple documents it
(developer.apple.com, "App and Book Management"): sToken auth, paged reads, validated asynchronous writes.

Request handling is here; the data, license accounting and events are in state.py.
"""
from __future__ import annotations

import asyncio
import json
import logging
import operator
import uuid
from typing import Any, Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .core import ApiHalf, Caller, ExtraSetting, Settings, SettingsError
from .metadata import LOOKUP_PATH
from .notifications import Notifier
from .state import (
    ERROR_MESSAGES,
    MDM_INFO_KEYS,
    PRICING_PARAMS,
    PRODUCT_TYPES,
    SERIAL,
    USER,
    Asset,
    AssetKey,
    Location,
    SeedError,
    Target,
    VppError,
    VppWorld,
    asset_ref,
    error_body,
)
from .tokens import decode_stoken

PREFIX = "/mdm/v2"
NOTIFICATION_TYPES = ["ASSET_MANAGEMENT", "ASSET_COUNT", "USER_MANAGEMENT", "USER_ASSOCIATED", "SUBSCRIPTION_MANAGEMENT",
                      "SUBSCRIPTION_COUNT", "UNLIMITED_ASSET"]
SERVICE_URLS = {
    "clientConfig": "/client/config",
    "getAssets": "/assets",
    "getAssignments": "/assignments",
    "getUsers": "/users",
    "associateAssets": "/assets/associate",
    "disassociateAssets": "/assets/disassociate",
    "revokeAssets": "/assets/revoke",
    "createUsers": "/users/create",
    "updateUsers": "/users/update",
    "retireUsers": "/users/retire",
    "eventStatus": "/status",
}
WRITE_PATHS = frozenset(PREFIX + SERVICE_URLS[name] for name in (
    "associateAssets", "disassociateAssets", "revokeAssets", "createUsers", "updateUsers", "retireUsers")) | {
    "POST " + PREFIX + SERVICE_URLS["clientConfig"]}  # a "METHOD route" entry: GETs of the same path are reads
APPLE_ACCOUNT_ERRORS = (9635, 9641)  # in a CREATE or UPDATE event: Apple refused the user's Apple Account
# Apple's invitation link, with the user's invite code in place of %25inviteCode%25 (on Apple's store host, not the API's)
INVITATION_PATH = "/associateVPPUserWithITSAccount?cc=us&inviteCode=%25inviteCode%25&mt=8"
MUTATIONS = ("bump_version", "add_assignments", "remove_assignments", "revoke_token", "retire_user", "create_user", "add_assets",
             "remove_assets")
SIZED_MUTATIONS = ("add_assignments", "remove_assignments", "add_assets", "remove_assets")
REDACTED = "<redacted>"  # a notificationAuthToken in the request log
ASSET_TEMPLATE_KEYS = ("pricingParam", "productType", "totalCount")  # what an add_assets rule may say of the new assets

logger = logging.getLogger(__name__)


def _optional_count(key: str, value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise SettingsError(f"{key} must be an integer >= 1, or null")
    return value


def _optional_seconds(key: str, value: Any) -> float | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
        raise SettingsError(f"{key} must be a number of seconds > 0, or null")
    return value


def _non_negative_count(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SettingsError(f"{key} must be an integer >= 0")
    return value


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"{key} must be true or false")
    return value


def _reachable(key: str, value: Any) -> bool | list[str]:
    if isinstance(value, bool) or (isinstance(value, list) and all(isinstance(item, str) and item for item in value)):
        return value
    raise SettingsError(f"{key} must be true, false, or a list of URL prefixes")


def _account_failures(key: str, value: Any) -> dict[str, int]:
    if isinstance(value, dict) and all(isinstance(name, str) and name and number in APPLE_ACCOUNT_ERRORS for name, number in value.items()):
        return dict(value)
    raise SettingsError(f"{key} must map managed Apple IDs to one of {', '.join(map(str, APPLE_ACCOUNT_ERRORS))}")


def _retry_delays(key: str, value: Any) -> list[float]:
    if isinstance(value, list) and value and all(not isinstance(item, bool) and isinstance(item, (int, float)) and 0 <= item <= 600 for item in value):
        return list(value)
    raise SettingsError(f"{key} must be a non-empty list of seconds between 0 and 600")


def _optional_path(key: str, value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value):
        return value
    raise SettingsError(f"{key} must be a file path or null")


def notification_url_ok(url: Any, allow_http: bool = False) -> bool:
    """Apple's rule for notificationUrl: https, a host, and a path only (no user, query or fragment);
    http too with the setting notificationAllowHttp."""
    if not isinstance(url, str) or any(char in url for char in "?#@ "):
        return False
    parts = urlsplit(url)
    try:
        parts.port  # pylint: disable=pointless-statement  # raises ValueError for a port that is not a number
    except ValueError:
        return False
    return (parts.scheme == "https" or (allow_http and parts.scheme == "http")) and bool(parts.hostname)


# The Apple half's own /_sim/settings keys (documented in README.md): name -> (default, check).
SETTINGS: dict[str, ExtraSetting] = {
    "eventPolls": (None, _optional_count),  # N: an event finishes at its Nth /status look, whatever eventSeconds says
    "ignoreFilters": (False, _flag),  # /assets and /assignments answer as if only pageIndex had been given
    "pageOverlap": (0, _non_negative_count),  # each page after the first repeats the last N records of the page before
    "hideTotalPages": (False, _flag),  # totalPages counts only up to the page asked; nextPageIndex still points on
    "omitUnlimitedAvailableCount": (False, _flag),  # free assets in "assets" come without availableCount
    # Apple's rule "wait at least 30 seconds between subsequent status queries" while PENDING: a look at an
    # event sooner than this after a PENDING answer is recorded in the location's ruleBreaks (null: not checked)
    "statusIntervalSeconds": (None, _optional_seconds),
    # Apple sends TEST_NOTIFICATION to a notification URL set through POST /client/config and refuses the config
    # (9728) when delivery fails: true (every URL takes it), false (none does), or the URL prefixes that take it
    "notificationReachable": (True, _reachable),
    # true: notifications are really POSTed to the notification URL (notifications.py) and TEST_NOTIFICATION's
    # delivery decides instead of notificationReachable; the delays between Apple's three tries; the CA bundle that
    # verifies an https receiver (null: the system's); whether an http:// notification URL is accepted (Apple: never)
    "notificationDelivery": (False, _flag),
    "notificationRetrySeconds": ([60, 120], _retry_delays),
    "notificationCaFile": (None, _optional_path),
    "notificationAllowHttp": (False, _flag),
    # Whether a RETIRE event takes the user's revocable licenses back: UNCONFIRMED for v2 (v1 did), so both are testable
    "retireFreesLicenses": (True, _flag),
    # managed Apple ID -> 9635 or 9641: a CREATE or UPDATE naming it fails in the event with that number
    "appleAccountFailures": ({}, _account_failures),
}

Handler = Callable[[Request, Location, dict[str, Any]], dict[str, Any]]


# ---------------------------------------------------------------------- request parsing helpers
def _invalid(message: str, info: dict[str, Any] | None = None) -> VppError:
    return VppError(400, 9602, info, message)


def _bool_query(query: QueryParams, name: str) -> bool | None:
    value = query.get(name)
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise _invalid(f"{name} must be true or false")
    return value.lower() == "true"


def _int_query(query: QueryParams, name: str) -> int | None:
    value = query.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise _invalid(f"{name} must be an integer") from None


def _choice_query(query: QueryParams, name: str, choices: tuple[str, ...]) -> str | None:
    value = query.get(name)
    if value is not None and value not in choices:
        raise _invalid(f"{name} must be one of {', '.join(choices)}")
    return value


def _page(items: Sequence[Any], query: QueryParams, size: int, settings: Settings | None = None) -> tuple[list[Any], dict[str, Any]]:
    """Server-side paging: the slice for pageIndex and the paging keys of the response (with the
    pageOverlap and hideTotalPages settings, when given)."""
    try:
        index = int(query.get("pageIndex", "0"))
    except ValueError:
        raise VppError(400, 9650) from None
    total_pages = -(-len(items) // size)
    if index < 0 or (index >= total_pages and not index == total_pages == 0):
        raise VppError(400, 9650)
    meta = {"currentPageIndex": index, "size": size, "totalPages": total_pages}
    if index + 1 < total_pages:
        meta["nextPageIndex"] = index + 1
    start = index * size
    if settings is not None:
        if index:
            start = max(0, start - settings.get("pageOverlap"))
        if settings.get("hideTotalPages"):
            meta["totalPages"] = min(total_pages, index + 1)
    return items[start:(index + 1) * size], meta


def _string_list(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise _invalid(f"{name} must be a list of non-empty strings")
    return value


def _check_unique(values: list[Any], number: int) -> None:
    if len(set(values)) != len(values):
        raise VppError(400, number)


def _requested_assets(body: dict[str, Any]) -> list[AssetKey]:
    raw = body.get("assets")
    if not raw:
        raise VppError(400, 9718)
    if not isinstance(raw, list):
        raise _invalid("assets must be a list")
    keys = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("adamId"), str) or not item["adamId"]:
            raise _invalid("every asset needs an adamId string")
        pricing_param = item.get("pricingParam", "STDQ")  # Apple's default is UNCONFIRMED
        if pricing_param not in PRICING_PARAMS:
            raise _invalid(f"pricingParam must be one of {', '.join(PRICING_PARAMS)}")
        keys.append((item["adamId"], pricing_param))
    return keys


def _rule_users(rule: dict[str, Any]) -> list[str]:
    """The users a retire_user / create_user rule names: clientUserId, or several in clientUserIds; [] if none is valid."""
    users = rule["clientUserIds"] if "clientUserIds" in rule else [rule.get("clientUserId")]
    if not isinstance(users, list) or not users or not all(isinstance(user, str) and user for user in users):
        return []
    return users


def _requested_users(body: dict[str, Any]) -> list[dict[str, str]]:
    raw = body.get("users")
    if not raw:
        raise VppError(400, 9720)
    if not isinstance(raw, list):
        raise _invalid("users must be a list")
    users = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("clientUserId"), str) or not item["clientUserId"]:
            raise _invalid("every user needs a clientUserId string")
        user = {"clientUserId": item["clientUserId"]}
        for key in ("email", "managedAppleId"):
            if item.get(key) is not None:
                if not isinstance(item[key], str):
                    raise _invalid(f"{key} must be a string")
                user[key] = item[key]
        if "email" in user and "@" not in user["email"]:
            raise VppError(400, 9717, {"clientUserIds": [user["clientUserId"]]})
        users.append(user)
    _check_unique([user["clientUserId"] for user in users], 9715)
    return users


async def _json_body(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise VppError(415, 9727)
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise _invalid("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _invalid("the body must be a JSON object")
    return body


class AppleApi(ApiHalf):
    """The /mdm/v2 half of the simulator."""

    name = "vpp"
    prefix = PREFIX
    write_paths = WRITE_PATHS

    def __init__(self) -> None:
        super().__init__()
        self.world = VppWorld([])

    def load(self, seed: dict[str, Any], settings: Settings) -> None:
        self.settings = settings
        self.world = VppWorld.from_seed(seed.get("vpp") or {})
        self.notifier = Notifier(settings.get)
        for location in self.world.locations:
            location.event_hooks.append(self.notifier.event_hook)

    def routes(self) -> list[BaseRoute]:
        post = ["POST"]
        return [
            Route("/service/config", self._public(self.service_config)),
            Route("/client/config", self._authenticated(self.client_config), methods=["GET", "POST"]),
            Route("/assets", self._authenticated(self.get_assets)),
            Route("/assignments", self._authenticated(self.get_assignments)),
            Route("/users", self._authenticated(self.get_users)),
            Route("/status", self._authenticated(self.event_status)),
            Route("/assets/associate", self._authenticated(self.associate), methods=post),
            Route("/assets/disassociate", self._authenticated(self.disassociate), methods=post),
            Route("/assets/revoke", self._authenticated(self.revoke), methods=post),
            Route("/users/create", self._authenticated(self.create_users), methods=post),
            Route("/users/update", self._authenticated(self.update_users), methods=post),
            Route("/users/retire", self._authenticated(self.retire_users), methods=post),
        ]

    # ------------------------------------------------------------------ ApiHalf hooks
    def extra_settings(self) -> dict[str, ExtraSetting]:
        return SETTINGS

    def caller(self, path: str, headers: Headers) -> Caller | None:
        if path == PREFIX + "/service/config":
            return None  # needs no token, so it is not counted against a location
        location = self._location_for(headers.get("authorization", ""))
        return Caller(location.uid, location.name) if location else None

    def error_response(self, status: int, number: int | None, message: str | None = None) -> Response:
        return JSONResponse(error_body(number, message), status_code=status)

    def too_many_requests(self) -> Response:
        return self.error_response(429, 9646)  # no Retry-After, as Apple

    def http_error(self, status: int) -> Response:
        if status == 405:
            return self.error_response(405, 9726)
        return super().http_error(status)

    def log_body(self, path: str, body: bytes) -> Any:
        """The request log never holds a notification auth token (tests read and print the log)."""
        logged = super().log_body(path, body)
        if isinstance(logged, dict) and "notificationAuthToken" in logged:
            logged["notificationAuthToken"] = REDACTED
        return logged

    def error_number(self, body: bytes) -> int | str | None:
        if b'"errorNumber"' not in body:
            return None
        try:
            payload = json.loads(body)
        except ValueError:
            return None
        return payload.get("errorNumber") if isinstance(payload, dict) else None

    def check_mutation(self, rule: dict[str, Any]) -> None:
        if rule.get("action") not in MUTATIONS:
            raise ValueError(f"a mutate rule needs action: one of {list(MUTATIONS)}")
        if rule["action"] in SIZED_MUTATIONS and _mutation_size(rule) < 1:
            raise ValueError(f"{rule['action']} needs count >= 1 (how many assignments)")
        if rule["action"] in ("retire_user", "create_user") and not _rule_users(rule):
            raise ValueError(f"{rule['action']} needs clientUserId (or clientUserIds, a list)")
        if rule.get("location") is not None and self.world.find(rule["location"]) is None:
            raise ValueError(f"no location {rule['location']!r}")
        if rule["action"] in ("add_assets", "remove_assets") and not isinstance(rule.get("keepVersion", False), bool):
            raise ValueError("keepVersion must be true or false")
        if rule["action"] == "add_assets":
            try:
                Asset.from_seed({**_asset_template(rule), "adamId": "1"})
            except (SeedError, TypeError, ValueError) as exc:
                raise ValueError(f"add_assets: {exc}") from None

    def mutate(self, caller: Caller | None, rule: dict[str, Any]) -> None:
        target = rule.get("location") or (caller.key if caller else None)
        location = self.world.find(target) if target else None
        if location is None:
            return
        location.settle(self.clock())
        if rule["action"] == "bump_version":
            location.bump_version()
        elif rule["action"] == "add_assignments":
            try:
                location.add_foreign_assignments(_mutation_size(rule), rule.get("adamId"), rule.get("pricingParam"))
            except ValueError as exc:
                logger.warning("mutate add_assignments skipped: %s", exc)
        elif rule["action"] == "remove_assignments":
            location.remove_oldest_assignments(_mutation_size(rule))
        elif rule["action"] == "add_assets":
            location.add_new_assets(_mutation_size(rule), _asset_template(rule), rule.get("keepVersion", False))
        elif rule["action"] == "remove_assets":
            location.remove_newest_assets(_mutation_size(rule), rule.get("keepVersion", False))
        elif rule["action"] == "revoke_token":
            location.revoked = True  # as if a newer token was downloaded: every request from now on is 401/9625
        elif rule["action"] == "create_user":
            for user in _rule_users(rule):
                location.create_user_now(user)
        else:
            for user in _rule_users(rule):
                location.retire_user_now(user)

    def state(self) -> dict[str, Any]:
        return self.world.state(self.clock())

    def tokens(self) -> list[dict[str, Any]]:
        return self.world.tokens()

    # ------------------------------------------------------------------ endpoint plumbing
    def _location_for(self, authorization: str) -> Location | None:
        scheme, _separator, stoken = authorization.strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            return self.world.by_token(decode_stoken(stoken.strip()).token)
        except ValueError:
            return None

    def _authenticate(self, headers: Headers) -> Location:
        authorization = headers.get("authorization")
        if authorization is None:
            raise VppError(401, 9601)
        scheme, _separator, stoken = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not stoken.strip() or " " in stoken.strip():
            raise VppError(401, 9722)
        location = self._location_for(authorization)
        if location is None:
            raise VppError(401, 9622)
        if location.revoked:
            raise VppError(401, 9625)
        if location.expired():
            raise VppError(401, 9621)
        return location

    @staticmethod
    def _public(handler: Callable[[Request], dict[str, Any]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return JSONResponse(handler(request))
        return endpoint

    def _authenticated(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Auth, lazy event settlement, JSON body for POSTs, errors as Apple's error body, and the
        keys every authenticated response carries."""
        async def endpoint(request: Request) -> Response:
            try:
                location = self._authenticate(request.headers)
                location.settle(self.clock())  # events whose time has come are applied before anything is read
                body = await _json_body(request) if request.method == "POST" else {}
                payload = handler(request, location, body)
            except VppError as error:
                return JSONResponse(error.body(), status_code=error.status)
            payload.update(uId=location.uid, tokenExpirationDate=location.token_expiration_date)
            if "mdmInfo" in location.client_config:
                payload["mdmInfo"] = location.client_config["mdmInfo"]
            return JSONResponse(payload)
        return endpoint

    def _check_limit(self, count: int, limit_name: str, number: int) -> None:
        limit = self.settings.limits.get(limit_name)
        if limit is not None and count > limit:
            raise VppError(400, number, message=f"{ERROR_MESSAGES[number]} ({limit_name} is {limit})")

    # ------------------------------------------------------------------ configuration
    def service_config(self, request: Request) -> dict[str, Any]:
        base = f"{request.url.scheme}://{request.url.netloc}{PREFIX}"
        return {
            "limits": dict(self.settings.limits),
            "urls": {**{name: base + path for name, path in SERVICE_URLS.items()},
                     "invitationEmail": f"{request.url.scheme}://{request.url.netloc}/store{INVITATION_PATH}",
                     "contentMetadataLookup": f"{request.url.scheme}://{request.url.netloc}{LOOKUP_PATH}"},
            "errorCodes": [{"errorNumber": number, "errorMessage": message} for number, message in ERROR_MESSAGES.items()],
            "notificationTypes": list(NOTIFICATION_TYPES),
        }

    def client_config(self, request: Request, location: Location, body: dict[str, Any]) -> dict[str, Any]:
        """GET: the location's client config. POST: every key optional, only what is sent changes; the whole
        body is validated before anything changes, and a notification URL must take Apple's TEST_NOTIFICATION."""
        if request.method == "POST":
            changes = self._client_config_changes(body)
            if "notificationUrl" in changes:
                self._test_notification(location, changes["notificationUrl"], changes["notificationAuthToken"])
            location.client_config.update(changes)
        config = location.client_config
        record = {
            "locationName": location.name,
            "countryISO2ACode": location.country_code,
            "defaultPlatform": location.default_platform,
            "notificationAuthToken": config["notificationAuthToken"],
            "subscribedNotificationTypes": list(config["notificationTypes"]),
        }
        if location.website_url is not None:
            record["websiteURL"] = location.website_url
        if "notificationUrl" in config:
            record["notificationUrl"] = config["notificationUrl"]
        return record  # mdmInfo (once set), uId and tokenExpirationDate come with every authenticated answer

    def _client_config_changes(self, body: dict[str, Any]) -> dict[str, Any]:
        """The validated changes of a POST /client/config body, with Apple's error numbers."""
        changes: dict[str, Any] = {}
        if "mdmInfo" in body:
            info = body["mdmInfo"]
            if not isinstance(info, dict) or not all(isinstance(info.get(key), str) and info[key] for key in MDM_INFO_KEYS):
                raise VppError(400, 9723)
            self._check_limit(len(info["id"]), "maxMdmIdLength", 9724)
            self._check_limit(len(info["name"]), "maxMdmNameLength", 9725)
            self._check_limit(len(info["metadata"]), "maxMdmMetadataLength", 9713)
            changes["mdmInfo"] = {key: info[key] for key in MDM_INFO_KEYS}
        if "notificationTypes" in body:
            types = body["notificationTypes"]
            if not isinstance(types, list) or not all(isinstance(kind, str) for kind in types) or not set(types) <= set(NOTIFICATION_TYPES):
                raise _invalid(f"notificationTypes must be a list of {', '.join(NOTIFICATION_TYPES)}")
            changes["notificationTypes"] = list(dict.fromkeys(types))  # the whole set is replaced
        if ("notificationUrl" in body) != ("notificationAuthToken" in body):
            raise VppError(400, 9710)
        if "notificationUrl" in body:
            url, token = body["notificationUrl"], body["notificationAuthToken"]
            if not notification_url_ok(url, self.settings.get("notificationAllowHttp")):
                raise VppError(400, 9712)
            if not isinstance(token, str) or not token:
                raise VppError(400, 9710)
            self._check_limit(max(len(url), len(token)), "maxNotificationLength", 9711)
            changes.update(notificationUrl=url, notificationAuthToken=token)
        return changes

    def _test_notification(self, location: Location, url: str, token: str) -> None:
        """Apple sends TEST_NOTIFICATION to a new notification URL and refuses the config when it is not delivered.
        With notificationDelivery it is POSTed; otherwise the setting notificationReachable says whether it works."""
        if self.notifier.enabled():
            if not self.notifier.test_notification(location, url, token):
                raise VppError(400, 9728)
            return
        reachable = self.settings.get("notificationReachable")
        delivered = reachable if isinstance(reachable, bool) else any(url.startswith(prefix) for prefix in reachable)
        location.notifications.append({"notificationType": "TEST_NOTIFICATION", "notificationId": str(uuid.uuid4()),
                                       "notificationUrl": url, "delivered": delivered})
        if not delivered:
            raise VppError(400, 9728)

    # ------------------------------------------------------------------ reads
    def get_assets(self, request: Request, location: Location, _body: dict[str, Any]) -> dict[str, Any]:
        query = self._filters(request)
        checks = self._asset_checks(location, query)
        unlimited = _bool_query(query, "unlimited")
        assets = [asset for asset in location.assets.values() if all(check(asset) for check in checks)]
        if unlimited is False:
            assets = [asset for asset in assets if not asset.unlimited]
        page, meta = _page(assets, query, self.settings.page_size, self.settings)
        if unlimited:  # free assets in their own list, without counts that mean nothing for them
            payload = {
                "assets": [self._asset_record(location, asset) for asset in page if not asset.unlimited],
                "unlimitedAssets": [location.asset_record(asset, counts=False) for asset in page if asset.unlimited],
            }
        else:
            payload = {"assets": [self._asset_record(location, asset) for asset in page]}
        return {**payload, **meta, "versionId": location.version_id}

    def _filters(self, request: Request) -> QueryParams:
        """The query, or (setting ignoreFilters) only its pageIndex: a server that ignores the filters."""
        query = request.query_params
        if self.settings.get("ignoreFilters"):
            return QueryParams({"pageIndex": query["pageIndex"]} if "pageIndex" in query else {})
        return query

    def _asset_record(self, location: Location, asset: Asset) -> dict[str, Any]:
        record = location.asset_record(asset)
        if asset.unlimited and self.settings.get("omitUnlimitedAvailableCount"):
            del record["availableCount"]
        return record

    @staticmethod
    def _asset_checks(location: Location, query: QueryParams) -> list[Callable[[Asset], bool]]:
        """One predicate per filter given in the query."""
        checks: list[Callable[[Asset], bool]] = []
        _choice_query(query, "productType", PRODUCT_TYPES)
        _choice_query(query, "pricingParam", PRICING_PARAMS)
        for param, attribute in (("adamId", "adam_id"), ("productType", "product_type"), ("pricingParam", "pricing_param")):
            if param in query:
                checks.append(lambda asset, attribute=attribute, wanted=query[param]: getattr(asset, attribute) == wanted)
        for param, attribute in (("revocable", "revocable"), ("deviceAssignable", "device_assignable")):
            flag = _bool_query(query, param)
            if flag is not None:
                checks.append(lambda asset, attribute=attribute, wanted=flag: getattr(asset, attribute) is wanted)
        counted = (
            ("minAvailableCount", location.available_count, operator.ge),
            ("maxAvailableCount", location.available_count, operator.le),
            ("minAssignedCount", location.assigned_count, operator.ge),
            ("maxAssignedCount", location.assigned_count, operator.le),
        )
        for param, count, compare in counted:
            bound = _int_query(query, param)
            if bound is not None:
                checks.append(lambda asset, count=count, compare=compare, bound=bound: compare(count(asset), bound))
        return checks

    def get_assignments(self, request: Request, location: Location, _body: dict[str, Any]) -> dict[str, Any]:
        query = self._filters(request)
        since = query.get("sinceVersionId")
        if since is not None:
            location.version_number(since)  # an unknown versionId is refused before the other filters are read
        adam_id = query.get("adamId")
        pricing_param = _choice_query(query, "pricingParam", PRICING_PARAMS)  # adamId alone matches both
        targets = [(kind, query[param]) for kind, param in ((SERIAL, "serialNumber"), (USER, "clientUserId")) if param in query]
        exclude_inactive = bool(_bool_query(query, "excludeInactiveUsers"))
        keys = location.select_assignments(adam_id, pricing_param, targets, since, exclude_inactive)  # indexed: a page costs its size
        page, meta = _page(keys, query, self.settings.page_size, self.settings)
        return {"assignments": [location.assignment_record(key) for key in page], **meta, "versionId": location.version_id}

    def get_users(self, request: Request, location: Location, _body: dict[str, Any]) -> dict[str, Any]:
        query = request.query_params
        users = location.users_since(query.get("sinceVersionId"))
        if _bool_query(query, "activeOnly"):
            users = [user for user in users if user.active]
        if _bool_query(query, "retiredOnly"):
            users = [user for user in users if user.status == "Retired"]
        if query.get("clientUserId") is not None:
            users = [user for user in users if user.client_user_id == query["clientUserId"]]
        page, meta = _page(users, query, self.settings.page_size, self.settings)
        return {"users": [user.record() for user in page], **meta, "versionId": location.version_id}

    def event_status(self, request: Request, location: Location, _body: dict[str, Any]) -> dict[str, Any]:
        event_id = request.query_params.get("eventId")
        if not event_id:
            raise _invalid("eventId is required")
        event = location.events.get(event_id)
        if event is None:
            raise VppError(400, 9708)
        now = self.clock()
        minimum = self.settings.get("statusIntervalSeconds")
        if minimum is not None and event.pending_answered_at is not None and now - event.pending_answered_at < minimum:
            location.rule_breaks.append({"rule": "statusInterval", "eventId": event_id, "seconds": round(now - event.pending_answered_at, 3),
                                         "minimum": minimum})
        location.look(event, now)
        if event.status == "PENDING":
            event.pending_answered_at = now
        return event.record()

    # ------------------------------------------------------------------ writes (validated now, applied later)
    def associate(self, _request: Request, location: Location, body: dict[str, Any]) -> dict[str, Any]:
        return self._manage_assets(location, body, "ASSOCIATE")

    def disassociate(self, _request: Request, location: Location, body: dict[str, Any]) -> dict[str, Any]:
        return self._manage_assets(location, body, "DISASSOCIATE")

    def _manage_assets(self, location: Location, body: dict[str, Any], event_type: str) -> dict[str, Any]:
        assets = _requested_assets(body)
        _check_unique(assets, 9703)
        self._check_limit(len(assets), "maxAssets", 9700)
        targets = self._requested_targets(body, "maxClientUserIds", "maxSerialNumbers")
        unknown = [key for key in assets if key not in location.assets]
        if unknown:
            raise _invalid("the location has no such asset", {"assets": [asset_ref(key) for key in unknown]})
        self._refuse_assets(location, assets, "device_assignable", 9707, when=any(kind == SERIAL for kind, _target in targets))
        self._refuse_assets(location, assets, "revocable", 9706, when=event_type == "DISASSOCIATE")
        request = {"assets": assets, "targets": targets}
        return self._submit(location, event_type, request, len(assets) * len(targets))

    @staticmethod
    def _refuse_assets(location: Location, assets: list[AssetKey], attribute: str, number: int, when: bool) -> None:
        refused = [key for key in assets if when and not getattr(location.assets[key], attribute)]
        if refused:
            raise VppError(400, number, {"assets": [asset_ref(key) for key in refused]})

    def _requested_targets(self, body: dict[str, Any], user_limit: str, serial_limit: str) -> list[Target]:
        serials = _string_list(body, "serialNumbers")
        users = _string_list(body, "clientUserIds")
        if not serials and not users:
            raise VppError(400, 9719)
        _check_unique(users, 9704)
        _check_unique(serials, 9705)
        self._check_limit(len(users), user_limit, 9701)
        self._check_limit(len(serials), serial_limit, 9702)
        return [(SERIAL, serial) for serial in serials] + [(USER, user) for user in users]

    def revoke(self, _request: Request, location: Location, body: dict[str, Any]) -> dict[str, Any]:
        targets = self._requested_targets(body, "maxRevokeClientUserIds", "maxRevokeSerialNumbers")
        return self._submit(location, "REVOKE", {"targets": targets}, len(targets))

    def create_users(self, _request: Request, location: Location, body: dict[str, Any]) -> dict[str, Any]:
        return self._manage_users(location, body, "CREATE")

    def update_users(self, _request: Request, location: Location, body: dict[str, Any]) -> dict[str, Any]:
        return self._manage_users(location, body, "UPDATE")

    def retire_users(self, _request: Request, location: Location, body: dict[str, Any]) -> dict[str, Any]:
        return self._manage_users(location, body, "RETIRE")

    def _manage_users(self, location: Location, body: dict[str, Any], event_type: str) -> dict[str, Any]:
        users = _requested_users(body)
        self._check_limit(len(users), "maxUsers", 9714)
        # the settings as they are when Apple takes the request decide how its event ends
        request: dict[str, Any] = {"users": users}
        if event_type == "RETIRE":
            request["freeLicenses"] = self.settings.get("retireFreesLicenses")
        else:
            request["accountFailures"] = dict(self.settings.get("appleAccountFailures"))
        return self._submit(location, event_type, request, len(users))

    def _submit(self, location: Location, event_type: str, request: dict[str, Any], num_requested: int) -> dict[str, Any]:
        event = location.submit(event_type, request, num_requested, self.settings.event_seconds, self.clock(), self.settings.get("eventPolls"))
        if self.notifier.enabled() and event.looks_left is None:
            self._settle_when_due(location, event.due - self.clock())
        return {"eventId": event.event_id}

    def _settle_when_due(self, location: Location, seconds: float) -> None:
        """Apple notifies whether or not anyone looks: with notificationDelivery a due event is applied on time
        (on the server's loop, as a request would), not only at the location's next read."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        loop.call_later(max(0.0, seconds) + 0.01, lambda: location.settle(self.clock()))


def _asset_template(rule: dict[str, Any]) -> dict[str, Any]:
    """What an add_assets rule says of its new assets (totalCount defaults to 10)."""
    return {"totalCount": 10, **{key: rule[key] for key in ASSET_TEMPLATE_KEYS if key in rule}}


def _mutation_size(rule: dict[str, Any]) -> int:
    """How many assignments a mutate rule adds or removes (its "count"; "times" says how often it fires)."""
    size = rule.get("count", 1)
    return size if isinstance(size, int) and not isinstance(size, bool) else 0
