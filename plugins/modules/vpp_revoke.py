#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_revoke
short_description: Take every revocable App back from devices and users
version_added: 0.1.0
description:
  - Removes every revocable asset from the devices in O(serial_numbers) and the users in O(client_user_ids), as when a
    device is wiped or a person leaves. Books and other assets that cannot be revoked stay.
  - Reads what the targets hold first; targets with nothing revocable are not sent, so a second run changes nothing
    and sends no write.
  - Requests are packed by Apple's revoke limits (C(maxRevokeSerialNumbers), C(maxRevokeClientUserIds)), one target
    kind per request, paced under C(maxRequestPerSecond).
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
  serial_numbers:
    description:
      - Devices, by serial number. At least one of O(serial_numbers) and O(client_user_ids) must be given.
      - A serial number with whitespace inside fails before any request; one with lower-case letters gives a warning,
        since Apple matches serial numbers exactly and devices report theirs in upper case.
    type: list
    elements: str
  client_user_ids:
    description: Users, by client user id.
    type: list
    elements: str
  wait:
    description: Wait for Apple's events to finish and report their outcome.
    type: bool
    default: true
seealso:
  - module: assetops.licensing.vpp_assignment
"""

EXAMPLES = r"""
- name: Free the licenses of devices sent for repair
  assetops.licensing.vpp_revoke:
    token: "{{ vault_vpp_token }}"
    serial_numbers: [DMPXK2ABCDEF, DMPXK2GHIJKL]
  delegate_to: localhost
  register: freed

- name: Show what was taken back
  ansible.builtin.debug:
    msg: "{{ freed.revoked | length }} licenses freed"
"""

RETURN = r"""
changed_count:
  description: With O(report=summary), the number of pairs the per-asset counts of RV(revoked) add up to.
  returned: when O(report=summary)
  type: int
  sample: 500000
failures_truncated:
  description:
    - With O(report=summary), how many failure records were left out of RV(failures), which lists at most 100.
  returned: when O(report=summary)
  type: int
  sample: 0
revoked:
  description:
    - The assignments this run removed; in check mode, those it would remove.
    - When the run fails part-way, only the assignments Apple is known to have taken back, as its events said or, where
      they did not settle it, as one read of the devices and users afterwards showed. C(changed) is true exactly when
      this list is not empty.
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
  description: Apple's REVOKE events, records as in M(assetops.licensing.vpp_assignment); V([]) in check mode.
  returned: always
  type: list
  elements: dict
failures:
  description:
    - Failures pair by pair, records as in M(assetops.licensing.vpp_assignment); V([]) when none.
    - The failure message names the first three (devices or users, assets, Apple's error number) and counts the rest.
  returned: always
  type: list
  elements: dict
diff:
  description:
    - Per device or user named, every asset it holds before and after (C(before), C(after)); those that are not
      revocable, such as Books, stay.
    - C(before_header), which ansible prints as the diff's first line (after C(--- before) and a colon), sums it up, for example
      C(would revoke 6 pairs from 2 devices and 1 user (3 apps); every asset the named devices and users hold is shown).
  returned: with --diff
  type: dict
"""

from ansible_collections.assetops.licensing.plugins.module_utils.module import id_list
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import (
    CACHE_OPTIONS,
    REPORT_OPTIONS,
    WRITE_WAIT_OPTIONS,
    VppModule,
    serial_number_list,
)
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.writes import revoke

OPTIONS = dict({
    "serial_numbers": serial_number_list(),
    "client_user_ids": id_list(),
    "wait": {"type": "bool", "default": True},
}, **dict(WRITE_WAIT_OPTIONS, **REPORT_OPTIONS, **CACHE_OPTIONS))


def main():
    VppModule(OPTIONS, writes=True, required_one_of=[("serial_numbers", "client_user_ids")]).run(revoke)


if __name__ == "__main__":
    main()
