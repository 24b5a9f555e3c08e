# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pydantic models of the reseller platform's Asset resource (Crayon Cloud-iQ).

The API answers in PascalCase; some deployments answer in camelCase: keys are matched without
regard to case. Unknown fields are ignored. Prices stay decimal.Decimal from the wire to the
result (returned as exact strings). Enumerations arrive as numbers or names and are returned as
lower-case names.
"""

from __future__ import annotations

import decimal
import traceback
from typing import Any, Dict, List, Optional, Union

try:
    from pydantic import BaseModel, ConfigDict, Field, model_validator
    from pydantic.alias_generators import to_pascal
except ImportError:
    HAS_PYDANTIC = False
    PYDANTIC_IMPORT_ERROR: Optional[str] = traceback.format_exc()
else:
    HAS_PYDANTIC = True
    PYDANTIC_IMPORT_ERROR = None

STATUS_FLAGS = {"fulfilling": 1, "succeeded": 2, "cancelled": 4, "expired": 8}
ALL_STATUSES = sum(STATUS_FLAGS.values())
ASSET_TYPES = {"reservation": 1, "software": 2, "subscription": 3}
SCOPES = {"shared": 1, "single": 2, "managementgroups": 3}
BILLING_CYCLES = {"unknown": 0, "monthly": 1, "annual": 2, "none": 3, "onetime": 4, "triennial": 5, "biennial": 6}
TAG_FIELDS = ("cost_center", "department", "project", "custom", "owner")


def enum_name(value: Any, names: Dict[str, int]) -> Optional[str]:
    """A lower-case name for an enumeration sent as a number or a name; unknown numbers as their digits."""
    if value is None:
        return None
    if isinstance(value, str) and not value.strip().isdigit():
        return value.strip().lower()
    number = int(value)
    for name, known in names.items():
        if known == number:
            return name
    return str(number)


def exact(value: Any) -> Optional[str]:
    """A price as the exact decimal string the API sent."""
    if value is None:
        return None
    if isinstance(value, float):  # only when a caller bypassed the exact decoder
        value = decimal.Decimal(repr(value))
    return format(decimal.Decimal(value), "f")


if HAS_PYDANTIC:

    class ResellerModel(BaseModel):
        """PascalCase on the wire (any case accepted), snake_case in Python, unknown fields ignored."""

        model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="ignore",
                                  coerce_numbers_to_str=True, arbitrary_types_allowed=True)

        @model_validator(mode="before")
        @classmethod
        def _match_keys_without_case(cls, data: Any) -> Any:
            if not isinstance(data, dict):
                return data
            by_lower = {(field.alias or name).lower(): field.alias or name for name, field in cls.model_fields.items()}
            return {by_lower.get(key.lower(), key) if isinstance(key, str) else key: value for key, value in data.items()}

    class ObjectReference(ResellerModel):
        id: Optional[int] = None
        name: Optional[str] = None

    class SubscriptionLite(ResellerModel):
        id: Optional[int] = None
        name: Optional[str] = None
        publisher_subscription_id: Optional[str] = None
        reseller_customer_name: Optional[str] = None

    class AssetTags(ResellerModel):
        asset_id: Optional[int] = None
        cost_center: Optional[str] = None
        department: Optional[str] = None
        project: Optional[str] = None
        custom: Optional[str] = None
        owner: Optional[str] = None

        def values(self) -> Dict[str, Optional[str]]:
            return {name: getattr(self, name) for name in TAG_FIELDS}

    class Asset(ResellerModel):
        id: int
        name: Optional[str] = None
        status: Optional[Union[int, str]] = None
        asset_type: Optional[Union[int, str]] = None
        scope: Optional[Union[int, str]] = None
        billing_cycle: Optional[Union[int, str]] = None
        quantity: Optional[int] = None
        external_order_id: Optional[str] = None
        external_product_id: Optional[str] = None
        external_sku_id: Optional[str] = None
        product_variant_id: Optional[int] = None
        reseller_customer_id: Optional[int] = None
        publisher_id: Optional[int] = None
        program_id: Optional[int] = None
        reservation_id: Optional[str] = None
        reservation_used_in_subscription_id: Optional[int] = None
        reservation_used_in_subscription: Optional[SubscriptionLite] = None
        start_date: Optional[str] = None
        expiration_date: Optional[str] = None
        purchase_date: Optional[str] = None
        created_date: Optional[str] = None
        modified_date: Optional[str] = None
        changed_by: Optional[str] = None
        purchase_currency: Optional[str] = None
        purchase_price: Optional[decimal.Decimal] = Field(default=None, strict=False)
        sales_currency: Optional[str] = None
        sales_price: Optional[decimal.Decimal] = Field(default=None, strict=False)
        invoice_profile: Optional[ObjectReference] = None
        tags: Optional[AssetTags] = None
        auto_renew_enabled: Optional[bool] = None
        reserved_instance_artifact_resource_id: Optional[str] = None

        @property
        def tag_values(self) -> Dict[str, Optional[str]]:
            """The five tag fields, all None when the asset has no tags."""
            return self.tags.values() if self.tags else {name: None for name in TAG_FIELDS}

        def to_result(self) -> Dict[str, Any]:
            subscription = self.reservation_used_in_subscription
            return {
                "id": self.id,
                "name": self.name,
                "status": enum_name(self.status, STATUS_FLAGS),
                "asset_type": enum_name(self.asset_type, ASSET_TYPES),
                "scope": enum_name(self.scope, SCOPES),
                "billing_cycle": enum_name(self.billing_cycle, BILLING_CYCLES),
                "quantity": self.quantity,
                "external_order_id": self.external_order_id,
                "external_product_id": self.external_product_id,
                "external_sku_id": self.external_sku_id,
                "product_variant_id": self.product_variant_id,
                "reseller_customer_id": self.reseller_customer_id,
                "publisher_id": self.publisher_id,
                "program_id": self.program_id,
                "reservation_id": self.reservation_id,
                "reservation_used_in_subscription_id": self.reservation_used_in_subscription_id,
                "reservation_used_in_subscription": subscription.model_dump() if subscription else None,
                "start_date": self.start_date,
                "expiration_date": self.expiration_date,
                "purchase_date": self.purchase_date,
                "created_date": self.created_date,
                "modified_date": self.modified_date,
                "changed_by": self.changed_by,
                "purchase_currency": self.purchase_currency,
                "purchase_price": exact(self.purchase_price),
                "sales_currency": self.sales_currency,
                "sales_price": exact(self.sales_price),
                "invoice_profile": {"id": self.invoice_profile.id, "name": self.invoice_profile.name} if self.invoice_profile else None,
                "tags": self.tags.values() if self.tags else None,
                "auto_renew_enabled": self.auto_renew_enabled,
                "reserved_instance_artifact_resource_id": self.reserved_instance_artifact_resource_id,
            }

    class TokenResponse(ResellerModel):
        access_token: str
        expires_in: Optional[int] = None
        token_type: Optional[str] = None


def split_asset_list(body: Any) -> "tuple[List[Dict[str, Any]], Optional[int]]":
    """The raw items and TotalHits of a list answer; a bare array has no total."""
    if isinstance(body, list):
        return [item for item in body if isinstance(item, dict)], None
    if not isinstance(body, dict):
        return [], 0
    lowered = {key.lower(): value for key, value in body.items() if isinstance(key, str)}
    items = lowered.get("items") or []
    total = lowered.get("totalhits")
    return [item for item in items if isinstance(item, dict)], int(total) if total is not None else None
