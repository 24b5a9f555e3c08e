# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One request pace per API location for every module process on this controller.

A playbook with forks runs one module process per host, and Apple counts maxRequestPerSecond per
location, not per process. The processes therefore take their request slots from one small file,
locked with flock while a slot is reserved: the file holds only the time the next slot is free.
Its name is a hash of the API URL and the credential, never the credential itself. Where the file
cannot be used (no flock, read-only cache), each process paces alone, as before.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import Callable, Optional

try:
    import fcntl
except ImportError:  # not a POSIX controller: pace per process
    fcntl = None  # type: ignore[assignment]

# A reserved slot further than this from now is left over from an earlier run or a clock jump.
STALE_SECONDS = 60.0


def cache_directory() -> str:
    """The collection's cache folder on the controller: $XDG_CACHE_HOME or ~/.cache, then assetops.licensing."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "assetops.licensing")


class SharedPace:
    """Request slots shared by every process that uses the same (API URL, credential)."""

    def __init__(self, api_url: str, credential: str, directory: Optional[str] = None, clock: Callable[[], float] = time.time):
        digest = hashlib.sha256("{0}\0{1}".format(api_url, credential).encode("utf-8")).hexdigest()[:32]
        self.directory = directory or cache_directory()
        self.path = os.path.join(self.directory, "pace-{0}".format(digest))
        self._clock = clock

    def reserve(self, interval: float) -> Optional[float]:
        """Take the next free slot; return the seconds to wait for it, or None when the file cannot be used."""
        if fcntl is None:
            return None
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            now = self._clock()
            try:
                next_slot = float(os.pread(descriptor, 64, 0).decode("ascii") or now)
            except ValueError:
                next_slot = now
            if abs(next_slot - now) > STALE_SECONDS:
                next_slot = now
            slot = max(now, next_slot)
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, repr(slot + interval).encode("ascii"), 0)
            return slot - now
        except OSError:
            return None
        finally:
            os.close(descriptor)  # also releases the lock
