"""vpp_reclaim: the pure plan (property tests) and the run against the simulator (in-process)."""
from __future__ import annotations

from itertools import combinations
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import plan, reclaim
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import Assignment
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.owner import OwnerError
from tests.utils.stokens import make_stoken
from tests.utils.vpp_seeds import LOCATION, asset, assignment

SERIAL, USER = Assignment.SERIAL, Assignment.USER
PREFIX = "/mdm/v2"
REVOKE, DISASSOCIATE = "/assets/revoke", "/assets/disassociate"
TOKEN = make_stoken()


def pair(adam_id, target, kind=SERIAL, pricing="STDQ"):
    return Assignment(adam_id, pricing, kind, target)


def limits(max_assets=25, max_targets=1000, max_revoke=100):
    return reclaim.Limits(max_assets, {SERIAL: max_targets, USER: max_targets}, {SERIAL: max_revoke, USER: max_revoke})


# -- pure: which pairs ----------------------------------------------------------------------------

ASSETS = ["1", "2", "3", "4"]
REVOCABLE = {("1", "STDQ"), ("2", "STDQ"), ("3", "PLUS")}  # "4" is a Book; "3" only revocable as PLUS
held_pairs = st.sets(st.builds(Assignment, st.sampled_from(ASSETS), st.sampled_from(["STDQ", "PLUS"]),
                               st.sampled_from([SERIAL, USER]), st.sampled_from(["a", "b", "c", "A"])), max_size=24)
keep_list = st.one_of(st.none(), st.lists(st.sampled_from(["a", "b", "c", "A", "x"]), unique=True, max_size=4))


@given(held_pairs, keep_list, keep_list, st.one_of(st.none(), st.lists(st.sampled_from(ASSETS), unique=True, max_size=3)))
def test_reclaim_pairs_are_exactly_the_revocable_pairs_of_dropped_targets(held, keep_serials, keep_users, adam_ids):
    keep = {SERIAL: keep_serials, USER: keep_users}
    taken = reclaim.reclaim_pairs(held, REVOCABLE, keep, adam_ids)
    for one in held:
        kept = keep[one.target_kind] is None or one.target_id in keep[one.target_kind]
        wanted = (not kept and (one.adam_id, one.pricing_param) in REVOCABLE and (adam_ids is None or one.adam_id in adam_ids))
        assert (one in taken) == wanted, one
    assert taken <= set(held)


def test_reclaim_pairs_compare_ids_exactly():
    held = {pair("1", "C02ABC"), pair("1", "c02abc"), pair("1", "C02ABC ")}
    assert reclaim.reclaim_pairs(held, {("1", "STDQ")}, {SERIAL: ["C02ABC"], USER: None}) == {pair("1", "c02abc"), pair("1", "C02ABC ")}


def test_an_empty_keep_list_keeps_none_and_a_missing_one_leaves_the_kind_alone():
    held = {pair("1", "S1"), pair("1", "u1", USER)}
    assert reclaim.reclaim_pairs(held, {("1", "STDQ")}, {SERIAL: [], USER: None}) == {pair("1", "S1")}
    assert reclaim.reclaim_pairs(held, {("1", "STDQ")}, {SERIAL: None, USER: []}) == {pair("1", "u1", USER)}


# -- pure: which requests -------------------------------------------------------------------------

def cost(pairs, revoked, lim):
    by_kind = {}
    for kind, target in revoked:
        by_kind.setdefault(kind, []).append(target)
    rest = {one for one in pairs if (one.target_kind, one.target_id) not in set(revoked)}
    return (len(plan.plan_revokes(list(revoked), lim.max_revoke_targets))
            + len(plan.plan_requests(rest, lim.max_assets, lim.max_targets)))


def brute_force(pairs, eligible, lim):
    """The fewest requests over every split of the eligible targets between revoke and disassociate."""
    targets = sorted({(one.target_kind, one.target_id) for one in pairs} & set(eligible))
    return min(cost(pairs, subset, lim) for size in range(len(targets) + 1) for subset in combinations(targets, size))


small_pairs = st.sets(st.builds(Assignment, st.sampled_from(["1", "2", "3"]), st.just("STDQ"),
                                st.sampled_from([SERIAL, USER]), st.sampled_from(["a", "b", "c", "d", "e", "f"])), max_size=18)
small_limits = st.builds(limits, st.integers(1, 3), st.integers(1, 3), st.integers(1, 4))


@settings(max_examples=150, deadline=None)
@given(small_pairs, small_limits, st.data())
def test_choose_requests_covers_exactly_the_pairs_with_the_fewest_requests(pairs, lim, data):
    targets = sorted({(one.target_kind, one.target_id) for one in pairs})
    eligible = set(data.draw(st.lists(st.sampled_from(targets), unique=True)) if targets else [])
    choice = reclaim.choose_requests(pairs, eligible, lim)
    assert set(choice.revoke_targets) <= eligible  # never a revoke that could take a pair outside the plan
    revoked = {one for one in pairs if (one.target_kind, one.target_id) in set(choice.revoke_targets)}
    assert revoked | set(choice.disassociate) == pairs and not revoked & set(choice.disassociate)
    assert len(choice.revoke_targets) == len(set(choice.revoke_targets))
    assert choice.requests == cost(pairs, choice.revoke_targets, lim)
    assert choice.requests == brute_force(pairs, eligible, lim)
    assert choice.requests >= (1 if pairs else 0)


def test_uniform_targets_are_disassociated_in_one_request_not_revoked_in_two():
    pairs = {pair("1", "S{0}".format(n)) for n in range(150)}
    choice = reclaim.choose_requests(pairs, {(SERIAL, one.target_id) for one in pairs}, limits())
    assert (choice.requests, choice.revoke_targets) == (1, [])


def test_targets_with_scattered_asset_sets_are_revoked():
    # 60 devices, each holding two of 30 apps in its own combination: one revoke request beats many disassociates.
    pairs = {pair(str(100 + (n + k) % 30), "S{0:02d}".format(n)) for n in range(60) for k in (0, n % 7 + 1)}
    targets = {(SERIAL, one.target_id) for one in pairs}
    assert reclaim.choose_requests(pairs, targets, limits()).requests == 1
    assert reclaim.choose_requests(pairs, targets, limits()).revoke_targets == sorted(targets)
    assert reclaim.choose_requests(pairs, set(), limits()).requests > 1  # what it costs without revoke


def test_many_targets_split_between_revoke_and_disassociate():
    # 500 devices with one app (one disassociate) and 40 with their own pair of apps (one revoke)
    pairs = {pair("1", "A{0:03d}".format(n)) for n in range(500)}
    pairs |= {pair(str(10 + n), "B{0:02d}".format(n)) for n in range(40)} | {pair(str(60 + n), "B{0:02d}".format(n)) for n in range(40)}
    choice = reclaim.choose_requests(pairs, {(SERIAL, one.target_id) for one in pairs}, limits())
    assert choice.requests == 2 and sorted(target for _kind, target in choice.revoke_targets) == ["B{0:02d}".format(n) for n in range(40)]


# -- input ----------------------------------------------------------------------------------------

def test_neither_keep_list_is_refused():
    with pytest.raises(InputError, match="give keep_serial_numbers, keep_client_user_ids or both"):
        reclaim.check_keep_lists(SimpleNamespace(keep_serial_numbers=None, keep_client_user_ids=None))
    reclaim.check_keep_lists(SimpleNamespace(keep_serial_numbers=[], keep_client_user_ids=None))


def test_negative_cap_is_refused():
    with pytest.raises(InputError, match="max_reclaims must be 0"):
        reclaim.clean_max_reclaims("max_reclaims", -1)
    assert reclaim.clean_max_reclaims("max_reclaims", 0) == 0


# -- the run against the simulator ------------------------------------------------------------------

class FakeTime:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.now += seconds


@pytest.fixture
def build(vpp_client):
    def make(sim, read_only=False, warnings=None):
        clock = FakeTime()
        return vpp_client(sim, token=TOKEN, read_only=read_only, sleep=clock.sleep, clock=clock,
                          warn=(warnings.append if warnings is not None else None))
    return make


def task(**options):
    return SimpleNamespace(**dict({"wait": True, "wait_timeout": 600, "poll_interval": 30, "resend_after": 600, "mdm_id": None,
                                   "check_mode": False, "keep_serial_numbers": None, "keep_client_user_ids": None, "adam_ids": None,
                                   "max_reclaims": 100}, **options))


def posts(sim):
    return [(entry["path"][len(PREFIX):], entry["body"]) for entry in sim.writes()]


def held(sim):
    return {(adam_id, pricing, SERIAL if kind == "serial" else USER, target) for adam_id, pricing, kind, target in sim.assignments(LOCATION)}


def taken_back(result):
    return {(record["adam_id"], record["pricing_param"], SERIAL if "serial_number" in record else USER,
             record.get("serial_number") or record.get("client_user_id")) for record in result["reclaimed"]}


SERIALS = ["DMP{0:03d}".format(n) for n in range(100)]
DROPPED = SERIALS[::10] + SERIALS[1::10] + SERIALS[2::10]  # 30 of 100
USERS = ["u{0}".format(n) for n in range(6)]


def inventory_location(apple, **settings):
    """100 devices hold App 100; every third also App 200 (PLUS) and the non-revocable custom App 400.
    Six users hold Book 300, and u0..u2 App 100 too."""
    assignments = [assignment("100", serial=s) for s in SERIALS]
    assignments += [assignment("200", pricing="PLUS", serial=s) for s in SERIALS[::3]]
    assignments += [assignment("400", serial=s) for s in SERIALS[::3]]
    assignments += [assignment("300", user=u) for u in USERS] + [assignment("100", user=u) for u in USERS[:3]]
    return apple([asset("100", total=200), asset("200", pricing="PLUS", total=100), asset("400", total=100, revocable=False),
                  asset("300", product="Book", total=10, device_assignable=False, revocable=False)],
                 assignments, USERS, pageSize=40, eventSeconds=0, **settings)


def expected_from_dropped():
    return ({("100", "STDQ", SERIAL, s) for s in DROPPED}
            | {("200", "PLUS", SERIAL, s) for s in DROPPED if s in SERIALS[::3]})


def test_dropping_30_of_100_devices_takes_back_exactly_their_revocable_licenses(apple, build):
    sim = inventory_location(apple)
    before = held(sim)
    keep = [s for s in SERIALS if s not in DROPPED]
    result = reclaim.reclaim(build(sim), task(keep_serial_numbers=keep))
    expected = expected_from_dropped()
    assert result["error"] is None and result["changed"] is True
    assert taken_back(result) == expected
    assert held(sim) == before - expected  # App 400 (not revocable), the Books and the users are untouched
    # disassociating App 100 from 30 devices and App 200 from 10 of them takes two requests (the pair matrix has
    # rank 2); one revoke of the 30 devices takes exactly their revocable licenses
    assert plan.request_lower_bound({Assignment(*one) for one in expected}, 25, {SERIAL: 1000, USER: 1000}) == 2
    assert len(posts(sim)) == 1 and posts(sim)[0][0] == REVOKE
    assert sorted(posts(sim)[0][1]["serialNumbers"]) == sorted(DROPPED)

    sim.clear_log()
    again = reclaim.reclaim(build(sim), task(keep_serial_numbers=keep))
    assert posts(sim) == [] and again["changed"] is False and again["reclaimed"] == [] and again["error"] is None


def test_check_mode_lists_exactly_what_would_be_taken_back_and_sends_nothing(apple, build):
    sim = inventory_location(apple)
    before = held(sim)
    keep = [s for s in SERIALS if s not in DROPPED]
    result = reclaim.reclaim(build(sim, read_only=True), task(keep_serial_numbers=keep, check_mode=True))
    assert posts(sim) == [] and held(sim) == before
    assert taken_back(result) == expected_from_dropped()
    assert result["changed"] is True and result["events"] == []
    assert result["diff"]["before"]["serial DMP000"] == ["100 (STDQ)", "200 (PLUS)"] and "serial DMP000" not in result["diff"]["after"]
    expected = expected_from_dropped()
    assert result["diff"]["before_header"] == "would take back {0} pairs from {1} devices (2 apps); {2}".format(
        len(expected), len(DROPPED), reclaim.RECLAIM_SHOWN)


def test_more_than_max_reclaims_fails_before_any_write_with_the_count(apple, build):
    sim = inventory_location(apple)
    before = held(sim)
    keep = [s for s in SERIALS if s not in DROPPED]
    with pytest.raises(reclaim.CapError) as caught:
        reclaim.reclaim(build(sim), task(keep_serial_numbers=keep, max_reclaims=39))
    assert caught.value.message.startswith("would take back 40 license(s) from 30 device(s) or user(s), more than max_reclaims 39: "
                                           "run with --check to see them")
    assert caught.value.details["would_reclaim"] == 40 and caught.value.details["reclaimed"] == []
    assert posts(sim) == [] and held(sim) == before


def test_the_cap_only_warns_in_check_mode_and_zero_means_no_cap(apple, build):
    sim = inventory_location(apple)
    warnings = []
    keep = [s for s in SERIALS if s not in DROPPED]
    result = reclaim.reclaim(build(sim, read_only=True, warnings=warnings), task(keep_serial_numbers=keep, max_reclaims=39, check_mode=True))
    assert len(result["reclaimed"]) == 40 and posts(sim) == []
    assert any("more than max_reclaims 39" in warning for warning in warnings)
    result = reclaim.reclaim(build(sim), task(keep_serial_numbers=[], max_reclaims=0))
    assert result["error"] is None and len(result["reclaimed"]) == 100 + 34


def test_users_are_reclaimed_only_when_their_keep_list_is_given_and_books_stay(apple, build):
    sim = inventory_location(apple)
    before = held(sim)
    result = reclaim.reclaim(build(sim), task(keep_client_user_ids=["u0"]))
    taken = {("100", "STDQ", USER, "u1"), ("100", "STDQ", USER, "u2")}
    assert taken_back(result) == taken
    assert held(sim) == before - taken
    assert all("serialNumbers" not in body for _path, body in posts(sim))


def test_adam_ids_restrict_the_reclaim_and_never_revoke(apple, build):
    sim = inventory_location(apple)
    before = held(sim)
    result = reclaim.reclaim(build(sim), task(keep_serial_numbers=SERIALS[3:], adam_ids=["200"]))
    taken = {("200", "PLUS", SERIAL, "DMP000")}
    assert taken_back(result) == taken
    assert held(sim) == before - taken  # DMP000..DMP002 keep App 100
    assert [path for path, _body in posts(sim)] == [DISASSOCIATE]


def test_uniform_dropped_devices_are_disassociated_in_one_request(apple, build):
    serials = ["S{0:03d}".format(n) for n in range(150)]
    sim = apple([asset("100", total=200)], [assignment("100", serial=s) for s in serials], [], pageSize=100, eventSeconds=0)
    result = reclaim.reclaim(build(sim), task(keep_serial_numbers=[], max_reclaims=0))
    assert len(result["reclaimed"]) == 150 and held(sim) == set()
    assert [path for path, _body in posts(sim)] == [DISASSOCIATE]  # a revoke would need two (maxRevokeSerialNumbers 100)


def test_revoke_and_disassociate_in_one_run(apple, build):
    # maxAssets 1: three devices holding two apps each cost two disassociates but one revoke; the user holding one app
    # is disassociated (revokes are one kind per request, so it would cost a request either way: ties go to disassociate).
    sim = apple([asset("100"), asset("200")],
                [assignment(a, serial=s) for a in ("100", "200") for s in ("S1", "S2", "S3")] + [assignment("100", user="u1")],
                ["u1"], pageSize=50, eventSeconds=0, limits={"maxAssets": 1})
    result = reclaim.reclaim(build(sim), task(keep_serial_numbers=[], keep_client_user_ids=[]))
    assert result["error"] is None and len(result["reclaimed"]) == 7 and held(sim) == set()
    assert sorted(path for path, _body in posts(sim)) == [DISASSOCIATE, REVOKE]
    assert len(result["events"]) == 2


def test_another_owners_location_is_refused_before_any_write(apple, build):
    sim = inventory_location(apple)
    with sim.api_client(LOCATION) as http:
        assert http.post("/client/config", json={"mdmInfo": {"id": "jamf-7781", "name": "Jamf Pro", "metadata": "v11"}}).status_code == 200
    sim.clear_log()
    with pytest.raises(OwnerError) as caught:
        reclaim.reclaim(build(sim), task(keep_serial_numbers=[]))
    assert caught.value.details["reclaimed"] == [] and posts(sim) == []


def test_nothing_to_take_back_sends_nothing(apple, build):
    sim = inventory_location(apple)
    result = reclaim.reclaim(build(sim), task(keep_serial_numbers=SERIALS, keep_client_user_ids=USERS))
    assert posts(sim) == [] and result["changed"] is False and result["reclaimed"] == []


def test_with_adam_ids_a_cheaper_revoke_is_not_used_because_it_would_take_other_apps(apple, build):
    # maxAssets 1: disassociating 100 and 200 takes two requests, a revoke one, but the revoke would also take 300
    sim = apple([asset("100"), asset("200"), asset("300")], [assignment(a, serial="S1") for a in ("100", "200", "300")], [],
                pageSize=50, eventSeconds=0, limits={"maxAssets": 1})
    result = reclaim.reclaim(build(sim), task(keep_serial_numbers=[], adam_ids=["100", "200"]))
    assert result["error"] is None and held(sim) == {("300", "STDQ", SERIAL, "S1")}
    assert [path for path, _body in posts(sim)] == [DISASSOCIATE, DISASSOCIATE]
