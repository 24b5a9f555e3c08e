# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""assignment_cache: a snapshot of every assignment of a location, at one versionId, in a file on the controller.

Apple's versionId names the state of the whole data set, so a snapshot whose versionId equals that of
the first page of an unfiltered GET /assignments is exact, whatever Apple's rules for deltas are
(sinceVersionId is never used: how deletions show there is not confirmed). A snapshot is only ever
saved from one complete walk whose pages all carried the same versionId.

The file is gzip-compressed JSON, keyed by the location's uId (several locations may share one
file), mode 0600, and holds no secret: uIds, versionIds, adam ids, serial numbers and client user ids.
Any problem reading it is a miss with a warning; writing is atomic (a temporary file renamed).
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from itertools import groupby
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.records import ASSET_KIND_KEY, TARGET, Assignment, asset_pairs

FORMAT = 1
# What the targets of a kind are called in the file (short: the file holds hundreds of thousands of them).
KINDS = {Assignment.SERIAL: "s", Assignment.USER: "u"}


def clean_cache_path(name: str, value: Optional[str]) -> Optional[str]:
    """The snapshot file's folder must exist (the module does not create folders); the path must not be a folder."""
    if value is None or not str(value).strip():
        return None
    path = os.path.abspath(os.path.expanduser(str(value).strip()))
    if os.path.isdir(path):
        raise InputError("{0}: {1} is a folder; give the path of a file in it, such as {2}".format(
            name, value, os.path.join(str(value), "vpp-assignments.json.gz")))
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise InputError("{0}: the folder {1} does not exist; create it or leave {0} out".format(name, folder))
    return path


def encode(assignments: Iterable[Assignment]) -> List[List[Any]]:
    """[[adam_id, pricing_param, {"s": [serials], "u": [users]}], ...]: each asset once, its targets listed."""
    grouped: Dict[Tuple[str, str], Dict[str, List[str]]] = {}
    # a walk gives each asset's assignments together, mostly: a run of them is taken whole, in C
    for (adam_id, pricing, kind), run in groupby(assignments, key=ASSET_KIND_KEY):
        grouped.setdefault((adam_id, pricing), {}).setdefault(KINDS[kind], []).extend(map(TARGET, run))
    return [[adam_id, pricing, {kind: sorted(targets) for kind, targets in kinds.items()}]
            for (adam_id, pricing), kinds in sorted(grouped.items())]


def decode(assets: Any) -> Set[Assignment]:
    """The pairs of an encoded snapshot; ValueError for anything that is not one."""
    names = {short: kind for kind, short in KINDS.items()}
    pairs: Set[Assignment] = set()
    if not isinstance(assets, list):
        raise ValueError("assets is not a list")
    for entry in assets:
        adam_id, pricing, kinds = entry
        if not isinstance(adam_id, str) or not isinstance(pricing, str) or not isinstance(kinds, dict):
            raise ValueError("bad asset entry")
        for short, targets in kinds.items():
            kind = names[short]
            # the types of 20,000 targets checked in C: JSON gives exact str, never a subclass
            if not isinstance(targets, list) or not set(map(type, targets)) <= {str}:
                raise ValueError("bad target list")
            pairs.update(asset_pairs(adam_id, pricing, kind, targets))
    return pairs


class AssignmentSnapshot:
    """The snapshot file of ``path``. ``writable`` is false in check mode: nothing is written then."""

    def __init__(self, path: str, writable: bool = True, warn: Optional[Callable[[str], None]] = None):
        self.path = path
        self.writable = writable
        self.warn = warn or (lambda message: None)
        self._locations: Optional[Dict[str, Any]] = None

    def _read(self) -> Dict[str, Any]:
        """Every location of the file (read once); {} when there is no file or it cannot be used."""
        if self._locations is None:
            self._locations = {}
            try:
                with gzip.open(self.path, "rt", encoding="utf-8") as stream:
                    content = json.load(stream)
                if not isinstance(content, dict) or content.get("format") != FORMAT or not isinstance(content.get("locations"), dict):
                    raise ValueError("not an assignment snapshot of format {0}".format(FORMAT))
                self._locations = content["locations"]
            except FileNotFoundError:
                pass
            except (OSError, ValueError, EOFError) as exc:  # gzip.BadGzipFile is an OSError, bad JSON a ValueError
                self.warn("assignment_cache {0} could not be read ({1}): reading from Apple instead, and the file is "
                          "replaced at the next full read".format(self.path, exc.__class__.__name__))
        return self._locations

    def version(self, uid: str) -> Optional[str]:
        """The versionId the snapshot of location ``uid`` was taken at, or None when there is none."""
        entry = self._read().get(uid)
        return entry.get("versionId") if isinstance(entry, dict) and isinstance(entry.get("versionId"), str) else None

    def assignments(self, uid: str) -> Optional[Set[Assignment]]:
        """Every assignment of the snapshot of ``uid``; None (with a warning) when the entry is damaged."""
        try:
            return decode(self._read()[uid]["assets"])
        except (KeyError, TypeError, ValueError):
            self.warn("assignment_cache {0}: the snapshot of location {1} is damaged; reading from Apple instead".format(self.path, uid))
            return None

    def save(self, uid: str, version_id: str, assignments: Iterable[Assignment]) -> None:
        """Keep the assignments read in full at ``version_id`` as the snapshot of ``uid``."""
        locations = dict(self._read())
        locations[uid] = {"versionId": version_id, "assets": encode(assignments)}
        self._write(locations)

    def forget(self, uid: Optional[str]) -> None:
        """Drop the snapshot of ``uid`` (after a write: what it holds is no longer what Apple holds)."""
        locations = dict(self._read())
        if uid is None or uid not in locations:
            return
        del locations[uid]
        if locations:
            self._write(locations)
            return
        self._locations = {}
        if self.writable:
            try:
                os.remove(self.path)
            except OSError as exc:
                self.warn("assignment_cache {0} could not be removed ({1})".format(self.path, exc.strerror or exc.__class__.__name__))

    def _write(self, locations: Dict[str, Any]) -> None:
        self._locations = locations
        if not self.writable:
            return
        folder = os.path.dirname(self.path) or "."
        temporary = None
        try:
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".vpp-assignments-")  # created 0600
            with os.fdopen(handle, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as stream:
                stream.write(json.dumps({"format": FORMAT, "locations": locations}, separators=(",", ":")).encode("utf-8"))
            os.replace(temporary, self.path)
            temporary = None
        except OSError as exc:
            self.warn("assignment_cache {0} could not be written ({1}); the next run reads from Apple".format(
                self.path, exc.strerror or exc.__class__.__name__))
        finally:
            if temporary is not None:
                try:
                    os.remove(temporary)
                except OSError:
                    pass
