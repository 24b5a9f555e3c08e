#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_app_info
short_description: Names, bundle ids, versions and icons of Apps and Books
version_added: 0.1.0
description:
  - Looks up Apple's content metadata of Apps and Books by adam id, the way MDM servers show names and icons
    instead of numbers.
  - Uses the C(contentMetadataLookup) URL of Apple's service configuration, one adam id per request, at most five
    at once and at the location's request pace.
  - Sends the location's content token as the C(itvt) cookie, so the organisation's custom (B2B) apps answer too;
    the cookie is a secret like the token and never appears in output, logs or errors. It goes only to the host of
    O(api_url), or to Apple's hosts when O(api_url) is Apple's.
  - Answers are cached on the controller for 24 hours per adam id, country, store platform and language, and an
    empty answer ("no metadata") for one hour, in C($XDG_CACHE_HOME/assetops.licensing), else
    C(~/.cache/assetops.licensing); a run with a warm cache sends no lookup. A cache that cannot be read or written
    only means asking Apple again. In check mode no cache file is written.
  - Also costs one request for the location's client configuration (country and store platform) and the reads of
    C(/assets) that give each asset its product type.
author:
  - assetops.licensing maintainers (@assetops)
extends_documentation_fragment:
  - assetops.licensing.vpp
  - assetops.licensing.attributes.info_module
  - assetops.licensing.attributes.actiongroup_vpp
options:
  adam_ids:
    description:
      - The Apps and Books to look up (Apple's adam ids, the numeric store ids, given as strings).
      - Repeats are ignored; an empty string or anything but digits is an error.
    type: list
    elements: str
    required: true
  country:
    description:
      - The store country whose names are returned, two letters such as V(us) or V(de).
      - Defaults to the country of the location (C(countryISO2ACode) of its client configuration).
    type: str
  language:
    description: The language of the names, such as V(en), V(de) or V(en-GB).
    type: str
    default: en
notes:
  - The store platform is the location's C(defaultPlatform) (V(volumestore) for Apple School Manager,
    V(enterprisestore) for Apple Business Manager).
  - An empty answer may mean an unknown adam id or a custom app the token does not give access to; Apple does not
    say which, so both are listed in RV(missing_adam_ids).
seealso:
  - module: assetops.licensing.vpp_asset_info
    description: O(assetops.licensing.vpp_asset_info#module:include_metadata) adds the same names to every asset of a location.
"""

EXAMPLES = r"""
- name: Names and icons of two apps
  assetops.licensing.vpp_app_info:
    token_path: /etc/ansible/secrets/school.vpptoken
    adam_ids:
      - "361309726"
      - "361285480"
  delegate_to: localhost
  register: names

- name: Show them
  ansible.builtin.debug:
    msg: "{{ item.adam_id }} is {{ item.name }} {{ item.version }} ({{ item.product_type }})"
  loop: "{{ names.apps }}"

- name: German names from the German store
  assetops.licensing.vpp_app_info:
    token_path: /etc/ansible/secrets/school.vpptoken
    adam_ids: ["361309726"]
    country: de
    language: de
  delegate_to: localhost
"""

RETURN = r"""
apps:
  description: The adam ids Apple has metadata for, in the order given.
  returned: success
  type: list
  elements: dict
  contains:
    adam_id:
      description: Apple's id of the App or Book.
      type: str
      sample: "361309726"
    name:
      description: The name in the store of O(country), in O(language).
      type: str
      sample: Pages
    bundle_id:
      description: The app's bundle id; null for Books.
      type: str
      sample: com.apple.Pages
    version:
      description: The version the store offers now.
      type: str
      sample: "14.2"
    artwork_url:
      description:
        - The icon, 512 by 512 pixels as PNG (Apple's URL template with C({w}x{h}bb.{f}) filled in as C(512x512bb.png);
          change that part of the URL for another size or format).
        - Null when Apple gives no icon.
      type: str
      sample: https://is1-ssl.mzstatic.com/image/thumb/Purple/v4/00/00/00/AppIcon.png/512x512bb.png
    is_custom_app:
      description: Whether it is a custom (B2B) app of the organisation.
      type: bool
    platforms:
      description: The device families it runs on, as Apple names them (for example C(iphone), C(ipad), C(mac)).
      type: list
      elements: str
      sample: [iphone, ipad]
    product_type:
      description:
        - C(App) or C(Book), as the location's assets say (never from the metadata, which calls some Books apps).
        - Null when the location holds no licenses of it.
      type: str
      sample: App
missing_adam_ids:
  description: The adam ids Apple returned no metadata for (unknown ids, or custom apps of another organisation).
  returned: success
  type: list
  elements: str
  sample: ["1000000002"]
"""

from ansible_collections.assetops.licensing.plugins.module_utils.vpp.app_info import app_info
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import VppModule, adam_id_list, clean_country, clean_language

OPTIONS = {
    "adam_ids": adam_id_list(required=True),
    "country": {"type": "str", "clean": clean_country},
    "language": {"type": "str", "default": "en", "clean": clean_language},
}


def main():
    VppModule(OPTIONS).run(app_info)


if __name__ == "__main__":
    main()
