# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names next to adamIds: the work of vpp_app_info, and vpp_asset_info with include_metadata.

The country and platform of a lookup come from the location's client config (countryISO2ACode, lower
case; defaultPlatform). The product type (App or Book) comes from /assets, never from the metadata,
which calls some Books apps. Check mode looks names up but writes no cache file.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import reads
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.location import read_client_config
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.metadata import DEFAULT_LANGUAGE, PLATFORMS, MetadataLookup, app_fields

# Apple's default store when a client config names none (education; business locations say enterprisestore).
FALLBACK_PLATFORM = "volumestore"


def lookup_settings(client: Any, country: Optional[str]) -> Tuple[str, str]:
    """(country, platform) for the lookups: ``country`` or the location's, and the location's defaultPlatform."""
    config = read_client_config(client)
    country = country or config.country_iso2a_code or config.country_code
    if not country:
        raise ApiError("Apple's client config of the location names no country: give country (two letters, such as us)")
    platform = config.default_platform
    if platform not in PLATFORMS:
        client.warn("the location's client config names no known defaultPlatform ({0}): names are looked up in the {1} "
                    "store".format(platform or "none", FALLBACK_PLATFORM))
        platform = FALLBACK_PLATFORM
    return country.lower(), platform


def _lookup(client: Any, options: Any, country: Optional[str], language: str, cache: Any) -> MetadataLookup:
    country, platform = lookup_settings(client, country)
    lookup = MetadataLookup(client, country, platform, language, cache=cache)
    if getattr(options, "check_mode", False):
        lookup.cache.read_only = True  # check mode writes no file
    return lookup


def app_info(client: Any, options: Any, cache: Any = None) -> Dict[str, Any]:
    """vpp_app_info: the metadata of each adamId, with the product type the location's /assets gives it."""
    adam_ids: List[str] = list(options.adam_ids or ())
    if not adam_ids:
        return {"changed": False, "apps": [], "missing_adam_ids": []}
    records = _lookup(client, options, options.country, options.language or DEFAULT_LANGUAGE, cache).records(adam_ids)
    product_types: Dict[str, str] = {}
    for asset in reads.find_assets(client, adam_ids=[adam_id for adam_id in adam_ids if records.get(adam_id)]):
        product_types.setdefault(asset.adam_id, asset.product_type)
    apps = []
    for adam_id in adam_ids:
        record = records.get(adam_id)
        if record:
            apps.append(dict(app_fields(record), adam_id=adam_id, platforms=list(record.get("platforms") or ()),
                             product_type=product_types.get(adam_id)))
    return {"changed": False, "apps": apps, "missing_adam_ids": [adam_id for adam_id in adam_ids if not records.get(adam_id)]}


def asset_info(client: Any, options: Any, cache: Any = None) -> Dict[str, Any]:
    """vpp_asset_info: the assets; with include_metadata each also gets name, bundle_id, version, artwork_url, is_custom_app.

    A lookup that fails leaves those keys null with a warning: the license counts are still worth returning."""
    result = reads.asset_info(client, options)
    if not getattr(options, "include_metadata", False):
        return result
    records: Dict[str, Any] = {}
    if result["assets"]:
        try:
            records = _lookup(client, options, None, DEFAULT_LANGUAGE, cache).records([asset["adam_id"] for asset in result["assets"]])
        except ApiError as error:
            client.warn("names could not be looked up ({0}): name, bundle_id, version, artwork_url and is_custom_app are null".format(
                error.message))
    for asset in result["assets"]:
        asset.update(app_fields(records.get(asset["adam_id"])))
    return result
