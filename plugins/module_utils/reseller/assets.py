# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""reseller_asset_info and reseller_asset: filters, lookup, and the update of the fields a customer may change.

Assets come from purchase orders: there is no create and no delete. Only the options a task gives
are compared and changed; the update is GET, change, PUT of the whole object; tags go through
their own endpoint; the asset is read again afterwards and anything the server did not take is
reported as a warning.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError, ReportedError
from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError
from ansible_collections.assetops.licensing.plugins.module_utils.reseller.models import (
    ALL_STATUSES,
    ASSET_TYPES,
    STATUS_FLAGS,
    TAG_FIELDS,
)

NOT_FOUND_HINT = "assets come from purchase orders; this module cannot create them"


class AssetLookupError(ReportedError):
    """No asset, or more than one, matches; the message says which and what to do."""


# The list's filters: option name -> query parameter (and how the value is sent). A new filter is one row here.
SINGLE_FILTERS = (
    ("reseller_customer_id", "ResellerCustomerId", None),
    ("publisher_id", "PublisherId", None),
    ("reservation_id", "ReservationId", None),
    ("asset_type", "AssetType", ASSET_TYPES.get),
    ("search", "Search", None),
    ("invoice_profile_id", "InvoiceProfileId", None),
)
FILTER_OPTIONS = ("status", "external_order_ids") + tuple(name for name, _parameter, _encode in SINGLE_FILTERS)
# Options that narrow a lookup by order: they must equal the asset's field of the same name.
NARROWING_OPTIONS = ("external_product_id", "external_sku_id", "product_variant_id")


def list_filters(**values: Any) -> List[Tuple[str, Any]]:
    """Query parameters of the asset list from filter options (others are ignored); Status is always
    sent (15, every state, unless narrowed)."""
    status = values.get("status")
    flags = sum(STATUS_FLAGS[name] for name in set(status)) if status else ALL_STATUSES
    params: List[Tuple[str, Any]] = [("Status", flags)]
    for name, parameter, encode in SINGLE_FILTERS:
        value = values.get(name)
        if value is not None:
            params.append((parameter, encode(value) if encode else value))
    params += [("ExternalOrderIds", order_id) for order_id in values.get("external_order_ids") or ()]
    return params


def find_assets(client: Any, asset_id: Optional[int] = None, **filters: Any) -> List[Any]:
    """reseller_asset_info: one asset by id (none when unknown), or every asset matching the filters."""
    if asset_id is not None:
        asset = client.get_asset(asset_id)
        return [asset] if asset is not None else []
    return sorted(client.list_assets(list_filters(**filters)), key=lambda asset: asset.id)


def lookup(client: Any, asset_id: Optional[int], external_order_id: Optional[str], reseller_customer_id: Optional[int],
           narrowing: Dict[str, Any]) -> Any:
    """Exactly one asset, by id or by order + customer narrowed by product, SKU and variant."""
    if asset_id is not None:
        asset = client.get_asset(asset_id)
        if asset is None:
            raise AssetLookupError("asset {0} not found: {1}".format(asset_id, NOT_FOUND_HINT))
        return asset
    candidates = client.list_assets(list_filters(reseller_customer_id=reseller_customer_id, external_order_ids=[external_order_id]))
    matching = [asset for asset in candidates
                if asset.external_order_id == external_order_id and asset.reseller_customer_id == reseller_customer_id
                and all(value is None or getattr(asset, name) == value for name, value in narrowing.items())]
    described = "order {0} of customer {1}{2}".format(
        external_order_id, reseller_customer_id,
        "".join(" with {0} {1}".format(name, value) for name, value in narrowing.items() if value is not None))
    if not matching:
        raise AssetLookupError("no asset for {0}: {1}".format(described, NOT_FOUND_HINT))
    if len(matching) > 1:
        candidate_ids = sorted(asset.id for asset in matching)
        raise AssetLookupError("{0} assets match {1}: ids {2}; give id, or narrow with external_product_id, external_sku_id "
                               "or product_variant_id".format(len(matching), described, ", ".join(str(i) for i in candidate_ids)),
                               {"candidate_ids": candidate_ids})
    # The list may leave fields out (Tags, InvoiceProfile, AutoRenewEnabled as null): compare and PUT
    # only what the single-asset GET shows, so nothing the list omitted is blanked or purged.
    whole = client.get_asset(matching[0].id)
    if whole is None:
        raise AssetLookupError("asset {0} ({1}) was listed but cannot be read by id: run the task again".format(matching[0].id, described))
    return whole


def managed_view(asset: Any, wanted: Dict[str, Any]) -> Dict[str, Any]:
    """The managed fields the task names, as they are on this asset."""
    current = {
        "name": asset.name,
        "invoice_profile_id": asset.invoice_profile.id if asset.invoice_profile else None,
        "auto_renew_enabled": asset.auto_renew_enabled,
        # a tags object whose five fields are all empty is no tags
        "tags": asset.tag_values if any(value is not None for value in asset.tag_values.values()) else None,
    }
    return {name: current[name] for name in wanted}


def desired_tags(current: Dict[str, Optional[str]], given: Dict[str, Optional[str]], purge: bool) -> Optional[Dict[str, Optional[str]]]:
    """The five tag fields after the task: named ones set, others kept (or cleared with purge); None = no tags."""
    result = {name: (given.get(name) if name in given else (None if purge else current.get(name))) for name in TAG_FIELDS}
    return result if any(value is not None for value in result.values()) else None


def _set_key(body: Dict[str, Any], pascal_name: str, value: Any) -> None:
    """Set a field in the API's own object, whatever case it used for the key."""
    for key in body:
        if isinstance(key, str) and key.lower() == pascal_name.lower():
            body[key] = value
            return
    body[pascal_name] = value


def _write_tags(client: Any, asset: Any, tags: Dict[str, Optional[str]]) -> None:
    """Set the five tag fields. A POST (the asset had no tags) whose outcome is unknown is never sent blindly
    again: the asset is read, and the tags are written again only when they are not already as wanted."""
    try:
        client.write_tags(asset.id, tags, asset_has_tags=asset.tags is not None)
    except ApiError as error:
        if not error.outcome_unknown:
            raise
        now = client.get_asset(asset.id)
        if now is None:
            raise
        if now.tags is not None and now.tag_values == tags:
            return
        client.write_tags(asset.id, tags, asset_has_tags=now.tags is not None)


def _name_what_was_written(error: ApiError, written: Sequence[str], not_written: Sequence[str]) -> None:
    """Add to the one-line message which fields were changed and which were not (or may not have been)."""
    unknown = error.status is None or error.outcome_unknown  # no answer: the server may have applied it
    error.message = "{0}; changed: {1}; {2}: {3}".format(
        error.message, ", ".join(written) or "nothing", "outcome unknown" if unknown else "not changed", ", ".join(not_written))
    error.args = (error.message,)
    error.details["changed_fields"] = list(written)


def update_asset(client: Any, asset: Any, name: Optional[str] = None, invoice_profile_id: Optional[int] = None,
                 auto_renew_enabled: Optional[bool] = None, tags: Optional[Dict[str, Optional[str]]] = None,
                 purge_tags: bool = False, check_mode: bool = False, warn: Callable[[str], None] = lambda message: None) -> Dict[str, Any]:
    """Make the given fields so; returns changed, the asset as it is afterwards, and the before/after diff."""
    wanted: Dict[str, Any] = {}
    if name is not None:
        wanted["name"] = name
    if invoice_profile_id is not None:
        wanted["invoice_profile_id"] = invoice_profile_id
    if auto_renew_enabled is not None:
        wanted["auto_renew_enabled"] = auto_renew_enabled
    if tags is not None:
        wanted["tags"] = desired_tags(asset.tag_values, tags, purge_tags)
    before = managed_view(asset, wanted)
    changes = {field: value for field, value in wanted.items() if before[field] != value}
    after = dict(before, **changes)
    result = {"changed": bool(changes), "diff": {"before": before, "after": after}}
    if not changes or check_mode:
        predicted = asset.to_result()
        for field, value in changes.items():
            if field == "invoice_profile_id":
                predicted["invoice_profile"] = {"id": value, "name": None}
            else:
                predicted[field] = value
        result["asset"] = predicted
        return result
    object_fields = {field: value for field, value in changes.items() if field != "tags"}
    written: List[str] = []
    try:
        if object_fields:
            body = client.as_sent(asset.id)  # the whole object, as read moments ago by the lookup
            if "name" in object_fields:
                _set_key(body, "Name", object_fields["name"])
            if "invoice_profile_id" in object_fields:
                _set_key(body, "InvoiceProfile", {"Id": object_fields["invoice_profile_id"]})
            if "auto_renew_enabled" in object_fields:
                _set_key(body, "AutoRenewEnabled", object_fields["auto_renew_enabled"])
            client.put_asset(asset.id, body)
            written += sorted(object_fields)
        if "tags" in changes:
            if changes["tags"] is None:
                client.delete_tags(asset.id)
            else:
                _write_tags(client, asset, changes["tags"])
            written.append("tags")
    except ApiError as error:
        _name_what_was_written(error, written, sorted(field for field in changes if field not in written))
        raise
    reread = client.get_asset(asset.id)
    now = managed_view(reread, wanted)
    for field, value in changes.items():
        if now[field] != value:
            warn("the reseller API did not take {0}: asked for {1}, the asset has {2}".format(field, json.dumps(value), json.dumps(now[field])))
    result["asset"] = reread.to_result()
    result["diff"]["after"] = now
    # a write was sent and the server recorded it (ModifiedDate, ChangedBy), even if it ignored a field
    result["changed"] = True
    return result


# -- the modules' work ------------------------------------------------------------------------------

def asset_info(client: Any, options: Any) -> Dict[str, Any]:
    """reseller_asset_info."""
    assets = find_assets(client, asset_id=options.id, **{name: getattr(options, name) for name in FILTER_OPTIONS})
    return {"changed": False, "assets": [asset.to_result() for asset in assets]}


def check_update(options: Any) -> None:
    """reseller_asset's input that its argument spec cannot check."""
    if options.name is not None and not options.name.strip():
        raise InputError("name must not be empty: give the asset's new name, or leave name out to keep it")
    if options.purge_tags and options.tags is None:
        raise InputError("purge_tags needs tags: give the tags to keep, or tags: {} to remove every tag")


def manage_asset(client: Any, options: Any) -> Dict[str, Any]:
    """reseller_asset: find the one asset, then make the given fields so."""
    asset = lookup(client, options.id, options.external_order_id, options.reseller_customer_id,
                   {name: getattr(options, name) for name in NARROWING_OPTIONS})
    tags = None if options.tags is None else {name: value for name, value in options.tags.items() if value is not None}
    return update_asset(client, asset, name=options.name, invoice_profile_id=options.invoice_profile_id,
                        auto_renew_enabled=options.auto_renew_enabled, tags=tags, purge_tags=options.purge_tags,
                        check_mode=options.check_mode, warn=client.warn)
