"""Generated playbooks for the bad-input and secret suites: one ansible-playbook run for many cases.

A case task runs with ``ignore_errors`` (modules) or in a block with a rescue (the role) and is
followed by a controller-side ``set_fact`` that reads the simulator's request summary, so the
requests of each case are the difference between two summaries. The last play writes every
registered result to ``results.json``.
"""
from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from tests.integration.conftest import BIN

COLLECTION = "assetops.licensing."
SUMMARY_LOOKUP = ("{{ lookup('ansible.builtin.url', sim_url ~ '/_sim/log/summary', split_lines=false, use_proxy=false) | from_json"
                  " | combine({'at': now(utc=true).timestamp()}) }}")
DEVICES = ("ipad-1", "ipad-2")


def inner_token(stoken: str) -> str:
    """The ``token`` inside an sToken (a secret too)."""
    return json.loads(base64.b64decode(stoken))["token"]


def summary_task(name: str) -> Dict[str, Any]:
    return {"name": "requests so far: " + name, "ansible.builtin.set_fact": {name: SUMMARY_LOOKUP}, "run_once": True}


def module_task(index: int, module: str, args: Dict[str, Any]) -> List[Dict[str, Any]]:
    """A module call whose result lands in ``case_<index>``, then the summary in ``seen_<index>``."""
    task = {"name": "case {0}".format(index), COLLECTION + module: args, "register": "case_{0}".format(index), "ignore_errors": True}
    return [task, summary_task("seen_{0}".format(index))]


def role_task(index: int, role_vars: Dict[str, Any], role: str = "device_onboarding") -> List[Dict[str, Any]]:
    """The role (device_onboarding unless named) with these variables; a failure is kept in ``case_<index>``.

    Every variable, the per-host serial number too, is given as a variable of the include: each host
    works out its own values, so per-host templates there apply to each host.
    """
    return [{
        "name": "case {0}".format(index),
        "block": [
            {"name": "the role", "ansible.builtin.include_role": {"name": COLLECTION + role}, "vars": role_vars},
            {"name": "the role passed", "ansible.builtin.set_fact": {"case_{0}".format(index): {"failed": False}}},
        ],
        "rescue": [{"name": "the role failed", "ansible.builtin.set_fact": {"case_{0}".format(index): "{{ ansible_failed_result }}"}}],
    }, summary_task("seen_{0}".format(index))]


def collect_play(indexes: Sequence[int], role_indexes: Sequence[int], results_file: Path) -> Dict[str, Any]:
    """The last play: every case result and summary, as JSON, into ``results_file``."""
    entries = ["'{0}': {{'result': case_{0}, 'seen': seen_{0}}}".format(index) for index in indexes]
    entries += ["'{0}': {{'result': hostvars['{1}'].case_{0}, 'seen': hostvars['{1}'].seen_{0}}}".format(index, DEVICES[0])
                for index in role_indexes]
    content = "{{ {'start': start, 'cases': {" + ", ".join(entries) + "}} | to_json }}"
    return {"name": "collect", "hosts": "localhost", "gather_facts": False,
            "tasks": [{"name": "write the results", "ansible.builtin.copy": {"content": content, "dest": str(results_file), "mode": "0600"}}]}


def case_plays(module_cases: Sequence[Tuple[int, str, Dict[str, Any]]], role_cases: Sequence[Tuple[Any, ...]],
               results_file: Path) -> List[Dict[str, Any]]:
    """Module cases (index, module, args) on localhost, then role cases (index, variables[, role]) on the devices, then collect."""
    module_tasks: List[Dict[str, Any]] = [summary_task("start")]
    for index, module, args in module_cases:
        module_tasks += module_task(index, module, args)
    plays = [{"name": "module cases", "hosts": "localhost", "gather_facts": False, "tasks": module_tasks}]
    if role_cases:
        role_tasks: List[Dict[str, Any]] = []
        for index, role_vars, *role in role_cases:
            role_tasks += role_task(index, role_vars, *role)
        plays.append({"name": "role cases", "hosts": "devices", "gather_facts": False, "tasks": role_tasks})
    plays.append(collect_play([index for index, _module, _args in module_cases], [case[0] for case in role_cases], results_file))
    return plays


def write_inventory(workdir: Path, python: str) -> Path:
    inventory = workdir / "inventory.ini"
    lines = ["localhost ansible_connection=local ansible_python_interpreter={0}".format(python), "", "[devices]"]
    lines += ["{0} ansible_connection=local ansible_python_interpreter={1}".format(device, python) for device in DEVICES]
    inventory.write_text("\n".join(lines) + "\n")
    return inventory


def playbook_command(runner: Any, plays: List[Dict[str, Any]], extra_vars: Dict[str, Any], name: str, verbosity: int = 0) -> List[str]:
    """Write the plays (JSON is YAML) and the variables; the ansible-playbook command line that runs them."""
    playbook = runner.workdir / (name + ".yml")
    playbook.write_text(json.dumps(plays, indent=1))
    vars_file = runner.workdir / (name + "-vars.json")
    vars_file.write_text(json.dumps(extra_vars))
    inventory = write_inventory(runner.workdir, sys.executable)
    command = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(playbook), "-e", "@" + str(vars_file)]
    if verbosity:
        command.append("-" + "v" * verbosity)
    return command


def run_playbook(runner: Any, plays: List[Dict[str, Any]], extra_vars: Dict[str, Any], name: str, verbosity: int = 0,
                 env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    command = playbook_command(runner, plays, extra_vars, name, verbosity)
    return subprocess.run(command, cwd=runner.workdir, env=runner.env(env), capture_output=True, text=True, timeout=900, check=False)


def run_side_by_side(runner: Any, runs: Sequence[Tuple[str, List[Dict[str, Any]]]], extra_vars: Dict[str, Any]) -> List[str]:
    """Several playbooks at once (named plays); returns each one's output. The machine's cores do the rest."""
    started = []
    for name, plays in runs:
        output = (runner.workdir / (name + ".out")).open("w")  # pylint: disable=consider-using-with
        command = playbook_command(runner, plays, extra_vars, name)
        process = subprocess.Popen(command, cwd=runner.workdir, env=runner.env(), stdout=output,  # pylint: disable=consider-using-with
                                   stderr=subprocess.STDOUT, text=True)
        started.append((name, process, output))
    outputs = []
    for name, process, output in started:
        process.wait(timeout=900)
        output.close()
        outputs.append((runner.workdir / (name + ".out")).read_text())
    return outputs


def request_counts(before: Dict[str, Any], after: Dict[str, Any]) -> Dict[str, int]:
    """Requests per ``METHOD route`` between two log summaries (the log is only ever appended to here)."""
    old = before.get("counts", {})
    grown = {key: count - old.get(key, 0) for key, count in after.get("counts", {}).items()}
    return {key: count for key, count in grown.items() if count}


def write_count(before: Dict[str, Any], after: Dict[str, Any]) -> int:
    return int(after.get("writes", 0)) - int(before.get("writes", 0))
