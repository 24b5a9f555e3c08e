"""Fault injection for the Apple write modules: every (module x fault) case of CASES runs real ansible-playbook
against the simulator, and docs/reliability.md shows the same table (REPORT).

Each case asserts one of two outcomes:

* converges: the task succeeds, the location holds exactly the desired assignments (nothing else changed
  apart from what the fault itself did, e.g. another MDM's assignments), and the same task run again without the
  fault reports ``changed: false`` and sends no write;
* fails: the task fails with one line that names the fault and how many pairs were done, and every desired pair
  is either reported done (and is so in the simulator), named in ``failures``, or part of an event the result
  lists as not finished; nothing outside the desired pairs changed; ``changed`` is true exactly when some pair is
  reported done. Where the events could not be followed, the pairs are read back: every pair Apple took is reported.

Every case also asserts: no pair (revoke: no target; reclaim: no target both revoked and disassociated) is in two
write requests the simulator applied (a write the server refused with 429/503, failed with 5xx before applying,
or never saw may be sent again; one it applied may not), no request is sent more than retries + 1 times in a row,
and the run stays under its time bound.
"""
from __future__ import annotations

import re
from fnmatch import fnmatch
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence, Set, Tuple

import pytest

from tests.reliability import report
from tests.reliability.faults_common import (
    RETRIES, TIMEOUT, Bounds, CaseRun, FaultCase, brief_log, longest_refused_streak, matches_all, one_line, request_key, retry_gaps, run_case,
)

pytestmark = pytest.mark.reliability

Pair = Tuple[str, str, str, str]  # (adamId, pricingParam, "serial"|"user", target), as SimulatorControl.assignments
PAGES = "/mdm/v2/assignments"
# reclaim sends revoke and disassociate requests in one run: its faults hit both
WRITE_PATHS = {"present": "/mdm/v2/assets/associate", "absent": "/mdm/v2/assets/disassociate", "revoke": "/mdm/v2/assets/revoke",
               "reclaim": "/mdm/v2/assets/*"}
FOREIGN_PREFIX = "SIMX"  # serials the simulator's add_assignments mutation invents (another MDM's work)

# Small limits so each run sends several writes side by side; events finish in 0.3 s.
SETTINGS = {"eventSeconds": 0.3, "limits": {"maxAssets": 1, "maxSerialNumbers": 2, "maxRevokeSerialNumbers": 1,
                                            "maxRevokeClientUserIds": 1, "maxRequestPerSecond": 40}}
# Time scaled down: Apple's 30 s between status looks and 600 s before a resend become 0.5 s and 2 s here.
COMMON_ARGS = {"retries": RETRIES, "timeout": TIMEOUT, "poll_interval": 0.5, "wait_timeout": 20, "resend_after": 2}


@dataclass(frozen=True)
class Operation:
    module: str
    args: Dict[str, Any]
    verb: str  # as in the module's "N pair(s) <verb>"
    description: str


OPERATIONS = {
    "present": Operation("assetops.licensing.vpp_assignment",
                         {"adam_ids": ["361309726", "361285480"], "serial_numbers": ["FLT-1", "FLT-2", "FLT-3"]},
                         "assigned", "vpp_assignment present: 2 apps to 3 new devices (4 POSTs)"),
    "absent": Operation("assetops.licensing.vpp_assignment",
                        {"adam_ids": ["361309726", "1000000001"], "serial_numbers": ["C02MAIN0001", "C02MAIN0002", "C02MAIN0003"],
                         "state": "absent"},
                        "removed", "vpp_assignment absent: 2 apps from 3 devices (4 POSTs)"),
    "revoke": Operation("assetops.licensing.vpp_revoke",
                        {"serial_numbers": ["C02MAIN0001", "C02MAIN0002", "C02MAIN0003", "C02MAIN0004"]},
                        "revoked", "vpp_revoke: 4 devices (4 POSTs)"),
    "reclaim": Operation("assetops.licensing.vpp_reclaim",
                         {"keep_serial_numbers": ["C02MAIN0005"], "keep_client_user_ids": ["user-1"]},
                         "reclaimed", "vpp_reclaim: an inventory without 4 devices and user-2 (11 revocable pairs; the fewest "
                                      "requests are 4 revokes and 1 disassociate, 5 POSTs; user-2's Book stays)"),
}
MODULE_ORDER = ("present", "absent", "revoke", "reclaim")
WRITE = "{write}"  # in a rule's path: the operation's write endpoint


@dataclass(frozen=True)
class Case(FaultCase):
    """One row: an Apple write operation under a fault."""

    settings: Dict[str, Any] = field(default_factory=dict)
    inputs: Dict[str, Any] = field(default_factory=dict)  # replaces the operation's own targets and assets
    walk_grows: bool = False  # the first run must have read the walk's new last page and read page 0 again
    reads_back: bool = False  # a failing run must still report every pair Apple took (read back, not resent)

    def rules_for(self) -> List[Dict[str, Any]]:
        return [dict(rule, path=rule["path"].replace(WRITE, WRITE_PATHS[self.operation])) for rule in self.rules]

    @property
    def bounds(self) -> Bounds:
        lasting = ("retries {0}: each write sent exactly {1} times".format(self.retries, self.retries + 1),)
        return self.bounds_with(*(lasting if self.lasting else ()))

    def outcome_text(self, converges: str) -> str:
        text = super().outcome_text(converges)
        return text + "; every pair done is reported (read back once), changed true, no write sent twice" if self.reads_back else text


def _storm(operation: str) -> Case:
    return Case(operation, "429 storm: every third request refused (429/9646), all endpoints",
                ({"path": "/mdm/v2/*", "every": 3, "count": None, "kind": "status", "status": 429, "errorNumber": 9646},),
                "converges", max_seconds=30)


def _retry_after(operation: str) -> Case:
    return Case(operation, "503/9729 on the write with Retry-After: 1 (seconds), then with an HTTP-date 2 s ahead",
                ({"method": "POST", "path": WRITE, "kind": "status", "status": 503, "errorNumber": 9729, "retryAfter": "1"},
                 {"method": "POST", "path": WRITE, "kind": "status", "status": 503, "errorNumber": 9729, "retryAfter": "date+2"}),
                "converges", min_retry_wait=(503, 0.9))


def _internal_error(operation: str) -> Case:
    return Case(operation, "500/9603 with Apple's error body on the write, Retry-After: 1 (a synchronous failure: nothing was "
                           "queued, so it is sent again)",
                ({"method": "POST", "path": WRITE, "kind": "status", "status": 500, "errorNumber": 9603, "retryAfter": "1"},),
                "converges", min_retry_wait=(500, 0.9))


def _lost_unapplied(operation: str) -> Case:
    return Case(operation, "writes not applied, the client cannot know: 500/9603 on the 1st write to arrive, the connection "
                           "dropped before the server read the 2nd, an HTML 502 from a proxy on the 3rd; an HTML 502 on an "
                           "assignments read too",
                ({"method": "POST", "path": WRITE, "kind": "status", "status": 500, "errorNumber": 9603},
                 {"method": "POST", "path": WRITE, "after": 1, "kind": "drop_before"},
                 {"method": "POST", "path": WRITE, "after": 2, "kind": "status", "status": 502, "html": True},
                 {"method": "GET", "path": PAGES, "kind": "status", "status": 502, "html": True}), "converges")


def _lost_applied(operation: str) -> Case:
    fault = ("writes applied, the answer lost: the connection dropped after the server applied the 1st write to arrive, "
             "the 2nd answered after 3 s (beyond timeout {0:g} s)".format(TIMEOUT))
    return Case(operation, fault,
                ({"method": "POST", "path": WRITE, "kind": "drop_after"},
                 {"method": "POST", "path": WRITE, "after": 1, "kind": "delay", "seconds": 3}), "converges")


def _walk(operation: str) -> Case:
    return Case(operation, "versionId and totalPages change during the walk of all assignments (page size 4: 4 pages, "
                           "read side by side): a new versionId on page 1, 4 more assignments (a 5th page) on page 2",
                ({"method": "GET", "path": PAGES, "after": 1, "kind": "mutate", "action": "bump_version"},
                 {"method": "GET", "path": PAGES, "after": 2, "kind": "mutate", "action": "add_assignments", "count": 4,
                  "adamId": "361309726"}),
                "converges", settings={"pageSize": 4}, walk_grows=True)


def _pending(operation: str) -> Case:
    return Case(operation, "events stay PENDING for 30 s, wait_timeout 1 s", (), "fails",
                (r"event\(s\) still pending after wait_timeout", r"0 pair\(s\) " + OPERATIONS[operation].verb),
                settings={"eventSeconds": 30}, options={"wait_timeout": 1})


def _status_outage(operation: str) -> Case:
    return Case(operation, "every status look answered 503/9729 after the writes were taken (the events cannot be followed)",
                ({"method": "GET", "path": "/mdm/v2/status", "kind": "status", "status": 503, "errorNumber": 9729, "count": None},),
                "fails", (r"temporarily unavailable", r"gave up after {0} retries".format(RETRIES), r"after Apple accepted 4 request",
                          r"vpp_event_info"), reads_back=True)


def _revoked_token(operation: str) -> Case:
    return Case(operation, "token revoked after the first write (401/9625 from then on)",
                ({"method": "POST", "path": WRITE, "after": 1, "kind": "mutate", "action": "revoke_token"},), "fails",
                (r"token was revoked", r"Apple error 9625", r"after Apple accepted 1 request", r"0 pair\(s\) " + OPERATIONS[operation].verb))


PARTIAL_CASES = (
    Case("present", "503/9729 on every write, no Retry-After (an outage that lasts)",
         ({"method": "POST", "path": WRITE, "kind": "status", "status": 503, "errorNumber": 9729, "count": None},), "fails",
         (r"4 failure\(s\): serials FLT-1, FLT-2 \(361285480 STDQ\) Apple error 9729: Apple's service is temporarily unavailable, ",
          r"and 1 more; 0 pair\(s\) assigned"), options={"retries": 2}, lasting=True),
    Case("present", "FAILED event, partial 9709: another MDM takes 8 of 10 licenses just before the first write",
         ({"method": "POST", "path": WRITE, "kind": "mutate", "action": "add_assignments", "count": 8, "adamId": "497799835"},),
         "fails", (r"Apple error 9709", r"2 pair\(s\) assigned"),
         inputs={"adam_ids": ["497799835"], "serial_numbers": ["FLT-1", "FLT-2", "FLT-3"]}),
    Case("present", "FAILED event, partial 9609: one of two users is retired after the pre-flight, just before the writes",
         ({"method": "POST", "path": WRITE, "kind": "mutate", "action": "retire_user", "clientUserId": "user-4"},), "fails",
         (r"user user-4 \(361309726 STDQ\) Apple error 9609", r"1 pair\(s\) assigned"),
         inputs={"adam_ids": ["361309726"], "client_user_ids": ["user-3", "user-4"]}),
    Case("absent", "FAILED event, partial 9609: a user is retired just before the writes",
         ({"method": "POST", "path": WRITE, "kind": "mutate", "action": "retire_user", "clientUserId": "user-1"},), "fails",
         (r"Apple error 9609", r"1 pair\(s\) removed"),
         inputs={"adam_ids": ["361309726"], "serial_numbers": ["C02MAIN0001"], "client_user_ids": ["user-1"], "state": "absent"}),
    Case("revoke", "FAILED event, partial 9609: a user is retired just before the writes",
         ({"method": "POST", "path": WRITE, "kind": "mutate", "action": "retire_user", "clientUserId": "user-2"},), "fails",
         (r"Apple error 9609", r"1 pair\(s\) revoked"), inputs={"client_user_ids": ["user-1", "user-2"]}),
)

FAULTS = (_storm, _retry_after, _internal_error, _lost_unapplied, _lost_applied, _walk, _pending, _status_outage, _revoked_token)
CASES: List[Case] = [fault(operation) for fault in FAULTS for operation in MODULE_ORDER] + list(PARTIAL_CASES)


CONVERGES = "converges: exact desired state; re-run changed false, 0 writes"


REPORT = report.Section(
    order=10,
    title="Faults: Apple write modules",
    intro=(__doc__ or "").split("\n\n", 1)[1] + (
        "\nSettings in every case: retries {0}, timeout {1:g} s, poll_interval 0.5 s; maxAssets 1, maxSerialNumbers 2, "
        "maxRevokeSerialNumbers 1, events finish in 0.3 s. Operations: {2}.".format(
            RETRIES, TIMEOUT, "; ".join(OPERATIONS[name].description for name in MODULE_ORDER))
        + " resend_after 2 s (Apple's 10 minutes, scaled down like the status interval)."),
    columns=["module", "fault injected", "outcome asserted", "bounds asserted"],
    rows=[[OPERATIONS[case.operation].module.split(".")[-1] + ("" if case.operation in ("revoke", "reclaim") else " " + case.operation),
           case.fault, case.outcome_text(CONVERGES), case.bounds.describe()] for case in CASES],
)


# ---------------------------------------------------------------------------------------------- checks
def _write_pairs(entry: Dict[str, Any]) -> Set[Tuple[str, ...]]:
    """What one write carries: (adamId, pricingParam, kind, target) pairs, or (kind, target) for a revoke."""
    body = entry["body"] if isinstance(entry["body"], dict) else {}
    targets = [("serial", serial) for serial in body.get("serialNumbers") or []] + [("user", user) for user in body.get("clientUserIds") or []]
    if entry["path"].endswith("/revoke"):
        return set(targets)
    return {(asset["adamId"], asset.get("pricingParam", "STDQ"), kind, target) for asset in body.get("assets") or [] for kind, target in targets}


def _applied_twice(writes: Sequence[Dict[str, Any]]) -> Dict[Tuple[str, ...], int]:
    """Pairs in more than one write the simulator applied (answered 200, even when the answer was lost)."""
    counts: Dict[Tuple[str, ...], int] = {}
    for entry in writes:
        if entry["status"] == 200:
            for pair in _write_pairs(entry):
                counts[pair] = counts.get(pair, 0) + 1
    return {pair: count for pair, count in counts.items() if count > 1}


def _desired(operation: str, args: Dict[str, Any], initial: Set[Pair], revocable: Set[Tuple[str, str]]) -> Set[Pair]:
    """The pairs the task is about: to be held (present) or not held (absent, revoke)."""
    if operation == "reclaim":
        keep = {"serial": args.get("keep_serial_numbers"), "user": args.get("keep_client_user_ids")}
        return {pair for pair in initial if keep[pair[2]] is not None and pair[3] not in keep[pair[2]] and pair[:2] in revocable}
    if operation == "revoke":
        targets = {("serial", serial) for serial in args.get("serial_numbers") or []} | {("user", user) for user in args.get("client_user_ids") or []}
        return {pair for pair in initial if pair[2:] in targets and pair[:2] in revocable}
    pricing = args.get("pricing_param", "STDQ")
    targets = [("serial", serial) for serial in args.get("serial_numbers") or []] + [("user", user) for user in args.get("client_user_ids") or []]
    return {(adam_id, pricing, kind, target) for adam_id in args["adam_ids"] for kind, target in targets}


def _result_pairs(result: Dict[str, Any], operation: str) -> Set[Pair]:
    records = result.get({"revoke": "revoked", "reclaim": "reclaimed"}.get(operation, "changes")) or []
    return {(record["adam_id"], record["pricing_param"], "serial" if "serial_number" in record else "user",
             record.get("serial_number") or record.get("client_user_id")) for record in records}


def _named_in_failures(pair: Pair, failures: Sequence[Dict[str, Any]]) -> bool:
    for failure in failures:
        targets = failure["serial_numbers"] if pair[2] == "serial" else failure["client_user_ids"]
        if pair[3] in targets and (not failure["adam_ids"] or pair[0] in failure["adam_ids"]):
            return True
    return False


def _in_unfinished_event(pair: Pair, result: Dict[str, Any], sim_events: Dict[str, Dict[str, Any]]) -> bool:
    for event in result.get("events") or []:
        if event["event_status"] != "PENDING":
            continue
        request = sim_events.get(event["event_id"], {}).get("request", {})
        body = {"assets": request.get("assets"), "serialNumbers": request.get("serialNumbers"), "clientUserIds": request.get("clientUserIds")}
        carried = _write_pairs({"path": "/revoke" if request.get("assets") is None else "/x", "body": body})
        if pair in carried or pair[2:] in carried:
            return True
    return False


def _relevant(pairs: Set[Pair]) -> Set[Pair]:
    return {pair for pair in pairs if not pair[3].startswith(FOREIGN_PREFIX)}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_apple_write_under_fault(case: Case, ansible) -> None:
    sim = ansible.sim
    operation = OPERATIONS[case.operation]
    sim.settings(**SETTINGS)
    if case.settings:
        sim.settings(**case.settings)
    main = sim.location_state("Main")
    initial = sim.assignments("Main")
    revocable = {(asset["adamId"], asset["pricingParam"]) for asset in main["assets"] if asset["revocable"]}
    users_before = {user["clientUserId"]: user["status"] for user in main["users"]}
    own_args = dict(case.inputs) if case.inputs else dict(operation.args)
    desired = _desired(case.operation, own_args, initial, revocable)
    assert desired, "the case must be about something"
    args = dict(COMMON_ARGS, token=sim.tokens()["Main"], api_url=sim.vpp_url, **own_args)
    args.update(case.options)
    sim.add_faults(*case.rules_for())
    sim.clear_log()

    run: CaseRun = run_case(ansible, operation.module, args, rerun=case.outcome == "converges")

    first = run.first
    final = sim.assignments("Main")
    main_after = sim.location_state("Main")
    retired = {user["clientUserId"] for user in main_after["users"] if user["status"] == "Retired" and users_before.get(user["clientUserId"]) != "Retired"}
    context = "{0}\nfirst run: {1}\nlog: {2}".format(
        case.id, {key: first.get(key) for key in ("failed", "changed", "msg", "failures", "events")}, brief_log(run.first_log))
    wanted_held = case.operation == "present"
    if wanted_held:
        expected = initial | desired
    else:
        expected = initial - desired
    changed_pairs = _relevant(final ^ initial)
    writes = [entry for entry in run.first_log if entry["method"] == "POST" and fnmatch(entry["path"], WRITE_PATHS[case.operation])]

    # never applied twice, bounded attempts and time
    assert _applied_twice(writes) == {}, context
    applied = [entry for entry in writes if entry["status"] == 200]
    revoked_targets = {target for entry in applied if entry["path"].endswith("/revoke") for target in _write_pairs(entry)}
    assert not {pair[2:] for entry in applied if not entry["path"].endswith("/revoke") for pair in _write_pairs(entry)} & revoked_targets, context
    assert longest_refused_streak(run.first_log) <= case.retries + 1, context
    assert run.first_seconds < case.max_seconds, context
    assert len([entry for entry in run.first_log if entry["fault"]]) >= len(case.rules), "{0}\nthe faults did not all fire".format(context)
    if case.walk_grows:
        walk_pages = [entry["query"].get("pageIndex", "0") for entry in run.first_log if entry["path"] == PAGES and entry["status"] == 200
                      and set(entry["query"]) <= {"pricingParam", "pageIndex"}]
        assert "4" in walk_pages and walk_pages.count("0") >= 2, "{0}\nwalk pages read: {1}".format(context, walk_pages)
    if case.lasting:
        sends = Counter(request_key(entry) for entry in writes)
        assert len(sends) == 4 and set(sends.values()) == {case.retries + 1}, "{0}\nsends per write: {1}".format(context, sorted(sends.values()))
    if case.min_retry_wait:
        gaps = retry_gaps(run.first_log, case.min_retry_wait[0])
        assert gaps and min(gaps) >= case.min_retry_wait[1], "{0}\nretry gaps {1}".format(context, gaps)

    if case.outcome == "converges":
        assert not first.get("failed"), context
        assert first.get("changed") is True, context
        assert _relevant(final) == _relevant(expected), context
        assert _relevant(_result_pairs(first, case.operation)) == desired & (initial ^ expected), context
        second = run.second or {}
        assert second.get("failed") is False and second.get("changed") is False, "{0}\nre-run: {1}".format(context, second)
        assert [entry for entry in run.second_log if entry["method"] == "POST"] == [], context
        return

    # fails: one line that names what was done and what was not
    assert first.get("failed") is True, context
    message = first.get("msg")
    assert one_line(message), context
    assert matches_all(message, case.patterns) == [], context
    done = _result_pairs(first, case.operation)
    verb_count = re.search(r"(\d+) pair\(s\) " + operation.verb, message)
    assert verb_count and int(verb_count.group(1)) == len(done), context
    assert all((pair in final) == wanted_held for pair in done), context
    assert first.get("changed") is bool(done), context
    if case.reads_back:
        # vpp_reclaim sends its second kind of request only after the first was followed: after an
        # interruption those pairs are reported "not sent" and must be untouched
        not_sent = {pair for pair in desired
                    if _named_in_failures(pair, [failure for failure in first.get("failures") or []
                                                 if failure["error_message"].startswith("not sent")])}
        assert not done & not_sent and all((pair in final) != wanted_held for pair in not_sent), context
        assert done | not_sent == desired & (initial ^ expected) and done, context
        assert [failure for failure in first.get("failures") or [] if not failure["error_message"].startswith("not sent")] == [], context
        assert bool(not_sent) == (case.operation == "reclaim"), context
    sim_events = {event["eventId"]: event for event in main_after["events"]}
    unaccounted = [pair for pair in desired - done
                   if not _named_in_failures(pair, first.get("failures") or []) and not _in_unfinished_event(pair, first, sim_events)]
    assert unaccounted == [], "{0}\nunaccounted pairs: {1}".format(context, unaccounted)
    outside = {pair for pair in changed_pairs - desired if pair[3] not in retired}
    assert outside == set(), context
