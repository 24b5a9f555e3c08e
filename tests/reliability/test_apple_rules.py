"""Apple's written rules at their real values, against the simulator in its Apple-like mode.

One run of vpp_assignment with the module's defaults (poll_interval 30, resend_after 600, wait_timeout 600):
events take 40 s, the simulator records every status query sooner than 30 s after a PENDING answer, and the
connection of the first associate drops after Apple applied it. The run must converge without a rule break,
with its status looks at least 30 s apart, and without sending the lost pairs a second time.
"""
from __future__ import annotations

import pytest

from tests.reliability.faults_common import run_case

pytestmark = pytest.mark.reliability

APP = "361309726"
SERIALS = ["RULE-1", "RULE-2"]
ASSOCIATE = "/mdm/v2/assets/associate"


def test_apples_rules_at_their_real_values(ansible, simulator):
    simulator.settings(eventSeconds=40, statusIntervalSeconds=30, limits={"maxSerialNumbers": 1})  # two writes, two events
    simulator.add_faults({"method": "POST", "path": ASSOCIATE, "kind": "drop_after"})  # the first: applied, answer lost
    args = {"token": simulator.tokens()["Main"], "api_url": simulator.vpp_url, "adam_ids": [APP], "serial_numbers": SERIALS}
    run = run_case(ansible, "assetops.licensing.vpp_assignment", args, rerun=False)

    assert run.first.get("failed") is not True, run.first.get("msg")
    assert sorted(change["serial_number"] for change in run.first["changes"]) == SERIALS
    held = {target for adam_id, _pricing, kind, target in simulator.assignments("Main") if adam_id == APP and kind == "serial"}
    assert set(SERIALS) <= held

    posts = [entry for entry in run.log if entry["path"] == ASSOCIATE]
    sent = sorted(serial for entry in posts for serial in entry["body"]["serialNumbers"])
    assert sent == SERIALS  # the lost write was read back, never sent again
    assert [entry["fault"] for entry in posts].count("drop_after") == 1

    looks = [entry["time"] for entry in run.log if entry["path"] == "/mdm/v2/status"]
    assert len(looks) >= 2 and all(later - earlier >= 30 for earlier, later in zip(looks, looks[1:])), looks
    assert simulator.rule_breaks("Main") == []
    assert 40 <= run.first_seconds <= 100
