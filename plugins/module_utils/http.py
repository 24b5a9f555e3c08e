# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HTTP transport of the collection, shared by the Apple and the reseller clients.

It owns timeouts, TLS, proxies (from the environment), the user-agent, retries with
full-jitter exponential backoff that honours Retry-After, request pacing, and the single
error type (ApiError). API-specific knowledge (how an error body looks, which errors are
worth retrying) comes in through an ``error_parser`` callable.
"""

from __future__ import annotations

import bisect
import datetime
import decimal
import email.utils
import importlib
import importlib.util
import json as json_module
import random
import ssl
import threading
import time
import uuid
from typing import Any, Callable, Dict, List, Mapping, Optional
from urllib.parse import urlsplit, urlunsplit


class _ImportedOnUse:
    """A module imported at its first attribute access.

    httpx takes about 60 ms to import (more where its command line's extras are installed); a module
    that fails on its input or sends no request never needs it, so it is found here and imported only
    when the first client is built.
    """

    def __init__(self, name: str):
        self._name = name
        self._module: Any = None

    def __getattr__(self, attribute: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)


try:
    HAS_HTTPX = importlib.util.find_spec("httpx") is not None
except (ImportError, ValueError):
    HAS_HTTPX = False
HTTPX_IMPORT_ERROR: Optional[str] = None if HAS_HTTPX else "No module named 'httpx'"
httpx: Any = _ImportedOnUse("httpx")

COLLECTION_VERSION = "0.1.0"
USER_AGENT = "assetops.licensing/{0} (+https://github.com/assetops/licensing)".format(COLLECTION_VERSION)

# Response headers that carry a server-side request id, in order of preference.
REQUEST_ID_HEADERS = ("x-request-id", "x-apple-request-uuid", "x-apple-jingle-correlation-key", "request-id", "x-correlation-id")

IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "PUT", "DELETE", "OPTIONS"))
# Answers that say the server refused the request without acting on it, so even a write may be resent.
# A bare 503 is not one of them: a proxy's 503 may come after the write reached the API. An API that
# says "refused" in its error body sets ApiError.refused instead (the error parser knows its numbers).
REFUSED_STATUSES = frozenset((429,))
# Seconds a request may wait for a server's Retry-After when the task set no deadline (Apple's
# horizon: a write still pending after ten minutes is sent again).
WAIT_BUDGET = 600.0


class ApiError(Exception):
    """Every failure of a request: HTTP status, API error number/code, message, request id.

    ``outcome_unknown`` is true when a write may or may not have been applied (the connection
    broke after the request was sent, or the server failed while handling it): callers must
    re-read before deciding to send it again.
    """

    def __init__(self, message: str, status: Optional[int] = None, error_number: Optional[int] = None,
                 error_code: Optional[str] = None, error_message: Optional[str] = None,
                 request_id: Optional[str] = None, method: Optional[str] = None, path: Optional[str] = None,
                 retryable: bool = False, outcome_unknown: bool = False, refused: bool = False,
                 details: Optional[Dict[str, Any]] = None, hint: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_number = error_number
        self.error_code = error_code
        self.error_message = error_message
        self.request_id = request_id
        self.method = method
        self.path = path
        self.retryable = retryable
        self.outcome_unknown = outcome_unknown
        # the API said it did not act on the request (e.g. throttled), whatever the HTTP status
        self.refused = refused
        self.details = details or {}
        # what to do about it: said in the first retry warning of a task and in the final message
        self.hint = hint

    def to_dict(self) -> Dict[str, Any]:
        """The structured error returned to the user as ``api_error``."""
        return {
            "status": self.status,
            "error_number": self.error_number,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
            "outcome_unknown": self.outcome_unknown,
            "details": self.details,
        }


def shown_url(url: str) -> str:
    """A URL for a message: without user name, password, query or fragment, which may hold secrets."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = "[{0}]".format(host) if ":" in host else host
    port = ":{0}".format(parts.port) if parts.port else ""
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def endpoint_not_found(error: ApiError, base_url: str, api: str, advice: str) -> ApiError:
    """An HTTP 404 from an endpoint the API always has: api_url is wrong, not the request.

    The message names the URL that answered and the api_url given; ``advice`` says what api_url looks like."""
    path = error.path or ""
    url = shown_url(path if "://" in path else base_url.rstrip("/") + path)
    error.message = "{0} answered HTTP 404 (no such endpoint) for {1} {2}: check api_url, {3} (given: {4})".format(
        api, error.method, url, advice, shown_url(base_url))
    error.args = (error.message,)
    error.details["url"] = url
    return error


def _then(hint: Optional[str]) -> str:
    return "; " + hint if hint else ""


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date; None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # the asctime form carries no zone; HTTP-dates are always GMT
        when = when.replace(tzinfo=datetime.timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class RetryPolicy:
    """How often and how long to wait: full-jitter exponential backoff (capped), or the server's Retry-After in full.

    Whether a Retry-After fits the time the task has left is the transport's question (its ``deadline``).
    """

    def __init__(self, retries: int = 8, base_delay: float = 0.5, max_delay: float = 30.0, rng: Optional[random.Random] = None):
        self.retries = max(0, int(retries))
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._rng = rng or random.Random()

    def delay(self, attempt: int, retry_after: Optional[float] = None) -> float:
        """Wait before retry number ``attempt`` (1-based)."""
        if retry_after is not None:
            return retry_after
        # the exponent is capped: a large ``retries`` must not overflow the float conversion
        ceiling = min(self.max_delay, self.base_delay * (2 ** min(attempt - 1, 64)))
        return self._rng.uniform(0, ceiling)


class RequestPacer:
    """Spaces request starts so that no more than ``rate`` begin in any one second.

    Thread-safe: parallel page reads share one pacer, so a location's budget holds for all of them.
    A slot is reserved under the lock and slept for outside it. With ``shared`` (a SharedPace) the
    slots come from a file that every module process of the same location uses.
    """

    def __init__(self, rate: Optional[float] = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, safety: float = 1.05, shared: Any = None):
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._start_safety = safety
        self._safety = safety
        self._next_slot = 0.0
        self._starts: List[float] = []  # this process's real start times of the last window, in order
        self._rate: Optional[float] = None
        self._interval = 0.0
        self.shared = shared
        self.set_rate(rate)

    @property
    def interval(self) -> float:
        return self._interval

    def set_rate(self, rate: Optional[float]) -> None:
        # A small safety margin keeps arrival jitter on the wire from crowding a window.
        self._rate = rate
        self._interval = (self._safety / float(rate)) if rate else 0.0

    def throttled(self) -> None:
        """An HTTP 429: the server counted our requests closer together than they were sent. The rest of
        the run is spaced a quarter wider each time, at most twice the starting spacing."""
        with self._lock:
            self._safety = min(self._safety * 1.25, self._start_safety * 2)
            self.set_rate(self._rate)

    def wait(self) -> None:
        if not self._interval:
            return
        with self._lock:
            delay = self.shared.reserve(self._interval) if self.shared is not None else None
            if delay is None:
                now = self._clock()
                slot = max(now, self._next_slot)
                self._next_slot = slot + self._interval
                delay = slot - now
        if delay > 0:
            self._sleep(delay)
        self._hold_the_window()

    def _hold_the_window(self) -> None:
        """A start that came late to its slot (a garbage collection, a busy CPU) would go out next to the
        on-time ones after it. So starts are also counted where they really happened: fewer than ``rate``
        may lie in the margin-widened second before another begins."""
        while True:
            with self._lock:
                limit = max(1, int(self._rate or 1))
                window = self._safety
                now = self._clock()
                starts = self._starts
                del starts[:bisect.bisect_right(starts, now - window)]
                held = bisect.bisect_right(starts, now)
                delay = starts[held - limit] + window - now if held >= limit else 0.0
                if delay <= 1e-9:  # the nanosecond spares a float rounding from one more lap
                    bisect.insort(starts, now)
                    return
            self._sleep(delay)
            if self._clock() - now < delay / 2:  # a sleep that does not move this clock (a test's): nothing to wait for
                with self._lock:
                    bisect.insort(self._starts, self._clock())
                return


ErrorParser = Callable[["httpx.Response", Any], Optional[ApiError]]


def default_error_parser(response: "httpx.Response", body: Any) -> Optional[ApiError]:
    """Any HTTP status >= 400 is an error; 429 and 5xx are worth retrying."""
    if response.status_code < 400:
        return None
    return ApiError(
        "HTTP {0}".format(response.status_code),
        status=response.status_code,
        retryable=response.status_code == 429 or response.status_code >= 500,
    )


def _request_id(response: "httpx.Response") -> Optional[str]:
    for name in REQUEST_ID_HEADERS:
        if name in response.headers:
            return response.headers[name]
    return None


def _decode_body(response: "httpx.Response", exact_decimals: bool = False) -> Any:
    """The JSON body, or None when there is none or it is not JSON. With ``exact_decimals``,
    numbers with a fraction become decimal.Decimal with every digit the server sent."""
    if not response.content:
        return None
    try:
        if exact_decimals:
            return json_module.loads(response.text, parse_float=decimal.Decimal)
        return response.json()
    except ValueError:
        return None


def encode_json(value: Any) -> bytes:
    """JSON for a request body; decimal.Decimal values are written as exact numbers, never via float.

    Each Decimal is first written as a placeholder string carrying a random nonce (so no real value
    can look like one), then the quoted placeholder is swapped for the number.
    """
    try:  # the common body has no Decimal (json refuses one): written at once, without walking every value
        return json_module.dumps(value, separators=(",", ":")).encode("utf-8")
    except TypeError:
        pass  # a Decimal somewhere, or a type the walk below refuses the same way
    decimals: List[str] = []
    nonce = uuid.uuid4().hex

    def placeholder(item: Any) -> Any:
        if isinstance(item, decimal.Decimal):
            decimals.append(format(item, "f"))
            return "\u0000{0}:{1}\u0000".format(nonce, len(decimals) - 1)
        if isinstance(item, dict):
            return {key: placeholder(entry) for key, entry in item.items()}
        if isinstance(item, (list, tuple)):
            return [placeholder(entry) for entry in item]
        return item

    text = json_module.dumps(placeholder(value), separators=(",", ":"))
    for index, number in enumerate(decimals):
        text = text.replace('"\\u0000{0}:{1}\\u0000"'.format(nonce, index), number, 1)
    return text.encode("utf-8")


def _ssl_error(exc: BaseException) -> Optional[ssl.SSLError]:
    """The ssl error behind a transport error, if any (httpx and httpcore each wrap it once)."""
    seen = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _is_certificate_error(exc: BaseException) -> bool:
    return "CERTIFICATE_VERIFY_FAILED" in str(exc) or isinstance(_ssl_error(exc), ssl.SSLCertVerificationError)


def _certificate_problem(exc: BaseException) -> str:
    """OpenSSL's reason, e.g. "unable to get local issuer certificate" or "certificate has expired"."""
    cause = _ssl_error(exc)
    reason = getattr(cause, "verify_message", None)
    if not reason:
        text = str(exc)
        reason = text.split("certificate verify failed:", 1)[1] if "certificate verify failed:" in text else ""
    return reason.split(" (_ssl.c")[0].strip().rstrip(".")


def _handshake_problem(exc: BaseException) -> Optional[str]:
    """The reason of a TLS handshake that failed for a lasting cause (plain HTTP on the port, no common
    protocol or cipher); None for other errors, including a connection closed mid-handshake (worth a retry)."""
    cause = _ssl_error(exc)
    if cause is None or isinstance(cause, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError, ssl.SSLCertVerificationError)):
        return None
    return str(getattr(cause, "reason", None) or cause.__class__.__name__).replace("_", " ").lower()


def _request_never_sent(exc: "httpx.TransportError") -> bool:
    """True when the request cannot have reached the server, so resending a write is safe."""
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


class CaBundleError(ValueError):
    """ca_path cannot be used; the message says why and what to give instead."""


def load_ca_bundle(ca_path: str) -> ssl.SSLContext:
    """A verifying SSL context that trusts exactly the CA certificates of the PEM file ``ca_path``."""
    try:
        return ssl.create_default_context(cafile=ca_path)
    except FileNotFoundError:
        raise CaBundleError("ca_path {0} does not exist: give the PEM file of the CA that signed the server's certificate".format(ca_path)) from None
    except IsADirectoryError:
        raise CaBundleError("ca_path {0} is a directory: give a PEM file of CA certificates".format(ca_path)) from None
    except ssl.SSLError:
        raise CaBundleError("ca_path {0} holds no PEM certificate: give the PEM file of the CA that signed the server's certificate"
                            .format(ca_path)) from None
    except OSError as exc:
        raise CaBundleError("cannot read ca_path {0}: {1}".format(ca_path, exc.strerror or type(exc).__name__)) from None


def build_verify(validate_certs: bool, ca_path: Optional[str]) -> Any:
    """httpx's ``verify``: False, True (the default CA store), or an SSL context for a CA bundle.

    Raises CaBundleError when ca_path is missing or holds no certificate."""
    if not validate_certs:
        return False
    if ca_path:
        return load_ca_bundle(ca_path)
    return True


class Transport:
    """A paced, retrying JSON-over-HTTP client for one API base URL."""

    def __init__(self, base_url: str, timeout: float = 30.0, validate_certs: bool = True, ca_path: Optional[str] = None,
                 retries: int = 8, headers: Optional[Mapping[str, str]] = None, error_parser: ErrorParser = default_error_parser,
                 warn: Optional[Callable[[str], None]] = None, pacer: Optional[RequestPacer] = None,
                 retry_policy: Optional[RetryPolicy] = None, sleep: Callable[[float], None] = time.sleep,
                 httpx_transport: Any = None, exact_decimals: bool = False, clock: Callable[[], float] = time.monotonic):
        self.base_url = base_url.rstrip("/")
        # The time (on ``clock``) by which the task must be done: a Retry-After beyond it fails at once,
        # saying when to try again, instead of being cut short. None: WAIT_BUDGET from the request's start.
        self.deadline: Optional[float] = None
        self._clock = clock
        self.exact_decimals = exact_decimals
        self.error_parser = error_parser
        self.pacer = pacer or RequestPacer()
        self.retry_policy = retry_policy or RetryPolicy(retries)
        self._warn = warn or (lambda message: None)
        self._sleep = sleep
        self._hinted: set = set()  # the hints already given
        all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        all_headers.update(headers or {})
        # the httpx client is built at the first request: a task that sends none never imports httpx
        self._client_options = dict(
            timeout=timeout,
            verify=build_verify(validate_certs, ca_path),
            headers=all_headers,
            trust_env=True,  # HTTP(S)_PROXY / NO_PROXY from the environment
            transport=httpx_transport,
            follow_redirects=False,
        )
        self._httpx_client: Any = None
        self._client_lock = threading.Lock()

    @property
    def _client(self) -> Any:
        # Built under a lock (page reads run in parallel), and by request() before its pace slot: importing
        # httpx and building the client after the slot would send the first request late, into the next
        # slots of other processes sharing the location's pace (429 from Apple).
        with self._client_lock:
            if self._httpx_client is None:
                self._httpx_client = httpx.Client(**self._client_options)
            return self._httpx_client

    def close(self) -> None:
        if self._httpx_client is not None:
            self._httpx_client.close()

    def __enter__(self) -> "Transport":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def request(self, method: str, path: str, params: Any = None, json: Any = None,
                data: Optional[Mapping[str, str]] = None, headers: Optional[Mapping[str, str]] = None,
                idempotent: Optional[bool] = None) -> Any:
        """Send one request, retrying what is safe to retry; return the decoded JSON body (or None).

        ``idempotent`` overrides the method's nature, e.g. for a token request that may be repeated.
        """
        method = method.upper()
        url = path if "://" in path else self.base_url + path  # an absolute URL, e.g. from a service config
        if url.startswith(self.base_url + "/"):
            path = url[len(self.base_url):]  # errors name the path under the base URL either way
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        content = None
        if json is not None:
            content = encode_json(json)
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
        retries = self.retry_policy.retries
        attempt = 0
        deadline = self.deadline if self.deadline is not None else self._clock() + WAIT_BUDGET
        client = self._client
        while True:
            attempt += 1
            self.pacer.wait()
            try:
                response = client.request(method, url, params=params, content=content, data=data, headers=headers)
            except httpx.TransportError as exc:
                error = self._transport_error(exc, method, path, idempotent)
                retry_after = None
            else:
                if response.status_code == 429:
                    self.pacer.throttled()
                body = _decode_body(response, self.exact_decimals)
                error = self.error_parser(response, body)
                if error is None:
                    return body
                self._annotate(error, response, method, path, idempotent)
                retry_after = parse_retry_after(response.headers.get("retry-after"))
            if not error.retryable:
                raise error
            if attempt > retries:
                error.message = "{0} (gave up after {1} retries)".format(error.message, retries) + _then(error.hint)
                error.args = (error.message,)
                error.details["attempts"] = attempt
                raise error
            delay = self.retry_policy.delay(attempt, retry_after)
            if retry_after is not None and self._clock() + delay > deadline:
                raise self._too_long_to_wait(error, delay)
            hint = error.hint if error.hint not in self._hinted else None  # once per task: later warnings stay short
            if hint:
                self._hinted.add(hint)
            self._warn("{0} {1}: {2}; retry {3} of {4} in {5:.1f} s{6}".format(method, path, error.message, attempt, retries, delay, _then(hint)))
            self._sleep(delay)

    def _too_long_to_wait(self, error: ApiError, delay: float) -> ApiError:
        when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delay)
        error.message = "{0}; the server asks to wait {1:.0f} s, more than this task has left: run it again after {2}{3}".format(
            error.message, delay, when.strftime("%Y-%m-%d %H:%M:%S UTC"), _then(error.hint))
        error.args = (error.message,)
        error.retryable = False
        error.details["retry_after"] = delay
        return error

    @staticmethod
    def _annotate(error: ApiError, response: "httpx.Response", method: str, path: str, idempotent: bool) -> None:
        error.status = error.status or response.status_code
        error.request_id = error.request_id or _request_id(response)
        error.method = method
        error.path = path
        if not idempotent and error.retryable and error.status not in REFUSED_STATUSES and not error.refused:
            # The server failed while handling a write: it may have been applied. Let the caller reconcile.
            error.retryable = False
            error.outcome_unknown = True

    def _transport_error(self, exc: "httpx.TransportError", method: str, path: str, idempotent: bool) -> ApiError:
        host = httpx.URL(self.base_url).host
        if _is_certificate_error(exc):
            problem = _certificate_problem(exc)
            return ApiError(
                "TLS certificate of {0} could not be verified{1}: set ca_path to the PEM file of the CA that signed it, "
                "or validate_certs to false for a test server".format(host, " ({0})".format(problem) if problem else ""),
                method=method, path=path,
            )
        handshake_problem = _handshake_problem(exc) if isinstance(exc, httpx.ConnectError) else None
        if handshake_problem:  # only while connecting: nothing was sent yet
            return ApiError(
                "TLS handshake with {0} failed ({1}): check that api_url has the right scheme and port "
                "(https:// for a server that speaks TLS, http:// for one that does not)".format(host, handshake_problem),
                method=method, path=path,
            )
        if isinstance(exc, httpx.TimeoutException):
            reason = "no answer from {0} within the timeout ({1})".format(host, type(exc).__name__)
        else:
            reason = "connection to {0} failed ({1})".format(host, type(exc).__name__)
        never_sent = _request_never_sent(exc)
        return ApiError(
            reason, method=method, path=path,
            retryable=idempotent or never_sent,
            outcome_unknown=not idempotent and not never_sent,
        )


def parse_answer(model: Any, body: Any, what: str) -> Any:
    """Validate an API answer with a pydantic model; a wrong shape becomes one ApiError line.

    The message names the fields and problems only, never the values (an answer may hold a token).
    """
    try:
        return model.model_validate(body if body is not None else {})
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        problems = exc.errors(include_input=False, include_url=False) if hasattr(exc, "errors") else []
        described = "; ".join(
            "{0}: {1}".format(".".join(str(part) for part in problem.get("loc", ())) or "answer", str(problem.get("msg", "")).lower())
            for problem in problems[:5])
        raise ApiError("{0} has an unexpected shape ({1})".format(what, described or "unreadable")) from None
