"""Execution environment: the collection declares its Python requirements where ansible-builder's
introspection reads them (meta/execution-environment.yml), and extensions/awx/ee/ builds an EE that
carries the collection from its tarball, offline (`ansible-builder create` needs no container engine)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.packaging.conftest import BIN, base_env, run_tool
from tests.utils.collections_root import REPO_ROOT

pytestmark = pytest.mark.integration

EE_DIR = REPO_ROOT / "extensions" / "awx" / "ee"
REQUIREMENTS = [line.strip() for line in (REPO_ROOT / "meta" / "ee-requirements.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")]


def test_requirements_are_ranges():
    names = {re.split(r"[<>=!~ ;\[]", line, maxsplit=1)[0].lower() for line in REQUIREMENTS}
    assert {"httpx", "pydantic"} <= names
    for line in REQUIREMENTS:
        assert "==" not in line and ">=" in line and "<" in line, "a version range, not a pin: " + line


def test_collection_meta_is_what_introspect_reads():
    meta = yaml.safe_load((REPO_ROOT / "meta" / "execution-environment.yml").read_text())
    assert meta["version"] == 3
    # introspect resolves it relative to the collection root
    assert (REPO_ROOT / meta["dependencies"]["python"]).resolve() == (REPO_ROOT / "meta" / "ee-requirements.txt").resolve()


def test_introspect_lists_python_requirements(built_tarball, tmp_path):
    installed = tmp_path / "collections"
    env = base_env(installed)
    run_tool(BIN / "ansible-galaxy", "collection", "install", built_tarball, "-p", installed, env=env)
    done = run_tool(BIN / "ansible-builder", "introspect", "--sanitize", installed,
                    "--write-pip", tmp_path / "pip.txt", env=env)
    data = yaml.safe_load(done.stdout)
    lines = "\n".join(map(str, data["python"]))
    for requirement in REQUIREMENTS:
        assert requirement.replace(" ", "") in lines.replace(" ", ""), done.stdout
    assert "assetops.licensing" in lines
    written = (tmp_path / "pip.txt").read_text()
    assert "httpx" in written and "pydantic" in written


def test_builder_create_context(built_tarball, tmp_path):
    # the EE definition's relative paths (../../../meta/ee-requirements.txt, collections/*.tar.gz) in a
    # copy of the layout, so the test writes nothing into the checkout
    layout = tmp_path / "layout"
    ee_dir = layout / "extensions" / "awx" / "ee"
    (ee_dir / "collections").mkdir(parents=True)
    (layout / "meta").mkdir()
    shutil.copy(EE_DIR / "execution-environment.yml", ee_dir)
    shutil.copy(REPO_ROOT / "meta" / "ee-requirements.txt", layout / "meta")
    shutil.copy(built_tarball, ee_dir / "collections")

    definition = yaml.safe_load((EE_DIR / "execution-environment.yml").read_text())
    collection = definition["dependencies"]["galaxy"]["collections"][0]
    assert Path(collection["name"]).name == built_tarball.name, "the EE names the tarball of galaxy.yml's version"

    context = tmp_path / "context"
    run_tool(BIN / "ansible-builder", "create", "-f", ee_dir / "execution-environment.yml", "-c", context,
             "--output-filename", "Containerfile", env=base_env(tmp_path))
    containerfile = (context / "Containerfile").read_text()
    build = context / "_build"
    pip_requirements = (build / "requirements.txt").read_text()
    for requirement in REQUIREMENTS:
        assert requirement in pip_requirements
    galaxy_requirements = yaml.safe_load((build / "requirements.yml").read_text())
    assert galaxy_requirements["collections"] == [collection]
    assert (build / "collections" / built_tarball.name).is_file()
    assert "ansible-galaxy collection install" in containerfile
    assert "requirements.txt" in containerfile and "introspect" in containerfile
    assert definition["images"]["base_image"]["name"] in containerfile
