"""What ``ansible-playbook --check --diff`` prints for the write modules: the first line of each diff is the
summary (``--- before: would assign ...``) and says what the diff covers, before the per-device lines.

The modules put the summary in the diff's ``before_header``; ansible-core's callbacks (2.17 to 2.19) print it as
``--- before: <header>``. This runs the real callback, so a change in how ansible-core renders diffs shows here
(``ASSETOPS_ANSIBLE_BIN=.venv-compat/bin`` runs it on the oldest ansible-core claimed).
"""
from __future__ import annotations

import json
import re
import subprocess
from typing import Dict, List

import pytest

pytestmark = pytest.mark.integration

NEW_DEVICES = ["DIFF-{0:03d}".format(number) for number in range(1, 41)]
TASKS = [
    ("Two apps to forty new devices", "assetops.licensing.vpp_assignment",
     {"adam_ids": ["361309726", "1000000003"], "serial_numbers": NEW_DEVICES}),
    ("Pages back from three devices", "assetops.licensing.vpp_assignment",
     {"adam_ids": ["361309726"], "serial_numbers": ["C02MAIN0001", "C02MAIN0002", "C02MAIN0003"], "state": "absent"}),
    ("Everything revocable from a device and a user", "assetops.licensing.vpp_revoke",
     {"serial_numbers": ["C02MAIN0001"], "client_user_ids": ["user-1"]}),
]
EXPECTED_FIRST_LINES = [
    "--- before: would assign 80 pairs to 40 devices (2 apps); only the task's apps are shown",
    "--- before: would take back 3 pairs from 3 devices (1 app); only the task's apps are shown",
    "--- before: would revoke 4 pairs from 1 device and 1 user (3 apps); every asset the named devices and users hold is shown",
]


def diffs_by_task(output: str) -> Dict[str, List[str]]:
    """The lines each task printed after its banner, up to its result line."""
    printed: Dict[str, List[str]] = {}
    current = None
    for line in output.splitlines():
        banner = re.match(r"TASK \[(.*)\] \*+$", line)
        if banner:
            current = printed.setdefault(banner.group(1), [])
        elif line.startswith("PLAY RECAP"):
            current = None
        elif current is not None and line.strip():
            current.append(line)
    return printed


def test_check_diff_opens_with_the_summary(ansible):
    sim = ansible.sim
    play = [{"name": "Diffs", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/assetops.licensing.vpp": {"token": sim.tokens()["Main"], "api_url": sim.vpp_url}},
             "tasks": [{"name": name, module: args} for name, module, args in TASKS]}]
    playbook = ansible.workdir / "diffs.yml"
    playbook.write_text(json.dumps(play, indent=1))
    sim.clear_log()
    done = subprocess.run([str(ansible.bin / "ansible-playbook"), str(playbook), "--check", "--diff"], cwd=ansible.workdir,
                          env=ansible.env(), capture_output=True, text=True, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    printed = diffs_by_task(done.stdout)
    for (name, _module, _args), first_line in zip(TASKS, EXPECTED_FIRST_LINES):
        lines = printed[name]
        assert lines[0] == first_line, "{0}:\n{1}".format(name, "\n".join(lines[:6]))
        assert lines[1] == "+++ after" and lines[-1].startswith("changed: [localhost]"), "\n".join(lines[:6])
    # the assign diff lists every new device; the summary above it is what a person reads first
    assert sum(1 for line in printed[TASKS[0][0]] if line.startswith('+    "serial DIFF-')) == 40
    assert [entry for entry in sim.log() if entry["method"] != "GET"] == []  # check mode: no write
