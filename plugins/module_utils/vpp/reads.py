# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the location holds, read the cheapest way, and the work of vpp_asset_info and vpp_assignment_info.

The choices (per-asset queries, per-target queries, or one walk) are made by the pure functions in
plan.py with what is known at each moment; this file does the reading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.vpp import plan
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.paging import read_by_ids, read_page, walk, walk_at_version
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.records import Assignment

if TYPE_CHECKING:  # the models import pydantic: loaded by the functions that read an answer
    from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import AssetsPage, AssignmentsPage


def find_assets(client: Any, adam_ids: Optional[Sequence[str]] = None, pricing_param: Optional[str] = None,
                product_type: Optional[str] = None, device_assignable: Optional[bool] = None,
                revocable: Optional[bool] = None) -> List[Any]:
    """Assets of the location that match every given filter, sorted by (adam_id, pricing_param)."""
    filters = plan.server_filters(pricingParam=pricing_param, productType=product_type,
                                  deviceAssignable=device_assignable, revocable=revocable)
    if adam_ids is not None and not adam_ids:
        return []  # an empty list given matches nothing, at no cost
    from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import AssetsPage  # pylint: disable=import-outside-toplevel
    wanted = set(adam_ids) if adam_ids else None
    if not adam_ids:
        assets = walk(client, "/assets", [filters], AssetsPage)
    else:
        # Only with a pricing filter does an adam id have one record, so one seen on page 0 is settled.
        assets = read_by_ids(client, "/assets", filters, AssetsPage, "adamId", adam_ids, lambda asset: asset.adam_id, first_settles=bool(pricing_param))
    selected = [
        asset for asset in assets
        if plan.matches(asset.adam_id, wanted)
        and plan.matches(asset.pricing_param, pricing_param and {pricing_param})
        and plan.matches(asset.product_type, product_type and {product_type})
        and plan.matches(asset.device_assignable, None if device_assignable is None else {device_assignable})
        and plan.matches(asset.revocable, None if revocable is None else {revocable})
    ]
    unique_by_key = {asset.key: asset for asset in selected}
    return [unique_by_key[key] for key in sorted(unique_by_key)]


def find_assignments(client: Any, adam_ids: Optional[Sequence[str]] = None, serial_numbers: Optional[Sequence[str]] = None,
                     client_user_ids: Optional[Sequence[str]] = None, pricing_param: Optional[str] = None,
                     assigned_counts: Optional[Dict[Tuple[str, str], int]] = None) -> List[Assignment]:
    """Assignments matching the filters, sorted (see read_assignments)."""
    return sorted(read_assignments(client, adam_ids, serial_numbers, client_user_ids, pricing_param, assigned_counts))


def read_assignments(client: Any, adam_ids: Optional[Sequence[str]] = None, serial_numbers: Optional[Sequence[str]] = None,
                     client_user_ids: Optional[Sequence[str]] = None, pricing_param: Optional[str] = None,
                     assigned_counts: Optional[Dict[Tuple[str, str], int]] = None) -> List[Assignment]:
    """Assignments matching the filters, each once, in no set order (sorting 500,000 costs half a second; a caller
    that only looks pairs up skips it).

    serial_numbers and client_user_ids together name the targets (a record matches either);
    adam_ids and pricing_param narrow further. ``assigned_counts`` ((adam_id, pricing_param) ->
    assignedCount, from /assets) lets assets nobody holds be skipped and per-asset reads be priced.
    """
    targets_given = serial_numbers is not None or client_user_ids is not None
    if (adam_ids is not None and not adam_ids) or (targets_given and not serial_numbers and not client_user_ids):
        return []  # an empty list given matches nothing, at no cost
    held_counts = None
    if adam_ids and assigned_counts is not None:
        held_counts = {
            adam_id: sum(count for (counted_id, pricing), count in assigned_counts.items()
                         if counted_id == adam_id and (pricing_param is None or pricing == pricing_param))
            for adam_id in adam_ids
        }
        adam_ids = [adam_id for adam_id in adam_ids if held_counts[adam_id]]
        if not adam_ids:
            return []  # nobody holds any of these assets
    from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import AssignmentsPage  # pylint: disable=import-outside-toplevel
    base = plan.server_filters(pricingParam=pricing_param)
    cache = getattr(client, "assignment_cache", None)
    # a snapshot is of the whole location, so with one the walk (and the probe, its first page) is unfiltered
    walk_base = {} if cache is not None else base
    # Apple combines filters, so one asset narrows every target query
    base_for_targets = dict(base, adamId=adam_ids[0]) if adam_ids and len(adam_ids) == 1 else base
    target_queries = [dict(base_for_targets, serialNumber=serial) for serial in serial_numbers or ()]
    target_queries += [dict(base_for_targets, clientUserId=user) for user in client_user_ids or ()]
    asset_queries = [dict(base, adamId=adam_id) for adam_id in adam_ids or ()]
    queries_for = {plan.PER_TARGET: target_queries, plan.PER_ASSET: asset_queries}
    first_choice = plan.choose_assignment_read(len(asset_queries), len(target_queries))
    if first_choice == plan.WALK:
        found = read_everything(client, walk_base)
    elif not plan.worth_probing_walk(len(queries_for[first_choice])):
        found = walk(client, "/assignments", queries_for[first_choice], AssignmentsPage)
    else:
        first = read_page(client, "/assignments", walk_base, AssignmentsPage)
        # with a snapshot at this page's versionId, the probe was the only read needed
        found = snapshot_hit(cache, first)
        if found is None:
            per_asset_pages = None
            if asset_queries and (held_counts is not None or not target_queries):
                page_size = first.size or len(first.assignments) or 1
                per_asset_pages = (sum(plan.pages_for(held_counts[adam_id], page_size) for adam_id in adam_ids)
                                   if held_counts is not None else len(asset_queries))
            choice = plan.cheapest_read(first.total_pages - 1, len(target_queries) if target_queries else None, per_asset_pages)
            if choice == plan.WALK:
                found = read_everything(client, walk_base, first)
            else:
                found = walk(client, "/assignments", queries_for[choice], AssignmentsPage)
    return selected(found if isinstance(found, (set, frozenset)) else plan.unique(found), adam_ids, pricing_param,
                    serial_numbers if targets_given else None, client_user_ids if targets_given else None)


def selected(found: Iterable[Assignment], adam_ids: Optional[Sequence[str]], pricing_param: Optional[str],
             serial_numbers: Optional[Sequence[str]], client_user_ids: Optional[Sequence[str]]) -> List[Assignment]:
    """The assignments that match the filters (None: not given; targets match when either kind's list names them).

    One pass with plain tests (a walk may hold 500,000), and none at all when no filter is given."""
    assets = set(adam_ids) if adam_ids else None
    by_target = serial_numbers is not None or client_user_ids is not None
    if assets is None and not pricing_param and not by_target:
        return list(found)
    serials, users = set(serial_numbers or ()), set(client_user_ids or ())
    return [pair for pair in found
            if (assets is None or pair[0] in assets) and (not pricing_param or pair[1] == pricing_param)
            and (not by_target or pair[3] in (serials if pair[2] == Assignment.SERIAL else users))]


def snapshot_hit(cache: Any, first: Any) -> Optional[Set[Assignment]]:
    """The snapshot's assignments when it was taken at the versionId of ``first`` (page 0 of an unfiltered read), else None."""
    if cache is None or not first.u_id or not first.version_id or cache.version(first.u_id) != first.version_id:
        return None
    return cache.assignments(first.u_id)


def read_everything(client: Any, params: Dict[str, str], first: Any = None) -> Any:
    """Every assignment of the query; with assignment_cache, from the snapshot when it is exact, else walked and
    kept as the new snapshot (only a walk whose pages all carried one versionId is kept)."""
    from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import AssignmentsPage  # pylint: disable=import-outside-toplevel
    cache = getattr(client, "assignment_cache", None)
    if cache is None:
        return walk(client, "/assignments", [params], AssignmentsPage, first=first)
    if first is None:
        first = read_page(client, "/assignments", params, AssignmentsPage)
    found = snapshot_hit(cache, first)
    if found is not None:
        return found
    found, version_id = walk_at_version(client, "/assignments", params, AssignmentsPage, first=first)
    if version_id is not None and first.u_id and not params:
        cache.save(first.u_id, version_id, found)
    return found


def asset_info(client: Any, options: Any) -> Dict[str, Any]:
    """vpp_asset_info."""
    assets = find_assets(client, adam_ids=options.adam_ids, pricing_param=options.pricing_param, product_type=options.product_type,
                         device_assignable=options.device_assignable, revocable=options.revocable)
    return {"changed": False, "assets": [asset.to_result() for asset in assets]}


def assignment_info(client: Any, options: Any) -> Dict[str, Any]:
    """vpp_assignment_info."""
    assignments = find_assignments(client, adam_ids=options.adam_ids, serial_numbers=options.serial_numbers,
                                   client_user_ids=options.client_user_ids, pricing_param=options.pricing_param)
    return {"changed": False, "assignments": [assignment.to_result() for assignment in assignments]}
