"""``make demo``: the simulator with a demo location, the example report playbook, the requests it took.

Run with the project's venv python from the repository root. The simulator is stopped whatever
happens; nothing outside a temporary folder is written.
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
from tests.simulator.control import DEMO_SEED, SimulatorProcess  # noqa: E402
from tests.utils.collections_root import REPO_ROOT, make_collections_root  # noqa: E402

PLAYBOOK = REPO_ROOT / "docs" / "examples" / "location_report.yml"
LOCATION = "Demo School"


def main() -> int:
    started = time.monotonic()
    collections_root = make_collections_root()
    with tempfile.TemporaryDirectory(prefix="assetops-demo-") as workdir, SimulatorProcess(DEMO_SEED) as sim:
        print("==> demo: simulator at {0} serving the location {1!r}".format(sim.url, LOCATION), flush=True)
        inventory = Path(workdir) / "inventory.ini"
        inventory.write_text("localhost ansible_connection=local ansible_python_interpreter={0}\n".format(sys.executable))
        env = dict(os.environ)
        env.update({
            # as an AWX credential would inject them: nothing secret in the playbook
            "VPP_TOKEN": sim.tokens()[LOCATION],
            "VPP_API_URL": sim.vpp_url,
            "ANSIBLE_COLLECTIONS_PATH": str(collections_root),
            "ANSIBLE_INVENTORY": str(inventory),
            "ANSIBLE_LOCAL_TEMP": workdir,
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "yaml",
            "XDG_CACHE_HOME": workdir,
        })
        print("==> demo: ansible-playbook {0}".format(PLAYBOOK.relative_to(REPO_ROOT)), flush=True)
        done = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), str(PLAYBOOK)], env=env, check=False)
        summary = sim.summary()
    requests = ", ".join("{0} x{1}".format(name, count) for name, count in sorted(summary["counts"].items()))
    print("==> demo: the playbook sent {0} requests ({1}); 429 answers: {2}".format(
        sum(summary["counts"].values()), requests, summary["status"].get("429", 0)))
    print("==> demo: {0} in {1:.1f} s".format("done" if done.returncode == 0 else "FAILED", time.monotonic() - started))
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
