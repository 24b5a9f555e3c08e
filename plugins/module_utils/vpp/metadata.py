# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apple's content metadata (names, bundle ids, versions, icons) from the lookup URL of /service/config.

One adamId per request (whether Apple takes a comma-separated list is UNCONFIRMED), in the collection's
pool of five and at the location's pace, each answer cached on disk (metadata_cache.py). The cookie
``itvt=<the whole sToken>`` lets the organisation's custom apps answer; it is a secret like the token,
set per request as a header, and goes only to api_url's host or, when api_url is Apple's, to Apple's.
An empty ``results`` means "no metadata" (an unknown id, or a cookie Apple did not take): not an error.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError, shown_url
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.client import same_origin
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.metadata_cache import MetadataCache
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.paging import in_parallel

LOOKUP_URL_NAME = "contentMetadataLookup"
# Apple's lookup today; used only when api_url is Apple's and the service config names none.
APPLE_LOOKUP_URL = "https://uclient-api.itunes.apple.com/WebObjects/MZStorePlatform.woa/wa/lookup"
APPLE_DOMAIN = ".apple.com"
COOKIE_NAME = "itvt"
# The icon size and format put into artwork_url (Apple's template is .../{w}x{h}bb.{f}).
ARTWORK_SIZE = {"{w}": "512", "{h}": "512", "{f}": "png"}
PLATFORMS = ("volumestore", "enterprisestore")
DEFAULT_LANGUAGE = "en"


def _apple_host(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and ("." + (parts.hostname or "")).endswith(APPLE_DOMAIN)


def lookup_target(client: Any) -> Tuple[str, bool]:
    """(the lookup URL, whether the token cookie may go there). Reads the service config if not known yet."""
    client.limits()
    url = client.urls.get(LOOKUP_URL_NAME)
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        if not _apple_host(client.api_url):
            raise ApiError("the service config of {0} names no {1} URL, so names cannot be looked up".format(
                shown_url(client.api_url), LOOKUP_URL_NAME))
        url = APPLE_LOOKUP_URL
    cookie_ok = same_origin(url, client.api_url) or (_apple_host(url) and _apple_host(client.api_url))
    return url, cookie_ok


def lookup_query(adam_id: str, country: str, platform: str, language: str) -> Dict[str, str]:
    """The query Apple's MDM clients send (``p=mdm-lockup``: Apple's own "mdm-lookup" is a typo)."""
    return {"version": "2", "id": adam_id, "p": "mdm-lockup", "caller": "MDM", "platform": platform, "cc": country, "l": language}


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def parse_record(adam_id: str, raw: Any) -> Optional[Dict[str, Any]]:
    """The fields the collection keeps of one result; None when Apple has no usable record for the id."""
    if not isinstance(raw, dict):
        return None
    artwork = raw.get("artwork") if isinstance(raw.get("artwork"), dict) else {}
    offers = raw.get("offers") if isinstance(raw.get("offers"), list) else []
    version = None
    for offer in offers:
        shown = offer.get("version") if isinstance(offer, dict) else None
        version = _text(shown.get("display")) if isinstance(shown, dict) else None
        if version:
            break
    families = raw.get("deviceFamilies") if isinstance(raw.get("deviceFamilies"), list) else []
    return {
        "adam_id": adam_id,
        "name": _text(raw.get("name")),
        "bundle_id": _text(raw.get("bundleId")),
        "version": version,
        "artwork_template": _text(artwork.get("url")),
        "is_custom_app": bool(raw.get("isB2BCustomApp", False)),
        "platforms": [family for family in families if isinstance(family, str)],
        "kind": _text(raw.get("kind")),
    }


def artwork_url(template: Optional[str]) -> Optional[str]:
    """Apple's icon URL template with the size and format filled in (512x512, PNG)."""
    if not template:
        return None
    for placeholder, value in ARTWORK_SIZE.items():
        template = template.replace(placeholder, value)
    return template


class MetadataLookup:
    """Looks names up for one location, country, platform and language, through the disk cache."""

    def __init__(self, client: Any, country: str, platform: str, language: str = DEFAULT_LANGUAGE, cache: Optional[MetadataCache] = None,
                 cache_directory: Optional[str] = None):
        self.client = client
        self.country = country.lower()
        self.platform = platform
        self.language = language
        self.url, self._cookie_ok = lookup_target(client)
        self.cache = cache or MetadataCache(self.url, client.token.value, directory=cache_directory, warn=client.warn)
        self.sent = 0  # lookups sent to Apple by this object

    def _key(self, adam_id: str) -> Tuple[str, str, str, str]:
        return (adam_id, self.country, self.platform, self.language)

    def _fetch(self, adam_id: str) -> Optional[Dict[str, Any]]:
        headers = {"Cookie": "{0}={1}".format(COOKIE_NAME, self.client.token.value)} if self._cookie_ok else None
        answer = self.client.get_url(self.url, lookup_query(adam_id, self.country, self.platform, self.language), headers=headers)
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, dict):
            raise ApiError("Apple's metadata lookup answer has an unexpected shape (results: not an object)", path=shown_url(self.url))
        return parse_record(adam_id, results.get(adam_id))

    def records(self, adam_ids: Sequence[str]) -> Dict[str, Optional[Dict[str, Any]]]:
        """adam_id -> its record (None: Apple has none); cached answers first, the rest one id per request, in parallel."""
        found: Dict[str, Optional[Dict[str, Any]]] = {}
        missing: List[str] = []
        for adam_id in dict.fromkeys(adam_ids):
            cached, record = self.cache.get(self._key(adam_id))
            if cached:
                found[adam_id] = record
            else:
                missing.append(adam_id)
        if missing:
            self.sent += len(missing)
            fetched = in_parallel(self._fetch, missing)
            self.cache.put_many((self._key(adam_id), record) for adam_id, record in zip(missing, fetched))
            found.update(zip(missing, fetched))
        return found


def app_fields(record: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The metadata keys of a returned asset or app (all null when Apple has no record)."""
    record = record or {}
    return {
        "name": record.get("name"),
        "bundle_id": record.get("bundle_id"),
        "version": record.get("version"),
        "artwork_url": artwork_url(record.get("artwork_template")),
        "is_custom_app": record.get("is_custom_app") if record else None,
    }
