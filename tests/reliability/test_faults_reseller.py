"""Fault injection for reseller_asset: every case of CASES runs real ansible-playbook against the simulator's
reseller API, and docs/reliability.md shows the same table (REPORT).

Each case asserts one of two outcomes:

* converges: the task succeeds, the asset holds exactly the values asked for, no other asset changed, and the
  same task run again without the fault reports ``changed: false`` and sends no write;
* fails: the task fails with one line that names the error and which fields were changed and which were not,
  and the simulator holds exactly that.

Every case also asserts: the tags POST (the one write that is not idempotent) is applied at most once, a refused
token leads to exactly one new login, no request is sent more than retries + 1 times in a row, and the run stays
under its time bound. A PUT carries the whole object, so sending it again is harmless.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import pytest

from tests.reliability import report
from tests.reliability.faults_common import (
    RETRIES, TIMEOUT, Bounds, FaultCase, brief_log, longest_refused_streak, matches_all, one_line, retry_gaps, run_case,
)

pytestmark = pytest.mark.reliability

MODULE = "assetops.licensing.reseller_asset"
TOKEN_PATH = "/api/v1/connect/token"
COMMON_ARGS = {"retries": RETRIES, "timeout": TIMEOUT}
# What the server sets on every write: not part of "the values asked for".
WRITE_STAMPS = ("ModifiedDate", "ChangedBy")


@dataclass(frozen=True)
class Operation:
    asset_id: int
    args: Dict[str, Any]
    expected: Dict[str, Any]  # the asset's fields after the task (PascalCase, as /_sim/state shows them)
    description: str

    def path(self, suffix: str = "") -> str:
        return "/api/v1/assets/{0}{1}".format(self.asset_id, suffix)


OPERATIONS = {
    "update": Operation(
        100001, {"name": "Renamed under fault", "auto_renew_enabled": False, "tags": {"cost_center": "CC-7"}},
        {"Name": "Renamed under fault", "AutoRenewEnabled": False,
         "Tags": {"AssetId": 100001, "CostCenter": "CC-7", "Department": "IT", "Project": "Workplace", "Custom": "renew-q1",
                  "Owner": "alice@contoso.example"}},
        "asset 100001: name and auto_renew_enabled (one PUT of the asset), one tag (PUT of its tags)"),
    "first-tags": Operation(
        100004, {"name": "Visio, tagged", "tags": {"cost_center": "CC-8"}},
        {"Name": "Visio, tagged", "Tags": {"AssetId": 100004, "CostCenter": "CC-8", "Department": None, "Project": None, "Custom": None, "Owner": None}},
        "asset 100004: name (PUT) and its first tags (POST, not idempotent)"),
}


@dataclass(frozen=True)
class Case(FaultCase):
    """One row: a reseller_asset operation under a fault."""

    logins: Optional[int] = None  # token requests the first run must make
    changed_fields: Tuple[str, ...] = ()  # fails: the fields the simulator must show changed (the others must be unchanged)

    def rules_for(self) -> List[Dict[str, Any]]:
        operation = OPERATIONS[self.operation]
        return [dict(rule, path=rule["path"].replace("{asset}", operation.path()).replace("{tags}", operation.path("/tags")))
                for rule in self.rules]

    @property
    def bounds(self) -> Bounds:
        extra: Tuple[str, ...] = ()
        if self.logins is not None:
            extra += ("{0} token request(s)".format(self.logins),)
        if self.lasting:
            extra += ("retries {0}: the PUT sent exactly {1} times".format(self.retries, self.retries + 1),)
        return self.bounds_with(*extra)


UNAUTHORIZED = {"kind": "status", "status": 401, "errorNumber": "Unauthorized"}
CASES: List[Case] = [
    Case("update", "401 on the asset PUT once (token expired mid-run)", (dict(UNAUTHORIZED, method="PUT", path="{asset}"),),
         "converges", logins=2),
    Case("update", "401 on every asset request after the first read (token revoked)",
         (dict(UNAUTHORIZED, method="*", path="/api/v1/assets/*", after=1, count=None),), "fails",
         (r"HTTP 401", r"logging in again did not help", r"changed: nothing; not changed: auto_renew_enabled, name, tags"), logins=2),
    Case("update", "401 on the tags PUT, and again after the new login", (dict(UNAUTHORIZED, method="PUT", path="{tags}", count=2),),
         "fails", (r"HTTP 401", r"changed: auto_renew_enabled, name", r"not changed: tags"), logins=2,
         changed_fields=("Name", "AutoRenewEnabled")),
    Case("update", "503 on every PUT of the asset, no Retry-After (an outage that lasts)",
         ({"method": "PUT", "path": "{asset}", "kind": "status", "status": 503, "count": None},), "fails",
         (r"HTTP 503", r"gave up after 2 retries", r"changed: nothing; not changed: auto_renew_enabled, name, tags"),
         logins=1, options={"retries": 2}, lasting=True),
    Case("update", "429 storm: every third request refused (TooManyRequests), token and asset endpoints",
         ({"path": "/api/v1/*", "every": 3, "count": None, "kind": "status", "status": 429, "errorNumber": "TooManyRequests"},),
         "converges", logins=1, max_seconds=30),
    Case("update", "503 on the PUT with Retry-After: 1 (seconds), then with an HTTP-date 2 s ahead",
         ({"method": "PUT", "path": "{asset}", "kind": "status", "status": 503, "retryAfter": "1"},
          {"method": "PUT", "path": "{asset}", "kind": "status", "status": 503, "retryAfter": "date+2"}),
         "converges", logins=1, min_retry_wait=(503, 0.9)),
    Case("update", "500 on the asset PUT and on the tags PUT",
         ({"method": "PUT", "path": "{asset}", "kind": "status", "status": 500, "errorNumber": "InternalServerError"},
          {"method": "PUT", "path": "{tags}", "kind": "status", "status": 500}), "converges", logins=1),
    Case("update", "HTML 502 from a proxy on the asset read and on the PUT",
         ({"method": "GET", "path": "{asset}", "kind": "status", "status": 502, "html": True},
          {"method": "PUT", "path": "{asset}", "kind": "status", "status": 502, "html": True}), "converges", logins=1),
    Case("update", "the PUT answered after 3 s, beyond timeout {0:g} s (applied)".format(TIMEOUT),
         ({"method": "PUT", "path": "{asset}", "kind": "delay", "seconds": 3},), "converges", logins=1),
    Case("update", "connection dropped before the server applied the PUT", ({"method": "PUT", "path": "{asset}", "kind": "drop_before"},),
         "converges", logins=1),
    Case("update", "connection dropped after the server applied the PUT", ({"method": "PUT", "path": "{asset}", "kind": "drop_after"},),
         "converges", logins=1),
    Case("first-tags", "connection dropped after the server applied the tags POST", ({"method": "POST", "path": "{tags}", "kind": "drop_after"},),
         "converges", logins=1),
    Case("first-tags", "500 on the tags POST (not applied)", ({"method": "POST", "path": "{tags}", "kind": "status", "status": 500},),
         "converges", logins=1),
    Case("first-tags", "the tags POST answered after 3 s, beyond timeout {0:g} s (applied)".format(TIMEOUT),
         ({"method": "POST", "path": "{tags}", "kind": "delay", "seconds": 3},), "converges", logins=1),
]


CONVERGES = "converges: asset exactly as asked, others untouched; re-run changed false, 0 writes"


REPORT = report.Section(
    order=20,
    title="Faults: reseller_asset",
    intro=(__doc__ or "").split("\n\n", 1)[1] + "\nSettings in every case: retries {0}, timeout {1:g} s, the password grant. Operations: {2}.".format(
        RETRIES, TIMEOUT, "; ".join("{0}: {1}".format(name, operation.description) for name, operation in OPERATIONS.items())),
    columns=["operation", "fault injected", "outcome asserted", "bounds asserted"],
    rows=[[case.operation, case.fault, case.outcome_text(CONVERGES), case.bounds.describe()] for case in CASES],
)


def _comparable(asset: Dict[str, Any]) -> Dict[str, Any]:
    return {key: value for key, value in asset.items() if key not in WRITE_STAMPS}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_reseller_asset_under_fault(case: Case, ansible) -> None:
    sim = ansible.sim
    operation = OPERATIONS[case.operation]
    before = {asset["Id"]: asset for asset in sim.reseller_state()["assets"]}
    credentials = sim.reseller_credentials()
    args = dict(COMMON_ARGS, api_url=sim.reseller_url, id=operation.asset_id, **credentials)
    args.update(operation.args)
    args.update(case.options)
    sim.add_faults(*case.rules_for())
    sim.clear_log()

    run = run_case(ansible, MODULE, args, rerun=case.outcome == "converges")

    first = run.first
    after = {asset["Id"]: asset for asset in sim.reseller_state()["assets"]}
    context = "{0}\nfirst run: {1}\nlog: {2}".format(
        case.id, {key: first.get(key) for key in ("failed", "changed", "msg", "warnings")}, brief_log(run.first_log))
    target = operation.asset_id
    # no other asset changed, whatever happened
    assert {key: value for key, value in after.items() if key != target} == {key: value for key, value in before.items() if key != target}, context
    tag_posts_applied = [entry for entry in run.first_log if entry["method"] == "POST" and entry["path"].endswith("/tags") and entry["status"] == 200]
    assert len(tag_posts_applied) <= 1, context
    assert longest_refused_streak(run.first_log) <= case.retries + 1, context
    assert run.first_seconds < case.max_seconds, context
    assert len([entry for entry in run.first_log if entry["fault"]]) >= len(case.rules), "{0}\nthe faults did not all fire".format(context)
    if case.logins is not None:
        assert len([entry for entry in run.first_log if entry["path"] == TOKEN_PATH]) == case.logins, context
    if case.lasting:
        puts = [entry for entry in run.first_log if entry["method"] == "PUT"]
        assert len(puts) == case.retries + 1 and {entry["status"] for entry in puts} == {503}, context
    if case.min_retry_wait:
        gaps = retry_gaps(run.first_log, case.min_retry_wait[0])
        assert gaps and min(gaps) >= case.min_retry_wait[1], "{0}\nretry gaps {1}".format(context, gaps)

    if case.outcome == "converges":
        assert not first.get("failed") and first.get("changed") is True, context
        assert _comparable(after[target]) == dict(_comparable(before[target]), **operation.expected), context
        assert first["asset"]["name"] == operation.expected["Name"], context
        second = run.second or {}
        assert second.get("failed") is False and second.get("changed") is False, "{0}\nre-run: {1}".format(context, second)
        assert [entry for entry in run.second_log if entry["method"] in ("PUT", "DELETE") or
                (entry["method"] == "POST" and entry["path"] != TOKEN_PATH)] == [], context
        return

    assert first.get("failed") is True, context
    assert one_line(first.get("msg")), context
    assert matches_all(first["msg"], case.patterns) == [], context
    changed = {key for key, value in _comparable(after[target]).items() if value != _comparable(before[target]).get(key)}
    assert changed == set(case.changed_fields), "{0}\nchanged on the server: {1}".format(context, changed)
