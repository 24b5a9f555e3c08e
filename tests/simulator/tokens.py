"""sTokens as Apple issues them: base64 of a JSON object with the inner token, expiry and org name.

The simulator builds the sTokens it hands out (GET /_sim/tokens) with ``make_stoken`` and reads the
bearer value of every request with ``decode_stoken``.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timezone

# Apple's form, always UTC: 2030-11-08T22:33:22+0000
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S+0000"


def format_date(value: datetime) -> str:
    """A datetime in Apple's date form; a naive datetime counts as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime(DATE_FORMAT)


def parse_date(text: str) -> datetime:
    """Apple's date form (any numeric offset) to an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


@dataclass(frozen=True)
class DecodedSToken:
    token: str
    exp_date: datetime
    org_name: str | None


def make_stoken(inner_token: str, exp_date: datetime, org_name: str) -> str:
    """The content of a .vpptoken file: what a client sends as ``Authorization: Bearer <sToken>``."""
    payload = {"token": inner_token, "expDate": format_date(exp_date), "orgName": org_name}
    return base64.b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")


def decode_stoken(stoken: str) -> DecodedSToken:
    """Read an sToken; ValueError when it is not base64 of the token JSON (e.g. the inner token)."""
    try:
        payload = json.loads(base64.b64decode(stoken, validate=True))
    except (binascii.Error, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ValueError("not an sToken: not base64 of a JSON object") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("token"), str) or not isinstance(payload.get("expDate"), str):
        raise ValueError("not an sToken: token or expDate missing")
    org_name = payload.get("orgName")
    return DecodedSToken(payload["token"], parse_date(payload["expDate"]), org_name if isinstance(org_name, str) else None)
