"""Serial numbers a person mistyped, through the real modules (main()) on the in-process simulator.

Apple checks no serial number: "DMPQ 0001XYZ" or "dmpq0001xyz" would each take a license as a new device.
"""
from __future__ import annotations

import importlib
import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.assetops.licensing.plugins.module_utils.vpp.client import VppClient
from tests.utils.vpp_seeds import LOCATION, asset

MODULES = "ansible_collections.assetops.licensing.plugins.modules."
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture
def run_module(monkeypatch, tmp_path, capsys):
    """run_module(name, sim, **options) -> the module's result, its client on the simulator's transport."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # the limits cache and the shared pace of this test alone

    def run(name, sim, **options):
        build = VppClient.__init__

        def on_simulator(self, *args, **kwargs):
            build(self, *args, **dict(kwargs, httpx_transport=sim.transport()))

        monkeypatch.setattr(VppClient, "__init__", on_simulator)
        with patch_module_args(dict(options, token=sim.tokens()[LOCATION], api_url=sim.vpp_url)):
            with pytest.raises(SystemExit):
                importlib.import_module(MODULES + name).main()
        return json.loads(capsys.readouterr().out)

    return run


def warnings(result):
    """The module's warnings as text (ansible-core 2.19 returns each as a structured summary)."""
    return [warning if isinstance(warning, str) else warning["event"]["msg"] for warning in result.get("warnings", [])]


@pytest.mark.parametrize("name, options", [
    ("vpp_assignment", {"adam_ids": ["1000"], "serial_numbers": ["C02X1234ABCD", "DMPQ 0001XYZ"]}),
    ("vpp_assignment", {"assignments": [{"adam_ids": ["1000"], "serial_numbers": ["C02X1234ABCD"]},
                                        {"adam_ids": ["1000"], "serial_numbers": ["DMPQ 0001XYZ"]}]}),
    ("vpp_revoke", {"serial_numbers": ["DMPQ 0001XYZ"]}),
    ("vpp_assignment_info", {"serial_numbers": ["DMPQ 0001XYZ"]}),
])
def test_a_space_inside_fails_before_any_request(run_module, apple, name, options):
    sim = apple([asset("1000")])
    result = run_module(name, sim, **options)
    label = "assignments[2].serial_numbers" if "assignments" in options else "serial_numbers"
    assert result["failed"] is True
    assert result["msg"] == '{0}: "DMPQ 0001XYZ" has a space inside; a serial number has no whitespace'.format(label)
    assert sim.log() == []


def test_lower_case_is_sent_as_given_with_one_warning(run_module, apple):
    sim = apple([asset("1000"), asset("1001")])
    result = run_module("vpp_assignment", sim, wait=False, assignments=[
        {"adam_ids": ["1000"], "serial_numbers": ["dmpq0001xyz", "C02X1234ABCD"]},
        {"adam_ids": ["1001"], "serial_numbers": ["dmpq0001xyz"]}])
    assert not result.get("failed"), result
    serial_warnings = [warning for warning in warnings(result) if "lower-case" in warning]
    assert serial_warnings == [
        "assignments[1].serial_numbers, assignments[2].serial_numbers: dmpq0001xyz has lower-case letters; Apple matches "
        "serial numbers exactly and devices report them in upper case: did you mean DMPQ0001XYZ?"]
    sent = [serial for entry in sim.writes() for serial in entry["body"]["serialNumbers"]]
    assert sorted(set(sent)) == ["C02X1234ABCD", "dmpq0001xyz"]  # the value as given: never changed
