# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The location as Apple describes it (GET /client/config), its owner and its token; the work of vpp_location_info.

The client config answer holds the notification auth token, a secret: it is handed to the module's
``hide`` as soon as the answer arrives and is never a field of the parsed config, so no result carries it.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Dict, Optional

from ansible_collections.assetops.licensing.plugins.module_utils.http import parse_answer
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.limits import DEFAULT_LIMITS, limit
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.token import SToken

if TYPE_CHECKING:  # the models import pydantic: loaded by the functions that read an answer
    from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import ClientConfig

# Apple's date form, as in the token's expDate and the answers' tokenExpirationDate
APPLE_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


def read_client_config(client: Any) -> "ClientConfig":
    """One GET /client/config; the notification auth token in the answer is hidden from output and dropped."""
    from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import ClientConfig  # pylint: disable=import-outside-toplevel
    answer = client.get("/client/config")
    secret = answer.get("notificationAuthToken") if isinstance(answer, dict) else None
    if isinstance(secret, str):
        client.hide(secret)
    return parse_answer(ClientConfig, answer, "Apple's /client/config answer")


def token_days_left(token: SToken, now: Optional[datetime.datetime] = None) -> int:
    """Whole days until the token's own expDate (0 on its last day)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return (token.expires - now).days


def config_record(config: "ClientConfig", token: SToken, now: Optional[datetime.datetime] = None) -> Dict[str, Any]:
    """The location as returned by vpp_location_info, without ``limits`` and ``urls``."""
    owner = config.mdm_info
    types = config.subscribed_notification_types if config.subscribed_notification_types is not None else config.notification_types
    return {
        "location_name": config.location_name,
        "org_name": token.org_name,
        "uid": config.u_id,
        "country_code": config.country_iso2a_code or config.country_code,
        "default_platform": config.default_platform,
        "token_expiration_date": config.token_expiration_date or token.expires.strftime(APPLE_DATE_FORMAT),
        "token_days_left": token_days_left(token, now),
        "mdm_info": owner.to_result() if owner is not None and any(owner.to_result().values()) else None,
        "notification_url": config.notification_url,
        "notification_types": list(types or ()),
    }


def location_info(client: Any, _options: Any) -> Dict[str, Any]:
    """vpp_location_info: one GET /client/config, and the limits and URLs of /service/config (cached)."""
    record = config_record(read_client_config(client), client.token)
    limits = client.limits()
    record["limits"] = {name: limit(limits, name) for name in DEFAULT_LIMITS}
    record["urls"] = client.urls
    return {"changed": False, "location": record}
