# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apple's error numbers, what they mean for the person running the playbook, and the error parser.

Errors are keyed on ``errorNumber``, never on Apple's message text. Apple sometimes sends an error
body with HTTP 200, so every body is checked.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError

NEW_TOKEN = "download a new token from Apple Business Manager or Apple School Manager (Preferences > Payments and Billing)"

ABM = "Apple Business Manager or Apple School Manager"
CLIENT_CONFIG = "check the vpp_client_config options"

# error number -> (what happened and what to do, worth retrying). Where a number's exact meaning is not
# documented to us, the text says what to check and ``describe`` adds Apple's own message (see SHOW_APPLE_TEXT).
APPLE_ERRORS: Dict[int, tuple] = {
    9601: ("Apple requires a login: the request carried no usable token; set token or token_path", False),
    9602: ("Apple rejected an argument of the request as invalid", False),
    9603: ("Apple had an internal error", True),
    9609: ("the user is not registered in this location: create the user first (vpp_user)", False),
    9621: ("the token has expired: " + NEW_TOKEN, False),
    9622: ("the token is invalid (is it the whole .vpptoken file content, not the inner token?): " + NEW_TOKEN, False),
    9625: ("the token was revoked because a newer token was downloaded for this location: use the newest one", False),
    9634: ("Apple has removed this service (HTTP 410): check api_url, it should end in /mdm/v2", False),
    9635: ("Apple refused the user's Apple Account: check the user's managed Apple Account in " + ABM, False),
    9637: ("Apple refused access for this location (HTTP 403): check in " + ABM + " that the location and the "
           "account that downloaded the token are active and allowed to manage Apps and Books", False),
    9641: ("Apple refused the user's Apple Account: it may belong to another user or organization; check it in " + ABM, False),
    9644: ("Apple refused the request for this location: check the location's Apps and Books settings in " + ABM, False),
    9646: ("too many requests to Apple for this location", True),
    9647: ("Apple refused access for this token (HTTP 403): " + NEW_TOKEN + ", and check that the location is active", False),
    9650: ("the page index is out of range (the data changed during the read)", False),
    9700: ("too many assets in one request (over maxAssets)", False),
    9701: ("too many client user ids in one request (over maxClientUserIds)", False),
    9702: ("too many serial numbers in one request (over maxSerialNumbers)", False),
    9703: ("the request repeats an asset", False),
    9704: ("the request repeats a client user id", False),
    9705: ("the request repeats a serial number", False),
    9706: ("the asset cannot be revoked", False),
    9707: ("the asset cannot be assigned to devices (Books and some apps are user-only): use client_user_ids", False),
    9708: ("Apple does not know this event id", False),
    9709: ("not enough licenses: buy more in " + ABM + " or free some", False),
    9710: ("the notification URL and its auth token go together: set both or neither (" + CLIENT_CONFIG + ")", False),
    9711: ("the notification URL or its auth token is longer than Apple allows (maxNotificationLength)", False),
    9712: ("the notification URL must be https:// with a host and a path only, no query (" + CLIENT_CONFIG + ")", False),
    9713: ("the MDM metadata is longer than Apple allows (maxMdmMetadataLength, 255)", False),
    9714: ("too many users in one request (over maxUsers)", False),
    9715: ("the request repeats a user", False),
    9716: ("the client user id already exists", False),
    9717: ("a user's email address is not valid", False),
    9718: ("the request names no assets", False),
    9719: ("the request names no serial numbers or client user ids", False),
    9720: ("the request names no users", False),
    9721: ("the version id is not valid any more", False),
    9722: ("the Authorization header is not 'Bearer <sToken>'", False),
    9723: ("the MDM info needs an id, a name and metadata", False),
    9724: ("the MDM id is longer than Apple allows (maxMdmIdLength, 100)", False),
    9725: ("the MDM name is longer than Apple allows (maxMdmNameLength, 100)", False),
    9726: ("Apple does not allow this HTTP method here: check api_url, it should end in /mdm/v2", False),
    9727: ("Apple requires a JSON body (Content-Type application/json)", False),
    9728: ("Apple could not deliver its test notification to the notification URL: start the receiver first, "
           "make it reachable from the internet with a trusted certificate, then try again", False),
    9729: ("Apple's service is temporarily unavailable", True),
}

# The pace is Apple's per location, so a 429 means several processes used one location at once.
THROTTLED_HINT = ("the likely cause is several processes using this location at once, such as a task run once per host with forks, "
                  "or another controller or job slice: make one batched call (vpp_assignment with assignments, or the "
                  "device_onboarding role), or use fewer forks")

# Numbers whose exact meaning is not documented to us: the message also carries Apple's words.
SHOW_APPLE_TEXT = frozenset((9635, 9637, 9641, 9644, 9647))

# Apple refused these requests without queuing anything (a synchronous failure with Apple's error
# body), so a write may be sent again after Retry-After.
REFUSED_ERRORS = frozenset((9603, 9646, 9729))


def describe(error_number: Optional[int], apple_message: Optional[str] = None) -> str:
    """One line for a person: our explanation when we know the number, Apple's text otherwise."""
    known = APPLE_ERRORS.get(error_number) if error_number is not None else None
    if known and error_number in SHOW_APPLE_TEXT and apple_message:
        return "{0} (Apple error {1}: {2})".format(known[0], error_number, apple_message)
    if known:
        return "{0} (Apple error {1})".format(known[0], error_number)
    if error_number is not None:
        return "Apple error {0}: {1}".format(error_number, apple_message or "no message")
    return apple_message or "unexpected answer from Apple"


def apple_error_parser(response: Any, body: Any) -> Optional[ApiError]:
    """Turn an Apple error body (or an HTTP error without one) into an ApiError; None when all is well."""
    status = response.status_code
    error_number = None
    apple_message = None
    info = None
    if isinstance(body, dict) and body.get("errorNumber") is not None:
        try:
            error_number = int(body["errorNumber"])
        except (TypeError, ValueError):
            error_number = None
        apple_message = body.get("errorMessage")
        info = body.get("errorInfo")
    if error_number is None and status < 400:
        return None
    if error_number is not None:
        message = describe(error_number, apple_message)
        retryable = APPLE_ERRORS.get(error_number, ("", False))[1] or status == 429 or status >= 500
    elif status == 429:
        message, retryable = describe(9646), True
    elif status >= 500:
        if not response.content:
            kind = "an empty body"
        elif body is None:
            kind = "a non-JSON body"
        else:
            kind = "a body that is not an Apple error"
        message, retryable = "Apple (or a proxy) answered HTTP {0} with {1}".format(status, kind), True
    else:
        message, retryable = "Apple answered HTTP {0}".format(status), False
    throttled = status == 429 or error_number == 9646
    return ApiError(message, status=status, error_number=error_number, error_message=apple_message, retryable=retryable,
                    refused=error_number in REFUSED_ERRORS, details={"error_info": info} if info else None,
                    hint=THROTTLED_HINT if throttled else None)
