"""Shared fixtures of the packaging tests: the simulator, the built collection tarball, and a clean
environment (no VPP_*/RESELLER_*/ANSIBLE_* variables of the caller leak into ansible-runner)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.simulator.control import SimulatorProcess
from tests.utils.collections_root import REPO_ROOT

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
# `make build` and `make install` depend on `venv`, which would re-install the venv these tests run in when
# requirements*.txt are newer than its stamp: `-o` makes make take the venv as it is.
MAKE = ("make", "--no-print-directory", "-o", ".venv/.requirements-installed")


def run_tool(*args: str, cwd: Path = REPO_ROOT, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run a command; fail the test with its output when it fails."""
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, "{0} failed ({1}):\n{2}\n{3}".format(" ".join(map(str, args)), done.returncode, done.stdout, done.stderr)
    return done


def make_env(env: dict) -> dict:
    """``env`` without the variables of a make that runs the tests (a sub-make would join its jobserver)."""
    return {k: v for k, v in env.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}


def base_env(collections_path: Path) -> dict:
    """os.environ without VPP_/RESELLER_/ANSIBLE_ variables, with the venv first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VPP_", "RESELLER_", "ANSIBLE_"))}
    env.update({
        "PATH": str(BIN) + os.pathsep + os.environ.get("PATH", ""),
        "ANSIBLE_COLLECTIONS_PATH": str(collections_path),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
    })
    return env


@pytest.fixture(scope="session")
def simulator():
    with SimulatorProcess() as sim:
        yield sim


@pytest.fixture
def sim(simulator):
    simulator.reset()
    simulator.clear_log()
    return simulator


@pytest.fixture
def clean_environ(monkeypatch):
    """ansible-runner starts ansible-playbook with os.environ plus envvars: drop the caller's credentials."""
    for key in list(os.environ):
        if key.startswith(("VPP_", "RESELLER_")):
            monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def built_tarball(tmp_path_factory) -> Path:
    """`make build` (ansible-galaxy collection build, what `make install` installs) of the checkout, once per session."""
    out = tmp_path_factory.mktemp("build")
    run_tool(*MAKE, "build", "BUILD_DIR={0}".format(out), env=make_env(base_env(out)))
    tarballs = list(out.glob("assetops-licensing-*.tar.gz"))
    assert len(tarballs) == 1, tarballs
    return tarballs[0]
