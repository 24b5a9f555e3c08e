"""The README's "First steps", run as they are written, in the shell of a new user (an empty HOME, no
ANSIBLE_*/VPP_* settings, the venv not activated).

The commands come from the README's ``<!-- first-steps:NAME -->`` blocks, so the README and this test cannot
drift apart: `install` (make venv, make install, activate, ansible-doc) must make `ansible-doc` find the
module in ~/.ansible/collections, which it must not find before; `simulator` is started here (with the
README's arguments) instead of in a second terminal; `playbook` (with the simulator's URL in place of the
README's placeholder) must give the inventory's devices their apps, and nothing else, in the simulator.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.packaging.conftest import BIN, MAKE, make_env
from tests.simulator.__main__ import parse_args
from tests.simulator.control import SimulatorProcess
from tests.utils.collections_root import REPO_ROOT

pytestmark = pytest.mark.integration

README = REPO_ROOT / "README.md"
BLOCK = re.compile(r"<!-- first-steps:(?P<name>[\w-]+)[^>]*-->\s*```console\n(?P<body>.*?)```", re.DOTALL)
PLACEHOLDER = "http://127.0.0.1:PORT"  # the simulator's URL in the README
MODULE = "assetops.licensing.vpp_assignment"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# The README's `make venv` must not re-install the venv this test runs in (see conftest.MAKE).
SHELL_MAKE = 'make() {{ command {0} "$@"; }}'.format(" ".join(shlex.quote(part) for part in MAKE))


def first_steps() -> dict[str, list[str]]:
    """The command lines of each first-steps block of the README."""
    blocks = {match["name"]: [line for line in match["body"].splitlines() if line.strip()]
              for match in BLOCK.finditer(README.read_text(encoding="utf-8"))}
    assert set(blocks) == {"install", "simulator", "playbook"}, "README first-steps blocks: {0}".format(sorted(blocks))
    return blocks


def new_user(home: Path, build_dir: Path) -> dict[str, str]:
    """The environment of a new user's shell: HOME empty, no Ansible or API settings, no venv on PATH."""
    home.mkdir()
    venv_bins = {BIN.resolve(), (REPO_ROOT / ".venv" / "bin").resolve()}
    path = [entry for entry in os.environ.get("PATH", "").split(os.pathsep) if entry and Path(entry).resolve() not in venv_bins]
    env = {key: value for key, value in make_env(dict(os.environ)).items()
           if not key.startswith(("ANSIBLE_", "VPP_", "RESELLER_")) and key not in ("VIRTUAL_ENV", "PYTHONPATH")}
    # BUILD_DIR (the Makefile's, default .build) keeps the tarball out of the checkout
    env.update(HOME=str(home), PATH=os.pathsep.join(path), BUILD_DIR=str(build_dir))
    return env


def shell(lines: list[str], env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    """The lines in one bash, from the repository root, stopping at the first that fails."""
    script = "\n".join(["set -eo pipefail", SHELL_MAKE, *lines])
    return subprocess.run(["bash", "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def ansible_doc(env: dict[str, str]) -> str:
    """What ansible-doc says about the module (it exits 0 even when it finds nothing)."""
    done = subprocess.run([str(BIN / "ansible-doc"), MODULE], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    return ANSI.sub("", done.stdout + done.stderr)


def documents_module(text: str) -> bool:
    return "> MODULE {0} (".format(MODULE) in ANSI.sub("", text)


def installed_collection(collections_path: Path) -> Path:
    return collections_path / "ansible_collections" / "assetops" / "licensing"


def test_readme_first_steps(tmp_path):
    steps = first_steps()
    home = tmp_path / "home"
    env = new_user(home, tmp_path / "build")
    before_install = ansible_doc(env)
    assert not documents_module(before_install), "a new user's ansible-doc finds the module before `make install`:\n" + before_install

    # 1. make venv, make install, activate, ansible-doc
    done = shell(steps["install"], env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, "the README's install steps failed ({0}):\n{1}".format(done.returncode, output)
    installed = installed_collection(home / ".ansible" / "collections")
    assert documents_module(done.stdout), "ansible-doc did not find the module after `make install`:\n" + output
    assert str(installed / "plugins" / "modules" / "vpp_assignment.py") in re.sub(r"\s+", "", ANSI.sub("", done.stdout))
    assert (installed / "MANIFEST.json").is_file(), "installed from the built tarball"
    assert not (installed / "galaxy.yml").exists(), "installed from the built tarball, not linked to the checkout"

    # 2. the simulator, with the README's arguments (it would run in a second terminal)
    [simulator_line] = steps["simulator"]
    command = shlex.split(simulator_line)
    assert Path(command[0]).name.startswith("python") and command[1:3] == ["-m", "tests.simulator"], simulator_line
    options = parse_args(command[3:])
    assert options == parse_args(["--seed", options.seed]), "the README starts the simulator with --seed only: " + simulator_line

    with SimulatorProcess(seed=REPO_ROOT / options.seed, max_seconds=600) as sim:
        [location] = sim.tokens()  # one location, so the README's "Demo School" is the one
        before = sim.assignments(location)

        # 3. the playbook, in the same (activated) shell as step 1
        lines = steps["playbook"]
        assert any(PLACEHOLDER in line for line in lines), "the README's playbook steps use " + PLACEHOLDER
        activate = [line for line in steps["install"] if line.startswith(("source ", ". "))]
        assert activate, "the README's install steps activate the venv"
        done = shell(activate + [line.replace(PLACEHOLDER, sim.url) for line in lines], env)
        output = done.stdout + done.stderr
        assert done.returncode == 0, "the README's playbook failed ({0}):\n{1}".format(done.returncode, output)
        recap = re.findall(r"changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", done.stdout)
        assert recap and all(unreachable == failed == "0" for _changed, unreachable, failed in recap), output
        assert sum(int(changed) for changed, _unreachable, _failed in recap) >= 1, output
        assert sim.tokens()[location] not in output

        [playbook_line] = [line for line in lines if line.startswith("ansible-playbook ")]
        arguments = shlex.split(playbook_line)
        expected = inventory_pairs(arguments[arguments.index("-i") + 1], env)
        assert expected and not expected & before, "the example's devices hold none of their apps in the seed"
        after = sim.assignments(location)
        assert before <= after and after - before == expected, "assigned: {0}".format(sorted(after - before))


def inventory_pairs(inventory: str, env: dict[str, str]) -> set[tuple[str, str, str, str]]:
    """(adam_id, pricing_param, "serial", serial) that the device_onboarding role owes the inventory's hosts,
    from the variables ansible-inventory resolves (host_vars replace group_vars)."""
    done = subprocess.run([str(BIN / "ansible-inventory"), "-i", inventory, "--list"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    pairs = set()
    for variables in json.loads(done.stdout)["_meta"]["hostvars"].values():
        apps = variables.get("device_onboarding_apps", []) + variables.get("device_onboarding_extra_apps", [])
        pairs |= {(app["adam_id"], app.get("pricing_param", "STDQ"), "serial", variables["device_onboarding_serial_number"])
                  for app in apps}
    return pairs


def test_readme_names_the_tarball_of_galaxy_yml():
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())
    tarball = "{namespace}-{name}-{version}.tar.gz".format(**galaxy)
    assert "ansible-galaxy collection install {0}".format(tarball) in README.read_text(encoding="utf-8"), \
        "the README's tarball line names galaxy.yml's version: " + tarball


def test_make_install_into_another_collections_path(tmp_path):
    """`make install COLLECTIONS_PATH=...`, as the README offers, with that folder on ANSIBLE_COLLECTIONS_PATH."""
    home = tmp_path / "home"
    env = new_user(home, tmp_path / "build")
    collections = tmp_path / "collections"
    done = shell(["make install COLLECTIONS_PATH={0}".format(shlex.quote(str(collections)))], env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (installed_collection(collections) / "MANIFEST.json").is_file()
    assert not (home / ".ansible" / "collections").exists(), "nothing went to the default folder"
    assert documents_module(ansible_doc(dict(env, ANSIBLE_COLLECTIONS_PATH=str(collections))))
