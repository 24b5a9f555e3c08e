"""What the fault-injection suites share: one playbook per case, and the checks read from the simulator's log.

A case runs one generated playbook: the task under the fault, then (for cases that must converge) the faults
are cleared, the request log's last sequence number is noted, and the same task runs again. The results, the
timestamps and that boundary come back in the playbook's output, so the test can tell the first run's requests
from the re-run's in the simulator's log (a request gets its sequence number when it arrives).
"""
from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from tests.integration.conftest import BIN, AnsibleRunner

# Every case runs with these: small retries keep the worst case short, a short timeout makes a slow answer a timeout.
RETRIES = 4
TIMEOUT = 1.5
# One playbook may not take longer than this, whatever happens.
PLAYBOOK_TIMEOUT = 240


@dataclass
class CaseRun:
    """What one case's playbook produced."""

    first: Dict[str, Any]
    second: Optional[Dict[str, Any]]
    first_seconds: float
    log: List[Dict[str, Any]]
    boundary: int  # the last log sequence number of the first run (everything, when there is no re-run)
    output: str

    @property
    def first_log(self) -> List[Dict[str, Any]]:
        return [entry for entry in self.log if entry["seq"] <= self.boundary]

    @property
    def second_log(self) -> List[Dict[str, Any]]:
        return [entry for entry in self.log if entry["seq"] > self.boundary]


CLEAR_FAULTS = "import sys, urllib.request as web; web.urlopen(web.Request(sys.argv[1], method='DELETE'), timeout=10).read()"
RESULT_MARK = "CASE-RESULT:"


def run_case(ansible: AnsibleRunner, module: str, args: Dict[str, Any], rerun: bool) -> CaseRun:
    """The module once under the faults already set, then (``rerun``) once more without them.

    Only the two module tasks start a process: the faults are cleared and the log read by lookups on the
    controller, and the results come back base64-encoded in a debug line.
    """
    sim_url = ansible.sim.url
    tasks: List[Dict[str, Any]] = [
        {"name": "Note the start", "ansible.builtin.set_fact": {"case_t0": "{{ now().timestamp() }}"}},
        {"name": "The task under the fault", module: args, "register": "case_first", "ignore_errors": True},
        {"name": "Note the end", "ansible.builtin.set_fact": {"case_t1": "{{ now().timestamp() }}"}},
    ]
    if rerun:
        clear = "{{ lookup('ansible.builtin.pipe', case_python + ' -c ' + (case_clear | quote) + ' ' + case_faults_url) }}"
        tasks += [
            {"name": "Clear the faults", "ansible.builtin.set_fact": {"case_cleared": clear}},
            {"name": "Note the log so far", "ansible.builtin.set_fact": {
                "case_boundary": "{{ ((lookup('ansible.builtin.url', case_log_url, split_lines=False) | from_json).entries"
                                 " | map(attribute='seq') | list + [0]) | max }}"}},
            {"name": "The same task again", module: args, "register": "case_second", "ignore_errors": True},
        ]
    tasks.append({"name": "Hand the results over", "ansible.builtin.debug": {
        "msg": RESULT_MARK + "{{ {'first': case_first, 'second': case_second | default(None), 't0': case_t0, 't1': case_t1,"
                             " 'boundary': case_boundary | default(-1)} | to_json | b64encode }}"}})
    play = {"name": "Fault case", "hosts": "localhost", "gather_facts": False, "tasks": tasks, "vars": {
        "case_python": sys.executable, "case_clear": CLEAR_FAULTS, "case_faults_url": sim_url + "/_sim/faults",
        "case_log_url": sim_url + "/_sim/log"}}
    playbook = ansible.workdir / "case.yml"
    playbook.write_text(json.dumps([play], indent=1))
    done = subprocess.run([str(BIN / "ansible-playbook"), str(playbook)], cwd=ansible.workdir, env=ansible.env(),
                          capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT, check=False)
    output = done.stdout + done.stderr
    found = re.search(re.escape(RESULT_MARK) + r"([A-Za-z0-9+/=]+)", output)
    assert done.returncode == 0 and found, "the case playbook itself failed:\n" + output[-3000:]
    data = json.loads(base64.b64decode(found.group(1)))
    log = settled_log(ansible.sim)
    boundary_seq = int(data["boundary"])
    if boundary_seq < 0:
        boundary_seq = max([entry["seq"] for entry in log] + [0])
    return CaseRun(first=data["first"], second=data["second"], first_seconds=float(data["t1"]) - float(data["t0"]),
                   log=log, boundary=boundary_seq, output=output)


def settled_log(sim: Any, patience: float = 15.0) -> List[Dict[str, Any]]:
    """The request log once every request has finished: the log records a request when it ends, numbered by
    arrival, so a gap in the numbers is a request still in the server (a slow answer the client gave up on)."""
    deadline = time.monotonic() + patience
    while True:
        log = sim.log()
        seqs = [entry["seq"] for entry in log]
        if not seqs or len(seqs) == max(seqs) - min(seqs) + 1 or time.monotonic() > deadline:
            return log
        time.sleep(0.2)


def request_key(entry: Dict[str, Any]) -> Tuple[str, str, str, str]:
    """Two log entries with the same key are the same request sent again."""
    return (entry["method"], entry["path"], json.dumps(entry["query"], sort_keys=True), json.dumps(entry["body"], sort_keys=True))


def longest_refused_streak(entries: Iterable[Dict[str, Any]]) -> int:
    """The most times one request was answered with anything but 2xx (or not at all) in a row.

    A client that retries at most ``retries`` times sends a request at most retries + 1 times before it either
    succeeds or gives up, so this is never more than retries + 1.
    """
    streaks: Dict[Tuple[str, str, str, str], int] = {}
    longest = 0
    for entry in entries:
        key = request_key(entry)
        ok = entry["status"] is not None and 200 <= entry["status"] < 300 and entry["fault"] != "drop_after"
        streaks[key] = 0 if ok else streaks.get(key, 0) + 1
        longest = max(longest, streaks[key])
    return longest


def retry_gaps(entries: Sequence[Dict[str, Any]], status: int) -> List[float]:
    """For each answer with this status, the seconds until the same request arrived again."""
    gaps = []
    for position, entry in enumerate(entries):
        if entry["status"] != status:
            continue
        key = request_key(entry)
        later = [other for other in entries[position + 1:] if request_key(other) == key]
        if later:
            gaps.append(later[0]["time"] - (entry["time"] + entry["duration"]))
    return gaps


def brief_log(entries: Iterable[Dict[str, Any]]) -> List[Tuple[Any, ...]]:
    """The log in a form short enough for an assertion message."""
    return [(entry["method"], entry["path"], entry["query"].get("pageIndex"), entry["status"], entry["fault"]) for entry in entries]


def one_line(message: Any) -> bool:
    return isinstance(message, str) and bool(message.strip()) and "\n" not in message and "Traceback" not in message


def matches_all(message: str, patterns: Sequence[str]) -> List[str]:
    """The patterns the message does not match."""
    return [pattern for pattern in patterns if not re.search(pattern, message)]


@dataclass(frozen=True)
class Bounds:
    """Limits every case is held to: attempts of one request in a row and the first run's wall time."""

    max_attempts: int = RETRIES + 1
    max_seconds: float = 30.0
    extra: Tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        parts = ["each request at most {0} times in a row".format(self.max_attempts), "run under {0:g} s".format(self.max_seconds)]
        return "; ".join(parts + list(self.extra))


@dataclass(frozen=True)
class FaultCase:
    """One row of a fault table: an operation under a fault, and the outcome asserted. The test modules
    subclass it with what their API needs."""

    operation: str
    fault: str  # what is injected, for the report
    rules: Tuple[Dict[str, Any], ...]
    outcome: str  # "converges" or "fails"
    patterns: Tuple[str, ...] = ()  # what the one-line message must name (fails)
    options: Dict[str, Any] = field(default_factory=dict)  # added to the common options
    max_seconds: float = 20.0
    min_retry_wait: Optional[Tuple[int, float]] = None  # (status, seconds): a retry after it waited at least this long
    lasting: bool = False  # the fault never ends: the write is sent exactly retries + 1 times, then given up

    @property
    def retries(self) -> int:
        return int(self.options.get("retries", RETRIES))

    @property
    def id(self) -> str:
        return "{0}-{1}".format(self.operation, re.sub(r"[^a-z0-9]+", "-", self.fault.lower()).strip("-")[:40])

    def outcome_text(self, converges: str) -> str:
        """The outcome column: ``converges`` as given, or the patterns a failure's one line must name."""
        if self.outcome == "converges":
            return converges
        return "fails, one line naming " + ", ".join("`{0}`".format(pattern.replace("\\", "")) for pattern in self.patterns)

    def bounds_with(self, *extra: str) -> Bounds:
        """The bounds of this case; ``extra`` names what the module's own checks add."""
        if self.min_retry_wait:
            extra = ("the retry after a {0} waits at least {1:g} s".format(*self.min_retry_wait),) + extra
        return Bounds(max_attempts=self.retries + 1, max_seconds=self.max_seconds, extra=extra)
