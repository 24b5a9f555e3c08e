"""What a write module's result costs at scale, measured in-process: report pairs against report summary.

    python -m tests.benchmarks.result_cost [--apps 25] [--devices 20000]

Builds the result of a cold assign of apps x devices pairs with writes.report (as vpp_assignment does),
then does what happens to it after the module: AnsibleModule.exit_json's walk for no_log values
(remove_values) and the JSON encoding. Prints seconds and megabytes per step and mode.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import types
from typing import Any, Dict, List, Optional

from ansible.module_utils.common.parameters import remove_values

from ansible_collections.assetops.licensing.plugins.module_utils.vpp import writes
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.records import Assignment


def measure(apps: int, devices: int) -> Dict[str, Any]:
    """{"pairs": n, "modes": {mode: {"build_s", "no_log_walk_s", "json_s", "json_mb"}}}."""
    done = {Assignment(str(900000001 + app), "STDQ", Assignment.SERIAL, "SC{0:07d}".format(device))
            for app in range(apps) for device in range(1, devices + 1)}
    modes = {}
    for mode in ("pairs", "summary"):
        options = types.SimpleNamespace(report=mode, check_mode=False, diff=False)
        started = time.perf_counter()
        result = writes.report("changes", "assigned", set(), set(), writes.Progress(done=done), "", (), options)
        built = time.perf_counter()
        result = remove_values(result, {"a-secret-value"})  # what exit_json does with the task's no_log values
        walked = time.perf_counter()
        text = json.dumps(result)
        encoded = time.perf_counter()
        modes[mode] = {"build_s": built - started, "no_log_walk_s": walked - built, "json_s": encoded - walked,
                       "json_mb": len(text) / 1e6}
    return {"pairs": len(done), "modes": modes}


def format_result(result: Dict[str, Any]) -> str:
    lines = ["result of a cold assign of {0:,} pairs, in-process:".format(result["pairs"])]
    for mode, cost in result["modes"].items():
        lines.append("  report {0:<7}: build {1:.2f} s, no_log walk {2:.2f} s, json.dumps {3:.2f} s, {4:.1f} MB of JSON".format(
            mode, cost["build_s"], cost["no_log_walk_s"], cost["json_s"], cost["json_mb"]))
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.result_cost", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--apps", type=int, default=25)
    parser.add_argument("--devices", type=int, default=20000)
    args = parser.parse_args(argv)
    print(format_result(measure(args.apps, args.devices)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
