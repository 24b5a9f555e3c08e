"""Test helpers for the Apple client: sTokens and an in-memory Apple (an ``httpx.MockTransport`` handler).

Not a test module; the test files of this folder import it by name (pytest puts their folder on sys.path).
"""
from __future__ import annotations

import base64
import json
import math
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional

import httpx

API_URL = "https://vpp.example.test/mdm/v2"
API_PREFIX = "/mdm/v2"
INNER_TOKEN = "inner-SECRET-token-4f1c9a0d2b7e"
DEFAULT_LIMITS = {
    "maxAssets": 25, "maxSerialNumbers": 1000, "maxClientUserIds": 1000, "maxRevokeSerialNumbers": 100,
    "maxRevokeClientUserIds": 100, "maxUsers": 100, "maxRequestPerSecond": 15,
}


def make_stoken(inner: str = INNER_TOKEN, exp: Any = None, org: Optional[str] = "Example School",
                extra: Optional[Dict[str, Any]] = None, drop: tuple = ()) -> str:
    """The content of a .vpptoken file (base64 of the token JSON)."""
    if exp is None:
        exp = datetime(2099, 11, 8, 22, 33, 22, tzinfo=timezone.utc)
    if isinstance(exp, datetime):
        exp = exp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")
    payload: Dict[str, Any] = {"token": inner, "expDate": exp}
    if org is not None:
        payload["orgName"] = org
    payload.update(extra or {})
    for key in drop:
        payload.pop(key, None)
    return base64.b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")


def asset(adam_id: str, pricing: str = "STDQ", product: str = "App", total: int = 10, assigned: int = 2,
          device_assignable: bool = True, revocable: bool = True) -> Dict[str, Any]:
    return {
        "adamId": adam_id, "pricingParam": pricing, "productType": product, "deviceAssignable": device_assignable,
        "revocable": revocable, "supportedPlatforms": ["iOS"], "totalCount": total, "assignedCount": assigned,
        "availableCount": total - assigned, "retiredCount": 0, "someFieldAppleAddsLater": {"x": 1},
    }


def assignment(adam_id: str, pricing: str = "STDQ", serial: Optional[str] = None, user: Optional[str] = None) -> Dict[str, Any]:
    record: Dict[str, Any] = {"adamId": adam_id, "pricingParam": pricing}
    if serial is not None:
        record["serialNumber"] = serial
    else:
        record["clientUserId"] = user
    return record


class FakeApple:
    """Apple's paging, filtering, errors and concurrency, measured.

    ``log`` holds (method, path, params, authorization) of every request; ``max_in_flight`` the most
    requests seen at once (each request stays in flight ``delay`` seconds). ``before_page`` and
    ``after_page`` hooks (called with the fake, the path and the page index, under the lock) let a
    test change the data during a walk; ``before_page`` may also return a Response to send instead.
    """

    ASSET_FILTERS = ("adamId", "pricingParam", "productType", "deviceAssignable", "revocable")
    ASSIGNMENT_FILTERS = ("adamId", "pricingParam", "serialNumber", "clientUserId")

    def __init__(self, token: str, assets: Optional[List[dict]] = None, assignments: Optional[List[dict]] = None,
                 page_size: int = 3, limits: Optional[Dict[str, Any]] = None, delay: float = 0.0,
                 honour_filters: bool = True):
        self.token = token
        self.assets = list(assets or [])
        self.assignments = list(assignments or [])
        self.page_size = page_size
        self.limits = dict(DEFAULT_LIMITS) if limits is None else limits
        self.delay = delay
        self.honour_filters = honour_filters
        self.version = 1
        self.lock = threading.Lock()
        self.log: List[tuple] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.before_page: Optional[Callable[["FakeApple", str, int], Optional[httpx.Response]]] = None
        self.after_page: Optional[Callable[["FakeApple", str, int], None]] = None
        self.posts: List[tuple] = []

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- measurements ---------------------------------------------------------------------------

    def requests_to(self, path: str) -> List[Dict[str, str]]:
        with self.lock:
            return [params for (_method, logged, params, _auth) in self.log if logged == path]

    def page_requests(self, path: str, index: int) -> int:
        return sum(1 for params in self.requests_to(path) if int(params.get("pageIndex", 0)) == index)

    # -- the server -----------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path[len(API_PREFIX):] if request.url.path.startswith(API_PREFIX) else request.url.path
        params = dict(request.url.params)
        with self.lock:
            self.log.append((request.method, path, params, request.headers.get("authorization")))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            with self.lock:
                return self._answer(request, path, params)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _error(self, status: int, number: int, message: str) -> httpx.Response:
        return httpx.Response(status, json={"errorNumber": number, "errorMessage": message})

    def _answer(self, request: httpx.Request, path: str, params: Dict[str, str]) -> httpx.Response:
        if path == "/service/config":
            return httpx.Response(200, json={"limits": self.limits, "urls": {"getAssets": API_URL + "/assets"},
                                             "errorCodes": [], "notificationTypes": []})
        if request.headers.get("authorization") != "Bearer " + self.token:
            return self._error(401, 9622, "Invalid authentication token")
        if request.method == "GET" and path == "/assets":
            return self._page(path, params, "assets", self.assets, self.ASSET_FILTERS)
        if request.method == "GET" and path == "/assignments":
            return self._page(path, params, "assignments", self.assignments, self.ASSIGNMENT_FILTERS)
        if request.method == "POST" and path.startswith("/assets/"):
            self.posts.append((path, json.loads(request.content)))
            return httpx.Response(200, json={"eventId": "event-1", "uId": "2049025000431439"})
        return httpx.Response(404, text="not found")

    def _page(self, path: str, params: Dict[str, str], key: str, records: List[dict], filters: tuple) -> httpx.Response:
        index = int(params.get("pageIndex", "0"))
        if self.before_page:
            answer = self.before_page(self, path, index)
            if isinstance(answer, httpx.Response):
                return answer
        records = self.assets if key == "assets" else self.assignments  # a hook may have replaced the list
        selected = [record for record in records if self._matches(record, params, filters)]
        total_pages = max(1, math.ceil(len(selected) / self.page_size))
        if index >= total_pages:
            return self._error(400, 9650, "Invalid pageIndex")
        body: Dict[str, Any] = {
            key: selected[index * self.page_size:(index + 1) * self.page_size],
            "currentPageIndex": index, "size": self.page_size, "totalPages": total_pages,
            "versionId": "version-{0}".format(self.version), "uId": "2049025000431439",
            "tokenExpirationDate": "2099-11-08T22:33:22+0000", "aFieldFromTheFuture": [1, 2, 3],
        }
        if index + 1 < total_pages:
            body["nextPageIndex"] = index + 1
        if self.after_page:
            self.after_page(self, path, index)
        return httpx.Response(200, json=body)

    def _matches(self, record: dict, params: Dict[str, str], filters: tuple) -> bool:
        if not self.honour_filters:
            return True
        for name in filters:
            if name not in params:
                continue
            value = record.get(name)
            if isinstance(value, bool):
                value = "true" if value else "false"
            if value != params[name]:
                return False
        return True
