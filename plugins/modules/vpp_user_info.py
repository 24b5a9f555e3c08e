#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_user_info
short_description: List the users registered with a location, with their invitation links
version_added: 0.1.0
description:
  - Reads the users of one Apple Business Manager or Apple School Manager location (the client user ids an MDM
    registered) from the App and Book Management API.
  - With O(client_user_ids), reads the cheapest way, one query per user or the paged list, whichever needs fewer
    requests.
author:
  - assetops.licensing maintainers (@assetops)
extends_documentation_fragment:
  - assetops.licensing.vpp
  - assetops.licensing.attributes.info_module
  - assetops.licensing.attributes.actiongroup_vpp
options:
  client_user_ids:
    description: Only these users. Repeats are ignored; an empty list matches nothing.
    type: list
    elements: str
  status:
    description: Only users with one of these statuses (Apple's values).
    type: list
    elements: str
    choices: [Registered, Associated, Retired]
    default: [Registered, Associated]
seealso:
  - module: assetops.licensing.vpp_user
"""

EXAMPLES = r"""
- name: Invitation links of the users who have not joined yet
  assetops.licensing.vpp_user_info:
    status: [Registered]
  delegate_to: localhost
  register: pending

- name: Send them
  ansible.builtin.debug:
    msg: "{{ item.email }}: {{ item.invite_url }}"
  loop: "{{ pending.users }}"
"""

RETURN = r"""
users:
  description: The matching users, sorted by client user id; V([]) when none match.
  returned: success
  type: list
  elements: dict
  contains:
    client_user_id:
      description: The user's id in the MDM.
      type: str
    email:
      description: The user's email address; null when Apple has none.
      type: str
    managed_apple_id:
      description: The user's Managed Apple Account; null when Apple has none.
      type: str
    status:
      description: Apple's status of the user, C(Registered), C(Associated) or C(Retired).
      type: str
    invite_code:
      description: The code a Registered user accepts the invitation with; null otherwise.
      type: str
    invite_url:
      description:
        - The invitation link, the service config's C(invitationEmail) URL with the invite code in place; null
          without an invite code.
      type: str
    id_hash:
      description: Apple's hash of the associated Apple Account; null until one is associated.
      type: str
  sample: [{"client_user_id": "staff-77", "email": "lee@example.edu", "managed_apple_id": null, "status": "Registered",
            "invite_code": "f81c7e2a9b3d4c10", "invite_url": "https://buy.itunes.apple.com/...inviteCode=f81c7e2a9b3d4c10",
            "id_hash": null}]
"""

from ansible_collections.assetops.licensing.plugins.module_utils.module import id_list
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import VppModule
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.users import STATUSES, user_info

OPTIONS = {
    "client_user_ids": id_list(),
    "status": {"type": "list", "elements": "str", "choices": STATUSES, "default": ["Registered", "Associated"]},
}


def main():
    VppModule(OPTIONS).run(user_info)


if __name__ == "__main__":
    main()
