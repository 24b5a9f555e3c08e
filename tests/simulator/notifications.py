"""Apple's notifications, POSTed for real to a location's notificationUrl (setting notificationDelivery).

Apple sends `Authorization: Bearer <notificationAuthToken>` and the envelope
`{"notification", "notificationId", "notificationType", "uId"}`; only a 2xx counts as delivered, and an
undelivered notification is tried up to three times. TEST_NOTIFICATION goes out at once, inside the
POST /client/config that sets the URL (the config is refused with 9728 when it is not delivered); the
others go out from one background thread, so a slow receiver never holds up the API.

Each notification is recorded in the location's ``notifications`` (``/_sim/state``), without the token:
notificationType, notificationId, notificationUrl, notification, attempts (status code or error per
try), delivered (null while tries remain).
"""
from __future__ import annotations

import queue
import ssl
import threading
import time
import uuid
from typing import Any, Callable

import httpx

MAX_ELEMENTS = 100  # Apple: at most 100 elements per notification; more are split over several
TRIES = 3
TIMEOUT_SECONDS = 5.0
SUBSCRIBABLE = ("ASSET_MANAGEMENT", "ASSET_COUNT", "USER_MANAGEMENT", "USER_ASSOCIATED")
ASSET_EVENTS = ("ASSOCIATE", "DISASSOCIATE", "REVOKE")
USER_EVENTS = ("CREATE", "UPDATE", "RETIRE")
TARGET_KEYS = {"serial": "serialNumber", "user": "clientUserId"}


def chunks(items: list[Any], size: int = MAX_ELEMENTS) -> list[list[Any]]:
    return [items[start:start + size] for start in range(0, len(items), size)] or [[]]


class Notifier:
    """Sends one location's notifications for the Apple half. ``setting(name)`` reads the live /_sim settings."""

    def __init__(self, setting: Callable[[str], Any]) -> None:
        self.setting = setting
        self._jobs: queue.Queue = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._worker: threading.Thread | None = None

    # ------------------------------------------------------------------ settings
    def enabled(self) -> bool:
        return bool(self.setting("notificationDelivery"))

    def _client(self) -> httpx.Client:
        ca = self.setting("notificationCaFile")
        verify: Any = ssl.create_default_context(cafile=ca) if ca else True
        return httpx.Client(verify=verify, timeout=TIMEOUT_SECONDS, follow_redirects=False)

    # ------------------------------------------------------------------ sending
    def _record(self, location: Any, kind: str, notification: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        envelope = {"notification": notification, "notificationId": str(uuid.uuid4()), "notificationType": kind, "uId": location.uid}
        record = {"notificationType": kind, "notificationId": envelope["notificationId"],
                  "notificationUrl": location.client_config.get("notificationUrl"), "notification": notification,
                  "attempts": [], "delivered": None}
        location.notifications.append(record)
        return envelope, record

    @staticmethod
    def _try(client: httpx.Client, url: str, token: str, envelope: dict[str, Any], record: dict[str, Any]) -> bool:
        try:
            answer = client.post(url, json=envelope, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            record["attempts"].append(type(exc).__name__)
            return False
        record["attempts"].append(answer.status_code)
        return 200 <= answer.status_code < 300

    def test_notification(self, location: Any, url: str, token: str) -> bool:
        """One TEST_NOTIFICATION to ``url``, before the config that names it is stored: delivered or not."""
        envelope, record = self._record(location, "TEST_NOTIFICATION", {})
        record["notificationUrl"] = url
        with self._client() as client:
            record["delivered"] = self._try(client, url, token, envelope, record)
        return record["delivered"]

    def send(self, location: Any, kind: str, notification: dict[str, Any]) -> None:
        """Queue one notification for the background sender, if the location has a URL and subscribed to ``kind``."""
        config = location.client_config
        if not self.enabled() or "notificationUrl" not in config or kind not in config.get("notificationTypes", []):
            return
        envelope, record = self._record(location, kind, notification)
        with self._idle:
            self._pending += 1
        self._jobs.put((config["notificationUrl"], config["notificationAuthToken"], envelope, record))
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._run, name="sim-notifications", daemon=True)
            self._worker.start()

    def _run(self) -> None:
        with self._client() as client:
            while True:
                try:
                    url, token, envelope, record = self._jobs.get(timeout=1.0)
                except queue.Empty:
                    if self._pending == 0:
                        return  # a new send starts a new worker
                    continue
                delays = list(self.setting("notificationRetrySeconds"))
                for attempt in range(TRIES):
                    if self._try(client, url, token, envelope, record):
                        record["delivered"] = True
                        break
                    if attempt + 1 < TRIES:
                        time.sleep(delays[min(attempt, len(delays) - 1)])
                else:
                    record["delivered"] = False
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Whether every queued notification had its tries within ``timeout`` seconds (for tests)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    # ------------------------------------------------------------------ what an event sends
    def event_hook(self, location: Any, event: Any) -> Callable[[], None]:
        """Called before ``event`` is applied; the callable it returns, after. Sends what Apple would."""
        if not self.enabled() or "notificationUrl" not in location.client_config:
            return lambda: None
        counts = {key: location.available_count(asset) for key, asset in location.assets.items()}
        revoked = self._revocable_pairs(location, event) if event.event_type == "REVOKE" else []
        associated = {user.client_user_id for user in location.users.values() if user.status == "Associated"}

        def finished() -> None:
            if event.event_type in ASSET_EVENTS:
                self._asset_management(location, event, revoked)
            elif event.event_type in USER_EVENTS:
                self._user_management(location, event, associated)
            for key, before in counts.items():
                delta = location.available_count(location.assets[key]) - before
                if delta:  # UNCONFIRMED: whether Apple also sends ASSET_COUNT for assignments, or only for purchases
                    self.send(location, "ASSET_COUNT", {"adamId": key[0], "countDelta": delta, "pricingParam": key[1]})
        return finished

    @staticmethod
    def _revocable_pairs(location: Any, event: Any) -> list[tuple[str, str, str, str]]:
        targets = set(event.request["targets"])
        return [key for key in location.assignments if (key[2], key[3]) in targets and location.assets[key[:2]].revocable]

    @staticmethod
    def _pair(key: tuple[str, str, str, str]) -> dict[str, str]:
        return {"adamId": key[0], "pricingParam": key[1], TARGET_KEYS[key[2]]: key[3]}

    def _asset_management(self, location: Any, event: Any, revoked: list[tuple[str, str, str, str]]) -> None:
        if event.event_type == "REVOKE":
            pairs = revoked
        else:
            pairs = [(*asset, *target) for asset in event.request["assets"] for target in event.request["targets"]]
        failed: set[tuple[str, str, str, str]] = set()
        for group in event.failures:
            info = group.get("errorInfo", {})
            assets = [(ref["adamId"], ref.get("pricingParam", "STDQ")) for ref in info.get("assets", [])]
            targets = [("serial", serial) for serial in info.get("serialNumbers", [])] + [("user", user) for user in info.get("clientUserIds", [])]
            group_pairs = [pair for pair in pairs if (pair[2], pair[3]) in targets and (not assets or pair[:2] in assets)]
            if event.event_type == "REVOKE":
                group_pairs = [("", "", *target) for target in targets]
            failed.update(group_pairs)
            error = {"errorNumber": group.get("errorNumber"), "errorMessage": group.get("errorMessage")}
            for part in chunks(group_pairs):
                self.send(location, "ASSET_MANAGEMENT", {"assignments": [self._failed_pair(pair) for pair in part], "eventId": event.event_id,
                                                         "result": "FAILURE", "type": event.event_type, "error": error})
        succeeded = [pair for pair in pairs if pair not in failed]
        if succeeded or not failed:
            for part in chunks(succeeded):
                self.send(location, "ASSET_MANAGEMENT", {"assignments": [self._pair(pair) for pair in part], "eventId": event.event_id,
                                                         "result": "SUCCESS", "type": event.event_type})

    def _failed_pair(self, pair: tuple[str, str, str, str]) -> dict[str, str]:
        if pair[0]:
            return self._pair(pair)
        return {TARGET_KEYS[pair[2]]: pair[3]}  # a REVOKE failure names only the target

    def _user_management(self, location: Any, event: Any, associated_before: set[str]) -> None:
        users = [{key: spec[key] for key in ("clientUserId", "email", "managedAppleId") if key in spec} for spec in event.request["users"]]
        failed: set[str] = set()
        for group in event.failures:
            ids = group.get("errorInfo", {}).get("clientUserIds", [])
            failed.update(ids)
            error = {"errorNumber": group.get("errorNumber"), "errorMessage": group.get("errorMessage")}
            for part in chunks([user for user in users if user["clientUserId"] in ids]):
                self.send(location, "USER_MANAGEMENT", {"eventId": event.event_id, "result": "FAILURE", "type": event.event_type,
                                                        "users": part, "error": error})
        succeeded = [user for user in users if user["clientUserId"] not in failed]
        for part in chunks(succeeded) if succeeded else []:
            self.send(location, "USER_MANAGEMENT", {"eventId": event.event_id, "result": "SUCCESS", "type": event.event_type, "users": part})
        newly = [location.users[user["clientUserId"]] for user in succeeded
                 if user["clientUserId"] not in associated_before and location.users.get(user["clientUserId"]) is not None
                 and location.users[user["clientUserId"]].status == "Associated"]
        for part in chunks(newly) if newly else []:
            self.send(location, "USER_ASSOCIATED", {"associatedUsers": [user.record() for user in part]})
