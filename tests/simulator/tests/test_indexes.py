"""The assignment indexes against the plain filter they replace: after random writes, every filter of
GET /assignments and every page of it hold exactly what a filter over all assignments in order holds."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from unittest import mock

from hypothesis import given, settings, strategies as st

from tests.simulator import ordered
from tests.simulator.ordered import IndexView, MergedView, OrderedIndex
from tests.simulator.state import SERIAL, USER, Location, load_location

ASSETS = [("1", "STDQ"), ("2", "STDQ"), ("2", "PLUS"), ("3", "STDQ"), ("4", "STDQ")]  # "4" is a Book: users only
SERIALS = [f"S{number}" for number in range(6)]
USERS = [f"u{number}" for number in range(4)]
TARGETS = [(SERIAL, serial) for serial in SERIALS] + [(USER, user) for user in USERS]
SMALL_BLOCK = 3  # blocks of 3 keys: the small sets here span many blocks


def new_location() -> Location:
    assets: list[dict[str, Any]] = [{"adamId": adam_id, "pricingParam": pricing, "totalCount": 8} for adam_id, pricing in ASSETS[:4]]
    assets.append({"adamId": "4", "productType": "Book", "totalCount": 8})
    seed = {
        "name": "Idx", "uId": "1", "token": {"token": "idx"}, "assets": assets,
        "users": [{"clientUserId": user} for user in USERS],
        "assignments": [{"adamId": "1", "serialNumber": "S0"}, {"adamId": "2", "pricingParam": "PLUS", "serialNumber": "S1"},
                        {"adamId": "4", "clientUserId": "u0"}],
    }
    return load_location(seed, datetime.now(timezone.utc))


pairs_write = st.tuples(st.sampled_from(["ASSOCIATE", "DISASSOCIATE"]), st.lists(st.sampled_from(ASSETS), min_size=1, max_size=3, unique=True),
                        st.lists(st.sampled_from(TARGETS), min_size=1, max_size=4, unique=True))
revoke = st.tuples(st.just("REVOKE"), st.lists(st.sampled_from(TARGETS), min_size=1, max_size=3, unique=True))
fault = st.one_of(
    st.tuples(st.just("retire"), st.sampled_from(USERS)),
    st.tuples(st.just("create"), st.sampled_from(USERS)),
    st.tuples(st.just("remove_oldest"), st.integers(1, 4)),
    st.tuples(st.just("add_foreign"), st.integers(1, 3)),
    st.tuples(st.just("remember_version"),),
)
operations = st.lists(st.one_of(pairs_write, revoke, fault), max_size=25)


def apply(location: Location, operation: tuple[Any, ...], versions: list[str]) -> None:
    kind = operation[0]
    if kind in ("ASSOCIATE", "DISASSOCIATE"):
        location.submit(kind, {"assets": operation[1], "targets": operation[2]}, len(operation[1]) * len(operation[2]), 0, now=0)
    elif kind == "REVOKE":
        location.submit(kind, {"targets": operation[1]}, len(operation[1]), 0, now=0)
    elif kind == "retire":
        location.retire_user_now(operation[1])
    elif kind == "create":
        location.create_user_now(operation[1])
    elif kind == "remove_oldest":
        location.remove_oldest_assignments(operation[1])
    elif kind == "add_foreign":
        location.add_foreign_assignments(operation[1], "1")
    else:
        versions.append(location.version_id)
    location.settle(now=1)


def plain_filter(location: Location, adam_id: str | None, pricing: str | None, targets: list[tuple[str, str]], since: str | None,
                 exclude_inactive: bool) -> list[tuple[str, str, str, str]]:
    """What the simulator did before it had indexes: one pass over every assignment, in the order they were added."""
    floor = None if since is None else location.version_number(since)
    return [key for key, version in location.assignments.items()
            if (floor is None or version > floor) and adam_id in (None, key[0]) and pricing in (None, key[1])
            and all(key[2:] == target for target in targets)
            and not (exclude_inactive and key[2] == USER and not location.active_user(key[3]))]


TARGET_FILTERS: list[list[tuple[str, str]]] = [[], [(SERIAL, "S0")], [(SERIAL, "S3")], [(USER, "u1")], [(SERIAL, "S1"), (USER, "u1")]]


@settings(max_examples=150, deadline=None)
@given(ops=operations, page_size=st.integers(1, 4))
def test_indexed_filters_match_the_plain_filter(ops: list[tuple[Any, ...]], page_size: int) -> None:
    with mock.patch.object(ordered, "BLOCK", SMALL_BLOCK):
        location = new_location()
        versions: list[str] = []
        for operation in ops:
            apply(location, operation, versions)
        assert sum(location.assigned.values()) == len(location.assignments)
        for adam_id in (None, "1", "2", "4", "9"):
            for pricing in (None, "STDQ", "PLUS"):
                for targets in TARGET_FILTERS:
                    for since in [None, *versions[-2:]]:
                        for exclude in (False, True):
                            expected = plain_filter(location, adam_id, pricing, targets, since, exclude)
                            selected = location.select_assignments(adam_id, pricing, targets, since, exclude)
                            assert len(selected) == len(expected)
                            pages = [list(selected[start:start + page_size]) for start in range(0, len(expected), page_size)]
                            assert pages == [expected[start:start + page_size] for start in range(0, len(expected), page_size)]
        assert location.assignments_since(None) == list(location.assignments)


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.one_of(st.tuples(st.just("add"), st.integers(1, 40)), st.tuples(st.just("remove"), st.integers(0, 200))), max_size=80),
       start=st.integers(-2, 120), stop=st.integers(-2, 130))
def test_ordered_index_matches_a_list(steps: list[tuple[str, int]], start: int, stop: int) -> None:
    with mock.patch.object(ordered, "BLOCK", SMALL_BLOCK):
        index, model, seq = OrderedIndex(), [], 0
        for action, amount in steps:
            if action == "add":
                for _step in range(amount):
                    index.append(seq, f"k{seq}")
                    model.append(seq)
                    seq += 1
            else:
                expected = amount in model
                assert index.remove(amount) is expected
                if expected:
                    model.remove(amount)
        assert len(index) == len(model) and list(index) == [f"k{number}" for number in model]
        assert index.slice(start, stop) == [f"k{number}" for number in model[max(start, 0):max(stop, 0)]]
        assert index.rank(start) == len([number for number in model if number < start])
        view = IndexView(index, min(max(start, 0), len(model)))
        assert view[0:len(view)] == [f"k{number}" for number in model[max(start, 0):]]


@settings(max_examples=200, deadline=None)
@given(owners=st.lists(st.booleans(), max_size=60), removed=st.sets(st.integers(0, 59)), starts=st.tuples(st.integers(0, 30), st.integers(0, 30)),
       start=st.integers(0, 70), size=st.integers(1, 8))
def test_merged_view_matches_a_sorted_merge(owners: list[bool], removed: set[int], starts: tuple[int, int], start: int, size: int) -> None:
    with mock.patch.object(ordered, "BLOCK", SMALL_BLOCK):
        indexes = (OrderedIndex(), OrderedIndex())
        for seq, second in enumerate(owners):  # seq n goes to one of the two indexes; some are removed again
            indexes[second].append(seq, seq)
        for seq in removed:
            if seq < len(owners):
                indexes[owners[seq]].remove(seq)
        starts = (min(starts[0], len(indexes[0])), min(starts[1], len(indexes[1])))
        view = MergedView(indexes[0], indexes[1], lambda key: key, starts)
        expected = sorted(list(indexes[0])[starts[0]:] + list(indexes[1])[starts[1]:])
        assert len(view) == len(expected)
        assert all(view[first:first + size] == expected[first:first + size] for first in range(len(expected) + 1))
        assert view[start:start + size] == expected[start:start + size]
