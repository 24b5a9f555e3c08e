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


UNLIMITED_TOTAL = 2147483647


class FakeApple:
    """Apple's paging, filtering, errors and concurrency, measured.

    ``log`` holds (method, path, params, authorization) of every request; ``max_in_flight`` the most
    requests seen at once (each request stays in flight ``delay`` seconds). ``before_page`` and
    ``after_page`` hooks (called with the fake, the path and the page index, under the lock) let a
    test change the data during a walk; ``before_page`` may also return a Response to send instead.

    Writes (associate, disassociate, revoke) check the current ``limits`` and duplicates (Apple's
    synchronous errors), are applied at once with license accounting, and create an event whose
    ``GET /status`` says PENDING until it was polled ``polls_to_finish`` times. ``users`` (a set)
    names the registered clientUserIds (None: everyone is registered; others fail with 9609).
    ``posts`` holds every POST received, ``accepted`` the (path, body, event id) of those applied.
    ``post_faults`` is a queue of ("before" | "after", httpx exception class): "before" raises without
    applying, "after" applies and then raises (the answer is lost). ``before_post`` (fake, path, body)
    may return a Response to send instead.
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
        self.accepted: List[tuple] = []
        self.events: Dict[str, Dict[str, Any]] = {}
        self.polls_to_finish = 1
        self.users: Optional[set] = None
        self.post_faults: List[tuple] = []
        self.before_post: Optional[Callable[["FakeApple", str, dict], Optional[httpx.Response]]] = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- measurements ---------------------------------------------------------------------------

    def requests_to(self, path: str) -> List[Dict[str, str]]:
        with self.lock:
            return [params for (_method, logged, params, _auth) in self.log if logged == path]

    def page_requests(self, path: str, index: int) -> int:
        return sum(1 for params in self.requests_to(path) if int(params.get("pageIndex", 0)) == index)

    def held(self) -> set:
        """The assignments as (adam_id, pricing, "serial_number" | "client_user_id", target) tuples."""
        with self.lock:
            return {self._pair(record) for record in self.assignments}

    def status_polls(self, event_id: str) -> int:
        return sum(1 for params in self.requests_to("/status") if params.get("eventId") == event_id)

    # -- set-up helpers -------------------------------------------------------------------------

    def sync_counts(self) -> None:
        """Make every asset's assignedCount and availableCount agree with the assignments."""
        with self.lock:
            for record in self.assets:
                record["assignedCount"] = sum(1 for pair in self.assignments if self._same_asset(pair, record))
                if record.get("totalCount") is not None and record["totalCount"] != UNLIMITED_TOTAL:
                    record["availableCount"] = record["totalCount"] - record["assignedCount"]

    def add_event(self, final: Dict[str, Any], polls: int = 1) -> str:
        """An event (e.g. {"eventStatus": "FAILED", ...}) that /status reports after ``polls`` polls."""
        with self.lock:
            return self._new_event(final, polls)

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
        if request.method == "GET" and path == "/status":
            return self._status(params.get("eventId"))
        if request.method == "POST" and path in ("/assets/associate", "/assets/disassociate", "/assets/revoke"):
            body = json.loads(request.content)
            self.posts.append((path, body))
            fault = self.post_faults.pop(0) if self.post_faults else None
            if fault and fault[0] == "before":
                raise fault[1]("connection lost before the request was read", request=request)
            if self.before_post:
                answer = self.before_post(self, path, body)
                if isinstance(answer, httpx.Response):
                    return answer
            refused = self._refusal(path, body)
            if refused is not None:
                return refused
            event_id = self._new_event(self._apply(path, body), self.polls_to_finish)
            self.accepted.append((path, body, event_id))
            if fault:
                raise fault[1]("connection lost after the request was applied", request=request)
            return httpx.Response(200, json={"eventId": event_id, "uId": "2049025000431439"})
        return httpx.Response(404, text="not found")

    # -- writes and events (called under the lock) ----------------------------------------------

    @staticmethod
    def _pair(record: dict) -> tuple:
        if record.get("serialNumber") is not None:
            return (record["adamId"], record["pricingParam"], "serial_number", record["serialNumber"])
        return (record["adamId"], record["pricingParam"], "client_user_id", record["clientUserId"])

    @staticmethod
    def _same_asset(record: dict, asset_record: dict) -> bool:
        return record["adamId"] == asset_record["adamId"] and record["pricingParam"] == asset_record["pricingParam"]

    def _find_asset(self, adam_id: str, pricing: str) -> Optional[dict]:
        return next((record for record in self.assets if record["adamId"] == adam_id and record["pricingParam"] == pricing), None)

    def _new_event(self, final: Dict[str, Any], polls: int) -> str:
        event_id = "event-{0}".format(len(self.events) + 1)
        self.events[event_id] = {"final": final, "polls_left": polls}
        return event_id

    def _status(self, event_id: Optional[str]) -> httpx.Response:
        event = self.events.get(event_id or "")
        if event is None:
            return self._error(400, 9708, "Event not found")
        event["polls_left"] -= 1
        if event["polls_left"] > 0:
            body = {"eventStatus": "PENDING", "eventType": event["final"].get("eventType"),
                    "numCompleted": 0, "numRequested": event["final"].get("numRequested", 0)}
        else:
            body = dict(event["final"])
        body.update({"uId": "2049025000431439", "tokenExpirationDate": "2099-11-08T22:33:22+0000"})
        return httpx.Response(200, json=body)

    def _refusal(self, path: str, body: dict) -> Optional[httpx.Response]:
        """Apple's synchronous errors: nothing is queued."""
        assets = [(item.get("adamId"), item.get("pricingParam")) for item in body.get("assets", [])]
        serials, users = body.get("serialNumbers", []), body.get("clientUserIds", [])
        revoke = path == "/assets/revoke"
        checks = [
            (len(set(assets)) != len(assets), 9703, "Duplicate assets"),
            (len(set(users)) != len(users), 9704, "Duplicate clientUserIds"),
            (len(set(serials)) != len(serials), 9705, "Duplicate serialNumbers"),
            (not revoke and len(assets) > self.limits.get("maxAssets", 25), 9700, "Too many assets"),
            (len(users) > self.limits.get("maxRevokeClientUserIds" if revoke else "maxClientUserIds", 1000), 9701,
             "Too many clientUserIds"),
            (len(serials) > self.limits.get("maxRevokeSerialNumbers" if revoke else "maxSerialNumbers", 1000), 9702,
             "Too many serialNumbers"),
            (not revoke and not assets, 9718, "No assets"),
            (not serials and not users, 9719, "No serialNumbers or clientUserIds"),
        ]
        for failed, number, message in checks:
            if failed:
                return self._error(400, number, message)
        return None

    def _apply(self, path: str, body: dict) -> Dict[str, Any]:
        """Change the assignments now and return the event's final status."""
        targets = [("serial_number", serial) for serial in body.get("serialNumbers", [])]
        targets += [("client_user_id", user) for user in body.get("clientUserIds", [])]
        self.version += 1
        if path == "/assets/revoke":
            return self._revoke(targets)
        assets = [(item["adamId"], item["pricingParam"]) for item in body["assets"]]
        associate = path == "/assets/associate"
        held = {self._pair(record) for record in self.assignments}
        failures, failed = [], set()
        unknown_users = sorted(target for kind, target in targets
                               if kind == "client_user_id" and self.users is not None and target not in self.users)
        if associate and unknown_users:
            failures.append({"errorNumber": 9609, "errorMessage": "Registered user not found",
                             "errorInfo": {"clientUserIds": unknown_users}})
            failed |= {(adam_id, pricing, "client_user_id", user) for adam_id, pricing in assets for user in unknown_users}
        for adam_id, pricing in assets:
            record = self._find_asset(adam_id, pricing)
            wanted = [(adam_id, pricing, kind, target) for kind, target in targets
                      if (adam_id, pricing, kind, target) not in failed and ((adam_id, pricing, kind, target) in held) != associate]
            unlimited = record is not None and record.get("totalCount") == UNLIMITED_TOTAL
            if associate and wanted and not unlimited and (record is None or (record.get("availableCount") or 0) < len(wanted)):
                # all or nothing per asset, so a failure naming only the asset is exact
                failures.append({"errorNumber": 9709, "errorMessage": "Not enough licenses",
                                 "errorInfo": {"assets": [{"adamId": adam_id, "pricingParam": pricing}]}})
                failed |= set(wanted)
                continue
            for pair in wanted:
                self._set_held(pair, associate, record)
        requested = len(assets) * len(targets)
        return {"eventStatus": "FAILED" if failures else "COMPLETE",
                "eventType": "ASSOCIATE" if associate else "DISASSOCIATE",
                "numRequested": requested, "numCompleted": requested - len(failed), "failures": failures}

    def _revoke(self, targets: List[tuple]) -> Dict[str, Any]:
        for record in list(self.assignments):
            pair = self._pair(record)
            asset_record = self._find_asset(pair[0], pair[1])
            if (pair[2], pair[3]) in targets and asset_record is not None and asset_record.get("revocable"):
                self._set_held(pair, False, asset_record)
        return {"eventStatus": "COMPLETE", "eventType": "REVOKE", "numRequested": len(targets),
                "numCompleted": len(targets), "failures": []}

    def _set_held(self, pair: tuple, held: bool, asset_record: Optional[dict]) -> None:
        adam_id, pricing, kind, target = pair
        if held:
            self.assignments.append(assignment(adam_id, pricing, serial=target if kind == "serial_number" else None,
                                               user=target if kind == "client_user_id" else None))
        else:
            self.assignments = [record for record in self.assignments if self._pair(record) != pair]
        if asset_record is not None:
            step = 1 if held else -1
            asset_record["assignedCount"] = (asset_record.get("assignedCount") or 0) + step
            if asset_record.get("availableCount") is not None and asset_record.get("totalCount") != UNLIMITED_TOTAL:
                asset_record["availableCount"] -= step

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
