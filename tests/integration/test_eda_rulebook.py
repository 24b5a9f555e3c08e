"""End to end with the real ansible-rulebook: the simulator POSTs Apple's notifications to the event source
assetops.licensing.vpp_notifications (HTTPS, a test CA), rules fire and playbooks leave files.

vpp_client_config (ansible-playbook) points the location at the source, which must answer the simulator's
TEST_NOTIFICATION; vpp_assignment then finishes an assignment event. ASSET_MANAGEMENT runs a playbook of the test
that writes the event; ASSET_COUNT runs the collection's playbook assetops.licensing.eda_low_count, which reads the
counts with vpp_asset_info and appends its alert to a file. ansible-rulebook is stopped once both files are there,
or after TIMEOUT seconds.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import COLLECTIONS_ROOT
from tests.integration.conftest import BIN, AnsibleRunner, bin_python
from tests.simulator.control import SimulatorProcess, make_test_certificates
from tests.utils.vpp_seeds import asset, write_seed

pytestmark = pytest.mark.integration

TIMEOUT = 90.0
NOTIFICATION_TOKEN = "eda-notify-7c1e5d0a9b"
SERIALS = ["EDA0000001", "EDA0000002"]


def java_home() -> str:
    java = shutil.which("java")
    if java is None:
        pytest.fail("ansible-rulebook needs a Java 17 runtime (make system-packages installs one)")
    return str(Path(os.path.realpath(java)).parent.parent)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def write_files(tmp_path: Path, port: int, tls) -> dict[str, Path]:
    files = {name: tmp_path / name for name in ("rulebook.yml", "write_event.yml", "inventory.yml", "event.json", "alerts.jsonl")}
    files["inventory.yml"].write_text(json.dumps({"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": str(bin_python(BIN))}}}}))
    files["write_event.yml"].write_text(json.dumps([{
        "name": "Write the event", "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "Event to file", "ansible.builtin.copy": {
            "content": "{{ ansible_eda.event.vpp | to_json }}", "dest": str(files["event.json"]), "mode": "0600"}}],
    }]))
    files["rulebook.yml"].write_text(json.dumps([{
        "name": "Notifications end to end", "hosts": "all",
        "sources": [{"assetops.licensing.vpp_notifications": {
            "host": "127.0.0.1", "port": port, "token": "{{ VPP_NOTIFICATION_TOKEN }}",
            "certfile": str(tls.cert), "keyfile": str(tls.key)}}],
        "rules": [
            {"name": "Assignment result", "condition": 'event.vpp.type == "asset_management" and event.vpp.result == "SUCCESS"',
             "action": {"run_playbook": {"name": str(files["write_event.yml"])}}},
            {"name": "Count changed", "condition": 'event.vpp.type == "asset_count"',
             "action": {"run_playbook": {"name": "assetops.licensing.eda_low_count", "extra_vars": {
                 "vpp_low_count_alert_file": str(files["alerts.jsonl"]), "vpp_low_count_threshold": 5}}}},
        ],
    }]))
    return files


def stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    return process.stdout.read() if process.stdout else ""


def test_a_finished_assignment_event_fires_rules(tmp_path: Path) -> None:
    tls = make_test_certificates(tmp_path / "tls")
    port = free_port()
    seed = write_seed(tmp_path / "seed.json", assets=[asset("100", total=3)])
    (tmp_path / "tmp").mkdir()
    with SimulatorProcess(seed=seed, event_seconds=0.2, rate_limit=False) as sim:
        sim.settings(notificationDelivery=True, notificationCaFile=str(tls.ca), notificationRetrySeconds=[1])
        runner = AnsibleRunner(tmp_path, sim)
        vpp_env = {"VPP_TOKEN": sim.tokens()["Main"], "VPP_API_URL": sim.vpp_url}
        files = write_files(tmp_path, port, tls)
        env = runner.env({**vpp_env, "VPP_NOTIFICATION_TOKEN": NOTIFICATION_TOKEN, "JAVA_HOME": java_home(),
                          "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT)})
        rulebook = subprocess.Popen(  # pylint: disable=consider-using-with  # stopped in the finally below
            [str(BIN / "ansible-rulebook"), "-r", str(files["rulebook.yml"]), "-i", str(files["inventory.yml"]),
             "-E", "VPP_NOTIFICATION_TOKEN", "-v"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        output = ""
        try:
            deadline = time.monotonic() + TIMEOUT
            while not listening(port):
                assert rulebook.poll() is None and time.monotonic() < deadline, "the source did not start listening"
                time.sleep(0.5)
            playbook = tmp_path / "configure_and_assign.yml"
            playbook.write_text(json.dumps([{
                "name": "Point the location at the source, then finish an assignment event", "hosts": "localhost", "gather_facts": False,
                "tasks": [
                    {"name": "Notification URL", "assetops.licensing.vpp_client_config": {
                        "notification_url": f"https://127.0.0.1:{port}/apple/notify", "notification_auth_token": NOTIFICATION_TOKEN,
                        "notification_types": ["ASSET_MANAGEMENT", "ASSET_COUNT"]}},
                    {"name": "Assign", "assetops.licensing.vpp_assignment": {
                        "adam_ids": ["100"], "serial_numbers": SERIALS, "poll_interval": 0.2}},
                ],
            }]))
            done = subprocess.run([str(BIN / "ansible-playbook"), str(playbook)], cwd=tmp_path, env=runner.env(vpp_env),
                                  capture_output=True, text=True, timeout=120, check=False)
            assert done.returncode == 0, done.stdout + done.stderr
            while not (files["event.json"].exists() and files["alerts.jsonl"].exists()):
                assert rulebook.poll() is None and time.monotonic() < deadline, "no rule wrote its file in time"
                time.sleep(0.5)
            time.sleep(0.5)  # the copy module writes the file whole; let a slow write settle
        finally:
            output = stop(rulebook)
            notifications = sim.state()["vpp"]["locations"][0]["notifications"]
        event = json.loads(files["event.json"].read_text())
        alert = json.loads(files["alerts.jsonl"].read_text().splitlines()[0])
    assert (event["type"], event["action"], event["result"], event["success"]) == ("asset_management", "ASSOCIATE", "SUCCESS", True)
    assert event["serial_numbers"] == SERIALS and event["adam_ids"] == ["100"] and event["uid"] == "2049025000431439"
    assert (alert["adam_id"], alert["available_count"], alert["total_count"], alert["threshold"]) == ("100", 1, 3, 5)
    assert [(record["notificationType"], record["delivered"]) for record in notifications] == [
        ("TEST_NOTIFICATION", True), ("ASSET_MANAGEMENT", True), ("ASSET_COUNT", True)]
    assert NOTIFICATION_TOKEN not in output, "the notification token reached ansible-rulebook's output"


def test_the_retry_playbook_assigns_the_failed_pairs(tmp_path: Path) -> None:
    """assetops.licensing.eda_retry_assignments with the event a failed ASSOCIATE notification gives (as run_playbook
    hands it over in ansible_eda.event): the failed pairs, and only those, are assigned."""
    seed = write_seed(tmp_path / "seed.json", assets=[asset("100", total=5), asset("200", pricing="PLUS", total=5)])
    (tmp_path / "tmp").mkdir()
    pairs = [{"adam_id": "100", "pricing_param": "STDQ", "serial_number": "R1", "error_number": 9709},
             {"adam_id": "100", "pricing_param": "STDQ", "serial_number": "R2", "error_number": 9709},
             {"adam_id": "200", "pricing_param": "PLUS", "serial_number": "R1", "error_number": 9709}]
    event = {"ansible_eda": {"event": {"vpp": {"type": "asset_management", "action": "ASSOCIATE", "result": "FAILURE", "failures": pairs}}}}
    (tmp_path / "event.json").write_text(json.dumps(event))
    with SimulatorProcess(seed=seed, event_seconds=0.2, rate_limit=False) as sim:
        runner = AnsibleRunner(tmp_path, sim)
        done = subprocess.run([str(BIN / "ansible-playbook"), "assetops.licensing.eda_retry_assignments", "-e", "@event.json"],
                              cwd=tmp_path, env=runner.env({"VPP_TOKEN": sim.tokens()["Main"], "VPP_API_URL": sim.vpp_url}),
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "changed=1" in done.stdout and "[WARNING]" not in done.stdout + done.stderr, done.stderr
        held = {(record["adamId"], record["pricingParam"], record.get("serialNumber"))
                for record in sim.state()["vpp"]["locations"][0]["assignments"]}
    assert held == {("100", "STDQ", "R1"), ("100", "STDQ", "R2"), ("200", "PLUS", "R1")}
