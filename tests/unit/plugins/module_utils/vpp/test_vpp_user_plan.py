"""The users planner (changes, requests, predictions, failed users, read bound) checked as properties."""
from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.assetops.licensing.plugins.module_utils.vpp import user_plan
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.user_plan import CREATE, RETIRE, UPDATE, Change, User

IDS = ["u{0}".format(number) for number in range(12)]
EMAILS = [None, "a@example.org", "b@example.org"]
MANAGED = [None, "a@appleid.example.org", "b@appleid.example.org"]
STATUSES = ["Registered", "Associated", "Retired"]

wanted_st = st.lists(st.builds(User, st.sampled_from(IDS), st.sampled_from(EMAILS), st.sampled_from(MANAGED)),
                     max_size=12, unique_by=lambda user: user.client_user_id)
held_st = st.dictionaries(st.sampled_from(IDS), st.tuples(st.sampled_from(EMAILS), st.sampled_from(MANAGED), st.sampled_from(STATUSES))).map(
    lambda found: {user: User(user, email, managed, status) for user, (email, managed, status) in found.items()})
state_st = st.sampled_from(["present", "absent"])


def apply(held, changes):
    """What Apple holds once every change is done (the planner's own prediction)."""
    after = dict(held)
    for change in changes:
        after[change.user.client_user_id] = user_plan.after(held.get(change.user.client_user_id), change)
    return after


@given(wanted_st, held_st, state_st)
def test_done_changes_leave_nothing_to_do(wanted, held, state):
    changes = user_plan.plan_changes(wanted, held, state)
    assert user_plan.plan_changes(wanted, apply(held, changes), state) == []


@given(wanted_st, held_st, state_st)
def test_each_change_is_needed_and_of_the_right_kind(wanted, held, state):
    changes = user_plan.plan_changes(wanted, held, state)
    assert len({change.user.client_user_id for change in changes}) == len(changes)
    for change in changes:
        current = held.get(change.user.client_user_id)
        active = current is not None and current.active
        if state == "absent":
            assert change.action == RETIRE and active
        elif change.action == CREATE:
            assert not active
        else:
            assert change.action == UPDATE and active and not user_plan.reached(change, current)
    untouched = {user.client_user_id for user in wanted} - {change.user.client_user_id for change in changes}
    for user in untouched:  # what is left alone is already as wanted
        assert user_plan.reached(Change(RETIRE if state == "absent" else CREATE, next(u for u in wanted if u.client_user_id == user)),
                                 held.get(user))


@given(wanted_st, held_st, state_st)
def test_a_prediction_is_what_a_read_back_accepts(wanted, held, state):
    for change in user_plan.plan_changes(wanted, held, state):
        predicted = user_plan.after(held.get(change.user.client_user_id), change)
        assert user_plan.reached(change, predicted)
        if change.action != RETIRE:
            # a managed Apple ID associates at once; an update keeps a user associated some other way (idHash)
            current = held.get(change.user.client_user_id)
            kept = current.status if change.action != CREATE and current is not None else "Registered"
            assert predicted.status == ("Associated" if predicted.managed_apple_id else kept)


@given(wanted_st, held_st, state_st, st.integers(1, 5))
def test_requests_cover_each_change_once_one_kind_each_within_max_users(wanted, held, state, max_users):
    changes = user_plan.plan_changes(wanted, held, state)
    requests = user_plan.plan_requests(changes, max_users)
    sent = [change for _action, chunk in requests for change in chunk]
    assert sorted(sent) == sorted(changes)
    assert all(chunk and len(chunk) <= max_users and {change.action for change in chunk} == {action} for action, chunk in requests)
    fewest = sum(-(-sum(1 for change in changes if change.action == action) // max_users) for action in user_plan.ACTIONS)
    assert len(requests) == fewest


def test_seven_users_with_max_users_three_are_three_requests():
    changes = [Change(CREATE, User("u{0}".format(number))) for number in range(7)]
    assert [len(chunk) for _action, chunk in user_plan.plan_requests(changes, 3)] == [3, 2, 2]


def test_retire_bodies_hold_the_id_only():
    assert Change(RETIRE, User("u1", "a@example.org", "m@example.org")).body() == {"clientUserId": "u1"}
    assert Change(CREATE, User("u1", "a@example.org")).body() == {"clientUserId": "u1", "email": "a@example.org"}


def failure(*users):
    return SimpleNamespace(error_info=SimpleNamespace(client_user_ids=list(users)))


def status(event_status, requested, completed, failures=()):
    return SimpleNamespace(event_status=event_status, num_requested=requested, num_completed=completed, failures=list(failures))


def test_failed_users_follow_the_failures_and_else_the_counts():
    users = {"a", "b", "c"}
    assert user_plan.failed_users(users, status("COMPLETE", 3, 3)) == set()
    assert user_plan.failed_users(users, status("FAILED", 3, 2, [failure("b", "zz")])) == {"b"}
    assert user_plan.failed_users(users, status("FAILED", 3, 0, [failure()])) == users
    assert user_plan.failed_users(users, status("FAILED", 3, 1)) == users
    assert user_plan.failed_users(users, status("FAILED", 3, 3)) == set()


@given(st.integers(0, 50), st.integers(0, 50))
def test_the_read_bound_is_one_query_per_user_or_the_walk(named, pages):
    bound = user_plan.read_lower_bound(named, pages)
    assert bound == (0 if named == 0 else min(named, max(1, pages)))
    assert bound <= named


def test_merge_prefers_the_active_record_of_an_id():
    old, new = User("a", status="Retired"), User("a", "a@example.org", status="Registered")
    assert user_plan.merge_records([new, old]) == {"a": new} == user_plan.merge_records([old, new])


def test_invite_url_replaces_the_placeholder():
    assert user_plan.invite_url("https://x.example/i?c=%25inviteCode%25&mt=8", "abc") == "https://x.example/i?c=abc&mt=8"
    assert user_plan.invite_url(None, "abc") is None and user_plan.invite_url("https://x.example/%25inviteCode%25", None) is None
