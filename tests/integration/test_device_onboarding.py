"""The device_onboarding role over many hosts, with values the hosts must work out themselves.

Each test writes an inventory of devices and a playbook whose play vars hold per-host templates,
runs it with the connection in VPP_* environment variables (as an AWX credential injects it), and
checks the simulator's state pair by pair: exactly the right devices hold each app.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import pytest

from tests.integration.conftest import BIN

ROLE = "assetops.licensing.device_onboarding"
LOCATION = "Big"  # 60 apps of 2000 licenses each; nobody holds 700000010 or 700000011
CORE_APP, EXTRA_APP = "700000010", "700000011"


def write_inventory(path: Path, hosts: Dict[str, Dict[str, Any]]) -> None:
    inventory = {"all": {"children": {"devices": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "hosts": hosts}}}}
    path.write_text(json.dumps(inventory))  # JSON is YAML


def run_role(ansible, play_vars: Dict[str, Any], hosts: Dict[str, Dict[str, Any]], location: str, *args: str) -> subprocess.CompletedProcess:
    """ansible-playbook of one play over the inventory's devices that runs the role with these play vars."""
    inventory = ansible.workdir / "devices.yml"
    write_inventory(inventory, hosts)
    playbook = ansible.workdir / "onboard.yml"
    playbook.write_text(json.dumps([{"name": "Onboard", "hosts": "devices", "gather_facts": False,
                                     "vars": dict({"device_onboarding_poll_interval": 0.5}, **play_vars),
                                     "roles": [{"role": ROLE}]}]))
    env = {"VPP_TOKEN": ansible.sim.tokens()[location], "VPP_API_URL": ansible.sim.vpp_url, "ANSIBLE_INVENTORY": str(inventory),
           "ANSIBLE_FORKS": "10"}
    return subprocess.run([str(BIN / "ansible-playbook"), str(playbook), *args], cwd=ansible.workdir, env=ansible.env(env),
                          capture_output=True, text=True, timeout=600, check=False)


def holders(sim, location: str, adam_id: str, serials: List[str]) -> Set[str]:
    """Which of these devices hold this app (STDQ) in the simulator now."""
    held = sim.assignments(location)
    return {serial for serial in serials if (adam_id, "STDQ", "serial", serial) in held}


def outcome(done: subprocess.CompletedProcess) -> str:
    return "exit {0}\n{1}\n{2}".format(done.returncode, done.stdout[-8000:], done.stderr[-3000:])


@pytest.mark.integration
def test_per_host_template_in_play_vars(ansible):
    """The extra app for the first 40 of 200 hosts, as a per-host template in the play's vars.

    The role used to read every host's apps through hostvars in one run_once task; hostvars hold no
    play vars, so the run_once host's value (with the extra app) was applied to all 200. Check mode
    first: it predicts exactly the pairs the run makes, and no request count ("in 0 request(s)").
    """
    names = ["ipad-{0:03d}".format(number) for number in range(1, 201)]
    serials = {name: "TPLVAR{0:04d}".format(number) for number, name in enumerate(names, start=1)}
    play_vars = {
        "device_onboarding_apps": [{"adam_id": CORE_APP}],
        "device_onboarding_extra_apps": "{{ [{'adam_id': '" + EXTRA_APP + "'}] if (inventory_hostname[-3:] | int) <= 40 else [] }}",
    }
    hosts = {name: {"device_onboarding_serial_number": serials[name]} for name in names}
    ansible.sim.clear_log()
    checked = run_role(ansible, play_vars, hosts, LOCATION, "--check")
    assert checked.returncode == 0, outcome(checked)
    assert ansible.sim.summary()["writes"] == 0
    summary = next(line for line in checked.stdout.splitlines() if "in one vpp_assignment call" in line)
    assert "2 app set(s) for 200 device(s) in one vpp_assignment call: would assign 240 pair(s)" in summary, summary
    assert "request" not in summary.split("call:")[1], summary

    done = run_role(ansible, play_vars, hosts, LOCATION)
    assert done.returncode == 0, outcome(done)
    first, rest = [serials[name] for name in names[:40]], [serials[name] for name in names[40:]]
    everyone = first + rest
    assert holders(ansible.sim, LOCATION, CORE_APP, everyone) == set(everyone)
    extra = holders(ansible.sim, LOCATION, EXTRA_APP, everyone)
    assert extra == set(first), "extra app on {0} device(s) past the first 40; missing on {1}".format(
        len(extra - set(first)), sorted(set(first) - extra))
    # one vpp_assignment call: 2 app sets (40 devices x 2 apps, 160 x 1) fit in 2 write requests
    assert ansible.sim.summary()["writes"] == 2
    assert "would assign 240 pair(s)" not in done.stdout and "assign 240 pair(s) in 2 write request(s)" in done.stdout, outcome(done)

    again = run_role(ansible, play_vars, hosts, LOCATION)
    assert again.returncode == 0, outcome(again)
    assert "changed=0" in again.stdout and ansible.sim.summary()["writes"] == 2, outcome(again)


@pytest.mark.integration
def test_values_from_host_vars_group_vars_set_fact_and_extra_vars(ansible):
    """Every other place Ansible takes a host's value from, in one play over 40 hosts:

    - group_vars/devices.yml: the core app for every device;
    - host_vars/<host>.yml: the serial numbers of hosts 1-10;
    - the inventory file: the serial numbers of hosts 11-20;
    - set_fact in pre_tasks: the serial numbers of hosts 21-40 (from another variable);
    - extra vars: a per-host template that gives the extra app to the hosts of group lab.
    """
    names = ["dev-{0:02d}".format(number) for number in range(1, 41)]
    serials = {name: "SRCS{0:04d}".format(number) for number, name in enumerate(names, start=1)}
    lab = names[5:15]  # spans the host_vars and the inventory halves
    inventory_dir = ansible.workdir / "inventory"
    (inventory_dir / "group_vars").mkdir(parents=True)
    (inventory_dir / "host_vars").mkdir()
    (inventory_dir / "group_vars" / "devices.yml").write_text(json.dumps({"device_onboarding_apps": [{"adam_id": CORE_APP}]}))
    for name in names[:10]:
        (inventory_dir / "host_vars" / "{0}.yml".format(name)).write_text(json.dumps({"device_onboarding_serial_number": serials[name]}))
    hosts: Dict[str, Dict[str, Any]] = {}
    for number, name in enumerate(names, start=1):
        hosts[name] = {}
        if 11 <= number <= 20:
            hosts[name]["device_onboarding_serial_number"] = serials[name]
        elif number > 20:
            hosts[name]["asset_tag_serial"] = serials[name]
    inventory = {"all": {"children": {
        "devices": {"vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                    "hosts": hosts},
        "lab": {"hosts": {name: {} for name in lab}}}}}
    (inventory_dir / "devices.yml").write_text(json.dumps(inventory))
    playbook = ansible.workdir / "onboard.yml"
    playbook.write_text(json.dumps([{
        "name": "Onboard", "hosts": "devices", "gather_facts": False,
        "vars": {"device_onboarding_poll_interval": 0.5, "device_onboarding_progress_interval": 1},
        "pre_tasks": [{"name": "Serial numbers that only a fact holds", "when": "asset_tag_serial is defined",
                       "ansible.builtin.set_fact": {"device_onboarding_serial_number": "{{ asset_tag_serial }}"}}],
        "roles": [{"role": ROLE}]}]))
    extra_vars = ansible.workdir / "extra.json"
    extra_vars.write_text(json.dumps(
        {"device_onboarding_extra_apps": "{{ [{'adam_id': '" + EXTRA_APP + "'}] if 'lab' in group_names else [] }}"}))
    env = {"VPP_TOKEN": ansible.sim.tokens()[LOCATION], "VPP_API_URL": ansible.sim.vpp_url,
           "ANSIBLE_INVENTORY": str(inventory_dir / "devices.yml"), "ANSIBLE_FORKS": "10"}
    done = subprocess.run([str(BIN / "ansible-playbook"), str(playbook), "-e", "@" + str(extra_vars)], cwd=ansible.workdir,
                          env=ansible.env(env), capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, outcome(done)
    everyone = [serials[name] for name in names]
    assert holders(ansible.sim, LOCATION, CORE_APP, everyone) == set(everyone)
    assert holders(ansible.sim, LOCATION, EXTRA_APP, everyone) == {serials[name] for name in lab}


@pytest.mark.integration
def test_long_calls_show_progress(ansible):
    """While Apple's events are pending, the play prints a line every device_onboarding_progress_interval
    seconds (the call runs as an async job), and the result is the same as without."""
    names = ["slow-{0:02d}".format(number) for number in range(1, 6)]
    serials = {name: "SLOW{0:04d}".format(number) for number, name in enumerate(names, start=1)}
    hosts = {name: {"device_onboarding_serial_number": serials[name]} for name in names}
    ansible.sim.settings(eventSeconds=4)
    done = run_role(ansible, {"device_onboarding_apps": [{"adam_id": CORE_APP}], "device_onboarding_progress_interval": 1},
                    hosts, LOCATION)
    assert done.returncode == 0, outcome(done)
    assert done.stdout.count("ASYNC POLL on") >= 2, outcome(done)
    assert holders(ansible.sim, LOCATION, CORE_APP, list(serials.values())) == set(serials.values())
    assert "assign 5 pair(s) in 1 write request(s)" in done.stdout, outcome(done)


@pytest.mark.integration
def test_serial_number_from_play_vars(ansible):
    """device_onboarding_serial_number: "{{ serial_number }}" in the play's vars, serial_number in the inventory."""
    names = ["mac-{0:02d}".format(number) for number in range(1, 11)]
    serials = {name: "PLAYSN{0:04d}".format(number) for number, name in enumerate(names, start=1)}
    play_vars = {"device_onboarding_serial_number": "{{ serial_number }}", "device_onboarding_apps": [{"adam_id": CORE_APP}]}
    done = run_role(ansible, play_vars, {name: {"serial_number": serials[name]} for name in names}, LOCATION)
    assert done.returncode == 0, outcome(done)
    assert holders(ansible.sim, LOCATION, CORE_APP, list(serials.values())) == set(serials.values())


@pytest.mark.integration
def test_license_check_across_app_sets(ansible):
    """Two app sets of 25 devices that each fit the 38 available licenses of 361304891, but not together:
    the play fails before any write, with the module's shortage message."""
    available = next(asset["availableCount"] for asset in ansible.sim.location_state("Main")["assets"]
                     if (asset["adamId"], asset["pricingParam"]) == ("361304891", "STDQ"))
    assert 25 <= available < 50
    names = ["cart-{0:02d}".format(number) for number in range(1, 51)]
    hosts: Dict[str, Dict[str, Any]] = {}
    for number, name in enumerate(names, start=1):
        hosts[name] = {"device_onboarding_serial_number": "SHORT{0:04d}".format(number)}
        if number > 25:
            hosts[name]["device_onboarding_extra_apps"] = [{"adam_id": "361309726"}]
    ansible.sim.clear_log()
    done = run_role(ansible, {"device_onboarding_apps": [{"adam_id": "361304891"}]}, hosts, "Main")
    assert done.returncode != 0, outcome(done)
    assert "not enough licenses: 361304891 (STDQ) needs 50, {0} available".format(available) in done.stdout, outcome(done)
    assert ansible.sim.summary()["writes"] == 0
    held: Set[Tuple[str, str, str, str]] = ansible.sim.assignments("Main")
    assert not any(target.startswith("SHORT") for _adam_id, _pricing, _kind, target in held)
