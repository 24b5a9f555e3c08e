"""Fault injection for vpp_user: every case of CASES runs real ansible-playbook against the simulator during user
writes and their events, and docs/reliability.md shows the same table (REPORT). A file apart from the assignment
faults (test_faults_vpp.py) so that the two tables grow independently.

Each case asserts one of two outcomes:

* converges: the task succeeds, Apple holds every user as wanted (created, or retired), and the same task run again
  without the fault reports ``changed: false`` and sends no write;
* fails: the task fails with one line that names the fault and how many users were done, and every user is either
  reported done (and is so in the simulator), named in ``failures``, or part of an event the result lists as not
  finished.

Every case also asserts: no user is in two create or retire requests the simulator applied (a request whose answer
was lost is read back, never sent again), no request is sent more than retries + 1 times in a row, and the run stays
under its time bound.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence, Set

import pytest

from tests.reliability import report
from tests.reliability.faults_common import RETRIES, TIMEOUT, Bounds, FaultCase, brief_log, longest_refused_streak, matches_all, one_line, run_case

pytestmark = pytest.mark.reliability

MODULE = "assetops.licensing.vpp_user"
SEVEN = ["flt-user-{0}".format(number) for number in range(1, 8)]
RETIRING = ["user-2", "user-3", "user-4"]  # Registered in the default seed
OPERATIONS = {
    "create": ({"users": [{"client_user_id": user, "email": user + "@example.org"} for user in SEVEN]}, "/mdm/v2/users/create"),
    "retire": ({"users": [{"client_user_id": user} for user in RETIRING], "state": "absent"}, "/mdm/v2/users/retire"),
}
WRITE = "{write}"  # in a rule's path: the operation's write endpoint
# maxUsers 3: the seven users take three create requests, the three retirements one each with maxUsers 1.
SETTINGS = {"eventSeconds": 0.3, "limits": {"maxUsers": 3, "maxRequestPerSecond": 40}}
COMMON_ARGS = {"retries": RETRIES, "timeout": TIMEOUT, "poll_interval": 0.5, "wait_timeout": 20}
CONVERGES = "converges: every user as wanted; re-run changed false, 0 writes"


@dataclass(frozen=True)
class Case(FaultCase):
    settings: Dict[str, Any] = field(default_factory=dict)

    def rules_for(self) -> List[Dict[str, Any]]:
        path = OPERATIONS[self.operation][1]
        return [dict(rule, path=rule["path"].replace(WRITE, path)) for rule in self.rules]

    @property
    def bounds(self) -> Bounds:
        return self.bounds_with("no user in two applied requests")


CASES: List[Case] = [
    Case("create", "429 storm: every third request refused (429/9646), all endpoints",
         ({"path": "/mdm/v2/*", "every": 3, "count": None, "kind": "status", "status": 429, "errorNumber": 9646},), "converges", max_seconds=30),
    Case("create", "503/9729 on a create with Retry-After: 1, 500/9603 with Apple's error body on the next",
         ({"method": "POST", "path": WRITE, "kind": "status", "status": 503, "errorNumber": 9729, "retryAfter": "1"},
          {"method": "POST", "path": WRITE, "after": 1, "kind": "status", "status": 500, "errorNumber": 9603, "retryAfter": "1"}),
         "converges"),
    Case("create", "creates applied, the answer lost: the connection dropped after the server applied the 1st, the 2nd "
                   "answered after 3 s (beyond timeout {0:g} s)".format(TIMEOUT),
         ({"method": "POST", "path": WRITE, "kind": "drop_after"}, {"method": "POST", "path": WRITE, "after": 1, "kind": "delay", "seconds": 3}),
         "converges"),
    Case("create", "a create not applied, the client cannot know (connection dropped before the server read it); an HTML 502 "
                   "from a proxy on a users read too",
         ({"method": "POST", "path": WRITE, "kind": "drop_before"},
          {"method": "GET", "path": "/mdm/v2/users", "kind": "status", "status": 502, "html": True}),
         "fails", (r"outcome unknown: not resent", r"[4-6] user\(s\) changed"), options={"wait_timeout": 4}),
    Case("create", "CREATE events stay PENDING for 30 s, wait_timeout 1 s", (), "fails",
         (r"event\(s\) still pending after wait_timeout", r"0 user\(s\) changed"), settings={"eventSeconds": 30}, options={"wait_timeout": 1}),
    Case("create", "FAILED event, 9716: someone else registers flt-user-4 just before the writes",
         ({"method": "POST", "path": WRITE, "kind": "mutate", "action": "create_user", "clientUserId": "flt-user-4"},), "fails",
         (r"Apple error 9716", r"flt-user-4", r"6 user\(s\) changed")),
    Case("create", "FAILED event, 9635: Apple refuses flt-user-5's Managed Apple Account", (), "fails",
         (r"Apple error 9635", r"flt-user-5", r"6 user\(s\) changed"), settings={"appleAccountFailures": {"flt-user-5@appleid.example.org": 9635}},
         options={"users": [dict({"client_user_id": user, "email": user + "@example.org"},
                                 **({"managed_apple_id": user + "@appleid.example.org"} if user == "flt-user-5" else {})) for user in SEVEN]}),
    Case("create", "token revoked after the first create (401/9625 from then on)",
         ({"method": "POST", "path": WRITE, "after": 1, "kind": "mutate", "action": "revoke_token"},), "fails",
         (r"token was revoked", r"Apple error 9625", r"after Apple accepted 1 request")),
    Case("retire", "retires applied, the answer lost: the connection dropped after the server applied the 1st",
         ({"method": "POST", "path": WRITE, "kind": "drop_after"},), "converges", settings={"limits": {"maxUsers": 1}}),
    Case("retire", "429 storm: every third request refused (429/9646), all endpoints",
         ({"path": "/mdm/v2/*", "every": 3, "count": None, "kind": "status", "status": 429, "errorNumber": 9646},), "converges",
         settings={"limits": {"maxUsers": 1}}, max_seconds=30),
]


REPORT = report.Section(
    order=11,
    title="Faults: vpp_user",
    intro=(__doc__ or "").split("\n\n", 1)[1] + (
        "\nSettings in every case: retries {0}, timeout {1:g} s, poll_interval 0.5 s, events finish in 0.3 s. Operations: create: seven "
        "new users under maxUsers 3 (3 POSTs); retire: three Registered users under maxUsers 1 (3 POSTs).".format(RETRIES, TIMEOUT)),
    columns=["module", "fault injected", "outcome asserted", "bounds asserted"],
    rows=[["vpp_user " + case.operation, case.fault, case.outcome_text(CONVERGES), case.bounds.describe()] for case in CASES],
)


def _users_of(entry: Dict[str, Any]) -> List[str]:
    body = entry["body"] if isinstance(entry["body"], dict) else {}
    return [user.get("clientUserId") for user in body.get("users") or [] if isinstance(user, dict)]


def _applied_twice(writes: Sequence[Dict[str, Any]]) -> Set[str]:
    seen: Dict[str, int] = {}
    for entry in writes:
        if entry["status"] == 200:
            for user in _users_of(entry):
                seen[user] = seen.get(user, 0) + 1
    return {user for user, count in seen.items() if count > 1}


def _as_wanted(operation: str, user: str, statuses: Dict[str, str]) -> bool:
    if operation == "retire":
        return statuses.get(user) == "Retired"
    return statuses.get(user) in ("Registered", "Associated")


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_vpp_user_under_fault(case: Case, ansible) -> None:
    sim = ansible.sim
    sim.settings(**SETTINGS)
    if case.settings:
        sim.settings(**case.settings)
    own_args, write_path = OPERATIONS[case.operation]
    wanted = [user["client_user_id"] for user in own_args["users"]]
    args = dict(COMMON_ARGS, token=sim.tokens()["Main"], api_url=sim.vpp_url, **own_args)
    args.update(case.options)
    sim.add_faults(*case.rules_for())
    sim.clear_log()

    run = run_case(ansible, MODULE, args, rerun=case.outcome == "converges")

    first = run.first
    main_after = sim.location_state("Main")
    statuses = {user["clientUserId"]: user["status"] for user in main_after["users"]}
    context = "{0}\nfirst run: {1}\nlog: {2}".format(
        case.id, {key: first.get(key) for key in ("failed", "changed", "msg", "changes", "failures", "events")}, brief_log(run.first_log))
    writes = [entry for entry in run.first_log if entry["method"] == "POST" and entry["path"] == write_path]

    assert _applied_twice(writes) == set(), context
    assert longest_refused_streak(run.first_log) <= case.retries + 1, context
    assert run.first_seconds < case.max_seconds, context
    assert len([entry for entry in run.first_log if entry["fault"]]) >= len(case.rules), "{0}\nthe faults did not all fire".format(context)
    # nothing but the users named was touched
    assert _users_of_all(run.first_log) <= set(wanted), context

    if case.outcome == "converges":
        assert not first.get("failed"), context
        assert first.get("changed") is True, context
        assert all(_as_wanted(case.operation, user, statuses) for user in wanted), "{0}\nstatuses: {1}".format(context, statuses)
        assert sorted(change["client_user_id"] for change in first["changes"]) == sorted(wanted), context
        second = run.second or {}
        assert second.get("failed") is False and second.get("changed") is False, "{0}\nre-run: {1}".format(context, second)
        assert [entry for entry in run.second_log if entry["method"] == "POST"] == [], context
        return

    assert first.get("failed") is True, context
    message = first.get("msg")
    assert one_line(message), context
    assert matches_all(message, case.patterns) == [], context
    done = [change["client_user_id"] for change in first.get("changes") or []]
    count = re.search(r"(\d+) user\(s\) changed", message)
    assert count and int(count.group(1)) == len(done), context
    assert all(_as_wanted(case.operation, user, statuses) for user in done), context
    named = {user for failure in first.get("failures") or [] for user in failure["client_user_ids"]}
    pending = {user for event in main_after["events"] if event["eventId"] in
               {record["event_id"] for record in first.get("events") or [] if record["event_status"] == "PENDING"}
               for user in _users_of({"body": event["request"]})}
    unaccounted = [user for user in wanted if user not in done and user not in named and user not in pending]
    assert unaccounted == [], "{0}\nunaccounted users: {1}".format(context, unaccounted)


def _users_of_all(entries: Sequence[Dict[str, Any]]) -> Set[str]:
    return {user for entry in entries if entry["method"] == "POST" for user in _users_of(entry)}
