#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_user
short_description: Register users with Apple, update them, or retire them
version_added: 0.1.0
description:
  - Apple assigns an App or Book to a user (a client user id) only once the user is registered with the location.
    This module creates the users Apple does not know yet, updates a changed email or managed Apple ID, or
    retires users (O(state=absent)).
  - Reads the users named first, the cheapest way (one query per user, or the paged list when that takes fewer
    requests), and sends only what differs, so a second run changes nothing and sends no write.
  - A user created with a O(users[].managed_apple_id) is Associated at once; one without it is Registered and gets
    an invite code (see M(assetops.licensing.vpp_user_info) for the invitation link).
  - Requests hold at most Apple's C(maxUsers) users each, one kind (create, update, retire) per request.
  - Whether retiring a user also frees the user's licenses is not documented by Apple for this API; the module
    reports what Apple reports. M(assetops.licensing.vpp_revoke) takes a user's licenses back explicitly.
author:
  - assetops.licensing maintainers (@assetops)
extends_documentation_fragment:
  - assetops.licensing.vpp
  - assetops.licensing.vpp.wait
  - assetops.licensing.attributes.actiongroup_vpp
attributes:
  check_mode:
    description: Reads the users and returns exactly the changes it would make, without sending any write.
    support: full
  diff_mode:
    description: Shows, per user named in the task, the status, email and managed Apple ID before and after.
    support: full
options:
  users:
    description:
      - The users, by the client user id your system knows them by. Each id may be given once.
    type: list
    elements: dict
    required: true
    suboptions:
      client_user_id:
        description: The user's id in your system; Apple keeps it as the user's C(clientUserId).
        type: str
        required: true
      email:
        description:
          - The user's email address. Given, it is set on create and updated when Apple has another.
          - Not with O(state=absent).
        type: str
      managed_apple_id:
        description:
          - The user's Managed Apple Account. Given, the user is Associated at once.
          - Not with O(state=absent).
        type: str
  state:
    description:
      - V(present) creates the users Apple does not hold (a retired user is created again) and updates the
        email and managed Apple ID given where they differ.
      - V(absent) retires the users Apple holds. Retiring takes the client user id only.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description: Wait for Apple's events to finish and report their outcome.
    type: bool
    default: true
notes:
  - A request whose answer was lost is never sent again blindly; its users are read back until O(wait_timeout), and
    those still not done are reported in RV(failures) as C(outcome unknown). Run the task again once Apple has finished.
seealso:
  - module: assetops.licensing.vpp_user_info
  - module: assetops.licensing.vpp_assignment
  - module: assetops.licensing.vpp_revoke
"""

EXAMPLES = r"""
- name: Register this term's students (Managed Apple Accounts are Associated at once)
  assetops.licensing.vpp_user:
    token: "{{ vault_vpp_token }}"
    users:
      - client_user_id: student-1041
        email: ana@student.example.edu
        managed_apple_id: ana@appleid.example.edu
      - client_user_id: staff-77
        email: lee@example.edu
  delegate_to: localhost

- name: Retire the users who left
  assetops.licensing.vpp_user:
    users:
      - client_user_id: student-0998
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
changes:
  description: What this run did, user by user; in check mode, what it would do.
  returned: always
  type: list
  elements: dict
  contains:
    client_user_id:
      description: The user.
      type: str
    action:
      description: C(create), C(update) or C(retire).
      type: str
  sample: [{"client_user_id": "student-1041", "action": "create"}]
events:
  description:
    - Apple's CREATE, UPDATE and RETIRE events, records as in M(assetops.licensing.vpp_assignment); V([]) in check mode.
  returned: always
  type: list
  elements: dict
failures:
  description:
    - Failures user by user, records as in M(assetops.licensing.vpp_assignment) (RV(failures[].client_user_ids) names
      the users), with Apple's number, e.g. 9716 (the id exists already), 9717 (a bad email address), 9635 or 9641
      (Apple refused the Apple Account); V([]) when none.
  returned: always
  type: list
  elements: dict
  contains:
    error_number:
      description: Apple's error number; null for a problem found by the module (e.g. an answer that was lost).
      type: int
    error_message:
      description: What went wrong.
      type: str
    event_id:
      description: The event that reported it; null when the request itself was refused.
      type: str
    client_user_ids:
      description: The users concerned.
      type: list
      elements: str
diff:
  description: Per user named, C(status), C(email) and C(managed_apple_id) before and after (users Apple does not hold are left out).
  returned: with --diff
  type: dict
"""

from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import WAIT_OPTIONS, VppModule
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.user_writes import manage_users
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.users import check_user_input, user_options

OPTIONS = dict({
    "users": user_options(),
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "wait": {"type": "bool", "default": True},
}, **WAIT_OPTIONS)


def main():
    VppModule(OPTIONS, writes=True).run(manage_users, check_input=check_user_input)


if __name__ == "__main__":
    main()
