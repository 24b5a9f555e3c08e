#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: reseller_asset_info
short_description: List software assets on the reseller platform
version_added: 0.1.0
description:
  - Reads assets (software, subscriptions, reservations bought through purchase orders) from the Asset resource of
    the reseller platform's customer API (Crayon Cloud-iQ), every page.
  - Enumerations are returned as lower-case names and prices as strings holding the exact decimal the API sent.
author:
  - assetops.licensing maintainers (@assetops)
extends_documentation_fragment:
  - assetops.licensing.reseller
  - assetops.licensing.attributes.info_module
  - assetops.licensing.attributes.actiongroup_reseller
options:
  id:
    description: One asset by its id; V([]) when the platform does not know it. The other filters are then ignored.
    type: int
  reseller_customer_id:
    description: Only assets of this customer.
    type: int
  publisher_id:
    description: Only assets of this publisher.
    type: int
  external_order_ids:
    description: Only assets from these purchase orders.
    type: list
    elements: str
  reservation_id:
    description: Only the asset of this reservation.
    type: str
  asset_type:
    description: Only assets of this type.
    type: str
    choices: [reservation, software, subscription]
  status:
    description: Only assets in these states; by default every state (the API's own default hides some).
    type: list
    elements: str
    choices: [fulfilling, succeeded, cancelled, expired]
  search:
    description: Only assets whose name contains this text.
    type: str
  invoice_profile_id:
    description: Only assets billed to this invoice profile.
    type: int
"""

EXAMPLES = r"""
- name: Every asset of a customer
  assetops.licensing.reseller_asset_info:
    reseller_customer_id: 1001
  delegate_to: localhost
  register: customer_assets

- name: Active software from two orders, credentials set once for the play
  module_defaults:
    group/assetops.licensing.reseller:
      client_id: "{{ vault_reseller_client_id }}"
      client_secret: "{{ vault_reseller_client_secret }}"
      username: "{{ vault_reseller_username }}"
      password: "{{ vault_reseller_password }}"
  assetops.licensing.reseller_asset_info:
    external_order_ids: [ORD-1001-A, ORD-1001-B]
    asset_type: software
    status: [succeeded]
  delegate_to: localhost
  register: ordered

- name: Sum what a customer pays, exactly
  ansible.builtin.debug:
    msg: "{{ customer_assets.assets | map(attribute='sales_price') | map('float') | sum }}"
"""

RETURN = r"""
assets:
  description: The matching assets, sorted by id; V([]) when none match.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The asset id, the key of every write.
      type: int
      sample: 4711
    name:
      description: The asset's name (not unique).
      type: str
      sample: Microsoft 365 E3
    status:
      description: C(fulfilling), C(succeeded), C(cancelled) or C(expired).
      type: str
      sample: succeeded
    asset_type:
      description: C(reservation), C(software) or C(subscription).
      type: str
      sample: software
    scope:
      description: C(shared), C(single) or C(managementgroups).
      type: str
      sample: single
    billing_cycle:
      description: C(unknown), C(monthly), C(annual), C(none), C(onetime), C(triennial) or C(biennial).
      type: str
      sample: annual
    quantity:
      description: How many were bought.
      type: int
    external_order_id:
      description: The purchase order that made the asset.
      type: str
    external_product_id:
      description: The publisher's product id.
      type: str
    external_sku_id:
      description: The publisher's SKU id.
      type: str
    product_variant_id:
      description: The platform's product variant, or null.
      type: int
    reseller_customer_id:
      description: The customer that owns the asset.
      type: int
    publisher_id:
      description: The publisher.
      type: int
    program_id:
      description: The licensing program.
      type: int
    reservation_id:
      description: The reservation, for reservations.
      type: str
    reservation_used_in_subscription_id:
      description: The subscription a reservation is used in.
      type: int
    reservation_used_in_subscription:
      description: That subscription (id, name, publisher_subscription_id, reseller_customer_name), or null.
      type: dict
    start_date:
      description: Start, as the API sent it (no time zone).
      type: str
    expiration_date:
      description: End, or null.
      type: str
    purchase_date:
      description: When it was bought.
      type: str
    created_date:
      description: When the record was created.
      type: str
    modified_date:
      description: When the record last changed.
      type: str
    changed_by:
      description: Who changed it last.
      type: str
    purchase_currency:
      description: Currency of RV(assets[].purchase_price).
      type: str
      sample: EUR
    purchase_price:
      description: The purchase price as the exact decimal the API sent.
      type: str
      sample: "1234.5678901234567890"
    sales_currency:
      description: Currency of RV(assets[].sales_price).
      type: str
    sales_price:
      description: The sales price as the exact decimal the API sent.
      type: str
    invoice_profile:
      description: The invoice profile (id, name), or null.
      type: dict
    tags:
      description: The tags (cost_center, department, project, custom, owner), or null when the asset has none.
      type: dict
    auto_renew_enabled:
      description: Whether the asset renews itself, or null when it does not apply.
      type: bool
    reserved_instance_artifact_resource_id:
      description: The cloud resource of a reserved instance.
      type: str
"""

from ansible_collections.assetops.licensing.plugins.module_utils.module import id_list
from ansible_collections.assetops.licensing.plugins.module_utils.reseller.assets import asset_info
from ansible_collections.assetops.licensing.plugins.module_utils.reseller.module import ResellerModule, record_id

OPTIONS = {
    "id": record_id(),
    "reseller_customer_id": record_id(),
    "publisher_id": record_id(),
    "external_order_ids": id_list(),
    "reservation_id": {"type": "str"},
    "asset_type": {"type": "str", "choices": ["reservation", "software", "subscription"]},
    "status": {"type": "list", "elements": "str", "choices": ["fulfilling", "succeeded", "cancelled", "expired"]},
    "search": {"type": "str"},
    "invoice_profile_id": record_id(),
}


def main():
    ResellerModule(OPTIONS).run(asset_info)


if __name__ == "__main__":
    main()
