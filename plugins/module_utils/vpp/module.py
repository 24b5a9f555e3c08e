# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VppModule: the connection options of every vpp_* module, the sToken, and the client.

The options here are documented once, in the doc fragment assetops.licensing.vpp (and .wait).
"""

from __future__ import annotations

import importlib.util
import json
import os
from typing import Any, Dict, List, Optional
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError
from ansible_collections.assetops.licensing.plugins.module_utils.http import HAS_HTTPX, HTTPX_IMPORT_ERROR
from ansible_collections.assetops.licensing.plugins.module_utils.module import (
    CollectionModule,
    Warned,
    clean_list,
    http_url,
    id_list,
    listed,
    not_blank,
    positive_seconds,
    zero_or_more,
)
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.snapshot import AssignmentSnapshot, clean_cache_path
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.token import check_expiry, parse_stoken

# The response models (models.py) import pydantic where the first answer is read, not here: a task that
# fails on its input or sends no request saves the ~80 ms. Only whether pydantic is there is checked now.
try:
    HAS_PYDANTIC = importlib.util.find_spec("pydantic") is not None
except (ImportError, ValueError):
    HAS_PYDANTIC = False
PYDANTIC_IMPORT_ERROR: Optional[str] = None if HAS_PYDANTIC else "No module named 'pydantic'"

DEFAULT_API_URL = "https://vpp.itunes.apple.com/mdm/v2"
APPLE_HOST = urlsplit(DEFAULT_API_URL).hostname
# Apple: "wait at least 30 seconds between subsequent status queries" of a PENDING event.
APPLE_POLL_SECONDS = 30.0
PRICING_PARAMS = ["STDQ", "PLUS"]


def clean_adam_ids(name: str, values: Optional[List[Any]]) -> Optional[List[str]]:
    """Apple's adam ids are digits; a name or an App Store link given instead is caught here."""
    cleaned = clean_list(name, values)
    for value in cleaned or ():
        if not value.isdigit():
            raise InputError("{0}: {1!r} is not an adam id: Apple's ids are digits, such as 361309726 (the number after "
                             "'id' in the App Store link)".format(name, value))
    return cleaned


def adam_id_list(**spec: Any) -> Dict[str, Any]:
    return id_list(clean=clean_adam_ids, **spec)


def clean_country(name: str, value: Optional[str]) -> Optional[str]:
    """A store country: two letters (ISO 3166-1 alpha-2), sent in lower case as Apple's lookup wants it."""
    if value is None:
        return None
    text = str(value).strip()
    if len(text) != 2 or not (text.isascii() and text.isalpha()):
        raise InputError("{0}: {1!r} is not a country code: give two letters, such as us or de".format(name, value))
    return text.lower()


def clean_language(name: str, value: Optional[str]) -> Optional[str]:
    """A language tag such as en, de or en-GB (letters and digits in parts joined by - or _)."""
    if value is None:
        return None
    text = str(value).strip()
    parts = text.replace("_", "-").split("-")
    if not (text.isascii() and 2 <= len(parts[0]) <= 3 and parts[0].isalpha() and all(part.isalnum() and len(part) <= 8 for part in parts)):
        raise InputError("{0}: {1!r} is not a language: give a language code such as en, de or en-GB".format(name, value))
    return text


def lower_case_serials(labels: List[str], serials: List[str]) -> str:
    return ("{0}: {1} {2} lower-case letters; Apple matches serial numbers exactly and devices report them in upper case: "
            "did you mean {3}?".format(listed(labels), listed(serials), "has" if len(serials) == 1 else "have",
                                       listed([serial.upper() for serial in serials])))


def clean_serial_numbers(name: str, values: Optional[List[Any]]) -> Any:
    """Apple does not validate serial numbers: one with a space inside, or in lower case, would take a license
    as a new device. Whitespace is refused; lower case only warned about, since Apple's own examples use
    lower-case UUIDs as serial numbers."""
    cleaned = clean_list(name, values)
    # a stripped value (clean_list) with whitespace inside splits in two or more: one call per value, not one per character
    spaced = [value for value in cleaned or () if len(value.split()) > 1]
    if spaced:
        raise InputError("{0}: {1} {2} {3} inside; a serial number has no whitespace".format(
            name, listed([json.dumps(value) for value in spaced]), "has" if len(spaced) == 1 else "have",
            "a space" if all(" " in value for value in spaced) else "whitespace"))
    lower = [value for value in cleaned or () if value != value.upper()]
    return Warned(cleaned, lower_case_serials, lower) if lower else cleaned


def serial_number_list(**spec: Any) -> Dict[str, Any]:
    return id_list(clean=clean_serial_numbers, **spec)


# token/token_path fall back to these in resolve_token(), not through the spec, so that a task's
# own option always beats the environment instead of clashing with it.
TOKEN_ENVIRONMENT = {"token": "VPP_TOKEN", "token_path": "VPP_TOKEN_PATH"}
CONNECTION_OPTIONS: Dict[str, Dict[str, Any]] = {
    "token": {"type": "str", "no_log": True},
    "token_path": {"type": "path"},
    "api_url": {"type": "str", "default": DEFAULT_API_URL, "fallback": (env_fallback, ["VPP_API_URL"]), "clean": http_url(DEFAULT_API_URL)},
    "timeout": {"type": "float", "default": 30.0, "fallback": (env_fallback, ["VPP_TIMEOUT"]), "clean": positive_seconds},
    "validate_certs": {"type": "bool", "default": True, "fallback": (env_fallback, ["VPP_VALIDATE_CERTS"])},
    "ca_path": {"type": "path", "fallback": (env_fallback, ["VPP_CA_PATH"])},
    "retries": {"type": "int", "default": 8, "clean": zero_or_more},
    "mdm_id": {"type": "str", "fallback": (env_fallback, ["VPP_MDM_ID"]), "clean": not_blank},
}

# Waiting for Apple's events (doc fragment assetops.licensing.vpp.wait); ``wait`` itself differs per module.
WAIT_OPTIONS: Dict[str, Dict[str, Any]] = {
    "wait_timeout": {"type": "float", "default": 600.0, "clean": positive_seconds},
    "poll_interval": {"type": "float", "default": 30.0, "clean": positive_seconds},
}


# The write modules also wait for writes whose answer was lost (doc fragment assetops.licensing.vpp.write).
WRITE_WAIT_OPTIONS: Dict[str, Dict[str, Any]] = dict(WAIT_OPTIONS, resend_after={"type": "float", "default": 600.0, "clean": positive_seconds})


# report: summary (doc fragment assetops.licensing.vpp.report), on the modules that write pairs.
REPORT_OPTIONS: Dict[str, Dict[str, Any]] = {"report": {"type": "str", "choices": ["pairs", "summary"], "default": "pairs"}}

# The snapshot of a location's assignments (doc fragment assetops.licensing.vpp.assignment_cache).
CACHE_OPTIONS: Dict[str, Dict[str, Any]] = {
    "assignment_cache": {"type": "path", "fallback": (env_fallback, ["VPP_ASSIGNMENT_CACHE"]), "clean": clean_cache_path},
}


class VppModule(CollectionModule):
    """A module of Apple's App and Book Management API."""

    connection_options = CONNECTION_OPTIONS
    libraries = ((HAS_HTTPX, "httpx", HTTPX_IMPORT_ERROR), (HAS_PYDANTIC, "pydantic", PYDANTIC_IMPORT_ERROR))

    def resolve_token(self) -> str:
        """The sToken text from token or token_path, else VPP_TOKEN or VPP_TOKEN_PATH; exactly one source."""
        token, token_path = self.params["token"], self.params["token_path"]
        if token is not None and token_path is not None:
            raise InputError("token and token_path are mutually exclusive: give only one")
        if token is None and token_path is None:
            env_token, env_path = (os.environ.get(TOKEN_ENVIRONMENT[name]) for name in ("token", "token_path"))
            if env_token and env_path:
                raise InputError("both VPP_TOKEN and VPP_TOKEN_PATH are set: unset one of them")
            if not env_token and not env_path:
                raise InputError("no token: set token or token_path, or the VPP_TOKEN or VPP_TOKEN_PATH environment variable")
            token, token_path = env_token or None, env_path or None
        if token is not None:
            self.hide(token)
            return token
        try:
            with open(token_path, "r", encoding="utf-8") as handle:
                content = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError("cannot read token_path {0}: {1}".format(token_path, getattr(exc, "strerror", None) or "not a text file")) from None
        self.hide(content)
        return content

    def check_poll_interval(self) -> None:
        poll_interval = self.params.get("poll_interval")
        if poll_interval is not None and poll_interval < APPLE_POLL_SECONDS and urlsplit(self.params["api_url"]).hostname == APPLE_HOST:
            self.warn("poll_interval {0:g} s is shorter than the {1:g} s Apple asks for between status queries of a pending "
                      "event; values below {1:g} are meant for test servers".format(poll_interval, APPLE_POLL_SECONDS))

    def build_client(self, read_only: bool) -> Any:
        """Check the TLS options and the token, and build the client; nothing is sent yet."""
        from ansible_collections.assetops.licensing.plugins.module_utils.vpp.client import VppClient
        from ansible_collections.assetops.licensing.plugins.module_utils.shared_pace import SharedPace

        self.check_tls()
        self.check_poll_interval()
        stoken = parse_stoken(self.resolve_token())
        self.hide(stoken.value, stoken.inner_token)
        warning = check_expiry(stoken)
        if warning:
            self.warn(warning)
        return VppClient(
            stoken, api_url=self.params["api_url"], timeout=self.params["timeout"], validate_certs=self.params["validate_certs"],
            ca_path=self.params["ca_path"], retries=self.params["retries"], warn=self.warn, read_only=read_only,
            shared_pace=SharedPace(self.params["api_url"], stoken.value), hide=self.hide,
            assignment_cache=AssignmentSnapshot(self.params["assignment_cache"], writable=not self.check_mode, warn=self.warn)
            if self.params.get("assignment_cache") else None,
        )
