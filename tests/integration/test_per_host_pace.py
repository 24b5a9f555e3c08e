"""The per-host style: one vpp_assignment task per host, no run_once, forks 25 over 100 hosts.

Apple counts maxRequestPerSecond per location, and every fork is its own module process, so the
processes must share one pace (module_utils/shared_pace.py). Against the simulator enforcing 15
requests per second, the run must draw no 429 and send every pair exactly once.
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from tests.integration.conftest import BIN

pytestmark = pytest.mark.integration

APP = "1000000003"  # a free app: licenses never run short
HOSTS = 100
FORKS = 25

PLAYBOOK = """
- name: One license per iPad, each host on its own
  hosts: ipads
  gather_facts: false
  tasks:
    - name: The app on this iPad
      assetops.licensing.vpp_assignment:
        token: "{{ vpp_token }}"
        api_url: "{{ vpp_url }}"
        adam_ids: ["%s"]
        serial_numbers: ["{{ serial_number }}"]
      delegate_to: localhost
""" % APP


def test_per_host_playbook_with_forks_shares_one_pace_and_sends_each_pair_once(ansible, simulator):
    serials = ["PACE{0:04d}".format(number) for number in range(1, HOSTS + 1)]
    inventory = ansible.workdir / "ipads.ini"
    inventory.write_text("[ipads]\n" + "".join(
        "ipad-{0:03d} serial_number={1} ansible_connection=local ansible_python_interpreter={2}\n".format(number, serial, sys.executable)
        for number, serial in enumerate(serials, start=1)) + "[all:vars]\nansible_python_interpreter={0}\n".format(sys.executable))
    playbook = ansible.workdir / "per_host.yml"
    playbook.write_text(PLAYBOOK)
    extra = ansible.workdir / "vars.json"
    extra.write_text(json.dumps({"vpp_token": simulator.tokens()["Main"], "vpp_url": simulator.vpp_url}))
    assert simulator.settings()["rateLimit"] is True and simulator.settings()["limits"]["maxRequestPerSecond"] == 15
    simulator.clear_log()

    done = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(inventory), "-f", str(FORKS), "-e", "@" + str(extra), str(playbook)],
                          cwd=ansible.workdir, env=ansible.env(), capture_output=True, text=True, timeout=600, check=False)
    fatal = [line for line in done.stdout.splitlines() if line.startswith("fatal")]
    assert done.returncode == 0 and not fatal, "\n".join(fatal[:5]) or done.stdout[-3000:]

    log = simulator.log()
    statuses = Counter(entry["status"] for entry in log)
    assert statuses.get(429, 0) == 0, statuses
    sent = Counter(serial for entry in log if entry["method"] == "POST" for serial in (entry["body"] or {}).get("serialNumbers", []))
    assert sent == Counter({serial: 1 for serial in serials})
    held = {target for adam_id, _pricing, kind, target in simulator.assignments("Main") if adam_id == APP and kind == "serial"}
    assert set(serials) <= held
    assert "changed=1" in done.stdout and "failed=0" in done.stdout
