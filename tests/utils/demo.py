"""``make demo``: onboard a few hundred devices with the device_onboarding role, against the simulator.

Starts the simulator with tests/simulator/data/onboarding_demo.json (one school: 30 apps, 6 of them
free, 8 books; two apps short on licenses), writes an inventory of 200 devices into a temporary
folder, and runs docs/examples/onboarding/onboard.yml with the connection in VPP_* environment
variables only (as an AWX credential injects it):

  1. onboard every device: what was assigned, in how many requests, how long;
  2. a readable failure: ask grade 6 for two apps the school has too few licenses of;
  3. the same onboarding again: changed=0 and not a single write;
  4. the license report of the school (the license_report role: HTML, CSV and JSON with the apps' names and
     icons from the simulator's metadata lookup); its path is printed;
then stops the simulator. Run with the project's venv python from the repository root; nothing
outside temporary folders is written. The report's folder is kept (DEMO_REPORT_DIR, or a new folder
under the system's temporary folder); its icons load from the simulator, so once the demo has ended the
page shows the names in their place.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

# pylint: disable=wrong-import-position
from tests.simulator import DATA_DIR  # noqa: E402
from tests.simulator.control import SimulatorControl, SimulatorProcess  # noqa: E402
from tests.utils.collections_root import REPO_ROOT, make_collections_root  # noqa: E402
from tests.utils.report_screenshot import write_report  # noqa: E402

# ansible-playbook from this bin folder: the running venv's, or ASSETOPS_ANSIBLE_BIN (`make compat` runs the
# demo with .venv-compat/bin, the oldest ansible-core claimed); the simulator always runs from this venv.
ANSIBLE_BIN = Path(os.environ.get("ASSETOPS_ANSIBLE_BIN") or Path(sys.executable).parent).absolute()
SEED = DATA_DIR / "onboarding_demo.json"
PLAYBOOK = REPO_ROOT / "docs" / "examples" / "onboarding" / "onboard.yml"
LOCATION = "Onboarding Demo School"
CORE_APPS = ["1700000001", "1700000002", "1700000003", "1700000101", "1700000102", "1700000103"]
CLASSES = {  # group: (device count, serial prefix, extra apps)
    "grade5": (80, "DMPDEMO", ["1700000008", "1700000013", "1700000015"]),
    "grade6": (80, "DMPDEMO", ["1700000009", "1700000010", "1700000011"]),
    "lab": (40, "C02DEMOL", ["1700000004", "1700000006", "1700000020"]),
}
LAB_PLUS_HOSTS = 12  # lab Macs that also get the high-quality (PLUS) licenses of Atlas World
SHORT_APPS = ["1700000022", "1700000023"]  # Robotics Pro (40 licenses), 3D Sculptor (12)


def apps(adam_ids: list[str]) -> list[dict[str, str]]:
    return [{"adam_id": adam_id} for adam_id in adam_ids]


def write_inventory(path: Path) -> int:
    """An inventory of 200 devices in three groups; returns the number of devices."""
    children: dict[str, Any] = {}
    number = 0
    for group, (count, prefix, extra) in CLASSES.items():
        hosts: dict[str, Any] = {}
        for index in range(1, count + 1):
            number += 1
            serial = "{0}{1:04d}".format(prefix, number if prefix == "DMPDEMO" else index)
            host = {"device_onboarding_serial_number": serial}
            if group == "lab" and index <= LAB_PLUS_HOSTS:
                host["device_onboarding_extra_apps"] = apps(extra) + [{"adam_id": "1700000005", "pricing_param": "PLUS"}]
            hosts["{0}-{1:03d}".format(group, index)] = host
        children[group] = {"vars": {"device_onboarding_extra_apps": apps(extra)}, "hosts": hosts}
    inventory = {"all": {"children": {"devices": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                 "device_onboarding_apps": apps(CORE_APPS)},  # Apple's default poll_interval, 30 s
        "children": children}}}}
    path.write_text(json.dumps(inventory, indent=1))  # JSON is YAML
    return number


RESULT_LINE = re.compile(r"^(\S+) \| (SUCCESS|CHANGED|FAILED!) => (\{.*\})$")


def run_playbook(env: dict[str, str], *arguments: str) -> tuple[int, list[tuple[str, dict[str, Any]]], float]:
    """ansible-playbook with the oneline callback: (exit code, [(status, result)], seconds)."""
    started = time.monotonic()
    done = subprocess.run([str(ANSIBLE_BIN / "ansible-playbook"), str(PLAYBOOK), *arguments],
                          env=env, check=False, capture_output=True, text=True)
    results = []
    for line in done.stdout.splitlines():
        match = RESULT_LINE.match(line.strip())
        if match:
            try:
                results.append((match.group(2), json.loads(match.group(3))))
            except ValueError:
                pass
    if done.returncode not in (0, 2) or not results:
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
    return done.returncode, results, time.monotonic() - started


def messages(results: list[tuple[str, dict[str, Any]]], first_line: str) -> list[str]:
    """The msg lines of the first result whose msg (a list of lines, or one line) has a line with `first_line`."""
    for _status, result in results:
        message = result.get("msg")
        lines = message if isinstance(message, list) else [message]
        if any(first_line in str(line) for line in lines):
            return [str(line) for line in lines]
    return []


def totals(results: list[tuple[str, dict[str, Any]]]) -> dict[str, int]:
    statuses = [status for status, _result in results]
    return {"changed": statuses.count("CHANGED"), "failures": statuses.count("FAILED!"), "results": len(statuses)}


class Requests:
    """Requests and writes the simulator saw since the last call."""

    def __init__(self, sim: SimulatorControl) -> None:
        self.sim = sim
        self.requests = 0
        self.writes = 0

    def since_last(self) -> str:
        summary = self.sim.summary()
        requests, writes = sum(summary["counts"].values()), summary["writes"]
        text = "{0} API requests, {1} writes".format(requests - self.requests, writes - self.writes)
        self.requests, self.writes = requests, writes
        return text


def show_licenses(sim: SimulatorControl) -> None:
    state = sim.location_state(LOCATION)
    counts: dict[tuple[str, str], int] = {}
    for pair in state["assignments"]:
        if "serialNumber" in pair:
            counts[(pair["adamId"], pair["pricingParam"])] = counts.get((pair["adamId"], pair["pricingParam"]), 0) + 1
    print("    {0:<11} {1:<5} {2:<22} {3:>8} {4:>9}".format("adam_id", "price", "app", "devices", "licenses"))
    for asset in state["assets"]:
        key = (asset["adamId"], asset["pricingParam"])
        if key in counts:
            total = "free" if asset.get("unlimited") else str(asset.get("totalCount"))
            print("    {0:<11} {1:<5} {2:<22} {3:>8} {4:>9}".format(key[0], key[1], asset.get("name", "")[:22], counts[key], total))


def main() -> int:
    started = time.monotonic()
    collections_root = make_collections_root()
    problems = []
    with tempfile.TemporaryDirectory(prefix="assetops-demo-") as workdir, \
            SimulatorProcess(SEED, event_seconds=0.5, rate_limit=True) as sim:
        sim.settings(statusIntervalSeconds=30)  # Apple's status rule: the demo checks it is kept (ruleBreaks)
        inventory = Path(workdir) / "inventory.yml"
        devices = write_inventory(inventory)
        print("==> demo: simulator at {0}, location {1!r}; inventory of {2} devices in {3}".format(
            sim.url, LOCATION, devices, ", ".join(CLASSES)), flush=True)
        env = dict(os.environ)
        env.update({
            "PATH": "{0}{1}{2}".format(ANSIBLE_BIN, os.pathsep, os.environ.get("PATH", "")),
            # as an AWX credential would inject them: nothing secret in the playbook or the inventory
            "VPP_TOKEN": sim.tokens()[LOCATION],
            "VPP_API_URL": sim.vpp_url,
            "ANSIBLE_COLLECTIONS_PATH": str(collections_root),
            "ANSIBLE_INVENTORY": str(inventory),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.oneline",  # one JSON result per line, parsed below
            "ANSIBLE_FORKS": "25",
            "ANSIBLE_PIPELINING": "true",
            "ANSIBLE_LOCAL_TEMP": workdir,
            "ANSIBLE_LOG_PATH": os.environ.get("DEMO_ANSIBLE_LOG", os.devnull),
            "XDG_CACHE_HOME": workdir,
        })
        requests = Requests(sim)
        playbook = PLAYBOOK.relative_to(REPO_ROOT)

        print("\n==> demo 1/4: ansible-playbook {0}   (onboard {1} devices)".format(playbook, devices), flush=True)
        code, results, seconds = run_playbook(env)
        for line in messages(results, "app set(s) for"):
            print("    " + line)
        outcome = "changed={changed} failed={failures} in {results} task results".format(**totals(results))
        print("    {0}; exit {1}; {2:.1f} s; {3}".format(requests.since_last(), code, seconds, outcome))
        print("    what the devices hold now:")
        show_licenses(sim)
        if code != 0:
            problems.append("the onboarding failed")

        print("\n==> demo 2/4: the same for grade6 plus two apps the school is short of (expected to fail)", flush=True)
        extra = json.dumps({"device_onboarding_extra_apps": apps(SHORT_APPS)})
        code, results, seconds = run_playbook(env, "--limit", "grade6", "--extra-vars", extra)
        for line in messages(results, "not enough licenses"):
            print("    " + line)
        print("    {0}; exit {1}; {2:.1f} s".format(requests.since_last(), code, seconds))
        if code == 0:
            problems.append("the shortage was not reported")

        print("\n==> demo 3/4: ansible-playbook {0} again   (idempotent)".format(playbook), flush=True)
        code, results, seconds = run_playbook(env)
        for line in messages(results, "app set(s) for")[-1:]:
            print("    " + line)
        sent = requests.since_last()
        changed = totals(results)["changed"]
        print("    {0}; exit {1}; {2:.1f} s; changed={3}".format(sent, code, seconds, changed))
        if code != 0 or changed != 0 or not sent.endswith(" 0 writes"):
            problems.append("the second run was not idempotent")
        breaks = sim.rule_breaks(LOCATION)
        print("    Apple's rules: {0} status look(s) sooner than 30 s after a PENDING answer".format(len(breaks)))
        if breaks:
            problems.append("Apple's status rule was broken")

        print("\n==> demo 4/4: the license report (roles/license_report)", flush=True)
        report_dir = Path(os.environ.get("DEMO_REPORT_DIR") or tempfile.mkdtemp(prefix="assetops-demo-report-"))
        report_dir.mkdir(parents=True, exist_ok=True)
        started_report = time.monotonic()
        done = write_report(sim, LOCATION, report_dir, Path(workdir), collections_root=collections_root, ansible_bin=ANSIBLE_BIN)
        page = report_dir / "onboarding-demo-school-licenses.html"
        print("    {0}; exit {1}; {2:.1f} s".format(requests.since_last(), done.returncode, time.monotonic() - started_report))
        if done.returncode != 0 or not page.exists():
            print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
            problems.append("the license report was not written")
        else:
            report = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
            named = sum(1 for asset in report["assets"] if asset["name"])
            print("    {0} assets ({1} with their name and icon), {2} low; {3}".format(
                report["totals"]["assets"], named, report["totals"]["low"],
                ", ".join(path.name for path in sorted(report_dir.glob("onboarding-demo-school-licenses.*")))))
            print("    open it in a browser: {0}".format(page.as_uri()))
    print("\n==> demo: {0} in {1:.1f} s (simulator stopped)".format(
        "done" if not problems else "FAILED: " + "; ".join(problems), time.monotonic() - started))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
