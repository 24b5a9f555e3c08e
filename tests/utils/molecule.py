"""``make molecule``: the device_onboarding role's molecule scenario against the simulator.

Starts the simulator (test seed, location "Main", fast events), links the checkout as
assetops.licensing, exports the connection as an AWX credential would (VPP_TOKEN, VPP_API_URL) plus
what the scenario's prepare/verify playbooks read (DEVICE_ONBOARDING_SIM_URL, _SIM_SEED,
_SIM_LOCATION), and runs ``molecule test`` in roles/device_onboarding. Exits with molecule's code.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

# pylint: disable=wrong-import-position
from tests.simulator.control import DEFAULT_SEED, SimulatorProcess  # noqa: E402
from tests.utils.collections_root import REPO_ROOT, make_collections_root  # noqa: E402

ROLE_DIR = REPO_ROOT / "roles" / "device_onboarding"
LOCATION = "Main"


def main(argv: list[str]) -> int:
    started = time.monotonic()
    collections_root = make_collections_root()
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="assetops-molecule-") as workdir, \
            SimulatorProcess(DEFAULT_SEED, event_seconds=0.2, rate_limit=False) as sim:
        print("==> molecule: simulator at {0}, location {1!r}".format(sim.url, LOCATION), flush=True)
        env = dict(os.environ)
        env.update({
            "PATH": "{0}{1}{2}".format(bin_dir, os.pathsep, os.environ.get("PATH", "")),
            "VPP_TOKEN": sim.tokens()[LOCATION],
            "VPP_API_URL": sim.vpp_url,
            "DEVICE_ONBOARDING_SIM_URL": sim.url,
            "DEVICE_ONBOARDING_SIM_SEED": str(DEFAULT_SEED),
            "DEVICE_ONBOARDING_SIM_LOCATION": LOCATION,
            "MOLECULE_COLLECTIONS_PATH": str(collections_root),
            "ANSIBLE_COLLECTIONS_PATH": str(collections_root),
            "ANSIBLE_LOCAL_TEMP": workdir,
            "MOLECULE_EPHEMERAL_DIRECTORY": str(Path(workdir) / "molecule"),
            "XDG_CACHE_HOME": workdir,
        })
        command = [str(bin_dir / "molecule"), "test", "--scenario-name", "default", *argv]
        print("==> molecule: {0} (in {1})".format(" ".join(command[1:]), ROLE_DIR.relative_to(REPO_ROOT)), flush=True)
        done = subprocess.run(command, cwd=ROLE_DIR, env=env, check=False)
        summary = sim.summary()
    print("==> molecule: {0} in {1:.1f} s; the simulator saw {2} requests, {3} writes".format(
        "passed" if done.returncode == 0 else "FAILED (exit {0})".format(done.returncode),
        time.monotonic() - started, sum(summary["counts"].values()), summary["writes"]), flush=True)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
