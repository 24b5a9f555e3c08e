"""The pure read-strategy functions, checked as properties."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.assetops.licensing.plugins.module_utils.vpp import plan

counts = st.integers(min_value=0, max_value=10_000)


@given(remaining=st.integers(min_value=-5, max_value=10_000), keyed=counts)
def test_prefer_full_walk_exactly_when_the_walk_costs_no_more(remaining, keyed):
    # the walk's remaining cost vs. at least one request per keyed query
    assert plan.prefer_full_walk(remaining, keyed) == (max(0, remaining) <= keyed)


@given(remaining=counts, keyed=counts, more=st.integers(min_value=1, max_value=100))
def test_prefer_full_walk_is_monotonic(remaining, keyed, more):
    if plan.prefer_full_walk(remaining, keyed):
        assert plan.prefer_full_walk(remaining, keyed + more)  # more keyed queries never make the walk worse
    if not plan.prefer_full_walk(remaining, keyed):
        assert not plan.prefer_full_walk(remaining + more, keyed)


def test_prefer_full_walk_examples():
    assert plan.prefer_full_walk(0, 0)  # a one-page location: nothing more to read
    assert plan.prefer_full_walk(3, 3)
    assert not plan.prefer_full_walk(4, 3)


@given(assets=counts, targets=counts)
def test_choose_assignment_read(assets, targets):
    choice = plan.choose_assignment_read(assets, targets)
    assert choice in (plan.WALK, plan.PER_TARGET, plan.PER_ASSET)
    if assets == 0 and targets == 0:
        assert choice == plan.WALK
    elif targets == 0:
        assert choice == plan.PER_ASSET
    elif assets == 0:
        assert choice == plan.PER_TARGET
    else:
        # a target's query is one page; an asset's may be many, so targets win whenever given
        assert choice == plan.PER_TARGET


@given(keyed=st.integers(min_value=0, max_value=1000))
def test_worth_probing_walk_only_with_several_keyed_queries(keyed):
    assert plan.worth_probing_walk(keyed) == (keyed > 1)


values = st.one_of(st.none(), st.booleans(), st.integers(-5, 10 ** 6), st.text(max_size=10))


@given(st.dictionaries(st.sampled_from(["adamId", "pricingParam", "revocable", "deviceAssignable", "productType", "x"]), values))
def test_server_filters(filters):
    params = plan.server_filters(**filters)
    assert set(params) == {name for name, value in filters.items() if value is not None}
    for name, text in params.items():
        value = filters[name]
        assert isinstance(text, str)
        if isinstance(value, bool):
            assert text == ("true" if value else "false")
        else:
            assert text == str(value)


def test_server_filters_booleans_are_lowercase():
    assert plan.server_filters(revocable=False, deviceAssignable=True, adamId=None, pricingParam="STDQ") == {
        "revocable": "false", "deviceAssignable": "true", "pricingParam": "STDQ"}


@given(st.lists(st.integers(min_value=0, max_value=20), max_size=60))
def test_unique_keeps_first_seen_order_without_repeats(items):
    result = plan.unique(items)
    assert len(result) == len(set(result)) and set(result) == set(items)
    assert result == sorted(set(items), key=items.index)
    assert plan.unique(result) == result


@given(st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from("xy")), max_size=30))
def test_unique_works_on_tuples_and_iterators(items):
    assert plan.unique(iter(items)) == plan.unique(items)


@given(value=st.integers(0, 9), wanted=st.one_of(st.none(), st.sets(st.integers(0, 9))))
def test_matches(value, wanted):
    assert plan.matches(value, wanted) == (wanted is None or value in wanted)


def test_five_at_once():
    assert plan.MAX_PARALLEL_REQUESTS == 5
