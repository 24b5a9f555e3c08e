# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning functions: no I/O, no Ansible, so they can be tested exhaustively.

Reads: Apple can answer "what is assigned" three ways — one query per asset (``adamId=``), one
query per target (``serialNumber=`` / ``clientUserId=``) or one walk over every page. The
functions here pick whichever needs the fewest requests with what is known at that moment.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Sequence

WALK = "walk"
PER_TARGET = "per_target"
PER_ASSET = "per_asset"

# Apple: after the first page, at most five page requests at once.
MAX_PARALLEL_REQUESTS = 5


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
    seen = set()
    result = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


def matches(value: object, wanted: Optional[Sequence]) -> bool:
    """A record field matches a filter that was not given, or one whose values contain it."""
    return wanted is None or value in wanted
