"""docs/examples/reclaim/nightly_reclaim.yml against the simulator's Reclaim location (100 devices RCL000001-100).

The inventory group keeps RCL000031-100: the nightly run takes back exactly the 60 revocable licenses of the 30
dropped devices after its check-mode preview, and the next night sends no write. Over the cap, or with a host
that has no serial number, it stops before any write.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from tests.integration.conftest import BIN

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "reclaim" / "nightly_reclaim.yml"
LOCATION = "Reclaim"
KEPT = ["RCL{0:06d}".format(number) for number in range(31, 101)]
DROPPED = ["RCL{0:06d}".format(number) for number in range(1, 31)]


def run_example(ansible, hosts: Dict[str, Dict[str, str]], *args: str) -> subprocess.CompletedProcess:
    inventory = ansible.workdir / "mdm-inventory.yml"
    inventory.write_text(json.dumps({"all": {"children": {"ipads": {"hosts": hosts}}}}))
    env = {"VPP_TOKEN": ansible.sim.tokens()[LOCATION], "VPP_API_URL": ansible.sim.vpp_url, "ANSIBLE_INVENTORY": str(inventory)}
    return subprocess.run([str(BIN / "ansible-playbook"), str(EXAMPLE), *args], cwd=ansible.workdir, env=ansible.env(env),
                          capture_output=True, text=True, timeout=600, check=False)


def devices(serials: List[str]) -> Dict[str, Dict[str, str]]:
    return {"ipad-{0}".format(serial[-4:]): {"serial_number": serial} for serial in serials}


def writes(sim) -> List[dict]:
    return [entry for entry in sim.log() if entry["method"] == "POST"]


def outcome(done: subprocess.CompletedProcess) -> str:
    return "exit {0}\n{1}\n{2}".format(done.returncode, done.stdout[-6000:], done.stderr[-2000:])


@pytest.mark.integration
def test_nightly_reclaim_takes_back_the_dropped_devices_then_nothing(ansible):
    sim = ansible.sim
    before = sim.assignments(LOCATION)
    sim.clear_log()
    done = run_example(ansible, devices(KEPT), "-e", "reclaim_max=100")
    assert done.returncode == 0, outcome(done)
    taken = {(adam_id, "STDQ", "serial", serial) for adam_id in ("361309726", "361285480") for serial in DROPPED}
    assert sim.assignments(LOCATION) == before - taken, outcome(done)
    assert "30 device(s) left ipads; 60 license(s) to take back" in done.stdout
    assert len(writes(sim)) == 1

    sim.clear_log()
    again = run_example(ansible, devices(KEPT), "-e", "reclaim_max=100")
    assert again.returncode == 0, outcome(again)
    assert writes(sim) == [] and "skipping: [localhost]" in again.stdout


@pytest.mark.integration
def test_nightly_reclaim_stops_over_the_cap_and_on_a_host_without_serial(ansible):
    sim = ansible.sim
    before = sim.assignments(LOCATION)
    sim.clear_log()
    over = run_example(ansible, devices(KEPT))  # the default cap, 50, is below the 60 licenses
    assert over.returncode != 0 and "60 license(s) would be taken back, more than reclaim_max 50" in over.stdout, outcome(over)
    broken = dict(devices(KEPT), **{"ipad-new": {}})
    missing = run_example(ansible, broken, "-e", "reclaim_max=100")
    assert missing.returncode != 0 and "group ipads has 71 host(s), 70 with serial_number" in missing.stdout, outcome(missing)
    assert writes(sim) == [] and sim.assignments(LOCATION) == before
