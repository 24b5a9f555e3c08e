"""sTokens for unit tests: the content of a .vpptoken file, including broken ones.

``tests/simulator/tokens.py`` makes the well-formed sTokens the simulator hands out; this one can also
leave fields out, add odd ones or take an expDate in any form, for the token parser's tests.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any, Dict, Optional

INNER_TOKEN = "inner-SECRET-token-4f1c9a0d2b7e"
ORG_NAME = "Example School"
EXPIRES = datetime(2099, 11, 8, 22, 33, 22, tzinfo=timezone.utc)


def make_stoken(inner: str = INNER_TOKEN, exp: Any = None, org: Optional[str] = ORG_NAME,
                extra: Optional[Dict[str, Any]] = None, drop: tuple = ()) -> str:
    """Base64 of the token JSON: ``exp`` a datetime or any text; ``extra`` keys added, ``drop`` keys removed."""
    if exp is None:
        exp = EXPIRES
    if isinstance(exp, datetime):
        exp = exp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")
    payload: Dict[str, Any] = {"token": inner, "expDate": exp}
    if org is not None:
        payload["orgName"] = org
    payload.update(extra or {})
    for key in drop:
        payload.pop(key, None)
    return base64.b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")
