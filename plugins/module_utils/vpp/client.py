# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Apple client: limits (cached), paced and bounded-parallel reads, and the cheapest way to read.

Writes are added by the write modules; a client built with ``read_only=True`` refuses them, which is
how check mode and the info modules are kept honest in one place.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.errors import WriteBlockedError
from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError, RequestPacer, Transport, parse_answer
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import plan
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.errors import apple_error_parser
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import (
    HAS_PYDANTIC,
    Assignment,
)
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.token import SToken

if HAS_PYDANTIC:
    from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import (
        AssetsPage,
        AssignmentsPage,
        EventStatus,
        ServiceConfig,
        ServiceLimits,
    )

DEFAULT_API_URL = "https://vpp.itunes.apple.com/mdm/v2"
# Documented value, used when /service/config leaves maxRequestPerSecond out.
DEFAULT_MAX_REQUESTS_PER_SECOND = 15
LIMITS_TTL_SECONDS = 300
# Requests start 1.12 / maxRequestPerSecond apart, so limit + 1 starts span 1.12 s: arrivals may bunch
# up by 0.12 s on the way before Apple's one-second window sees one too many (a 429).
PACING_SAFETY = 1.12
# A walk whose versionId keeps changing is repeated this often before we settle for the last one.
MAX_WALKS = 3
# A server that keeps announcing more pages is not followed forever.
MAX_PAGES = 10000
BAD_PAGE_INDEX = 9650
UNKNOWN_EVENT = 9708
# Events: first status look this long after submitting; each later pause as long as the time waited so far.
# A look before the event can have finished is a request spent for nothing: looking first at 3 s rather
# than 1.5 s saves one on every event that takes longer than 1.5 s and costs at most 1.5 s on shorter ones.
FIRST_STATUS_LOOK_SECONDS = 3.0
PENDING = "PENDING"


class LimitsCache:
    """/service/config limits kept in a small file for at most five minutes, shared by the tasks of a run.

    The file holds only the public limits (that endpoint needs no token), is private to the user
    (0600), and any problem with it just means asking Apple again.
    """

    def __init__(self, api_url: str, directory: Optional[str] = None, ttl: float = LIMITS_TTL_SECONDS,
                 clock: Callable[[], float] = time.time):
        base = directory or os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        self.directory = os.path.join(base, "assetops.licensing")
        digest = hashlib.sha256(api_url.encode("utf-8")).hexdigest()[:16]
        self.path = os.path.join(self.directory, "vpp-service-config-{0}.json".format(digest))
        self.api_url = api_url
        self.ttl = ttl
        self._clock = clock

    def load(self) -> Optional[Dict[str, Any]]:
        try:
            with open(self.path, "r", encoding="utf-8") as handle:
                cached = json.load(handle)
        except (OSError, ValueError):
            return None
        if not isinstance(cached, dict) or cached.get("api_url") != self.api_url:
            return None
        age = self._clock() - float(cached.get("fetched_at", 0))
        if age < 0 or age > self.ttl or not isinstance(cached.get("limits"), dict):
            return None
        return cached["limits"]

    def save(self, limits: Dict[str, Any]) -> None:
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".limits-")  # created 0600
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump({"api_url": self.api_url, "fetched_at": self._clock(), "limits": limits}, stream)
            os.replace(temporary, self.path)
        except OSError:
            pass


class VppClient:
    """One location (one sToken) of Apple's App and Book Management API."""

    def __init__(self, token: SToken, api_url: str = DEFAULT_API_URL, timeout: float = 30.0, validate_certs: bool = True,
                 ca_path: Optional[str] = None, retries: int = 8, warn: Optional[Callable[[str], None]] = None,
                 read_only: bool = True, limits_cache: Optional[LimitsCache] = None, httpx_transport: Any = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
        self.api_url = api_url.rstrip("/")
        self._sleep = sleep
        self._clock = clock
        self._token = token
        self._warn = warn or (lambda message: None)
        self.read_only = read_only
        self.transport = Transport(
            self.api_url, timeout=timeout, validate_certs=validate_certs, ca_path=ca_path, retries=retries,
            error_parser=apple_error_parser, warn=self._warn,
            pacer=RequestPacer(DEFAULT_MAX_REQUESTS_PER_SECOND, sleep=sleep, safety=PACING_SAFETY),
            sleep=sleep, httpx_transport=httpx_transport,
        )
        self._limits_cache = limits_cache or LimitsCache(self.api_url)
        self._limits: Optional[ServiceLimits] = None
        self._limits_lock = threading.Lock()
        self._in_flight = threading.BoundedSemaphore(plan.MAX_PARALLEL_REQUESTS)

    def close(self) -> None:
        self.transport.close()

    # -- limits ------------------------------------------------------------------------------

    def limits(self, refresh: bool = False) -> "ServiceLimits":
        """Apple's current limits; read at most once per five minutes per API URL on this controller.

        ``refresh`` asks Apple again, e.g. after a request was refused for being over a limit.
        """
        with self._limits_lock:
            if refresh:
                self._limits = None
            if self._limits is None:
                cached = None if refresh else self._limits_cache.load()
                if cached is None:
                    config = parse_answer(ServiceConfig, self.transport.request("GET", "/service/config"), "Apple's /service/config answer")
                    self._limits = config.limits
                    self._limits_cache.save(self._limits.model_dump(by_alias=True, exclude_none=True))
                else:
                    self._limits = ServiceLimits.model_validate(cached)
                self.transport.pacer.set_rate(self._limits.max_request_per_second or DEFAULT_MAX_REQUESTS_PER_SECOND)
            return self._limits

    # -- requests ----------------------------------------------------------------------------

    def _auth_headers(self) -> Dict[str, str]:
        return {"Authorization": "Bearer " + self._token.value}

    def get(self, path: str, params: Optional[Dict[str, str]] = None) -> Any:
        """An authenticated GET, paced by the location's limit and at most five in flight."""
        self.limits()  # the pacing rate must be known before the first authenticated request
        with self._in_flight:
            return self.transport.request("GET", path, params=params, headers=self._auth_headers())

    def post(self, path: str, body: Dict[str, Any]) -> Any:
        """The one funnel for writes. A read-only client refuses, so check mode can never write."""
        if self.read_only:
            raise WriteBlockedError("write to {0} attempted through a read-only client".format(path))
        self.limits()
        with self._in_flight:
            return self.transport.request("POST", path, json=body, headers=self._auth_headers())

    def submit(self, path: str, body: Dict[str, Any]) -> str:
        """Send one asynchronous write and return Apple's event id."""
        answer = self.post(path, body) or {}
        event_id = answer.get("eventId") if isinstance(answer, dict) else None
        if not event_id:
            raise ApiError("Apple accepted {0} but returned no eventId".format(path), path=path, method="POST", outcome_unknown=True)
        return event_id

    def event_status(self, event_id: str) -> "EventStatus":
        try:
            return parse_answer(EventStatus, self.get("/status", {"eventId": event_id}), "Apple's /status answer")
        except ApiError as error:
            if error.error_number == UNKNOWN_EVENT:
                error.message = "Apple does not know event id {0} (Apple error {1}): check event_ids".format(event_id, UNKNOWN_EVENT)
                error.args = (error.message,)
                error.details["event_id"] = event_id
            raise

    def event_statuses(self, event_ids: Sequence[str]) -> Dict[str, "EventStatus"]:
        """Status of several events, read side by side within the pacing budget."""
        if len(event_ids) == 1:
            return {event_ids[0]: self.event_status(event_ids[0])}
        with ThreadPoolExecutor(max_workers=plan.MAX_PARALLEL_REQUESTS) as pool:
            return dict(zip(event_ids, pool.map(self.event_status, event_ids)))

    def wait_for_events(self, event_ids: Sequence[str], wait_timeout: float, poll_interval: float,
                        clock: Optional[Callable[[], float]] = None) -> Dict[str, "EventStatus"]:
        """Poll until every event has finished or ``wait_timeout`` seconds have passed.

        Looks come about 3, 6, 12, 24 ... seconds after the start (each pause as long as the time
        already waited, at most ``poll_interval``), so a look at an event longer than 3 s is never
        later than twice its duration. While events are pending only the last one is asked (a
        sentinel: the others were submitted before it); once it has finished, the others are asked
        at once. Every event is asked at least once. Returns the last status of each; those still
        PENDING timed out.
        """
        clock = clock or self._clock
        started = clock()
        deadline = started + wait_timeout
        pause = min(FIRST_STATUS_LOOK_SECONDS, poll_interval)
        statuses: Dict[str, Any] = {}
        pending = list(event_ids)
        while pending:
            self._sleep(max(0.0, min(pause, deadline - clock())))
            final = clock() >= deadline
            asked = pending if final else pending[-1:]
            statuses.update(self.event_statuses(asked))
            if not final and statuses[asked[0]].event_status != PENDING and len(pending) > 1:
                statuses.update(self.event_statuses(pending[:-1]))
            pending = [event_id for event_id in pending if event_id not in statuses or statuses[event_id].event_status == PENDING]
            if not pending or final:
                break
            pause = min(max(clock() - started, FIRST_STATUS_LOOK_SECONDS), poll_interval)
        return statuses

    # -- paging ------------------------------------------------------------------------------

    def first_page(self, path: str, params: Dict[str, str], page_model: type) -> Any:
        return parse_answer(page_model, self.get(path, params), "Apple's {0} answer".format(path))

    def _page(self, path: str, params: Dict[str, str], index: int, page_model: type) -> Any:
        return parse_answer(page_model, self.get(path, dict(params, pageIndex=str(index))), "Apple's {0} answer".format(path))

    def _walk_once(self, path: str, params: Dict[str, str], page_model: type, first: Any) -> Tuple[List[Any], bool]:
        """Page 0 first, then every other page in parallel (the pool and the semaphore keep it to five).

        Follows nextPageIndex and any growth of totalPages until the last page has been read; a
        page index that went out of range means the set shrank: the walk ends there, inconsistent.
        Returns the items in page order and whether they come from one consistent state.
        """
        if first is None:
            first = self.first_page(path, params, page_model)
        items_by_page = {0: first.items}
        versions = {first.version_id}
        shrunk = False

        def follow_ups(page: Any, index: int) -> set:
            indexes = set(range(1, page.total_pages))
            if page.next_page_index is not None and page.next_page_index > index:
                indexes.add(page.next_page_index)
            if indexes and max(indexes) >= MAX_PAGES:
                raise ApiError("{0} announces more than {1} pages; refusing to read on".format(path, MAX_PAGES), path=path)
            return indexes

        scheduled = follow_ups(first, 0)
        if scheduled:
            with ThreadPoolExecutor(max_workers=plan.MAX_PARALLEL_REQUESTS) as pool:
                pending = {pool.submit(self._page, path, params, index, page_model): index for index in sorted(scheduled)}
                try:
                    while pending:
                        done = wait(pending, return_when=FIRST_COMPLETED).done
                        for future in done:
                            index = pending.pop(future)
                            try:
                                page = future.result()
                            except ApiError as exc:
                                if exc.error_number != BAD_PAGE_INDEX:
                                    raise
                                shrunk = True
                                continue
                            items_by_page[index] = page.items
                            versions.add(page.version_id)
                            if shrunk:
                                continue
                            for more in sorted(follow_ups(page, index) - scheduled):
                                scheduled.add(more)
                                pending[pool.submit(self._page, path, params, more, page_model)] = more
                finally:
                    for future in pending:
                        future.cancel()
        items = [item for index in sorted(items_by_page) for item in items_by_page[index]]
        consistent = not shrunk and len(versions - {None}) <= 1
        return items, consistent

    def walk(self, path: str, params: Dict[str, str], page_model: type, first: Any = None) -> List[Any]:
        """Every item of a paged endpoint. Repeats the walk when the data changed under it."""
        for attempt in range(1, MAX_WALKS + 1):
            items, consistent = self._walk_once(path, params, page_model, first if attempt == 1 else None)
            if consistent:
                return items
        self._warn("the data at {0} kept changing while it was read ({1} attempts): the result may miss records "
                   "changed meanwhile".format(path, MAX_WALKS))
        return items

    def walk_each(self, path: str, queries: Sequence[Dict[str, str]], page_model: type) -> List[Any]:
        """Several keyed walks side by side (the semaphore still caps requests in flight at five)."""
        if len(queries) == 1:
            return self.walk(path, queries[0], page_model)
        with ThreadPoolExecutor(max_workers=plan.MAX_PARALLEL_REQUESTS) as pool:
            results = list(pool.map(lambda query: self.walk(path, query, page_model), queries))
        return [item for result in results for item in result]

    # -- reads -------------------------------------------------------------------------------

    def find_assets(self, adam_ids: Optional[Sequence[str]] = None, pricing_param: Optional[str] = None,
                    product_type: Optional[str] = None, device_assignable: Optional[bool] = None,
                    revocable: Optional[bool] = None) -> List[Any]:
        """Assets of the location that match every given filter, read the cheapest way."""
        filters = plan.server_filters(pricingParam=pricing_param, productType=product_type,
                                      deviceAssignable=device_assignable, revocable=revocable)
        if adam_ids is not None and not adam_ids:
            return []  # an empty list given matches nothing, at no cost
        wanted = set(adam_ids) if adam_ids else None
        if not adam_ids:
            assets = self.walk("/assets", filters, AssetsPage)
        elif not plan.worth_probing_walk(len(adam_ids)):
            assets = self.walk_each("/assets", [dict(filters, adamId=adam_id) for adam_id in adam_ids], AssetsPage)
        else:
            first = self.first_page("/assets", filters, AssetsPage)
            # With a pricing filter an adam id has one record, so one seen on page 0 is settled.
            settled = {asset.adam_id for asset in first.items if asset.adam_id in wanted} if pricing_param else set()
            unsettled = [adam_id for adam_id in adam_ids if adam_id not in settled]
            if plan.prefer_full_walk(first.total_pages - 1, len(unsettled)):
                assets = self.walk("/assets", filters, AssetsPage, first=first)
            else:
                assets = [asset for asset in first.items if asset.adam_id in settled]
                assets += self.walk_each("/assets", [dict(filters, adamId=adam_id) for adam_id in unsettled], AssetsPage)
        selected = [
            asset for asset in assets
            if plan.matches(asset.adam_id, wanted)
            and plan.matches(asset.pricing_param, pricing_param and {pricing_param})
            and plan.matches(asset.product_type, product_type and {product_type})
            and plan.matches(asset.device_assignable, None if device_assignable is None else {device_assignable})
            and plan.matches(asset.revocable, None if revocable is None else {revocable})
        ]
        unique_by_key = {asset.key: asset for asset in selected}
        return [unique_by_key[key] for key in sorted(unique_by_key)]

    def find_assignments(self, adam_ids: Optional[Sequence[str]] = None, serial_numbers: Optional[Sequence[str]] = None,
                         client_user_ids: Optional[Sequence[str]] = None, pricing_param: Optional[str] = None,
                         assigned_counts: Optional[Dict[Tuple[str, str], int]] = None) -> List[Assignment]:
        """Assignments matching the filters, read the cheapest way.

        serial_numbers and client_user_ids together name the targets (a record matches either);
        adam_ids and pricing_param narrow further. ``assigned_counts`` ((adam_id, pricing_param) ->
        assignedCount, from /assets) lets assets nobody holds be skipped and per-asset reads be priced.
        """
        targets_given = serial_numbers is not None or client_user_ids is not None
        if (adam_ids is not None and not adam_ids) or (targets_given and not serial_numbers and not client_user_ids):
            return []  # an empty list given matches nothing, at no cost
        held_counts = None
        if adam_ids and assigned_counts is not None:
            held_counts = {
                adam_id: sum(count for (counted_id, pricing), count in assigned_counts.items()
                             if counted_id == adam_id and (pricing_param is None or pricing == pricing_param))
                for adam_id in adam_ids
            }
            adam_ids = [adam_id for adam_id in adam_ids if held_counts[adam_id]]
            if not adam_ids:
                return []  # nobody holds any of these assets
        base = plan.server_filters(pricingParam=pricing_param)
        # Apple combines filters, so one asset narrows every target query
        base_for_targets = dict(base, adamId=adam_ids[0]) if adam_ids and len(adam_ids) == 1 else base
        target_queries = [dict(base_for_targets, serialNumber=serial) for serial in serial_numbers or ()]
        target_queries += [dict(base_for_targets, clientUserId=user) for user in client_user_ids or ()]
        asset_queries = [dict(base, adamId=adam_id) for adam_id in adam_ids or ()]
        queries_for = {plan.PER_TARGET: target_queries, plan.PER_ASSET: asset_queries}
        first_choice = plan.choose_assignment_read(len(asset_queries), len(target_queries))
        if first_choice == plan.WALK:
            found = self.walk("/assignments", base, AssignmentsPage)
        elif not plan.worth_probing_walk(len(queries_for[first_choice])):
            found = self.walk_each("/assignments", queries_for[first_choice], AssignmentsPage)
        else:
            first = self.first_page("/assignments", base, AssignmentsPage)
            per_asset_pages = None
            if asset_queries and (held_counts is not None or not target_queries):
                page_size = first.size or len(first.assignments) or 1
                per_asset_pages = (sum(plan.pages_for(held_counts[adam_id], page_size) for adam_id in adam_ids)
                                   if held_counts is not None else len(asset_queries))
            choice = plan.cheapest_read(first.total_pages - 1, len(target_queries) if target_queries else None, per_asset_pages)
            if choice == plan.WALK:
                found = self.walk("/assignments", base, AssignmentsPage, first=first)
            else:
                found = self.walk_each("/assignments", queries_for[choice], AssignmentsPage)
        wanted_assets = set(adam_ids) if adam_ids else None
        wanted_serials = set(serial_numbers or ())
        wanted_users = set(client_user_ids or ())

        def wanted(assignment: Assignment) -> bool:
            if not plan.matches(assignment.adam_id, wanted_assets):
                return False
            if pricing_param and assignment.pricing_param != pricing_param:
                return False
            if not targets_given:
                return True
            pool = wanted_serials if assignment.target_kind == Assignment.SERIAL else wanted_users
            return assignment.target_id in pool

        return sorted(assignment for assignment in plan.unique(found) if wanted(assignment))
