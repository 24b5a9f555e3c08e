# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors found by the collection itself (not by an API): one line for a person, plus result fields."""

from __future__ import annotations

from typing import Any, Dict, Optional


class InputError(ValueError):
    """Bad input found before any request; the message says what to fix."""


class ReportedError(Exception):
    """A plan or lookup that cannot succeed; nothing was sent. ``details`` go into the failed result."""

    def __init__(self, message: str, details: Optional[Dict[str, Any]] = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class WriteBlockedError(RuntimeError):
    """A write was attempted through a read-only client (check mode or an info module): a bug, never a user error."""
