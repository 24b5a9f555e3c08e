#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_assignment
short_description: Assign Apps and Books to devices and users, or take them back
version_added: 0.1.0
description:
  - Makes every asset in O(adam_ids) held (O(state=present)) or not held (O(state=absent)) by every device in
    O(serial_numbers) and every user in O(client_user_ids) of one Apple Business Manager or Apple School Manager
    location.
  - Reads what is assigned the cheapest way, sends only the missing (or present) pairs, and packs them into the
    fewest requests Apple's limits allow (C(maxAssets), C(maxSerialNumbers), C(maxClientUserIds)), one target kind
    per request, paced under C(maxRequestPerSecond).
  - Before any write it checks that every asset is in the location with O(pricing_param), can go to devices when
    serial numbers are named, and has enough licenses for the new pairs (free assets always have); with
    O(state=absent), that the assets can be taken back (Books cannot). A plan that cannot succeed fails with a
    report of what is wrong and sends nothing.
  - Apple applies writes asynchronously; with O(wait=true) the module polls the events and reports, pair by pair,
    what was done (RV(changes)) and what failed (RV(failures), with Apple's error numbers).
  - A request whose outcome is unknown (connection lost, timeout) is never sent again blindly; the module re-reads
    the affected pairs and sends only what is still missing.
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
  adam_ids:
    description:
      - The assets (Apple's adam ids, as strings of digits). Repeats are ignored; an empty string or a name is an error.
      - Give either O(adam_ids) (with O(serial_numbers) or O(client_user_ids)) or O(assignments).
    type: list
    elements: str
  pricing_param:
    description: The license quality the assets were bought at, C(STDQ) (standard) or C(PLUS) (high quality).
    type: str
    choices: [STDQ, PLUS]
    default: STDQ
  serial_numbers:
    description:
      - Devices, by serial number. With O(adam_ids), at least one of O(serial_numbers) and O(client_user_ids) must be
        given; an empty list means nothing to do.
      - Apple matches serial numbers exactly and does not check them, so a typing slip would use a license as a new
        device. A serial number with whitespace inside fails before any request; one with lower-case letters gives
        a warning, since devices report theirs in upper case.
    type: list
    elements: str
  client_user_ids:
    description: Users, by the client user id your MDM registered them with.
    type: list
    elements: str
  assignments:
    description:
      - Several groups of assets and targets in one task, instead of O(adam_ids), O(pricing_param), O(serial_numbers)
        and O(client_user_ids) (mutually exclusive with them).
      - Every group is planned together - one read of what is held, one license check across all groups (counting
        only new pairs), and the fewest requests across groups - so one task may give different apps to different
        devices, and mix C(STDQ) and C(PLUS) assets.
      - O(state) applies to every group.
    type: list
    elements: dict
    suboptions:
      adam_ids:
        description: The assets of this group.
        type: list
        elements: str
        required: true
      pricing_param:
        description: The license quality of this group's assets.
        type: str
        choices: [STDQ, PLUS]
        default: STDQ
      serial_numbers:
        description:
          - Devices of this group. At least one of O(assignments[].serial_numbers) and O(assignments[].client_user_ids).
          - Checked as O(serial_numbers) is.
        type: list
        elements: str
      client_user_ids:
        description: Users of this group.
        type: list
        elements: str
  state:
    description: V(present) assigns (associate), V(absent) takes back (disassociate).
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait for Apple's events to finish and report their outcome.
      - With V(false), returns the events as submitted (C(PENDING)); follow them with M(assetops.licensing.vpp_event_info).
    type: bool
    default: true
notes:
  - Run it once for many devices (for example with O(ignore:run_once=true) and the serial numbers of every host of
    the play) rather than once per host; one call needs a handful of requests where per-host calls need hundreds.
    When devices need different apps, give every app set as a group of O(assignments) in that one call.
seealso:
  - module: assetops.licensing.vpp_revoke
  - module: assetops.licensing.vpp_event_info
"""

EXAMPLES = r"""
- name: Give every iPad of the play Pages and Keynote
  assetops.licensing.vpp_assignment:
    token: "{{ vault_vpp_token }}"
    adam_ids:
      - "361309726"
      - "361285480"
    serial_numbers: "{{ ansible_play_hosts | map('extract', hostvars, 'serial_number') | list }}"
  run_once: true
  delegate_to: localhost

- name: Give two teachers a book
  assetops.licensing.vpp_assignment:
    adam_ids: ["1485035550"]
    client_user_ids: [teacher-17, teacher-18]
  delegate_to: localhost

- name: Per-device app sets in one task, planned together (the device_onboarding role works this way)
  assetops.licensing.vpp_assignment:
    assignments:
      - adam_ids: ["361309726", "361285480"]
        serial_numbers: [DMPXK2ABCDEF, DMPXK2GHIJKL]
      - adam_ids: ["1500000124"]
        pricing_param: PLUS
        serial_numbers: [DMPXK2ABCDEF]
  run_once: true
  delegate_to: localhost

- name: Take an app back from a retired device, without waiting for Apple
  assetops.licensing.vpp_assignment:
    adam_ids: ["361309726"]
    serial_numbers: [DMPXK2ABCDEF]
    state: absent
    wait: false
  delegate_to: localhost
  register: taken_back
"""

RETURN = r"""
changed_count:
  description: With O(report=summary), the number of pairs the per-asset counts of RV(changes) add up to.
  returned: when O(report=summary)
  type: int
  sample: 500000
failures_truncated:
  description:
    - With O(report=summary), how many failure records were left out of RV(failures), which lists at most 100.
  returned: when O(report=summary)
  type: int
  sample: 0
changes:
  description:
    - The assignments this run made (V(present)) or removed (V(absent)); in check mode, those it would.
    - With O(wait=false), the pairs that were submitted.
    - When the run fails part-way, only the pairs Apple is known to hold (V(present)) or no longer hold (V(absent)), as its
      events said or, where they did not settle it (an event still pending at O(wait_timeout), status checks that failed,
      counts that disagree with the failures named), as one read of the pairs afterwards showed. C(changed) is true
      exactly when this list is not empty.
    - "With O(report=summary), one record per asset instead, with C(adam_id), C(pricing_param) and C(count)."
  returned: always
  type: list
  elements: dict
  contains:
    adam_id:
      description: The asset.
      type: str
      sample: "361309726"
    pricing_param:
      description: C(STDQ) or C(PLUS).
      type: str
      sample: STDQ
    serial_number:
      description: The device, for device pairs.
      type: str
      returned: for device pairs
      sample: DMPXK2ABCDEF
    client_user_id:
      description: The user, for user pairs.
      type: str
      returned: for user pairs
      sample: teacher-17
    count:
      description: With O(report=summary), how many pairs of this asset; the per-pair keys are then absent.
      type: int
      returned: when O(report=summary)
events:
  description: Apple's events for the requests sent; V([]) in check mode and when nothing was sent.
  returned: always
  type: list
  elements: dict
  contains:
    event_id:
      description: Apple's event id.
      type: str
    event_type:
      description: C(ASSOCIATE) or C(DISASSOCIATE).
      type: str
    event_status:
      description: C(PENDING), C(COMPLETE) or C(FAILED). A C(FAILED) event may have done part of its pairs.
      type: str
    num_requested:
      description: Asset x target pairs the request asked for.
      type: int
    num_completed:
      description: Pairs done.
      type: int
    failures:
      description: Apple's failures of this event, records as in RV(failures).
      type: list
      elements: dict
failures:
  description:
    - Every failure, pair by pair as Apple names them, V([]) when none. Includes requests Apple refused outright,
      requests whose outcome stayed unknown (their error message starts with C(outcome unknown:), for example when the
      pairs could not be read back after an error), and requests left unsent after a token or service error (their
      error message starts with C(not sent after:)).
    - The failure message names the first three failures (devices or users, assets, Apple's error number) and counts
      the rest; this list has them all.
  returned: always
  type: list
  elements: dict
  contains:
    error_number:
      description: Apple's error number, for example 9709 (not enough licenses) or 9609 (user not registered); null for our own findings.
      type: int
    error_message:
      description: What went wrong.
      type: str
    event_id:
      description: The event that reported it, or null.
      type: str
    adam_ids:
      description: Assets named.
      type: list
      elements: str
    serial_numbers:
      description: Devices named.
      type: list
      elements: str
    client_user_ids:
      description: Users named.
      type: list
      elements: str
shortages:
  description: When licenses are short, per asset what the plan needs and what is available; nothing was sent.
  returned: on failure, when licenses are short
  type: list
  elements: dict
  sample: [{adam_id: "361309726", pricing_param: STDQ, needed: 40, available: 12}]
missing_adam_ids:
  description: Assets that are not in the location with O(pricing_param); nothing was sent.
  returned: on failure, when assets are missing
  type: list
  elements: str
not_device_assignable:
  description: Assets that cannot go to devices (use O(client_user_ids)); nothing was sent.
  returned: on failure, when such assets meet serial numbers
  type: list
  elements: str
not_revocable:
  description: Assets Apple cannot take back, named with O(state=absent); nothing was sent.
  returned: on failure, with O(state=absent)
  type: list
  elements: str
diff:
  description:
    - Per device or user named in the task, the named assets it holds before and after (C(before), C(after)).
    - C(before_header), which ansible prints as the diff's first line (after C(--- before) and a colon), sums it up and says what the diff covers, for
      example C(would assign 400 pairs to 200 devices (2 apps); only the task's apps are shown); other assets the
      devices and users hold are not read, so an empty C(after) under V(absent) does not mean they hold nothing.
  returned: with --diff
  type: dict
"""

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError
from ansible_collections.assetops.licensing.plugins.module_utils.module import id_list
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import (
    PRICING_PARAMS,
    CACHE_OPTIONS,
    REPORT_OPTIONS,
    WRITE_WAIT_OPTIONS,
    VppModule,
    adam_id_list,
    serial_number_list,
)
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.writes import assign

TARGETS = ("serial_numbers", "client_user_ids")
GROUP_OPTIONS = {
    "adam_ids": adam_id_list(required=True),
    "pricing_param": {"type": "str", "choices": PRICING_PARAMS, "default": "STDQ"},
    "serial_numbers": serial_number_list(),
    "client_user_ids": id_list(),
}
OPTIONS = dict({
    "adam_ids": adam_id_list(),
    "pricing_param": {"type": "str", "choices": PRICING_PARAMS, "default": "STDQ"},
    "serial_numbers": serial_number_list(),
    "client_user_ids": id_list(),
    "assignments": {"type": "list", "elements": "dict", "options": GROUP_OPTIONS, "required_one_of": [TARGETS]},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "wait": {"type": "bool", "default": True},
}, **dict(WRITE_WAIT_OPTIONS, **REPORT_OPTIONS, **CACHE_OPTIONS))


def check_targets(options):
    """The top-level options name assets and targets together; a group checks its own targets."""
    if options.adam_ids is not None and options.serial_numbers is None and options.client_user_ids is None:
        raise InputError("one of the following is required: {0}".format(", ".join(TARGETS)))


def main():
    VppModule(
        OPTIONS, writes=True, required_one_of=[("adam_ids", "assignments")],
        mutually_exclusive=[("assignments", name) for name in ("adam_ids", "pricing_param") + TARGETS],
    ).run(assign, check_input=check_targets)


if __name__ == "__main__":
    main()
