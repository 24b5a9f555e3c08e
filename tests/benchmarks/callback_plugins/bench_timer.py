# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark helper: record when each task started and when its last host result came in.

Writes a JSON list of {"task", "action", "start", "end", "failed"} (time.monotonic seconds) to the
file named by BENCH_TIMER_FILE when the playbook ends. Enabled only by the benchmark runner.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_timer
type: aggregate
short_description: Task start and end times for the benchmarks
description: Writes the start and end time of every task to the file named by E(BENCH_TIMER_FILE).
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tasks = []

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.tasks.append({"task": task.get_name(), "action": task.action, "start": time.monotonic(), "end": None, "failed": 0})

    def _result(self, failed=False):
        if self.tasks:
            self.tasks[-1]["end"] = time.monotonic()
            self.tasks[-1]["failed"] += int(failed)

    def v2_runner_on_ok(self, result):
        self._result()

    def v2_runner_on_skipped(self, result):
        self._result()

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(failed=not ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self._result(failed=True)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_TIMER_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as stream:
                json.dump(self.tasks, stream)
