"""Shared pytest set-up: make the checkout importable as ``ansible_collections.assetops.licensing``.

Ansible finds collections only under a folder named ``ansible_collections/<namespace>/<name>``.
The checkout is the collection root, so a throw-away tree outside it links that name to the
checkout; unit tests import through it and integration tests point ANSIBLE_COLLECTIONS_PATH at it.
"""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _make_collections_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="assetops-collections-"))
    atexit.register(shutil.rmtree, root, True)
    namespace_dir = root / "ansible_collections" / "assetops"
    namespace_dir.mkdir(parents=True)
    (namespace_dir / "licensing").symlink_to(REPO_ROOT, target_is_directory=True)
    return root


COLLECTIONS_ROOT = _make_collections_root()
os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS_ROOT)
if str(COLLECTIONS_ROOT) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_ROOT))
if str(REPO_ROOT) not in sys.path:
    # lets tests import the simulator as ``tests.simulator``
    sys.path.insert(0, str(REPO_ROOT))
