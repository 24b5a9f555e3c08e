#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_client_config
short_description: Claim a location for this collection and point Apple's notifications at a receiver
version_added: 0.1.0
description:
  - Sets the client configuration of the location the token belongs to, as a management service does
    (C(POST /client/config)) - the owner of the location (C(mdmInfo)), the URL Apple sends its
    notifications to with the token it sends along, and which notifications it sends.
  - Apple advises one management service per location; several "result in unpredictable asset allocation".
    The owner is the O(mdm_info) a service set here, and Apple returns it with every answer.
  - Reads the configuration first and compares only the options given; only what differs is sent, in one request,
    so a second run sends nothing. The notification types compare as a set. The notification auth token is compared
    without ever being shown.
  - A location nobody owns is claimed with O(mdm_info). A location owned by another id is refused, naming the owner,
    before any write, unless O(takeover=true). Without O(mdm_info), the task acts as O(mdm_id); a location another id
    owns is refused the same way.
  - There is no compare-and-set at Apple, so the configuration is read back after the write. When another service
    claimed the location in the meantime, the task fails and names it.
author:
  - assetops.licensing maintainers (@assetops)
extends_documentation_fragment:
  - assetops.licensing.vpp
  - assetops.licensing.attributes.actiongroup_vpp
options:
  mdm_info:
    description:
      - The owner to set on the location, that is this collection or the management service it acts for.
      - All three fields are needed, as Apple requires. Set O(mdm_id) (or E(VPP_MDM_ID)) to the same id so that the
        modules that write act as this owner.
    type: dict
    suboptions:
      id:
        description: A stable id of the management service, at most 100 characters (C(maxMdmIdLength)).
        type: str
        required: true
      name:
        description: Its name as people see it, at most 100 characters (C(maxMdmNameLength)).
        type: str
        required: true
      metadata:
        description: Free text, for example the instance or the team, at most 255 characters (C(maxMdmMetadataLength)).
        type: str
        required: true
  takeover:
    description:
      - Claim the location with O(mdm_info) even when another management service owns it.
      - Apple advises one management service per location, so stop the other one from managing it first.
    type: bool
    default: false
  notification_url:
    description:
      - The HTTPS URL Apple sends its notifications to, with a host and a path only (no user name, query or fragment),
        for example an Event-Driven Ansible event source.
      - Give it together with O(notification_auth_token).
      - Apple sends a test notification to it and refuses the configuration when the delivery fails (Apple error
        9728), so the receiver must be up and reachable from the internet with a trusted certificate first.
    type: str
  notification_auth_token:
    description:
      - The token Apple sends along with every notification, as C(Bearer) authorization, so that the receiver
        can tell Apple's notifications from others. Give it together with O(notification_url).
      - It is compared with the one Apple holds but never shown, returned or put in a diff.
    type: str
  notification_types:
    description:
      - The notifications Apple sends; the list replaces the whole set. V([]) stops them all.
      - Compared as a set; repeats are dropped.
    type: list
    elements: str
    choices: [ASSET_MANAGEMENT, ASSET_COUNT, USER_MANAGEMENT, USER_ASSOCIATED, SUBSCRIPTION_MANAGEMENT, SUBSCRIPTION_COUNT, UNLIMITED_ASSET]
attributes:
  check_mode:
    description: Reads the configuration and returns exactly what would change, without sending any write.
    support: full
  diff_mode:
    description: Shows the options given before and after; the notification auth token only as C((set)), C((not set)) or C((changed)).
    support: full
notes:
  - At least one of O(mdm_info), O(notification_url) and O(notification_types) must be given.
  - Whether Apple lets an owner be removed is not documented, so this module never tries to.
seealso:
  - module: assetops.licensing.vpp_assignment
"""

EXAMPLES = r"""
- name: Claim the location for a licence-only setup (no other MDM manages it)
  assetops.licensing.vpp_client_config:
    token: "{{ vault_vpp_token }}"
    mdm_info:
      id: assetops-licensing
      name: Ansible license automation
      metadata: "managed from the ops AWX, team IT"
  delegate_to: localhost

- name: The owner to act as, for every vpp module of the play
  module_defaults:
    group/assetops.licensing.vpp:
      token: "{{ vault_vpp_token }}"
      mdm_id: assetops-licensing
  block:
    - name: Send Apple's license and user notifications to an Event-Driven Ansible event source
      assetops.licensing.vpp_client_config:
        notification_url: https://eda.example.org/vpp
        notification_auth_token: "{{ vault_eda_vpp_token }}"
        notification_types: [ASSET_MANAGEMENT, ASSET_COUNT, USER_MANAGEMENT, USER_ASSOCIATED]
      delegate_to: localhost

- name: Take the location over from the MDM that managed it before (after switching that one off)
  assetops.licensing.vpp_client_config:
    token: "{{ vault_vpp_token }}"
    mdm_info:
      id: assetops-licensing
      name: Ansible license automation
      metadata: "took over from Jamf Pro"
    takeover: true
  delegate_to: localhost
"""

RETURN = r"""
client_config:
  description:
    - The location as M(assetops.licensing.vpp_location_info) returns it, without C(limits) and C(urls), as read back
      after the change; in check mode, as it would be. Never the notification auth token.
  returned: success, and on a refusal (as Apple holds it)
  type: dict
  contains:
    location_name:
      description: The location's name.
      type: str
    org_name:
      description: The organization named in the token.
      type: str
    uid:
      description: Apple's id of the location.
      type: str
    country_code:
      description: The location's country, two letters.
      type: str
    default_platform:
      description: C(volumestore) (education) or C(enterprisestore) (business).
      type: str
    token_expiration_date:
      description: When the token expires, in Apple's form, for example C(2027-11-08T22:33:22+0000).
      type: str
    token_days_left:
      description: Whole days until the token expires.
      type: int
    mdm_info:
      description: The owner, C({id, name, metadata}), or V(null) when nobody owns the location.
      type: dict
    notification_url:
      description: Where Apple sends notifications, or V(null).
      type: str
    notification_types:
      description: The notifications Apple sends.
      type: list
      elements: str
    notification_auth_token_set:
      description: Whether a notification auth token is set (the token itself is never returned).
      type: bool
  sample:
    location_name: Springfield High
    org_name: Springfield School District
    uid: "2049025000431439"
    country_code: US
    default_platform: volumestore
    token_expiration_date: "2027-11-08T22:33:22+0000"
    token_days_left: 300
    mdm_info: {id: assetops-licensing, name: Ansible license automation, metadata: managed from the ops AWX}
    notification_url: https://eda.example.org/vpp
    notification_types: [ASSET_MANAGEMENT, ASSET_COUNT]
    notification_auth_token_set: true
diff:
  description:
    - The options given, before and after (C(mdm_info), C(notification_url), C(notification_types)); the notification
      auth token only as C((set)), C((not set)) or C((changed)).
  returned: with --diff
  type: dict
"""

from ansible_collections.assetops.licensing.plugins.module_utils.module import clean_list
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.client_config import (
    NOTIFICATION_TYPES,
    check_input,
    configure,
    mdm_text,
    notification_url,
    secret_text,
)
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import VppModule

OPTIONS = {
    "mdm_info": {"type": "dict", "options": {
        "id": {"type": "str", "required": True, "clean": mdm_text("maxMdmIdLength")},
        "name": {"type": "str", "required": True, "clean": mdm_text("maxMdmNameLength")},
        "metadata": {"type": "str", "required": True, "clean": mdm_text("maxMdmMetadataLength")},
    }},
    "takeover": {"type": "bool", "default": False},
    "notification_url": {"type": "str", "clean": notification_url},
    "notification_auth_token": {"type": "str", "no_log": True, "clean": secret_text},
    "notification_types": {"type": "list", "elements": "str", "choices": NOTIFICATION_TYPES, "clean": clean_list},
}


def main():
    VppModule(
        OPTIONS, writes=True, required_together=[("notification_url", "notification_auth_token")],
        required_one_of=[("mdm_info", "notification_url", "notification_types")],
    ).run(configure, check_input=check_input)


if __name__ == "__main__":
    main()
