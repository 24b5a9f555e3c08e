# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The write run of vpp_user, in the steps of writes.py:

    read -> plan (user_plan.py) -> owner guard -> send -> follow -> reconcile -> report

Users whose request's answer was lost are read back, never sent again: a second create of the same id
is refused by Apple (9716), so the re-run after Apple has finished is the safe way to complete them.
"""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import user_plan
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.events import FIRST_STATUS_LOOK_SECONDS, PENDING, event_record, wait_for_events
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.limits import limit
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.owner import check_owner
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.paging import in_parallel
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.user_plan import Change, User
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.users import held_users
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.writes import OVER_LIMIT_ERRORS, STOP_ERRORS, Progress, stopped_problems

TOO_MANY_USERS = 9714
_NOT_SENT = "not sent"
Request = Tuple[str, List[Change]]  # (action, the changes of one request)


def users_failure(error_number: Optional[int], message: str, event_id: Optional[str], client_user_ids: Any) -> Dict[str, Any]:
    """A failure record as for assignments (no assets, no devices), naming users."""
    return {"error_number": error_number, "error_message": message, "event_id": event_id, "adam_ids": [], "serial_numbers": [],
            "client_user_ids": sorted(client_user_ids)}


def _ids(changes: Sequence[Change]) -> Set[str]:
    return {change.user.client_user_id for change in changes}


class Sent(NamedTuple):
    progress: Progress
    submitted: List[Tuple[Request, str]]  # (request, Apple's event id)
    unknown: List[Change]  # the answer was lost: Apple may or may not have taken them
    started: float
    unknown_at: float


def send(client: Any, changes: Sequence[Change], rechunk: bool = True) -> Sent:
    """Submit the requests side by side (paced, at most five in flight), as writes.send does for assignments."""
    requests = user_plan.plan_requests(changes, limit(client.limits(), "max_users"))
    started = client.clock()
    stop: List[ApiError] = []

    def submit(request: Request) -> Any:
        if stop:
            return _NOT_SENT
        action, chunk = request
        try:
            return client.submit(user_plan.PATHS[action], {"users": [change.body() for change in chunk]})
        except ApiError as error:
            if error.error_number in STOP_ERRORS or error.status in (401, 403):
                stop.append(error)
            return error

    outcomes = in_parallel(submit, requests)
    progress = Progress(stop_error=stop[0] if stop else None)
    submitted: List[Tuple[Request, str]] = []
    unknown: List[Change] = []
    over_limit: List[Change] = []
    skipped: List[Change] = []
    for (action, chunk), outcome in zip(requests, outcomes):
        if outcome == _NOT_SENT:
            skipped += chunk
        elif isinstance(outcome, str):
            submitted.append(((action, chunk), outcome))
            progress.events[outcome] = {"event_id": outcome, "event_type": user_plan.EVENT_TYPES[action], "event_status": PENDING,
                                        "num_requested": len(chunk), "num_completed": 0, "failures": []}
        elif outcome.outcome_unknown:
            unknown += chunk
        elif rechunk and (outcome.error_number == TOO_MANY_USERS or outcome.error_number in OVER_LIMIT_ERRORS):
            over_limit += chunk
        else:
            progress.failures.append(users_failure(outcome.error_number, outcome.message, None, _ids(chunk)))
    if over_limit and progress.stop_error is None:
        client.limits(refresh=True)  # maxUsers changed under us: chunk again, once, to the limit Apple has now
        again = send(client, over_limit, rechunk=False)
        progress += again.progress
        submitted += again.submitted
        unknown += again.unknown
    else:
        skipped += over_limit
    if skipped:
        reason = progress.stop_error.message if progress.stop_error is not None else "an earlier error"
        progress += Progress(not_sent=len(skipped), failures=[users_failure(None, "not sent after: {0}".format(reason), None, _ids(skipped))])
    return Sent(progress, submitted, unknown, started, client.clock())


def follow(client: Any, submitted: Sequence[Tuple[Request, str]], deadline: float, options: Any) -> Progress:
    """Wait for the events with the shared waiter (Apple's polling rules) and sort their users into done and failed."""
    if not submitted or not options.wait:
        return Progress(done={change for (_action, chunk), _event_id in submitted for change in chunk})
    statuses = wait_for_events(client, [event_id for _request, event_id in submitted], max(0.0, deadline - client.clock()), options.poll_interval)
    progress = Progress()
    for (_action, chunk), event_id in submitted:
        status = statuses[event_id]
        record = progress.events[event_id] = event_record(event_id, status)
        if status.event_status == PENDING:
            progress.pending.append(event_id)
            continue
        bad = user_plan.failed_users(_ids(chunk), status)
        progress.failures.extend(record["failures"])
        if bad and not status.failures:
            progress.failures.append(users_failure(None, "the event ended {0} without naming a failure".format(status.event_status), event_id, bad))
        progress.done |= {change for change in chunk if change.user.client_user_id not in bad}
    return progress


def reconcile(client: Any, lost: Sequence[Change], sent_at: float, deadline: float, options: Any) -> Progress:
    """Changes whose request's answer was lost: read the users back (first after about 3 s, then every
    poll_interval, until the deadline); what Apple shows done is done, the rest is reported, not resent."""
    next_look = sent_at + min(FIRST_STATUS_LOOK_SECONDS, options.poll_interval)
    ids = sorted(_ids(lost))
    while True:
        if options.wait:
            client.sleep(max(0.0, min(next_look, deadline) - client.clock()))
        held = held_users(client, ids)
        outstanding = [change for change in lost if not user_plan.reached(change, held.get(change.user.client_user_id))]
        if not outstanding or not options.wait or client.clock() >= deadline:
            break
        next_look = client.clock() + options.poll_interval
    progress = Progress(done=set(lost) - set(outstanding))
    if outstanding:
        progress.failures.append(users_failure(
            None, "outcome unknown: not resent (the answer to the request was lost and Apple may still be processing it); "
                  "run the task again once Apple has finished", None, _ids(outstanding)))
    return progress


def execute(client: Any, changes: Sequence[Change], options: Any) -> Progress:
    """send -> follow -> reconcile; ``wait_timeout`` counts from the first request sent."""
    sent = send(client, changes)
    deadline = sent.started + options.wait_timeout
    client.transport.deadline = deadline
    progress = sent.progress
    try:
        progress += follow(client, sent.submitted, deadline, options)
        if sent.unknown:
            progress += reconcile(client, sent.unknown, sent.unknown_at, deadline, options)
    except ApiError as error:
        if not progress.events:
            raise
        progress += Progress(interruption=error)
    return progress


def failure_summary(failures: Sequence[Dict[str, Any]]) -> str:
    """"Apple error 9716 for u-4; outcome unknown: not resent for u-1, u-2": each kind of failure with its users."""
    by_kind: Dict[str, Set[str]] = {}
    for failure in failures:
        kind = ("Apple error {0}".format(failure["error_number"]) if failure["error_number"] is not None
                else failure["error_message"].split(" (", 1)[0])
        by_kind.setdefault(kind, set()).update(failure["client_user_ids"])
    return "; ".join("{0} for {1}".format(kind, ", ".join(sorted(users)) or "the request") for kind, users in sorted(by_kind.items()))


def error_message(progress: Progress) -> Optional[str]:
    """One line naming what went wrong and how many users were done, or None when all is well."""
    problems = stopped_problems(progress, "user(s)")
    if progress.failures:
        problems.append("{0} failure(s): {1}".format(len(progress.failures), failure_summary(progress.failures)))
    if progress.pending:
        problems.append("{0} event(s) still pending after wait_timeout: {1}".format(len(progress.pending), ", ".join(progress.pending)))
    if not problems:
        return None
    return "{0}; {1} user(s) changed; see failures and events".format("; ".join(problems), len(progress.done))


def report(wanted: Sequence[User], held: Dict[str, User], changes: Sequence[Change], progress: Progress) -> Dict[str, Any]:
    """``changes`` lists what was done (check mode: what would be), in plan order; ``diff`` each user named, before and after."""
    after = dict(held)
    for change in changes:
        if change in progress.done:
            after[change.user.client_user_id] = user_plan.after(held.get(change.user.client_user_id), change)
    named = [user.client_user_id for user in wanted]
    return {
        "changed": bool(progress.done) or bool(progress.events),
        "changes": [change.to_result() for change in changes if change in progress.done],
        "events": list(progress.events.values()),
        "failures": progress.failures,
        "diff": {"before": {user: held[user].view() for user in named if user in held},
                 "after": {user: after[user].view() for user in named if user in after}},
        "error": error_message(progress),
    }


def manage_users(client: Any, options: Any) -> Dict[str, Any]:
    """vpp_user: create, update (present) or retire (absent) the users named."""
    wanted = [User(user["client_user_id"], user.get("email"), user.get("managed_apple_id")) for user in options.users]
    held = held_users(client, [user.client_user_id for user in wanted])
    changes = user_plan.plan_changes(wanted, held, options.state)
    check_owner(client, options.mdm_id, "changes")
    if not changes or options.check_mode:
        progress = Progress(done=set(changes))
    else:
        progress = execute(client, changes, options)
    return report(wanted, held, changes, progress)
