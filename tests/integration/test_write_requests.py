"""The request counts the vpp_assignment and vpp_user targets assert, checked against the planners and an exhaustive search.

targets/vpp_assignment asserts that the simulator saw 9 and then 6 associate POSTs under maxAssets 2 and
maxSerialNumbers 3. Those numbers are computed by hand in the target; here they are tied to
plan.plan_requests (what the module sends) and to the true minimum, found by trying every exact cover
of the pairs by requests (asset set x device set, within the limits, no pair twice, none extra).
No simulator is needed: these are checks of the numbers, the target checks the requests.
"""
from __future__ import annotations

from typing import List, Set, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.vpp import plan, user_plan
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import Assignment

MAX_ASSETS = 2
MAX_SERIALS = 3
LIMITS = {Assignment.SERIAL: MAX_SERIALS, Assignment.USER: 1000}

# The data of targets/vpp_assignment/vars/main.yml.
CHUNK_APPS = ["361309726", "361285480", "361304891", "408709785", "1000000003"]
CHUNK_SERIALS = ["CH-{0}".format(number) for number in range(1, 8)]
SIXTH_APP = "497799835"
MORE_SERIALS = ["CH-8", "CH-9"]

Pair = Tuple[str, str]  # (adam_id, serial)


def pairs_of(apps: List[str], serials: List[str]) -> Set[Pair]:
    return {(app, serial) for app in apps for serial in serials}


def planned_requests(pairs: Set[Pair]) -> list:
    return plan.plan_requests([Assignment(app, "STDQ", Assignment.SERIAL, serial) for app, serial in pairs], MAX_ASSETS, LIMITS)


def _partitions(items: Tuple[str, ...]) -> List[Tuple[Tuple[str, ...], ...]]:
    """Every way to split ``items`` into blocks of at most MAX_ASSETS (here 2) assets."""
    if not items:
        return [()]
    first, rest = items[0], items[1:]
    result = [((first,),) + tail for tail in _partitions(rest)]
    for index, other in enumerate(rest):
        result += [((first, other),) + tail for tail in _partitions(rest[:index] + rest[index + 1:])]
    return result


def minimum_requests(pairs: Set[Pair]) -> int:
    """The fewest requests that send exactly ``pairs`` within the limits, by exhaustive search.

    In an exact plan the requests a device appears in split the assets it needs into blocks of at most
    MAX_ASSETS; a block shared by n devices costs ceil(n / MAX_SERIALS) requests. So the minimum is the
    least, over one split per device, of the sum of those costs. Devices that need the same assets are
    interchangeable, so each group of them takes a multiset of splits; the cost only grows as devices
    are added, which prunes the search.
    """
    needs: dict = {}
    for app, serial in pairs:
        needs.setdefault(serial, set()).add(app)
    groups: dict = {}
    for serial, apps in needs.items():
        groups.setdefault(tuple(sorted(apps)), []).append(serial)
    work = [(_partitions(apps), len(serials)) for apps, serials in groups.items()]
    best = [sum(len(apps) * len(serials) for apps, serials in groups.items())]  # one request per pair

    def cost(counts: dict) -> int:
        return sum(-(-count // MAX_SERIALS) for count in counts.values())

    def search(group: int, start: int, left: int, counts: dict) -> None:
        if cost(counts) >= best[0]:
            return
        if group == len(work):
            best[0] = cost(counts)
            return
        splits, _size = work[group]
        if left == 0:
            search(group + 1, 0, work[group + 1][1] if group + 1 < len(work) else 0, counts)
            return
        for index in range(start, len(splits)):
            for block in splits[index]:
                counts[block] = counts.get(block, 0) + 1
            search(group, index, left - 1, counts)
            for block in splits[index]:
                counts[block] -= 1

    search(0, 0, work[0][1], {})
    return best[0]


def check_batches(batches: list, pairs: Set[Pair]) -> None:
    sent = [(adam_id, serial) for batch in batches for (adam_id, _pricing) in batch.assets for serial in batch.targets]
    assert len(sent) == len(set(sent)), "a pair is sent twice"
    assert set(sent) == pairs
    assert all(len(batch.assets) <= MAX_ASSETS and len(batch.targets) <= MAX_SERIALS for batch in batches)


def test_uniform_set_needs_nine_requests():
    pairs = pairs_of(CHUNK_APPS, CHUNK_SERIALS)
    batches = planned_requests(pairs)
    check_batches(batches, pairs)
    assert len(batches) == 9 == -(-len(CHUNK_APPS) // MAX_ASSETS) * -(-len(CHUNK_SERIALS) // MAX_SERIALS)
    assert minimum_requests(pairs) == 9


def test_two_level_set_needs_six_requests():
    pairs = pairs_of([SIXTH_APP], CHUNK_SERIALS) | pairs_of(CHUNK_APPS + [SIXTH_APP], MORE_SERIALS)
    assert len(pairs) == 19
    batches = planned_requests(pairs)
    check_batches(batches, pairs)
    assert len(batches) == 6
    assert minimum_requests(pairs) == 6
    # the planner's lower bound is a bound, not the minimum, for this set
    assert plan.request_lower_bound(
        [Assignment(app, "STDQ", Assignment.SERIAL, serial) for app, serial in pairs], MAX_ASSETS, LIMITS) <= 6


# targets/vpp_user: seven new users under maxUsers 3; targets/vpp_assignment: one user among the targets.
SEVEN_USERS = ["new-{0}".format(number) for number in range(1, 8)]
MAX_USERS = 3


def test_seven_users_need_three_create_requests():
    """targets/vpp_user asserts 3 creates: the fewest any client can send (one user per slot, maxUsers a request)."""
    changes = user_plan.plan_changes([user_plan.User(user) for user in SEVEN_USERS], {}, "present")
    requests = user_plan.plan_requests(changes, MAX_USERS)
    assert len(requests) == 3 == -(-len(SEVEN_USERS) // MAX_USERS)
    assert sorted(len(chunk) for _action, chunk in requests) == [2, 2, 3]


def test_the_user_preflight_read_is_in_the_bound_only_when_users_are_named():
    """targets/vpp_assignment asserts one GET /users for its one user (the Main seed's users fit one page), none
    for a run that names no user or has nothing to change; that is the read's lower bound."""
    assert user_plan.read_lower_bound(1, 1) == 1
    assert user_plan.read_lower_bound(0, 1) == 0
    # many users on a small location: the walk's pages, not one query each
    assert user_plan.read_lower_bound(40, 2) == 2
