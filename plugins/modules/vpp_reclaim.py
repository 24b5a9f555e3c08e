#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_reclaim
short_description: Take licenses back from devices and users that are no longer in the inventory
version_added: 0.1.0
description:
  - Takes back every revocable license held by a device or user of the location that is not in the inventory given
    as O(keep_serial_numbers) and O(keep_client_user_ids) (lost, retired or re-imaged devices, people who left).
  - A target kind whose keep list is not given is left alone; an empty keep list means "keep none of that kind".
    Giving neither list is refused.
  - Books and other assets that cannot be revoked are never touched. O(adam_ids) restricts the reclaim to those assets.
  - Destructive work has a cap. When more licenses would be taken back than O(max_reclaims), the task fails before any
    write, saying how many; run it in check mode to see exactly which licenses it would take back.
  - Requests are as few as Apple's limits allow. Per target kind, the licenses are taken back with disassociate
    requests (up to C(maxAssets) assets times C(maxSerialNumbers) or C(maxClientUserIds) targets each), or, for devices
    and users that lose every revocable asset they hold, with revoke requests (C(maxRevokeSerialNumbers),
    C(maxRevokeClientUserIds) targets each), whichever needs fewer requests. With O(adam_ids) only disassociate is used,
    because a revoke would also take the assets outside O(adam_ids).
  - Idempotent; a second run sends no write. The owner guard (O(mdm_id)) refuses another MDM's location before any write.
  - The license is gone once the event completes; an App that stays installed is handled by Apple and the MDM (see the
    offboarding guide).
author:
  - assetops.licensing maintainers (@assetops)
extends_documentation_fragment:
  - assetops.licensing.vpp
  - assetops.licensing.vpp.wait
  - assetops.licensing.vpp.write
  - assetops.licensing.vpp.report
  - assetops.licensing.vpp.assignment_cache
  - assetops.licensing.attributes.state_module
  - assetops.licensing.attributes.actiongroup_vpp
options:
  keep_serial_numbers:
    description:
      - The devices to keep, by serial number, exactly as Apple stores it (the comparison is exact).
      - Every other device of the location loses its revocable licenses. Not given, devices are left alone; V([]) keeps
        no device.
      - At least one of O(keep_serial_numbers) and O(keep_client_user_ids) must be given.
    type: list
    elements: str
  keep_client_user_ids:
    description:
      - The users to keep, by client user id. Every other user loses its revocable licenses. Not given, users are left
        alone; V([]) keeps no user.
    type: list
    elements: str
  adam_ids:
    description: Take back only these assets. Not given, every revocable asset of the location.
    type: list
    elements: str
  max_reclaims:
    description:
      - The most licenses (assignment pairs) one run may take back; a run that would take back more fails before any
        write, with the count. V(0) means no cap. In check mode a larger count only warns, so the list can be seen.
    type: int
    default: 100
  wait:
    description: Wait for Apple's events to finish and report their outcome.
    type: bool
    default: true
seealso:
  - module: assetops.licensing.vpp_revoke
  - module: assetops.licensing.vpp_assignment_info
"""

EXAMPLES = r"""
- name: See what a reclaim against the inventory would take back
  assetops.licensing.vpp_reclaim:
    token: "{{ vault_vpp_token }}"
    keep_serial_numbers: "{{ groups['ipads'] | map('extract', hostvars, 'serial_number') | list }}"
  check_mode: true
  delegate_to: localhost
  register: preview

- name: Take them back, at most 200 licenses in one run
  assetops.licensing.vpp_reclaim:
    token: "{{ vault_vpp_token }}"
    keep_serial_numbers: "{{ groups['ipads'] | map('extract', hostvars, 'serial_number') | list }}"
    max_reclaims: 200
  delegate_to: localhost

- name: Take one App back from every user who is not on the staff list (devices are left alone)
  assetops.licensing.vpp_reclaim:
    token: "{{ vault_vpp_token }}"
    keep_client_user_ids: "{{ staff_ids }}"
    adam_ids: ["361309726"]
  delegate_to: localhost
"""

RETURN = r"""
changed_count:
  description: With O(report=summary), the number of pairs the per-asset counts of RV(reclaimed) add up to.
  returned: when O(report=summary)
  type: int
  sample: 500000
failures_truncated:
  description:
    - With O(report=summary), how many failure records were left out of RV(failures), which lists at most 100.
  returned: when O(report=summary)
  type: int
  sample: 0
reclaimed:
  description:
    - The assignments this run took back; in check mode, those it would take back.
    - "With O(report=summary), one record per asset instead, with C(adam_id), C(pricing_param) and C(count)."
  returned: always
  type: list
  elements: dict
  contains:
    adam_id:
      description: The asset.
      type: str
    pricing_param:
      description: C(STDQ) or C(PLUS).
      type: str
    serial_number:
      description: The device, for device assignments.
      type: str
      returned: for device assignments
    client_user_id:
      description: The user, for user assignments.
      type: str
      returned: for user assignments
    count:
      description: With O(report=summary), how many pairs of this asset; the per-pair keys are then absent.
      type: int
      returned: when O(report=summary)
events:
  description: Apple's REVOKE and DISASSOCIATE events, records as in M(assetops.licensing.vpp_assignment); V([]) in check mode.
  returned: always
  type: list
  elements: dict
failures:
  description: Failures pair by pair, records as in M(assetops.licensing.vpp_assignment); V([]) when none.
  returned: always
  type: list
  elements: dict
would_reclaim:
  description: How many licenses the run would have taken back when it failed on O(max_reclaims).
  returned: when the cap is exceeded
  type: int
diff:
  description: Per device or user that loses licenses, the revocable assets it holds before and after.
  returned: with --diff
  type: dict
"""

from ansible_collections.assetops.licensing.plugins.module_utils.module import id_list
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import CACHE_OPTIONS, REPORT_OPTIONS, WRITE_WAIT_OPTIONS, VppModule, adam_id_list
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.reclaim import check_keep_lists, clean_max_reclaims, reclaim

OPTIONS = dict({
    "keep_serial_numbers": id_list(),
    "keep_client_user_ids": id_list(),
    "adam_ids": adam_id_list(),
    "max_reclaims": {"type": "int", "default": 100, "clean": clean_max_reclaims},
    "wait": {"type": "bool", "default": True},
}, **dict(WRITE_WAIT_OPTIONS, **REPORT_OPTIONS, **CACHE_OPTIONS))


def main():
    VppModule(OPTIONS, writes=True).run(reclaim, check_input=check_keep_lists)


if __name__ == "__main__":
    main()
