"""``make compat``: every integration target's happy path on the oldest ansible-core the collection claims.

meta/runtime.yml says ``requires_ansible: ">=2.17.0"``, while the rest of ``make test`` runs the
ansible-core that requirements-dev.txt installs (the newest allowed). This runs, with ansible-playbook
from another venv (``--ansible-bin``, by default .venv-compat/bin, made by ``make compat`` from
tests/utils/requirements-compat.txt):

* the happy path of each integration target (its tasks/happy.yml, which its tasks/main.yml imports
  first), each against a fresh simulator of its own;
* ``demo``: the device_onboarding role as ``make demo`` runs it (tests/utils/demo.py: 200 devices, a
  license shortage, the idempotent re-run);

at most ``--jobs`` at a time. The modules run with that venv's python. It fails when the venv's
ansible-core is not the oldest claimed, when a target has neither a happy path nor a place in
ERROR_ONLY_TARGETS, or when any run fails.

Run with the project's venv python from the repository root (the simulator runs from it):

    .venv/bin/python tests/utils/compat.py [--ansible-bin .venv-compat/bin] [--jobs 2] [TARGET|demo ...]
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, NamedTuple, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

# pylint: disable=wrong-import-position
from tests.integration.conftest import TARGETS, AnsibleRunner, bin_python  # noqa: E402
from tests.simulator.control import SimulatorProcess  # noqa: E402
from tests.utils.collections_root import REPO_ROOT  # noqa: E402

HAPPY = "happy"  # tasks/happy.yml
# Targets made only of failure cases (bad input, faults, retries): they have no happy path to run.
ERROR_ONLY_TARGETS = frozenset({"reseller_errors", "vpp_assignment_faults", "vpp_retries", "vpp_token_errors"})
DEMO = "demo"
TARGET_TIMEOUT = 300  # seconds for one happy path or the demo; they take 5 to 60 s (a hang guard)
DEFAULT_BIN = REPO_ROOT / ".venv-compat" / "bin"


class Outcome(NamedTuple):
    target: str
    ok: bool
    seconds: float
    detail: str


def oldest_claimed() -> str:
    """The X.Y of requires_ansible in meta/runtime.yml (2.17 for ">=2.17.0")."""
    text = (REPO_ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8")
    match = re.search(r"""^requires_ansible:\s*["']?>=\s*(\d+)\.(\d+)""", text, re.MULTILINE)
    if not match:
        raise SystemExit("compat: no requires_ansible: \">=X.Y...\" in meta/runtime.yml")
    return "{0}.{1}".format(*match.groups())


def core_version(bin_dir: Path) -> tuple[str, str]:
    """(ansible-core version, Python version) of the venv (its python imports ansible; faster than ansible --version)."""
    code = "import platform; from ansible.release import __version__; print(__version__, platform.python_version())"
    done = subprocess.run([str(bin_python(bin_dir)), "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit("compat: no ansible-core in {0}: {1}".format(bin_dir, done.stderr.strip()[-500:]))
    version, python = done.stdout.split()
    return version, python


def happy_targets() -> tuple[List[str], List[str]]:
    """(targets with a happy path, problems): every target is either one or in ERROR_ONLY_TARGETS."""
    names = sorted(path.name for path in TARGETS.iterdir() if (path / "tasks" / "main.yml").is_file() and not path.name.startswith("setup_"))
    happy = [name for name in names if (TARGETS / name / "tasks" / (HAPPY + ".yml")).is_file()]
    problems = ["target {0} has no tasks/{1}.yml; add its happy path, or add it to ERROR_ONLY_TARGETS in tests/utils/compat.py "
                "if it has none".format(name, HAPPY) for name in names if name not in happy and name not in ERROR_ONLY_TARGETS]
    problems += ["ERROR_ONLY_TARGETS names {0}, which {1}".format(name, "has a happy path" if name in happy else "is no target")
                 for name in sorted(ERROR_ONLY_TARGETS) if name in happy or name not in names]
    return happy, problems


def run_demo(bin_dir: Path) -> Outcome:
    """tests/utils/demo.py with ansible-playbook from bin_dir (its simulator runs from this venv)."""
    started = time.monotonic()
    env = dict(os.environ, ASSETOPS_ANSIBLE_BIN=str(bin_dir))
    try:
        done = subprocess.run([sys.executable, str(REPO_ROOT / "tests" / "utils" / "demo.py")], cwd=REPO_ROOT, env=env,
                              capture_output=True, text=True, timeout=TARGET_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return Outcome(DEMO, False, time.monotonic() - started, "no result within {0} s".format(TARGET_TIMEOUT))
    last = done.stdout.strip().splitlines()[-1:] or [""]
    ok = done.returncode == 0
    detail = "the device_onboarding role: " + last[0].replace("==> demo: ", "") if ok else "exit {0}\n{1}\n{2}".format(
        done.returncode, done.stdout[-8000:], done.stderr[-3000:])
    return Outcome(DEMO, ok, time.monotonic() - started, detail)


def run_target(target: str, bin_dir: Path) -> Outcome:
    if target == DEMO:
        return run_demo(bin_dir)
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="assetops-compat-") as workdir, SimulatorProcess() as sim:
            (Path(workdir) / "tmp").mkdir()
            done = AnsibleRunner(Path(workdir), sim, bin_dir).playbook(target, tasks_from=HAPPY, timeout=TARGET_TIMEOUT)
    except subprocess.TimeoutExpired:
        return Outcome(target, False, time.monotonic() - started, "no result within {0} s".format(TARGET_TIMEOUT))
    except Exception as error:  # pylint: disable=broad-exception-caught  # reported as this target's failure
        return Outcome(target, False, time.monotonic() - started, "{0}: {1}".format(type(error).__name__, error))
    ok = done.returncode == 0 and re.search(r"\bfailed=0\b", done.stdout) is not None
    recap = done.stdout[done.stdout.rfind("PLAY RECAP"):].strip().splitlines()[1:2] if "PLAY RECAP" in done.stdout else []
    detail = " ".join(recap[0].split()[2:]) if ok and recap else "exit {0}\n{1}\n{2}".format(
        done.returncode, done.stdout[-8000:], done.stderr[-3000:])
    return Outcome(target, ok, time.monotonic() - started, detail)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--ansible-bin", type=Path, default=DEFAULT_BIN, help="bin folder of the venv with the ansible-core to test")
    parser.add_argument("--jobs", type=int, default=2, help="targets at a time (each with its own simulator)")
    parser.add_argument("targets", nargs="*", help="only these targets, or demo (default: every target with a happy path, and demo)")
    args = parser.parse_args(argv)

    started = time.monotonic()
    bin_dir = args.ansible_bin.absolute()
    wanted, (version, python) = oldest_claimed(), core_version(bin_dir)
    if version.split(".")[:2] != wanted.split("."):
        print("compat: {0} has ansible-core {1}, but the oldest meta/runtime.yml claims is {2}; "
              "update tests/utils/requirements-compat.txt".format(args.ansible_bin, version, wanted), file=sys.stderr)
        return 1
    happy, problems = happy_targets()
    for problem in problems:
        print("compat: " + problem, file=sys.stderr)
    unknown = sorted(set(args.targets) - set(happy) - {DEMO})
    if unknown:
        print("compat: no happy path for {0} (targets with one: {1})".format(", ".join(unknown), ", ".join(happy)), file=sys.stderr)
        return 1
    # the demo first: it is the longest run
    targets = args.targets or [DEMO] + happy
    print("compat: ansible-core {0} ({1}), Python {2}; {3} run(s), {4} at a time".format(
        version, args.ansible_bin, python, len(targets), args.jobs), flush=True)

    outcomes = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for outcome in pool.map(lambda target: run_target(target, bin_dir), targets):
            summary = outcome.detail if outcome.ok else ""
            print("  {0:<5} {1:<22} {2:5.1f} s  {3}".format("ok" if outcome.ok else "FAIL", outcome.target, outcome.seconds, summary), flush=True)
            if not outcome.ok:
                print("\n".join("        " + line for line in outcome.detail.splitlines()), flush=True)
            outcomes.append(outcome)
    failed = [outcome.target for outcome in outcomes if not outcome.ok]
    print("compat: {0} of {1} passed on ansible-core {2} in {3:.1f} s{4}".format(
        len(outcomes) - len(failed), len(outcomes), version, time.monotonic() - started,
        "; FAILED: " + ", ".join(failed) if failed else ""))
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
