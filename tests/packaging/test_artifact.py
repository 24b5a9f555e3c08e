"""The collection as users get it: `ansible-galaxy collection build`, the tarball's content, and a playbook
run with the collection installed from that tarball (and nothing else on the collections path)."""
from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
import tarfile

import pytest
import yaml

from tests.packaging.conftest import BIN, HERE, base_env, run_tool
from tests.utils.collections_root import REPO_ROOT

pytestmark = pytest.mark.integration

FORBIDDEN = [
    ".venv", ".venv/*", ".venv-*", "*/__pycache__", "*/__pycache__/*", "__pycache__", "*.pyc",
    "tests/output", "tests/output/*", ".pytest_cache", ".pytest_cache/*", "*/.pytest_cache/*",
    ".hypothesis", ".hypothesis/*", "docs/build", "docs/build/*", ".git", ".git/*", "*/.git/*",
    ".cache", ".cache/*", ".ansible", ".ansible/*", "*.tar.gz", "Makefile", "requirements-dev.txt",
    "changelogs/.plugin-cache.yaml",
]


def members(tarball) -> set:
    with tarfile.open(tarball) as archive:
        return {name.rstrip("/") for name in archive.getnames()}


def test_tarball_holds_what_users_need(built_tarball):
    names = members(built_tarball)
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())
    assert built_tarball.name == "{0}-{1}-{2}.tar.gz".format(galaxy["namespace"], galaxy["name"], galaxy["version"])

    required = {"MANIFEST.json", "FILES.json", "README.md", "meta/runtime.yml", "changelogs/changelog.yaml",
                "meta/execution-environment.yml", "meta/ee-requirements.txt",
                "extensions/awx/credential_types/apple_vpp.yml", "extensions/awx/credential_types/reseller.yml",
                "extensions/awx/ee/execution-environment.yml", "extensions/awx/README.md"}
    required |= {"extensions/eda/plugins/event_source/vpp_notifications.py", "playbooks/eda_retry_assignments.yml",
                 "playbooks/eda_low_count.yml", "docs/docsite/rst/guide_notifications.rst"}
    required |= {str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "extensions" / "eda" / "rulebooks").glob("*.yml")}
    for folder in ("plugins/modules", "plugins/module_utils", "plugins/doc_fragments"):
        required |= {str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / folder).rglob("*.py") if "__pycache__" not in path.parts}
    if (REPO_ROOT / "roles").is_dir():
        required |= {str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "roles").rglob("*") if path.is_file()
                     and "__pycache__" not in path.parts and not path.name.endswith(".pyc")}
    missing = sorted(required - names)
    assert not missing, "missing from the tarball: {0}".format(missing)
    assert len([n for n in names if fnmatch.fnmatch(n, "plugins/modules/*.py")]) >= 7
    assert any(n.startswith("docs/") and n.endswith((".md", ".rst", ".yml")) for n in names)

    unwanted = sorted(n for n in names if any(fnmatch.fnmatch(n, pattern) for pattern in FORBIDDEN))
    assert not unwanted, "caches, venvs or build output in the tarball: {0}".format(unwanted[:20])

    with tarfile.open(built_tarball) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == (galaxy["namespace"], galaxy["name"], galaxy["version"])


def test_installed_collection_runs_a_playbook(built_tarball, sim, tmp_path):
    installed = tmp_path / "collections"
    env = base_env(installed)
    run_tool(BIN / "ansible-galaxy", "collection", "install", built_tarball, "-p", installed, env=env)
    root = installed / "ansible_collections" / "assetops" / "licensing"
    assert (root / "MANIFEST.json").is_file() and (root / "plugins" / "modules" / "vpp_assignment.py").is_file()
    assert not (root / "galaxy.yml").exists(), "installed from the tarball, not linked to the checkout"

    sim.settings(eventSeconds=0.2)
    sim.clear_log()
    inventory = tmp_path / "hosts"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter={0}\n".format(sys.executable))
    env.update({
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "False",  # only the installed copy, never the checkout
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "VPP_TOKEN": sim.tokens()["Main"],
        "VPP_API_URL": sim.vpp_url,
    })
    done = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(inventory), str(HERE / "awx_vpp_job.yml")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok=3" in done.stdout and "changed=1" in done.stdout and "failed=0" in done.stdout, done.stdout
    assert ("361309726", "STDQ", "serial", "AWX-RUNNER-1") in sim.assignments("Main")
    assert any(key.startswith("POST ") for key in sim.summary()["counts"])
    assert sim.tokens()["Main"] not in done.stdout + done.stderr
