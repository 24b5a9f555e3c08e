"""A throw-away ``ansible_collections/assetops/licensing`` tree that links to the checkout.

Ansible finds collections only under ``ansible_collections/<namespace>/<name>``; the checkout is
the collection root, so tests and the demo point ANSIBLE_COLLECTIONS_PATH at such a link.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def make_collections_root() -> Path:
    """Create the tree (removed at exit) and return the folder to put on ANSIBLE_COLLECTIONS_PATH."""
    root = Path(tempfile.mkdtemp(prefix="assetops-collections-"))
    atexit.register(shutil.rmtree, root, True)
    namespace_dir = root / "ansible_collections" / "assetops"
    namespace_dir.mkdir(parents=True)
    (namespace_dir / "licensing").symlink_to(REPO_ROOT, target_is_directory=True)
    return root
