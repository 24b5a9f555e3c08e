# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The light record of one license assignment, used by planning, snapshots and results.

Kept apart from the pydantic models (models.py) so that a module importing it does not import pydantic.
"""

from __future__ import annotations


class Assignment(tuple):
    """One license assignment: (adam_id, pricing_param, target_kind, target_id), hashable and small.

    A tuple rather than a model keeps a walk over 100,000 assignments light.
    target_kind is "serial_number" or "client_user_id".
    """

    __slots__ = ()

    SERIAL = "serial_number"
    USER = "client_user_id"

    def __new__(cls, adam_id: str, pricing_param: str, target_kind: str, target_id: str) -> "Assignment":
        return tuple.__new__(cls, (adam_id, pricing_param, target_kind, target_id))

    @classmethod
    def from_raw(cls, raw) -> "Assignment":
        if raw.serial_number is not None:
            return cls(raw.adam_id, raw.pricing_param, cls.SERIAL, raw.serial_number)
        return cls(raw.adam_id, raw.pricing_param, cls.USER, raw.client_user_id or "")

    adam_id = property(lambda self: self[0])
    pricing_param = property(lambda self: self[1])
    target_kind = property(lambda self: self[2])
    target_id = property(lambda self: self[3])

    def to_result(self) -> dict:
        return {"adam_id": self[0], "pricing_param": self[1], self[2]: self[3]}
