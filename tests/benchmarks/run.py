"""``make bench``: the collection against the simulator with Apple-like settings.

    python -m tests.benchmarks.run [--only NAME ...] [--quick] [--no-report] [--out docs]

Starts the simulator (15 requests/s per location enforced with 429, 100 ms per request, events that
stay PENDING 3 s, pages of 1000), runs each scenario as a real ansible-playbook, and measures from
the simulator's request log the requests per endpoint and the 429s, from a small callback plugin the
time of the module task, and from an interpreter wrapper the peak memory (ru_maxrss) of each module
process. Prints a table with PASS/FAIL against the targets and writes docs/benchmarks.md and
docs/benchmarks.png. The exit status is 1 only when a scenario could not run (a failed playbook);
a missed target is reported as FAIL in the table, not by the exit status. A full run (or --simulator)
also runs the simulator-alone benchmark (simulator_bench.py) and puts its numbers in the report.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# pylint: disable=wrong-import-position
from tests.simulator.control import SimulatorControl, SimulatorProcess  # noqa: E402
from tests.utils.collections_root import make_collections_root  # noqa: E402

COLLECTIONS_ROOT = make_collections_root()
if str(COLLECTIONS_ROOT) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_ROOT))

from tests.benchmarks import report, result_cost, scenarios, simulator_bench  # noqa: E402

HERE = Path(__file__).resolve().parent
# scenario -> the scenarios that must run before it (the same location's earlier runs)
REQUIRES = {"idempotent": ("cold_assign",), "scale_fill": ("scale_summary",), "scale_cached": ("scale_summary", "scale_fill")}
PLAYBOOKS = HERE / "playbooks"
# the simulator-alone benchmark's load (its defaults): 25 apps x 20,000 devices, 1,000 requests
SIMULATOR_APPS, SIMULATOR_DEVICES, SIMULATOR_REQUESTS = 25, 20000, 1000
BIN = Path(sys.executable).parent
ENDPOINT_OF = {"/service/config": "config", "/assets": "assets", "/assignments": "assignments", "/status": "status",
               "/assets/associate": "writes", "/assets/disassociate": "writes", "/assets/revoke": "writes"}

# Runs the real interpreter as a child and appends its peak resident memory (ru_maxrss, KiB on
# Linux) and the module it ran to a log; written to the run's temporary folder.
WRAPPER = '''#!{python}
import json, os, sys, time
started = time.monotonic()
child = os.fork()
if child == 0:
    os.execv({python!r}, [{python!r}] + sys.argv[1:])
_pid, status, usage = os.wait4(child, 0)
module = next((os.path.basename(arg)[len("AnsiballZ_"):-3] for arg in sys.argv[1:] if "AnsiballZ_" in arg), "?")
with open({log!r}, "a", encoding="utf-8") as stream:
    stream.write(json.dumps({{"module": module, "maxrss_kib": usage.ru_maxrss, "seconds": time.monotonic() - started}}) + "\\n")
sys.exit(os.waitstatus_to_exitcode(status))
'''

# The play of the empty role of device_onboarding's shape. It is written into the work folder with its role
# (not kept in playbooks/), because the role exists only there.
SHAPE_PLAYBOOK_NAME = "onboard_empty_role.yml"
SHAPE_PLAYBOOK = """---
- name: Visit every device of the inventory through a role of the same shape and do nothing
  hosts: devices
  gather_facts: false
  roles:
    - role: onboarding_shape
"""

# The tasks of that role: the real role's per-host step with the same expressions, and an empty run-once step.
SHAPE_TASKS = """---
- name: Work out this device's serial number and apps (the role's per-host step)
  ansible.builtin.set_fact:
    device_onboarding_device:
      serial_number: "{{ device_onboarding_serial_number | default('', true) }}"
      apps: "{{ (device_onboarding_apps | default([], true)) + (device_onboarding_extra_apps | default([], true)) }}"

- name: Once for the play (the role's planning and API step, empty)
  ansible.builtin.set_fact:
    bench_hosts: "{{ ansible_play_batch | length }}"
  run_once: true
"""


class Bench:
    """One benchmark run: the simulator, a work folder, and the measurements."""

    def __init__(self, sim: SimulatorControl, workdir: Path, tokens: Dict[str, str]):
        self.sim = sim
        self.workdir = workdir
        self.tokens = tokens
        self.memory_log = workdir / "memory.jsonl"
        self.wrapper = workdir / "python-peak-memory"
        self.wrapper.write_text(WRAPPER.format(python=sys.executable, log=str(self.memory_log)))
        self.wrapper.chmod(0o755)
        self.memory_log.touch()
        self.last_seq = 0
        self.log_dir: Optional[Path] = None
        self.localhost_inventory = workdir / "localhost.yml"
        self.localhost_inventory.write_text(json.dumps({"all": {"hosts": {"localhost": {
            "ansible_connection": "local", "ansible_python_interpreter": str(self.wrapper)}}}}))

    def env(self, scenario: scenarios.Scenario, inventory: Path, timer_file: Path) -> Dict[str, str]:
        cache = self.workdir / "cache" / scenario.name  # a cold limits cache for every scenario
        cache.mkdir(parents=True, exist_ok=True)
        env = {key: value for key, value in os.environ.items() if not key.startswith(("VPP_", "ANSIBLE_"))}
        env.update({
            "PATH": "{0}{1}{2}".format(BIN, os.pathsep, os.environ.get("PATH", "")),
            "VPP_TOKEN": self.tokens[scenario.location],
            "VPP_API_URL": self.sim.vpp_url,
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT),
            "ANSIBLE_INVENTORY": str(inventory),
            "ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "bench_timer",
            "BENCH_TIMER_FILE": str(timer_file),
            "ANSIBLE_FORKS": str(scenario.forks),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "ANSIBLE_LOCAL_TEMP": str(self.workdir / "tmp"),
            "XDG_CACHE_HOME": str(cache),
            "ANSIBLE_ROLES_PATH": str(self.shape_role().parent),
        })
        if scenario.cache:  # the snapshot outlives the scenario: the next re-run of the location finds it
            env["VPP_ASSIGNMENT_CACHE"] = str(self.workdir / "assignments-{0}.json.gz".format(scenario.location.replace(" ", "-")))
        return env

    def playbook(self, scenario: scenarios.Scenario) -> Path:
        """The scenario's playbook: in playbooks/, or written into the work folder (the empty role's)."""
        if scenario.playbook == SHAPE_PLAYBOOK_NAME:
            self.shape_role()
            path = self.workdir / SHAPE_PLAYBOOK_NAME
            path.write_text(SHAPE_PLAYBOOK, encoding="utf-8")
            return path
        return PLAYBOOKS / scenario.playbook

    def shape_role(self) -> Path:
        """The empty role of device_onboarding's shape: its argument spec, its per-host task, one run-once task."""
        role = self.workdir / "roles" / "onboarding_shape"
        if not role.exists():
            (role / "meta").mkdir(parents=True)
            (role / "tasks").mkdir()
            shutil.copy(REPO_ROOT / "roles" / "device_onboarding" / "meta" / "argument_specs.yml", role / "meta" / "argument_specs.yml")
            (role / "tasks" / "main.yml").write_text(SHAPE_TASKS, encoding="utf-8")
        return role

    def onboarding_inventory(self, scenario: scenarios.Scenario) -> Path:
        groups = scenario.variables["groups"]
        children = {}
        for group, spec in groups.items():
            children[group] = {
                "vars": {"device_onboarding_extra_apps": [{"adam_id": adam_id} for adam_id in spec["apps"]]},
                "hosts": {host: {"device_onboarding_serial_number": serial} for host, serial in spec["hosts"]},
            }
        inventory = {"all": {
            "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": str(self.wrapper)}},
            "children": {"devices": {
                "vars": {"ansible_connection": "local", "ansible_python_interpreter": str(self.wrapper),
                         "device_onboarding_apps": [{"adam_id": adam_id} for adam_id in scenario.variables["core"]]},
                "children": children}}}}
        path = self.workdir / "onboarding-inventory.yml"
        path.write_text(json.dumps(inventory))  # JSON is YAML
        return path

    def per_host_inventory(self, scenario: scenarios.Scenario) -> Path:
        hosts = {host: {"serial_number": serial} for host, serial in scenario.variables["devices"]}
        inventory = {"all": {"children": {"devices": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": str(self.wrapper)}, "hosts": hosts}}}}
        path = self.workdir / "per-host-inventory.yml"
        path.write_text(json.dumps(inventory))
        return path

    def run(self, scenario: scenarios.Scenario) -> Dict[str, Any]:
        """Run one scenario's playbook and measure it; the floor's several times, keeping the median run."""
        if scenario.kind != "floor":
            return self.run_once(scenario)
        runs = [self.run_once(scenario) for _run in range(scenarios.FLOOR_RUNS)]
        measured = sorted((run for run in runs if run["ok"] and run["task_seconds"] is not None), key=lambda run: run["task_seconds"])
        if not measured:
            return runs[-1]
        median = dict(measured[len(measured) // 2])
        median["task_seconds"] = statistics.median(run["task_seconds"] for run in measured)
        median["floor_samples"] = [run["task_seconds"] for run in runs if run["ok"] and run["task_seconds"] is not None]
        median["peak_mib"] = max(run["peak_mib"] for run in measured)
        return median

    def run_once(self, scenario: scenarios.Scenario) -> Dict[str, Any]:
        """Run one scenario's playbook once and measure it."""
        (self.workdir / "tmp").mkdir(exist_ok=True)
        timer_file = self.workdir / "timer-{0}.json".format(scenario.name)
        vars_file = self.workdir / "vars-{0}.json".format(scenario.name)
        if scenario.name == "onboarding" or scenario.kind == "empty_play":
            inventory = self.onboarding_inventory(scenario)
            command = [str(BIN / "ansible-playbook"), str(self.playbook(scenario))]
        elif scenario.kind == "per_host":
            inventory = self.per_host_inventory(scenario)
            vars_file.write_text(json.dumps({key: value for key, value in scenario.variables.items() if key != "devices"}))
            command = [str(BIN / "ansible-playbook"), str(self.playbook(scenario)), "-e", "@" + str(vars_file)]
        else:
            inventory = self.localhost_inventory
            vars_file.write_text(json.dumps(scenario.variables))
            command = [str(BIN / "ansible-playbook"), str(self.playbook(scenario)), "-e", "@" + str(vars_file)]
        memory_offset = self.memory_log.stat().st_size
        started = time.monotonic()
        done = subprocess.run(command, env=self.env(scenario, inventory, timer_file), cwd=self.workdir,
                              capture_output=True, text=True, timeout=1200, check=False)
        playbook_seconds = time.monotonic() - started
        entries = self.sim.log(since=self.last_seq)
        self.last_seq = max([self.last_seq] + [entry["seq"] for entry in entries])
        if self.log_dir is not None:  # --log-dir: the scenario's request log, to look into a 429
            (self.log_dir / "{0}.json".format(scenario.name)).write_text(json.dumps(entries, indent=1), encoding="utf-8")
        with open(self.memory_log, encoding="utf-8") as stream:
            stream.seek(memory_offset)
            processes = [json.loads(line) for line in stream if line.strip()]
        tasks = json.loads(timer_file.read_text()) if timer_file.exists() else []
        result = measure(scenario, done, playbook_seconds, entries, processes, tasks)
        result["rule_breaks"] = len(self.sim.rule_breaks(scenario.location))
        return result


def measure(scenario: scenarios.Scenario, done: subprocess.CompletedProcess, playbook_seconds: float,
            entries: List[Dict[str, Any]], processes: List[Dict[str, Any]], tasks: List[Dict[str, Any]]) -> Dict[str, Any]:
    requests = {endpoint: 0 for endpoint in scenarios.ENDPOINTS}
    for entry in entries:
        path = entry["path"].split("/mdm/v2", 1)[-1]
        requests[ENDPOINT_OF.get(path, "other")] = requests.get(ENDPOINT_OF.get(path, "other"), 0) + 1
    measured_tasks = [task for task in tasks if task["end"] is not None and not task["action"].endswith(("debug", "assert"))]
    if scenario.name == "onboarding" or scenario.kind in ("per_host", "empty_play"):  # first task start to last task end
        task_seconds = max(task["end"] for task in tasks if task["end"]) - min(task["start"] for task in tasks) if tasks else None
    else:
        task_seconds = sum(task["end"] - task["start"] for task in measured_tasks) if measured_tasks else None
    module_processes = [process for process in processes if process["module"] != "?"]
    return {
        "name": scenario.name,
        "ok": done.returncode == 0,
        "returncode": done.returncode,
        "output": "" if done.returncode == 0 else (done.stdout[-4000:] + "\n" + done.stderr[-2000:]),
        "requests": requests,
        "total": len(entries),
        "too_many": sum(1 for entry in entries if entry["status"] == 429),
        "peak_per_second": peak_per_second(entries),
        "task_seconds": task_seconds,
        "playbook_seconds": playbook_seconds,
        "peak_mib": max((process["maxrss_kib"] for process in module_processes), default=0) / 1024.0,
        "module_processes": len(module_processes),
        "module_seconds": sum(process["seconds"] for process in module_processes),
        "tasks": [{"task": task["task"], "seconds": (task["end"] or task["start"]) - task["start"]} for task in tasks],
    }


def peak_per_second(entries: List[Dict[str, Any]]) -> int:
    """Most arrivals per location in any one-second window (what the rate limit counts)."""
    peak = 0
    by_location: Dict[Any, List[float]] = {}
    for entry in entries:
        if entry.get("uId"):
            by_location.setdefault(entry["uId"], []).append(entry["time"])
    for arrivals in by_location.values():
        arrivals.sort()
        first = 0
        for last, arrival in enumerate(arrivals):
            while arrivals[first] <= arrival - 1.0:
                first += 1
            peak = max(peak, last - first + 1)
    return peak


def update_readme(headline: str, marker: str = "bench:headline") -> bool:
    """Replace the text between the README's <!-- marker --> and <!-- /marker -->; False when they are missing."""
    readme = REPO_ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- {0} -->\n".format(marker), "<!-- /{0} -->".format(marker)
    if start not in text or end not in text:
        return False
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    readme.write_text(before + start + headline + "\n" + end + after, encoding="utf-8")
    return True


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only scenarios whose name starts with NAME (repeatable), e.g. cold_assign, naive")
    parser.add_argument("--log-dir", help="write each scenario's request log (JSON, no secrets) to this folder")
    parser.add_argument("--quick", action="store_true", help="small sizes for a fast check (the report is not written)")
    parser.add_argument("--no-report", action="store_true", help="print the table only; do not write docs/benchmarks.*")
    parser.add_argument("--out", help="write benchmarks.md and benchmarks.png to this folder, also with --quick or --only "
                                      "(a full run writes them to docs/ and renews the README headline)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--simulator", action="store_true",
                        help="also run the simulator-alone benchmark and the result-cost measurement (a full run always does)")
    parser.add_argument("--tasks", action="store_true", help="print the time of every task of each scenario")
    return parser.parse_args(argv)


def selected(all_scenarios: List[scenarios.Scenario], only: List[str]) -> List[scenarios.Scenario]:
    if not only:
        return all_scenarios
    chosen = [scenario for scenario in all_scenarios if any(scenario.name.startswith(prefix) for prefix in only)]
    # a re-run needs the runs before it on its location
    for name, needs in REQUIRES.items():
        if any(scenario.name == name for scenario in chosen):
            chosen += [scenario for scenario in all_scenarios if scenario.name in needs and scenario not in chosen]
    return [scenario for scenario in all_scenarios if scenario in chosen]


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    sizes = scenarios.QUICK if args.quick else scenarios.FULL
    seed, all_scenarios = scenarios.build(sizes)
    chosen = selected(all_scenarios, args.only)
    if args.list:
        for scenario in all_scenarios:
            print("{0:<28} {1}".format(scenario.name, scenario.title))
        return 0
    started = time.monotonic()
    results: Dict[str, Dict[str, Any]] = {}
    workdir = Path(tempfile.mkdtemp(prefix="assetops-bench-"))
    try:
        seed_file = workdir / "seed.json"
        seed_file.write_text(json.dumps(seed))
        print("==> bench: {0} scenario(s), simulator: {1:.0f} ms per request, {2} requests/s per location (429 above), "
              "events {3:.0f} s, pages of {4}".format(len(chosen), scenarios.LATENCY_SECONDS * 1000, scenarios.RATE,
                                                      scenarios.EVENT_SECONDS, scenarios.PAGE_SIZE), flush=True)
        with SimulatorProcess(seed_file, page_size=scenarios.PAGE_SIZE, latency_ms=scenarios.LATENCY_SECONDS * 1000,
                              event_seconds=scenarios.EVENT_SECONDS, rate_limit=True, max_requests=1000000) as sim:
            bench = Bench(sim, workdir, sim.tokens())
            if args.log_dir:
                bench.log_dir = Path(args.log_dir)
                bench.log_dir.mkdir(parents=True, exist_ok=True)
            for scenario in chosen:
                result = bench.run(scenario)
                results[scenario.name] = result
                print(report.progress_line(scenario, result), flush=True)
                for task in result["tasks"] if args.tasks else ():
                    print("        {0:7.2f} s  {1}".format(task["seconds"], task["task"]), flush=True)
                if not result["ok"]:
                    print(result["output"], flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    full_run = not args.quick and not args.no_report and not args.only
    simulator = None
    if full_run or args.simulator:  # the simulator alone, after the scenarios (its own process, quiet machine)
        print("==> bench: the simulator alone (tests/benchmarks/simulator_bench.py)", flush=True)
        devices = SIMULATOR_DEVICES // (10 if args.quick else 1)
        simulator = dict(simulator_bench.run(SIMULATOR_APPS, devices, SIMULATOR_REQUESTS, REPO_ROOT), apps=SIMULATOR_APPS, devices=devices)
        print(simulator_bench.format_result(simulator), flush=True)
    cost = None
    if full_run or args.simulator:  # what the result itself costs, pairs against summary (in-process, 100,000 pairs in a full run)
        cost = result_cost.measure(sizes.scale_apps, max(1, sizes.sweep_pairs[min(1, len(sizes.sweep_pairs) - 1)] // sizes.scale_apps))
        print(result_cost.format_result(cost), flush=True)
    elapsed = time.monotonic() - started
    summary = report.Summary(sizes, chosen, results, elapsed, quick=args.quick, simulator=simulator, result_cost=cost)
    print()
    print(summary.console_table())
    if full_run or args.out:
        out = Path(args.out) if args.out else REPO_ROOT / "docs"
        out.mkdir(parents=True, exist_ok=True)
        (out / "benchmarks.md").write_text(summary.markdown())
        written = [out / "benchmarks.md"]
        if summary.plot(out / "benchmarks.png"):
            written.append(out / "benchmarks.png")
        if summary.scale_plot(out / "benchmarks_scale.png"):
            written.append(out / "benchmarks_scale.png")
        print("==> bench: wrote {0}".format(", ".join(str(path) for path in written)))
        for marker, headline in (("bench:headline", summary.headline()), ("bench:scale", summary.scale_headline())):
            if headline and full_run and update_readme(headline, marker):
                print("==> bench: README.md quotes the new {0}".format(marker))
    failed = [name for name, result in results.items() if not result["ok"]]
    print("==> bench: {0} scenario(s) in {1:.0f} s{2}".format(len(results), elapsed, "; FAILED to run: " + ", ".join(failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
