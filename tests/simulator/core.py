"""The machinery every simulated API shares, and the /_sim control API.

An API half (apple.py; reseller.py later) is an ``ApiHalf``: routes under its prefix plus a few
hooks (who is calling, its error body shape, its mutations, its state). ``Simulator`` is the ASGI
app that wraps every API request in the same pipeline:

    read body -> identify caller -> count arrival (rate limit) -> pick fault rule -> delay/latency
    -> answer (fault, 429, or the half's route) -> record in the request log

Nothing in this module knows Apple's or the reseller's JSON shapes.
"""
from __future__ import annotations

import asyncio
import copy
import decimal
import email.utils
import gc
import http
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

CONTROL_PREFIX = "/_sim"

# Apple's documented limits (GET /service/config). They live here because the rate limiter reads
# maxRequestPerSecond; a limit set to None is removed (a real server may omit any of them).
DEFAULT_LIMITS: dict[str, int] = {
    "maxAssets": 25,
    "maxSerialNumbers": 1000,
    "maxClientUserIds": 1000,
    "maxRevokeSerialNumbers": 100,
    "maxRevokeClientUserIds": 100,
    "maxUsers": 100,
    "maxRequestPerSecond": 15,
    "maxNotificationLength": 512,
    "maxMdmNameLength": 100,
    "maxMdmMetadataLength": 255,
    "maxMdmIdLength": 100,
}

# A proxy's error page, for clients that must cope with a non-JSON 5xx.
PROXY_ERROR_PAGE = (
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)

# Only the start of a response body is kept, enough to read an error number.
CAPTURE_LIMIT = 64 * 1024


class SettingsError(ValueError):
    """A /_sim/settings change (or seed/CLI setting) that is not valid."""


def _check_positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SettingsError(f"{key} must be an integer >= 1")
    return value


def _check_non_negative_number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise SettingsError(f"{key} must be a number >= 0")
    return value


def _check_bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"{key} must be true or false")
    return value


_SETTING_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "pageSize": _check_positive_int,
    "latencyMs": _check_non_negative_number,
    "eventSeconds": _check_non_negative_number,
    "rateLimit": _check_bool,
}


# A half's own setting: its default and its check (see ApiHalf.extra_settings).
ExtraSetting = tuple[Any, Callable[[str, Any], Any]]


class Settings:
    """Run-time knobs, read by the halves on every request.

    The base is defaults < seed "settings" < CLI options; /_sim/settings changes apply on top and
    /_sim/reset returns to the base. ``extra`` adds the halves' own settings (name -> (default, check)).
    """

    DEFAULTS: dict[str, Any] = {"pageSize": 500, "latencyMs": 0, "eventSeconds": 1.0, "rateLimit": True, "limits": DEFAULT_LIMITS}

    def __init__(self, *layers: dict | None, extra: dict[str, ExtraSetting] | None = None) -> None:
        self._base: dict[str, Any] = {}
        self._values: dict[str, Any] = {}
        self._extra_defaults = {name: default for name, (default, _check) in (extra or {}).items()}
        self._checks = {**_SETTING_CHECKS, **{name: check for name, (_default, check) in (extra or {}).items()}}
        self.load(*layers)

    def load(self, *layers: dict | None) -> None:
        values = copy.deepcopy({**self.DEFAULTS, **self._extra_defaults})
        for layer in layers:
            values = self._merged(values, layer or {})
        self._base = values
        self.reset()

    def reset(self) -> None:
        self._values = copy.deepcopy(self._base)

    def update(self, changes: Any) -> dict[str, Any]:
        self._values = self._merged(self._values, changes)
        return self.as_dict()

    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._values)

    @property
    def page_size(self) -> int:
        return self._values["pageSize"]

    @property
    def latency_seconds(self) -> float:
        return self._values["latencyMs"] / 1000.0

    @property
    def event_seconds(self) -> float:
        return self._values["eventSeconds"]

    @property
    def rate_limit(self) -> bool:
        return self._values["rateLimit"]

    @property
    def limits(self) -> dict[str, int]:
        return self._values["limits"]

    def get(self, key: str) -> Any:
        """Any setting by its /_sim/settings name (the halves read their own this way)."""
        return copy.deepcopy(self._values[key])

    def _merged(self, values: dict[str, Any], changes: Any) -> dict[str, Any]:
        if not isinstance(changes, dict):
            raise SettingsError("settings must be a JSON object")
        merged = copy.deepcopy(values)
        for key, value in changes.items():
            if key == "limits":
                merged["limits"] = Settings._merged_limits(merged["limits"], value)
            elif key in self._checks:
                merged[key] = self._checks[key](key, value)
            else:
                raise SettingsError(f"unknown setting {key!r}; known: {sorted([*self._checks, 'limits'])}")
        return merged

    @staticmethod
    def _merged_limits(limits: dict[str, int], changes: Any) -> dict[str, int]:
        if not isinstance(changes, dict):
            raise SettingsError("limits must be a JSON object")
        merged = dict(limits)
        for name, value in changes.items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = _check_positive_int(f"limits.{name}", value)
        return merged


@dataclass(frozen=True)
class Caller:
    """Who a request acts for. Rate limits and peak figures are counted per ``key`` (a location)."""

    key: str
    name: str


class ApiHalf:
    """One simulated API, mounted under ``prefix``. Subclasses override the hooks they need."""

    name = ""  # its key in the seed file and in /_sim/state
    prefix = ""
    # Counted as "writes" in the log summary: full paths (POSTs to them), or "METHOD route" strings
    # with the route as route_template() gives it (any method).
    write_paths: frozenset[str] = frozenset()
    exact_decimals = False  # True: load() gets a seed whose non-integer numbers are decimal.Decimal
    # The time a half keeps (e.g. when events are due); Simulator.use_clock() swaps it for a test's clock.
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self) -> None:
        self.settings = Settings()

    def extra_settings(self) -> dict[str, ExtraSetting]:
        """This half's own /_sim/settings keys: name -> (default, check(name, value) -> value)."""
        return {}

    def control_routes(self) -> list[BaseRoute]:
        """Extra control routes, mounted under /_sim/<name>."""
        return []

    def route_template(self, path: str) -> str:
        """The path as counted in the log summary (e.g. ids replaced by ``{id}``)."""
        return path

    def log_body(self, path: str, body: bytes) -> Any:  # pylint: disable=unused-argument
        """The request body as the request log keeps it (a half redacts secrets here)."""
        return _logged_body(body)

    def rate_limit(self, settings: Settings) -> int | None:
        """Requests per second allowed per caller, or None for no limit."""
        return settings.limits.get("maxRequestPerSecond") if settings.rate_limit else None

    def load(self, seed: dict[str, Any], settings: Settings) -> None:
        """(Re)build the half's data from the whole seed file."""
        raise NotImplementedError

    def routes(self) -> list[BaseRoute]:
        """Routes relative to ``prefix``."""
        raise NotImplementedError

    def caller(self, path: str, headers: Headers) -> Caller | None:  # pylint: disable=unused-argument
        """The rate-limited identity behind a request, or None (not limited, not in peak figures)."""
        return None

    def error_response(self, status: int, number: int | None, message: str | None = None) -> Response:
        """An error in this API's own body shape."""
        raise NotImplementedError

    def too_many_requests(self) -> Response:
        return self.error_response(429, None, "Too many requests")

    def http_error(self, status: int) -> Response:
        """The answer for an unknown path (404) or a wrong method (405) under ``prefix``."""
        return PlainTextResponse(http.HTTPStatus(status).phrase, status_code=status)

    def error_number(self, body: bytes) -> int | str | None:  # pylint: disable=unused-argument
        """The API error number/code in a response body, for the request log."""
        return None

    def check_mutation(self, rule: dict[str, Any]) -> None:
        """Raise ValueError unless ``rule`` (kind "mutate") names a mutation this half supports."""
        raise ValueError(f"the {self.name or 'matched'} API has no mutations")

    def mutate(self, caller: Caller | None, rule: dict[str, Any]) -> None:
        """Change the data as the rule says, just before the matching request is answered."""

    def state(self) -> dict[str, Any]:
        return {}

    def tokens(self) -> list[dict[str, Any]]:
        return []


class RequestLog:
    """Every API request, recorded when it finishes. ``seq`` numbers arrivals and never restarts."""

    def __init__(self) -> None:
        self._entries: list[dict[str, Any]] = []
        self._last_seq = 0

    def next_seq(self) -> int:
        self._last_seq += 1
        return self._last_seq

    def record(self, entry: dict[str, Any]) -> None:
        self._entries.append(entry)

    def entries(self, since: int = 0) -> list[dict[str, Any]]:
        return sorted((entry for entry in self._entries if entry["seq"] > since), key=lambda entry: entry["seq"])

    def clear(self) -> None:
        self._entries = []

    def summary(self, write_paths: frozenset[str]) -> dict[str, Any]:
        counts: dict[str, int] = defaultdict(int)
        statuses: dict[str, int] = defaultdict(int)
        by_caller: dict[str, list[dict[str, Any]]] = defaultdict(list)
        writes = 0
        for entry in self._entries:
            key = f"{entry['method']} {entry.get('route') or entry['path']}"
            counts[key] += 1
            statuses["dropped" if entry["fault"] in ("drop_before", "drop_after") else str(entry["status"])] += 1
            writes += (entry["method"] == "POST" and entry["path"] in write_paths) or key in write_paths
            if entry["uId"] is not None:
                by_caller[entry["uId"]].append(entry)
        return {
            "counts": dict(counts),
            "writes": writes,
            "status": dict(statuses),
            "peak_concurrency": max((_peak_concurrency(group) for group in by_caller.values()), default=0),
            "peak_per_second": max((_peak_per_second(group) for group in by_caller.values()), default=0),
        }


def _peak_concurrency(entries: list[dict[str, Any]]) -> int:
    """Most requests in flight at once (sweep over start/end; an end before a start at a tie)."""
    edges = sorted([(entry["time"], 1) for entry in entries] + [(entry["time"] + entry["duration"], -1) for entry in entries])
    peak = running = 0
    for _edge, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def _peak_per_second(entries: list[dict[str, Any]]) -> int:
    """Most arrivals in any window (t - 1 s, t], the same window the rate limiter uses."""
    arrivals = sorted(entry["time"] for entry in entries)
    peak = first = 0
    for last, arrival in enumerate(arrivals):
        while arrivals[first] <= arrival - 1.0:
            first += 1
        peak = max(peak, last - first + 1)
    return peak


class RateLimiter:
    """Arrivals per caller in a sliding one-second window; every arrival counts, refused ones too."""

    def __init__(self) -> None:
        self._windows: dict[str, deque[float]] = defaultdict(deque)

    def arrive(self, key: str, now: float, limit: int | None) -> bool:
        """Record an arrival; False when it is over ``limit`` (None: no limit)."""
        window = self._windows[key]
        while window and window[0] <= now - 1.0:
            window.popleft()
        window.append(now)
        return limit is None or len(window) <= limit

    def clear(self) -> None:
        self._windows.clear()


FAULT_KINDS = ("status", "drop_before", "drop_after", "delay", "mutate")


class FaultError(ValueError):
    """A fault rule that cannot be used."""


def _non_negative_int(rule: dict[str, Any], key: str, default: int) -> int:
    value = rule.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FaultError(f"{key} must be an integer >= 0")
    return value


def _checked_rule(raw: Any, check_mutation: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A fault rule with defaults filled in, or FaultError."""
    if not isinstance(raw, dict):
        raise FaultError("a fault rule must be a JSON object")
    rule = dict(raw)
    if rule.get("kind") not in FAULT_KINDS:
        raise FaultError(f"kind must be one of {list(FAULT_KINDS)}")
    if not isinstance(rule.get("path"), str) or not rule["path"].startswith("/"):
        raise FaultError("path must be an absolute path, or a prefix ending in '*'")
    rule["method"] = str(rule.get("method", "*")).upper()
    rule["after"] = _non_negative_int(rule, "after", 0)
    # "every": N fires on every Nth matching request once "after" has passed (a storm: 3 refuses a third)
    rule["every"] = _non_negative_int(rule, "every", 1)
    if rule["every"] < 1:
        raise FaultError("every must be an integer >= 1")
    rule["seen"] = 0
    # How often the rule fires: "count", or "times" for mutate rules, whose "count" is how many
    # assignments to add or remove. null: until cleared. "remaining" counts down.
    times_key = "times" if rule["kind"] == "mutate" else "count"
    rule["remaining"] = rule.get(times_key, 1)
    if rule["remaining"] is not None and _non_negative_int(rule, "remaining", 1) < 1:
        raise FaultError(f"{times_key} must be an integer >= 1, or null to fire until cleared")
    kind = rule["kind"]
    if kind == "status":
        if isinstance(rule.get("status"), bool) or not isinstance(rule.get("status"), int) or not 100 <= rule["status"] <= 599:
            raise FaultError("a status fault needs an HTTP status")
        rule.setdefault("errorNumber", None)
        rule.setdefault("retryAfter", None)
        rule.setdefault("html", False)
        _check_status_body(rule)
        if rule["retryAfter"] is not None:
            rule["retryAfter"] = str(rule["retryAfter"])
            if not rule["retryAfter"].isdigit() and not _is_date_offset(rule["retryAfter"]):
                raise FaultError("retryAfter must be seconds (\"2\") or \"date+SECONDS\"")
    elif kind == "delay":
        if isinstance(rule.get("seconds"), bool) or not isinstance(rule.get("seconds"), (int, float)) or rule["seconds"] < 0:
            raise FaultError("a delay fault needs seconds >= 0")
    elif kind == "mutate":
        check_mutation(rule)
    return rule


# ----------------------------------------------------------------- status faults: own message or body
def _check_status_body(rule: dict[str, Any]) -> None:
    """``message``: the text of the API's error body (with ``errorNumber``) or of the plain-text body;
    ``body``: the whole response body, a string as it is (text), any other JSON value as JSON."""
    rule.setdefault("message", None)
    rule.setdefault("body", None)
    if rule["message"] is not None and not isinstance(rule["message"], str):
        raise FaultError("message must be a string")
    if rule["body"] is not None and (rule["html"] or rule["message"] is not None):
        raise FaultError("body replaces the whole answer: give it without html or message")


def _status_body_response(half: ApiHalf | None, rule: dict[str, Any]) -> Response | None:
    """The answer of a status fault with its own ``body`` or ``message``; None when it has neither."""
    status = rule["status"]
    if rule.get("body") is not None:
        if isinstance(rule["body"], str):
            return Response(rule["body"].encode("utf-8"), status_code=status, media_type="text/plain" if rule["body"] else None)
        return JSONResponse(rule["body"], status_code=status)
    if rule.get("message") is None or rule["html"]:
        return None
    if rule["errorNumber"] is not None and half is not None:
        return half.error_response(status, rule["errorNumber"], rule["message"])
    return PlainTextResponse(rule["message"], status_code=status)


def _is_date_offset(value: str) -> bool:
    return value.startswith("date+") and value[len("date+"):].isdigit()


def _retry_after_header(value: str) -> str:
    """'2' stays; 'date+2' becomes the HTTP-date two seconds from now."""
    if _is_date_offset(value):
        return email.utils.formatdate(time.time() + int(value[len("date+"):]), usegmt=True)
    return value


class Faults:
    """Fault rules in the order added. Each rule lets ``after`` matching requests through, then
    fires on every ``every``-th matching request, ``remaining`` times (None: until cleared); the
    first ready rule takes a request."""

    def __init__(self, check_mutation: Callable[[dict[str, Any]], None]) -> None:
        self._check_mutation = check_mutation
        self._rules: list[dict[str, Any]] = []
        self._last_id = 0

    def add(self, rules: Any) -> list[dict[str, Any]]:
        if not isinstance(rules, list):
            raise FaultError('expected {"faults": [rule, ...]}')
        checked = [_checked_rule(rule, self._check_mutation) for rule in rules]  # all or nothing
        for rule in checked:
            self._last_id += 1
            rule["id"] = self._last_id
        self._rules.extend(checked)
        return self.rules()

    def rules(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self._rules)

    def clear(self) -> None:
        self._rules = []

    def take(self, method: str, path: str) -> dict[str, Any] | None:
        chosen = None
        for rule in self._rules:
            if not _rule_matches(rule, method, path):
                continue
            if rule["after"] > 0:
                rule["after"] -= 1
                continue
            rule["seen"] += 1
            if rule["seen"] % rule["every"]:
                continue
            if chosen is None:
                chosen = copy.deepcopy(rule)
                if rule["remaining"] is not None:
                    rule["remaining"] -= 1
        self._rules = [rule for rule in self._rules if rule["remaining"] is None or rule["remaining"] > 0]
        return chosen


def _rule_matches(rule: dict[str, Any], method: str, path: str) -> bool:
    if rule["method"] not in ("*", method):
        return False
    pattern = rule["path"]
    return path.startswith(pattern[:-1]) if pattern.endswith("*") else path == pattern


class ConnectionDropped(RuntimeError):
    """A drop fault outside uvicorn (in-process, behind starlette's TestClient): the request log has the
    entry; tests/utils/inprocess.py turns this into the httpx transport error a client sees over a socket."""


async def drop_connection(send: Callable[..., Any]) -> None:
    """Close the client's TCP connection without a response.

    ASGI has no such message. uvicorn's ``send`` is a bound method of its per-request cycle object,
    which holds the asyncio transport: abort it (the client sees the connection closed before any
    response byte), then yield until uvicorn has noticed the disconnect, so it neither sends its own
    500 nor logs "returned without starting response".
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionDropped("dropping connections needs the uvicorn server (run the simulator as a process)")
    transport.abort()
    for _attempt in range(100):
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0)


class _ResponseCapture:
    """Wraps ``send``: notes status and the start of the body; ``deliver=False`` swallows it all."""

    def __init__(self, send: Callable[..., Any], deliver: bool = True) -> None:
        self._send = send
        self._deliver = deliver
        self.status: int | None = None
        self.body = bytearray()

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body" and len(self.body) < CAPTURE_LIMIT:
            self.body.extend(message.get("body", b""))
        if self._deliver:
            await self._send(message)


async def _read_body(receive: Callable[..., Any]) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Callable[..., Any]:
    """A ``receive`` that hands the already-read body to the routes: the client may be gone by then
    (delay faults), and the request must still be applied."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # like a connection that stays open: never returns
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _query_dict(request: Request) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key not in query:
            query[key] = value
        elif isinstance(query[key], list):
            query[key].append(value)
        else:
            query[key] = [query[key], value]
    return query


def _logged_body(body: bytes) -> Any:
    """Parsed JSON when it is JSON (the writes), else the start of the text; None when empty."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body[:2000].decode("utf-8", "replace")


def _json_error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class Simulator:
    """The ASGI application: API halves behind the shared pipeline, plus /_sim."""

    def __init__(self, seed_path: str | Path, halves: Sequence[ApiHalf], settings: dict[str, Any] | None = None, max_requests: int | None = None) -> None:
        self.seed_path = Path(seed_path)
        self.halves = list(halves)
        self.settings_overrides = dict(settings or {})
        self.settings = Settings(extra={name: spec for half in self.halves for name, spec in half.extra_settings().items()})
        self.log = RequestLog()
        self.faults = Faults(self._check_mutation)
        self.limiter = RateLimiter()
        self.max_requests = max_requests
        self.requests_seen = 0
        self.started = time.monotonic()
        self.on_exhausted: Callable[[], None] | None = None  # the server sets this to stop itself
        # Request times (log, rate limit) and waits (latency, delay faults); see use_clock().
        self.clock: Callable[[], float] = time.monotonic
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._load()
        control = self._control_routes() + [Mount("/" + half.name, routes=half.control_routes()) for half in self.halves if half.control_routes()]
        routes: list[BaseRoute] = [Mount(CONTROL_PREFIX, routes=control)]
        routes += [Mount(half.prefix, routes=half.routes()) for half in self.halves]
        self.app = Starlette(routes=routes, exception_handlers={HTTPException: self._http_error})

    def _load(self) -> None:
        text = self.seed_path.read_text(encoding="utf-8")
        seed = json.loads(text)
        self.settings.load(seed.get("settings"), self.settings_overrides)
        exact: dict[str, Any] | None = None
        for half in self.halves:
            if half.exact_decimals:
                exact = exact if exact is not None else json.loads(text, parse_float=decimal.Decimal)
                half.load(exact, self.settings)
            else:
                half.load(seed, self.settings)
        gc.freeze()  # the seeded data lives until the next reset (see Location._apply)

    def reset(self) -> None:
        self._load()
        self.log.clear()
        self.faults.clear()
        self.limiter.clear()

    # ----------------------------------------------------------------- virtual time (in-process tests)
    def use_clock(self, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]) -> None:
        """Run on a test's time: ``clock()`` stamps requests and tells the halves the time (events fall
        due on it); ``await sleep(seconds)`` is every wait (latencyMs, delay faults), e.g. one that
        only moves that clock on. Only for an in-process simulator: uvicorn keeps real time."""
        self.clock = clock
        self.sleep = sleep
        for half in self.halves:
            half.clock = clock

    def _half_for(self, path: str) -> ApiHalf | None:
        for half in self.halves:
            if path == half.prefix or path.startswith(half.prefix + "/"):
                return half
        return None

    def _check_mutation(self, rule: dict[str, Any]) -> None:
        half = self._half_for(rule["path"].rstrip("*"))
        if half is None:
            raise FaultError(f"no simulated API under {rule['path']!r} to mutate")
        try:
            half.check_mutation(rule)
        except ValueError as exc:
            raise FaultError(str(exc)) from exc

    # ----------------------------------------------------------------- ASGI entry point
    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":  # lifespan
            await self.app(scope, receive, send)
            return
        self.requests_seen += 1
        try:
            if scope["path"] == CONTROL_PREFIX or scope["path"].startswith(CONTROL_PREFIX + "/"):
                await self.app(scope, receive, send)
            else:
                await self._serve_api(scope, receive, send)
        finally:
            if self.max_requests is not None and self.requests_seen >= self.max_requests and self.on_exhausted:
                self.on_exhausted()

    async def _serve_api(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        arrival = self.clock()
        request = Request(scope)
        body = await _read_body(receive)
        half = self._half_for(request.url.path)
        caller = half.caller(request.url.path, request.headers) if half else None
        allowed = True
        if caller is not None and half is not None:
            allowed = self.limiter.arrive(caller.key, arrival, half.rate_limit(self.settings))
        rule = self.faults.take(request.method, request.url.path)
        capture = _ResponseCapture(send, deliver=not rule or rule["kind"] != "drop_after")
        entry: dict[str, Any] = {
            "seq": self.log.next_seq(),
            "time": arrival,
            "method": request.method,
            "path": request.url.path,
            "route": half.route_template(request.url.path) if half else request.url.path,
            "query": _query_dict(request),
            "status": None,
            "errorNumber": None,
            "uId": caller.key if caller else None,
            "location": caller.name if caller else None,
            "body": half.log_body(request.url.path, body) if half else _logged_body(body),
            "fault": rule["kind"] if rule else None,
            "duration": None,
        }
        try:
            await self._answer(scope, body, send, capture, half, caller, allowed, rule)
        finally:
            entry["status"] = capture.status
            entry["errorNumber"] = half.error_number(bytes(capture.body)) if half and capture.body else None
            entry["duration"] = self.clock() - arrival
            self.log.record(entry)

    async def _answer(
        self,
        scope: dict[str, Any],
        body: bytes,
        send: Callable[..., Any],
        capture: _ResponseCapture,
        half: ApiHalf | None,
        caller: Caller | None,
        allowed: bool,
        rule: dict[str, Any] | None,
    ) -> None:
        kind = rule["kind"] if rule else None
        if kind == "delay":
            await self.sleep(rule["seconds"])
        if self.settings.latency_seconds:
            await self.sleep(self.settings.latency_seconds)  # asyncio: parallel requests overlap
        if kind == "drop_before":
            await drop_connection(send)
            return
        if kind == "status":
            response: Response | None = self._fault_response(half, rule)
        elif not allowed and half is not None:  # only a half's caller can be refused
            response = half.too_many_requests()
        else:
            response = None
        if response is not None:
            await response(scope, _replay(body), capture.send)
            return
        if kind == "mutate" and half is not None:
            half.mutate(caller, rule)
        await self.app(scope, _replay(body), capture.send)
        if kind == "drop_after":
            await drop_connection(send)

    @staticmethod
    def _fault_response(half: ApiHalf | None, rule: dict[str, Any]) -> Response:
        status = rule["status"]
        phrase = http.HTTPStatus(status).phrase
        own = _status_body_response(half, rule)
        if own is not None:
            response: Response = own
        elif rule["html"]:
            response = HTMLResponse(PROXY_ERROR_PAGE.format(status=status, phrase=phrase), status_code=status)
        elif rule["errorNumber"] is not None and half is not None:
            response = half.error_response(status, rule["errorNumber"])
        else:
            response = PlainTextResponse(phrase, status_code=status)
        if rule["retryAfter"] is not None:
            response.headers["Retry-After"] = _retry_after_header(rule["retryAfter"])
        return response

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        half = self._half_for(request.url.path)
        if half is None:
            return PlainTextResponse(http.HTTPStatus(status).phrase, status_code=status)
        return half.http_error(status)

    # ----------------------------------------------------------------- /_sim control API
    def _control_routes(self) -> list[BaseRoute]:
        return [
            Route("/health", self._health),
            Route("/settings", self._settings_endpoint, methods=["GET", "POST"]),
            Route("/log", self._log_endpoint, methods=["GET", "DELETE"]),
            Route("/log/summary", self._summary_endpoint),
            Route("/faults", self._faults_endpoint, methods=["GET", "POST", "DELETE"]),
            Route("/state", self._state_endpoint),
            Route("/tokens", self._tokens_endpoint),
            Route("/reset", self._reset_endpoint, methods=["POST"]),
        ]

    async def _health(self, _request: Request) -> Response:
        return JSONResponse({"ok": True, "requests": self.requests_seen, "uptime": time.monotonic() - self.started})

    async def _settings_endpoint(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                self.settings.update(await request.json())
            except ValueError as exc:  # SettingsError, or a body that is not JSON
                return _json_error(str(exc))
        return JSONResponse(self.settings.as_dict())

    async def _log_endpoint(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.log.clear()
            return JSONResponse({"entries": []})
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            return _json_error("since must be an integer")
        return JSONResponse({"entries": self.log.entries(since)})

    async def _summary_endpoint(self, _request: Request) -> Response:
        write_paths = frozenset().union(*(half.write_paths for half in self.halves))
        return JSONResponse(self.log.summary(write_paths))

    async def _faults_endpoint(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults.clear()
        elif request.method == "POST":
            try:
                payload = await request.json()
                self.faults.add(payload.get("faults") if isinstance(payload, dict) else None)
            except ValueError as exc:  # FaultError, or a body that is not JSON
                return _json_error(str(exc))
        return JSONResponse({"faults": self.faults.rules()})

    async def _state_endpoint(self, _request: Request) -> Response:
        return JSONResponse({half.name: half.state() for half in self.halves})

    async def _tokens_endpoint(self, _request: Request) -> Response:
        return JSONResponse([token for half in self.halves for token in half.tokens()])

    async def _reset_endpoint(self, _request: Request) -> Response:
        try:
            self.reset()
        except (OSError, ValueError) as exc:  # the seed file changed into something unreadable
            return _json_error(f"cannot reload the seed: {exc}", status=500)
        return JSONResponse({"ok": True})
