#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_event_info
short_description: Read the status of Apple's asynchronous license events
version_added: 0.1.0
description:
  - Returns the status of events returned by M(assetops.licensing.vpp_assignment) or M(assetops.licensing.vpp_revoke)
    run with O(assetops.licensing.vpp_assignment#module:wait=false), including Apple's failures pair by pair.
  - Never fails because an event failed; with O(wait=true) it fails only when an event is still pending after
    O(wait_timeout).
author:
  - assetops.licensing maintainers (@assetops)
extends_documentation_fragment:
  - assetops.licensing.vpp
  - assetops.licensing.vpp.wait
  - assetops.licensing.attributes.info_module
  - assetops.licensing.attributes.actiongroup_vpp
options:
  event_ids:
    description: The event ids to read.
    type: list
    elements: str
    required: true
  wait:
    description: Poll until every event has finished (C(COMPLETE) or C(FAILED)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Assign without waiting
  assetops.licensing.vpp_assignment:
    adam_ids: ["361309726"]
    serial_numbers: "{{ new_ipads }}"
    wait: false
  delegate_to: localhost
  register: submitted

- name: Later, wait for Apple to finish
  assetops.licensing.vpp_event_info:
    event_ids: "{{ submitted.events | map(attribute='event_id') }}"
    wait: true
    wait_timeout: 900
  delegate_to: localhost
  register: finished

- name: Fail when something did not work
  ansible.builtin.assert:
    that: finished.events | selectattr('event_status', 'eq', 'FAILED') | list | length == 0
"""

RETURN = r"""
events:
  description: One record per event id, in the order given.
  returned: success
  type: list
  elements: dict
  contains:
    event_id:
      description: Apple's event id.
      type: str
    event_type:
      description: C(ASSOCIATE), C(DISASSOCIATE), C(REVOKE), C(CREATE), C(UPDATE) or C(RETIRE).
      type: str
    event_status:
      description: C(PENDING), C(COMPLETE) or C(FAILED); a C(FAILED) event may have done part of its work.
      type: str
    num_requested:
      description: Pairs (or users) the request asked for.
      type: int
    num_completed:
      description: How many were done.
      type: int
    failures:
      description: Apple's failures, records as in M(assetops.licensing.vpp_assignment).
      type: list
      elements: dict
"""

from ansible_collections.assetops.licensing.plugins.module_utils.module import id_list
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.events import event_info
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import WAIT_OPTIONS, VppModule

OPTIONS = dict({
    "event_ids": id_list(required=True),
    "wait": {"type": "bool", "default": False},
}, **WAIT_OPTIONS)


def main():
    VppModule(OPTIONS).run(event_info)


if __name__ == "__main__":
    main()
