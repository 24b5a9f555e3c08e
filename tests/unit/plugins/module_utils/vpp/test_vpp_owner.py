"""The owner guard: write runs refuse another management service's location before any write, at no extra request."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.assetops.licensing.plugins.module_utils.vpp import writes
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.owner import OwnerError, check_owner
from tests.utils.vpp_seeds import LOCATION, asset, assignment

JAMF = {"id": "jamf-7781", "name": "Jamf Pro", "metadata": "tenant 12"}
PREFIX = "/mdm/v2"


@pytest.fixture
def build(vpp_client):
    return lambda sim, read_only=False: vpp_client(sim, read_only=read_only)


def location(apple, owner=None):
    """App 100 held by S1; u1 holds 100 too. ``owner``: the mdmInfo another MDM set."""
    sim = apple([asset("100", total=50)], [assignment("100", serial="S1"), assignment("100", user="u1")], ["u1"], eventSeconds=0)
    if owner:
        with sim.api_client(LOCATION) as http:
            assert http.post("/client/config", json={"mdmInfo": owner}).status_code == 200
    sim.clear_log()
    return sim


def task(**options):
    return SimpleNamespace(**dict({"wait": True, "wait_timeout": 60, "poll_interval": 30, "resend_after": 600, "mdm_id": None,
                                   "check_mode": False, "assignments": None, "pricing_param": "STDQ", "state": "present",
                                   "serial_numbers": None, "client_user_ids": None}, **options))


def writes_sent(sim):
    return [entry for entry in sim.log() if entry["method"] == "POST"]


@pytest.mark.parametrize("run", [
    lambda client: writes.assign(client, task(adam_ids=["100"], serial_numbers=["S2"])),
    lambda client: writes.assign(client, task(adam_ids=["100"], serial_numbers=["S1"], state="absent")),
    lambda client: writes.revoke(client, task(serial_numbers=["S1"], client_user_ids=["u1"])),
], ids=["assign", "remove", "revoke"])
def test_another_owners_location_is_refused_before_any_write(apple, build, run):
    sim = location(apple, JAMF)
    with pytest.raises(OwnerError) as caught:
        run(build(sim))
    assert caught.value.message == ("location is managed by 'Jamf Pro' (mdmInfo id jamf-7781): set mdm_id: jamf-7781 to act for it, "
                                    "or claim it with vpp_client_config (takeover: true); nothing was sent")
    assert caught.value.details["owner"] == JAMF and caught.value.details["changed"] is False
    assert writes_sent(sim) == []
    assert not any(entry["path"] == PREFIX + "/client/config" for entry in sim.log())  # the reads told the owner: no extra request


def test_check_mode_predicts_the_refusal(apple, build):
    sim = location(apple, JAMF)
    with pytest.raises(OwnerError):
        writes.assign(build(sim, read_only=True), task(adam_ids=["100"], serial_numbers=["S2"], check_mode=True))


def test_mdm_id_of_another_service_is_refused_naming_both(apple, build):
    sim = location(apple, JAMF)
    with pytest.raises(OwnerError) as caught:
        writes.assign(build(sim), task(adam_ids=["100"], serial_numbers=["S2"], mdm_id="assetops"))
    assert "location is managed by 'Jamf Pro' (mdmInfo id jamf-7781), not by mdm_id assetops: set mdm_id: jamf-7781" in caught.value.message
    assert writes_sent(sim) == []


def test_acting_for_the_owner_passes(apple, build):
    sim = location(apple, JAMF)
    result = writes.assign(build(sim), task(adam_ids=["100"], serial_numbers=["S2"], mdm_id="jamf-7781"))
    assert result["error"] is None and len(result["changes"]) == 1 and len(writes_sent(sim)) == 1


def test_an_unowned_location_is_never_blocked_and_costs_no_request(apple, build):
    sim = location(apple)
    result = writes.assign(build(sim), task(adam_ids=["100"], serial_numbers=["S2"]))
    assert result["error"] is None and len(writes_sent(sim)) == 1
    assert not any(entry["path"] == PREFIX + "/client/config" for entry in sim.log())


def test_with_nothing_read_yet_one_client_config_read_tells_the_owner(apple, build):
    sim = location(apple, JAMF)
    client = build(sim)
    with pytest.raises(OwnerError):
        check_owner(client, None, "changes")
    assert [entry["path"] for entry in sim.log()] == [PREFIX + "/service/config", PREFIX + "/client/config"]  # limits, then the owner
    check_owner(client, "jamf-7781", "changes")  # known now: no second read
    assert len(sim.log()) == 2


def test_nothing_to_do_reads_nothing_and_refuses_nothing(apple, build):
    sim = location(apple, JAMF)
    result = writes.assign(build(sim), task(adam_ids=["100"], serial_numbers=[]))
    assert result["changed"] is False and sim.log() == []
