# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning functions: no I/O, no Ansible, so they can be tested exhaustively.

Writes: from desired and current pairs to the change set, and from the change set to the
fewest requests within Apple's limits.

Reads: Apple can answer "what is assigned" three ways — one query per asset (``adamId=``), one
query per target (``serialNumber=`` / ``clientUserId=``) or one walk over every page. The
functions here pick whichever needs the fewest requests with what is known at that moment.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import filterfalse, groupby
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.vpp.records import ASSET_KIND_KEY, TARGET, Assignment, asset_pairs, pairs_of_assets

WALK = "walk"
PER_TARGET = "per_target"
PER_ASSET = "per_asset"

# Apple: after the first page, at most five page requests at once.
MAX_PARALLEL_REQUESTS = 5
# How often the planner may re-plan what a cross-group packing left over.
MAX_PEEL_DEPTH = 3


def prefer_full_walk(remaining_walk_pages: int, keyed_queries: int) -> bool:
    """After the first page of a full walk: finish the walk if that costs no more than the keyed queries.

    A keyed query costs at least one request, so when the rest of the walk is no longer than the
    number of keyed queries, the walk can only be cheaper or equal.
    """
    return max(0, remaining_walk_pages) <= keyed_queries


def choose_assignment_read(num_assets: int, num_targets: int) -> str:
    """Which keyed dimension to query before anything is known, or a walk when there is none.

    Targets win whenever they are given: a device or user holds few assignments, so its query is
    one page, whereas one asset may be assigned to thousands of targets (many pages).
    """
    if num_targets:
        return PER_TARGET
    if num_assets:
        return PER_ASSET
    return WALK


def cheapest_read(walk_pages_left: int, per_target_queries: Optional[int], per_asset_pages: Optional[int]) -> str:
    """Once the walk's first page is in: the way to read the rest with the fewest requests.

    ``per_asset_pages`` is None when it cannot be estimated (no counts from /assets). Ties go to
    the walk (already begun, and it sees every record), then to targets (one page each, certain).
    """
    options = [(max(0, walk_pages_left), 0, WALK)]
    if per_target_queries is not None:
        options.append((per_target_queries, 1, PER_TARGET))
    if per_asset_pages is not None:
        options.append((per_asset_pages, 2, PER_ASSET))
    return min(options)[2]


def pages_for(count: int, page_size: int) -> int:
    """Requests to read ``count`` records with one query: at least one, even for none."""
    return max(1, -(-count // max(1, page_size)))


def worth_probing_walk(keyed_queries: int) -> bool:
    """Whether to spend one request on the walk's first page to learn totalPages before choosing.

    With one keyed query the probe can never pay off; with more, a small location (one or two
    pages) makes the walk cheaper, and the probe costs one request at worst.
    """
    return keyed_queries > 1


def server_filters(**filters: Optional[object]) -> Dict[str, str]:
    """Query parameters for Apple: None left out, booleans as true/false."""
    params = {}
    for name, value in filters.items():
        if value is None:
            continue
        params[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return params


def unique(items: Iterable) -> List:
    """The items in first-seen order without repeats."""
    seen: Set = set()
    # not list(dict.fromkeys(items)): as fast, but at 500,000 items its table raised the peak memory by 30 MiB
    return [item for item in items if not (item in seen or seen.add(item))]  # set.add returns None


def matches(value: object, wanted: Optional[Sequence]) -> bool:
    """A record field matches a filter that was not given, or one whose values contain it."""
    return wanted is None or value in wanted


# -- writes: change sets and requests ----------------------------------------------------------
#
# A pair is an Assignment (adam_id, pricing_param, target_kind, target_id). One associate or
# disassociate request names some assets and some targets of one kind and acts on every asset x
# target pair, so each request must be a "rectangle" made only of pairs that need the change.


class Batch:
    """One write request: ``assets`` (adam_id, pricing_param) x ``targets`` of one ``kind``."""

    __slots__ = ("kind", "assets", "targets")

    def __init__(self, kind: str, assets: Sequence[Tuple[str, str]], targets: Sequence[str]):
        self.kind = kind
        self.assets = tuple(assets)
        self.targets = tuple(targets)

    def pairs(self) -> List[Assignment]:
        return list(pairs_of_assets(self.assets, self.kind, self.targets))

    @property
    def size(self) -> int:
        """How many pairs the request names (without building them)."""
        return len(self.assets) * len(self.targets)

    def body(self) -> Dict[str, object]:
        """The JSON Apple expects: assets (omitted for revoke) and one list of targets."""
        body: Dict[str, object] = {}
        if self.assets:
            body["assets"] = [{"adamId": adam_id, "pricingParam": pricing} for adam_id, pricing in self.assets]
        body["serialNumbers" if self.kind == Assignment.SERIAL else "clientUserIds"] = list(self.targets)
        return body

    def __repr__(self) -> str:
        return "Batch({0}, {1} assets, {2} targets)".format(self.kind, len(self.assets), len(self.targets))


def desired_pairs(assets: Iterable[Tuple[str, str]], serial_numbers: Iterable[str] = (),
                  client_user_ids: Iterable[str] = ()) -> Set[Assignment]:
    """Every asset with every target: what a task asks for."""
    serial_numbers, client_user_ids = list(serial_numbers), list(client_user_ids)
    pairs: Set[Assignment] = set()
    for adam_id, pricing in assets:
        pairs.update(asset_pairs(adam_id, pricing, Assignment.SERIAL, serial_numbers))
        pairs.update(asset_pairs(adam_id, pricing, Assignment.USER, client_user_ids))
    return pairs


def desired_in_order(groups: Iterable[Tuple[Sequence[Tuple[str, str]], Sequence[str], Sequence[str]]]) -> List[Assignment]:
    """desired_pairs of each (assets, serial_numbers, client_user_ids) group, together, each pair once, sorted.

    Sorting the targets of a group once costs far less than sorting its pairs afterwards, and a list is a sixth of the
    memory of a set (whose freed table also left the peak of a large run 30 MiB higher)."""
    lists: Dict[Tuple[str, str, str], List[Sequence[str]]] = {}
    for assets, serial_numbers, client_user_ids in groups:
        for kind, targets in ((Assignment.SERIAL, serial_numbers), (Assignment.USER, client_user_ids)):
            for adam_id, pricing in assets if targets else ():
                lists.setdefault((adam_id, pricing, kind), []).append(targets)
    in_order: Dict[int, List[str]] = {}  # id of a group's target list -> its targets sorted, once for all its assets
    pairs: List[Assignment] = []
    for key in sorted(lists):  # the keys differ, and each key's targets are unique: no pair comes twice
        if len(lists[key]) == 1:
            targets = lists[key][0]
            if id(targets) not in in_order:
                in_order[id(targets)] = sorted(set(targets))
            ordered = in_order[id(targets)]
        else:
            ordered = sorted(set().union(*lists[key]))
        pairs.extend(asset_pairs(key[0], key[1], key[2], ordered))
    return pairs


def change_set(desired: Iterable[Assignment], current: Iterable[Assignment], state: str) -> List[Assignment]:
    """present: the desired pairs (a set, or desired_in_order's list) not held yet; absent: the desired pairs that are held. Sorted.

    The desired pairs are filtered in their own order, so sorting ones already in order (desired_in_order) is one pass."""
    held = current if isinstance(current, (set, frozenset)) else set(current)
    changes = filterfalse(held.__contains__, desired) if state == "present" else filter(held.__contains__, desired)
    return sorted(changes)


def split_evenly(items: Sequence, limit: int) -> List[Sequence]:
    """The fewest chunks of at most ``limit`` items, as even in size as possible."""
    if not items:
        return []
    count = -(-len(items) // max(1, limit))
    size, extra = divmod(len(items), count)
    chunks, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        chunks.append(items[start:end])
        start = end
    return chunks


Cell = Tuple[Tuple[str, str], str]  # ((adam_id, pricing_param), target_id) of one target kind


def _groupings(cells: Iterable[Cell]) -> Tuple[Dict[frozenset, List[str]], Dict[frozenset, List[Tuple[str, str]]]]:
    """Targets grouped by the asset set they need, and assets grouped by the target set they go to."""
    assets_of: Dict[str, Set[Tuple[str, str]]] = {}
    targets_of: Dict[Tuple[str, str], Set[str]] = {}
    for asset, target in cells:
        assets_of.setdefault(target, set()).add(asset)
        targets_of.setdefault(asset, set()).add(target)
    by_assets: Dict[frozenset, List[str]] = {}
    for target, assets in assets_of.items():
        by_assets.setdefault(frozenset(assets), []).append(target)
    by_targets: Dict[frozenset, List[Tuple[str, str]]] = {}
    for asset, targets in targets_of.items():
        by_targets.setdefault(frozenset(targets), []).append(asset)
    return by_assets, by_targets


def _cells_by_kind(pairs: Iterable[Assignment]) -> Dict[str, Set[Cell]]:
    by_kind: Dict[str, Set[Cell]] = {}
    for pair in pairs:
        by_kind.setdefault(pair.target_kind, set()).add(((pair.adam_id, pair.pricing_param), pair.target_id))
    return by_kind


def _rectangles(groups: Iterable[Tuple[Sequence, Sequence]], max_assets: int, max_targets: int) -> List[Tuple[Sequence, Sequence]]:
    """Split each (assets, targets) group into rectangles within the limits."""
    return [(asset_chunk, target_chunk)
            for assets, targets in sorted(groups)
            for asset_chunk in split_evenly(assets, max_assets)
            for target_chunk in split_evenly(targets, max_targets)]


def _peel(cells: Set[Cell], max_assets: int, max_targets: int, depth: int) -> List[Tuple[Sequence, Sequence]]:
    """Fill asset chunks across groups, send each chunk to the targets all its assets need, plan the rest again.

    Assets are taken in order of how many targets they go to, so a chunk's leftover room is filled
    by assets bound for a subset of those targets; what the chunk does not cover is planned again.
    This beats both plain groupings when some targets already hold part of the asset set.
    """
    targets_of: Dict[Tuple[str, str], Set[str]] = {}
    for asset, target in cells:
        targets_of.setdefault(asset, set()).add(target)
    ordered = sorted(targets_of, key=lambda asset: (-len(targets_of[asset]), sorted(targets_of[asset]), asset))
    rectangles = []
    covered: Set[Cell] = set()
    for asset_chunk in split_evenly(ordered, max_assets):
        common = set.intersection(*(targets_of[asset] for asset in asset_chunk))
        if not common:
            continue
        for target_chunk in split_evenly(sorted(common), max_targets):
            rectangles.append((list(asset_chunk), target_chunk))
        covered |= {(asset, target) for asset in asset_chunk for target in common}
    rest = cells - covered
    return rectangles + (_best_cover(rest, max_assets, max_targets, depth + 1) if rest else [])


def _best_cover(cells: Set[Cell], max_assets: int, max_targets: int, depth: int = 0,
                groupings: Optional[Tuple[Dict[frozenset, List[str]], Dict[frozenset, List[Tuple[str, str]]]]] = None
                ) -> List[Tuple[Sequence, Sequence]]:
    """The cheapest of three exact covers of one kind's cells; see plan_requests. ``groupings``: _groupings(cells), if known."""
    by_assets, by_targets = groupings or _groupings(cells)
    candidates = [
        _rectangles(((sorted(assets), sorted(targets)) for assets, targets in by_assets.items()), max_assets, max_targets),
        _rectangles(((sorted(assets), sorted(targets)) for targets, assets in by_targets.items()), max_assets, max_targets),
    ]
    if depth < MAX_PEEL_DEPTH and len(by_targets) > 1:
        candidates.append(_peel(cells, max_assets, max_targets, depth))
    return min(candidates, key=len)


def plan_requests(pairs: Iterable[Assignment], max_assets: int, max_targets: Dict[str, int]) -> List[Batch]:
    """Cover exactly these pairs with the fewest requests we can find, within the limits.

    Per target kind, three exact covers (no pair twice, none extra) are built and the one with
    fewest requests wins: targets that need the same asset set share requests; assets that go to
    the same target set share requests; or asset chunks filled across groups (see _peel). When
    every target needs the same assets the result is the minimum, ceil(assets / max_assets) x
    ceil(targets / max_targets). In general the minimum is a biclique partition, which is NP-hard.
    """
    batches = []
    for kind, (by_assets, by_targets) in sorted(_groupings_by_kind(pairs).items()):
        # the cells themselves are needed only to peel (see _best_cover): a task of one asset set never builds them
        cells = {(asset, target) for targets, assets in by_targets.items() for asset in assets for target in targets} if len(by_targets) > 1 else set()
        batches += [Batch(kind, assets, targets)
                    for assets, targets in _best_cover(cells, max_assets, max_targets[kind], groupings=(by_assets, by_targets))]
    return batches


def _groupings_by_kind(pairs: Iterable[Assignment]) -> Dict[str, Tuple[Dict[frozenset, List[str]], Dict[frozenset, List[Tuple[str, str]]]]]:
    """_groupings of each kind's cells, read straight from the pairs: 500,000 pairs need no set of cells, and when
    every asset goes to the same targets (one asset set for all, the common large task) no set per target either."""
    targets_of: Dict[str, Dict[Tuple[str, str], Set[str]]] = {}
    # runs of one asset and kind are taken whole (sorted pairs, the usual input, are 25 runs for 500,000 pairs)
    for (adam_id, pricing, kind), run in groupby(pairs, key=ASSET_KIND_KEY):
        targets_of.setdefault(kind, {}).setdefault((adam_id, pricing), set()).update(map(TARGET, run))
    grouped = {}
    for kind, of_asset in targets_of.items():
        by_targets: Dict[frozenset, List[Tuple[str, str]]] = {}
        for asset, targets in of_asset.items():
            by_targets.setdefault(frozenset(targets), []).append(asset)
        if len(by_targets) == 1:
            targets, assets = next(iter(by_targets.items()))
            grouped[kind] = ({frozenset(assets): list(targets)}, by_targets)
            continue
        assets_of: Dict[str, Set[Tuple[str, str]]] = {}
        for asset, targets in of_asset.items():
            for target in targets:
                assets_of.setdefault(target, set()).add(asset)
        by_assets: Dict[frozenset, List[str]] = {}
        for target, assets in assets_of.items():
            by_assets.setdefault(frozenset(assets), []).append(target)
        grouped[kind] = (by_assets, by_targets)
    return grouped


def plan_revokes(targets: Iterable[Tuple[str, str]], max_targets: Dict[str, int]) -> List[Batch]:
    """Revoke requests: one target kind each, at most the revoke limit of targets each."""
    by_kind: Dict[str, List[str]] = {}
    for kind, target in targets:
        by_kind.setdefault(kind, []).append(target)
    return [Batch(kind, (), chunk) for kind in sorted(by_kind) for chunk in split_evenly(sorted(set(by_kind[kind])), max_targets[kind])]


def request_lower_bound(pairs: Iterable[Assignment], max_assets: int, max_targets: Dict[str, int]) -> int:
    """A number of requests that no exact plan can go below (used by tests and benchmarks).

    Per kind, the largest of: each target needs ceil(its assets / max_assets) requests and a request
    holds at most max_targets targets (and the same with assets and targets swapped); and the rank
    of the pair matrix, since every request adds a rank-one block.
    """
    total = 0
    for kind, cells in _cells_by_kind(pairs).items():
        target_limit = max_targets[kind]
        by_assets, by_targets = _groupings(cells)
        target_slots = sum(-(-len(assets) // max_assets) * len(targets) for assets, targets in by_assets.items())
        asset_slots = sum(-(-len(targets) // target_limit) * len(assets) for targets, assets in by_targets.items())
        total += max(-(-target_slots // target_limit), -(-asset_slots // max_assets), _rank(list(by_assets)))
    return total


def _rank(rows: List[frozenset]) -> int:
    """Rank over the rationals of 0/1 rows given as sets of column keys (distinct rows suffice)."""
    columns = sorted({column for row in rows for column in row})
    matrix = [[Fraction(1 if column in row else 0) for column in columns] for row in rows]
    rank = 0
    for column in range(len(columns)):
        pivot = next((index for index in range(rank, len(matrix)) if matrix[index][column] != 0), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for index in range(len(matrix)):
            if index != rank and matrix[index][column] != 0:
                factor = matrix[index][column] / matrix[rank][column]
                matrix[index] = [value - factor * base for value, base in zip(matrix[index], matrix[rank])]
        rank += 1
    return rank
