# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reseller client: OAuth token, paged asset reads, asset updates and tags, on the shared transport."""

from __future__ import annotations

import base64
import copy
import json
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.errors import WriteBlockedError
from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError, Transport, endpoint_not_found, parse_answer
from ansible_collections.assetops.licensing.plugins.module_utils.reseller.models import HAS_PYDANTIC, split_asset_list

if HAS_PYDANTIC:
    from ansible_collections.assetops.licensing.plugins.module_utils.reseller.models import Asset, AssetTags, TokenResponse

TOKEN_PATH = "/api/v1/connect/token"
ASSETS_PATH = "/api/v1/assets/"
PAGE_SIZE = 100
# The official SDK's page size: the fallback when a server refuses ours.
SDK_PAGE_SIZE = 20
MAX_PAGES = 10000
# Answers to a tags write that say the other verb was needed (POST: has tags; PUT: has none).
OTHER_TAG_VERB_STATUSES = (400, 404, 409)
# Endpoints the platform always has: a 404 there means api_url is wrong. (An asset's own URL answers
# 404 for an unknown id, and its tags' URL for "no tags yet": those are answers, not a wrong URL.)
ALWAYS_THERE = (TOKEN_PATH, ASSETS_PATH)
API_URL_ADVICE = "the modules add /api/v1 to it, so it is the server's address, as in https://api.crayon.com"


def json_text(error: ApiError) -> str:
    """An error's message and details as one text, to look for a parameter's name."""
    return "{0} {1}".format(error.message, json.dumps(error.details, default=str))


def reseller_error_parser(response: Any, body: Any) -> Optional[ApiError]:
    """The platform's error body ({ErrorCode, Message, ...}) or an OAuth one ({error, error_description})."""
    status = response.status_code
    if status < 400:
        return None
    fields = {key.lower(): value for key, value in body.items()} if isinstance(body, dict) else {}
    code = fields.get("errorcode") or fields.get("error")
    detail = fields.get("message") or fields.get("error_description")
    if code or detail:
        message = "reseller API answered HTTP {0}: {1}{2}".format(status, detail or code, " ({0})".format(code) if code and detail else "")
    elif body is None and response.content:
        message = "reseller API (or a proxy) answered HTTP {0} with a non-JSON body".format(status)
    else:
        message = "reseller API answered HTTP {0}".format(status)
    details = {key: fields[key] for key in ("parameters", "objecterrors") if fields.get(key)}
    return ApiError(message, status=status, error_code=str(code) if code else None, error_message=detail,
                    retryable=status == 429 or status >= 500, details=details or None)


class Credentials:
    """Either an access token, or the four values of the password grant. Never shown."""

    __slots__ = ("access_token", "client_id", "client_secret", "username", "password")

    def __init__(self, access_token: Optional[str] = None, client_id: Optional[str] = None, client_secret: Optional[str] = None,
                 username: Optional[str] = None, password: Optional[str] = None):
        self.access_token = access_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.username = username
        self.password = password

    def __repr__(self) -> str:
        return "Credentials(username={0!r}, access_token={1})".format(self.username, "set" if self.access_token else "unset")


class ResellerClient:
    """The Asset resource of the reseller platform's customer API."""

    def __init__(self, credentials: Credentials, api_url: str, timeout: float = 30.0,
                 validate_certs: bool = True, ca_path: Optional[str] = None, retries: int = 8,
                 warn: Optional[Callable[[str], None]] = None, read_only: bool = True, httpx_transport: Any = None,
                 sleep: Callable[[float], None] = time.sleep):
        self._credentials = credentials
        self._access_token = credentials.access_token
        # each asset exactly as the API last sent it: the base of a PUT of the whole object
        self._sent: Dict[int, Dict[str, Any]] = {}
        self.read_only = read_only
        self.warn = warn or (lambda message: None)
        self._api_url = api_url
        self._answered = False  # whether the API answered any request yet (a login counts)
        self.transport = Transport(
            api_url, timeout=timeout, validate_certs=validate_certs, ca_path=ca_path, retries=retries,
            error_parser=reseller_error_parser, warn=self.warn, sleep=sleep, httpx_transport=httpx_transport, exact_decimals=True,
        )

    def close(self) -> None:
        self.transport.close()

    # -- authentication ------------------------------------------------------------------------

    def _login(self) -> str:
        """The password grant with Basic client authentication and the CustomerApi scope."""
        creds = self._credentials
        basic = base64.b64encode("{0}:{1}".format(creds.client_id, creds.client_secret).encode("utf-8")).decode("ascii")
        form = {"grant_type": "password", "username": creds.username, "password": creds.password, "scope": "CustomerApi"}
        try:
            body = self.transport.request("POST", TOKEN_PATH, data=form, headers={"Authorization": "Basic " + basic}, idempotent=True)
        except ApiError as error:
            self._check_url(error)
            if error.status in (400, 401):
                error.message = ("reseller login failed ({0}): check client_id, client_secret, username and password"
                                 .format(error.error_code or "HTTP {0}".format(error.status)))
                error.args = (error.message,)
            raise
        fields = {key.lower(): value for key, value in body.items()} if isinstance(body, dict) else {}
        if fields.get("error") and not fields.get("accesstoken"):
            detail = fields.get("error_description") or fields.get("errordescription") or fields["error"]
            raise ApiError("reseller login failed ({0}): check client_id, client_secret, username and password".format(detail),
                           method="POST", path=TOKEN_PATH, error_code=str(fields["error"]), error_message=str(detail))
        self._answered = True
        return parse_answer(TokenResponse, body, "the reseller login answer").access_token

    def _token(self) -> str:
        if self._access_token is None:
            self._access_token = self._login()
        return self._access_token

    def request(self, method: str, path: str, params: Any = None, json: Any = None) -> Any:
        """An authenticated request; a 401 with a password-grant token means it expired: log in again, once."""
        if self.read_only and method.upper() != "GET":
            raise WriteBlockedError("{0} {1} attempted through a read-only client".format(method, path))
        refreshed = False
        while True:
            headers = {"Authorization": "Bearer " + self._token()}
            try:
                answer = self.transport.request(method, path, params=params, json=json, headers=headers)
            except ApiError as error:
                self._check_url(error)
                can_refresh = error.status == 401 and not refreshed and self._credentials.access_token is None
                if not can_refresh:
                    if error.status == 401:
                        error.message = "{0}: the access token was refused; {1}".format(
                            error.message, "give a valid access_token" if self._credentials.access_token else "logging in again did not help")
                        error.args = (error.message,)
                    raise
                self._access_token = None
                refreshed = True
            else:
                self._answered = True
                return answer

    def _check_url(self, error: ApiError) -> None:
        if error.status == 404 and error.path in ALWAYS_THERE:
            raise endpoint_not_found(error, self._api_url, "the reseller API", API_URL_ADVICE) from None

    # -- assets --------------------------------------------------------------------------------

    def list_assets(self, filters: Sequence[Tuple[str, Any]]) -> List[Any]:
        """Every asset matching the filters, from page 1 on, each once (by Id).

        With TotalHits, until that many are read. A bare array has no total and the server may cap
        PageSize below ours, so there a page ends the walk only when it is empty or shorter than an
        earlier page (one extra request when the first page is short and also the last). A server
        that refuses our PageSize (400) is asked again with the SDK's 20. Pages that overlap (data
        changed between two reads) count each asset once.
        """
        assets: Dict[int, Any] = {}
        largest_page = 0
        page_size = PAGE_SIZE
        page = 1
        while page <= MAX_PAGES:
            params = list(filters) + [("Page", page), ("PageSize", page_size)]
            try:
                body = self.request("GET", ASSETS_PATH, params=params)
            except ApiError as error:
                if error.status != 400 or page_size == SDK_PAGE_SIZE or "pagesize" not in json_text(error).lower():
                    raise
                self.warn("the reseller API refused PageSize {0}; reading pages of {1}".format(page_size, SDK_PAGE_SIZE))
                page_size, page, largest_page = SDK_PAGE_SIZE, 1, 0
                continue
            raw_items, total = split_asset_list(body)
            for raw in raw_items:
                asset = self._remember(raw)
                assets.setdefault(asset.id, asset)
            if not raw_items or (total is not None and len(assets) >= total):
                return list(assets.values())
            if total is None and len(raw_items) < largest_page:
                return list(assets.values())
            largest_page = max(largest_page, len(raw_items))
            page += 1
        raise ApiError("the reseller API kept returning full pages for {0} pages; refusing to read on".format(MAX_PAGES), path=ASSETS_PATH)

    def _remember(self, raw: Dict[str, Any]) -> Any:
        asset = parse_answer(Asset, raw, "a reseller asset answer")
        self._sent[asset.id] = raw
        return asset

    def as_sent(self, asset_id: int) -> Dict[str, Any]:
        """A copy of the asset exactly as the API last sent it in this run, read if it was not."""
        if asset_id not in self._sent:
            self.get_asset(asset_id)
        return copy.deepcopy(self._sent[asset_id])

    def get_asset(self, asset_id: int) -> Optional[Any]:
        """The asset, or None when the API does not know the id (404, or an empty answer)."""
        path = "{0}{1}".format(ASSETS_PATH, asset_id)
        try:
            body = self.request("GET", path)
        except ApiError as error:
            if error.status != 404 or error.path != path:  # the login's 404 is a wrong api_url, not an unknown asset
                raise
            if not self._answered:  # with an access_token nothing proved yet that api_url is right: a wrong one 404s here too
                self.request("GET", ASSETS_PATH, params=[("Page", 1), ("PageSize", 1)])
            return None
        if not body:  # 204, or 200 with nothing: the platform has no such asset for this login
            return None
        return self._remember(body)

    def put_asset(self, asset_id: int, body: Dict[str, Any]) -> None:
        self.request("PUT", "{0}{1}".format(ASSETS_PATH, asset_id), json=body)

    def write_tags(self, asset_id: int, tags: Dict[str, Optional[str]], asset_has_tags: bool) -> None:
        """POST when the asset has no tags yet, PUT when it has; the five fields are replaced together.

        When the answer says the other verb was needed (the asset's tags changed since it was read,
        or the server disagrees), the other verb is used once. A POST is never sent twice.
        """
        body = AssetTags(asset_id=asset_id, **tags).model_dump(by_alias=True)
        path = "{0}{1}/tags".format(ASSETS_PATH, asset_id)
        verb, other = ("PUT", "POST") if asset_has_tags else ("POST", "PUT")
        try:
            self.request(verb, path, json=body)
        except ApiError as error:
            if error.status not in OTHER_TAG_VERB_STATUSES or error.path != path:  # e.g. the login's answer
                raise
            self.request(other, path, json=body)

    def delete_tags(self, asset_id: int) -> None:
        self.request("DELETE", "{0}{1}/tags".format(ASSETS_PATH, asset_id))
