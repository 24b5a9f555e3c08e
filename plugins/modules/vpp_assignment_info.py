#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_assignment_info
short_description: List which devices and users hold which Apps and Books
version_added: 0.1.0
description:
  - Reads the license assignments of one Apple Business Manager or Apple School Manager location from the
    App and Book Management API.
  - Without filters, returns every assignment of the location (all pages, read in parallel after the first).
  - With filters, reads the cheapest way, one query per device or user, one per asset, or one walk over
    every page, whichever needs fewer requests.
author:
  - assetops.licensing maintainers (@assetops)
extends_documentation_fragment:
  - assetops.licensing.vpp
  - assetops.licensing.vpp.assignment_cache
  - assetops.licensing.attributes.info_module
  - assetops.licensing.attributes.actiongroup_vpp
options:
  adam_ids:
    description: Only assignments of these assets (adam ids as strings of digits). Repeats are ignored.
    type: list
    elements: str
  serial_numbers:
    description:
      - Only assignments to these device serial numbers.
      - A serial number with whitespace inside fails before any request; one with lower-case letters gives a warning,
        since Apple matches serial numbers exactly and devices report theirs in upper case.
      - Together with O(client_user_ids) this names the targets; an assignment matches when its target is
        in either list. An empty list matches nothing.
    type: list
    elements: str
  client_user_ids:
    description: Only assignments to these users (the client user ids your MDM registered), see O(serial_numbers).
    type: list
    elements: str
  pricing_param:
    description: Only assignments of licenses bought at this quality.
    type: str
    choices: [STDQ, PLUS]
"""

EXAMPLES = r"""
- name: Everything assigned in the location
  assetops.licensing.vpp_assignment_info:
    token_path: /etc/ansible/secrets/school.vpptoken
  delegate_to: localhost
  register: all_assignments

- name: What two iPads hold
  assetops.licensing.vpp_assignment_info:
    serial_numbers:
      - DMPXK2ABCDEF
      - DMPXK2GHIJKL
  delegate_to: localhost
  register: ipad_apps

- name: Who holds Keynote (token from the VPP_TOKEN environment variable)
  assetops.licensing.vpp_assignment_info:
    adam_ids: ["361285480"]
    pricing_param: STDQ
  delegate_to: localhost
  register: keynote_holders
"""

RETURN = r"""
assignments:
  description:
    - The matching assignments, sorted; V([]) when none match.
    - Each record has exactly one of RV(assignments[].serial_number) and RV(assignments[].client_user_id).
  returned: success
  type: list
  elements: dict
  contains:
    adam_id:
      description: Apple's id of the App or Book.
      type: str
      sample: "361285480"
    pricing_param:
      description: C(STDQ) or C(PLUS).
      type: str
      sample: STDQ
    serial_number:
      description: The device holding the license.
      type: str
      returned: for device assignments
      sample: DMPXK2ABCDEF
    client_user_id:
      description: The user holding the license.
      type: str
      returned: for user assignments
      sample: 6b5b2c4e-teacher-17
"""

from ansible_collections.assetops.licensing.plugins.module_utils.module import id_list
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import CACHE_OPTIONS, PRICING_PARAMS, VppModule, adam_id_list, serial_number_list
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.reads import assignment_info

OPTIONS = dict({
    "adam_ids": adam_id_list(),
    "serial_numbers": serial_number_list(),
    "client_user_ids": id_list(),
    "pricing_param": {"type": "str", "choices": PRICING_PARAMS},
}, **CACHE_OPTIONS)


def main():
    VppModule(OPTIONS).run(assignment_info)


if __name__ == "__main__":
    main()
