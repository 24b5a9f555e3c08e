#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: reseller_asset
short_description: Keep the name, invoice profile, auto-renewal and tags of a reseller asset as declared
version_added: 0.1.0
description:
  - Manages the fields a customer may change on an asset of the reseller platform (Crayon Cloud-iQ) - O(name),
    O(invoice_profile_id), O(auto_renew_enabled) and O(tags). Only the options given are compared and changed.
  - Assets come from purchase orders, so this module cannot create or delete one; a lookup that finds no asset fails
    saying so, and one that finds several fails listing their ids.
  - Updates read the whole asset, change the managed fields and write it back; tags go through their own endpoint.
    The asset is read again afterwards, and any field the platform did not take is reported as a warning (the task
    still reports C(changed), since the platform recorded the write).
author:
  - assetops.licensing maintainers (@assetops)
extends_documentation_fragment:
  - assetops.licensing.reseller
  - assetops.licensing.attributes.actiongroup_reseller
attributes:
  check_mode:
    description: Reads the asset and returns the changes it would make, without writing.
    support: full
  diff_mode:
    description: Shows the managed fields the task names, before and after.
    support: full
options:
  id:
    description: The asset id. Give either O(id) or O(external_order_id) with O(reseller_customer_id).
    type: int
  external_order_id:
    description: The purchase order that made the asset; needs O(reseller_customer_id).
    type: str
  reseller_customer_id:
    description: The customer that owns the asset, with O(external_order_id).
    type: int
  external_product_id:
    description: Narrows an O(external_order_id) lookup when one order made several assets.
    type: str
  external_sku_id:
    description: Narrows an O(external_order_id) lookup by SKU.
    type: str
  product_variant_id:
    description: Narrows an O(external_order_id) lookup by product variant.
    type: int
  name:
    description: The asset's name; it cannot be empty.
    type: str
  invoice_profile_id:
    description: The id of the invoice profile the asset is billed to.
    type: int
  auto_renew_enabled:
    description: Whether the asset renews itself.
    type: bool
  tags:
    description:
      - Tags to set. Tags not named here are kept, unless O(purge_tags=true).
    type: dict
    suboptions:
      cost_center:
        description: Cost center.
        type: str
      department:
        description: Department.
        type: str
      project:
        description: Project.
        type: str
      custom:
        description: Free text.
        type: str
      owner:
        description: Owner.
        type: str
  purge_tags:
    description:
      - With O(tags), clear the tags not named there; when that leaves none, the asset's tags are deleted.
      - Needs O(tags); O(tags={}) with O(purge_tags=true) removes every tag.
    type: bool
    default: false
  state:
    description: Only V(present); the platform has no way to create or delete assets.
    type: str
    choices: [present]
    default: present
"""

EXAMPLES = r"""
- name: Bill an asset to the marketing invoice profile and tag it
  assetops.licensing.reseller_asset:
    id: 4711
    invoice_profile_id: 12
    tags:
      cost_center: CC-4410
      department: Marketing
  delegate_to: localhost

- name: Turn off auto-renewal of the asset an order made, found by order and SKU
  assetops.licensing.reseller_asset:
    external_order_id: ORD-1001-MULTI
    reseller_customer_id: 1001
    external_sku_id: SKU-E3-ANNUAL
    auto_renew_enabled: false
  delegate_to: localhost

- name: Keep only the owner tag
  assetops.licensing.reseller_asset:
    id: 4711
    tags:
      owner: it-licensing@example.org
    purge_tags: true
  delegate_to: localhost
"""

RETURN = r"""
asset:
  description:
    - The asset as it is after the run, read again from the platform; in check mode, as it would be (the name of a
      new invoice profile is then null, since the Asset API cannot tell it before the change).
    - The same record as RV(assetops.licensing.reseller_asset_info#module:assets[]).
  returned: success
  type: dict
  sample: {id: 4711, name: Microsoft 365 E3, status: succeeded, asset_type: software, invoice_profile: {id: 12, name: Marketing},
           tags: {cost_center: CC-4410, department: Marketing, project: null, custom: null, owner: null}, auto_renew_enabled: true,
           purchase_price: "1234.5678901234567890"}
candidate_ids:
  description: When the lookup matched several assets, their ids.
  returned: on failure, when the lookup is ambiguous
  type: list
  elements: int
diff:
  description: The managed fields the task names, before and after.
  returned: with --diff
  type: dict
"""

from ansible_collections.assetops.licensing.plugins.module_utils.reseller.assets import check_update, manage_asset
from ansible_collections.assetops.licensing.plugins.module_utils.reseller.module import ResellerModule, record_id

OPTIONS = {
    "id": record_id(),
    "external_order_id": {"type": "str"},
    "reseller_customer_id": record_id(),
    "external_product_id": {"type": "str"},
    "external_sku_id": {"type": "str"},
    "product_variant_id": record_id(),
    "name": {"type": "str"},
    "invoice_profile_id": record_id(),
    "auto_renew_enabled": {"type": "bool"},
    "tags": {"type": "dict", "options": {name: {"type": "str"} for name in ("cost_center", "department", "project", "custom", "owner")}},
    "purge_tags": {"type": "bool", "default": False},
    "state": {"type": "str", "choices": ["present"], "default": "present"},
}


def main():
    ResellerModule(
        OPTIONS, writes=True, required_one_of=[("id", "external_order_id")], mutually_exclusive=[("id", "external_order_id")],
        required_by={"external_order_id": "reseller_customer_id"},
    ).run(manage_asset, check_input=check_update)


if __name__ == "__main__":
    main()
