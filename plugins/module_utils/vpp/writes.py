# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The write runs of vpp_assignment and vpp_revoke, as plain steps:

    plan -> pre-flight -> send -> follow -> reconcile -> report

Each step takes values and returns a ``Progress`` (events, pairs done, failures, ...); the run adds
them up and builds the report once, at the end. Planning is pure (plan.py); every request goes
through the client, whose write funnel is closed in check mode. A write whose answer was lost is
never sent again blindly: its pairs are read back first (``reconcile``). Pairs whose outcome the
events did not settle (pending at the deadline, not followed after an error, counts that disagree
with the failures Apple names) are read back once before the report (``read_back``), so the
report says what Apple holds.
"""

from __future__ import annotations

import operator
from collections import Counter
from itertools import islice
from typing import Any, Collection, Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Sequence, Set, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.errors import ReportedError
from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import plan
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.events import (
    FIRST_STATUS_LOOK_SECONDS,
    PENDING,
    batch_failure,
    event_record,
    named_pairs,
    pairs_failure,
    submitted_record,
    succeeded,
    wait_for_events,
)
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.errors import APPLE_ERRORS
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.limits import limit
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.records import ASSET_KEY, ASSET_KIND_KEY, PRICING, Assignment, targets_of_kind
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.owner import check_owner
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.paging import in_parallel
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.reads import find_assets, read_assignments
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.users import check_registered

ASSOCIATE, DISASSOCIATE, REVOKE = "/assets/associate", "/assets/disassociate", "/assets/revoke"
OVER_LIMIT_ERRORS = frozenset((9700, 9701, 9702))
# After one of these nothing more is sent: every further request would fail the same way.
STOP_ERRORS = frozenset((9601, 9621, 9622, 9625, 9634, 9722))
_NOT_SENT = "not sent"
# The one-line message names this many failures (and targets, assets of each); ``failures`` has them all.
NAMED_IN_MESSAGE = 3
# With report: summary, ``failures`` lists at most this many records; ``failures_truncated`` counts the rest.
FAILURES_SHOWN = 100
# Why a pair's outcome is not settled after following: read back before the report.
PENDING_AT_DEADLINE, UNFOLLOWED, ENDED_UNCLEAR, LOST = "pending", "unfollowed", "ended", "lost"
NOT_RESENT = ("outcome unknown: not resent (the answer to the request was lost and Apple may still be processing it); "
              "run the task again after resend_after to finish")
CHECK_BEFORE_RERUN = "check with assetops.licensing.vpp_assignment_info before running the task again"


def stops(error: Optional[ApiError]) -> bool:
    """A token or service error: every further request would fail the same way."""
    return error is not None and (error.error_number in STOP_ERRORS or error.status in (401, 403))


class PreflightError(ReportedError):
    """The plan cannot succeed; nothing was sent. The result still carries the documented keys."""

    def __init__(self, message: str, details: Dict[str, Any]):
        super().__init__(message, dict(details, changed=False, changes=[], events=[], failures=[]))


class Unconfirmed(NamedTuple):
    """Pairs of one request whose outcome its event did not settle; ``read_back`` decides."""

    pairs: FrozenSet[Assignment]
    why: str  # PENDING_AT_DEADLINE, UNFOLLOWED, ENDED_UNCLEAR or LOST
    event_id: Optional[str] = None
    event_status: Optional[str] = None
    named: FrozenSet[Assignment] = frozenset()  # the pairs Apple's failures of the event name


class Progress:
    """What one step did. Steps return one each; ``+`` adds them up for the report."""

    def __init__(self, events: Optional[Dict[str, Dict[str, Any]]] = None, done: Optional[Set[Assignment]] = None,
                 failures: Optional[List[Dict[str, Any]]] = None, pending: Optional[List[str]] = None, not_sent: int = 0,
                 stop_error: Optional[ApiError] = None, interruption: Optional[ApiError] = None,
                 unconfirmed: Optional[List[Unconfirmed]] = None, unread: Optional[Set[Assignment]] = None,
                 read_error: Optional[ApiError] = None):
        self.events = events or {}  # event id -> record, in the order submitted; a later record replaces an earlier one
        self.done = done or set()
        self.failures = failures or []
        self.pending = pending or []
        self.not_sent = not_sent
        self.stop_error = stop_error
        # an error after Apple accepted writes (e.g. while polling): the report must still name the events
        self.interruption = interruption
        self.unconfirmed = unconfirmed or []
        self.unread = unread or set()  # pairs that could not be read back: outcome unknown
        self.read_error = read_error  # why they could not

    def __add__(self, other: "Progress") -> "Progress":
        return Progress(dict(self.events, **other.events), self.done | other.done, self.failures + other.failures,
                        self.pending + other.pending, self.not_sent + other.not_sent,
                        self.stop_error or other.stop_error, self.interruption or other.interruption,
                        self.unconfirmed + other.unconfirmed, self.unread | other.unread, self.read_error or other.read_error)


class Sent(NamedTuple):
    progress: Progress
    submitted: List[Tuple[plan.Batch, str]]  # (batch, Apple's event id)
    unknown: List[plan.Batch]  # the answer was lost: Apple may or may not have taken them
    started: Optional[float]  # the run's clock when the first request went out
    unknown_at: float  # the run's clock after the last lost answer


# -- what differs between (dis)associate and revoke ------------------------------------------------

def common_pricing(pairs: Iterable[Assignment]) -> Optional[str]:
    """The one pricing param of these pairs, or None when they mix STDQ and PLUS."""
    pricings = set(map(PRICING, pairs))
    return pricings.pop() if len(pricings) == 1 else None


def read_held(client: Any, pairs: Collection[Assignment], assets: Optional[Sequence[Any]] = None) -> Set[Assignment]:
    """Which of these pairs (a set, or plan.desired_in_order's list) Apple holds now, read the cheapest way."""
    counts = None
    keys = set(map(ASSET_KEY, pairs))
    if assets is not None and {asset.key for asset in assets} >= keys:
        counts = {asset.key: asset.assigned_count or 0 for asset in assets}  # exact only when every asset was found
    pricings = {pricing for _adam_id, pricing in keys}
    current = read_assignments(
        client, adam_ids=sorted({adam_id for adam_id, _pricing in keys}),
        serial_numbers=sorted(targets_of_kind(pairs, Assignment.SERIAL)) or None,
        client_user_ids=sorted(targets_of_kind(pairs, Assignment.USER)) or None,
        pricing_param=pricings.pop() if len(pricings) == 1 else None, assigned_counts=counts,
    )
    return set(current).intersection(pairs)


class PairWrite:
    """Associate or disassociate: a request names assets x targets, and its pairs are exactly those."""

    def __init__(self, path: str):
        self.path = path
        self.wanted_held = path == ASSOCIATE

    @staticmethod
    def batches(pairs: Sequence[Assignment], limits: Any) -> List[plan.Batch]:
        target_limits = {Assignment.SERIAL: limit(limits, "max_serial_numbers"), Assignment.USER: limit(limits, "max_client_user_ids")}
        return plan.plan_requests(pairs, limit(limits, "max_assets"), target_limits)

    @staticmethod
    def pairs_of(batch: plan.Batch) -> Set[Assignment]:
        return set(batch.pairs())

    @staticmethod
    def items_of(batch: plan.Batch) -> List[Assignment]:
        return batch.pairs()

    @staticmethod
    def items_for(pairs: Set[Assignment]) -> List[Assignment]:
        return sorted(pairs)

    @staticmethod
    def read_held(client: Any, pairs: Set[Assignment]) -> Set[Assignment]:
        return read_held(client, pairs)

    @staticmethod
    def accounted(batch: plan.Batch, status: Any, named: Set[Assignment]) -> bool:
        """Whether Apple's counts agree with the pairs its failures name (a count is of pairs here)."""
        size = batch.size
        return status.num_requested == size and status.num_completed + len(named) == size


class Revoke:
    """Revoke: a request names targets only and takes every revocable asset they hold."""

    path = REVOKE
    wanted_held = False

    def __init__(self, revocable: Set[Assignment]):
        self.by_target: Dict[Tuple[str, str], Set[Assignment]] = {}
        for pair in revocable:
            self.by_target.setdefault((pair.target_kind, pair.target_id), set()).add(pair)

    @staticmethod
    def batches(targets: Sequence[Tuple[str, str]], limits: Any) -> List[plan.Batch]:
        return plan.plan_revokes(targets, {Assignment.SERIAL: limit(limits, "max_revoke_serial_numbers"),
                                           Assignment.USER: limit(limits, "max_revoke_client_user_ids")})

    def pairs_of(self, batch: plan.Batch) -> Set[Assignment]:
        return {pair for target in batch.targets for pair in self.by_target[(batch.kind, target)]}

    @staticmethod
    def items_of(batch: plan.Batch) -> List[Tuple[str, str]]:
        return [(batch.kind, target) for target in batch.targets]

    @staticmethod
    def items_for(pairs: Set[Assignment]) -> List[Tuple[str, str]]:
        return sorted({(pair.target_kind, pair.target_id) for pair in pairs})

    @staticmethod
    def read_held(client: Any, pairs: Set[Assignment]) -> Set[Assignment]:
        return set(read_assignments(
            client, serial_numbers=sorted({p.target_id for p in pairs if p.target_kind == Assignment.SERIAL}) or None,
            client_user_ids=sorted({p.target_id for p in pairs if p.target_kind == Assignment.USER}) or None))

    @staticmethod
    def accounted(batch: plan.Batch, status: Any, named: Set[Assignment]) -> bool:
        """As for PairWrite, but a revoke's counts are of targets."""
        size = len(batch.targets)
        return status.num_requested == size and status.num_completed + len({(p.target_kind, p.target_id) for p in named}) == size


# -- the steps after the plan -----------------------------------------------------------------------

def send(client: Any, operation: Any, items: Sequence[Any], rechunk: bool = True) -> Sent:
    """Submit the requests side by side (paced, at most five in flight).

    A request refused for being over a limit is chunked again, once, to freshly read limits; other
    refusals become failure records; after a token or service error nothing more is sent.
    """
    batches = operation.batches(items, client.limits())
    started = client.clock()
    stop: List[ApiError] = []  # the first stop error any request met

    def submit(batch: plan.Batch) -> Any:
        if stop:
            return _NOT_SENT
        try:
            return client.submit(operation.path, batch.body())
        except ApiError as error:
            if stops(error):
                stop.append(error)
            return error

    outcomes = in_parallel(submit, batches)
    stop_error = stop[0] if stop else None
    submitted, unknown, over_limit, skipped = [], [], [], []
    progress = Progress(stop_error=stop_error)
    for batch, outcome in zip(batches, outcomes):
        if outcome == _NOT_SENT:
            skipped.append(batch)
        elif isinstance(outcome, str):
            submitted.append((batch, outcome))
            progress.events[outcome] = submitted_record(outcome, operation.path, batch)
        elif outcome.outcome_unknown:
            unknown.append(batch)
        elif outcome.error_number in OVER_LIMIT_ERRORS and rechunk:
            over_limit.append(batch)
        else:
            progress.failures.append(batch_failure(outcome.error_number, outcome.message, None, batch))
    if over_limit and stop_error is not None:
        skipped += over_limit
    elif over_limit:
        client.limits(refresh=True)
        again = send(client, operation, [item for batch in over_limit for item in operation.items_of(batch)], rechunk=False)
        progress += again.progress
        submitted += again.submitted
        unknown += again.unknown
    reason = stop_error.message if stop_error is not None else "an earlier error"
    progress += Progress(not_sent=len(skipped),
                         failures=[batch_failure(None, "not sent after: {0}".format(reason), None, batch) for batch in skipped])
    return Sent(progress, submitted, unknown, started, client.clock())


def follow(client: Any, operation: Any, submitted: Sequence[Tuple[plan.Batch, str]], deadline: float, options: Any) -> Progress:
    """Wait for the events (unless wait is off) and return the pairs they did and the failures they name.

    Events still PENDING at the deadline are kept by id, and their pairs left for ``read_back``, like those
    of a finished event whose counts disagree with the failures it names. Without wait, every submitted
    pair counts as done.
    """
    if not submitted or not options.wait:
        return Progress(done={pair for batch, _event_id in submitted for pair in operation.pairs_of(batch)})
    statuses = wait_for_events(client, [event_id for _batch, event_id in submitted], max(0.0, deadline - client.clock()),
                               options.poll_interval)
    progress = Progress()
    for batch, event_id in submitted:
        status = statuses[event_id]
        record = progress.events[event_id] = event_record(event_id, status)
        pairs = operation.pairs_of(batch)
        if status.event_status == PENDING:
            progress.pending.append(event_id)
            progress.unconfirmed.append(Unconfirmed(frozenset(pairs), PENDING_AT_DEADLINE, event_id))
            continue
        progress.failures.extend(record["failures"])
        named = set() if succeeded(status) else named_pairs(pairs, batch.kind, status)
        if succeeded(status) or operation.accounted(batch, status, named):
            progress.done |= pairs - named
        else:
            progress.unconfirmed.append(Unconfirmed(frozenset(pairs), ENDED_UNCLEAR, event_id, status.event_status, frozenset(named)))
    return progress


def unfollowed(error: ApiError, operation: Any, submitted: Sequence[Tuple[plan.Batch, str]]) -> Progress:
    """Following the events failed: Apple took these requests, so their pairs are read back, never resent."""
    return Progress(interruption=error, unconfirmed=[Unconfirmed(frozenset(operation.pairs_of(batch)), UNFOLLOWED, event_id)
                                                     for batch, event_id in submitted])


def unknown_failure(error: ApiError, skipped: bool, event_id: Optional[str], pairs: Iterable[Assignment]) -> Dict[str, Any]:
    """The failure record of pairs that could not be read back."""
    reason = "not read back after: {0}".format(error.message) if skipped else "could not read back what Apple holds ({0})".format(error.message)
    return pairs_failure(None, "outcome unknown: {0}; {1}".format(reason, CHECK_BEFORE_RERUN), event_id, pairs)


def reconcile(client: Any, operation: Any, pairs: Set[Assignment], sent_at: float, deadline: float, options: Any,
              stop_error: Optional[ApiError]) -> Progress:
    """Pairs whose request's answer was lost: look at what Apple holds, never resend blindly.

    Apple may still be processing the lost request, so the pairs are read back (first after about
    3 s, then no more often than ``poll_interval``, like status queries). Pairs that reach the
    wanted state are done. Those still missing ``resend_after`` seconds after the send are sent once
    more, if that moment comes before the deadline (Apple: retry a request still pending after ten
    minutes). Otherwise, or without wait, they are reported as "outcome unknown: not resent".
    """
    resend_at = sent_at + options.resend_after
    may_resend = options.wait and stop_error is None and resend_at < deadline  # with time left to follow the resend
    next_look = sent_at + min(FIRST_STATUS_LOOK_SECONDS, options.poll_interval)
    outstanding = set(pairs)
    while True:
        if options.wait:
            client.sleep(max(0.0, min(next_look, resend_at if may_resend else deadline) - client.clock()))
        try:
            held = operation.read_held(client, pairs)
        except ApiError as error:
            # what Apple holds cannot be seen: nothing is resent, and the pairs are not claimed
            return Progress(done=pairs - outstanding, unread=outstanding, read_error=error,
                            failures=[unknown_failure(error, False, None, outstanding)])
        outstanding = {pair for pair in pairs if (pair in held) != operation.wanted_held}
        now = client.clock()
        if not outstanding or not options.wait or now >= (resend_at if may_resend else deadline):
            break
        next_look = now + options.poll_interval
    progress = Progress(done=pairs - outstanding)
    if outstanding and may_resend:
        again = send(client, operation, operation.items_for(outstanding))
        progress += again.progress
        try:
            progress += follow(client, operation, again.submitted, deadline, options)
        except ApiError as error:
            progress += unfollowed(error, operation, again.submitted)
        outstanding = {pair for batch in again.unknown for pair in operation.pairs_of(batch)}
    if outstanding:
        progress.failures.append(pairs_failure(None, NOT_RESENT, None, outstanding))
    return progress


def read_back(client: Any, operation: Any, progress: Progress) -> Progress:
    """The pairs whose outcome the events did not settle: one read of what Apple holds decides. Nothing is sent.

    Pairs in the wanted state are done. Of the rest, those of a pending or unfollowed event stay with
    that event (listed in ``events``); those of a finished event that named no failure for them, or of a
    lost answer, become failure records. When the read fails, or cannot succeed after a token or service
    error, every pair read for is reported as outcome unknown and none is claimed.
    """
    groups = progress.unconfirmed
    pairs = {pair for group in groups for pair in group.pairs}
    if not pairs:
        return Progress()
    # a read that met a token or service error (e.g. a revoked token) would meet it again
    blocked = progress.interruption if stops(progress.interruption) else None
    error = blocked
    if blocked is None:
        try:
            held = operation.read_held(client, pairs)
        except ApiError as exc:
            error = exc
    if error is not None:
        return Progress(unread=pairs, read_error=error, failures=[
            unknown_failure(error, blocked is not None, group.event_id, group.pairs - group.named) for group in groups if group.pairs - group.named])
    done = {pair for pair in pairs if (pair in held) == operation.wanted_held}
    result = Progress(done=done)
    for group in groups:
        left = group.pairs - done - group.named
        if left and group.why == ENDED_UNCLEAR:
            result.failures.append(pairs_failure(None, "the event ended {0} without naming a failure".format(group.event_status), group.event_id, left))
        elif left and group.why == LOST:
            result.failures.append(pairs_failure(None, NOT_RESENT, None, left))
    return result


def execute(client: Any, operation: Any, items: Sequence[Any], options: Any) -> Progress:
    """send -> follow -> reconcile -> read_back. ``wait_timeout`` counts from the first request sent, not from the reads before it.

    An API error while following the events is kept as the interruption: Apple took the requests, so
    the report of what was sent matters more, and their pairs (and lost ones) are read back, never resent.
    """
    cache = getattr(client, "assignment_cache", None)
    if cache is not None:
        cache.forget(client.location_uid)  # from the first write on, the snapshot no longer says what Apple holds
    sent = send(client, operation, items)
    deadline = (sent.started if sent.started is not None else client.clock()) + options.wait_timeout
    client.transport.deadline = deadline  # a Retry-After longer than the task has left fails, saying when to retry
    progress = sent.progress
    lost = {pair for batch in sent.unknown for pair in operation.pairs_of(batch)}
    try:
        progress += follow(client, operation, sent.submitted, deadline, options)
    except ApiError as error:
        progress += unfollowed(error, operation, sent.submitted)
        if lost:
            progress += Progress(unconfirmed=[Unconfirmed(frozenset(lost), LOST)])
    else:
        if lost:
            progress += reconcile(client, operation, lost, sent.unknown_at, deadline, options, progress.stop_error)
    return progress + read_back(client, operation, progress)


# -- report -------------------------------------------------------------------------------------

# action -> (infinitive, past tense, past participle, preposition), for the diff's first line
ACTIONS = {
    "assign": ("assign", "assigned", "assigned", "to"),
    "take back": ("take back", "took back", "taken back", "from"),
    "revoke": ("revoke", "revoked", "revoked", "from"),
}
# What the diff of each module covers (it is not everything the devices and users hold, or is)
TASK_APPS = "only the task's apps are shown"
TARGETS_WHOLE = "every asset the named devices and users hold is shown"
ASSET_NOUNS = {"App": "app", "Book": "book"}


def diff_view(pairs: Iterable[Assignment]) -> Dict[str, List[str]]:
    """Per target, the assets it holds, for a readable --diff."""
    view: Dict[str, List[str]] = {}
    for pair in sorted(pairs):
        label = "{0} {1}".format("serial" if pair.target_kind == Assignment.SERIAL else "user", pair.target_id)
        view.setdefault(label, []).append("{0} ({1})".format(pair.adam_id, pair.pricing_param))
    return view


def _count(number: int, noun: str) -> str:
    return "{0} {1}{2}".format(number, noun, "" if number == 1 else "s")


def diff_summary(action: str, pairs: Iterable[Assignment], check_mode: bool = False, waited: bool = True,
                 product_types: Optional[Dict[str, Optional[str]]] = None) -> str:
    """One line for the top of the diff, e.g. "would assign 400 pairs to 200 devices (2 apps)"."""
    infinitive, past, participle, preposition = ACTIONS[action]
    pairs = pairs if isinstance(pairs, (set, frozenset)) else set(pairs)
    if not pairs:
        return "nothing to {0}".format(infinitive) if check_mode else "nothing {0}".format(participle)
    devices = len(targets_of_kind(pairs, Assignment.SERIAL))
    users = len(targets_of_kind(pairs, Assignment.USER))
    targets = " and ".join(_count(number, noun) for number, noun in ((devices, "device"), (users, "user")) if number)
    nouns: Dict[str, int] = {}
    for adam_id in {pair[0] for pair in pairs}:
        noun = ASSET_NOUNS.get((product_types or {}).get(adam_id) or "", "asset")
        nouns[noun] = nouns.get(noun, 0) + 1
    assets = ", ".join(_count(nouns[noun], noun) for noun in ("app", "book", "asset") if noun in nouns)
    counts = "{0} {1} {2} ({3})".format(_count(len(pairs), "pair"), preposition, targets, assets)
    if check_mode:
        return "would {0} {1}".format(infinitive, counts)
    if not waited:
        return "asked Apple to {0} {1}, not waited for".format(infinitive, counts)
    return "{0} {1}".format(past, counts)


def _few(items: Sequence[str]) -> str:
    """"a, b, c and 4 more": at most NAMED_IN_MESSAGE named."""
    named = ", ".join(items[:NAMED_IN_MESSAGE])
    return named + (" and {0} more".format(len(items) - NAMED_IN_MESSAGE) if len(items) > NAMED_IN_MESSAGE else "")


def _failure_item(failure: Dict[str, Any], planned: Iterable[Assignment], explained: Set[int], said: str) -> str:
    """"user ghost-9 (361309726 STDQ) Apple error 9609: <what to do>": whom, which assets, what went wrong.
    Apple's number is explained the first time only, and not when the message already says it."""
    whom = []
    for key, one, many in (("serial_numbers", "serial", "serials"), ("client_user_ids", "user", "users")):
        if failure[key]:
            whom.append("{0} {1}".format(one if len(failure[key]) == 1 else many, _few(failure[key])))
    targets = {(Assignment.SERIAL, serial) for serial in failure["serial_numbers"]} | {(Assignment.USER, user) for user in failure["client_user_ids"]}
    assets = sorted({"{0} {1}".format(pair.adam_id, pair.pricing_param) for pair in planned
                     if (pair.target_kind, pair.target_id) in targets and (not failure["adam_ids"] or pair.adam_id in failure["adam_ids"])})
    assets = assets or list(failure["adam_ids"])
    number, message = failure["error_number"], failure["error_message"] or ""
    if number is not None:
        what = "Apple error {0}".format(number)
        explanation = APPLE_ERRORS[number][0] if number in APPLE_ERRORS else message
        if number not in explained and explanation and explanation not in said:
            what += ": " + explanation
        explained.add(number)
    else:
        # our own records: the start says it, the rest is in failures
        what = next((head for head in ("not sent", "outcome unknown") if message.startswith(head)), message)
    return " ".join(part for part in (" and ".join(whom) or "request", "({0})".format(_few(assets)) if assets else "", what) if part)


def stopped_problems(progress: Progress, not_sent: str = "request(s)") -> List[str]:
    """What stopped a write run, for its message: an error after Apple accepted requests, and a stop error."""
    problems = []
    if progress.interruption is not None:
        problems.append("{0} after Apple accepted {1} request(s); follow their events with "
                        "assetops.licensing.vpp_event_info".format(progress.interruption.message, len(progress.events)))
    if progress.stop_error is not None:
        # a revoked token stops the writes and interrupts the polling alike: say it once
        said = progress.interruption is not None and progress.interruption.message == progress.stop_error.message
        problems.append("{0}{1} {2} not sent".format("" if said else progress.stop_error.message + "; ", progress.not_sent, not_sent))
    return problems


def error_message(progress: Progress, verb: str, planned: Iterable[Assignment] = ()) -> Optional[str]:
    """One line naming what was done and what was not, or None when all is well."""
    problems = stopped_problems(progress)
    if progress.read_error is not None:
        error = progress.read_error
        if error is progress.interruption and stops(error):
            problems.append("{0} pair(s) not read back after that error: outcome unknown".format(len(progress.unread)))
        elif error.message in [other.message for other in (progress.interruption, progress.stop_error) if other is not None]:
            problems.append("could not read back {0} pair(s) either: outcome unknown".format(len(progress.unread)))
        else:
            problems.append("could not read back {0} pair(s) ({1}): outcome unknown".format(len(progress.unread), error.message))
    if progress.failures:
        planned = list(planned)
        explained: Set[int] = set()
        items = [_failure_item(failure, planned, explained, "; ".join(problems)) for failure in progress.failures[:NAMED_IN_MESSAGE]]
        more = len(progress.failures) - NAMED_IN_MESSAGE
        problems.append("{0} failure(s): {1}{2}".format(len(progress.failures), ", ".join(items), " and {0} more".format(more) if more > 0 else ""))
    if progress.pending:
        problems.append("{0} event(s) still pending after wait_timeout: {1}".format(len(progress.pending), ", ".join(progress.pending)))
    if not problems:
        return None
    return "{0}; {1} pair(s) {2}; see failures and events".format("; ".join(problems), len(progress.done), verb)


def summarized(options: Any) -> bool:
    """report: summary: per-asset counts instead of one record per pair."""
    return getattr(options, "report", "pairs") == "summary"


def wants_diff(options: Any) -> bool:
    """Whether the diff is asked for (--diff); without it the per-target views are not built at all."""
    return getattr(options, "diff", True)


def asset_counts(pairs: Iterable[Assignment]) -> List[Dict[str, Any]]:
    """Per asset, how many of these pairs it has: ``{adam_id, pricing_param, count}``, sorted."""
    counts = Counter(map(ASSET_KEY, pairs))
    return [{"adam_id": adam_id, "pricing_param": pricing, "count": count} for (adam_id, pricing), count in sorted(counts.items())]


def diff_counts(pairs: Iterable[Assignment]) -> Dict[str, str]:
    """The --diff of report: summary: per asset, how many devices and users hold it."""
    counts = Counter(map(ASSET_KIND_KEY, pairs))
    view: Dict[str, List[str]] = {}
    for (adam_id, pricing, kind), count in sorted(counts.items()):
        view.setdefault("{0} ({1})".format(adam_id, pricing), []).append(_count(count, "device" if kind == Assignment.SERIAL else "user"))
    return {label: " and ".join(parts) for label, parts in view.items()}


def in_order(pairs: Set[Assignment], planned: Iterable[Assignment]) -> List[Assignment]:
    """sorted(pairs). When the planned pairs (sorted, as change_set gives them) hold them all, they are taken in that
    order and the sort is one pass; sorting a set of 500,000 pairs from scratch takes half a second."""
    ordered = sorted(filter(pairs.__contains__, planned)) if isinstance(planned, list) else []
    # as many as the pairs, all of them pairs, none twice (neighbours differ once sorted): the pairs themselves
    if len(ordered) == len(pairs) and not any(map(operator.eq, ordered, islice(ordered, 1, None))):
        return ordered
    return sorted(pairs)


def report(key: str, verb: str, before: Set[Assignment], after: Set[Assignment], progress: Progress, header: str,
           planned: Iterable[Assignment] = (), options: Any = None) -> Dict[str, Any]:
    """The result of a write module: ``key`` lists the pairs done (or, in check mode, those that would be).

    ``changed`` follows what Apple holds: an accepted request whose pairs are not seen done changed nothing
    that is known. ``header`` opens the diff: ansible prints it as ``--- before: <header>``, the first line.
    With report: summary, ``key`` holds per-asset counts and ``changed_count`` their sum, ``failures`` at most
    FAILURES_SHOWN records and ``failures_truncated`` how many more there were; no per-pair list is built.
    """
    result: Dict[str, Any] = {
        "changed": bool(progress.done),
        "events": list(progress.events.values()),
        "error": error_message(progress, verb, planned),
    }
    if summarized(options):
        result[key] = asset_counts(progress.done)
        result["changed_count"] = len(progress.done)
        result["failures"] = progress.failures[:FAILURES_SHOWN]
        result["failures_truncated"] = max(0, len(progress.failures) - FAILURES_SHOWN)
    else:
        # what Assignment.to_result gives, built inline: a method call per pair is a second or more at 500,000
        result[key] = [{"adam_id": adam_id, "pricing_param": pricing, kind: target} for adam_id, pricing, kind, target in in_order(progress.done, planned)]
        result["failures"] = progress.failures
    if wants_diff(options):
        view = diff_counts if summarized(options) else diff_view
        result["diff"] = {"before_header": header, "before": view(before), "after": view(after)}
    return result


# -- vpp_assignment ---------------------------------------------------------------------------------

class Group(NamedTuple):
    """One group of ``assignments`` (or the task's top-level options): these assets to these targets."""

    adam_ids: List[str]
    pricing_param: str
    serial_numbers: List[str]
    client_user_ids: List[str]


def groups_of(options: Any) -> List[Group]:
    if options.assignments is not None:
        return [Group(group["adam_ids"], group["pricing_param"], group["serial_numbers"] or [], group["client_user_ids"] or [])
                for group in options.assignments]
    return [Group(options.adam_ids or [], options.pricing_param, options.serial_numbers or [], options.client_user_ids or [])]


def _listed(keys: Iterable[Tuple[str, str]]) -> str:
    """"pricing_param STDQ: 1, 2; with pricing_param PLUS: 3" for (adam_id, pricing_param) keys."""
    by_pricing: Dict[str, List[str]] = {}
    for adam_id, pricing in keys:
        by_pricing.setdefault(pricing, []).append(adam_id)
    return "; with ".join("pricing_param {0}: {1}".format(pricing, ", ".join(ids)) for pricing, ids in by_pricing.items())


def preflight(groups: Sequence[Group], assets: Sequence[Any], changes: Sequence[Assignment]) -> None:
    """Fail before any write when the plan cannot succeed, across every group at once."""
    found = {asset.key: asset for asset in assets}
    wanted = plan.unique((adam_id, group.pricing_param) for group in groups for adam_id in group.adam_ids)
    missing = [key for key in wanted if key not in found]
    if missing:
        raise PreflightError(
            "not in this location with {0}; check adam_ids and pricing_param, or buy licenses in Apple Business Manager; "
            "nothing was sent".format(_listed(missing)), {"missing_adam_ids": plan.unique(adam_id for adam_id, _pricing in missing)})
    per_kind = Counter(map(ASSET_KIND_KEY, changes))  # (adam_id, pricing_param, kind) -> pairs; one pass over the changes
    for_devices = {(adam_id, pricing) for adam_id, pricing, kind in per_kind if kind == Assignment.SERIAL}
    user_only = sorted(key for key in for_devices if found[key].device_assignable is False)
    if user_only:
        named = ", ".join("{0} ({1})".format(adam_id, found[(adam_id, pricing)].product_type or "asset") for adam_id, pricing in user_only)
        raise PreflightError(
            "cannot be assigned to devices: {0}; assign to users with client_user_ids instead; nothing was sent".format(named),
            {"not_device_assignable": plan.unique(adam_id for adam_id, _pricing in user_only)})
    needed: Dict[Tuple[str, str], int] = {}
    for (adam_id, pricing, _kind), count in per_kind.items():
        needed[(adam_id, pricing)] = needed.get((adam_id, pricing), 0) + count
    shortages = [
        {"adam_id": adam_id, "pricing_param": pricing, "needed": count, "available": found[(adam_id, pricing)].available_count or 0}
        for (adam_id, pricing), count in sorted(needed.items())
        if not found[(adam_id, pricing)].unlimited and count > (found[(adam_id, pricing)].available_count or 0)
    ]
    if shortages:
        table = "; ".join("{adam_id} ({pricing_param}) needs {needed}, {available} available".format(**row) for row in shortages)
        raise PreflightError("not enough licenses: {0}; buy more or free some in Apple Business Manager; nothing was sent".format(table),
                             {"shortages": shortages})


def preflight_removal(assets: Sequence[Any], changes: Sequence[Assignment]) -> None:
    """Apple cannot take back what is not revocable (Books stay with their user): fail before any write."""
    kept = sorted({asset.adam_id for asset in assets if asset.revocable is False} & {pair.adam_id for pair in changes})
    if kept:
        named = ", ".join("{0} ({1})".format(asset.adam_id, asset.product_type or "asset") for asset in assets if asset.adam_id in kept)
        raise PreflightError("cannot be taken back, Apple does not revoke them: {0}; leave them out of adam_ids; "
                             "nothing was sent".format(named), {"not_revocable": kept})


def assign(client: Any, options: Any) -> Dict[str, Any]:
    """vpp_assignment: make the named assets held (present) or not held (absent) by the named targets."""
    present = options.state == "present"
    verb = "assigned" if present else "removed"
    groups = groups_of(options)
    desired = plan.desired_in_order(([(adam_id, group.pricing_param) for adam_id in group.adam_ids], group.serial_numbers, group.client_user_ids)
                                    for group in groups)
    action = "assign" if present else "take back"
    if not desired:
        return report("changes", verb, set(), set(), Progress(), "{0}; {1}".format(diff_summary(action, (), options.check_mode), TASK_APPS),
                      options=options)
    assets = find_assets(client, adam_ids=plan.unique(adam_id for group in groups for adam_id in group.adam_ids),
                         pricing_param=common_pricing(desired))
    held = read_held(client, desired, assets)
    changes = plan.change_set(desired, held, options.state)
    del desired  # the changes keep the pairs they need
    check_owner(client, options.mdm_id, "changes")
    check_registered(client, changes)  # Apple would fail unknown or retired users later, with 9609
    try:
        if changes and present:
            preflight(groups, assets, changes)
        elif changes:
            preflight_removal(assets, changes)
    except PreflightError as refused:
        if summarized(options):  # the failed result keeps report: summary's documented keys
            refused.details.update(changed_count=0, failures_truncated=0)
        raise
    if not changes or options.check_mode:
        progress = Progress(done=set(changes))
    else:
        progress = execute(client, PairWrite(ASSOCIATE if present else DISASSOCIATE), changes, options)
    waited, types = options.wait or not progress.events, {asset.adam_id: asset.product_type for asset in assets}
    summary = diff_summary(action, progress.done, options.check_mode, waited, types) if wants_diff(options) else ""
    after = ((held | progress.done) if present else (held - progress.done)) if wants_diff(options) else set()
    return report("changes", verb, held, after, progress, "{0}; {1}".format(summary, TASK_APPS), changes, options)


# -- vpp_revoke -------------------------------------------------------------------------------------

def revoke(client: Any, options: Any) -> Dict[str, Any]:
    """vpp_revoke: remove every revocable asset from the named targets."""
    serial_numbers, client_user_ids = options.serial_numbers or [], options.client_user_ids or []
    if not serial_numbers and not client_user_ids:
        return report("revoked", "revoked", set(), set(), Progress(), "{0}; {1}".format(diff_summary("revoke", (), options.check_mode), TARGETS_WHOLE),
                      options=options)
    held = set(read_assignments(client, serial_numbers=serial_numbers or None, client_user_ids=client_user_ids or None))
    assets: List[Any] = []
    if held:
        assets = find_assets(client, adam_ids=sorted({pair.adam_id for pair in held}))
    revocable_assets = {asset.key for asset in assets if asset.revocable}
    revocable = {pair for pair in held if (pair.adam_id, pair.pricing_param) in revocable_assets}
    check_owner(client, options.mdm_id, "revoked")
    if not revocable or options.check_mode:
        progress = Progress(done=revocable if options.check_mode else set())
    else:
        operation = Revoke(revocable)
        progress = execute(client, operation, operation.items_for(revocable), options)
    waited, types = options.wait or not progress.events, {asset.adam_id: asset.product_type for asset in assets}
    summary = diff_summary("revoke", progress.done, options.check_mode, waited, types) if wants_diff(options) else ""
    after = held - progress.done if wants_diff(options) else set()
    return report("revoked", "revoked", held, after, progress, "{0}; {1}".format(summary, TARGETS_WHOLE), revocable, options)
