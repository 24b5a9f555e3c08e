# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The content token (sToken) of a location: parsing and the local expiry check.

An sToken is the whole content of the .vpptoken file: base64 of a JSON object with the inner
``token``, ``expDate`` and ``orgName``. The outer string is what Apple expects as the bearer
token; the inner one is never sent. Nothing here ever puts either string into a message.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from typing import Optional

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError

EXPIRY_WARNING_DAYS = 30
WHERE_TO_GET_ONE = "download a new one from Apple Business Manager or Apple School Manager (Preferences > Payments and Billing)"
WHAT_IT_SHOULD_BE = "give the whole content of the .vpptoken file from Apple Business Manager or Apple School Manager"


class TokenError(InputError):
    """A token that cannot be used; the message says what to do and never contains the token."""


class SToken:
    """A decoded sToken. ``value`` is the string to send; ``inner_token`` must be kept out of output."""

    __slots__ = ("value", "inner_token", "expires", "org_name")

    def __init__(self, value: str, inner_token: str, expires: datetime.datetime, org_name: Optional[str]):
        self.value = value
        self.inner_token = inner_token
        self.expires = expires
        self.org_name = org_name

    @property
    def expiry_day(self) -> str:
        return self.expires.strftime("%Y-%m-%d")

    def __repr__(self) -> str:  # never show the secret parts
        return "SToken(org_name={0!r}, expires={1})".format(self.org_name, self.expires.isoformat())


def _b64decode(text: str) -> bytes:
    compact = "".join(text.split())
    padded = compact + "=" * (-len(compact) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return base64.urlsafe_b64decode(padded)


def parse_expiry(text: str) -> datetime.datetime:
    """Apple's ``expDate`` form, e.g. 2030-11-08T22:33:22+0000 (also accepts +00:00 and Z)."""
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.datetime.strptime(text.replace("Z", "+0000"), fmt)
        except ValueError:
            continue
    raise TokenError("token has an unreadable expDate; {0}".format(WHAT_IT_SHOULD_BE))


def parse_stoken(raw: str) -> SToken:
    """Decode and validate the structure of an sToken (no network, no expiry check)."""
    if raw is None or not raw.strip():
        raise TokenError("token is empty: {0}".format(WHAT_IT_SHOULD_BE))
    value = "".join(raw.split())
    try:
        decoded = json.loads(_b64decode(value).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise TokenError(
            "token is not an sToken (it does not decode to the token JSON; the inner token alone does not work): {0}".format(WHAT_IT_SHOULD_BE)
        ) from None
    if not isinstance(decoded, dict):
        raise TokenError("token decodes to something other than the token JSON: {0}".format(WHAT_IT_SHOULD_BE))
    missing = [key for key in ("token", "expDate") if not isinstance(decoded.get(key), str) or not decoded.get(key)]
    if missing:
        raise TokenError("token JSON lacks {0}: {1}".format(" and ".join(missing), WHAT_IT_SHOULD_BE))
    org_name = decoded.get("orgName") if isinstance(decoded.get("orgName"), str) else None
    return SToken(value, decoded["token"], parse_expiry(decoded["expDate"]), org_name)


def check_expiry(token: SToken, now: Optional[datetime.datetime] = None) -> Optional[str]:
    """Raise when the token has expired; return a warning when it expires within 30 days."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if token.expires <= now:
        raise TokenError("token expired on {0}: {1}".format(token.expiry_day, WHERE_TO_GET_ONE))
    remaining = token.expires - now
    if remaining <= datetime.timedelta(days=EXPIRY_WARNING_DAYS):
        owner = " of {0}".format(token.org_name) if token.org_name else ""
        return "token{0} expires on {1} (in {2} days): {3}".format(owner, token.expiry_day, remaining.days, WHERE_TO_GET_ONE)
    return None
