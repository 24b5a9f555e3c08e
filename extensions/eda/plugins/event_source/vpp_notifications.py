"""Event source assetops.licensing.vpp_notifications: Apple's App and Book Management notifications as events.

ansible-rulebook loads this file on its own (runpy), so it imports nothing from the collection.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import ssl
import time
from collections import OrderedDict
from typing import Any, Optional

from aiohttp import web

DOCUMENTATION = r"""
---
short_description: Receive Apple's App and Book Management notifications.
description:
  - An HTTP(S) server that takes the notifications Apple POSTs to a location's C(notificationUrl)
    (set with M(assetops.licensing.vpp_client_config)) and puts one flat event per notification on the queue,
    under the key C(vpp).
  - It accepts a POST at any path, since the notification URL may carry one.
  - The C(Authorization: Bearer) header must carry O(token), compared in constant time; otherwise the answer
    is 401 and nothing is queued. A body that is not a notification, or larger than 1 MiB, gets 400.
  - It answers 200 only once the event is on the queue, so Apple retries what was not taken.
  - A C(notificationId) seen within O(dedupe_seconds) is answered 200 and not queued again; at most 10000 ids are kept.
    A copy that arrives while the first is still waiting for the queue gets 503, so Apple tries it again later.
  - A notification of a location not in O(uids) is answered 200 (so Apple does not retry it) and dropped.
  - Event C(vpp.type) is the notification type in snake_case (C(asset_management), C(asset_count),
    C(user_management), C(user_associated), C(test_notification), ...); every key is snake_case, and Apple's
    own C(type) (ASSOCIATE, DISASSOCIATE, REVOKE, CREATE, ...) becomes C(action).
  - Apple only calls HTTPS URLs. Serve TLS with O(certfile) and O(keyfile), or run plain HTTP on 127.0.0.1
    behind a reverse proxy that terminates TLS.
  - The token is never logged.
options:
  host:
    description: The address to listen on. Use C(127.0.0.1) behind a reverse proxy on the same machine.
    type: str
    default: 0.0.0.0
  port:
    description: The TCP port to listen on, 1 to 65535.
    type: int
    default: 5000
  token:
    description:
      - The location's notification auth token, as given to M(assetops.licensing.vpp_client_config)
        in C(notification_auth_token). Required.
      - Keep it in a vault or an EDA controller credential, not in the rulebook.
    type: str
    required: true
  certfile:
    description: A PEM certificate chain; with O(keyfile) the server speaks HTTPS.
    type: str
  keyfile:
    description: The PEM private key of O(certfile).
    type: str
  uids:
    description: Only notifications of these location uIds are queued; empty means all.
    type: list
    elements: str
    default: []
  dedupe_seconds:
    description: How long a C(notificationId) is remembered, in seconds; 0 turns de-duplication off.
    type: float
    default: 600
"""

EXAMPLES = r"""
- name: React to Apple's license notifications
  hosts: localhost
  sources:
    - assetops.licensing.vpp_notifications:
        host: 127.0.0.1
        port: 5000
        token: "{{ vpp_notification_token }}"
        dedupe_seconds: 600
  rules:
    - name: A failed assignment event
      condition: event.vpp.type == "asset_management" and event.vpp.result == "FAILURE"
      action:
        debug:
          msg: "{{ event.vpp.failures }}"

- name: HTTPS served by the source itself
  hosts: localhost
  sources:
    - assetops.licensing.vpp_notifications:
        port: 8443
        token: "{{ vpp_notification_token }}"
        certfile: /etc/eda/tls/notifications.pem
        keyfile: /etc/eda/tls/notifications-key.pem
        uids: ["2900000000001"]
  rules:
    - name: Count changes
      condition: event.vpp.type == "asset_count"
      action:
        print_event:
"""

LOGGER = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # 100 elements per notification fit many times over
MAX_REMEMBERED_IDS = 10000
DEFAULT_PORT = 5000
DEFAULT_DEDUPE_SECONDS = 600.0  # Apple's three tries span 1 to 5 minutes


class OptionError(ValueError):
    """A source option that is not valid; the message is one line naming the option."""


class BadNotification(ValueError):
    """A request body that is not one of Apple's notifications."""


class Options:
    """The checked options (a plain class: ansible-rulebook runs this file with runpy)."""

    def __init__(self, token: bytes, host: str = "0.0.0.0", port: int = DEFAULT_PORT, ssl_context: Optional[ssl.SSLContext] = None,
                 uids: frozenset = frozenset(), dedupe_seconds: float = DEFAULT_DEDUPE_SECONDS) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.uids = uids
        self.dedupe_seconds = dedupe_seconds


def _integer(name: str, value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(f"vpp_notifications: {name} must be an integer, got {type(value).__name__}")
    return value


def parse_options(args: dict[str, Any]) -> Options:
    """The checked options, or OptionError with a one-line message. The token never appears in a message."""
    token = args.get("token")
    if not isinstance(token, str) or not token.strip():
        raise OptionError("vpp_notifications: token is required (the location's notification auth token)")
    host = args.get("host", "0.0.0.0")
    if not isinstance(host, str) or not host:
        raise OptionError("vpp_notifications: host must be a non-empty string")
    port = _integer("port", args.get("port", DEFAULT_PORT))
    if not 1 <= port <= 65535:
        raise OptionError(f"vpp_notifications: port must be between 1 and 65535, got {port}")
    dedupe = args.get("dedupe_seconds", DEFAULT_DEDUPE_SECONDS)
    if isinstance(dedupe, bool) or not isinstance(dedupe, (int, float)) or dedupe < 0:
        raise OptionError("vpp_notifications: dedupe_seconds must be a number >= 0")
    uids = args.get("uids") or []
    if isinstance(uids, str):
        uids = [uids]
    if not isinstance(uids, list) or not all(isinstance(uid, (str, int)) and not isinstance(uid, bool) for uid in uids):
        raise OptionError("vpp_notifications: uids must be a list of location uIds")
    return Options(token=token.strip().encode("utf-8"), host=host, port=port,
                   ssl_context=_ssl_context(args.get("certfile"), args.get("keyfile")),
                   uids=frozenset(str(uid) for uid in uids), dedupe_seconds=float(dedupe))


def _ssl_context(certfile: Any, keyfile: Any) -> Optional[ssl.SSLContext]:
    if not certfile and not keyfile:
        return None
    if not certfile or not keyfile:
        raise OptionError("vpp_notifications: certfile and keyfile go together; give both or neither")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(str(certfile), str(keyfile))
    except ssl.SSLError as exc:
        raise OptionError(f"vpp_notifications: certfile/keyfile is not a usable PEM certificate and key: {exc.reason or exc}") from None
    except OSError as exc:
        raise OptionError(f"vpp_notifications: cannot read certfile/keyfile: {exc.strerror or exc}") from None
    return context


# ---------------------------------------------------------------------- notification -> event

def snake(name: str) -> str:
    """adamId -> adam_id, uId -> u_id, ASSET_COUNT -> asset_count."""
    if name.isupper() or "_" in name:
        return name.lower()
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def snake_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {snake(str(key)): snake_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [snake_keys(item) for item in value]
    return value


def _text(payload: dict[str, Any], key: str, required: bool = True) -> Optional[str]:
    value = payload.get(key)
    if value is None and not required:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # adamIds sometimes come as numbers
    if not isinstance(value, str) or not value:
        raise BadNotification(f"{key} must be a non-empty string")
    return value


def _records(payload: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = payload.get(key)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise BadNotification(f"{key} must be a list of objects")
    return value


def _pair(record: dict[str, Any]) -> dict[str, Any]:
    adam_id = _text(record, "adamId", required=False)
    # a REVOKE names targets, not assets: what its notification lists is UNCONFIRMED, so a pair may lack the asset
    pair = {} if adam_id is None else {"adam_id": adam_id, "pricing_param": _text(record, "pricingParam", required=False) or "STDQ"}
    serial, user = _text(record, "serialNumber", required=False), _text(record, "clientUserId", required=False)
    if (serial is None) == (user is None):
        raise BadNotification("each assignment needs one of serialNumber and clientUserId")
    pair.update({"serial_number": serial} if serial is not None else {"client_user_id": user})
    return pair


def _error(payload: dict[str, Any]) -> Optional[dict[str, Any]]:
    error = payload.get("error")
    if error is None:
        return None
    if not isinstance(error, dict):
        raise BadNotification("error must be an object")
    return snake_keys(error)


def _event_result(payload: dict[str, Any]) -> dict[str, Any]:
    """eventId, action, result and error, shared by ASSET_MANAGEMENT and USER_MANAGEMENT."""
    result = _text(payload, "result").upper()
    error = _error(payload)
    return {
        "event_id": _text(payload, "eventId"),
        "action": _text(payload, "type").upper(),
        "result": result,
        "success": result == "SUCCESS",
        "error": error,
        "error_number": error.get("error_number") if error else None,
    }


def _asset_management(payload: dict[str, Any]) -> dict[str, Any]:
    event = _event_result(payload)
    pairs = [_pair(record) for record in _records(payload, "assignments")]
    failed = [] if event["success"] else [dict(pair, error_number=event["error_number"]) for pair in pairs]
    event.update(
        assignments=pairs,
        failures=failed,
        serial_numbers=[pair["serial_number"] for pair in pairs if "serial_number" in pair],
        client_user_ids=[pair["client_user_id"] for pair in pairs if "client_user_id" in pair],
        adam_ids=sorted({pair["adam_id"] for pair in pairs if "adam_id" in pair}),
    )
    return event


def _asset_count(payload: dict[str, Any]) -> dict[str, Any]:
    delta = payload.get("countDelta")
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise BadNotification("countDelta must be an integer")
    return {"adam_id": _text(payload, "adamId"), "pricing_param": _text(payload, "pricingParam", required=False) or "STDQ",
            "count_delta": delta}


def _user_management(payload: dict[str, Any]) -> dict[str, Any]:
    event = _event_result(payload)
    users = snake_keys(_records(payload, "users"))
    event.update(users=users, failures=[] if event["success"] else [dict(user, error_number=event["error_number"]) for user in users],
                 client_user_ids=[user["client_user_id"] for user in users if "client_user_id" in user])
    return event


def _user_associated(payload: dict[str, Any]) -> dict[str, Any]:
    users = snake_keys(_records(payload, "associatedUsers"))
    return {"associated_users": users, "client_user_ids": [user["client_user_id"] for user in users if "client_user_id" in user]}


PAYLOADS = {
    "ASSET_MANAGEMENT": _asset_management,
    "ASSET_COUNT": _asset_count,
    "USER_MANAGEMENT": _user_management,
    "USER_ASSOCIATED": _user_associated,
}


def to_event(body: bytes) -> dict[str, Any]:
    """The flat event of one notification body, or BadNotification."""
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadNotification("the body is not JSON") from None
    if not isinstance(envelope, dict):
        raise BadNotification("the body is not a JSON object")
    kind = _text(envelope, "notificationType").upper()
    payload = envelope.get("notification")
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise BadNotification("notification must be an object")
    if kind in PAYLOADS:
        details = PAYLOADS[kind](payload)
    else:  # TEST_NOTIFICATION (empty), SUBSCRIPTION_*, UNLIMITED_ASSET: passed on, keys in snake_case
        details = {"notification": snake_keys(payload)} if payload else {}
    return {"vpp": {"type": kind.lower(), "notification_type": kind, "notification_id": _text(envelope, "notificationId"),
                    "uid": _text(envelope, "uId"), **details}}


# ---------------------------------------------------------------------- de-duplication

class SeenIds:
    """notificationIds seen within a time window, oldest first; never more than ``limit`` of them."""

    def __init__(self, seconds: float, limit: int = MAX_REMEMBERED_IDS, clock=time.monotonic) -> None:
        self.seconds = seconds
        self.limit = limit
        self.clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def _prune(self, now: float) -> None:
        while self._seen and (len(self._seen) > self.limit or next(iter(self._seen.values())) <= now - self.seconds):
            self._seen.popitem(last=False)

    def seen(self, notification_id: str) -> bool:
        if self.seconds <= 0:
            return False
        self._prune(self.clock())
        return notification_id in self._seen

    def add(self, notification_id: str) -> None:
        if self.seconds <= 0:
            return
        now = self.clock()
        self._seen.pop(notification_id, None)
        self._seen[notification_id] = now
        self._prune(now)


# ---------------------------------------------------------------------- HTTP

def _authorized(header: str, token: bytes) -> bool:
    scheme, _separator, presented = header.partition(" ")
    # compare_digest on bytes: constant time whatever the presented value holds
    return hmac.compare_digest(presented.strip().encode("utf-8", "replace"), token) and scheme.lower() == "bearer"


def _answer(status: int, message: str, **extra: str) -> web.Response:
    return web.json_response({"status": message}, status=status, headers=extra or None)


def build_app(queue: Any, options: Options, seen: Optional[SeenIds] = None) -> web.Application:
    """The aiohttp application: POST at any path; the queue needs only ``await put(event)``."""
    seen = seen if seen is not None else SeenIds(options.dedupe_seconds)
    in_flight: set = set()  # ids whose event is being put on the queue

    async def receive(request: web.Request) -> web.Response:
        if not _authorized(request.headers.get("Authorization", ""), options.token):
            LOGGER.warning("vpp_notifications: refused a request to %s from %s: missing or wrong token", request.path, request.remote)
            return _answer(401, "unauthorized", **{"WWW-Authenticate": "Bearer"})
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _answer(400, "body too large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _answer(400, "body too large")
        try:
            event = to_event(body)
        except BadNotification as exc:
            LOGGER.warning("vpp_notifications: refused a malformed notification: %s", exc)
            return _answer(400, f"malformed notification: {exc}")
        vpp = event["vpp"]
        if options.uids and vpp["uid"] not in options.uids:
            LOGGER.info("vpp_notifications: dropped %s %s of location %s (not in uids)", vpp["notification_type"], vpp["notification_id"], vpp["uid"])
            return _answer(200, "ignored")
        notification_id = vpp["notification_id"]
        if seen.seen(notification_id):
            LOGGER.info("vpp_notifications: dropped repeated %s %s", vpp["notification_type"], notification_id)
            return _answer(200, "duplicate")
        if notification_id in in_flight:  # the first copy is still waiting for the queue: this one may come back later
            return _answer(503, "being queued", **{"Retry-After": "60"})
        in_flight.add(notification_id)
        try:
            await queue.put(event)
        finally:
            in_flight.discard(notification_id)
        seen.add(notification_id)
        LOGGER.info("vpp_notifications: queued %s %s of location %s", vpp["notification_type"], vpp["notification_id"], vpp["uid"])
        return _answer(200, "queued")

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_route("POST", "/{path:.*}", receive)
    return app


async def main(queue: Any, args: dict[str, Any]) -> None:
    """ansible-rulebook's entry point: serve until the task is cancelled."""
    options = parse_options(args)
    runner = web.AppRunner(build_app(queue, options), access_log=None)  # our own log lines; never headers
    await runner.setup()
    try:
        site = web.TCPSite(runner, options.host, options.port, ssl_context=options.ssl_context)
        try:
            await site.start()
        except OSError as exc:
            raise OptionError(f"vpp_notifications: cannot listen on {options.host}:{options.port}: {exc.strerror or exc}") from None
        LOGGER.info("vpp_notifications: listening on %s://%s:%s", "https" if options.ssl_context else "http", options.host, options.port)
        await asyncio.Event().wait()  # until ansible-rulebook cancels the source
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    # VPP_NOTIFICATION_TOKEN=... python vpp_notifications.py [PORT]: print the events of what is sent to 127.0.0.1:PORT
    import os
    import sys

    class PrintQueue:
        async def put(self, event: dict[str, Any]) -> None:
            print(json.dumps(event), flush=True)

    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    try:
        asyncio.run(main(PrintQueue(), {"token": os.environ.get("VPP_NOTIFICATION_TOKEN", ""), "host": "127.0.0.1",
                                        "port": sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PORT}))
    except OptionError as error:
        sys.exit(str(error))
    except KeyboardInterrupt:
        pass
