# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apple's asynchronous events: status, waiting, the event and failure records, and vpp_event_info."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError, parse_answer
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import plan
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.records import Assignment
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.paging import in_parallel

if TYPE_CHECKING:  # the models import pydantic: loaded by the functions that read an answer
    from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import EventStatus

PENDING = "PENDING"
UNKNOWN_EVENT = 9708
EVENT_TYPES = {"/assets/associate": "ASSOCIATE", "/assets/disassociate": "DISASSOCIATE", "/assets/revoke": "REVOKE"}
# First status look this long after submitting: most small events are done by then, and a look
# before that is a request spent for nothing. Later looks at a PENDING event follow poll_interval.
FIRST_STATUS_LOOK_SECONDS = 3.0


# -- status and waiting ----------------------------------------------------------------------------

def event_status(client: Any, event_id: str) -> "EventStatus":
    from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import EventStatus  # pylint: disable=import-outside-toplevel
    try:
        return parse_answer(EventStatus, client.get("/status", {"eventId": event_id}), "Apple's /status answer")
    except ApiError as error:
        if error.error_number == UNKNOWN_EVENT:
            error.message = "Apple does not know event id {0} (Apple error {1}): check event_ids".format(event_id, UNKNOWN_EVENT)
            error.args = (error.message,)
            error.details["event_id"] = event_id
        raise


def event_statuses(client: Any, event_ids: Sequence[str]) -> Dict[str, "EventStatus"]:
    """Status of several events, read side by side within the pacing budget."""
    return dict(zip(event_ids, in_parallel(lambda event_id: event_status(client, event_id), list(event_ids))))


def wait_for_events(client: Any, event_ids: Sequence[str], wait_timeout: float, poll_interval: float) -> Dict[str, "EventStatus"]:
    """Poll until every event has finished or ``wait_timeout`` seconds (from now) have passed.

    Apple: "While the returned eventStatus is PENDING, wait at least 30 seconds between subsequent
    status queries." So the first look comes about 3 s after the start (short events are done by
    then), and after that no event is asked again sooner than ``poll_interval`` after its last
    answer, not even at the deadline. While events are pending only the last one is asked (a
    sentinel: the others were submitted before it); once it has finished, the others are asked at
    once (never asked before, they may be). Every event is asked at least once. Returns the last
    status of each; those still PENDING timed out.
    """
    clock = client.clock
    started = clock()
    deadline = started + wait_timeout
    statuses: Dict[str, Any] = {}
    answered: Dict[str, float] = {}  # event id -> when its last answer came

    def look(asked: List[str]) -> None:
        statuses.update(event_statuses(client, asked))
        now = clock()
        answered.update((event_id, now) for event_id in asked)

    pending = list(event_ids)
    next_look = started + min(FIRST_STATUS_LOOK_SECONDS, poll_interval)
    while pending:
        client.sleep(max(0.0, min(next_look, deadline) - clock()))
        final = clock() >= deadline
        due = [event_id for event_id in pending if event_id not in answered or clock() - answered[event_id] >= poll_interval]
        asked = due if final else pending[-1:]
        if asked:
            look(asked)
        if not final and statuses[asked[0]].event_status != PENDING and len(pending) > 1:
            look(pending[:-1])
        pending = [event_id for event_id in pending if event_id not in statuses or statuses[event_id].event_status == PENDING]
        if not pending or final:
            break
        next_look = clock() + poll_interval
    return statuses


# -- records ------------------------------------------------------------------------------------

def pairs_failure(error_number: Optional[int], message: str, event_id: Optional[str], pairs: Iterable[Assignment],
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
    return pairs_failure(error_number, message, event_id, batch.pairs(), [(batch.kind, target) for target in batch.targets])


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
        "event_id": event_id, "event_type": EVENT_TYPES[path], "event_status": PENDING,
        "num_requested": batch.size if batch.assets else len(batch.targets),
        "num_completed": 0, "failures": [],
    }


def succeeded(status: Any) -> bool:
    """Apple's strict success: COMPLETE, every requested pair done, no failure."""
    return status.event_status == "COMPLETE" and status.num_completed == status.num_requested and not status.failures


def named_pairs(pairs: Set[Assignment], kind: str, status: Any) -> Set[Assignment]:
    """The pairs Apple's failures of an event name. A failure names assets and/or targets; what it
    leaves out means "all of the request's"."""
    named: Set[Assignment] = set()
    for failure in status.failures:
        info = failure.error_info
        adam_ids = {str(asset.get("adamId")) for asset in info.assets if isinstance(asset, dict)}
        targets = set(info.serial_numbers if kind == Assignment.SERIAL else info.client_user_ids)
        other_kind_only = not targets and not adam_ids and bool(info.client_user_ids if kind == Assignment.SERIAL else info.serial_numbers)
        if other_kind_only:
            continue
        named |= {pair for pair in pairs if (not adam_ids or pair.adam_id in adam_ids) and (not targets or pair.target_id in targets)}
    return named


def failed_pairs(pairs: Set[Assignment], kind: str, status: Any) -> Set[Assignment]:
    """Which of an event's pairs failed, as its status tells. An unsuccessful event whose failures name
    nothing failed whole."""
    if succeeded(status):
        return set()
    failed = named_pairs(pairs, kind, status)
    if failed:
        return failed
    # Nothing named applies to these pairs: trust the counts.
    return set() if status.num_completed >= status.num_requested else set(pairs)


# -- vpp_event_info ---------------------------------------------------------------------------------

def event_info(client: Any, options: Any) -> Dict[str, Any]:
    """The events' status, waiting for them to finish when asked (the wait starts here)."""
    event_ids = list(options.event_ids)
    if options.wait:
        statuses = wait_for_events(client, event_ids, options.wait_timeout, options.poll_interval)
    else:
        statuses = event_statuses(client, event_ids)
    events: List[Dict[str, Any]] = [event_record(event_id, statuses[event_id]) for event_id in event_ids]
    pending = [record["event_id"] for record in events if record["event_status"] == PENDING]
    error = None
    if options.wait and pending:
        error = "{0} event(s) still pending after wait_timeout ({1} s): {2}".format(len(pending), options.wait_timeout, ", ".join(pending))
    return {"changed": False, "events": events, "error": error}
