# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vpp_reclaim: take licenses back from every device and user that is not in the inventory.

    read (revocable assets, their assignments) -> plan (pure) -> owner guard -> cap -> execute -> report

The plan is pure (``reclaim_pairs``, ``choose_requests``); the writes reuse writes.py: revoke
requests for targets that lose every revocable asset they hold (when that costs fewer requests),
disassociate requests for the rest, each sent, followed and reconciled by ``writes.execute``.
"""

from __future__ import annotations

from itertools import combinations
from types import SimpleNamespace
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Set, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError, ReportedError
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import plan
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.events import pairs_failure
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.limits import limit
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.records import Assignment
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.owner import check_owner
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.reads import find_assets, read_assignments
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.writes import (
    DISASSOCIATE,
    PairWrite,
    Progress,
    Revoke,
    diff_summary,
    execute,
    report,
    wants_diff,
)

Target = Tuple[str, str]  # (target_kind, target_id)
# What the diff covers: the targets that lose licenses, with their revocable licenses only
RECLAIM_SHOWN = "only the revocable licenses of the devices and users that lose some are shown"

# Up to this many revocable targets of one kind, every revoke/disassociate split is tried.
EXHAUSTIVE_TARGETS = 8
# Above it, at most this many splits (prefixes of the targets ordered by how costly they are to disassociate).
MAX_SPLITS = 64


class CapError(ReportedError):
    """More pairs would be taken back than max_reclaims allows: nothing was sent."""


class Limits(NamedTuple):
    """The limits a reclaim plan needs, by target kind."""

    max_assets: int
    max_targets: Dict[str, int]  # disassociate
    max_revoke_targets: Dict[str, int]


def limits_of(limits: Any) -> Limits:
    return Limits(limit(limits, "max_assets"),
                  {Assignment.SERIAL: limit(limits, "max_serial_numbers"), Assignment.USER: limit(limits, "max_client_user_ids")},
                  {Assignment.SERIAL: limit(limits, "max_revoke_serial_numbers"),
                   Assignment.USER: limit(limits, "max_revoke_client_user_ids")})


# -- pure planning ----------------------------------------------------------------------------------

def reclaim_pairs(held: Iterable[Assignment], revocable: Set[Tuple[str, str]], keep: Dict[str, Optional[Sequence[str]]],
                  adam_ids: Optional[Sequence[str]] = None) -> Set[Assignment]:
    """The pairs to take back: revocable, within adam_ids, held by a target of a kind whose keep list is given but
    that is not on it. Ids compare exactly, as Apple stores them."""
    keep_sets = {kind: set(ids) for kind, ids in keep.items() if ids is not None}
    wanted_assets = set(adam_ids) if adam_ids is not None else None
    return {pair for pair in held
            if pair.target_kind in keep_sets and pair.target_id not in keep_sets[pair.target_kind]
            and (pair.adam_id, pair.pricing_param) in revocable and plan.matches(pair.adam_id, wanted_assets)}


class Choice(NamedTuple):
    """The requests of a reclaim: revoke these targets, disassociate these pairs."""

    revoke_targets: List[Target]
    disassociate: List[Assignment]
    requests: int


def _by_target(pairs: Iterable[Assignment]) -> Dict[Target, Set[Assignment]]:
    grouped: Dict[Target, Set[Assignment]] = {}
    for pair in pairs:
        grouped.setdefault((pair.target_kind, pair.target_id), set()).add(pair)
    return grouped


def _cost(kind: str, revoked: Sequence[str], rest: Iterable[Assignment], limits: Limits) -> int:
    return (len(plan.plan_revokes([(kind, target) for target in revoked], limits.max_revoke_targets))
            + len(plan.plan_requests(rest, limits.max_assets, limits.max_targets)))


def _splits(kind: str, eligible: List[str], assets_of: Dict[str, frozenset], limits: Limits) -> Iterable[Tuple[str, ...]]:
    """Which eligible targets to revoke: every subset when few, else prefixes of an order that puts first the
    targets whose asset set is costly to disassociate per target (rare sets, many assets)."""
    if len(eligible) <= EXHAUSTIVE_TARGETS:
        for size in range(len(eligible) + 1):
            yield from combinations(eligible, size)
        return
    yield ()
    yield tuple(eligible)
    group_size: Dict[frozenset, int] = {}
    for target in eligible:
        group_size[assets_of[target]] = group_size.get(assets_of[target], 0) + 1

    def disassociate_cost(target: str) -> Tuple[float, int, str]:
        assets, count = assets_of[target], group_size[assets_of[target]]
        per_target = -(-len(assets) // limits.max_assets) * -(-count // limits.max_targets[kind]) / count
        return (-per_target, count, target)

    ordered = sorted(eligible, key=disassociate_cost)
    steps = sorted({round(index * len(ordered) / MAX_SPLITS) for index in range(MAX_SPLITS + 1)}
                   | {sum(1 for target in ordered if disassociate_cost(target)[0] < -1.0 / limits.max_revoke_targets[kind])})
    for step in steps:
        yield tuple(ordered[:step])


def choose_requests(pairs: Set[Assignment], eligible: Set[Target], limits: Limits) -> Choice:
    """The fewest requests that take back exactly ``pairs``.

    A target in ``eligible`` holds no revocable pair outside ``pairs``, so a revoke request (which
    takes every revocable asset of its targets) may carry it; every other pair is disassociated.
    Kinds are planned apart (one target kind per request). For a few targets every split between
    revoke and disassociate is tried; for more, the prefixes of an order described in ``_splits``.
    """
    revoke_targets: List[Target] = []
    rest: List[Assignment] = []
    total = 0
    by_target = _by_target(pairs)
    for kind in sorted({pair.target_kind for pair in pairs}):
        kind_pairs = {pair for pair in pairs if pair.target_kind == kind}
        candidates = sorted(target for target_kind, target in by_target if target_kind == kind and (kind, target) in eligible)
        assets_of = {target: frozenset((pair.adam_id, pair.pricing_param) for pair in by_target[(kind, target)]) for target in candidates}
        best: Optional[Tuple[int, int, Tuple[str, ...]]] = None
        for revoked in _splits(kind, candidates, assets_of, limits):
            taken = {pair for target in revoked for pair in by_target[(kind, target)]}
            cost = _cost(kind, revoked, kind_pairs - taken, limits)
            if best is None or (cost, len(revoked)) < best[:2]:  # ties: disassociate, which names each pair
                best = (cost, len(revoked), revoked)
            if best[0] == 1 and not best[1]:
                break  # one disassociate request: nothing does better
        if best is None:  # _splits yields the empty split (disassociate all) at least
            raise AssertionError("no request plan for {0}".format(kind))
        total += best[0]
        revoke_targets += [(kind, target) for target in best[2]]
        revoked = set(best[2])
        rest += [pair for pair in kind_pairs if pair.target_id not in revoked]
    return Choice(revoke_targets, sorted(rest), total)


# -- input ----------------------------------------------------------------------------------------

def clean_max_reclaims(name: str, value: int) -> int:
    if value < 0:
        raise InputError("{0} must be 0 (no cap) or a positive number of licenses, not {1}".format(name, value))
    return value


def check_keep_lists(options: Any) -> None:
    """Without any keep list every target would look dropped: refuse rather than guess."""
    if options.keep_serial_numbers is None and options.keep_client_user_ids is None:
        raise InputError("give keep_serial_numbers, keep_client_user_ids or both: the devices and users to keep (a kind "
                         "whose list is not given is left alone; an empty list keeps none of that kind)")


# -- the run ----------------------------------------------------------------------------------------

def check_cap(count: int, targets: int, max_reclaims: int) -> None:
    """Destructive work has a cap: more pairs than max_reclaims fail before any write (0 = no cap)."""
    if max_reclaims and count > max_reclaims:
        raise CapError(
            "would take back {0} license(s) from {1} device(s) or user(s), more than max_reclaims {2}: run with --check to see "
            "them, then raise max_reclaims (0 = no cap) or fix the keep lists; nothing was sent".format(count, targets, max_reclaims),
            {"changed": False, "reclaimed": [], "events": [], "failures": [], "would_reclaim": count, "max_reclaims": max_reclaims})


def _remaining(options: Any, started: float, now: float) -> Any:
    """The options with wait_timeout cut to what is left of it: it counts from the run's first request."""
    values = dict(vars(options))
    values["wait_timeout"] = max(0.0, started + options.wait_timeout - now)
    return SimpleNamespace(**values)


def reclaim(client: Any, options: Any) -> Dict[str, Any]:
    """vpp_reclaim: take back every revocable license held by a target missing from the keep lists."""
    keep = {Assignment.SERIAL: options.keep_serial_numbers, Assignment.USER: options.keep_client_user_ids}
    # Only revocable assets can be taken back, so only their assignments are read (Books never are).
    assets = [asset for asset in find_assets(client, adam_ids=options.adam_ids, revocable=True) if asset.revocable]
    revocable = {asset.key for asset in assets}
    ignored = [adam_id for adam_id in options.adam_ids or () if adam_id not in {key[0] for key in revocable}]
    if ignored:
        client.warn("adam_ids not revocable in this location, left alone: {0} (Books cannot be taken back; or the location "
                    "has no such asset)".format(", ".join(ignored)))
    held: Set[Assignment] = set()
    if assets:
        held = set(read_assignments(client, adam_ids=plan.unique(asset.adam_id for asset in assets),
                                    assigned_counts={asset.key: asset.assigned_count or 0 for asset in assets}))
        held = {pair for pair in held if (pair.adam_id, pair.pricing_param) in revocable}
    pairs = reclaim_pairs(held, revocable, keep, options.adam_ids)
    affected = {(pair.target_kind, pair.target_id) for pair in pairs}
    before = {pair for pair in held if (pair.target_kind, pair.target_id) in affected}
    check_owner(client, options.mdm_id, "reclaimed")
    if not options.check_mode:
        check_cap(len(pairs), len(affected), options.max_reclaims)
    elif options.max_reclaims and len(pairs) > options.max_reclaims:
        client.warn("{0} license(s) would be taken back, more than max_reclaims {1}: a run without --check will fail "
                    "before any write".format(len(pairs), options.max_reclaims))
    if not pairs or options.check_mode:
        progress = Progress(done=set(pairs) if options.check_mode else set())
        return _report(before, progress, pairs, assets, options)
    # With adam_ids, other revocable assets were not read: a revoke could take them, so every pair is disassociated.
    whole = _by_target(held)
    eligible = {target for target, taken in _by_target(pairs).items() if options.adam_ids is None and taken == whole[target]}
    choice = choose_requests(pairs, eligible, limits_of(client.limits()))
    progress = Progress()
    started = client.clock()
    if choice.revoke_targets:
        revoked = {pair for pair in pairs if (pair.target_kind, pair.target_id) in set(choice.revoke_targets)}
        progress += execute(client, Revoke(revoked), choice.revoke_targets, options)
    if choice.disassociate and (progress.stop_error is not None or progress.interruption is not None):
        reason = (progress.stop_error or progress.interruption).message
        progress += Progress(not_sent=len(PairWrite.batches(choice.disassociate, client.limits())),
                             failures=[pairs_failure(None, "not sent after: {0}".format(reason), None, choice.disassociate)])
    elif choice.disassociate:
        progress += execute(client, PairWrite(DISASSOCIATE), choice.disassociate, _remaining(options, started, client.clock()))
    return _report(before, progress, pairs, assets, options)


def _report(before: Set[Assignment], progress: Any, pairs: Iterable[Assignment], assets: Sequence[Any], options: Any) -> Dict[str, Any]:
    waited, types = options.wait or not progress.events, {asset.adam_id: asset.product_type for asset in assets}
    summary = diff_summary("take back", progress.done, options.check_mode, waited, types) if wants_diff(options) else ""
    after = before - progress.done if wants_diff(options) else set()
    return report("reclaimed", "reclaimed", before, after, progress, "{0}; {1}".format(summary, RECLAIM_SHOWN), pairs, options)
