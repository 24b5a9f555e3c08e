# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apple's limits and endpoint URLs from /service/config: the documented defaults and a five-minute cache on the controller."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from typing import Any, Callable, Dict, Optional

from ansible_collections.assetops.licensing.plugins.module_utils.shared_pace import cache_directory

# Apple's documented values, used when /service/config leaves a limit out.
DEFAULT_LIMITS = {
    "max_assets": 25, "max_serial_numbers": 1000, "max_client_user_ids": 1000,
    "max_revoke_serial_numbers": 100, "max_revoke_client_user_ids": 100, "max_users": 100,
    "max_request_per_second": 15,
}
LIMITS_TTL_SECONDS = 300


def limit(limits: Any, name: str) -> int:
    """One limit from Apple's answer, or its documented value when Apple left it out."""
    value = getattr(limits, name, None)
    return int(value) if value else DEFAULT_LIMITS[name]


class LimitsCache:
    """/service/config limits kept in a small file for at most five minutes, shared by the tasks of a run.

    The file holds only the public limits (that endpoint needs no token), is private to the user
    (0600), and any problem with it just means asking Apple again.
    """

    def __init__(self, api_url: str, directory: Optional[str] = None, ttl: float = LIMITS_TTL_SECONDS,
                 clock: Callable[[], float] = time.time):
        self.directory = os.path.join(directory, "assetops.licensing") if directory else cache_directory()
        digest = hashlib.sha256(api_url.encode("utf-8")).hexdigest()[:16]
        self.path = os.path.join(self.directory, "vpp-service-config-{0}.json".format(digest))
        self.api_url = api_url
        self.ttl = ttl
        self._clock = clock

    def load(self) -> Optional[Dict[str, Any]]:
        """The cached limits, or None when there are none younger than the TTL."""
        cached = self._read()
        return cached["limits"] if cached else None

    def load_urls(self) -> Dict[str, Any]:
        """The endpoint URLs cached with the limits (empty when none)."""
        cached = self._read()
        urls = cached.get("urls") if cached else None
        return urls if isinstance(urls, dict) else {}

    def _read(self) -> Optional[Dict[str, Any]]:
        try:
            with open(self.path, "r", encoding="utf-8") as handle:
                cached = json.load(handle)
        except (OSError, ValueError):
            return None
        if not isinstance(cached, dict) or cached.get("api_url") != self.api_url:
            return None
        age = self._clock() - float(cached.get("fetched_at", 0))
        if age < 0 or age > self.ttl or not isinstance(cached.get("limits"), dict):
            return None
        return cached

    def save(self, limits: Dict[str, Any], urls: Optional[Dict[str, Any]] = None) -> None:
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".limits-")  # created 0600
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump({"api_url": self.api_url, "fetched_at": self._clock(), "limits": limits, "urls": urls or {}}, stream)
            os.replace(temporary, self.path)
        except OSError:
            pass
