# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The write workflows: read what is there, plan, check, send, wait, and report pair by pair.

A run returns the module's result fields plus ``error`` (a one-line message when the module must
fail). Planning is delegated to plan.py (pure); every request goes through the client, whose write
funnel is closed in check mode.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.errors import ReportedError
from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import plan
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import Assignment

# Used when /service/config leaves a limit out: Apple's documented values.
DEFAULT_LIMITS = {
    "max_assets": 25, "max_serial_numbers": 1000, "max_client_user_ids": 1000,
    "max_revoke_serial_numbers": 100, "max_revoke_client_user_ids": 100,
}
OVER_LIMIT_ERRORS = frozenset((9700, 9701, 9702))
# After one of these nothing more is sent: every further request would fail the same way.
STOP_ERRORS = frozenset((9601, 9621, 9622, 9625, 9634, 9722))
ASSOCIATE, DISASSOCIATE, REVOKE = "/assets/associate", "/assets/disassociate", "/assets/revoke"
EVENT_TYPES = {ASSOCIATE: "ASSOCIATE", DISASSOCIATE: "DISASSOCIATE", REVOKE: "REVOKE"}
NOT_SENT = "not sent"
# How long a write whose outcome is unknown is given to show up before it may be sent again.
RECONCILE_GRACE_SECONDS = 3.0


class PreflightError(ReportedError):
    """The plan cannot succeed; nothing was sent. The result still carries the documented keys."""

    def __init__(self, message: str, details: Dict[str, Any]):
        super().__init__(message, dict(details, changed=False, changes=[], events=[], failures=[]))


def limit(limits: Any, name: str) -> int:
    value = getattr(limits, name, None)
    return int(value) if value else DEFAULT_LIMITS[name]


def _pairs_failure(error_number: Optional[int], message: str, event_id: Optional[str], pairs: Iterable[Assignment],
                   targets: Iterable[Tuple[str, str]] = ()) -> Dict[str, Any]:
    """A failure record naming the assets and targets of some pairs (and bare targets, for revoke)."""
    pairs = list(pairs)
    everything = [(pair.target_kind, pair.target_id) for pair in pairs] + list(targets)
    return {
        "error_number": error_number,
        "error_message": message,
        "event_id": event_id,
        "adam_ids": sorted({pair.adam_id for pair in pairs}),
        "serial_numbers": sorted({target for kind, target in everything if kind == Assignment.SERIAL}),
        "client_user_ids": sorted({target for kind, target in everything if kind == Assignment.USER}),
    }


def batch_failure(error_number: Optional[int], message: str, event_id: Optional[str], batch: plan.Batch) -> Dict[str, Any]:
    return _pairs_failure(error_number, message, event_id, batch.pairs(), [(batch.kind, target) for target in batch.targets])


def apple_failure_record(failure: Any, event_id: str) -> Dict[str, Any]:
    info = failure.error_info
    return {
        "error_number": failure.error_number,
        "error_message": failure.error_message,
        "event_id": event_id,
        "adam_ids": sorted({str(asset.get("adamId")) for asset in info.assets if isinstance(asset, dict) and asset.get("adamId")}),
        "serial_numbers": sorted(info.serial_numbers),
        "client_user_ids": sorted(info.client_user_ids),
    }


def event_record(event_id: str, status: Any) -> Dict[str, Any]:
    return {
        "event_id": event_id,
        "event_type": status.event_type,
        "event_status": status.event_status,
        "num_requested": status.num_requested,
        "num_completed": status.num_completed,
        "failures": [apple_failure_record(failure, event_id) for failure in status.failures],
    }


def submitted_record(event_id: str, path: str, batch: plan.Batch) -> Dict[str, Any]:
    """An event as submitted, before any status was read (``wait: false``)."""
    return {
        "event_id": event_id, "event_type": EVENT_TYPES[path], "event_status": "PENDING",
        "num_requested": len(batch.pairs()) if batch.assets else len(batch.targets),
        "num_completed": 0, "failures": [],
    }


def succeeded(status: Any) -> bool:
    """Apple's strict success: COMPLETE, every requested pair done, no failure."""
    return status.event_status == "COMPLETE" and status.num_completed == status.num_requested and not status.failures


def failed_pairs(pairs: Set[Assignment], kind: str, status: Any) -> Set[Assignment]:
    """Which of an event's pairs failed. A failure names assets and/or targets; what it leaves out
    means "all of the request's". An unsuccessful event whose failures name nothing failed whole."""
    if succeeded(status):
        return set()
    failed: Set[Assignment] = set()
    for failure in status.failures:
        info = failure.error_info
        adam_ids = {str(asset.get("adamId")) for asset in info.assets if isinstance(asset, dict)}
        targets = set(info.serial_numbers if kind == Assignment.SERIAL else info.client_user_ids)
        other_kind_only = not targets and not adam_ids and bool(info.client_user_ids if kind == Assignment.SERIAL else info.serial_numbers)
        if other_kind_only:
            continue
        failed |= {pair for pair in pairs if (not adam_ids or pair.adam_id in adam_ids) and (not targets or pair.target_id in targets)}
    if failed:
        return failed
    # Nothing named applies to these pairs: trust the counts.
    return set() if status.num_completed >= status.num_requested else set(pairs)


def diff_view(pairs: Iterable[Assignment]) -> Dict[str, List[str]]:
    """Per target, the assets it holds, for a readable --diff."""
    view: Dict[str, List[str]] = {}
    for pair in sorted(pairs):
        label = "{0} {1}".format("serial" if pair.target_kind == Assignment.SERIAL else "user", pair.target_id)
        view.setdefault(label, []).append("{0} ({1})".format(pair.adam_id, pair.pricing_param))
    return view


class WriteRun:
    """What the assignment and revoke workflows share: sending batches and following their events."""

    def __init__(self, client: Any, wait: bool = True, wait_timeout: float = 600, poll_interval: float = 30,
                 check_mode: bool = False, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = client
        self.wait = wait
        self.poll_interval = poll_interval
        self.check_mode = check_mode
        self.clock = clock
        self.sleep = sleep
        self.deadline = clock() + wait_timeout
        self.events: List[Dict[str, Any]] = []
        self.failures: List[Dict[str, Any]] = []
        self.pending_events: List[str] = []
        self.not_sent: List[plan.Batch] = []
        self.stop_error: Optional[ApiError] = None
        # an error after Apple accepted writes (e.g. while polling): the report must still name the events
        self.interruption: Optional[ApiError] = None

    # -- sending -------------------------------------------------------------------------------

    def chunk(self, path: str, items: Sequence[Any], limits: Any) -> List[plan.Batch]:
        if path == REVOKE:
            return plan.plan_revokes(items, {Assignment.SERIAL: limit(limits, "max_revoke_serial_numbers"),
                                             Assignment.USER: limit(limits, "max_revoke_client_user_ids")})
        return plan.plan_requests(items, limit(limits, "max_assets"),
                                  {Assignment.SERIAL: limit(limits, "max_serial_numbers"),
                                   Assignment.USER: limit(limits, "max_client_user_ids")})

    def _submit(self, path: str, batch: plan.Batch) -> Any:
        """An event id, the ApiError, or NOT_SENT once a stop error was seen."""
        if self.stop_error is not None:
            return NOT_SENT
        try:
            return self.client.submit(path, batch.body())
        except ApiError as error:
            if error.error_number in STOP_ERRORS or error.status in (401, 403):
                self.stop_error = self.stop_error or error
            return error

    def send(self, path: str, batches: Sequence[plan.Batch], items_of: Callable[[plan.Batch], Sequence[Any]],
             rechunked: bool = False) -> Tuple[List[Tuple[plan.Batch, str]], List[plan.Batch]]:
        """Submit batches side by side (paced, at most five in flight).

        Returns the (batch, event id) of accepted ones and the batches whose outcome is unknown.
        A batch refused for being over a limit is re-chunked once to freshly read limits; other
        refusals become failure records; after a token or service error nothing more is sent.
        """
        with ThreadPoolExecutor(max_workers=plan.MAX_PARALLEL_REQUESTS) as pool:
            outcomes = list(pool.map(lambda batch: self._submit(path, batch), batches))
        submitted, unknown, over_limit = [], [], []
        for batch, outcome in zip(batches, outcomes):
            if isinstance(outcome, str) and outcome != NOT_SENT:
                submitted.append((batch, outcome))
                self.events.append(submitted_record(outcome, path, batch))
            elif outcome == NOT_SENT:
                self.skip(batch)
            elif outcome.outcome_unknown:
                unknown.append(batch)
            elif outcome.error_number in OVER_LIMIT_ERRORS and not rechunked:
                over_limit.append(batch)
            else:
                self.failures.append(batch_failure(outcome.error_number, outcome.message, None, batch))
        if over_limit and self.stop_error is not None:
            for batch in over_limit:
                self.skip(batch)
        elif over_limit:
            items = [item for batch in over_limit for item in items_of(batch)]
            more_submitted, more_unknown = self.send(path, self.chunk(path, items, self.client.limits(refresh=True)), items_of, True)
            submitted += more_submitted
            unknown += more_unknown
        return submitted, unknown

    def skip(self, batch: plan.Batch) -> None:
        """A batch left unsent after a stop error: counted, and its pairs named in ``failures``."""
        self.not_sent.append(batch)
        reason = self.stop_error.message if self.stop_error is not None else "an earlier error"
        self.failures.append(batch_failure(None, "not sent after: {0}".format(reason), None, batch))

    # -- waiting -------------------------------------------------------------------------------

    def follow(self, submitted: Sequence[Tuple[plan.Batch, str]], pairs_of: Callable[[plan.Batch], Set[Assignment]]) -> Set[Assignment]:
        """Wait for the events (unless wait is off) and return the pairs they did.

        Failed pairs go into ``failures``; events still PENDING at the deadline are kept by id.
        Without wait, every submitted pair counts as done.
        """
        done: Set[Assignment] = set()
        if not submitted or not self.wait:
            return {pair for batch, _event_id in submitted for pair in pairs_of(batch)}
        statuses = self.client.wait_for_events([event_id for _batch, event_id in submitted],
                                               max(0.0, self.deadline - self.clock()), self.poll_interval)
        records = {record["event_id"]: record for record in self.events}
        for batch, event_id in submitted:
            status = statuses[event_id]
            record = records[event_id]
            record.update(event_record(event_id, status))
            if status.event_status == "PENDING":
                self.pending_events.append(event_id)
                continue
            pairs = pairs_of(batch)
            bad = failed_pairs(pairs, batch.kind, status)
            self.failures.extend(record["failures"])
            if bad and not status.failures:
                self.failures.append(batch_failure(None, "the event ended {0} without naming a failure".format(status.event_status), event_id, batch))
            done |= pairs - bad
        return done

    @property
    def accepted(self) -> bool:
        """Apple accepted at least one write of this run (so something changes, or may still)."""
        return bool(self.events)

    def interrupted(self, error: ApiError) -> None:
        """An API error in the middle of the writes: before any was accepted it is the whole story
        (raise it); after, the report of what was sent matters more, so keep it and go on to report."""
        if not self.accepted:
            raise error
        self.interruption = error

    def reconcile(self, pairs: Set[Assignment], wanted_held: bool, read_held: Callable[[Set[Assignment]], Set[Assignment]],
                  resend: Callable[[Set[Assignment]], Tuple[Set[Assignment], Set[Assignment]]]) -> Set[Assignment]:
        """Pairs whose POST outcome is unknown: look at what Apple holds, never resend blindly.

        Pairs already in the wanted state are done. With wait, the rest is re-read with back-off for
        a grace period (a lost event may still be running), then sent once more through ``resend``
        (which returns the pairs done and those whose outcome is unknown again). When the grace
        period does not fit before the deadline, or wait is off, they are reported as unknown
        rather than risking a second send.
        """
        grace_end = self.clock() + max(self.poll_interval, RECONCILE_GRACE_SECONDS)
        may_resend = self.wait and grace_end <= self.deadline
        pause = min(1.5, self.poll_interval)
        while True:
            held = read_held(pairs)
            outstanding = {pair for pair in pairs if (pair in held) != wanted_held}
            if not outstanding or not may_resend or self.clock() >= grace_end:
                break
            self.sleep(min(pause, max(0.0, grace_end - self.clock())))
            pause = min(pause * 2, self.poll_interval)
        done = pairs - outstanding
        if outstanding and may_resend and self.stop_error is None:
            again_done, outstanding = resend(outstanding)
            done |= again_done
        if outstanding:
            self.failures.append(_pairs_failure(
                None, "outcome unknown: the connection failed while sending; run the task again to reconcile", None, outstanding))
        return done

    # -- reporting -----------------------------------------------------------------------------

    def error_message(self, done_count: int, verb: str) -> Optional[str]:
        """One line naming what was done and what was not, or None when all is well."""
        problems = []
        if self.interruption is not None:
            problems.append("{0} after Apple accepted {1} request(s); follow their events with "
                            "assetops.licensing.vpp_event_info".format(self.interruption.message, len(self.events)))
        if self.stop_error is not None:
            # a revoked token stops the writes and interrupts the polling alike: say it once
            said = self.interruption is not None and self.interruption.message == self.stop_error.message
            problems.append("{0}{1} request(s) not sent".format("" if said else self.stop_error.message + "; ", len(self.not_sent)))
        if self.failures:
            numbers = sorted({str(failure["error_number"]) for failure in self.failures if failure["error_number"] is not None})
            problems.append("{0} failure(s){1}".format(len(self.failures), " (Apple error {0})".format(", ".join(numbers)) if numbers else ""))
        if self.pending_events:
            problems.append("{0} event(s) still pending after wait_timeout: {1}".format(len(self.pending_events), ", ".join(self.pending_events)))
        if not problems:
            return None
        return "{0}; {1} pair(s) {2}; see failures and events".format("; ".join(problems), done_count, verb)


class AssignmentRun(WriteRun):
    """vpp_assignment: make the named assets held (present) or not held (absent) by the named targets."""

    def __init__(self, client: Any, adam_ids: Sequence[str], pricing_param: str, serial_numbers: Optional[Sequence[str]],
                 client_user_ids: Optional[Sequence[str]], state: str, **kwargs: Any):
        super().__init__(client, **kwargs)
        self.adam_ids = list(adam_ids)
        self.pricing_param = pricing_param
        self.serial_numbers = list(serial_numbers or ())
        self.client_user_ids = list(client_user_ids or ())
        self.state = state
        self.path = ASSOCIATE if state == "present" else DISASSOCIATE

    def read_held(self, pairs: Set[Assignment], assets: Optional[Sequence[Any]] = None) -> Set[Assignment]:
        """Which of these pairs Apple holds now, read the cheapest way."""
        counts = None
        if assets is not None and {asset.adam_id for asset in assets} >= {pair.adam_id for pair in pairs}:
            counts = {asset.key: asset.assigned_count or 0 for asset in assets}  # exact only when every asset was found
        current = self.client.find_assignments(
            adam_ids=sorted({pair.adam_id for pair in pairs}),
            serial_numbers=sorted({pair.target_id for pair in pairs if pair.target_kind == Assignment.SERIAL}) or None,
            client_user_ids=sorted({pair.target_id for pair in pairs if pair.target_kind == Assignment.USER}) or None,
            pricing_param=self.pricing_param, assigned_counts=counts,
        )
        return {pair for pair in current if pair in pairs}

    def preflight(self, assets: Sequence[Any], changes: Sequence[Assignment]) -> None:
        """Fail before any write when the plan cannot succeed."""
        found = {asset.adam_id: asset for asset in assets if asset.pricing_param == self.pricing_param}
        missing = [adam_id for adam_id in self.adam_ids if adam_id not in found]
        if missing:
            raise PreflightError(
                "not in this location with pricing_param {0}: {1}; check adam_ids and pricing_param, or buy licenses "
                "in Apple Business Manager; nothing was sent".format(self.pricing_param, ", ".join(missing)),
                {"missing_adam_ids": missing})
        for_devices = {pair.adam_id for pair in changes if pair.target_kind == Assignment.SERIAL}
        user_only = sorted(adam_id for adam_id in for_devices if found[adam_id].device_assignable is False)
        if user_only:
            named = ", ".join("{0} ({1})".format(adam_id, found[adam_id].product_type or "asset") for adam_id in user_only)
            raise PreflightError(
                "cannot be assigned to devices: {0}; assign to users with client_user_ids instead; nothing was sent".format(named),
                {"not_device_assignable": user_only})
        needed: Dict[str, int] = {}
        for pair in changes:
            needed[pair.adam_id] = needed.get(pair.adam_id, 0) + 1
        shortages = [
            {"adam_id": adam_id, "pricing_param": self.pricing_param, "needed": count, "available": found[adam_id].available_count or 0}
            for adam_id, count in sorted(needed.items())
            if not found[adam_id].unlimited and count > (found[adam_id].available_count or 0)
        ]
        if shortages:
            table = "; ".join("{adam_id} ({pricing_param}) needs {needed}, {available} available".format(**row) for row in shortages)
            raise PreflightError("not enough licenses: {0}; buy more or free some in Apple Business Manager; nothing was sent".format(table),
                                 {"shortages": shortages})

    def preflight_removal(self, assets: Sequence[Any], changes: Sequence[Assignment]) -> None:
        """Apple cannot take back what is not revocable (Books stay with their user): fail before any write."""
        kept = sorted({asset.adam_id for asset in assets if asset.revocable is False} & {pair.adam_id for pair in changes})
        if kept:
            named = ", ".join("{0} ({1})".format(asset.adam_id, asset.product_type or "asset") for asset in assets if asset.adam_id in kept)
            raise PreflightError("cannot be taken back, Apple does not revoke them: {0}; leave them out of adam_ids; "
                                 "nothing was sent".format(named), {"not_revocable": kept})

    def run(self) -> Dict[str, Any]:
        desired = plan.desired_pairs([(adam_id, self.pricing_param) for adam_id in self.adam_ids], self.serial_numbers, self.client_user_ids)
        if not desired:
            return self.result([], set(), set())
        assets = self.client.find_assets(adam_ids=self.adam_ids, pricing_param=self.pricing_param)
        held = self.read_held(desired, assets)
        changes = plan.change_set(desired, held, self.state)
        if changes and self.state == "present":
            self.preflight(assets, changes)
        elif changes:
            self.preflight_removal(assets, changes)
        if not changes or self.check_mode:
            return self.result(changes, held, set(changes))
        done: Set[Assignment] = set()
        try:
            submitted, unknown = self.send(self.path, self.chunk(self.path, changes, self.client.limits()), plan.Batch.pairs)
            done |= self.follow(submitted, lambda batch: set(batch.pairs()))
            if unknown:
                done |= self.reconcile({pair for batch in unknown for pair in batch.pairs()}, self.state == "present",
                                       self.read_held, self.resend)
        except ApiError as error:
            self.interrupted(error)
        return self.result(changes, held, done)

    def resend(self, outstanding: Set[Assignment]) -> Tuple[Set[Assignment], Set[Assignment]]:
        submitted, unknown = self.send(self.path, self.chunk(self.path, sorted(outstanding), self.client.limits()), plan.Batch.pairs)
        done = self.follow(submitted, lambda batch: set(batch.pairs()))
        return done, {pair for batch in unknown for pair in batch.pairs()}

    def result(self, changes: Sequence[Assignment], held: Set[Assignment], done: Set[Assignment]) -> Dict[str, Any]:
        after = (held | done) if self.state == "present" else (held - done)
        return {
            "changed": bool(done) or self.accepted,
            "changes": [pair.to_result() for pair in sorted(done)],
            "events": self.events,
            "failures": self.failures,
            "diff": {"before": diff_view(held), "after": diff_view(after)},
            "error": self.error_message(len(done), "assigned" if self.state == "present" else "removed"),
        }


class RevokeRun(WriteRun):
    """vpp_revoke: remove every revocable asset from the named targets."""

    def __init__(self, client: Any, serial_numbers: Optional[Sequence[str]], client_user_ids: Optional[Sequence[str]], **kwargs: Any):
        super().__init__(client, **kwargs)
        self.serial_numbers = list(serial_numbers or ())
        self.client_user_ids = list(client_user_ids or ())

    def run(self) -> Dict[str, Any]:
        if not self.serial_numbers and not self.client_user_ids:
            return self.result(set(), set())
        held = self.client.find_assignments(serial_numbers=self.serial_numbers or None, client_user_ids=self.client_user_ids or None)
        revocable_assets = set()
        if held:
            assets = self.client.find_assets(adam_ids=sorted({pair.adam_id for pair in held}))
            revocable_assets = {asset.key for asset in assets if asset.revocable}
        revocable = {pair for pair in held if (pair.adam_id, pair.pricing_param) in revocable_assets}
        if not revocable or self.check_mode:
            return self.result(set(held), revocable if self.check_mode else set())
        by_target: Dict[Tuple[str, str], Set[Assignment]] = {}
        for pair in revocable:
            by_target.setdefault((pair.target_kind, pair.target_id), set()).add(pair)

        def items_of(batch: plan.Batch) -> List[Tuple[str, str]]:
            return [(batch.kind, target) for target in batch.targets]

        def pairs_of(batch: plan.Batch) -> Set[Assignment]:
            return {pair for target in batch.targets for pair in by_target[(batch.kind, target)]}

        def read_held(pairs: Set[Assignment]) -> Set[Assignment]:
            return set(self.client.find_assignments(
                serial_numbers=sorted({p.target_id for p in pairs if p.target_kind == Assignment.SERIAL}) or None,
                client_user_ids=sorted({p.target_id for p in pairs if p.target_kind == Assignment.USER}) or None))

        def resend(outstanding: Set[Assignment]) -> Tuple[Set[Assignment], Set[Assignment]]:
            targets = sorted({(pair.target_kind, pair.target_id) for pair in outstanding})
            submitted, unknown = self.send(REVOKE, self.chunk(REVOKE, targets, self.client.limits()), items_of)
            return self.follow(submitted, pairs_of), {pair for batch in unknown for pair in pairs_of(batch)}

        done: Set[Assignment] = set()
        try:
            submitted, unknown = self.send(REVOKE, self.chunk(REVOKE, sorted(by_target), self.client.limits()), items_of)
            done |= self.follow(submitted, pairs_of)
            if unknown:
                done |= self.reconcile({pair for batch in unknown for pair in pairs_of(batch)}, False, read_held, resend)
        except ApiError as error:
            self.interrupted(error)
        return self.result(set(held), done)

    def result(self, held: Set[Assignment], done: Set[Assignment]) -> Dict[str, Any]:
        return {
            "changed": bool(done) or self.accepted,
            "revoked": [pair.to_result() for pair in sorted(done)],
            "events": self.events,
            "failures": self.failures,
            "diff": {"before": diff_view(held), "after": diff_view(held - done)},
            "error": self.error_message(len(done), "revoked"),
        }


def event_info(client: Any, event_ids: Sequence[str], wait: bool, wait_timeout: float, poll_interval: float) -> Dict[str, Any]:
    """vpp_event_info: the events' status, waiting for them to finish when asked."""
    if wait:
        statuses = client.wait_for_events(list(event_ids), wait_timeout, poll_interval)
    else:
        statuses = client.event_statuses(list(event_ids))
    events = [event_record(event_id, statuses[event_id]) for event_id in event_ids]
    pending = [record["event_id"] for record in events if record["event_status"] == "PENDING"]
    error = None
    if wait and pending:
        error = "{0} event(s) still pending after wait_timeout ({1} s): {2}".format(len(pending), wait_timeout, ", ".join(pending))
    return {"changed": False, "events": events, "error": error}
