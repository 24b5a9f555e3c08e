"""The license_report role: real ansible-playbook runs against the simulator with a seed of its own.

tests/simulator/data/license_report.json: Riverside Middle School (owner set, token expiring in 12 days), 12
assets (11 apps and books with metadata, one without, a custom app, two free apps, Science Lab at STDQ and
PLUS), devices and users holding them. The connection is in VPP_* environment variables, as from an AWX
credential. Each test counts the simulator's requests: metadata lookups, writes, and none at all on bad input.
"""
from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any, Dict

import pytest

from tests.integration.conftest import AnsibleRunner
from tests.simulator import DATA_DIR
from tests.simulator.control import SimulatorProcess
from tests.utils.collections_root import REPO_ROOT

SEED = DATA_DIR / "license_report.json"
LOCATION = "Riverside Middle School"
PLAYBOOK = REPO_ROOT / "docs" / "examples" / "license_report" / "report.yml"
STEM = "riverside-middle-school-licenses"
DISTINCT_ADAM_IDS = 11  # 12 assets; Science Lab is there twice (STDQ and PLUS)
# (adam id, pricing) in pressure order at the default threshold (10%), free apps last
ORDER = [("1800000101", "STDQ"), ("1800000001", "STDQ"), ("1800000003", "STDQ"), ("1800000005", "STDQ"), ("1800000004", "STDQ"),
         ("1800000003", "PLUS"), ("1800000002", "STDQ"), ("1800000007", "STDQ"), ("1800000102", "STDQ"), ("1800000006", "STDQ"),
         ("1800000201", "STDQ"), ("1800000202", "STDQ")]


@pytest.fixture(scope="module")
def report_sim():
    with SimulatorProcess(SEED) as sim:
        yield sim


@pytest.fixture
def runner(report_sim, tmp_path):
    report_sim.reset()
    (tmp_path / "tmp").mkdir()
    return AnsibleRunner(tmp_path, report_sim)


def run_report(runner: AnsibleRunner, extra_vars: Dict[str, Any], *args: str, connection_in_env: bool = True):
    """ansible-playbook of the example playbook; the connection in VPP_* variables, or else given in extra_vars."""
    env = {"VPP_TOKEN": runner.sim.tokens()[LOCATION], "VPP_API_URL": runner.sim.vpp_url} if connection_in_env else {}
    return subprocess.run([str(runner.bin / "ansible-playbook"), str(PLAYBOOK), "-e", json.dumps(extra_vars), *args],
                          cwd=runner.workdir, env=runner.env(env), capture_output=True, text=True, timeout=300, check=False)


def outcome(done) -> str:
    return "exit {0}\n{1}\n{2}".format(done.returncode, done.stdout[-6000:], done.stderr[-3000:])


def lookups(sim) -> int:
    return sum(1 for entry in sim.log() if entry["path"].endswith("/wa/lookup"))


def fatal_message(done) -> str:
    """The msg of the failed task (the line `fatal: [...]: FAILED! => {...}`)."""
    line = next(line for line in done.stdout.splitlines() if line.startswith("fatal:"))
    return json.loads(line.split("=>", 1)[1])["msg"]


@pytest.mark.integration
def test_report_check_mode_then_files_then_idempotent(runner, tmp_path):
    """Check mode reads (one lookup per app) and writes nothing, not even the metadata cache; the run writes
    three files (cold cache: one lookup per app); the re-run changes nothing and sends no lookup and no write."""
    folder = tmp_path / "reports"
    folder.mkdir()
    variables = {"license_report_path": str(folder), "license_report_holders": True}
    runner.sim.clear_log()
    checked = run_report(runner, variables, "--check")
    assert checked.returncode == 0, outcome(checked)
    assert list(folder.iterdir()) == []
    assert lookups(runner.sim) == DISTINCT_ADAM_IDS
    assert runner.sim.summary()["writes"] == 0
    assert "license report (check mode, nothing written)" in checked.stdout, outcome(checked)

    runner.sim.clear_log()
    done = run_report(runner, variables)
    assert done.returncode == 0, outcome(done)
    assert "changed=1" in done.stdout, outcome(done)
    assert lookups(runner.sim) == DISTINCT_ADAM_IDS
    assert runner.sim.summary()["writes"] == 0
    names = sorted(path.name for path in folder.iterdir())
    assert names == [STEM + ".csv", STEM + ".html", STEM + ".json"]
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    paths = ", ".join(str(folder / (STEM + ext)) for ext in (".html", ".csv", ".json"))
    assert "license report: {0} - 12 assets, 2 low".format(paths) in done.stdout, outcome(done)

    report = json.loads((folder / (STEM + ".json")).read_text())
    location = report["location"]
    assert location["name"] == LOCATION and location["owner"]["id"] == "assetops-demo"
    assert location["token_warning"] is True and location["token_days_left"] in (11, 12, 13)
    assert [(asset["adam_id"], asset["pricing_param"]) for asset in report["assets"]] == ORDER
    by_key = {(asset["adam_id"], asset["pricing_param"]): asset for asset in report["assets"]}
    math = by_key[("1800000001", "STDQ")]
    assert (math["name"], math["assigned"], math["available"], math["total"], math["low"]) == ("Math Explorer", 38, 2, 40, True)
    assert math["bundle_id"] == "com.example.mathexplorer" and math["version"] == "4.2" and math["artwork_url"].startswith("http://127.0.0.1:")
    assert by_key[("1800000101", "STDQ")]["product_type"] == "Book" and by_key[("1800000101", "STDQ")]["users"][:2] == ["student-01", "student-02"]
    assert by_key[("1800000005", "STDQ")]["is_custom_app"] is True and by_key[("1800000005", "STDQ")]["name"] == "Campus Kiosk"
    assert by_key[("1800000006", "STDQ")]["name"] is None and by_key[("1800000006", "STDQ")]["artwork_url"] is None
    assert len(by_key[("1800000007", "STDQ")]["devices"]) == 20 and len(by_key[("1800000007", "STDQ")]["users"]) == 6
    free = by_key[("1800000201", "STDQ")]
    assert (free["unlimited"], free["total"], free["available"], free["low"], free["assigned"]) == (True, None, None, False, 25)
    assert [asset["adam_id"] for asset in report["assets"] if asset["low"]] == ["1800000101", "1800000001"]
    assert report["totals"] == {"assets": 12, "apps": 10, "books": 2, "unlimited": 2, "low": 2,
                                "assigned": sum(asset["assigned"] for asset in report["assets"]),
                                "available": sum(asset["available"] for asset in report["assets"] if not asset["unlimited"]),
                                "total": 40 + 120 + 60 + 10 + 30 + 5 + 50 + 80 + 12 + 25}

    rows = list(csv.DictReader(io.StringIO((folder / (STEM + ".csv")).read_text())))
    assert [(row["adam_id"], row["pricing_param"]) for row in rows] == ORDER
    paint = next(row for row in rows if row["adam_id"] == "1800000004")
    assert paint["name"] == 'Paint & Draw, "Studio" <Edition>' and paint["assigned"] == "12" and paint["low"] == "false"
    assert next(row for row in rows if row["adam_id"] == "1800000006")["name"] == "1800000006"

    html = (folder / (STEM + ".html")).read_text()
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert "Paint &amp; Draw, &#34;Studio&#34; &lt;Edition&gt;" in html or "Paint &amp; Draw, &quot;Studio&quot; &lt;Edition&gt;" in html
    # two low rows; the third mark is the legend in the footer
    assert html.count('<tr class="asset low"') == 2 and html.count('<span class="low-mark">low</span>') == 2 + 1 and 'id="token-warning"' in html

    mtimes = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    runner.sim.clear_log()
    again = run_report(runner, variables)
    assert again.returncode == 0, outcome(again)
    assert "changed=0" in again.stdout, outcome(again)
    assert lookups(runner.sim) == 0, "the warm metadata cache was not used"
    assert runner.sim.summary()["writes"] == 0
    assert {path.name: path.stat().st_mtime_ns for path in folder.iterdir()} == mtimes


@pytest.mark.integration
def test_one_format_and_a_count_threshold(runner, tmp_path):
    """Only the CSV, low under 10 available licenses (a count), no holders columns; the connection in the role's
    own variables (no VPP_* variable), and the token nowhere in the output or the file."""
    folder = tmp_path / "out"
    folder.mkdir()
    token = runner.sim.tokens()[LOCATION]
    done = run_report(runner, {"license_report_path": str(folder) + "/", "license_report_formats": ["CSV"],
                               "license_report_low_threshold": 10, "license_report_token": token,
                               "license_report_api_url": runner.sim.vpp_url}, "-vvv", connection_in_env=False)
    assert done.returncode == 0, outcome(done)
    assert token not in done.stdout + done.stderr and token not in (folder / (STEM + ".csv")).read_text()
    assert [path.name for path in folder.iterdir()] == [STEM + ".csv"]
    rows = list(csv.DictReader(io.StringIO((folder / (STEM + ".csv")).read_text())))
    assert "devices" not in rows[0]
    low = [(row["adam_id"], row["pricing_param"]) for row in rows if row["low"] == "true"]
    # available: 0, 2, 9, 2, 6 (Science Lab PLUS); Paint & Draw has 18, the free apps are never low
    assert low == [("1800000101", "STDQ"), ("1800000001", "STDQ"), ("1800000003", "STDQ"), ("1800000005", "STDQ"), ("1800000003", "PLUS")]
    assert "license report: {0} - 12 assets, 5 low".format(folder / (STEM + ".csv")) in done.stdout, outcome(done)


def read_only_folder(tmp_path: Path) -> Path:
    """A folder this user cannot write: a chmod 0555 folder, or for root (who writes anyway) a read-only mount."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    for line in Path("/proc/mounts").read_text().splitlines():
        mount_point, options = line.split()[1], line.split()[3].split(",")
        if "ro" in options and os.path.isdir(mount_point) and not os.access(mount_point, os.W_OK):
            return Path(mount_point)
    for candidate in ("/proc/sys",):
        if os.path.isdir(candidate) and not os.access(candidate, os.W_OK):
            return Path(candidate)
    pytest.skip("running as root with no read-only folder to try")
    raise AssertionError("unreachable")


BAD_INPUT = [
    ("missing folder", {"license_report_path": "{tmp}/nowhere"}, "license_report_path {tmp}/nowhere does not exist: create the folder first"),
    ("a file, not a folder", {"license_report_path": "{tmp}/file.txt"}, "license_report_path {tmp}/file.txt is not a folder"),
    ("unwritable folder", {"license_report_path": "{ro}"}, "license_report_path {ro} cannot be written by this user"),
    ("unknown format", {"license_report_formats": ["html", "pdf"]}, "unknown license_report_formats pdf: use html, csv or json"),
    ("negative threshold", {"license_report_low_threshold": -5}, "license_report_low_threshold -5 is negative: give 0 or more"),
    ("negative percent", {"license_report_low_threshold": "-10%"}, "license_report_low_threshold -10% is negative: give 0 or more"),
    ("not a number", {"license_report_low_threshold": "many"}, 'license_report_low_threshold many is not a count (5) or a percentage ("10%")'),
]


@pytest.mark.integration
@pytest.mark.parametrize("variables,expected", [case[1:] for case in BAD_INPUT], ids=[case[0] for case in BAD_INPUT])
def test_bad_input_fails_before_any_request(runner, tmp_path, variables, expected):
    folder = tmp_path / "reports"
    folder.mkdir()
    (tmp_path / "file.txt").write_text("not a folder")
    read_only = str(read_only_folder(tmp_path)) if "{ro}" in json.dumps(variables) else ""
    variables = {key: value.format(tmp=tmp_path, ro=read_only) if isinstance(value, str) else value for key, value in variables.items()}
    runner.sim.clear_log()
    done = run_report(runner, dict({"license_report_path": str(folder)}, **variables))
    assert done.returncode != 0, outcome(done)
    message = fatal_message(done)
    assert message == "license_report: nothing was read or written. {0}.".format(expected.format(tmp=tmp_path, ro=read_only)), message
    assert "\n" not in message
    assert runner.sim.log() == [], "a request was sent before the input was checked"
    assert list(folder.iterdir()) == []


@pytest.mark.integration
def test_runs_once_for_a_play_over_many_hosts(runner, tmp_path):
    """A play over five inventory hosts (as in a job template over a device group): one report, one read each."""
    folder = tmp_path / "reports"
    folder.mkdir()
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(json.dumps({"all": {"hosts": {"ipad-{0}".format(number): {"ansible_connection": "local"} for number in range(5)},
                                             "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}))
    playbook = tmp_path / "report.yml"
    playbook.write_text(json.dumps([{"name": "Report", "hosts": "all", "gather_facts": False,
                                     "roles": [{"role": "assetops.licensing.license_report", "license_report_path": str(folder),
                                                "license_report_formats": ["json"]}]}]))
    env = {"VPP_TOKEN": runner.sim.tokens()[LOCATION], "VPP_API_URL": runner.sim.vpp_url, "ANSIBLE_INVENTORY": str(inventory)}
    runner.sim.clear_log()
    done = subprocess.run([str(runner.bin / "ansible-playbook"), str(playbook)], cwd=runner.workdir, env=runner.env(env),
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, outcome(done)
    counts = runner.sim.summary()["counts"]
    assert counts.get("GET /mdm/v2/assets") == 1, counts
    assert lookups(runner.sim) == DISTINCT_ADAM_IDS
    assert [path.name for path in folder.iterdir()] == [STEM + ".json"]
    assert done.stdout.count("license report: ") == 1, outcome(done)
