"""Integration harness: real ``ansible-playbook`` and ``ansible`` runs against the simulator.

Each target under targets/ is a role-like folder (tasks/main.yml, as ansible-test and the hcloud
collection lay them out). The harness resets the simulator, runs the target in a playbook on
localhost with the simulator's URL and tokens as variables, and fails when the play fails. The
targets assert on module results and on the simulator's request log themselves.

ASSETOPS_ANSIBLE_BIN selects the ansible-playbook and ansible to run: a venv's bin folder (default:
the one of the Python running the tests). Modules then run with that venv's python, which has the
collection's requirements. `make compat` points it at .venv-compat (the oldest ansible-core claimed).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from tests.conftest import COLLECTIONS_ROOT
from tests.simulator.control import SimulatorProcess

HERE = Path(__file__).resolve().parent
TARGETS = HERE / "targets"
BIN = Path(os.environ.get("ASSETOPS_ANSIBLE_BIN") or Path(sys.executable).parent).absolute()


def bin_python(bin_dir: Path) -> Path:
    """The python of the venv whose bin folder holds the ansible commands (not resolved: a venv's
    python is a link out of it); the running one if there is none."""
    return bin_dir / "python" if (bin_dir / "python").exists() else Path(sys.executable)


class AnsibleRunner:
    """Runs ansible-playbook / ansible (from ``bin_dir``, default BIN) with an isolated configuration and cache."""

    def __init__(self, workdir: Path, sim, bin_dir: Optional[Path] = None):
        self.workdir = workdir
        self.sim = sim
        self.bin = Path(bin_dir).absolute() if bin_dir is not None else BIN
        self.inventory = workdir / "inventory.ini"
        self.inventory.write_text(
            "localhost ansible_connection=local ansible_python_interpreter={0}\n".format(bin_python(self.bin))
        )
        self.cache_home = workdir / "cache"

    def env(self, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("VPP_", "RESELLER_", "ANSIBLE_"))}
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT),
            "ANSIBLE_ROLES_PATH": str(TARGETS),
            "ANSIBLE_INVENTORY": str(self.inventory),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "0",
            "ANSIBLE_LOCAL_TEMP": str(self.workdir / "tmp"),
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "XDG_CACHE_HOME": str(self.cache_home),
            "PATH": str(self.bin) + os.pathsep + os.environ.get("PATH", ""),
        })
        env.update(extra or {})
        return env

    def target_vars(self) -> Dict[str, object]:
        return {"sim_url": self.sim.url, "vpp_url": self.sim.vpp_url, "vpp_tokens": self.sim.tokens()}

    def playbook(self, target: str, args: Optional[List[str]] = None, env: Optional[Dict[str, str]] = None,
                 tasks_from: str = "main", timeout: float = 600) -> subprocess.CompletedProcess:
        """Run tasks/<tasks_from>.yml of the target (main: all of it; happy: its happy path, see tasks/happy.yml)."""
        vars_file = self.workdir / "target_vars.json"
        vars_file.write_text(json.dumps(self.target_vars()))
        command = [str(self.bin / "ansible-playbook"), str(HERE / "run_target.yml"), "-e", "@" + str(vars_file),
                   "-e", "target=" + target, "-e", "target_tasks=" + tasks_from] + list(args or [])
        return subprocess.run(command, cwd=self.workdir, env=self.env(env), capture_output=True, text=True, timeout=timeout, check=False)

    def adhoc(self, module: str, module_args: str, env: Dict[str, str], verbosity: int = 0) -> Dict[str, object]:
        """Run one ad-hoc module call; return its JSON result, the console output and the exit code."""
        tree = self.workdir / "tree"
        command = [str(self.bin / "ansible"), "localhost", "-m", module, "-a", module_args, "-t", str(tree)]
        if verbosity:
            command.append("-" + "v" * verbosity)
        done = subprocess.run(command, cwd=self.workdir, env=self.env(env), capture_output=True, text=True, timeout=300, check=False)
        result_file = tree / "localhost"
        result = json.loads(result_file.read_text()) if result_file.exists() else {}
        return {"rc": done.returncode, "output": done.stdout + done.stderr, "result": result}


@pytest.fixture(scope="session")
def simulator():
    with SimulatorProcess() as sim:
        yield sim


@pytest.fixture
def ansible(simulator, tmp_path):
    simulator.reset()
    (tmp_path / "tmp").mkdir()
    return AnsibleRunner(tmp_path, simulator)
