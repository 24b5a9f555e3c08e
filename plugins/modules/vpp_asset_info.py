#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_asset_info
short_description: List the Apps and Books a location holds licenses for
version_added: 0.1.0
description:
  - Reads the assets (Apps and Books) of one Apple Business Manager or Apple School Manager location from the
    App and Book Management API, with their license counts.
  - With O(adam_ids), reads the cheapest way, one query per asset or one walk over every page, whichever
    needs fewer requests; pages after the first are read in parallel.
author:
  - assetops.licensing maintainers (@assetops)
extends_documentation_fragment:
  - assetops.licensing.vpp
  - assetops.licensing.attributes.info_module
  - assetops.licensing.attributes.actiongroup_vpp
options:
  adam_ids:
    description:
      - Only these assets (Apple's adam ids, the numeric store ids, given as strings).
      - Repeats are ignored; an empty string or anything but digits is an error.
    type: list
    elements: str
  pricing_param:
    description: Only assets bought at this quality, C(STDQ) (standard) or C(PLUS) (high quality).
    type: str
    choices: [STDQ, PLUS]
  product_type:
    description: Only Apps or only Books.
    type: str
    choices: [App, Book]
  device_assignable:
    description: Only assets that can (V(true)) or cannot (V(false)) be assigned to devices by serial number.
    type: bool
  revocable:
    description: Only assets that can (V(true)) or cannot (V(false)) be revoked.
    type: bool
  include_metadata:
    description:
      - Also return each asset's name, bundle id, version and icon from Apple's content metadata, as
        M(assetops.licensing.vpp_app_info) looks them up (same cache, same cookie, one lookup per adam id not cached).
      - The names are looked up in the location's country and store platform, in English.
      - Assets Apple has no metadata for get null values; so do all assets, with a warning, when the lookups fail.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: List every asset of the location
  assetops.licensing.vpp_asset_info:
    token_path: /etc/ansible/secrets/school.vpptoken
  delegate_to: localhost
  register: location_assets

- name: Show the apps that are running out of licenses
  ansible.builtin.debug:
    msg: "{{ item.adam_id }}: {{ item.available_count }} left"
  loop: "{{ location_assets.assets | rejectattr('unlimited') | selectattr('available_count', 'lt', 10) }}"

- name: Every asset with its name and icon
  assetops.licensing.vpp_asset_info:
    token_path: /etc/ansible/secrets/school.vpptoken
    include_metadata: true
  delegate_to: localhost
  register: named_assets

- name: Look up two apps, connection set once for the whole play
  module_defaults:
    group/assetops.licensing.vpp:
      token: "{{ vault_vpp_token }}"
  assetops.licensing.vpp_asset_info:
    adam_ids:
      - "361309726"
      - "361304891"
    pricing_param: STDQ
  delegate_to: localhost
  register: office_apps
"""

RETURN = r"""
assets:
  description: The matching assets, sorted by adam id and pricing param; V([]) when none match.
  returned: success
  type: list
  elements: dict
  contains:
    adam_id:
      description: Apple's id of the App or Book.
      type: str
      sample: "361309726"
    pricing_param:
      description: C(STDQ) or C(PLUS).
      type: str
      sample: STDQ
    product_type:
      description: C(App) or C(Book).
      type: str
      sample: App
    device_assignable:
      description: Whether the asset can be assigned to a device serial number.
      type: bool
    revocable:
      description: Whether the asset can be revoked (Books cannot).
      type: bool
    supported_platforms:
      description: Platforms the asset runs on, for example C(iOS) or C(macOS).
      type: list
      elements: str
      sample: [iOS, macOS]
    assigned_count:
      description: Licenses in use.
      type: int
      sample: 120
    available_count:
      description: Licenses free to assign.
      type: int
      sample: 30
    retired_count:
      description: Licenses retired.
      type: int
      sample: 0
    total_count:
      description: All licenses held; 2147483647 for free (unlimited) assets.
      type: int
      sample: 150
    unlimited:
      description: Whether the asset is free, so licenses never run out.
      type: bool
    name:
      description: The store name; null when Apple has no metadata for the asset.
      type: str
      returned: when O(include_metadata=true)
      sample: Pages
    bundle_id:
      description: The app's bundle id; null for Books and when Apple has no metadata.
      type: str
      returned: when O(include_metadata=true)
      sample: com.apple.Pages
    version:
      description: The version the store offers now; null when Apple has no metadata.
      type: str
      returned: when O(include_metadata=true)
      sample: "14.2"
    artwork_url:
      description: The icon as a 512 by 512 PNG (see M(assetops.licensing.vpp_app_info)); null when Apple has no metadata.
      type: str
      returned: when O(include_metadata=true)
    is_custom_app:
      description: Whether it is a custom (B2B) app of the organisation; null when Apple has no metadata.
      type: bool
      returned: when O(include_metadata=true)
"""

from ansible_collections.assetops.licensing.plugins.module_utils.vpp.app_info import asset_info
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import PRICING_PARAMS, VppModule, adam_id_list

OPTIONS = {
    "adam_ids": adam_id_list(),
    "pricing_param": {"type": "str", "choices": PRICING_PARAMS},
    "product_type": {"type": "str", "choices": ["App", "Book"]},
    "device_assignable": {"type": "bool"},
    "revocable": {"type": "bool"},
    "include_metadata": {"type": "bool", "default": False},
}


def main():
    VppModule(OPTIONS).run(asset_info)


if __name__ == "__main__":
    main()
