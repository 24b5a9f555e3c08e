"""Ad-hoc ``ansible localhost -m ...`` runs with the connection in environment variables only."""
from __future__ import annotations

import base64
import json

import pytest

pytestmark = pytest.mark.integration


def inner_token(stoken: str) -> str:
    return json.loads(base64.b64decode(stoken))["token"]


def test_asset_info_with_environment_only(ansible):
    run = ansible.adhoc(
        "assetops.licensing.vpp_asset_info", "adam_ids=408709785,361309726 pricing_param=STDQ",
        env={"VPP_TOKEN": ansible.sim.tokens()["Main"], "VPP_API_URL": ansible.sim.vpp_url},
    )
    assert run["rc"] == 0, run["output"]
    assert [(a["adam_id"], a["pricing_param"]) for a in run["result"]["assets"]] == [("361309726", "STDQ"), ("408709785", "STDQ")]
    assert run["result"]["changed"] is False


def test_assignment_info_with_token_file_from_environment(ansible, tmp_path):
    token_file = tmp_path / "main.vpptoken"
    token_file.write_text(ansible.sim.tokens()["Main"] + "\n")
    run = ansible.adhoc(
        "assetops.licensing.vpp_assignment_info", "client_user_ids=user-2",
        env={"VPP_TOKEN_PATH": str(token_file), "VPP_API_URL": ansible.sim.vpp_url},
    )
    assert run["rc"] == 0, run["output"]
    assert run["result"]["assignments"] == [
        {"adam_id": "1485035550", "pricing_param": "STDQ", "client_user_id": "user-2"},
        {"adam_id": "361285480", "pricing_param": "STDQ", "client_user_id": "user-2"},
    ]


def test_both_token_variables_is_an_error_before_any_request(ansible, tmp_path):
    token_file = tmp_path / "main.vpptoken"
    token_file.write_text(ansible.sim.tokens()["Main"])
    ansible.sim.clear_log()
    run = ansible.adhoc(
        "assetops.licensing.vpp_asset_info", "",
        env={"VPP_TOKEN": ansible.sim.tokens()["Main"], "VPP_TOKEN_PATH": str(token_file), "VPP_API_URL": ansible.sim.vpp_url},
    )
    assert run["rc"] != 0
    assert run["result"]["msg"] == "both VPP_TOKEN and VPP_TOKEN_PATH are set: unset one of them"
    assert ansible.sim.log() == []


@pytest.mark.parametrize("location, module_args, succeeds", [
    ("Main", "", True),
    ("Main", "serial_numbers=C02MAIN0001", True),
    ("Revoked", "", False),
    ("Expired", "", False),
])
def test_no_secret_at_vvvv(ansible, tmp_path, location, module_args, succeeds):
    """The sToken and its inner token appear nowhere in the output or the result, even at -vvvv."""
    stoken = ansible.sim.tokens()[location]
    token_file = tmp_path / "location.vpptoken"
    token_file.write_text(stoken)
    for env in ({"VPP_TOKEN": stoken}, {"VPP_TOKEN_PATH": str(token_file)}):
        env["VPP_API_URL"] = ansible.sim.vpp_url
        module = "assetops.licensing.vpp_assignment_info" if module_args else "assetops.licensing.vpp_asset_info"
        run = ansible.adhoc(module, module_args, env=env, verbosity=4)
        assert (run["rc"] == 0) is succeeds, run["output"]
        everything = run["output"] + json.dumps(run["result"])
        assert "<localhost> EXEC" in run["output"]  # really ran at -vvvv
        assert stoken not in everything
        assert inner_token(stoken) not in everything
    cache_files = sorted((ansible.cache_home / "assetops.licensing").glob("*"))
    if succeeds:
        assert cache_files, "a successful run caches the service limits"
    for cache_file in cache_files:
        assert cache_file.stat().st_mode & 0o777 == 0o600
        content = cache_file.read_text()
        assert stoken not in content and inner_token(stoken) not in content
