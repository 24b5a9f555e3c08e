"""The write workflows (assign, remove, revoke, event info) against the simulator (in-process).

Time is fake: one clock that only the injected sleep advances, shared by the run and the client's
event waiting, so waits and timeouts are exact and nothing really sleeps. The simulator finishes an
event at a given /status look (setting eventPolls) or, by default, at the first request after the
write; a test that needs slow answers or request times runs the simulator on the same clock.
"""
from __future__ import annotations

import itertools
from types import SimpleNamespace


import httpx
import pytest

from ansible_collections.assetops.licensing.plugins.module_utils.errors import WriteBlockedError
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import events as vpp_events
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import plan, writes
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.events import failed_pairs
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import Assignment, EventStatus
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.writes import PreflightError
from tests.utils.stokens import make_stoken
from tests.utils.vpp_seeds import LOCATION, asset, assignment

TOKEN = make_stoken()  # the seeded location's sToken
SERIAL, USER = Assignment.SERIAL, Assignment.USER
ASSOCIATE, DISASSOCIATE, REVOKE = "/assets/associate", "/assets/disassociate", "/assets/revoke"
PREFIX = "/mdm/v2"  # the API paths of the simulator's log
USERS = ("u1", "u2", "u3")  # registered in every location unless a test says otherwise


class FakeTime:
    """A monotonic clock that moves only when something sleeps; every sleep is recorded."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds):
        """Time passing without the run sleeping (a slow answer from the simulator on this clock)."""
        self.now += seconds


# What a pre-flight failure returns besides its own details: nothing happened.
NOTHING_SENT = {"changed": False, "changes": [], "events": [], "failures": []}


@pytest.fixture
def clock():
    return FakeTime()


@pytest.fixture
def build(vpp_client, clock):
    """build(sim, read_only=False, drop_error=...) -> a VppClient on the simulator whose waits run on the fake clock.

    Pacing is tested in test_vpp_client; here the recorded sleeps are the event waits only."""
    return lambda sim, read_only=False, drop_error=httpx.RemoteProtocolError: vpp_client(
        sim, token=TOKEN, read_only=read_only, drop_error=drop_error, sleep=clock.sleep, clock=clock)


def location(apple, assets, assignments=(), page_size=50, users=USERS, limits=None, **settings):
    """A simulator holding this location; by default an event finishes at the first request after its write."""
    return apple(assets, list(assignments), users, pageSize=page_size, eventSeconds=0, limits=limits or {}, **settings)


def pair(adam_id, target, kind=SERIAL, pricing="STDQ"):
    return Assignment(adam_id, pricing, kind, target)


def held_pair(adam_id, target, kind=SERIAL, pricing="STDQ"):
    return (adam_id, pricing, kind, target)


def held(sim):
    """What the location holds now, as held_pair tuples."""
    return {(adam_id, pricing, SERIAL if kind == "serial" else USER, target) for adam_id, pricing, kind, target in sim.assignments(LOCATION)}


def posts(sim):
    """(path, body) of every write the simulator received, in arrival order."""
    return [(entry["path"][len(PREFIX):], entry["body"]) for entry in sim.writes()]


def accepted(sim):
    """(path, body) of the writes Apple took (200), a lost answer's included."""
    return [(entry["path"][len(PREFIX):], entry["body"]) for entry in sim.writes() if entry["status"] == 200]


def requests_to(sim, path):
    return sim.queries(PREFIX + path)


def status_polls(sim, event_id):
    return sum(1 for params in requests_to(sim, "/status") if params.get("eventId") == event_id)


def body_pairs(body):
    kind, targets = (SERIAL, body["serialNumbers"]) if "serialNumbers" in body else (USER, body["clientUserIds"])
    return [pair(item["adamId"], target, kind, item["pricingParam"]) for item in body["assets"] for target in targets]


def accepted_pairs(sim, path):
    """Every pair of the requests Apple accepted on ``path``, repeats kept."""
    return [one for logged, body in accepted(sim) if logged == path for one in body_pairs(body)]


def results(pairs):
    return [one.to_result() for one in sorted(pairs)]


def task(**options):
    """The options a module passes to its work, with the modules' defaults."""
    return SimpleNamespace(**dict({"wait": True, "wait_timeout": 600, "poll_interval": 30, "resend_after": 600, "mdm_id": None,
                                   "check_mode": False}, **options))


def assign(client, clock, adam_ids, serials=None, users=None, state="present", pricing="STDQ", **options):
    assert (client.clock, client.sleep) == (clock, clock.sleep)
    return writes.assign(client, task(adam_ids=list(adam_ids), pricing_param=pricing, serial_numbers=serials, client_user_ids=users,
                                      assignments=None, state=state, **options))


def revoke(client, clock, serials=None, users=None, **options):
    assert (client.clock, client.sleep) == (clock, clock.sleep)
    return writes.revoke(client, task(serial_numbers=serials, client_user_ids=users, **options))


def assignment_reads_before_first_post(sim):
    log = sim.log()
    first_post = next((index for index, entry in enumerate(log) if entry["method"] == "POST"), len(log))
    return [entry["query"] for entry in log[:first_post] if entry["path"] == PREFIX + "/assignments"]


# -- failed_pairs ---------------------------------------------------------------------------------

BATCH = {pair(adam_id, serial) for adam_id in ("100", "200") for serial in ("S1", "S2", "S3")}


def status(event_status="FAILED", requested=6, completed=0, failures=()):
    return EventStatus.model_validate({"eventStatus": event_status, "eventType": "ASSOCIATE", "numRequested": requested,
                                       "numCompleted": completed, "failures": list(failures)})


def failure(number=9609, **info):
    return {"errorNumber": number, "errorMessage": "x", "errorInfo": info}


def test_failed_pairs_complete_success_is_none():
    assert failed_pairs(BATCH, SERIAL, status("COMPLETE", 6, 6)) == set()


def test_failed_pairs_naming_only_targets_is_those_targets_times_every_asset():
    got = failed_pairs(BATCH, SERIAL, status(completed=4, failures=[failure(9602, serialNumbers=["S2"])]))
    assert got == {pair("100", "S2"), pair("200", "S2")}


def test_failed_pairs_naming_assets_and_targets_is_their_product():
    named = failure(9709, assets=[{"adamId": "200", "pricingParam": "STDQ"}], serialNumbers=["S1", "S3"])
    assert failed_pairs(BATCH, SERIAL, status(completed=4, failures=[named])) == {pair("200", "S1"), pair("200", "S3")}


def test_failed_pairs_naming_only_assets_is_those_assets_times_every_target():
    named = failure(9709, assets=[{"adamId": "100", "pricingParam": "STDQ"}])
    assert failed_pairs(BATCH, SERIAL, status(completed=3, failures=[named])) == {pair("100", s) for s in ("S1", "S2", "S3")}


def test_failed_pairs_several_failures_are_a_union():
    failures = [failure(9602, serialNumbers=["S1"]), failure(9709, assets=[{"adamId": "200"}], serialNumbers=["S3"])]
    assert failed_pairs(BATCH, SERIAL, status(completed=3, failures=failures)) == {pair("100", "S1"), pair("200", "S1"), pair("200", "S3")}


@pytest.mark.parametrize("kind", [SERIAL, USER])
def test_failed_pairs_naming_the_other_target_kind_is_not_this_batchs(kind):
    # the same id in both kinds: a failure about client user "T2" says nothing about serial "T2"
    batch = {pair(adam_id, target, kind) for adam_id in ("100", "200") for target in ("T1", "T2")}
    other = {"clientUserIds": ["T2"]} if kind == SERIAL else {"serialNumbers": ["T2"]}
    mine = {"serialNumbers": ["T1"]} if kind == SERIAL else {"clientUserIds": ["T1"]}
    got = failed_pairs(batch, kind, status(requested=4, completed=2, failures=[failure(9609, **other), failure(9602, **mine)]))
    assert got == {pair("100", "T1", kind), pair("200", "T1", kind)}


@pytest.mark.parametrize("failures", [[], [failure(9603)]], ids=["no failures", "failure naming nothing"])
def test_failed_pairs_failed_event_naming_nothing_failed_whole(failures):
    assert failed_pairs(BATCH, SERIAL, status(completed=0, failures=failures)) == BATCH


def test_failed_pairs_complete_but_short_without_failures_failed_whole():
    assert failed_pairs(BATCH, SERIAL, status("COMPLETE", requested=6, completed=5)) == BATCH


def test_failed_pairs_a_user_batch_reads_client_user_ids():
    batch = {pair("100", user, USER) for user in ("u1", "u2")}
    assert failed_pairs(batch, USER, status(requested=2, completed=1, failures=[failure(9609, clientUserIds=["u2"])])) == {pair("100", "u2", USER)}


# -- wait_for_events ------------------------------------------------------------------------------

def event_location(apple, **settings):
    """App 100 with licenses to spare and one registered user, u1: writes to make events with."""
    return location(apple, [asset("100", total=1000)], users=["u1"], **settings)


SERIALS = ("EV{0}".format(number) for number in itertools.count(1))


def add_event(sim, polls=1, users=None):
    """An associate of app 100 whose event finishes at its ``polls``-th /status look: one pair for a new
    serial (COMPLETE), or one per user of ``users`` (a user other than u1 is not registered: 9609)."""
    sim.settings(eventPolls=polls)
    body = {"assets": [{"adamId": "100", "pricingParam": "STDQ"}]}
    body.update({"clientUserIds": list(users)} if users else {"serialNumbers": [next(SERIALS)]})
    with sim.api_client(LOCATION) as http:
        answer = http.post(ASSOCIATE, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()["eventId"]


def test_wait_first_look_after_3_s_then_every_poll_interval(build, apple, clock):
    sim = event_location(apple)
    sim.use_clock(clock, clock.advance)
    event = add_event(sim, polls=6)
    statuses = vpp_events.wait_for_events(build(sim), [event], 600, 30)
    assert clock.sleeps == [3, 30, 30, 30, 30, 30]  # Apple: at least 30 s between looks at a PENDING event
    looks = [entry["time"] for entry in sim.log() if entry["path"] == PREFIX + "/status"]
    assert [later - earlier for earlier, later in zip(looks, looks[1:])] == [30] * 5
    assert statuses[event].event_status == "COMPLETE"
    assert status_polls(sim, event) == 6  # stopped as soon as it finished


def test_wait_poll_interval_below_the_first_look(build, apple, clock):
    sim = event_location(apple)
    event = add_event(sim, polls=3)
    vpp_events.wait_for_events(build(sim), [event], 600, 1)
    assert clock.sleeps == [1, 1, 1]


def test_wait_stops_at_wait_timeout_with_the_event_pending(build, apple, clock):
    sim = event_location(apple)
    event = add_event(sim, polls=10 ** 6)
    statuses = vpp_events.wait_for_events(build(sim), [event], 20, 10)
    assert statuses[event].event_status == "PENDING"
    # looks at 3 and 13 s; the task waits out wait_timeout, but a look at 20 s would come too soon after
    # the last one (Apple's interval), so there is none
    assert clock.sleeps == [3, 10, 7]
    assert status_polls(sim, event) == 2


def test_wait_timeout_shorter_than_the_first_look(build, apple, clock):
    sim = event_location(apple)
    event = add_event(sim, polls=10 ** 6)
    assert vpp_events.wait_for_events(build(sim), [event], 1, 30)[event].event_status == "PENDING"
    assert clock.sleeps == [1] and status_polls(sim, event) == 1


def test_wait_polls_several_events_side_by_side(build, apple, clock):
    sim = event_location(apple)
    events = [add_event(sim, polls=1), add_event(sim, polls=2, users=["u"]), add_event(sim, polls=3)]  # "u" is not registered
    sim.settings(latencyMs=20)  # each /status stays in flight a moment (real time), so overlap shows
    sim.clear_log()
    statuses = vpp_events.wait_for_events(build(sim), events, 600, 30)
    assert [statuses[event].event_status for event in events] == ["COMPLETE", "FAILED", "COMPLETE"]
    # the last event is the sentinel; once it finished the others are asked side by side, and the
    # one still pending becomes the sentinel; a finished event is not asked again
    assert [status_polls(sim, event) for event in events] == [1, 2, 3]
    assert clock.sleeps == [3, 30, 30, 30]  # one shared schedule, not one per event
    assert sim.summary()["peak_concurrency"] >= 2


def test_wait_asks_only_the_last_event_while_it_is_pending(build, apple, clock):
    sim = event_location(apple)
    events = [add_event(sim, polls=1) for _number in range(4)] + [add_event(sim, polls=3)]
    statuses = vpp_events.wait_for_events(build(sim), events, 600, 30)
    assert all(statuses[event].event_status == "COMPLETE" for event in events)
    assert [status_polls(sim, event) for event in events] == [1, 1, 1, 1, 3]  # 7 looks for 5 events, not 15
    assert clock.sleeps == [3, 30, 30]


def test_wait_timeout_asks_every_event_once(build, apple, clock):
    sim = event_location(apple)
    events = [add_event(sim, polls=10 ** 6) for _number in range(3)]
    statuses = vpp_events.wait_for_events(build(sim), events, 5, 30)
    assert [statuses[event].event_status for event in events] == ["PENDING"] * 3
    assert clock.sleeps == [3, 2]
    # the sentinel at 3 s; at the deadline the two never asked, not the sentinel again 2 s after its answer
    assert [status_polls(sim, event) for event in events] == [1, 1, 1]


# -- AssignmentRun: planning, check mode, idempotency -----------------------------------------------

def small_location(apple, users=USERS, **settings):
    """Apps 100 and 200 (10 licenses each); S1 holds 100; S9 holds 200 (outside the tasks)."""
    return location(apple, [asset("100"), asset("200")], [assignment("100", serial="S1"), assignment("200", serial="S9")], users=users, **settings)


MISSING = {pair("200", "S1"), pair("100", "S2"), pair("200", "S2")}


def retire_at_first_write(sim, *users):
    """These users pass the user pre-flight and are retired as the first write arrives: Apple fails them with 9609."""
    sim.add_faults({"method": "POST", "path": PREFIX + ASSOCIATE, "kind": "mutate", "action": "retire_user", "clientUserIds": list(users)})


@pytest.mark.parametrize("read_only", [True, False], ids=["read-only client", "write client"])
def test_check_mode_sends_nothing_and_predicts_the_missing_pairs(build, apple, clock, read_only):
    sim = small_location(apple)
    result = assign(build(sim, read_only=read_only), clock, ["100", "200"], serials=["S1", "S2"], check_mode=True)
    assert posts(sim) == [] and requests_to(sim, "/status") == []
    assert result["changed"] is True
    assert result["changes"] == results(MISSING)
    assert result["error"] is None and result["events"] == [] and result["failures"] == []
    assert result["diff"]["before"] == {"serial S1": ["100 (STDQ)"]}
    assert result["diff"]["after"] == {"serial S1": ["100 (STDQ)", "200 (STDQ)"], "serial S2": ["100 (STDQ)", "200 (STDQ)"]}


def test_check_mode_absent_predicts_exactly_the_held_pairs(build, apple, clock):
    sim = small_location(apple)
    result = assign(build(sim, read_only=True), clock, ["100", "200"], serials=["S1", "S2", "S9"], state="absent", check_mode=True)
    assert posts(sim) == []
    assert result["changes"] == results({pair("100", "S1"), pair("200", "S9")})


def test_read_only_client_cannot_write_even_if_a_run_tried(build, apple, clock):
    sim = small_location(apple)
    with pytest.raises(WriteBlockedError):
        assign(build(sim, read_only=True), clock, ["100"], serials=["S2"])
    assert posts(sim) == []


def test_present_sends_only_the_missing_pairs(build, apple, clock):
    sim = small_location(apple)
    result = assign(build(sim), clock, ["100", "200"], serials=["S1", "S2"])
    sent = accepted_pairs(sim, ASSOCIATE)
    assert sorted(sent) == sorted(MISSING)  # each missing pair once, no held pair
    assert {p[0] for p in posts(sim)} == {ASSOCIATE}
    assert result["changed"] is True and result["changes"] == results(MISSING)
    assert result["error"] is None and result["failures"] == []
    assert all(event["event_status"] == "COMPLETE" for event in result["events"]) and result["events"]
    assert held(sim) >= {held_pair(a, s) for a in ("100", "200") for s in ("S1", "S2")}


def test_absent_sends_only_the_held_pairs(build, apple, clock):
    sim = small_location(apple)
    result = assign(build(sim), clock, ["100", "200"], serials=["S1", "S2", "S9"], state="absent")
    assert sorted(accepted_pairs(sim, DISASSOCIATE)) == [pair("100", "S1"), pair("200", "S9")]
    assert {p[0] for p in posts(sim)} == {DISASSOCIATE}
    assert result["changes"] == results({pair("100", "S1"), pair("200", "S9")})
    assert held(sim) == set() and result["error"] is None
    assert result["diff"]["after"] == {}


@pytest.mark.parametrize("state", ["present", "absent"])
def test_a_second_run_changes_nothing(build, apple, clock, state):
    sim = small_location(apple)
    client = build(sim)
    first = assign(client, clock, ["100", "200"], serials=["S1", "S2"], users=["u1"], state=state)
    assert first["changed"] is True and first["error"] is None
    sent = len(posts(sim))
    second = assign(client, clock, ["100", "200"], serials=["S1", "S2"], users=["u1"], state=state)
    assert len(posts(sim)) == sent
    assert second["changed"] is False and second["changes"] == [] and second["events"] == [] and second["error"] is None


def test_users_and_serials_go_in_separate_requests(build, apple, clock):
    sim = small_location(apple)
    assign(build(sim), clock, ["100"], serials=["S2"], users=["u1", "u2"])
    kinds = [("serialNumbers" in body, "clientUserIds" in body) for _path, body in posts(sim)]
    assert sorted(kinds) == [(False, True), (True, False)]
    assert held(sim) >= {held_pair("100", "S2"), held_pair("100", "u1", USER), held_pair("100", "u2", USER)}


# -- AssignmentRun: preflight -----------------------------------------------------------------------

def test_preflight_missing_asset(build, apple, clock):
    sim = location(apple, [asset("100"), asset("200", pricing="PLUS")])
    with pytest.raises(PreflightError) as caught:
        assign(build(sim), clock, ["100", "200", "999"], serials=["S1"])
    # 200 exists, but not as STDQ; the documented result keys are there, empty
    assert caught.value.details == dict(NOTHING_SENT, missing_adam_ids=["200", "999"])
    assert "200, 999" in caught.value.message and "STDQ" in caught.value.message
    assert posts(sim) == []


def test_preflight_book_to_serials(build, apple, clock):
    sim = location(apple, [asset("100"), asset("300", product="Book", device_assignable=False, revocable=False)])
    with pytest.raises(PreflightError) as caught:
        assign(build(sim), clock, ["100", "300"], serials=["S1"])
    assert caught.value.details == dict(NOTHING_SENT, not_device_assignable=["300"])
    assert "300 (Book)" in caught.value.message and "client_user_ids" in caught.value.message
    assert posts(sim) == []


def test_a_book_to_users_is_fine(build, apple, clock):
    sim = location(apple, [asset("300", product="Book", device_assignable=False, revocable=False)])
    result = assign(build(sim), clock, ["300"], users=["u1"])
    assert result["error"] is None and result["changes"] == results({pair("300", "u1", USER)})


def test_preflight_license_shortage(build, apple, clock):
    # 100: 3 licenses, 2 used elsewhere -> 1 available; S1 already holds nothing
    sim = location(apple, [asset("100", total=3), asset("200", total=10)],
                   [assignment("100", serial="X1"), assignment("100", serial="X2")])
    with pytest.raises(PreflightError) as caught:
        assign(build(sim), clock, ["100", "200"], serials=["S1", "S2", "S3"])
    assert caught.value.details == dict(NOTHING_SENT, shortages=[{"adam_id": "100", "pricing_param": "STDQ", "needed": 3, "available": 1}])
    assert "needs 3, 1 available" in caught.value.message
    assert posts(sim) == []


def test_preflight_counts_only_the_pairs_still_missing(build, apple, clock):
    sim = location(apple, [asset("100", total=3)], [assignment("100", serial="S1"), assignment("100", serial="S2")])
    result = assign(build(sim), clock, ["100"], serials=["S1", "S2", "S3"])  # needs 1, 1 available
    assert result["error"] is None and result["changes"] == results({pair("100", "S3")})


def test_unlimited_assets_are_never_short(build, apple, clock):
    # a free asset: totalCount 2147483647, and no availableCount to fall back on
    sim = location(apple, [asset("500", unlimited=True)], omitUnlimitedAvailableCount=True)
    result = assign(build(sim), clock, ["500"], serials=["S1", "S2", "S3"])
    assert result["error"] is None
    assert sorted(accepted_pairs(sim, ASSOCIATE)) == sorted(pair("500", s) for s in ("S1", "S2", "S3"))


def test_absent_has_no_license_preflight(build, apple, clock):
    sim = location(apple, [asset("100", total=1)], [assignment("100", serial="S1")])  # 0 available
    result = assign(build(sim), clock, ["100"], serials=["S1"], state="absent")
    assert result["error"] is None and result["changes"] == results({pair("100", "S1")})


# -- AssignmentRun: read strategy -----------------------------------------------------------------

def test_assets_nobody_holds_are_not_queried(build, apple, clock):
    # a large location (walk = many pages) so keyed queries are chosen; 100 has assignedCount 0
    others = [assignment("900", serial="X{0}".format(number)) for number in range(20)]
    sim = location(apple, [asset("100"), asset("200"), asset("900", total=100)], [assignment("200", serial="S1")] + others, page_size=2)
    result = assign(build(sim), clock, ["100", "200"], serials=["S1", "S2", "S3"])
    reads = assignment_reads_before_first_post(sim)
    assert all(params.get("adamId") != "100" for params in reads)
    assert {"adamId": "200", "pricingParam": "STDQ"} in reads  # the per-asset read priced by assignedCount
    assert len(reads) == 2  # walk probe + one page for asset 200 (cheaper than 3 per-serial queries)
    assert result["changes"] == results({pair("100", s) for s in ("S1", "S2", "S3")} | {pair("200", "S2"), pair("200", "S3")})


def test_no_assignment_read_when_nobody_holds_the_assets(build, apple, clock):
    sim = location(apple, [asset("100"), asset("200")], [assignment("900", serial="S1")])
    result = assign(build(sim), clock, ["100", "200"], serials=["S1", "S2"])
    assert assignment_reads_before_first_post(sim) == []
    assert len(result["changes"]) == 4


# -- AssignmentRun: events ------------------------------------------------------------------------

def test_partial_failure_reports_pair_by_pair(build, apple, clock):
    sim = small_location(apple)
    # u3 passes the user pre-flight and is retired just before the write is taken: 9609 for its pairs only
    sim.add_faults({"method": "POST", "path": PREFIX + ASSOCIATE, "kind": "mutate", "action": "retire_user", "clientUserId": "u3"})
    result = assign(build(sim), clock, ["100", "200"], users=["u1", "u2", "u3"])
    good = {pair(a, u, USER) for a in ("100", "200") for u in ("u1", "u2")}
    assert result["changed"] is True and result["changes"] == results(good)
    [event] = result["events"]
    assert (event["event_status"], event["num_requested"], event["num_completed"]) == ("FAILED", 6, 4)
    assert [(f["error_number"], f["client_user_ids"], f["event_id"]) for f in result["failures"]] == [(9609, ["u3"], event["event_id"])]
    assert "Apple error 9609" in result["error"] and "4 pair(s) assigned" in result["error"]
    assert result["diff"]["after"].get("user u3") is None


def test_licenses_gone_between_read_and_send_show_as_9709(build, apple, clock):
    sim = small_location(apple)
    # just before the write is taken, someone else assigns every license of 200 left
    sim.add_faults({"method": "POST", "path": PREFIX + ASSOCIATE, "kind": "mutate", "action": "add_assignments", "adamId": "200", "count": 100})
    result = assign(build(sim), clock, ["100", "200"], serials=["S2", "S3"])
    assert result["changes"] == results({pair("100", "S2"), pair("100", "S3")})
    assert [(f["error_number"], f["adam_ids"]) for f in result["failures"]] == [(9709, ["200"])]
    assert "Apple error 9709" in result["error"]


def test_events_pending_past_the_deadline_are_named(build, apple, clock):
    sim = small_location(apple, eventPolls=10 ** 6)
    result = assign(build(sim), clock, ["100"], serials=["S2"], wait_timeout=20, poll_interval=10)
    [event] = result["events"]
    assert event["event_status"] == "PENDING"
    assert "1 event(s) still pending after wait_timeout: {0}".format(event["event_id"]) in result["error"]
    # Apple took the write but holds none of its pairs yet (read back once): nothing is known changed
    assert result["changes"] == [] and result["changed"] is False and result["failures"] == []
    assert held_pair("100", "S2") not in held(sim)
    assert sum(clock.sleeps) <= 20 and clock.sleeps[0] == 3


def requests_after_first_post(sim):
    first_post = sim.writes()[0]["seq"]
    return [(entry["method"], entry["path"][len(PREFIX):]) for entry in sim.log() if entry["seq"] > first_post]


def test_an_event_that_finishes_after_the_last_look_is_read_back(build, apple, clock):
    """The last look (13 s) says PENDING, Apple applies the write at 15 s, and a look at the 20 s deadline
    would come too soon after the last: the pairs are read back once instead, and reported done."""
    sim = small_location(apple)
    sim.settings(eventSeconds=15)
    sim.use_clock(clock, clock.advance)
    result = assign(build(sim), clock, ["100"], serials=["S2", "S3"], wait_timeout=20, poll_interval=10)
    [event] = result["events"]
    assert event["event_status"] == "PENDING" and held(sim) >= {held_pair("100", "S2"), held_pair("100", "S3")}
    assert result["changes"] == results({pair("100", "S2"), pair("100", "S3")}) and result["changed"] is True
    assert result["failures"] == []
    assert result["error"] == "1 event(s) still pending after wait_timeout: {0}; 2 pair(s) assigned; see failures and events".format(
        event["event_id"])
    assert requests_after_first_post(sim) == [("GET", "/status"), ("GET", "/status"), ("GET", "/assignments")]
    assert clock.sleeps == [3, 10, 7]  # no look sooner than poll_interval after the last one, and none after the deadline


def test_wait_timeout_counts_from_the_first_write_not_from_the_reads(build, apple, clock):
    """Slow reads before the POST must not eat the wait: 7.5 s of reads, wait_timeout 6, an event of two looks."""
    sim = small_location(apple, eventPolls=2)
    sim.use_clock(clock, clock.advance)  # the simulator's waits move the run's clock
    sim.add_faults(*({"method": "GET", "path": PREFIX + path, "kind": "delay", "seconds": 2.5, "count": None} for path in ("/assets", "/assignments")))
    result = assign(build(sim), clock, ["100"], serials=["S2"], wait_timeout=6, poll_interval=3)
    reads = [entry for entry in sim.log() if entry["method"] == "GET" and entry["path"] != PREFIX + "/status"]
    assert len(reads) >= 3
    slow_reads = [entry for entry in reads if entry["fault"] == "delay"]
    [first_post] = [entry["time"] for entry in sim.writes()]
    assert first_post - 1000.0 >= 2.5 * len(slow_reads) >= 5  # the reads took that long, all before the write
    assert result["error"] is None
    assert result["changes"] == results({pair("100", "S2")})
    assert [event["event_status"] for event in result["events"]] == ["COMPLETE"]
    assert clock.sleeps == [3, 3]  # looks at 3 s and at the deadline, 6 s after the POST


def test_wait_false_reports_submitted_events_without_polling(build, apple, clock):
    sim = small_location(apple)
    result = assign(build(sim), clock, ["100"], serials=["S2", "S3"], wait=False)
    assert requests_to(sim, "/status") == [] and clock.sleeps == []
    assert [(e["event_status"], e["num_requested"]) for e in result["events"]] == [("PENDING", 2)]
    assert result["changed"] is True and result["error"] is None


# -- AssignmentRun: refusals and lost answers -------------------------------------------------------

def test_over_limit_refusal_rereads_limits_and_rechunks(build, apple, clock):
    sim = small_location(apple)
    client = build(sim)
    assert client.limits().max_serial_numbers == 1000  # cached by the client
    sim.settings(limits={"maxSerialNumbers": 2})  # Apple lowered it since
    serials = ["S{0}".format(number) for number in range(2, 7)]
    result = assign(client, clock, ["100"], serials=serials)
    assert len(requests_to(sim, "/service/config")) == 2  # read again after the 9702
    first = sim.writes()[0]
    assert len(first["body"]["serialNumbers"]) == 5 and (first["status"], first["errorNumber"]) == (400, 9702)  # refused, not taken
    assert len(accepted(sim)) == 3 and all(len(body["serialNumbers"]) <= 2 for _p, body in accepted(sim))
    assert sorted(accepted_pairs(sim, ASSOCIATE)) == sorted(pair("100", s) for s in serials)  # each exactly once
    assert result["error"] is None and result["failures"] == []
    assert result["changes"] == results({pair("100", s) for s in serials})


def revoke_token_at_write(sim, after=0):
    """A newer token is downloaded as write number ``after`` + 1 arrives: it and every later request get 401/9625."""
    sim.add_faults({"method": "POST", "path": PREFIX + "/assets/*", "after": after, "kind": "mutate", "action": "revoke_token"})


def test_token_error_stops_sending(build, apple, clock, monkeypatch):
    monkeypatch.setattr(plan, "MAX_PARALLEL_REQUESTS", 1)  # one at a time, so the order is certain
    sim = small_location(apple, limits={"maxSerialNumbers": 2})
    revoke_token_at_write(sim)
    result = assign(build(sim), clock, ["100"], serials=["S2", "S3", "S4", "S5", "S6"])  # 3 requests planned
    assert len(posts(sim)) == 1 and accepted(sim) == []
    assert "revoked" in result["error"] and "2 request(s) not sent" in result["error"]
    assert "Apple error 9625" in result["error"]
    assert result["changed"] is False and result["changes"] == []


def test_token_error_stops_sending_in_parallel(build, apple, clock):
    sim = location(apple, [asset("100", total=50)], limits={"maxSerialNumbers": 1})
    revoke_token_at_write(sim)
    result = assign(build(sim), clock, ["100"], serials=["S{0}".format(n) for n in range(2, 14)])  # 12 requests
    sent = len(posts(sim))
    assert 1 <= sent <= plan.MAX_PARALLEL_REQUESTS  # only those already in flight
    assert "{0} request(s) not sent".format(12 - sent) in result["error"]


def test_token_revoked_after_an_accepted_write_is_reported_once(build, apple, clock, monkeypatch):
    monkeypatch.setattr(plan, "MAX_PARALLEL_REQUESTS", 1)
    sim = small_location(apple, limits={"maxSerialNumbers": 2})
    revoke_token_at_write(sim, after=1)  # from the second POST on, every request meets a revoked token
    result = assign(build(sim), clock, ["100"], serials=["S2", "S3", "S4", "S5", "S6"])  # 3 requests planned
    assert len(accepted(sim)) == 1 and len(posts(sim)) == 2
    message = result["error"]
    assert message.count("Apple error 9625") == 2  # the stop and the failure count, not the explanation twice
    assert message.count("the token was revoked") == 1
    assert "after Apple accepted 1 request(s)" in message and "1 request(s) not sent" in message
    assert "0 pair(s) assigned" in message and "\n" not in message
    # the accepted request, the refused one and the one never sent are all named pair by pair
    accepted_one, refused, unsent = sorted(result["failures"], key=lambda record: record["serial_numbers"])
    assert (refused["error_number"], refused["serial_numbers"]) == (9625, ["S4", "S5"])
    assert (unsent["error_number"], unsent["serial_numbers"], unsent["adam_ids"]) == (None, ["S6"], ["100"])
    assert unsent["error_message"].startswith("not sent after: the token was revoked")
    # no read can succeed with a revoked token: the accepted pairs are not read back, not claimed either
    assert (accepted_one["error_number"], accepted_one["serial_numbers"]) == (None, ["S2", "S3"])
    assert accepted_one["error_message"].startswith("outcome unknown: not read back after: the token was revoked")
    assert accepted_one["event_id"] == result["events"][0]["event_id"]
    first_post = sim.writes()[0]["seq"]
    assert [entry for entry in sim.log() if entry["seq"] > first_post and entry["path"] == PREFIX + "/assignments"] == []
    assert result["changed"] is False and result["changes"] == []
    assert message.endswith(
        "1 request(s) not sent; 2 pair(s) not read back after that error: outcome unknown; 3 failure(s): serials S4, S5 (100 STDQ) "
        "Apple error 9625, serial S6 (100 STDQ) not sent, serials S2, S3 (100 STDQ) outcome unknown; 0 pair(s) assigned; "
        "see failures and events")


@pytest.mark.parametrize("lost", [httpx.ReadError, httpx.RemoteProtocolError])
def test_applied_but_answer_lost_is_not_sent_again(build, apple, clock, lost):
    sim = small_location(apple)
    sim.add_faults({"method": "POST", "path": PREFIX + ASSOCIATE, "kind": "drop_after"})  # applied, then the connection is lost
    result = assign(build(sim, drop_error=lost), clock, ["100"], serials=["S2", "S3"])
    assert len(posts(sim)) == 1  # the re-read showed both pairs held
    assert sorted(accepted_pairs(sim, ASSOCIATE)) == [pair("100", "S2"), pair("100", "S3")]
    assert result["changes"] == results({pair("100", "S2"), pair("100", "S3")})
    assert result["error"] is None and result["failures"] == []


def test_not_applied_and_answer_lost_is_sent_once_after_resend_after(build, apple, clock):
    sim = small_location(apple)
    sim.use_clock(clock, clock.advance)  # the log's times are the run's
    sim.add_faults({"method": "POST", "path": PREFIX + ASSOCIATE, "kind": "drop_before"})  # lost before Apple read it
    result = assign(build(sim, drop_error=httpx.ReadTimeout), clock, ["100"], serials=["S2", "S3"], resend_after=100, wait_timeout=300)
    assert len(posts(sim)) == 2
    assert sorted(accepted_pairs(sim, ASSOCIATE)) == [pair("100", "S2"), pair("100", "S3")]  # once each
    lost, resent = sim.writes()
    assert (lost["fault"], lost["status"], resent["status"]) == ("drop_before", None, 200)  # only the second reached Apple
    lost_at, resent_at = lost["time"], resent["time"]
    assert lost_at == 1000.0  # FakeTime's start: nothing slept before the first POST
    assert resent_at == lost_at + 100  # not before resend_after, and not later
    rereads = [entry["time"] for entry in sim.log() if entry["path"] == PREFIX + "/assignments" and lost_at < entry["time"] <= resent_at]
    assert rereads == [lost_at + 3, lost_at + 33, lost_at + 63, lost_at + 93, lost_at + 100]  # at the status pace, then once before
    assert result["changes"] == results({pair("100", "S2"), pair("100", "S3")})
    assert result["error"] is None and result["failures"] == []


def test_an_applied_write_whose_pairs_show_up_late_is_never_sent_twice(build, apple, clock):
    sim = small_location(apple)
    sim.settings(eventSeconds=40)  # Apple takes 40 s to apply the lost write
    sim.use_clock(clock, clock.advance)
    sim.add_faults({"method": "POST", "path": PREFIX + ASSOCIATE, "kind": "drop_after"})
    result = assign(build(sim, drop_error=httpx.ReadError), clock, ["100"], serials=["S2"], resend_after=600, wait_timeout=600)
    assert len(posts(sim)) == 1
    assert result["changes"] == results({pair("100", "S2")}) and result["error"] is None
    assert clock.now - 1000.0 <= 63  # read back at 3, 33, 63 s: found at 63 s, done


def test_a_lost_write_not_resent_before_the_deadline_is_reported_for_a_rerun(build, apple, clock):
    sim = small_location(apple)
    sim.add_faults({"method": "POST", "path": PREFIX + ASSOCIATE, "kind": "drop_before"})
    result = assign(build(sim, drop_error=httpx.ReadTimeout), clock, ["100"], serials=["S2"])  # resend_after 600 = wait_timeout 600
    assert len(posts(sim)) == 1 and accepted(sim) == []
    [lost] = result["failures"]
    assert lost["error_message"].startswith("outcome unknown: not resent") and lost["serial_numbers"] == ["S2"]
    assert sum(clock.sleeps) <= 600 and result["changes"] == []


def test_lost_twice_is_reported_not_sent_a_third_time(build, apple, clock):
    sim = small_location(apple)
    sim.add_faults({"method": "POST", "path": PREFIX + ASSOCIATE, "kind": "drop_before", "count": 2})
    result = assign(build(sim, drop_error=httpx.ReadTimeout), clock, ["100"], serials=["S2"], resend_after=60)
    assert len(posts(sim)) == 2 and accepted(sim) == []
    [lost] = result["failures"]
    assert "outcome unknown" in lost["error_message"] and lost["serial_numbers"] == ["S2"]
    assert result["changes"] == [] and "1 failure(s)" in result["error"]


def test_wait_false_reports_an_unknown_outcome_without_resending(build, apple, clock):
    sim = small_location(apple)
    sim.add_faults({"method": "POST", "path": PREFIX + ASSOCIATE, "kind": "drop_before"})
    result = assign(build(sim, drop_error=httpx.ReadTimeout), clock, ["100"], serials=["S2", "S3"], wait=False)
    assert len(posts(sim)) == 1 and clock.sleeps == []
    [lost] = result["failures"]
    assert "outcome unknown" in lost["error_message"]
    assert (lost["adam_ids"], lost["serial_numbers"]) == (["100"], ["S2", "S3"])
    assert result["changes"] == [] and result["error"]


def test_wait_false_counts_a_lost_answer_as_done_when_apple_holds_the_pairs(build, apple, clock):
    sim = small_location(apple)
    sim.add_faults({"method": "POST", "path": PREFIX + ASSOCIATE, "kind": "drop_after"})
    result = assign(build(sim, drop_error=httpx.ReadError), clock, ["100"], serials=["S2"], wait=False)
    assert len(posts(sim)) == 1 and result["failures"] == [] and result["error"] is None
    assert result["changes"] == results({pair("100", "S2")})


# -- RevokeRun ------------------------------------------------------------------------------------

def revoke_location(apple, **settings):
    """100 revocable app; 200 revocable app (PLUS); 300 a book (not revocable).

    S1 holds 100 and 200; S2 nothing; u1 holds 100 and the book; u2 only the book.
    """
    return location(
        apple, [asset("100"), asset("200", pricing="PLUS"), asset("300", product="Book", device_assignable=False, revocable=False)],
        [assignment("100", serial="S1"), assignment("200", pricing="PLUS", serial="S1"),
         assignment("100", user="u1"), assignment("300", user="u1"), assignment("300", user="u2"),
         assignment("100", serial="OTHER")], **settings)


def test_revoke_counts_only_revocable_pairs_and_skips_targets_with_none(build, apple, clock):
    sim = revoke_location(apple)
    result = revoke(build(sim), clock, serials=["S1", "S2"], users=["u1", "u2"])
    assert sorted(body.get("serialNumbers", []) + body.get("clientUserIds", []) for _p, body in posts(sim)) == [["S1"], ["u1"]]
    assert all("assets" not in body for _p, body in posts(sim))
    revoked = {pair("100", "S1"), pair("200", "S1", pricing="PLUS"), pair("100", "u1", USER)}
    assert result["revoked"] == results(revoked) and result["changed"] is True and result["error"] is None
    assert held(sim) == {held_pair("300", "u1", USER), held_pair("300", "u2", USER), held_pair("100", "OTHER")}
    assert result["diff"]["after"] == {"user u1": ["300 (STDQ)"], "user u2": ["300 (STDQ)"]}


def test_revoke_check_mode_predicts_without_sending(build, apple, clock):
    sim = revoke_location(apple)
    result = revoke(build(sim, read_only=True), clock, serials=["S1", "S2"], users=["u2"], check_mode=True)
    assert posts(sim) == []
    assert result["revoked"] == results({pair("100", "S1"), pair("200", "S1", pricing="PLUS")})


def test_revoke_nothing_revocable_sends_nothing(build, apple, clock):
    sim = revoke_location(apple)
    result = revoke(build(sim), clock, serials=["S2"], users=["u2"])
    assert posts(sim) == [] and result["changed"] is False and result["revoked"] == [] and result["error"] is None


def test_revoke_chunks_by_the_revoke_limits(build, apple, clock):
    serials = ["S{0}".format(n) for n in range(5)]
    users = ["u{0}".format(n) for n in range(4)]
    sim = location(apple, [asset("100", total=20)], [assignment("100", serial=s) for s in serials] + [assignment("100", user=u) for u in users],
                   limits={"maxRevokeSerialNumbers": 2, "maxRevokeClientUserIds": 3})
    result = revoke(build(sim), clock, serials=serials, users=users)
    serial_requests = [body["serialNumbers"] for _p, body in posts(sim) if "serialNumbers" in body]
    user_requests = [body["clientUserIds"] for _p, body in posts(sim) if "clientUserIds" in body]
    assert len(serial_requests) == 3 and all(len(chunk) <= 2 for chunk in serial_requests)
    assert len(user_requests) == 2 and all(len(chunk) <= 3 for chunk in user_requests)
    assert sorted(s for chunk in serial_requests for s in chunk) == serials
    assert sorted(u for chunk in user_requests for u in chunk) == users
    assert len(accepted(sim)) == 5 and held(sim) == set()
    assert len(result["revoked"]) == 9 and result["error"] is None


def test_revoke_twice_changes_nothing_the_second_time(build, apple, clock):
    sim = revoke_location(apple)
    client = build(sim)
    assert revoke(client, clock, serials=["S1"], users=["u1"])["changed"] is True
    sent = len(posts(sim))
    second = revoke(client, clock, serials=["S1"], users=["u1"])
    assert len(posts(sim)) == sent and second["changed"] is False and second["revoked"] == [] and second["error"] is None


# -- event_info -----------------------------------------------------------------------------------

def test_event_info_without_wait_returns_statuses_as_they_are(build, apple, clock):
    sim = event_location(apple)
    # u2 is not registered in this location: FAILED, 1 of 2 done
    pending, done = add_event(sim, polls=5), add_event(sim, polls=1, users=["u1", "u2"])
    result = vpp_events.event_info(build(sim, read_only=True), task(event_ids=[pending, done], wait=False, wait_timeout=600, poll_interval=30))
    assert result["error"] is None and result["changed"] is False and clock.sleeps == []
    assert [e["event_status"] for e in result["events"]] == ["PENDING", "FAILED"]
    assert result["events"][1]["failures"][0]["client_user_ids"] == ["u2"]
    assert result["events"][1]["failures"][0]["error_number"] == 9609


def test_event_info_with_wait_times_out_on_pending_events(build, apple, clock):
    sim = event_location(apple)
    pending, done = add_event(sim, polls=10 ** 6), add_event(sim, polls=2)
    result = vpp_events.event_info(build(sim, read_only=True), task(event_ids=[pending, done], wait=True, wait_timeout=10, poll_interval=4))
    assert [e["event_status"] for e in result["events"]] == ["PENDING", "COMPLETE"]
    assert result["error"] == "1 event(s) still pending after wait_timeout (10 s): {0}".format(pending)
    assert sum(clock.sleeps) <= 10


def test_event_info_with_wait_all_finished(build, apple, clock):
    sim = event_location(apple)
    events = [add_event(sim, polls=3), add_event(sim, polls=1)]
    result = vpp_events.event_info(build(sim, read_only=True), task(event_ids=events, wait=True, wait_timeout=600, poll_interval=30))
    assert result["error"] is None and [e["event_status"] for e in result["events"]] == ["COMPLETE", "COMPLETE"]
    assert clock.sleeps == [3, 30, 30]  # looks at 3, 33 and 63 s


# -- after a failure: what Apple holds, read back ---------------------------------------------------

STATUS_OUTAGE = {"method": "GET", "path": PREFIX + "/status", "kind": "status", "status": 503, "errorNumber": 9729, "count": None}


def test_a_status_outage_after_an_accepted_post_reads_the_pairs_back(build, apple, clock, vpp_client):
    """Issue 14: status looks failed through their retries after Apple took the write, and the task said
    changed true, changes [], while Apple held both pairs."""
    sim = small_location(apple)
    sim.add_faults(STATUS_OUTAGE)
    client = vpp_client(sim, token=TOKEN, read_only=False, sleep=clock.sleep, clock=clock, retries=2)
    result = assign(client, clock, ["100"], serials=["S2", "S3"])
    assert len(accepted(sim)) == 1 and held(sim) >= {held_pair("100", "S2"), held_pair("100", "S3")}
    [taken] = sim.location_state(LOCATION)["events"]
    assert [event["event_id"] for event in result["events"]] == [taken["eventId"]]
    assert result["changes"] == results({pair("100", "S2"), pair("100", "S3")}) and result["changed"] is True
    assert result["failures"] == []
    assert result["error"] == (
        "Apple's service is temporarily unavailable (Apple error 9729) (gave up after 2 retries) after Apple accepted 1 request(s); "
        "follow their events with assetops.licensing.vpp_event_info; 2 pair(s) assigned; see failures and events")
    # three status looks (the first and two retries), then one read of the pairs, and nothing sent again
    assert requests_after_first_post(sim) == [("GET", "/status")] * 3 + [("GET", "/assignments")]
    assert len(posts(sim)) == 1


def test_a_revoke_whose_status_looks_fail_reports_what_apple_took(build, apple, clock):
    sim = revoke_location(apple)
    sim.add_faults(STATUS_OUTAGE)
    result = revoke(build(sim), clock, serials=["S1"], users=["u1"])
    assert len(accepted(sim)) == 2
    revoked = {pair("100", "S1"), pair("200", "S1", pricing="PLUS"), pair("100", "u1", USER)}
    assert result["revoked"] == results(revoked) and result["changed"] is True and result["failures"] == []
    assert "3 pair(s) revoked" in result["error"]
    assert result["diff"]["after"] == {"user u1": ["300 (STDQ)"]}
    assert [path for _method, path in requests_after_first_post(sim) if path == "/assignments"] == ["/assignments"]  # one small walk


def test_when_the_read_back_fails_too_nothing_is_claimed(build, apple, clock):
    sim = small_location(apple)
    # every read fails once the write is taken: the status looks and the read-back
    sim.add_faults(STATUS_OUTAGE, {"method": "GET", "path": PREFIX + "/assignments", "after": 1, "kind": "status", "status": 502,
                                   "html": True, "count": None})
    result = assign(build(sim), clock, ["100"], serials=["S2", "S3"])
    assert [entry["status"] for entry in sim.log() if entry["path"] == PREFIX + "/assignments"] == [200, 502]  # one before the write
    assert held(sim) >= {held_pair("100", "S2"), held_pair("100", "S3")}  # Apple did it, but the task cannot see it
    assert result["changes"] == [] and result["changed"] is False
    [unknown] = result["failures"]
    assert (unknown["serial_numbers"], unknown["adam_ids"], unknown["event_id"]) == (["S2", "S3"], ["100"], result["events"][0]["event_id"])
    assert unknown["error_message"].startswith("outcome unknown: could not read back what Apple holds (Apple (or a proxy) answered HTTP 502")
    assert ("could not read back 2 pair(s) (Apple (or a proxy) answered HTTP 502 with a non-JSON body (gave up after 0 retries)): "
            "outcome unknown") in result["error"]
    assert result["error"].endswith("1 failure(s): serials S2, S3 (100 STDQ) outcome unknown; 0 pair(s) assigned; see failures and events")
    assert len(posts(sim)) == 1


def test_a_lost_answer_whose_read_back_fails_is_reported_not_raised(build, apple, clock):
    sim = small_location(apple)
    sim.add_faults({"method": "POST", "path": PREFIX + ASSOCIATE, "kind": "drop_after"},
                   {"method": "GET", "path": PREFIX + "/assignments", "after": 1, "kind": "status", "status": 503, "errorNumber": 9729,
                    "count": None})
    result = assign(build(sim, drop_error=httpx.ReadError), clock, ["100"], serials=["S2"])
    assert len(posts(sim)) == 1 and result["events"] == []
    assert result["changes"] == [] and result["changed"] is False
    [unknown] = result["failures"]
    assert unknown["serial_numbers"] == ["S2"] and unknown["error_message"].startswith("outcome unknown: could not read back")
    assert result["error"].startswith("could not read back 1 pair(s) (Apple's service is temporarily unavailable (Apple error 9729)")
    assert len([path for _method, path in requests_after_first_post(sim) if path == "/assignments"]) == 1  # read once, not again


def test_a_lost_answer_and_an_unfollowed_event_share_one_read_back(build, apple, clock, monkeypatch):
    monkeypatch.setattr(plan, "MAX_PARALLEL_REQUESTS", 1)
    sim = small_location(apple, limits={"maxSerialNumbers": 2})
    # the first write is applied and its answer lost; the second is answered; then no status look succeeds
    sim.add_faults({"method": "POST", "path": PREFIX + ASSOCIATE, "kind": "drop_after"}, STATUS_OUTAGE)
    result = assign(build(sim, drop_error=httpx.ReadError), clock, ["100"], serials=["S2", "S3", "S4", "S5"])
    assert len(posts(sim)) == 2 and len(accepted(sim)) == 2  # nothing resent
    assert result["changes"] == results({pair("100", s) for s in ("S2", "S3", "S4", "S5")}) and result["failures"] == []
    assert [path for _method, path in requests_after_first_post(sim) if path == "/assignments"] == ["/assignments"]
    assert "4 pair(s) assigned" in result["error"] and "after Apple accepted 1 request(s)" in result["error"]


def test_a_failed_event_whose_counts_name_no_pair_is_read_back(build, apple, clock):
    """Apple's status says FAILED, 1 of 2 done, and names no failure: which pair was done is read back."""
    sim = small_location(apple, users=["u1", "ghost"])
    retire_at_first_write(sim, "ghost")  # past the user pre-flight: the simulator does u1 only
    sim.add_faults({"method": "GET", "path": PREFIX + "/status", "kind": "status", "status": 200,
                    "body": {"eventStatus": "FAILED", "eventType": "ASSOCIATE", "numRequested": 2, "numCompleted": 1}})
    result = assign(build(sim), clock, ["100"], users=["u1", "ghost"])
    assert result["changes"] == results({pair("100", "u1", USER)}) and result["changed"] is True
    [unnamed] = result["failures"]
    assert (unnamed["client_user_ids"], unnamed["error_message"]) == (["ghost"], "the event ended FAILED without naming a failure")
    assert result["error"] == ("1 failure(s): user ghost (100 STDQ) the event ended FAILED without naming a failure; "
                               "1 pair(s) assigned; see failures and events")


def test_failures_that_account_for_the_counts_need_no_read_back(build, apple, clock):
    sim = small_location(apple, users=["u1", "ghost-9"])
    retire_at_first_write(sim, "ghost-9")
    result = assign(build(sim), clock, ["100"], users=["u1", "ghost-9"])
    assert result["changes"] == results({pair("100", "u1", USER)})
    assert [path for _method, path in requests_after_first_post(sim)] == ["/status"]


# -- the one-line message names the failures ---------------------------------------------------------

def test_an_unknown_user_is_named_in_the_message(build, apple, clock):
    sim = location(apple, [asset("361309726")], users=["u1", "ghost-9"])
    retire_at_first_write(sim, "ghost-9")
    result = assign(build(sim), clock, ["361309726"], users=["ghost-9"])
    assert result["error"] == (
        "1 failure(s): user ghost-9 (361309726 STDQ) Apple error 9609: the user is not registered in this location: "
        "create the user first (vpp_user); 0 pair(s) assigned; see failures and events")
    assert result["changed"] is False and result["changes"] == []


def test_the_message_names_three_failures_and_counts_the_rest(build, apple, clock):
    ghosts = ["g{0}".format(number) for number in range(1, 6)]
    sim = small_location(apple, users=["u1"] + ghosts, limits={"maxClientUserIds": 1})  # one request, event, failure per user
    retire_at_first_write(sim, *ghosts)
    result = assign(build(sim), clock, ["100", "200"], users=["u1"] + ghosts)
    assert len(result["failures"]) == 5  # the structured list stays complete
    assert result["error"] == (
        "5 failure(s): user g1 (100 STDQ, 200 STDQ) Apple error 9609: the user is not registered in this location: create the user "
        "first (vpp_user), user g2 (100 STDQ, 200 STDQ) Apple error 9609, user g3 (100 STDQ, 200 STDQ) Apple error 9609 and 2 more; "
        "2 pair(s) assigned; see failures and events")


def test_many_targets_of_one_failure_are_named_up_to_three(build, apple, clock):
    sim = location(apple, [asset("100", total=2)])
    sim.add_faults({"method": "POST", "path": PREFIX + ASSOCIATE, "kind": "mutate", "action": "add_assignments", "adamId": "100", "count": 2})
    result = assign(build(sim), clock, ["100"], serials=["S1", "S2"])  # someone else takes both licenses first
    assert result["error"].startswith("1 failure(s): serials S1, S2 (100 STDQ) Apple error 9709: not enough licenses")
    sim = location(apple, [asset("100", total=5)])
    sim.add_faults({"method": "POST", "path": PREFIX + ASSOCIATE, "kind": "mutate", "action": "add_assignments", "adamId": "100", "count": 5})
    result = assign(build(sim), clock, ["100"], serials=["S1", "S2", "S3", "S4", "S5"])
    assert result["error"].startswith("1 failure(s): serials S1, S2, S3 and 2 more (100 STDQ) Apple error 9709: not enough licenses")
    assert result["failures"][0]["serial_numbers"] == ["S1", "S2", "S3", "S4", "S5"]


# -- the diff's first line ------------------------------------------------------------------------

def pairs_for(adam_ids, serials=(), users=()):
    return {pair(adam_id, serial) for adam_id in adam_ids for serial in serials} | {pair(adam_id, user, USER) for adam_id in adam_ids for user in users}


APPS = {"100": "App", "200": "App", "300": "Book"}
DEVICES_200 = ["D{0}".format(number) for number in range(200)]


@pytest.mark.parametrize("action, pairs, check_mode, expected", [
    ("assign", pairs_for(["100", "200"], DEVICES_200), True, "would assign 400 pairs to 200 devices (2 apps)"),
    ("assign", pairs_for(["100", "200"], DEVICES_200), False, "assigned 400 pairs to 200 devices (2 apps)"),
    ("assign", pairs_for(["100", "200"], ["S1", "S2", "S3"], ["u1"]), True, "would assign 8 pairs to 3 devices and 1 user (2 apps)"),
    ("assign", pairs_for(["300"], users=["u1"]), False, "assigned 1 pair to 1 user (1 book)"),
    ("assign", pairs_for(["100", "300"], users=["u1", "u2"]), True, "would assign 4 pairs to 2 users (1 app, 1 book)"),
    ("assign", pairs_for(["100", "999"], ["S1"]), True, "would assign 2 pairs to 1 device (1 app, 1 asset)"),  # 999: type unknown
    ("take back", pairs_for(["100"], ["S1", "S2"]), True, "would take back 2 pairs from 2 devices (1 app)"),
    ("take back", pairs_for(["100"], ["S1", "S2"]), False, "took back 2 pairs from 2 devices (1 app)"),
    ("revoke", pairs_for(["100", "200"], ["S1"], ["u1"]), True, "would revoke 4 pairs from 1 device and 1 user (2 apps)"),
    ("revoke", pairs_for(["100", "200"], ["S1"], ["u1"]), False, "revoked 4 pairs from 1 device and 1 user (2 apps)"),
    ("assign", set(), True, "nothing to assign"),
    ("take back", set(), False, "nothing taken back"),
    ("revoke", set(), False, "nothing revoked"),
])
def test_diff_summary_counts_pairs_targets_and_assets(action, pairs, check_mode, expected):
    assert writes.diff_summary(action, pairs, check_mode, product_types=APPS) == expected


def test_diff_summary_without_waiting_says_so():
    summary = writes.diff_summary("assign", pairs_for(["100"], ["S1", "S2"]), waited=False, product_types=APPS)
    assert summary == "asked Apple to assign 2 pairs to 2 devices (1 app), not waited for"


def test_check_mode_diff_opens_with_the_summary_and_its_scope(build, apple, clock):
    sim = small_location(apple)
    result = assign(build(sim, read_only=True), clock, ["100", "200"], serials=["S1", "S2"], users=["u1"], check_mode=True)
    assert result["diff"]["before_header"] == "would assign 5 pairs to 2 devices and 1 user (2 apps); only the task's apps are shown"


def test_absent_diff_says_the_empty_after_is_only_the_tasks_apps(build, apple, clock):
    sim = small_location(apple)
    result = assign(build(sim), clock, ["100", "200"], serials=["S1", "S9"], state="absent")
    assert result["diff"]["after"] == {}  # not "S1 and S9 hold nothing": the header says what {} covers
    assert result["diff"]["before_header"] == "took back 2 pairs from 2 devices (2 apps); only the task's apps are shown"


def test_a_partly_failed_run_summarises_what_was_done(build, apple, clock):
    sim = small_location(apple, users=["u1", "u2", "u3"])
    retire_at_first_write(sim, "u3")
    result = assign(build(sim), clock, ["100", "200"], users=["u1", "u2", "u3"])
    assert result["diff"]["before_header"] == "assigned 4 pairs to 2 users (2 apps); only the task's apps are shown"


def test_wait_false_diff_says_it_was_not_waited_for(build, apple, clock):
    sim = small_location(apple)
    result = assign(build(sim), clock, ["100"], serials=["S2", "S3"], wait=False)
    assert result["diff"]["before_header"].startswith("asked Apple to assign 2 pairs to 2 devices (1 app), not waited for; ")


def test_revoke_diff_says_it_shows_everything_the_targets_hold(build, apple, clock):
    sim = revoke_location(apple)
    check = revoke(build(sim, read_only=True), clock, serials=["S1", "S2"], users=["u1", "u2"], check_mode=True)
    assert check["diff"]["before_header"] == (
        "would revoke 3 pairs from 1 device and 1 user (2 apps); every asset the named devices and users hold is shown")
    done = revoke(build(sim), clock, serials=["S1", "S2"], users=["u1", "u2"])
    assert done["diff"]["before_header"].startswith("revoked 3 pairs from 1 device and 1 user (2 apps); ")
    assert done["diff"]["after"] == {"user u1": ["300 (STDQ)"], "user u2": ["300 (STDQ)"]}  # the Book stays, and shows
    nothing = revoke(build(sim), clock, serials=["S1"])
    assert nothing["diff"]["before_header"] == "nothing revoked; every asset the named devices and users hold is shown"


# -- assign with assignments: several groups in one run --------------------------------------------

def assign_groups(client, clock, groups, **options):
    assert (client.clock, client.sleep) == (clock, clock.sleep)
    full = [dict({"pricing_param": "STDQ", "serial_numbers": None, "client_user_ids": None}, **group) for group in groups]
    return writes.assign(client, task(adam_ids=None, pricing_param="STDQ", serial_numbers=None, client_user_ids=None,
                                      assignments=full, state="present", **options))


def test_groups_mixing_stdq_and_plus_share_one_read_and_the_fewest_requests(build, apple, clock):
    sim = location(apple, [asset("100"), asset("300", pricing="PLUS")], [assignment("100", serial="S1")])
    result = assign_groups(build(sim), clock, [
        {"adam_ids": ["100"], "serial_numbers": ["S1", "S2"]},
        {"adam_ids": ["300"], "pricing_param": "PLUS", "serial_numbers": ["S1", "S2"]},
    ])
    assert result["error"] is None
    assert result["changes"] == results({pair("100", "S2"), pair("300", "S1", pricing="PLUS"), pair("300", "S2", pricing="PLUS")})
    assert len(requests_to(sim, "/assets")) == 1  # one read of the assets for every group
    asset_reads = requests_to(sim, "/assets")
    assert "pricingParam" not in asset_reads[0]  # the groups mix pricing params: no filter
    # (100 STDQ) x [S2] and (300 PLUS) x [S1, S2] need two rectangles
    assert len(posts(sim)) == 2
    assert sorted(accepted_pairs(sim, ASSOCIATE)) == sorted({pair("100", "S2"), pair("300", "S1", pricing="PLUS"),
                                                             pair("300", "S2", pricing="PLUS")})


def test_groups_with_the_same_targets_go_in_one_request(build, apple, clock):
    sim = location(apple, [asset("100"), asset("300", pricing="PLUS")])
    assign_groups(build(sim), clock, [
        {"adam_ids": ["100"], "serial_numbers": ["S1", "S2"]},
        {"adam_ids": ["300"], "pricing_param": "PLUS", "serial_numbers": ["S2", "S1"]},
    ])
    assert len(posts(sim)) == 1
    assert sorted(accepted_pairs(sim, ASSOCIATE)) == sorted(pair(adam, serial, pricing=pricing) for adam, pricing in
                                                            (("100", "STDQ"), ("300", "PLUS")) for serial in ("S1", "S2"))


def test_groups_are_checked_together_before_any_write(build, apple, clock):
    sim = location(apple, [asset("100", total=3)], [])  # none assigned: 3 available
    with pytest.raises(PreflightError) as caught:
        assign_groups(build(sim), clock, [
            {"adam_ids": ["100"], "serial_numbers": ["S1", "S2"]},
            {"adam_ids": ["100"], "serial_numbers": ["S3", "S4"]},  # alone each group fits; together they need 4 of 3
        ])
    assert posts(sim) == []
    assert caught.value.details["shortages"] == [{"adam_id": "100", "pricing_param": "STDQ", "needed": 4, "available": 3}]


def test_groups_name_missing_assets_per_pricing_param(build, apple, clock):
    sim = location(apple, [asset("100")], [])
    with pytest.raises(PreflightError) as caught:
        assign_groups(build(sim), clock, [
            {"adam_ids": ["100", "999"], "serial_numbers": ["S1"]},
            {"adam_ids": ["100"], "pricing_param": "PLUS", "serial_numbers": ["S1"]},
        ])
    assert posts(sim) == []
    assert caught.value.message.startswith("not in this location with pricing_param STDQ: 999; with pricing_param PLUS: 100;")
    assert caught.value.details["missing_adam_ids"] == ["999", "100"]
