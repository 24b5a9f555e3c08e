# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vpp_client_config: the location's owner (mdmInfo) and where Apple sends its notifications.

The comparison is pure (``wanted``, ``held``, ``changes``, ``owner_refusal``, ``record``, ``diff``,
``unconfirmed``: values in, values out); ``configure`` does the I/O around it: read, compare, send
only what differs, read back to confirm. Settings are kept in Apple's terms (``mdmInfo``,
``notificationUrl``, ``notificationAuthToken``, ``notificationTypes``) between the steps.

The notification auth token is a secret: it is compared, and sent when it differs, but never shown.
The one given in the task is a no_log option; the one Apple returns goes to the module's ``hide`` as
soon as the answer arrives. Results and diffs only say whether it is set or changed.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Callable, Dict, List, NamedTuple, Optional
from urllib.parse import urlsplit

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError, ReportedError
from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError, parse_answer
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.location import config_record
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.owner import describe_owner

if TYPE_CHECKING:  # the models import pydantic: loaded by the functions that read an answer
    from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import ClientConfig

PATH = "/client/config"
NOTIFICATION_TYPES = ["ASSET_MANAGEMENT", "ASSET_COUNT", "USER_MANAGEMENT", "USER_ASSOCIATED", "SUBSCRIPTION_MANAGEMENT",
                      "SUBSCRIPTION_COUNT", "UNLIMITED_ASSET"]
MDM_INFO_KEYS = ("id", "name", "metadata")
# Apple's documented lengths of mdmInfo (limits of /service/config; 9724, 9725, 9713 beyond them)
MDM_LIMITS = {"maxMdmIdLength": 100, "maxMdmNameLength": 100, "maxMdmMetadataLength": 255}
# what results and diffs say instead of the notification auth token
TOKEN_SET, TOKEN_NOT_SET, TOKEN_CHANGED = "(set)", "(not set)", "(changed)"
# the option each setting comes from, for messages
OPTION_OF = {"mdmInfo": "mdm_info", "notificationUrl": "notification_url", "notificationAuthToken": "notification_auth_token",
             "notificationTypes": "notification_types"}


# -- input: cleaners (declared on the options) and the check the argument spec cannot express ----------------

def mdm_text(limit_name: str) -> Callable[[str, Any], str]:
    """A cleaner for one mdm_info field: not blank (stripped), within Apple's length."""
    limit = MDM_LIMITS[limit_name]

    def clean(name: str, value: Any) -> str:
        text = "" if value is None else str(value).strip()
        if not text:
            raise InputError("{0} must not be blank: Apple needs an id, a name and metadata in mdm_info".format(name))
        if len(text) > limit:
            raise InputError("{0} is {1} characters long: Apple allows at most {2} ({3})".format(name, len(text), limit, limit_name))
        return text
    return clean


def notification_url(name: str, value: Optional[str]) -> Optional[str]:
    """Apple's rule: https, a host and a path only (no user, query or fragment). The value is not echoed."""
    if value is None:
        return None
    url = str(value).strip()
    if not url:
        raise InputError("{0} must not be blank: give the https:// URL of the receiver, or leave it out with "
                         "notification_auth_token".format(name))
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname or not _port_ok(parts) or any(char in url for char in "?#@ "):
        raise InputError("{0} must be an https:// URL with a host and a path only (no user name, query or fragment), "
                         "such as https://eda.example.org/vpp".format(name))
    return url


def _port_ok(parts: Any) -> bool:
    try:
        return parts.port is None or parts.port > 0
    except ValueError:  # a port that is not a number
        return False


def secret_text(name: str, value: Optional[str]) -> Optional[str]:
    """A secret option: not blank, stripped; its value never appears in a message."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        raise InputError("{0} must not be blank: give the token the receiver expects, or leave it out with notification_url".format(name))
    return text


def check_input(options: Any) -> None:
    """vpp_client_config's input that its argument spec cannot check."""
    if options.takeover and options.mdm_info is None:
        raise InputError("takeover needs mdm_info: the id, name and metadata to claim the location with")


# -- the comparison (pure) -------------------------------------------------------------------------------------

class Held(NamedTuple):
    """What Apple holds: the parsed answer and its settings in Apple's terms (the auth token among them)."""

    config: Any  # ClientConfig
    settings: Dict[str, Any]


def held_settings(config: Any, auth_token: Optional[str]) -> Dict[str, Any]:
    """The settings of a /client/config answer in Apple's terms; ``mdmInfo`` None when nobody owns the location."""
    owner = config.mdm_info.to_result() if config.mdm_info is not None else None
    types = config.subscribed_notification_types if config.subscribed_notification_types is not None else config.notification_types
    return {
        "mdmInfo": owner if owner and any(owner.values()) else None,
        "notificationUrl": config.notification_url,
        "notificationAuthToken": auth_token,
        "notificationTypes": list(types or ()),
    }


def wanted(options: Any) -> Dict[str, Any]:
    """The settings the task asks for, in Apple's terms: only the options given."""
    settings: Dict[str, Any] = {}
    if options.mdm_info is not None:
        settings["mdmInfo"] = {key: options.mdm_info[key] for key in MDM_INFO_KEYS}
    if options.notification_url is not None:
        settings["notificationUrl"] = options.notification_url
        settings["notificationAuthToken"] = options.notification_auth_token
    if options.notification_types is not None:
        settings["notificationTypes"] = list(dict.fromkeys(options.notification_types))
    return settings


def changes(held: Dict[str, Any], want: Dict[str, Any]) -> Dict[str, Any]:
    """The POST body: what differs. The URL and its token go together (Apple's 9710); types compare as a set."""
    body: Dict[str, Any] = {}
    if "mdmInfo" in want and want["mdmInfo"] != held["mdmInfo"]:
        body["mdmInfo"] = dict(want["mdmInfo"])
    if "notificationUrl" in want and (want["notificationUrl"], want["notificationAuthToken"]) != (
            held["notificationUrl"], held["notificationAuthToken"]):
        body["notificationUrl"] = want["notificationUrl"]
        body["notificationAuthToken"] = want["notificationAuthToken"]
    if "notificationTypes" in want and set(want["notificationTypes"]) != set(held["notificationTypes"]):
        body["notificationTypes"] = list(want["notificationTypes"])
    return body


def applied(held: Dict[str, Any], body: Dict[str, Any]) -> Dict[str, Any]:
    """The settings once Apple has taken ``body`` (the prediction of check mode)."""
    return dict(held, **body)


def owner_refusal(owner: Optional[Dict[str, Any]], want: Dict[str, Any], mdm_id: Optional[str], takeover: bool) -> Optional[str]:
    """Why the task must not touch this location (None: it may).

    We are ``mdm_info.id`` when the task sets an owner, else ``mdm_id``. A location without an owner,
    or owned by us, is never refused; another owner only gives the location up with ``takeover``.
    """
    if owner is None:
        return None
    if "mdmInfo" in want:
        if owner.get("id") == want["mdmInfo"]["id"] or takeover:
            return None
        return ("location is managed by {0}: set takeover: true to claim it for mdmInfo id {1} (Apple advises one management "
                "service per location, so {2} should stop managing it); nothing was sent".format(
                    describe_owner(owner), want["mdmInfo"]["id"], owner.get("name") or "the other service"))
    if mdm_id is not None and owner.get("id") == mdm_id:
        return None
    return ("location is managed by {0}: set mdm_id: {1} to act for it, or claim it with mdm_info and takeover: true; "
            "nothing was sent".format(describe_owner(owner), owner.get("id")))


def record(config: Any, settings: Dict[str, Any], token: Any, now: datetime.datetime) -> Dict[str, Any]:
    """``client_config`` as returned: the location as vpp_location_info has it (without limits and urls), with
    ``settings`` (held or predicted) for the configurable fields and ``notification_auth_token_set`` instead of the token."""
    result = config_record(config, token, now)
    result.update(mdm_info=dict(settings["mdmInfo"]) if settings["mdmInfo"] else None, notification_url=settings["notificationUrl"],
                  notification_types=list(settings["notificationTypes"]), notification_auth_token_set=bool(settings["notificationAuthToken"]))
    return result


def diff(held: Dict[str, Any], want: Dict[str, Any], body: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """Before and after of the options given; the auth token only as (set), (not set) or (changed)."""
    after_settings = applied(held, body)
    before: Dict[str, Any] = {}
    after: Dict[str, Any] = {}
    for key in ("mdmInfo", "notificationUrl", "notificationTypes"):
        if key in want:
            before[OPTION_OF[key]] = held[key]
            after[OPTION_OF[key]] = after_settings[key]
    if "notificationAuthToken" in want:
        before["notification_auth_token"] = TOKEN_SET if held["notificationAuthToken"] else TOKEN_NOT_SET
        if "notificationAuthToken" not in body or want["notificationAuthToken"] == held["notificationAuthToken"]:
            after["notification_auth_token"] = before["notification_auth_token"]
        else:
            after["notification_auth_token"] = TOKEN_CHANGED if held["notificationAuthToken"] else TOKEN_SET
    return {"before": before, "after": after}


def unconfirmed(read_back: Dict[str, Any], want: Dict[str, Any]) -> List[str]:
    """The options the re-read does not show as asked (a token Apple does not return cannot be checked)."""
    missing = changes(read_back, want)
    names = ["mdm_info"] if "mdmInfo" in missing else []
    if "notificationUrl" in missing:
        if read_back["notificationUrl"] != want["notificationUrl"]:
            names.append("notification_url")
        elif read_back["notificationAuthToken"] is not None:
            names.append("notification_auth_token")
    if "notificationTypes" in missing:
        names.append("notification_types")
    return names


def new_owner(read_back: Dict[str, Any], expected_id: Optional[str]) -> Optional[str]:
    """The line saying who owns the location now, when it is not the owner the run expects."""
    owner = read_back["mdmInfo"]
    if (owner or {}).get("id") == expected_id:
        return None
    if owner is None:
        return "Apple accepted the configuration, but reading it back shows no owner (mdmInfo): run the task again to check"
    return ("Apple accepted the configuration, but the location is now managed by {0}: another management service "
            "claimed it at the same time; agree on one owner (Apple advises one per location) before running again".format(describe_owner(owner)))


# -- the work (I/O) --------------------------------------------------------------------------------------------

def read(client: Any) -> Held:
    """One GET /client/config; the auth token in the answer goes to the module's hide() at once."""
    from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import ClientConfig  # pylint: disable=import-outside-toplevel
    answer = client.get(PATH)
    token = answer.get("notificationAuthToken") if isinstance(answer, dict) else None
    token = token if isinstance(token, str) and token else None
    if token is not None:
        client.hide(token)
    config = parse_answer(ClientConfig, answer, "Apple's /client/config answer")
    return Held(config, held_settings(config, token))


def configure(client: Any, options: Any) -> Dict[str, Any]:
    """vpp_client_config: read, send what differs unless another owner holds the location, read back to confirm."""
    want = wanted(options)
    if "mdmInfo" in want and options.mdm_id is not None and options.mdm_id != want["mdmInfo"]["id"]:
        client.warn("mdm_id {0} is not the mdm_info id {1} this task sets: the modules that write act as mdm_id, so set "
                    "mdm_id: {1} for them".format(options.mdm_id, want["mdmInfo"]["id"]))
    now = datetime.datetime.now(datetime.timezone.utc)
    token = client.token

    def result_record(held_config: Any, settings: Dict[str, Any]) -> Dict[str, Any]:
        return record(held_config, settings, token, now)

    held = read(client)
    body = changes(held.settings, want)
    refusal = owner_refusal(held.settings["mdmInfo"], want, options.mdm_id, options.takeover) if body else None
    if refusal:
        raise ReportedError(refusal, {"changed": False, "client_config": result_record(held.config, held.settings)})
    result = {"changed": bool(body), "client_config": result_record(held.config, applied(held.settings, body)),
              "diff": diff(held.settings, want, body)}
    if not body or options.check_mode:
        return result
    expected_owner = want["mdmInfo"]["id"] if "mdmInfo" in want else (held.settings["mdmInfo"] or {}).get("id")
    try:
        client.post(PATH, body)
    except ApiError as exc:
        if not exc.outcome_unknown:
            raise
        back = read(client)
        if unconfirmed(back.settings, want) or new_owner(back.settings, expected_owner):
            raise
        client.warn("the answer to the client config write was lost; reading it back shows it was applied")
    else:
        back = read(client)
    result["client_config"] = result_record(back.config, back.settings)
    problem = new_owner(back.settings, expected_owner)
    if problem is None:
        names = unconfirmed(back.settings, want)
        if names:
            problem = "Apple accepted the configuration, but reading it back shows other values for: {0}; run the task again to check".format(
                ", ".join(names))
    if problem:
        result["error"] = problem
    return result
