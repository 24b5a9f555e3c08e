"""Ad-hoc ``ansible localhost -m ...`` runs with the connection in environment variables only."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration


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


def test_vpp_location_info_never_shows_the_notification_auth_token(ansible):
    """At the highest verbosity, neither the console nor the result holds the secret GET /client/config returns."""
    secret = next(location for location in ansible.sim.state()["vpp"]["locations"] if location["name"] == "Main")["clientConfig"]["notificationAuthToken"]
    run = ansible.adhoc("assetops.licensing.vpp_location_info", "",
                        env={"VPP_TOKEN": ansible.sim.tokens()["Main"], "VPP_API_URL": ansible.sim.vpp_url}, verbosity=4)
    assert run["rc"] == 0, run["output"]
    assert run["result"]["location"]["location_name"] == "Main"
    assert secret not in run["output"]
    assert secret not in json.dumps(run["result"])
    assert "notification_auth_token" not in run["result"]["location"]
