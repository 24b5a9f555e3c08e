"""The bad-input catalogue: every kind of bad input a user can give each module and the role.

Generated playbooks run every case once (modules with ``ignore_errors``, the role in a block with
a rescue), reading the simulator's request summary after each case. Each case then asserts:
it failed, ``msg`` is one line without a traceback and contains the hint of what to fix, and
- BEFORE: no request at all reached the simulator's API routes;
- READ: the mistake needs a read to be seen (unknown asset, a Book to devices, an ambiguous
  lookup...): requests were made, but no write;
- ACCEPTED: not an error by design (repeats are de-duplicated, an empty list means nothing to do);
  the case says what it checks instead.
docs/reliability.md shows this table (section "Bad input").
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

from tests.integration.conftest import AnsibleRunner
from tests.reliability import report
from tests.reliability.inputs_playbook import (
    case_plays,
    inner_token,
    request_counts,
    run_playbook,
    run_side_by_side,
    write_count,
)

pytestmark = pytest.mark.reliability

BEFORE, READ, ACCEPTED = "before any request", "by a read, no write", "accepted"
ROLE = "device_onboarding (role)"
REPORT_ROLE = "license_report (role)"

VPP = {"token": "{{ tokens.Main }}", "api_url": "{{ vpp_url }}"}
RESELLER = {"api_url": "{{ reseller_url }}", "client_id": "{{ reseller.client_id }}", "client_secret": "{{ reseller.client_secret }}",
            "username": "{{ reseller.username }}", "password": "{{ reseller.password }}"}
ROLE_BASE = {"device_onboarding_token": "{{ tokens.Main }}", "device_onboarding_api_url": "{{ vpp_url }}",
             "device_onboarding_serial_number": "SN-BAD-{{ inventory_hostname }}", "device_onboarding_apps": [{"adam_id": "361304891"}]}
REPORT_BASE = {"license_report_token": "{{ tokens.Main }}", "license_report_api_url": "{{ vpp_url }}", "license_report_path": "{{ workdir }}",
               "license_report_formats": ["json"]}
# The least each module needs besides the connection, for cases that break only the connection.
MINIMAL = {
    "vpp_asset_info": {},
    "vpp_assignment_info": {"serial_numbers": ["C02MAIN0001"]},
    "vpp_assignment": {"adam_ids": ["361309726"], "serial_numbers": ["C02BAD00001"]},
    "vpp_revoke": {"serial_numbers": ["C02BAD00001"]},
    "vpp_reclaim": {"keep_serial_numbers": [], "adam_ids": ["999999999"]},  # nothing to take back, should a case get through
    "vpp_event_info": {"event_ids": ["5d1a63c4-2b1e-4d43-9d7f-000000000000"]},
    "vpp_client_config": {"notification_types": ["ASSET_MANAGEMENT"]},
    "vpp_user": {"users": [{"client_user_id": "bad-input-user"}]},
    "vpp_user_info": {"client_user_ids": ["user-1"]},
    "vpp_app_info": {"adam_ids": ["361309726"]},
    "reseller_asset_info": {"id": 100001},
    "reseller_asset": {"id": 100001, "name": "Bad input must not rename me"},
}
VPP_MODULES = ("vpp_asset_info", "vpp_assignment_info", "vpp_assignment", "vpp_revoke", "vpp_reclaim", "vpp_event_info", "vpp_client_config",
               "vpp_user", "vpp_user_info", "vpp_app_info")
OURS = {"id": "assetops-licensing", "name": "Ansible license automation", "metadata": "bad input"}
HOOK = {"notification_url": "https://eda.example.org/vpp", "notification_auth_token": "bad-input-hook-token"}
OWNED = {"token": "{{ tokens.Owned }}", "api_url": "{{ vpp_url }}"}


@dataclass(frozen=True)
class Case:
    """One bad input. ``args`` are the module options (or the role variables) besides the connection."""

    module: str
    what: str
    args: Dict[str, Any]
    expect: str  # the hint the message must contain (ACCEPTED: what is checked instead)
    detected: str = BEFORE
    connection: Optional[Dict[str, Any]] = None  # replaces the default connection options
    check: Optional[Callable[[Dict[str, Any]], bool]] = None  # ACCEPTED: a test of the result
    writes: int = 0  # ACCEPTED: how many writes the case may send
    shown_as: str = ""  # the Given column, when the options themselves say it badly

    @property
    def role(self) -> bool:
        return self.module in (ROLE, REPORT_ROLE)

    def module_args(self) -> Dict[str, Any]:
        if self.role:
            return dict(REPORT_BASE if self.module == REPORT_ROLE else ROLE_BASE, **self.args)
        base = VPP if self.module.startswith("vpp_") else RESELLER
        return dict(self.connection if self.connection is not None else base, **self.args)


def connection_cases() -> List[Case]:
    """Broken connections: every one on vpp_asset_info, the common ones on every other module too."""
    vpp = [
        ("token and token_path both", dict(VPP, token_path="{{ token_file }}"), "token and token_path are mutually exclusive: give only one"),
        ("api_url that is not a URL", dict(VPP, api_url="vpp.itunes.apple.com/mdm/v2"), "api_url must be an http(s) URL such as https://"),
    ]
    only_asset_info = [
        ("token that is not an sToken", dict(VPP, token="not-a-token"), "token is not an sToken"),
        ("the inner token instead of the sToken", dict(VPP, token="{{ inner_main }}"), "the inner token alone does not work"),
        ("empty token", dict(VPP, token=""), "token is empty"),
        ("token_path that does not exist", {"token_path": "{{ workdir }}/missing.vpptoken", "api_url": "{{ vpp_url }}"},
         "cannot read token_path"),
        ("token_path that is a folder", {"token_path": "{{ workdir }}", "api_url": "{{ vpp_url }}"}, "cannot read token_path"),
        ("token_path to an empty file", {"token_path": "{{ empty_file }}", "api_url": "{{ vpp_url }}"}, "token is empty"),
        ("expired token", dict(VPP, token="{{ tokens.Expired }}"), "token expired on"),
        ("no token at all", {"api_url": "{{ vpp_url }}"}, "no token: set token or token_path"),
        ("timeout 0", dict(VPP, timeout=0), "timeout must be a positive number of seconds"),
        ("timeout that is not a number", dict(VPP, timeout="soon"), "argument 'timeout' is of type str and we were unable to convert to float"),
        ("retries below zero", dict(VPP, retries=-1), "retries must be zero or more"),
    ]
    cases = [Case(module, what, MINIMAL[module], expect, connection=conn) for module in VPP_MODULES for what, conn, expect in vpp
             if module in ("vpp_asset_info", "vpp_assignment") or what == "token and token_path both"]
    cases += [Case("vpp_asset_info", what, {}, expect, connection=conn) for what, conn, expect in only_asset_info]
    reseller = [
        ("access_token and the password grant both", dict(RESELLER, access_token="{{ reseller_static }}"),
         "give either access_token or client_id, client_secret, username, password, not both"),
        ("api_url that is not a URL", dict(RESELLER, api_url="api.crayon.com"), "api_url must be an http(s) URL such as https://api.crayon.com"),
    ]
    for module in ("reseller_asset_info", "reseller_asset"):
        cases += [Case(module, what, MINIMAL[module], expect, connection=conn) for what, conn, expect in reseller]
    cases += [
        Case("reseller_asset_info", "only part of the password grant", {"id": 100001}, "missing client_secret, password",
             connection={"api_url": "{{ reseller_url }}", "client_id": "{{ reseller.client_id }}", "username": "{{ reseller.username }}"}),
        Case("reseller_asset_info", "no credentials at all", {"id": 100001}, "no reseller credentials", connection={"api_url": "{{ reseller_url }}"}),
        Case("reseller_asset_info", "timeout below zero", {"id": 100001}, "timeout must be a positive", connection=dict(RESELLER, timeout=-1)),
        Case("reseller_asset_info", "wrong password", {"id": 100001}, "reseller login failed", READ,
             connection=dict(RESELLER, password="not-the-password")),
        Case("reseller_asset_info", "api_url with /api/v1", {"id": 100001},
             "the reseller API answered HTTP 404 (no such endpoint) for POST ... /api/v1/api/v1/connect/token: check api_url, the modules add "
             "/api/v1 to it", READ, connection=dict(RESELLER, api_url="{{ reseller_url }}/api/v1")),
        Case("vpp_asset_info", "api_url without /mdm/v2", {}, "Apple's API answered HTTP 404 (no such endpoint) for GET ... /service/config: "
             "check api_url, it usually ends in /mdm/v2", READ, connection=dict(VPP, api_url="{{ sim_url }}")),
    ]
    return cases


def one_asset(result: Dict[str, Any]) -> bool:
    return [asset["adam_id"] for asset in result.get("assets", [])] == ["361309726"]


VPP_CASES = [
    # vpp_asset_info
    Case("vpp_asset_info", "an empty adam id", {"adam_ids": ["361309726", ""]}, "adam_ids has an empty value at position 2"),
    Case("vpp_asset_info", "an app name instead of an adam id", {"adam_ids": ["Pages"]}, "adam_ids: 'Pages' is not an adam id"),
    Case("vpp_asset_info", "adam_ids as a mapping", {"adam_ids": {"Pages": "361309726"}},
         "argument 'adam_ids' is of type dict and we were unable to convert to list"),
    Case("vpp_asset_info", "an unknown pricing param", {"pricing_param": "GOLD"}, "pricing_param must be one of: STDQ, PLUS, got: GOLD"),
    Case("vpp_asset_info", "an unknown product type", {"product_type": "Movie"}, "product_type must be one of: App, Book, got: Movie"),
    Case("vpp_asset_info", "a misspelt option", {"adam_id": "361309726"}, "Unsupported parameters for (assetops.licensing.vpp_asset_info) module: adam_id"),
    Case("vpp_asset_info", "the same adam id three times (with spaces)", {"adam_ids": ["361309726", "361309726", " 361309726 "]},
         "de-duplicated: one record", ACCEPTED, check=one_asset),
    Case("vpp_asset_info", "an unknown asset", {"adam_ids": ["999999999"]}, "not an error: assets is []", ACCEPTED,
         check=lambda result: result.get("assets") == []),
    # vpp_assignment_info
    Case("vpp_assignment_info", "a blank serial number", {"serial_numbers": ["  "]}, "serial_numbers has an empty value at position 1"),
    Case("vpp_assignment_info", "a serial number with a space inside", {"serial_numbers": ["DMPQ 0001XYZ"]},
         'serial_numbers: "DMPQ 0001XYZ" has a space inside; a serial number has no whitespace'),
    Case("vpp_assignment_info", "an empty client user id", {"client_user_ids": ["user-1", ""]}, "client_user_ids has an empty value at position 2"),
    Case("vpp_assignment_info", "the same serial number twice", {"serial_numbers": ["C02MAIN0001", "C02MAIN0001"]},
         "de-duplicated: each assignment once", ACCEPTED,
         check=lambda result: len(result["assignments"]) == len({json.dumps(a, sort_keys=True) for a in result["assignments"]}) > 0),
    # vpp_assignment
    Case("vpp_assignment", "no adam_ids", {"serial_numbers": ["C02BAD00001"]}, "one of the following is required: adam_ids, assignments"),
    Case("vpp_assignment", "assignments beside adam_ids",
         {"adam_ids": ["361309726"], "assignments": [{"adam_ids": ["361309726"], "serial_numbers": ["C02BAD00001"]}]},
         "parameters are mutually exclusive: assignments|adam_ids"),
    Case("vpp_assignment", "a group without targets", {"assignments": [{"adam_ids": ["361309726"]}]},
         "one of the following is required: serial_numbers, client_user_ids found in assignments"),
    Case("vpp_assignment", "an app name in a group", {"assignments": [{"adam_ids": ["361309726"], "serial_numbers": ["C02BAD00001"]},
                                                                      {"adam_ids": ["Pages"], "serial_numbers": ["C02BAD00001"]}]},
         "assignments[2].adam_ids: 'Pages' is not an adam id"),
    Case("vpp_assignment", "no targets", {"adam_ids": ["361309726"]}, "one of the following is required: serial_numbers, client_user_ids"),
    Case("vpp_assignment", "an empty adam id", {"adam_ids": [""], "serial_numbers": ["C02BAD00001"]}, "adam_ids has an empty value at position 1"),
    Case("vpp_assignment", "an app name instead of an adam id", {"adam_ids": ["Pages"], "serial_numbers": ["C02BAD00001"]},
         "adam_ids: 'Pages' is not an adam id"),
    Case("vpp_assignment", "an adam id given as a number", {"adam_ids": [361304891], "serial_numbers": []},
         "accepted as the string; an empty target list means nothing to do", ACCEPTED,
         check=lambda result: result["changed"] is False and result["changes"] == []),
    Case("vpp_assignment", "an empty serial number", {"adam_ids": ["361309726"], "serial_numbers": ["C02BAD00001", ""]},
         "serial_numbers has an empty value at position 2"),
    Case("vpp_assignment", "a serial number with a space inside", {"adam_ids": ["361309726"], "serial_numbers": ["C02BAD00001", "DMPQ 0001XYZ"]},
         'serial_numbers: "DMPQ 0001XYZ" has a space inside; a serial number has no whitespace'),
    Case("vpp_assignment", "a space inside a serial number of a group",
         {"assignments": [{"adam_ids": ["361309726"], "serial_numbers": ["C02BAD00001"]}, {"adam_ids": ["361285480"], "serial_numbers": ["DMPQ 0001XYZ"]}]},
         'assignments[2].serial_numbers: "DMPQ 0001XYZ" has a space inside; a serial number has no whitespace'),
    Case("vpp_assignment", "a serial number in lower case", {"adam_ids": ["361304891"], "serial_numbers": ["dmpq0001xyz"], "wait": False},
         "assigned as given (Apple's examples use lower-case UUIDs), with one warning: \"... did you mean DMPQ0001XYZ?\"", ACCEPTED, writes=1,
         check=lambda result: [change["serial_number"] for change in result["changes"]] == ["dmpq0001xyz"] and result.get("warnings") == [
             "serial_numbers: dmpq0001xyz has lower-case letters; Apple matches serial numbers exactly and devices report them in upper case: "
             "did you mean DMPQ0001XYZ?"]),
    Case("vpp_assignment", "a blank client user id", {"adam_ids": ["361309726"], "client_user_ids": [" "]},
         "client_user_ids has an empty value at position 1"),
    Case("vpp_assignment", "serial_numbers as a mapping", {"adam_ids": ["361309726"], "serial_numbers": {"ipad": "C02BAD00001"}},
         "argument 'serial_numbers' is of type dict and we were unable to convert to list"),
    Case("vpp_assignment", "an unknown pricing param", {"adam_ids": ["361309726"], "serial_numbers": ["C02BAD00001"], "pricing_param": "GOLD"},
         "pricing_param must be one of: STDQ, PLUS, got: GOLD"),
    Case("vpp_assignment", "an unknown state", {"adam_ids": ["361309726"], "serial_numbers": ["C02BAD00001"], "state": "removed"},
         "state must be one of: present, absent, got: removed"),
    Case("vpp_assignment", "wait_timeout 0", {"adam_ids": ["361309726"], "serial_numbers": ["C02BAD00001"], "wait_timeout": 0},
         "wait_timeout must be a positive number of seconds"),
    Case("vpp_assignment", "poll_interval below zero", {"adam_ids": ["361309726"], "serial_numbers": ["C02BAD00001"], "poll_interval": -5},
         "poll_interval must be a positive number of seconds"),
    Case("vpp_assignment", "a blank mdm_id", {"adam_ids": ["361309726"], "serial_numbers": ["C02BAD00001"], "mdm_id": "  "},
         "mdm_id must not be blank: give a value or leave mdm_id out"),
    Case("vpp_assignment", "resend_after 0", {"adam_ids": ["361309726"], "serial_numbers": ["C02BAD00001"], "resend_after": 0},
         "resend_after must be a positive number of seconds"),
    Case("vpp_revoke", "resend_after below zero", {"serial_numbers": ["C02BAD00001"], "resend_after": -600},
         "resend_after must be a positive number of seconds"),
    Case("vpp_event_info", "poll_interval 0", {"event_ids": ["00000000-0000-0000-0000-000000000001"], "wait": True, "poll_interval": 0},
         "poll_interval must be a positive number of seconds"),
    Case("vpp_assignment", "wait that is not a boolean", {"adam_ids": ["361309726"], "serial_numbers": ["C02BAD00001"], "wait": "later"},
         "argument 'wait' is of type str and we were unable to convert to bool"),
    Case("vpp_assignment", "an unknown asset", {"adam_ids": ["999999999"], "serial_numbers": ["C02BAD00001"]},
         "not in this location with pricing_param STDQ: 999999999", READ),
    Case("vpp_assignment", "an asset with the wrong pricing param",
         {"adam_ids": ["361309726"], "serial_numbers": ["C02BAD00001"], "pricing_param": "PLUS"},
         "not in this location with pricing_param PLUS: 361309726", READ),
    Case("vpp_assignment", "a Book to devices", {"adam_ids": ["1485035550"], "serial_numbers": ["C02BAD00001"]},
         "cannot be assigned to devices: 1485035550 (Book); assign to users with client_user_ids", READ),
    Case("vpp_assignment", "taking a Book back", {"adam_ids": ["1485035550"], "client_user_ids": ["user-2"], "state": "absent"},
         "cannot be taken back, Apple does not revoke them: 1485035550 (Book)", READ),
    Case("vpp_assignment", "more devices than licenses", {"adam_ids": ["1000000002"], "serial_numbers": ["C02SHORT01", "C02SHORT02", "C02SHORT03"]},
         "not enough licenses: 1000000002 (STDQ) needs 3", READ),
    Case("vpp_assignment", "repeated adam ids and serial numbers",
         {"adam_ids": ["361304891", "361304891"], "serial_numbers": ["C02DUP00001", "C02DUP00001", " C02DUP00001"], "wait": False},
         "de-duplicated: one pair in one write (Apple would refuse repeats with 9703/9705)", ACCEPTED, writes=1,
         check=lambda result: result["changes"] == [{"adam_id": "361304891", "pricing_param": "STDQ", "serial_number": "C02DUP00001"}]),
    Case("vpp_assignment", "a user Apple does not know", {"adam_ids": ["361309726"], "client_user_ids": ["user-2", "ghost-9"]},
         "not registered with Apple: ghost-9 (create them with vpp_user); nothing was sent", READ),
    # vpp_user
    Case("vpp_user", "a user without client_user_id", {"users": [{"email": "ana@example.org"}]},
         "missing required arguments: client_user_id found in users"),
    Case("vpp_user", "a blank client_user_id", {"users": [{"client_user_id": "  "}]},
         "users[1].client_user_id is blank: every user needs the id your system knows them by"),
    Case("vpp_user", "the same client_user_id twice", {"users": [{"client_user_id": "u-1"}, {"client_user_id": "u-2"}, {"client_user_id": " u-1"}]},
         "users[3].client_user_id 'u-1' repeats users[1]: give each user once"),
    Case("vpp_user", "an email without @", {"users": [{"client_user_id": "u-1", "email": "ana.example.org"}]},
         "users[1].email is not an email address (no @ between a name and a domain)"),
    Case("vpp_user", "state absent with an email", {"users": [{"client_user_id": "user-2", "email": "user-2@example.org"}], "state": "absent"},
         "users[1] (user-2) has email with state absent: retiring takes client_user_id only"),
    Case("vpp_user", "no users option", {}, "missing required arguments: users"),
    # vpp_user_info
    Case("vpp_user_info", "an unknown status", {"status": ["Deleted"]}, "value of status must be one or more of: Registered, Associated, Retired"),
    Case("vpp_user_info", "an empty client user id", {"client_user_ids": ["user-1", ""]}, "client_user_ids has an empty value at position 2"),
    # vpp_revoke
    Case("vpp_revoke", "no targets", {}, "one of the following is required: serial_numbers, client_user_ids"),
    Case("vpp_revoke", "an empty serial number", {"serial_numbers": [""]}, "serial_numbers has an empty value at position 1"),
    Case("vpp_revoke", "a serial number with a space inside", {"serial_numbers": ["DMPQ 0001XYZ"]},
         'serial_numbers: "DMPQ 0001XYZ" has a space inside; a serial number has no whitespace'),
    Case("vpp_revoke", "the same device twice", {"serial_numbers": ["C02NONE0001", "C02NONE0001"]},
         "de-duplicated; nothing held, so no write", ACCEPTED, check=lambda result: result["changed"] is False),
    # vpp_reclaim
    Case("vpp_reclaim", "neither keep list", {}, "give keep_serial_numbers, keep_client_user_ids or both: the devices and users to keep"),
    Case("vpp_reclaim", "max_reclaims below zero", {"keep_serial_numbers": [], "max_reclaims": -1},
         "max_reclaims must be 0 (no cap) or a positive number of licenses, not -1"),
    Case("vpp_reclaim", "a blank serial number in the inventory", {"keep_serial_numbers": ["C02MAIN0001", " "]},
         "keep_serial_numbers has an empty value at position 2"),
    Case("vpp_reclaim", "an app name instead of an adam id", {"keep_serial_numbers": [], "adam_ids": ["Pages"]},
         "adam_ids: 'Pages' is not an adam id"),
    Case("vpp_reclaim", "an empty inventory that would take back more than max_reclaims", {"keep_serial_numbers": [], "max_reclaims": 2},
         "more than max_reclaims 2: run with --check to see them", READ),
    # report and assignment_cache (issue 18)
    Case("vpp_assignment", "an unknown report value", {"adam_ids": ["361309726"], "serial_numbers": ["C02BAD00001"], "report": "counts"},
         "value of report must be one of: pairs, summary, got: counts"),
    Case("vpp_revoke", "assignment_cache in a folder that does not exist",
         {"serial_numbers": ["C02BAD00001"], "assignment_cache": "{{ workdir }}/missing/snapshot.json.gz"},
         "does not exist; create it or leave assignment_cache out"),
    Case("vpp_assignment_info", "assignment_cache that is a folder", {"serial_numbers": ["C02MAIN0001"], "assignment_cache": "{{ workdir }}"},
         "is a folder; give the path of a file in it"),
    # vpp_event_info
    Case("vpp_event_info", "no event_ids", {}, "missing required arguments: event_ids"),
    Case("vpp_event_info", "an empty event id", {"event_ids": [""]}, "event_ids has an empty value at position 1"),
    Case("vpp_event_info", "an unknown event id", {"event_ids": ["5d1a63c4-2b1e-4d43-9d7f-000000000000"]},
         "Apple does not know event id 5d1a63c4-2b1e-4d43-9d7f-000000000000 (Apple error 9708): check event_ids", READ),
    # vpp_client_config
    Case("vpp_client_config", "nothing to configure", {}, "one of the following is required: mdm_info, notification_url, notification_types"),
    Case("vpp_client_config", "mdm_info without metadata", {"mdm_info": {"id": "assetops-licensing", "name": "Ansible"}},
         "missing required arguments: metadata found in mdm_info"),
    Case("vpp_client_config", "a blank mdm_info id", {"mdm_info": dict(OURS, id="  ")},
         "mdm_info.id must not be blank: Apple needs an id, a name and metadata in mdm_info"),
    Case("vpp_client_config", "an mdm_info id over 100 characters", {"mdm_info": dict(OURS, id="x" * 101)},
         "mdm_info.id is 101 characters long: Apple allows at most 100 (maxMdmIdLength)", shown_as="mdm_info.id: 101 characters"),
    Case("vpp_client_config", "an mdm_info name over 100 characters", {"mdm_info": dict(OURS, name="n" * 101)},
         "mdm_info.name is 101 characters long: Apple allows at most 100 (maxMdmNameLength)", shown_as="mdm_info.name: 101 characters"),
    Case("vpp_client_config", "mdm_info metadata over 255 characters", {"mdm_info": dict(OURS, metadata="m" * 256)},
         "mdm_info.metadata is 256 characters long: Apple allows at most 255 (maxMdmMetadataLength)",
         shown_as="mdm_info.metadata: 256 characters"),
    Case("vpp_client_config", "a notification URL that is not https", dict(HOOK, notification_url="http://eda.example.org/vpp"),
         "notification_url must be an https:// URL with a host and a path only (no user name, query or fragment)"),
    Case("vpp_client_config", "a notification URL with a query", dict(HOOK, notification_url="https://eda.example.org/vpp?key=1"),
         "notification_url must be an https:// URL with a host and a path only"),
    Case("vpp_client_config", "a blank notification URL", dict(HOOK, notification_url=" "), "notification_url must not be blank"),
    Case("vpp_client_config", "a notification URL without its token", {"notification_url": "https://eda.example.org/vpp"},
         "parameters are required together: notification_url, notification_auth_token"),
    Case("vpp_client_config", "a notification token without its URL", {"notification_auth_token": "bad-input-hook-token"},
         "parameters are required together: notification_url, notification_auth_token"),
    Case("vpp_client_config", "a blank notification token", dict(HOOK, notification_auth_token=" "), "notification_auth_token must not be blank"),
    Case("vpp_client_config", "an unknown notification type", {"notification_types": ["ASSET_MANAGEMENT", "EVERYTHING"]},
         "notification_types must be one or more of: ASSET_MANAGEMENT, ASSET_COUNT, USER_MANAGEMENT"),
    Case("vpp_client_config", "takeover without mdm_info", {"notification_types": [], "takeover": True},
         "takeover needs mdm_info: the id, name and metadata to claim the location with"),
    Case("vpp_client_config", "claiming a location another MDM manages", {"mdm_info": OURS},
         "location is managed by 'Jamf Pro' (mdmInfo id jamf-7781): set takeover: true to claim it", READ, connection=OWNED,
         shown_as="mdm_info: {'id': 'assetops-licensing', ...} with the token of a location Jamf Pro manages"),
    Case("vpp_client_config", "a notification type twice", {"notification_types": ["ASSET_COUNT", "ASSET_COUNT"]},
         "de-duplicated: one type sent", ACCEPTED, writes=1, check=lambda result: result["client_config"]["notification_types"] == ["ASSET_COUNT"]),
    # vpp_app_info
    Case("vpp_app_info", "no adam_ids option", {}, "missing required arguments: adam_ids"),
    Case("vpp_app_info", "an app name instead of an adam id", {"adam_ids": ["361309726", "Pages"]}, "adam_ids: 'Pages' is not an adam id"),
    Case("vpp_app_info", "an App Store link instead of an adam id", {"adam_ids": ["https://apps.apple.com/app/id361309726"]},
         "is not an adam id: Apple's ids are digits"),
    Case("vpp_app_info", "a three-letter country", {"adam_ids": ["361309726"], "country": "USA"}, "country: 'USA' is not a country code: give two letters"),
    Case("vpp_app_info", "a country with a digit", {"adam_ids": ["361309726"], "country": "u1"}, "country: 'u1' is not a country code"),
    Case("vpp_app_info", "a language that is not a code", {"adam_ids": ["361309726"], "language": "English (UK)"},
         "language: 'English (UK)' is not a language: give a language code such as en, de or en-GB"),
    Case("vpp_asset_info", "include_metadata that is not a boolean", {"include_metadata": "names please"},
         "argument 'include_metadata' is of type str and we were unable to convert to bool"),
]

RESELLER_CASES = [
    # reseller_asset_info
    Case("reseller_asset_info", "a customer name as reseller_customer_id", {"reseller_customer_id": "Contoso"},
         "argument 'reseller_customer_id' is of type str and we were unable to convert to int"),
    Case("reseller_asset_info", "an unknown status", {"status": ["active"]}, "status must be one or more of: fulfilling, succeeded, cancelled, expired"),
    Case("reseller_asset_info", "an unknown asset type", {"asset_type": "hardware"}, "asset_type must be one of: reservation, software, subscription"),
    Case("reseller_asset_info", "an empty order id", {"external_order_ids": ["ORD-1001-A", ""]}, "external_order_ids has an empty value at position 2"),
    Case("reseller_asset_info", "id 0", {"id": 0}, "id must be a positive number"),
    Case("reseller_asset_info", "the same order twice", {"external_order_ids": ["ORD-1001-A", "ORD-1001-A"]}, "de-duplicated: the asset once",
         ACCEPTED, check=lambda result: [asset["id"] for asset in result["assets"]] == [100001]),
    Case("reseller_asset_info", "an unknown asset id", {"id": 999999}, "not an error: assets is []", ACCEPTED,
         check=lambda result: result.get("assets") == []),
    # reseller_asset
    Case("reseller_asset", "neither id nor order", {"name": "x"}, "one of the following is required: id, external_order_id"),
    Case("reseller_asset", "id and order both", {"id": 100001, "external_order_id": "ORD-1001-A", "reseller_customer_id": 1001},
         "parameters are mutually exclusive: id|external_order_id"),
    Case("reseller_asset", "an order without its customer", {"external_order_id": "ORD-1001-A"},
         "missing parameter(s) required by 'external_order_id': reseller_customer_id"),
    Case("reseller_asset", "an order id as id", {"id": "ORD-1001-A", "name": "x"}, "argument 'id' is of type str and we were unable to convert to int"),
    Case("reseller_asset", "id below zero", {"id": -100001, "name": "x"}, "id must be a positive number"),
    Case("reseller_asset", "an invoice profile name as invoice_profile_id", {"id": 100001, "invoice_profile_id": "Default invoice"},
         "argument 'invoice_profile_id' is of type str and we were unable to convert to int"),
    Case("reseller_asset", "an empty name", {"id": 100001, "name": " "}, "name must not be empty"),
    Case("reseller_asset", "an unknown tag", {"id": 100001, "tags": {"colour": "red"}},
         "Unsupported parameters for (assetops.licensing.reseller_asset) module: tags.colour"),
    Case("reseller_asset", "tags as a plain string", {"id": 100001, "tags": "CC-4410"}, "argument 'tags' is of type str and we were unable to convert to dict"),
    Case("reseller_asset", "purge_tags without tags", {"id": 100001, "purge_tags": True}, "purge_tags needs tags"),
    Case("reseller_asset", "state absent", {"id": 100001, "state": "absent"}, "state must be one of: present, got: absent"),
    Case("reseller_asset", "an unknown asset id", {"id": 999999, "name": "x"}, "asset 999999 not found: assets come from purchase orders", READ),
    Case("reseller_asset", "a customer id given as id", {"id": 1001, "name": "x"}, "asset 1001 not found", READ),
    Case("reseller_asset", "an unknown order", {"external_order_id": "ORD-NONE", "reseller_customer_id": 1001, "name": "x"},
         "no asset for order ORD-NONE of customer 1001: assets come from purchase orders", READ),
    Case("reseller_asset", "an order of another customer", {"external_order_id": "ORD-1001-A", "reseller_customer_id": 1002, "name": "x"},
         "no asset for order ORD-1001-A of customer 1002", READ),
    Case("reseller_asset", "an ambiguous order", {"external_order_id": "ORD-1001-MULTI", "reseller_customer_id": 1001, "name": "x"},
         "2 assets match order ORD-1001-MULTI of customer 1001: ids 100002, 100003; give id, or narrow with", READ),
    Case("reseller_asset", "an ambiguous order narrowed by a product both share",
         {"external_order_id": "ORD-1001-MULTI", "reseller_customer_id": 1001, "external_product_id": "PROD-M365-E5", "name": "x"},
         "2 assets match order ORD-1001-MULTI of customer 1001 with external_product_id PROD-M365-E5", READ),
]

ROLE_CASES = [
    Case(ROLE, "device_onboarding_apps as a plain adam id", {"device_onboarding_apps": "361304891"},
         "Elements value for option 'device_onboarding_apps' is of type str and we were unable to convert to dict"),
    Case(ROLE, "an app without adam_id", {"device_onboarding_apps": [{"pricing_param": "STDQ"}]},
         "missing required arguments: adam_id found in device_onboarding_apps"),
    Case(ROLE, "an app with an unknown pricing param", {"device_onboarding_apps": [{"adam_id": "361304891", "pricing_param": "GOLD"}]},
         "pricing_param must be one of: STDQ, PLUS, got: GOLD"),
    Case(ROLE, "an app with a misspelt key", {"device_onboarding_apps": [{"adam_id": "361304891", "pricing": "STDQ"}]},
         "device_onboarding_apps.pricing. Supported parameters include: adam_id, pricing_param"),
    Case(ROLE, "an unknown state", {"device_onboarding_state": "removed"}, "device_onboarding_state must be one of: present, absent"),
    Case(ROLE, "wait_timeout that is not a number", {"device_onboarding_wait_timeout": "soon"},
         "argument 'device_onboarding_wait_timeout' is of type str and we were unable to convert to float"),
    Case(ROLE, "a host without a serial number", {"device_onboarding_serial_number": "{{ 'SN-ONE' if inventory_hostname == 'ipad-1' else '' }}"},
         "have no device_onboarding_serial_number: ipad-2", shown_as="device_onboarding_serial_number: 'SN-ONE' on ipad-1, '' on ipad-2"),
    Case(ROLE, "two hosts with the same serial number", {"device_onboarding_serial_number": "SN-SAME"},
         "Serial numbers given to more than one host: SN-SAME (ipad-1, ipad-2)"),
    Case(ROLE, "an empty adam_id", {"device_onboarding_apps": [{"adam_id": ""}]}, "adam_ids has an empty value at position 1"),
    Case(ROLE, "token and token_path both", {"device_onboarding_token_path": "{{ token_file }}"},
         "token and token_path are mutually exclusive: give only one"),
    Case(ROLE, "the same app twice (once with a space)", {"device_onboarding_apps": [{"adam_id": "361304891"}, {"adam_id": " 361304891"}],
                                                          "device_onboarding_poll_interval": 0.5},
         "de-duplicated: one write for both devices", ACCEPTED, writes=1),
    Case(ROLE, "an unknown asset", {"device_onboarding_apps": [{"adam_id": "999999999"}]},
         "not in this location with pricing_param STDQ: 999999999; ... nothing was sent", READ),
    Case(ROLE, "a Book for devices", {"device_onboarding_apps": [{"adam_id": "1485035550"}]},
         "cannot be assigned to devices: 1485035550 (Book); assign to users with client_user_ids instead; nothing was sent", READ),
]

REPORT_CASES = [
    Case(REPORT_ROLE, "a folder that does not exist", {"license_report_path": "{{ workdir }}/no-such-folder"},
         "license_report_path ... /no-such-folder does not exist: create the folder first",
         shown_as="license_report_path: '<workdir>/no-such-folder'"),
    Case(REPORT_ROLE, "a file, not a folder", {"license_report_path": "{{ empty_file }}"}, "is not a folder"),
    Case(REPORT_ROLE, "an unknown format", {"license_report_formats": ["html", "pdf"]}, "unknown license_report_formats pdf: use html, csv or json"),
    Case(REPORT_ROLE, "no format", {"license_report_formats": []}, "license_report_formats is empty: give at least one of html, csv, json"),
    Case(REPORT_ROLE, "a negative threshold", {"license_report_low_threshold": -5}, "license_report_low_threshold -5 is negative: give 0 or more"),
    Case(REPORT_ROLE, "a threshold that is no number", {"license_report_low_threshold": "a few"},
         "license_report_low_threshold a few is not a count (5) or a percentage"),
    Case(REPORT_ROLE, "a threshold over 100%", {"license_report_low_threshold": "150%"}, "license_report_low_threshold 150% is over 100%"),
]

CASES: List[Case] = connection_cases() + VPP_CASES + RESELLER_CASES + ROLE_CASES + REPORT_CASES
MODULE_ORDER = list(VPP_MODULES) + ["reseller_asset_info", "reseller_asset", ROLE, REPORT_ROLE]


def case_id(case: Case) -> str:
    return "{0}: {1}".format(case.module.split(" ")[0], case.what)


def shown(args: Dict[str, Any]) -> str:
    """The options of a case for the report: what the user wrote, with secrets as placeholders."""
    text = ", ".join("{0}: {1}".format(key, json.dumps(value)) for key, value in args.items())
    return text.replace("{{ ", "<").replace(" }}", ">").replace("\"", "'") or "-"


def given(case: Case) -> str:
    if case.shown_as:
        return case.shown_as
    if case.connection is not None:
        base = VPP if case.module.startswith("vpp_") else RESELLER
        changed = {key: value for key, value in case.connection.items() if base.get(key) != value}
        dropped = sorted(set(base) - set(case.connection))
        return shown(changed) + ("; without " + ", ".join(dropped) if dropped else "")
    return shown(case.args)


def outcome(case: Case) -> str:
    if case.detected == ACCEPTED:
        return "succeeds: {0}".format(case.expect) + ("" if case.writes else "; no write")
    return "fails: \"...{0}...\"".format(case.expect)


REPORT = report.Section(
    order=30,
    title="Bad input",
    intro="""
Every kind of bad input a user can give each module and the roles, run in generated playbooks
(`tests/reliability/test_bad_input.py`). A failing case must fail with a one-line `msg`
(no traceback) containing the quoted hint. *Detected* says when: **before any request** (the
simulator's API routes saw no request at all), **by a read, no write** (the mistake needs a read to
be seen; no write was sent), or **accepted** (not an error by design). Repeated values are
de-duplicated silently in every list option (`adam_ids`, `serial_numbers`, `client_user_ids`,
`event_ids`, `external_order_ids`, `notification_types`) and in the role's app lists, keeping the first occurrence: Apple
refuses repeats (9703-9705), so none is ever sent. Apple checks no serial number, so a slip would take a
license as a new device: one with whitespace inside is refused, one with lower-case letters is sent as
given (Apple's own examples use lower-case UUIDs) with one warning per task. Two hosts with the same serial number are an
error for the role, since one device cannot be two hosts. Role variables are validated by
ansible-core from `meta/argument_specs.yml`; its `msg` starts with "Validation of arguments
failed:", and the assertion is on the line of `argument_errors` that names the variable. The
role's license check is `vpp_assignment`'s pre-flight, so it fails with the module's message. The
parts of a hint between "..." are asserted in that order.
""",
    columns=["Module", "Bad input", "Given", "Detected", "Outcome"],
    rows=[[case.module, case.what, given(case), case.detected, outcome(case)]
          for case in sorted(CASES, key=lambda case: MODULE_ORDER.index(case.module))],
)


def chunk_plays(indexes: List[int], results_file) -> List[Dict[str, Any]]:
    module_cases = [(index, CASES[index].module, CASES[index].module_args()) for index in indexes if not CASES[index].role]
    role_cases = [(index, CASES[index].module_args(), "license_report" if CASES[index].module == REPORT_ROLE else "device_onboarding")
                  for index in indexes if CASES[index].role]
    return case_plays(module_cases, role_cases, results_file)


def read_chunk(results_file, output: str) -> Dict[int, Tuple[Dict[str, Any], Dict[str, Any], Dict[str, Any]]]:
    """Per case index: (result, summary before, summary after); module cases ran first, then role cases."""
    assert results_file.exists(), "a catalogue playbook did not finish:\n" + output[-6000:]
    collected = json.loads(results_file.read_text())
    indexes = sorted(int(key) for key in collected["cases"])
    found, previous = {}, collected["start"]
    for index in [i for i in indexes if not CASES[i].role] + [i for i in indexes if CASES[i].role]:
        entry = collected["cases"][str(index)]
        found[index] = (entry["result"], previous, entry["seen"])
        previous = entry["seen"]
    return found


@pytest.fixture(scope="module")
def outcomes(simulator, tmp_path_factory) -> Dict[str, Tuple[Dict[str, Any], Dict[str, Any], Dict[str, Any]]]:
    """Runs the catalogue; per case id: (result, summary before the case, summary after it).

    Three steps, each in one or two playbooks side by side: the cases caught before any request
    (while only they run, the simulator must see no request at all, so each window of the log is
    clean), then the cases that read but must not write (no write anywhere in that step), then
    the two cases that write, alone.
    """
    workdir = tmp_path_factory.mktemp("bad_input")
    (workdir / "tmp").mkdir()
    runner = AnsibleRunner(workdir, simulator)
    simulator.reset()
    tokens = simulator.tokens()
    token_file = workdir / "main.vpptoken"
    token_file.write_text(tokens["Main"])
    empty_file = workdir / "empty.vpptoken"
    empty_file.write_text("\n")
    extra_vars = {
        "sim_url": simulator.url, "vpp_url": simulator.vpp_url, "reseller_url": simulator.reseller_url, "tokens": tokens,
        "inner_main": inner_token(tokens["Main"]), "token_file": str(token_file), "empty_file": str(empty_file), "workdir": str(workdir),
        "reseller": simulator.reseller_credentials(), "reseller_static": simulator.reseller_static_token(),
    }
    local = [index for index, case in enumerate(CASES) if case.detected == BEFORE]
    chunks = {"before-1": local[0::2], "before-2": local[1::2]}
    outputs = run_side_by_side(runner, [(name, chunk_plays(indexes, workdir / (name + ".json"))) for name, indexes in chunks.items()],
                               extra_vars)
    found = {}
    for name, output in zip(chunks, outputs):
        found.update(read_chunk(workdir / (name + ".json"), output))
    reading = [index for index, case in enumerate(CASES) if case.detected != BEFORE and not case.writes]
    chunks = {"reads-1": reading[0::2], "reads-2": reading[1::2]}
    outputs = run_side_by_side(runner, [(name, chunk_plays(indexes, workdir / (name + ".json"))) for name, indexes in chunks.items()],
                               extra_vars)
    for name, output in zip(chunks, outputs):
        found.update(read_chunk(workdir / (name + ".json"), output))
    writing = [index for index, case in enumerate(CASES) if case.writes]
    done = run_playbook(runner, chunk_plays(writing, workdir / "writes.json"), extra_vars, "writes")
    found.update(read_chunk(workdir / "writes.json", done.stdout + done.stderr))
    return {case_id(CASES[index]): outcome for index, outcome in found.items()}


def error_line(case: Case, result: Dict[str, Any]) -> str:
    """The line a person reads: the module's msg, or for the role's argument check the one argument error."""
    if case.role and result.get("argument_errors"):
        assert result["msg"].startswith("Validation of arguments failed:"), result["msg"]
        # ansible-core may add a bare conversion error before the one that names the variable
        return next((error for error in result["argument_errors"] if "device_onboarding_" in error), result["argument_errors"][0])
    return result.get("msg")


def test_case_ids_are_unique():
    ids = [case_id(case) for case in CASES]
    assert len(ids) == len(set(ids)), [name for name in ids if ids.count(name) > 1]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input(outcomes, case):
    result, before, after = outcomes[case_id(case)]
    requests = request_counts(before, after)
    writes = write_count(before, after)
    if case.detected == ACCEPTED:
        assert not result.get("failed"), result.get("msg")
        assert case.check is None or case.check(result), result
        assert writes == case.writes, requests
        return
    assert result.get("failed") is True, result
    line = error_line(case, result)
    assert isinstance(line, str), result
    assert "\n" not in line.strip(), line
    assert "Traceback" not in line and "Exception" not in line, line
    position = 0
    for part in case.expect.split(" ... "):  # the parts of a hint, in this order
        position = line.find(part, position)
        assert position >= 0, "{0!r} not in {1!r}".format(part, line)
        position += len(part)
    if case.detected == BEFORE:
        assert requests == {}, "bad input reached the simulator: {0}".format(requests)
    else:
        assert requests, "expected a read before the failure"
        assert writes == 0, requests
