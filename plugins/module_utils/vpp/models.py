# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pydantic models of Apple's responses. Unknown fields are ignored, so new API fields never break a run.

The classes exist only when pydantic imports; the module base reports a missing pydantic before
anything here is used. Importing this file costs about 80 ms (pydantic and the classes' schemas), so
the API packages import it inside the functions that read an answer, never at their top.
"""

from __future__ import annotations

import traceback
from typing import Any, Dict, List, Optional

from ansible_collections.assetops.licensing.plugins.module_utils.vpp import records

try:
    from pydantic import BaseModel, ConfigDict, Field, model_validator
    from pydantic.alias_generators import to_camel
    from typing_extensions import NotRequired, TypedDict  # what pydantic itself uses for TypedDict on Python < 3.12
except ImportError:
    HAS_PYDANTIC = False
    PYDANTIC_IMPORT_ERROR: Optional[str] = traceback.format_exc()
else:
    HAS_PYDANTIC = True
    PYDANTIC_IMPORT_ERROR = None

UNLIMITED_TOTAL = 2147483647

# Assignment lives apart from the models so that planning and results never import pydantic; named here as before.
Assignment = records.Assignment

if HAS_PYDANTIC:

    class AppleModel(BaseModel):
        """camelCase on the wire, snake_case in Python; extra fields ignored; numbers accepted where strings are due."""

        model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", coerce_numbers_to_str=True)

        @model_validator(mode="before")
        @classmethod
        def _null_is_absent(cls, data: Any) -> Any:
            # Apple may send an explicit null for an optional list or object (failures, errorInfo, mdmInfo).
            if isinstance(data, dict):
                return {key: value for key, value in data.items() if value is not None}
            return data

    class ServiceLimits(AppleModel):
        max_assets: Optional[int] = None
        max_serial_numbers: Optional[int] = None
        max_client_user_ids: Optional[int] = None
        max_revoke_serial_numbers: Optional[int] = None
        max_revoke_client_user_ids: Optional[int] = None
        max_users: Optional[int] = None
        max_request_per_second: Optional[float] = None

    class ServiceConfig(AppleModel):
        limits: ServiceLimits = Field(default_factory=ServiceLimits)
        urls: Dict[str, Any] = Field(default_factory=dict)

    class MdmInfo(AppleModel):
        """The management service that claimed the location (its owner), as set in the client config."""
        id: Optional[str] = None
        name: Optional[str] = None
        metadata: Optional[str] = None

        def to_result(self) -> dict:
            return {"id": self.id, "name": self.name, "metadata": self.metadata}

    class ClientConfig(AppleModel):
        """GET /client/config. The notification auth token is deliberately not a field: it is dropped here."""
        location_name: Optional[str] = None
        country_iso2a_code: Optional[str] = Field(default=None, alias="countryISO2ACode")
        country_code: Optional[str] = None
        default_platform: Optional[str] = None
        mdm_info: Optional[MdmInfo] = None
        notification_url: Optional[str] = None
        subscribed_notification_types: Optional[List[str]] = None
        notification_types: Optional[List[str]] = None
        u_id: Optional[str] = Field(default=None, alias="uId")
        token_expiration_date: Optional[str] = None

    class Asset(AppleModel):
        adam_id: str
        pricing_param: str
        product_type: Optional[str] = None
        device_assignable: Optional[bool] = None
        revocable: Optional[bool] = None
        supported_platforms: List[str] = Field(default_factory=list)
        assigned_count: Optional[int] = None
        available_count: Optional[int] = None
        retired_count: Optional[int] = None
        total_count: Optional[int] = None
        # set for records that came from the ``unlimitedAssets`` array
        listed_unlimited: bool = Field(default=False, exclude=True)

        @property
        def key(self) -> tuple:
            return (self.adam_id, self.pricing_param)

        @property
        def unlimited(self) -> bool:
            return self.listed_unlimited or self.total_count == UNLIMITED_TOTAL

        def to_result(self) -> dict:
            return {
                "adam_id": self.adam_id,
                "pricing_param": self.pricing_param,
                "product_type": self.product_type,
                "device_assignable": self.device_assignable,
                "revocable": self.revocable,
                "supported_platforms": list(self.supported_platforms),
                "assigned_count": self.assigned_count,
                "available_count": self.available_count,
                "retired_count": self.retired_count,
                "total_count": self.total_count,
                "unlimited": self.unlimited,
            }

    class Page(AppleModel):
        current_page_index: int = 0
        next_page_index: Optional[int] = None
        size: Optional[int] = None
        total_pages: int = 0
        version_id: Optional[str] = None
        token_expiration_date: Optional[str] = None
        u_id: Optional[str] = Field(default=None, alias="uId")

    class AssetsPage(Page):
        assets: List[Asset] = Field(default_factory=list)
        unlimited_assets: List[Asset] = Field(default_factory=list)

        @property
        def items(self) -> list:
            for asset in self.unlimited_assets:
                asset.listed_unlimited = True
            return self.assets + self.unlimited_assets

    class RawAssignment(TypedDict):
        """One record of GET /assignments, checked like the models (camelCase keys, numbers taken as strings, null as
        absent) but kept a dict: a page of 1,000 validates in a third of the time a model per record takes."""
        __pydantic_config__ = AppleModel.model_config  # type: ignore[misc]
        adam_id: str
        pricing_param: str
        serial_number: NotRequired[Optional[str]]
        client_user_id: NotRequired[Optional[str]]

    class AssignmentsPage(Page):
        assignments: List[RawAssignment] = Field(default_factory=list)

        @property
        def items(self) -> list:
            return list(records.pairs_from(
                (raw["adam_id"], raw["pricing_param"], Assignment.SERIAL, raw["serial_number"]) if raw.get("serial_number") is not None
                else (raw["adam_id"], raw["pricing_param"], Assignment.USER, raw.get("client_user_id") or "")
                for raw in self.assignments))

    class UserRecord(AppleModel):
        """One record of GET /users."""
        client_user_id: str
        email: Optional[str] = None
        managed_apple_id: Optional[str] = None
        status: Optional[str] = None
        invite_code: Optional[str] = None
        id_hash: Optional[str] = None

    class UsersPage(Page):
        users: List[UserRecord] = Field(default_factory=list)

        @property
        def items(self) -> list:
            return self.users

    class ErrorInfo(AppleModel):
        assets: List[dict] = Field(default_factory=list)
        serial_numbers: List[str] = Field(default_factory=list)
        client_user_ids: List[str] = Field(default_factory=list)

    class EventFailure(AppleModel):
        error_number: Optional[int] = None
        error_message: Optional[str] = None
        error_info: ErrorInfo = Field(default_factory=ErrorInfo)

    class EventStatus(AppleModel):
        event_status: str
        event_type: Optional[str] = None
        num_completed: int = 0
        num_requested: int = 0
        failures: List[EventFailure] = Field(default_factory=list)
