"""Shared pytest set-up: make the checkout importable as ``ansible_collections.assetops.licensing``.

Unit tests import the collection through a linked tree; integration tests point
ANSIBLE_COLLECTIONS_PATH at the same tree.
"""
from __future__ import annotations

import os
import sys

from tests.utils.collections_root import REPO_ROOT, make_collections_root

COLLECTIONS_ROOT = make_collections_root()
os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS_ROOT)
if str(COLLECTIONS_ROOT) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_ROOT))
if str(REPO_ROOT) not in sys.path:
    # lets tests import the simulator as ``tests.simulator``
    sys.path.insert(0, str(REPO_ROOT))
