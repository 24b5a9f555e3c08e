# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The disk cache of Apple's content metadata on the controller: 24 hours for a record, one hour for "no metadata".

One file per location and lookup URL, in the collection's cache folder, named by a hash (never the token
itself): a custom app's name is only for the location whose token cookie found it. The file holds the
records as the modules return them (names, bundle ids, versions, icon URLs), no secret; it is private to
the user (0600). A file that cannot be read or written only means asking Apple again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.shared_pace import cache_directory

HIT_TTL_SECONDS = 24 * 3600  # names change rarely; the re-run of a report must not ask Apple again
MISS_TTL_SECONDS = 3600  # an empty answer may be a custom app seen with a cookie that did not work: ask again sooner
CACHE_VERSION = 1

Key = Tuple[str, str, str, str]  # (adam_id, country, platform, language)


def key_text(key: Key) -> str:
    return "|".join(key)


class MetadataCache:
    """Metadata records by (adam_id, country, platform, language), with their age on ``clock`` (wall time, seconds)."""

    def __init__(self, lookup_url: str, credential: str, directory: Optional[str] = None, clock: Callable[[], float] = time.time,
                 warn: Optional[Callable[[str], None]] = None, hit_ttl: float = HIT_TTL_SECONDS, miss_ttl: float = MISS_TTL_SECONDS):
        self.directory = os.path.join(directory, "assetops.licensing") if directory else cache_directory()
        digest = hashlib.sha256("{0}\0{1}".format(lookup_url, credential).encode("utf-8")).hexdigest()[:32]
        self.path = os.path.join(self.directory, "vpp-metadata-{0}.json".format(digest))
        self.hit_ttl = hit_ttl
        self.miss_ttl = miss_ttl
        self._clock = clock
        self._warn = warn or (lambda message: None)
        self._entries: Optional[Dict[str, Any]] = None
        self.read_only = False  # check mode: answers are kept in memory only

    def _fresh(self, entry: Any, now: float) -> bool:
        if not isinstance(entry, dict) or not isinstance(entry.get("at"), (int, float)):
            return False
        record = entry.get("record")
        if record is not None and not isinstance(record, dict):
            return False
        age = now - entry["at"]
        return 0 <= age < (self.hit_ttl if record is not None else self.miss_ttl)

    def _load(self) -> Dict[str, Any]:
        try:
            with open(self.path, "r", encoding="utf-8") as handle:
                content = json.load(handle)
        except (FileNotFoundError, NotADirectoryError):
            return {}
        except (OSError, ValueError) as exc:
            self._warn("the metadata cache {0} cannot be read ({1}): names are looked up again".format(
                self.path, getattr(exc, "strerror", None) or "not JSON"))
            return {}
        if not isinstance(content, dict) or content.get("version") != CACHE_VERSION or not isinstance(content.get("entries"), dict):
            return {}
        return content["entries"]

    def get(self, key: Key) -> Tuple[bool, Optional[Dict[str, Any]]]:
        """(whether a fresh answer is cached, the record or None for "no metadata")."""
        if self._entries is None:
            self._entries = self._load()
        entry = self._entries.get(key_text(key))
        if not self._fresh(entry, self._clock()):
            return False, None
        return True, entry["record"]

    def put_many(self, answers: Iterable[Tuple[Key, Optional[Dict[str, Any]]]]) -> None:
        """Store fresh answers with what another process stored meanwhile; expired entries are dropped."""
        now = self._clock()
        entries = {name: entry for name, entry in self._load().items() if self._fresh(entry, now)}
        for key, record in answers:
            entries[key_text(key)] = {"at": now, "record": record}
        self._entries = entries
        if self.read_only:
            return
        temporary = None
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".metadata-")  # created 0600
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump({"version": CACHE_VERSION, "entries": entries}, stream, separators=(",", ":"), sort_keys=True)
            os.replace(temporary, self.path)
        except OSError as exc:
            if temporary is not None and os.path.exists(temporary):
                try:
                    os.unlink(temporary)
                except OSError:
                    pass
            self._warn("the metadata cache {0} cannot be written ({1}): names will be looked up again next time".format(
                self.path, exc.strerror or type(exc).__name__))
