"""The per-pair loops rewritten for 500,000 pairs, checked as properties against the plain loops they replaced."""
from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError
from ansible_collections.assetops.licensing.plugins.module_utils.http import encode_json
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import models, plan, reads, snapshot, writes
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import clean_serial_numbers
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.records import Assignment, targets_of_kind

SERIAL, USER = Assignment.SERIAL, Assignment.USER
ADAM_IDS = ("100", "200", "300")
PRICINGS = ("STDQ", "PLUS")
TARGETS = ["T{0}".format(index) for index in range(8)]  # the same ids for both kinds, so a mix-up would show

pairs_st = st.builds(Assignment, st.sampled_from(ADAM_IDS), st.sampled_from(PRICINGS), st.sampled_from((SERIAL, USER)),
                     st.sampled_from(TARGETS))
pair_sets = st.sets(pairs_st, max_size=40)
group_st = st.tuples(st.lists(st.tuples(st.sampled_from(ADAM_IDS), st.sampled_from(PRICINGS)), max_size=4),
                     st.lists(st.sampled_from(TARGETS), max_size=6), st.lists(st.sampled_from(TARGETS), max_size=6))
groups_st = st.lists(group_st, max_size=4)
filter_ids = st.one_of(st.none(), st.lists(st.sampled_from(TARGETS), max_size=4))


def old_selected(found, adam_ids, pricing_param, serial_numbers, client_user_ids):
    """reads.find_assignments' filter before the rewrite."""
    targets_given = serial_numbers is not None or client_user_ids is not None
    wanted_assets = set(adam_ids) if adam_ids else None
    wanted_serials, wanted_users = set(serial_numbers or ()), set(client_user_ids or ())

    def wanted(pair):
        if not plan.matches(pair.adam_id, wanted_assets):
            return False
        if pricing_param and pair.pricing_param != pricing_param:
            return False
        if not targets_given:
            return True
        return pair.target_id in (wanted_serials if pair.target_kind == SERIAL else wanted_users)

    return sorted(pair for pair in plan.unique(found) if wanted(pair))


@given(groups_st)
def test_desired_in_order_is_the_union_of_the_groups_sorted(groups):
    desired = plan.desired_in_order(groups)
    expected = set()
    for assets, serials, users in groups:
        expected |= plan.desired_pairs(assets, serials, users)
    assert list(desired) == sorted(expected)
    assert all(isinstance(pair, Assignment) for pair in desired)


@given(groups_st, pair_sets, st.sampled_from(("present", "absent")))
def test_change_set_over_ordered_or_plain_desired_pairs(groups, held, state):
    desired = plan.desired_in_order(groups)
    expected = sorted(set(desired) - held if state == "present" else set(desired) & held)
    assert plan.change_set(desired, held, state) == expected
    assert plan.change_set(set(desired), list(held), state) == expected


@given(pair_sets)
def test_targets_of_kind(pairs):
    for kind in (SERIAL, USER):
        expected = {pair.target_id for pair in pairs if pair.target_kind == kind}
        assert targets_of_kind(pairs, kind) == expected
        assert targets_of_kind(list(pairs), kind) == expected


@given(pair_sets, st.lists(pairs_st, max_size=50), st.booleans())
def test_in_order_is_sorted_done_whatever_the_plan(done, planned, as_set):
    planned = set(planned) if as_set else planned
    assert writes.in_order(done, planned) == sorted(done)
    assert writes.in_order(done, sorted(done) + sorted(done)) == sorted(done)  # repeats in the plan


@given(pair_sets, st.randoms(use_true_random=False))
def test_batches_do_not_depend_on_the_order_of_the_pairs(pairs, rng):
    shuffled = list(pairs)
    rng.shuffle(shuffled)
    limits = {SERIAL: 3, USER: 2}
    expected = [(batch.kind, batch.assets, batch.targets) for batch in plan.plan_requests(sorted(pairs), 2, limits)]
    batches = plan.plan_requests(shuffled, 2, limits)
    assert [(batch.kind, batch.assets, batch.targets) for batch in batches] == expected
    for batch in batches:
        assert batch.pairs() == [Assignment(adam, pricing, batch.kind, target) for adam, pricing in batch.assets for target in batch.targets]
        assert batch.size == len(batch.pairs())


@given(st.lists(pairs_st, max_size=40), st.one_of(st.none(), st.lists(st.sampled_from(ADAM_IDS), max_size=2)),
       st.sampled_from((None, "", "STDQ", "PLUS")), filter_ids, filter_ids, st.booleans())
def test_selected_matches_the_old_filter(found, adam_ids, pricing_param, serial_numbers, client_user_ids, as_set):
    source = set(found) if as_set else dict.fromkeys(found)
    assert sorted(reads.selected(source, adam_ids, pricing_param, serial_numbers, client_user_ids)) == \
        old_selected(found, adam_ids, pricing_param, serial_numbers, client_user_ids)


@given(pair_sets)
def test_counts_match_a_plain_count(pairs):
    counts = {}
    for pair in pairs:
        counts[(pair.adam_id, pair.pricing_param)] = counts.get((pair.adam_id, pair.pricing_param), 0) + 1
    assert writes.asset_counts(pairs) == [{"adam_id": adam, "pricing_param": pricing, "count": count}
                                          for (adam, pricing), count in sorted(counts.items())]


@given(pair_sets, st.randoms(use_true_random=False))
def test_snapshot_round_trip_in_any_order(pairs, rng):
    ordered = list(pairs)
    rng.shuffle(ordered)
    encoded = snapshot.encode(ordered)
    assert encoded == snapshot.encode(sorted(pairs))
    assert snapshot.decode(encoded) == pairs


@settings(max_examples=50)
@given(st.lists(st.tuples(st.one_of(st.sampled_from(ADAM_IDS), st.integers(1, 999)), st.sampled_from(PRICINGS),
                          st.one_of(st.none(), st.sampled_from(TARGETS)), st.one_of(st.none(), st.sampled_from(TARGETS)),
                          st.booleans()), max_size=10))
def test_assignment_page_items_as_the_models_gave_them(rows):
    records = []
    for adam_id, pricing, serial, user, explicit_nulls in rows:
        record = {"adamId": adam_id, "pricingParam": pricing, "extra": 1}
        for key, value in (("serialNumber", serial), ("clientUserId", user)):
            if value is not None or explicit_nulls:
                record[key] = value
        records.append(record)
    items = models.AssignmentsPage.model_validate({"assignments": records, "totalPages": 1}).items
    expected = [Assignment(str(adam_id), pricing, SERIAL, serial) if serial is not None else Assignment(str(adam_id), pricing, USER, user or "")
                for adam_id, pricing, serial, user, _explicit in rows]
    assert items == expected and all(isinstance(item, Assignment) for item in items)


def test_whitespace_in_a_serial_number_is_still_refused():
    characters = [" ", "\t", "\u00a0", "\u2003", "\x1c", "\n"]
    for character in characters:
        value = "AB{0}CD".format(character)
        assert any(part.isspace() for part in value)
        with pytest.raises(InputError, match="a space inside|whitespace inside"):
            clean_serial_numbers("serial_numbers", [value])
    assert clean_serial_numbers("serial_numbers", ["ABCD", " EFGH "]) == ["ABCD", "EFGH"]


def test_a_large_cold_plan_in_order_is_the_sorted_set():
    serials = ["S{0:05d}".format(index) for index in range(2000)]
    random.Random(1).shuffle(serials)
    assets = [(str(900 + index), "STDQ") for index in range(5)]
    desired = plan.desired_in_order([(assets, serials, [])])
    assert list(desired) == sorted(plan.desired_pairs(assets, serials))
    assert plan.change_set(desired, set(), "present") == list(desired)


def test_request_bodies_with_and_without_decimals():
    """encode_json writes a body without Decimal at once; one with a Decimal anywhere (in a tuple too) still exactly."""
    body = {"assets": [{"adamId": "1", "pricingParam": "STDQ"}], "serialNumbers": ("S1", "S2")}
    assert encode_json(body) == json.dumps(body, separators=(",", ":")).encode("utf-8")
    assert encode_json({"price": (Decimal("0.10"), 1)}) == b'{"price":[0.10,1]}'
    with pytest.raises(TypeError):
        encode_json({"when": object()})
