# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Apple client of one location: the auth header, paced GETs, the one write funnel, and the limits.

A client built with ``read_only=True`` refuses every write, which is how check mode and the info
modules are kept honest in one place. Reads are in reads.py and paging.py, events in events.py and
the write runs in writes.py; they all go through ``get`` and ``post`` here.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional
from urllib.parse import urlsplit

from ansible_collections.assetops.licensing.plugins.module_utils.errors import WriteBlockedError
from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError, RequestPacer, Transport, endpoint_not_found, parse_answer
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import plan
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.errors import apple_error_parser
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.limits import DEFAULT_LIMITS, LimitsCache
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.token import SToken

if TYPE_CHECKING:  # the models import pydantic: loaded by the functions that read an answer
    from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import ServiceLimits

# Requests start 1.12 / maxRequestPerSecond apart, so limit + 1 starts span 1.12 s: arrivals may bunch
# up by 0.12 s on the way before Apple's one-second window sees one too many (a 429). A start that came
# late to its slot is also held back by RequestPacer, but only within its own process: forks sharing a
# location's pace still need this margin (at 1.05, 25 forks drew a 429 on a loaded CI machine).
PACING_SAFETY = 1.12

# Apple: the URLs in /service/config are dynamic, never hard-code them. Each documented path used
# below names its entry there; the documented path stays the fallback when the entry is missing or
# points at another host than api_url (the token never goes to a host the user did not configure).
ENDPOINT_NAMES = {
    "/client/config": "clientConfig", "/assets": "getAssets", "/assignments": "getAssignments",
    "/assets/associate": "associateAssets", "/assets/disassociate": "disassociateAssets", "/assets/revoke": "revokeAssets",
    "/status": "eventStatus", "/users": "getUsers", "/users/create": "createUsers", "/users/update": "updateUsers",
    "/users/retire": "retireUsers",
}


# Apple answers no request of its own with 404 (unknown ids are 400s with an error number): a 404 means
# api_url does not point at the API, most often because /mdm/v2 is missing (a proxy, a test server).
API_URL_ADVICE = "it usually ends in /mdm/v2, as in https://vpp.itunes.apple.com/mdm/v2"


def same_origin(url: str, other: str) -> bool:
    first, second = urlsplit(url), urlsplit(other)
    return (first.scheme, first.hostname, first.port) == (second.scheme, second.hostname, second.port)


class VppClient:
    """One location (one sToken) of Apple's App and Book Management API.

    ``sleep`` and ``clock`` are the run's time: the waits for events and for lost writes use them,
    so tests inject a fake clock here once. ``shared_pace`` (a SharedPace) paces this location
    together with every other module process of the controller. ``hide`` (the module's) keeps a
    secret found in an answer, such as the notification auth token, out of the module's output.
    """

    def __init__(self, token: SToken, api_url: str, timeout: float = 30.0, validate_certs: bool = True,
                 ca_path: Optional[str] = None, retries: int = 8, warn: Optional[Callable[[str], None]] = None,
                 read_only: bool = True, limits_cache: Optional[LimitsCache] = None, httpx_transport: Any = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 shared_pace: Any = None, hide: Optional[Callable[..., None]] = None, assignment_cache: Any = None):
        self.api_url = api_url.rstrip("/")
        self.sleep = sleep
        self.clock = clock
        self.warn = warn or (lambda message: None)
        self.hide = hide or (lambda *secrets: None)
        self.read_only = read_only
        self._token = token
        self.transport = Transport(
            self.api_url, timeout=timeout, validate_certs=validate_certs, ca_path=ca_path, retries=retries,
            error_parser=apple_error_parser, warn=self.warn,
            pacer=RequestPacer(DEFAULT_LIMITS["max_request_per_second"], sleep=sleep, safety=PACING_SAFETY, shared=shared_pace),
            sleep=sleep, httpx_transport=httpx_transport, clock=clock,
        )
        self._limits_cache = limits_cache or LimitsCache(self.api_url)
        self._limits: Optional[ServiceLimits] = None
        self._urls: Dict[str, Any] = {}
        self.owner: Optional[Dict[str, Any]] = None  # the location's mdmInfo, as the last answer had it
        self.owner_known = False  # whether any authenticated answer came yet
        self.location_uid: Optional[str] = None  # Apple's uId of the location, from the last answer that had one
        self.assignment_cache = assignment_cache  # an AssignmentSnapshot (option assignment_cache), or None
        self._limits_lock = threading.Lock()
        self._in_flight = threading.BoundedSemaphore(plan.MAX_PARALLEL_REQUESTS)

    def close(self) -> None:
        self.transport.close()

    @property
    def token(self) -> SToken:
        """The location's sToken as parsed (expiry, organisation name); its secret parts never go into a result."""
        return self._token

    def limits(self, refresh: bool = False) -> "ServiceLimits":
        """Apple's current limits; read at most once per five minutes per API URL on this controller.

        ``refresh`` asks Apple again, e.g. after a request was refused for being over a limit.
        """
        from ansible_collections.assetops.licensing.plugins.module_utils.vpp import models  # pylint: disable=import-outside-toplevel
        with self._limits_lock:
            if refresh:
                self._limits = None
            if self._limits is None:
                cached = None if refresh else self._limits_cache.load()
                if cached is None:
                    config = parse_answer(models.ServiceConfig, self._request("GET", "/service/config"), "Apple's /service/config answer")
                    self._limits, self._urls = config.limits, config.urls
                    self._limits_cache.save(self._limits.model_dump(by_alias=True, exclude_none=True), self._urls)
                else:
                    self._limits, self._urls = models.ServiceLimits.model_validate(cached), self._limits_cache.load_urls()
                self.transport.pacer.set_rate(self._limits.max_request_per_second or DEFAULT_LIMITS["max_request_per_second"])
            return self._limits

    @property
    def urls(self) -> Dict[str, Any]:
        """The endpoint URLs of Apple's /service/config (read with the limits; empty before the first request)."""
        return dict(self._urls)

    def url_for(self, path: str) -> str:
        """Where to send a request for a documented path: the service config's URL for it when it is on api_url's host."""
        url = self._urls.get(ENDPOINT_NAMES.get(path, ""))
        if isinstance(url, str) and same_origin(url, self.api_url):
            return url
        return path

    def _auth_headers(self) -> Dict[str, str]:
        return {"Authorization": "Bearer " + self._token.value}

    def get(self, path: str, params: Optional[Dict[str, str]] = None) -> Any:
        """An authenticated GET, paced by the location's limit and at most five in flight."""
        self.limits()  # the pacing rate must be known before the first authenticated request
        with self._in_flight:
            return self._note_owner(self._request("GET", self.url_for(path), params=params, headers=self._auth_headers()))

    def get_url(self, url: str, params: Dict[str, str], headers: Optional[Dict[str, str]] = None) -> Any:
        """A GET of another service the service config names (the metadata lookup): paced with the location's
        requests, at most five in flight, without the Authorization header (``headers`` are the caller's)."""
        self.limits()
        with self._in_flight:
            return self.transport.request("GET", url, params=params, headers=headers)

    def post(self, path: str, body: Dict[str, Any]) -> Any:
        """The one funnel for writes. A read-only client refuses, so check mode can never write."""
        if self.read_only:
            raise WriteBlockedError("write to {0} attempted through a read-only client".format(path))
        self.limits()
        with self._in_flight:
            return self._note_owner(self._request("POST", self.url_for(path), json=body, headers=self._auth_headers()))

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return self.transport.request(method, path, **kwargs)
        except ApiError as error:
            if error.status == 404 and error.error_number is None:
                raise endpoint_not_found(error, self.api_url, "Apple's API", API_URL_ADVICE) from None
            raise

    def _note_owner(self, answer: Any) -> Any:
        """Apple: "inspect MdmInfo each time a response returns". Every authenticated answer carries the
        location's mdmInfo once an MDM set it, so an answer without it means the location has no owner."""
        if isinstance(answer, dict):
            info = answer.get("mdmInfo")
            self.owner = info if isinstance(info, dict) else None
            self.owner_known = True
            if isinstance(answer.get("uId"), str):
                self.location_uid = answer["uId"]
        return answer

    def submit(self, path: str, body: Dict[str, Any]) -> str:
        """Send one asynchronous write and return Apple's event id."""
        answer = self.post(path, body) or {}
        event_id = answer.get("eventId") if isinstance(answer, dict) else None
        if not event_id:
            raise ApiError("Apple accepted {0} but returned no eventId".format(path), path=path, method="POST", outcome_unknown=True)
        return event_id
