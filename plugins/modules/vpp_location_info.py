#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpp_location_info
short_description: Describe a location, its owner and its content token
version_added: 0.1.0
description:
  - Reads how Apple describes one Apple Business Manager or Apple School Manager location in its client
    configuration (name, country, the management service that claimed it as its owner, the notifications
    it sends) and when its content token expires; with Apple's current limits and endpoint URLs.
  - Use it to find the id of a location's owner, which the modules that write need in O(mdm_id) to act for it.
  - Costs one request (C(GET /client/config)), plus one for Apple's limits and URLs when they are not cached on
    the controller (they are kept five minutes).
  - Never returns the notification auth token that Apple sends with the client configuration.
author:
  - assetops.licensing maintainers (@assetops)
extends_documentation_fragment:
  - assetops.licensing.vpp
  - assetops.licensing.attributes.info_module
  - assetops.licensing.attributes.actiongroup_vpp
options: {}
"""

EXAMPLES = r"""
- name: Describe the location
  assetops.licensing.vpp_location_info:
    token_path: /etc/ansible/secrets/school.vpptoken
  delegate_to: localhost
  register: school

- name: Warn when the content token runs out soon
  ansible.builtin.debug:
    msg: "The token of {{ school.location.location_name }} expires in {{ school.location.token_days_left }} days"
  when: school.location.token_days_left < 30

- name: Act for the management service that owns the location
  assetops.licensing.vpp_assignment:
    token_path: /etc/ansible/secrets/school.vpptoken
    mdm_id: "{{ school.location.mdm_info.id }}"
    adam_ids: ["361309726"]
    serial_numbers: ["DMQXK1ABCDEF"]
  delegate_to: localhost
  when: school.location.mdm_info is not none
"""

RETURN = r"""
location:
  description: The location as Apple describes it. A value Apple does not send is V(null).
  returned: success
  type: dict
  contains:
    location_name:
      description: The location's name in Apple Business Manager or Apple School Manager.
      type: str
      sample: Main Campus
    org_name:
      description: The organisation named in the content token.
      type: str
      sample: Example School
    uid:
      description: Apple's id of the location (C(uId)).
      type: str
      sample: "2049025000431439"
    country_code:
      description: The location's country, two letters (C(countryISO2ACode)); the default store country of its assets.
      type: str
      sample: US
    default_platform:
      description: C(volumestore) for education, C(enterprisestore) for business.
      type: str
      sample: volumestore
    token_expiration_date:
      description: When the content token expires, as Apple reports it.
      type: str
      sample: "2027-11-08T22:33:22+0000"
    token_days_left:
      description:
        - Whole days until the content token's own expiry date (its C(expDate)); V(0) on its last day.
        - Modules warn from 30 days left and fail once the token has expired.
      type: int
      sample: 335
    mdm_info:
      description:
        - The management service that claimed the location (its owner), as it set itself in the client
          configuration; V(null) when no service has claimed it.
        - The modules that write act for this owner only when O(mdm_id) is its RV(location.mdm_info.id).
      type: dict
      contains:
        id:
          description: The owner's id, the value O(mdm_id) takes to act for it.
          type: str
          sample: jamf-7781
        name:
          description: The owner's name.
          type: str
          sample: Jamf Pro
        metadata:
          description: What the owner stored beside its name, such as its version.
          type: str
          sample: "11.4"
    notification_url:
      description: Where Apple sends the location's notifications; V(null) when none is set.
      type: str
      sample: https://mdm.example.org/vpp/notifications
    notification_types:
      description: The notification types the location is subscribed to.
      type: list
      elements: str
      sample: [ASSET_MANAGEMENT, USER_MANAGEMENT]
    limits:
      description: Apple's current limits (C(/service/config)); a limit Apple leaves out has its documented value.
      type: dict
      contains:
        max_assets:
          description: Assets in one assign or disassociate request.
          type: int
          sample: 25
        max_serial_numbers:
          description: Serial numbers in one assign or disassociate request.
          type: int
          sample: 1000
        max_client_user_ids:
          description: Client user ids in one assign or disassociate request.
          type: int
          sample: 1000
        max_revoke_serial_numbers:
          description: Serial numbers in one revoke request.
          type: int
          sample: 100
        max_revoke_client_user_ids:
          description: Client user ids in one revoke request.
          type: int
          sample: 100
        max_users:
          description: Users in one create, update or retire request.
          type: int
          sample: 100
        max_request_per_second:
          description: Requests per second allowed for the location.
          type: int
          sample: 15
    urls:
      description: Apple's endpoint URLs by name (the C(urls) of C(/service/config)).
      type: dict
      sample:
        clientConfig: https://vpp.itunes.apple.com/mdm/v2/client/config
        getAssets: https://vpp.itunes.apple.com/mdm/v2/assets
"""

from ansible_collections.assetops.licensing.plugins.module_utils.vpp.location import location_info
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import VppModule

OPTIONS: dict = {}


def main():
    VppModule(OPTIONS).run(location_info)


if __name__ == "__main__":
    main()
