"""The owner guard through real ``ansible`` runs: every module that writes refuses another MDM's location
before any write, naming the owner; mdm_id (option or VPP_MDM_ID) lets it act for the owner; an unowned
location is never blocked."""
from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.integration

JAMF = {"id": "jamf-7781", "name": "Jamf Pro", "metadata": "tenant 12"}
REFUSAL = ("location is managed by 'Jamf Pro' (mdmInfo id jamf-7781): set mdm_id: jamf-7781 to act for it, "
           "or claim it with vpp_client_config (takeover: true); nothing was sent")
WRITERS = [
    ("assetops.licensing.vpp_assignment", "adam_ids=361309726 serial_numbers=GUARD-1"),
    ("assetops.licensing.vpp_assignment", "adam_ids=361309726 serial_numbers=C02MAIN0001 state=absent"),
    ("assetops.licensing.vpp_revoke", "serial_numbers=C02MAIN0001"),
]


def claim(sim, owner):
    """Another MDM sets its mdmInfo on the location Main, as Apple's client config does."""
    with httpx.Client(base_url=sim.vpp_url, headers={"Authorization": "Bearer " + sim.tokens()["Main"]}) as http:
        assert http.post("/client/config", json={"mdmInfo": owner}).status_code == 200
    sim.clear_log()


def environment(sim, **extra):
    return dict({"VPP_TOKEN": sim.tokens()["Main"], "VPP_API_URL": sim.vpp_url}, **extra)


def posts(sim):
    return [entry for entry in sim.log() if entry["method"] == "POST"]


@pytest.mark.parametrize("module, args", WRITERS, ids=["assign", "remove", "revoke"])
def test_every_writer_refuses_another_owners_location(ansible, module, args):
    claim(ansible.sim, JAMF)
    run = ansible.adhoc(module, args, env=environment(ansible.sim))
    assert run["rc"] != 0
    assert run["result"]["msg"] == REFUSAL
    assert run["result"]["owner"] == JAMF and run["result"]["changed"] is False
    assert posts(ansible.sim) == []


@pytest.mark.parametrize("how", ["option", "environment"])
def test_mdm_id_acts_for_the_owner(ansible, how):
    claim(ansible.sim, JAMF)
    args, extra = WRITERS[0][1], {}
    if how == "option":
        args += " mdm_id=jamf-7781"
    else:
        extra["VPP_MDM_ID"] = "jamf-7781"
    run = ansible.adhoc(WRITERS[0][0], args, env=environment(ansible.sim, **extra))
    assert run["rc"] == 0, run["output"]
    assert run["result"]["changed"] is True and len(posts(ansible.sim)) == 1


def test_an_unowned_location_is_never_blocked(ansible):
    ansible.sim.clear_log()
    run = ansible.adhoc(WRITERS[0][0], WRITERS[0][1], env=environment(ansible.sim))
    assert run["rc"] == 0, run["output"]
    assert len(posts(ansible.sim)) == 1
    assert not any(entry["path"].endswith("/client/config") for entry in ansible.sim.log())  # the guard read nothing extra


def test_info_modules_never_refuse(ansible):
    claim(ansible.sim, JAMF)
    run = ansible.adhoc("assetops.licensing.vpp_assignment_info", "serial_numbers=C02MAIN0001", env=environment(ansible.sim))
    assert run["rc"] == 0, run["output"]


def test_a_blank_mdm_id_is_refused_before_any_request(ansible):
    ansible.sim.clear_log()
    run = ansible.adhoc(WRITERS[0][0], WRITERS[0][1], env=environment(ansible.sim, VPP_MDM_ID="  "))
    assert run["rc"] != 0 and run["result"]["msg"] == "mdm_id must not be blank: give a value or leave mdm_id out"
    assert ansible.sim.log() == []
