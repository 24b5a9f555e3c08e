"""The license report of the report seed, and its screenshot at docs/license_report.png (shown in the README).

    .venv/bin/python -m tests.utils.report_screenshot [--output docs/license_report.png] [--width 1200] [--height 980]

Starts the simulator with tests/simulator/data/license_report.json (Riverside Middle School: names and icons,
a custom app, two low assets, a token that expires within 30 days), runs docs/examples/license_report/report.yml
into a temporary folder, and has headless Chromium take the screenshot while the simulator still serves the icons.
``write_report`` is what the demo and the browser test use too.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

# pylint: disable=wrong-import-position
from tests.simulator import DATA_DIR  # noqa: E402
from tests.simulator.control import SimulatorControl, SimulatorProcess  # noqa: E402
from tests.utils.collections_root import REPO_ROOT, make_collections_root  # noqa: E402
from tests.utils.report_browser import screenshot  # noqa: E402

SEED = DATA_DIR / "license_report.json"
LOCATION = "Riverside Middle School"
PLAYBOOK = REPO_ROOT / "docs" / "examples" / "license_report" / "report.yml"
SCREENSHOT = REPO_ROOT / "docs" / "license_report.png"
ANSIBLE_BIN = Path(os.environ.get("ASSETOPS_ANSIBLE_BIN") or Path(sys.executable).parent).absolute()


def write_report(sim: SimulatorControl, location: str, folder: Path, workdir: Path, extra_vars: Optional[Dict[str, Any]] = None,
                 collections_root: Optional[Path] = None, ansible_bin: Path = ANSIBLE_BIN) -> subprocess.CompletedProcess:
    """ansible-playbook of the example report playbook for one location of the simulator, into ``folder``;
    the connection in VPP_* variables, the metadata cache under ``workdir``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VPP_", "ANSIBLE_"))}
    env.update({
        "PATH": "{0}{1}{2}".format(ansible_bin, os.pathsep, os.environ.get("PATH", "")),
        "VPP_TOKEN": sim.tokens()[location],
        "VPP_API_URL": sim.vpp_url,
        "ANSIBLE_COLLECTIONS_PATH": str(collections_root or make_collections_root()),
        "ANSIBLE_LOCAL_TEMP": str(workdir),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "XDG_CACHE_HOME": str(workdir),
    })
    variables = dict({"license_report_path": str(folder)}, **(extra_vars or {}))
    return subprocess.run([str(ansible_bin / "ansible-playbook"), str(PLAYBOOK), "-e", json.dumps(variables)], env=env, cwd=workdir,
                          capture_output=True, text=True, timeout=300, check=False)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--output", type=Path, default=SCREENSHOT)
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=980)
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="assetops-report-") as workdir, SimulatorProcess(SEED) as sim:
        folder = Path(workdir) / "reports"
        folder.mkdir()
        done = write_report(sim, LOCATION, folder, Path(workdir), {"license_report_formats": ["html"]})
        pages = sorted(folder.glob("*.html"))
        if done.returncode != 0 or not pages:
            print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
            return 1
        screenshot(pages[0], arguments.output, arguments.width, arguments.height)
    print("{0}: {1}x{2}".format(arguments.output, arguments.width, arguments.height))
    return 0


if __name__ == "__main__":
    sys.exit(main())
