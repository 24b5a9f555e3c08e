"""vpp_user, vpp_user_info and the user pre-flight of vpp_assignment, against the simulator (in-process).

Time is fake, as in test_vpp_writes: the run's waits advance one clock and nothing really sleeps.
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import httpx
import pytest

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import user_plan, writes
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.owner import OwnerError
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.user_writes import manage_users
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.users import (
    UnregisteredUsersError,
    check_user_input,
    clean_client_user_id,
    clean_email,
    clean_users,
    user_info,
)
from tests.utils.stokens import make_stoken
from tests.utils.vpp_seeds import LOCATION, asset, assignment, location_seed

TOKEN = make_stoken()
PREFIX = "/mdm/v2"
SEVEN = ["new-{0}".format(number) for number in range(1, 8)]


class FakeTime:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock():
    return FakeTime()


@pytest.fixture
def users_location(simulator_factory, tmp_path):
    """users_location(users=[{clientUserId, email, managedAppleId, status}], assignments=[...], mdm_info=None, **settings)."""
    def make(users=(), assignments=(), mdm_info=None, **settings):
        seed = location_seed([asset("100"), asset("300", product="Book")], assignments)
        spec = seed["vpp"]["locations"][0]
        spec["users"] = [dict(user) for user in users] + [user for user in spec["users"] if user["clientUserId"] not in {u["clientUserId"] for u in users}]
        if mdm_info:
            spec["mdmInfo"] = mdm_info
        path = tmp_path / "users-seed.json"
        path.write_text(json.dumps(seed), encoding="utf-8")
        return simulator_factory(path, **dict({"rateLimit": False, "eventSeconds": 0, "pageSize": 50}, **settings))
    return make


@pytest.fixture
def build(vpp_client, clock):
    return lambda sim, read_only=False, **options: vpp_client(sim, token=TOKEN, read_only=read_only, sleep=clock.sleep, clock=clock, **options)


def task(**options):
    return SimpleNamespace(**dict({"wait": True, "wait_timeout": 600, "poll_interval": 30, "mdm_id": None, "check_mode": False,
                                   "state": "present"}, **options))


def users_task(users, **options):
    full = [dict({"email": None, "managed_apple_id": None}, **user) for user in users]
    return task(users=full, **options)


def user_writes(sim):
    return [(entry["path"][len(PREFIX):], entry["body"]) for entry in sim.writes()]


def user_reads(sim):
    return sim.queries(PREFIX + "/users")


def statuses(sim):
    return {user["clientUserId"]: user for user in sim.location_state(LOCATION)["users"]}


KNOWN = [
    {"clientUserId": "reg-1", "email": "reg-1@example.org", "status": "Registered"},
    {"clientUserId": "assoc-1", "email": "assoc-1@example.org", "managedAppleId": "assoc-1@appleid.example.org", "status": "Associated"},
    {"clientUserId": "gone-1", "email": "gone-1@example.org", "status": "Retired"},
]


# -- Done when: 7 users with maxUsers 3 ----------------------------------------------------------

def test_seven_users_take_three_create_requests_and_the_rerun_sends_nothing(users_location, build, clock):
    sim = users_location(limits={"maxUsers": 3})
    wanted = [{"client_user_id": user, "email": user + "@example.org"} for user in SEVEN]
    first = manage_users(build(sim), users_task(wanted))
    creates = [body for path, body in user_writes(sim) if path == "/users/create"]
    assert len(user_writes(sim)) == len(creates) == 3
    assert sorted(len(body["users"]) for body in creates) == [2, 2, 3]
    assert sorted(item["clientUserId"] for body in creates for item in body["users"]) == sorted(SEVEN)
    assert first["error"] is None and first["changed"] is True
    assert first["changes"] == [{"client_user_id": user, "action": "create"} for user in SEVEN]
    assert [event["event_type"] for event in first["events"]] == ["CREATE"] * 3
    assert all(statuses(sim)[user]["status"] == "Registered" for user in SEVEN)

    again = manage_users(build(sim), users_task(wanted))
    assert len(user_writes(sim)) == 3
    assert (again["changed"], again["changes"], again["events"], again["failures"], again["error"]) == (False, [], [], [], None)
    assert again["diff"]["before"] == again["diff"]["after"]


def test_check_mode_predicts_exactly_and_sends_nothing(users_location, build, clock):
    sim = users_location(KNOWN)
    wanted = [{"client_user_id": "reg-1", "email": "moved@example.org"}, {"client_user_id": "assoc-1", "email": "assoc-1@example.org"},
              {"client_user_id": "gone-1"}, {"client_user_id": "fresh", "managed_apple_id": "fresh@appleid.example.org"},
              {"client_user_id": "plain"}]
    predicted = manage_users(build(sim, read_only=True), users_task(wanted, check_mode=True))
    assert user_writes(sim) == []
    assert predicted["events"] == [] and predicted["changed"] is True
    assert predicted["changes"] == [{"client_user_id": "reg-1", "action": "update"}, {"client_user_id": "gone-1", "action": "create"},
                                    {"client_user_id": "fresh", "action": "create"}, {"client_user_id": "plain", "action": "create"}]
    applied = manage_users(build(sim), users_task(wanted))
    assert applied["error"] is None
    assert applied["changes"] == predicted["changes"] and applied["diff"] == predicted["diff"]
    now = statuses(sim)
    assert {user: now[user]["status"] for user in ("reg-1", "assoc-1", "gone-1", "fresh", "plain")} == {
        "reg-1": "Registered", "assoc-1": "Associated", "gone-1": "Registered", "fresh": "Associated", "plain": "Registered"}
    assert predicted["diff"]["after"]["fresh"] == {"status": "Associated", "email": None, "managed_apple_id": "fresh@appleid.example.org"}
    assert predicted["diff"]["after"]["reg-1"]["email"] == "moved@example.org" and "gone-1" not in predicted["diff"]["before"]


def test_update_sends_only_the_changed_users_and_a_managed_apple_id_associates(users_location, build, clock):
    sim = users_location(KNOWN)
    result = manage_users(build(sim), users_task([
        {"client_user_id": "reg-1", "managed_apple_id": "reg-1@appleid.example.org"}, {"client_user_id": "assoc-1", "email": "assoc-1@example.org"}]))
    assert user_writes(sim) == [("/users/update", {"users": [{"clientUserId": "reg-1", "managedAppleId": "reg-1@appleid.example.org"}]})]
    assert result["changes"] == [{"client_user_id": "reg-1", "action": "update"}]
    assert statuses(sim)["reg-1"]["status"] == "Associated" and statuses(sim)["reg-1"]["email"] == "reg-1@example.org"


@pytest.mark.parametrize("frees", [True, False])
def test_retire_takes_ids_only_and_reports_what_apple_reports(users_location, build, clock, frees):
    sim = users_location(KNOWN, [assignment("100", user="reg-1"), assignment("300", user="reg-1")], retireFreesLicenses=frees)
    result = manage_users(build(sim), users_task([{"client_user_id": "reg-1"}, {"client_user_id": "gone-1"}, {"client_user_id": "nobody"}],
                                                 state="absent"))
    assert user_writes(sim) == [("/users/retire", {"users": [{"clientUserId": "reg-1"}]})]
    assert result["changes"] == [{"client_user_id": "reg-1", "action": "retire"}] and result["error"] is None
    assert result["events"][0]["event_type"] == "RETIRE" and result["events"][0]["event_status"] == "COMPLETE"
    assert result["diff"]["after"]["reg-1"]["status"] == "Retired"
    held = {key[0] for key in sim.assignments(LOCATION) if key[3] == "reg-1"}
    assert held == ({"300"} if frees else {"100", "300"})  # Books stay either way
    again = manage_users(build(sim), users_task([{"client_user_id": "reg-1"}], state="absent"))
    assert again["changed"] is False and len(user_writes(sim)) == 1


# -- failures, user by user ------------------------------------------------------------------------

@pytest.mark.parametrize("number", [9635, 9641])
def test_apple_account_failures_are_reported_user_by_user(users_location, build, clock, number):
    sim = users_location(appleAccountFailures={"taken@appleid.example.org": number})
    result = manage_users(build(sim), users_task([{"client_user_id": "ok-1"}, {"client_user_id": "bad-1", "managed_apple_id": "taken@appleid.example.org"}]))
    assert result["changes"] == [{"client_user_id": "ok-1", "action": "create"}]
    assert [(f["error_number"], f["client_user_ids"]) for f in result["failures"]] == [(number, ["bad-1"])]
    assert result["failures"][0]["event_id"] == result["events"][0]["event_id"]
    assert "Apple error {0}".format(number) in result["error"] and "bad-1" in result["error"] and "1 user(s) changed" in result["error"]


def test_a_user_registered_meanwhile_fails_with_9716(users_location, build, clock):
    sim = users_location()
    sim.add_faults({"method": "POST", "path": PREFIX + "/users/create", "kind": "mutate", "action": "create_user", "clientUserId": "race-1"})
    result = manage_users(build(sim), users_task([{"client_user_id": "race-1"}, {"client_user_id": "calm-1"}]))
    assert [(f["error_number"], f["client_user_ids"]) for f in result["failures"]] == [(9716, ["race-1"])]
    assert result["changes"] == [{"client_user_id": "calm-1", "action": "create"}]


def test_a_smaller_max_users_rechunks_once(users_location, build, clock):
    sim = users_location(limits={"maxUsers": 3})
    client = build(sim)
    client.limits()  # cached at 3; Apple lowers it to 2 before the writes
    sim.settings(limits={"maxUsers": 2})
    result = manage_users(client, users_task([{"client_user_id": user} for user in SEVEN[:3]]))
    refused = [entry for entry in sim.writes() if entry["status"] == 400]
    assert [entry["errorNumber"] for entry in refused] == [9714]
    assert sorted(len(entry["body"]["users"]) for entry in sim.writes() if entry["status"] == 200) == [1, 2]
    assert result["error"] is None and len(result["changes"]) == 3


def test_a_lost_answer_is_read_back_never_resent(users_location, build, clock):
    sim = users_location()
    sim.add_faults({"method": "POST", "path": PREFIX + "/users/create", "kind": "drop_after"})
    result = manage_users(build(sim, drop_error=httpx.RemoteProtocolError), users_task([{"client_user_id": "lost-1"}]))
    assert len(sim.writes()) == 1
    assert result["error"] is None and result["changes"] == [{"client_user_id": "lost-1", "action": "create"}]
    assert statuses(sim)["lost-1"]["status"] == "Registered"


def test_a_write_that_never_arrived_is_reported_not_resent(users_location, build, clock):
    sim = users_location()
    sim.add_faults({"method": "POST", "path": PREFIX + "/users/create", "kind": "drop_before"})
    result = manage_users(build(sim), users_task([{"client_user_id": "lost-1"}], wait_timeout=60, poll_interval=30))
    assert len(sim.writes()) == 1 and "lost-1" not in statuses(sim)
    assert result["changes"] == [] and "outcome unknown" in result["failures"][0]["error_message"]
    assert result["failures"][0]["client_user_ids"] == ["lost-1"]
    assert clock.sleeps[0] == pytest.approx(3.0) and sum(clock.sleeps) <= 60 + 1e-6


def test_events_are_waited_with_apples_polling_rules(users_location, build, clock):
    sim = users_location(eventPolls=3)
    result = manage_users(build(sim), users_task([{"client_user_id": "slow-1"}], poll_interval=30))
    assert result["error"] is None and clock.sleeps == [3.0, 30.0, 30.0]


def test_without_wait_the_events_are_returned_pending(users_location, build, clock):
    sim = users_location(eventPolls=5)
    result = manage_users(build(sim), users_task([{"client_user_id": "w-1"}], wait=False))
    assert [(e["event_type"], e["event_status"], e["num_requested"]) for e in result["events"]] == [("CREATE", "PENDING", 1)]
    assert result["changes"] == [{"client_user_id": "w-1", "action": "create"}] and sim.queries(PREFIX + "/status") == []


def test_another_owner_is_refused_before_any_write(users_location, build, clock):
    sim = users_location(mdm_info={"id": "jamf-7781", "name": "Jamf Pro", "metadata": "x"})
    with pytest.raises(OwnerError) as caught:
        manage_users(build(sim), users_task([{"client_user_id": "x-1"}]))
    assert "jamf-7781" in caught.value.message and user_writes(sim) == []
    assert manage_users(build(sim), users_task([{"client_user_id": "x-1"}], mdm_id="jamf-7781"))["error"] is None


# -- reads ----------------------------------------------------------------------------------------

def test_one_user_is_one_query_and_many_users_the_cheaper_walk(users_location, build, clock):
    sim = users_location(KNOWN + [{"clientUserId": "u-{0}".format(n)} for n in range(20)], pageSize=5)
    manage_users(build(sim, read_only=True), users_task([{"client_user_id": "reg-1"}], check_mode=True))
    assert user_reads(sim) == [{"clientUserId": "reg-1", "activeOnly": "true"}]
    sim.clear_log()
    # 4 users: the first page (5 active users per page, 22 active: 5 pages) then 3 per-user queries beat 4 more pages
    manage_users(build(sim, read_only=True), users_task([{"client_user_id": u} for u in ("u-0", "u-17", "u-18", "u-19")], check_mode=True))
    reads = user_reads(sim)
    assert reads[0] == {"activeOnly": "true"} and len(reads) == 4


def test_user_info_lists_statuses_invite_links_and_hashes(users_location, build, clock):
    sim = users_location(KNOWN)
    client = build(sim, read_only=True)
    result = user_info(client, task(client_user_ids=None, status=["Registered", "Associated"]))
    by_id = {user["client_user_id"]: user for user in result["users"]}
    assert "gone-1" not in by_id and {"reg-1", "assoc-1"} <= set(by_id)
    template = client.urls["invitationEmail"]
    registered = by_id["reg-1"]
    assert registered["status"] == "Registered" and registered["invite_code"] and registered["id_hash"] is None
    assert registered["invite_url"].endswith("inviteCode={0}&mt=8".format(registered["invite_code"])) and "%25" not in registered["invite_url"]
    assert registered["invite_url"] == template.replace("%25inviteCode%25", registered["invite_code"])
    associated = by_id["assoc-1"]
    assert associated["invite_code"] is None and associated["invite_url"] is None and associated["id_hash"]
    assert user_reads(sim) == [{"activeOnly": "true"}]
    retired = user_info(build(sim, read_only=True), task(client_user_ids=None, status=["Retired"]))
    assert [user["client_user_id"] for user in retired["users"]] == ["gone-1"]
    picked = user_info(build(sim, read_only=True), task(client_user_ids=["gone-1", "reg-1"], status=["Registered", "Retired"]))
    assert [user["client_user_id"] for user in picked["users"]] == ["gone-1", "reg-1"]
    assert user_info(build(sim, read_only=True), task(client_user_ids=[], status=["Registered"]))["users"] == []


# -- the pre-flight of vpp_assignment ------------------------------------------------------------

def assign(client, users, **options):
    return writes.assign(client, task(adam_ids=["100"], pricing_param="STDQ", serial_numbers=None, client_user_ids=users, assignments=None,
                                      resend_after=600, **options))


@pytest.mark.parametrize("check_mode", [False, True])
def test_an_assignment_naming_an_unknown_or_retired_user_fails_before_any_write(users_location, build, clock, check_mode):
    sim = users_location(KNOWN)
    with pytest.raises(UnregisteredUsersError) as caught:
        assign(build(sim, read_only=check_mode), ["reg-1", "ghost-9", "gone-1"], check_mode=check_mode)
    assert caught.value.message.startswith("not registered with Apple: ghost-9, gone-1 (create them with vpp_user)")
    assert caught.value.details["unregistered_client_user_ids"] == ["ghost-9", "gone-1"]
    assert caught.value.details["changes"] == [] and sim.writes() == []


def test_the_user_preflight_costs_one_query_per_user_and_nothing_without_users(users_location, build, clock):
    sim = users_location(KNOWN)
    result = assign(build(sim), ["reg-1"])
    assert result["error"] is None and len(sim.writes()) == 1
    assert user_reads(sim) == [{"clientUserId": "reg-1", "activeOnly": "true"}]
    assert len(user_reads(sim)) == user_plan.read_lower_bound(1, 1)
    sim.clear_log()
    again = assign(build(sim), ["reg-1"])  # nothing to change: no write, so no user read either
    assert again["changed"] is False and user_reads(sim) == []
    sim.clear_log()
    writes.assign(build(sim), task(adam_ids=["100"], pricing_param="STDQ", serial_numbers=["S1"], client_user_ids=None, assignments=None,
                                   resend_after=600))
    assert user_reads(sim) == []


# -- input ----------------------------------------------------------------------------------------

def test_state_absent_with_an_email_is_refused_saying_retire_takes_ids():
    with pytest.raises(InputError) as caught:
        check_user_input(users_task([{"client_user_id": "a"}, {"client_user_id": "b", "email": "b@example.org"}], state="absent"))
    assert "users[2] (b) has email with state absent" in str(caught.value) and "client_user_id only" in str(caught.value)
    check_user_input(users_task([{"client_user_id": "b", "email": "b@example.org"}]))  # present: fine


@pytest.mark.parametrize("value", ["", "   ", None])
def test_a_blank_client_user_id_is_refused(value):
    with pytest.raises(InputError, match=r"users\[1\].client_user_id is blank"):
        clean_client_user_id("users[1].client_user_id", value)


@pytest.mark.parametrize("value", ["no-at.example.org", "@example.org", "name@", "@"])
def test_an_email_without_at_between_name_and_domain_is_refused(value):
    with pytest.raises(InputError, match="not an email address"):
        clean_email("users[1].email", value)
    assert clean_email("users[1].email", " a@b.example ") == "a@b.example"


def test_a_repeated_client_user_id_is_refused():
    with pytest.raises(InputError, match=r"users\[3\].client_user_id 'a' repeats users\[1\]"):
        clean_users("users", [{"client_user_id": "a"}, {"client_user_id": "b"}, {"client_user_id": "a"}])
