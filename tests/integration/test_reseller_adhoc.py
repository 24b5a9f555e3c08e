"""Ad-hoc ``ansible localhost -m assetops.licensing.reseller_*`` runs with the connection in RESELLER_* variables only,
and -vvvv runs whose output and result must never hold the password, the client secret or an access token."""
from __future__ import annotations

import json
import re
from typing import Any, Dict, Optional

import pytest

pytestmark = pytest.mark.integration

ENUMS = {
    "Status": {1: "fulfilling", 2: "succeeded", 4: "cancelled", 8: "expired"},
    "AssetType": {1: "reservation", 2: "software", 3: "subscription"},
    "Scope": {1: "shared", 2: "single", 3: "managementgroups"},
    "BillingCycle": {0: "unknown", 1: "monthly", 2: "annual", 3: "none", 4: "onetime", 5: "triennial", 6: "biennial"},
}
WRONG_PASSWORD = "not-the-password-0b5e77"
BEARER = re.compile(r"Bearer\s+[A-Za-z0-9_.~+/=-]{8,}")


def snake(name: str) -> str:
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def module_record(raw: Dict[str, Any]) -> Dict[str, Any]:
    """An asset of the simulator's state (PascalCase, prices as exact strings) as the modules return it."""
    record: Dict[str, Any] = {}
    for key, value in raw.items():
        if key in ENUMS and value is not None:
            value = ENUMS[key].get(value, str(value))
        elif key in ("PurchasePrice", "SalesPrice") and value is not None:
            value = str(value)
        elif isinstance(value, dict):
            value = {snake(inner): item for inner, item in value.items() if inner != "AssetId"}
        record[snake(key)] = value
    return record


def password_env(sim, password: Optional[str] = None) -> Dict[str, str]:
    creds = sim.reseller_credentials()
    return {
        "RESELLER_API_URL": sim.reseller_url,
        "RESELLER_CLIENT_ID": creds["client_id"],
        "RESELLER_CLIENT_SECRET": creds["client_secret"],
        "RESELLER_USERNAME": creds["username"],
        "RESELLER_PASSWORD": password or creds["password"],
    }


def counts(sim) -> Dict[str, int]:
    return sim.summary()["counts"]


def test_asset_info_with_environment_only(ansible):
    sim = ansible.sim
    sim.clear_log()
    run = ansible.adhoc("assetops.licensing.reseller_asset_info", "id=100001", env=password_env(sim))
    assert run["rc"] == 0, run["output"]
    assert run["result"]["changed"] is False
    assert run["result"]["assets"] == [module_record(sim.reseller_asset(100001))]
    asset = run["result"]["assets"][0]
    assert asset["purchase_price"] == "12.345678901234567890"
    assert (asset["status"], asset["asset_type"], asset["billing_cycle"]) == ("succeeded", "software", "annual")
    assert counts(sim) == {"POST /api/v1/connect/token": 1, "GET /api/v1/assets/{id}": 1}


def test_asset_info_with_access_token_from_environment(ansible):
    sim = ansible.sim
    sim.clear_log()
    env = {"RESELLER_API_URL": sim.reseller_url, "RESELLER_ACCESS_TOKEN": sim.reseller_static_token()}
    run = ansible.adhoc("assetops.licensing.reseller_asset_info", "id=100004", env=env)
    assert run["rc"] == 0, run["output"]
    assert run["result"]["assets"] == [module_record(sim.reseller_asset(100004))]
    assert run["result"]["assets"][0]["purchase_price"] == "1234567890.1234567890123"
    assert run["result"]["assets"][0]["sales_price"] == "1234567890.1234567890124"
    assert counts(sim) == {"GET /api/v1/assets/{id}": 1}, "a given access token needs no login"


def test_both_kinds_of_credentials_in_the_environment(ansible):
    sim = ansible.sim
    sim.clear_log()
    env = dict(password_env(sim), RESELLER_ACCESS_TOKEN=sim.reseller_static_token())
    run = ansible.adhoc("assetops.licensing.reseller_asset_info", "id=100001", env=env)
    assert run["rc"] != 0
    assert "either access_token or" in run["result"]["msg"]
    assert "RESELLER_" in run["result"]["msg"]
    assert sim.log() == []


def secrets(sim) -> Dict[str, str]:
    creds = sim.reseller_credentials()
    return {"password": creds["password"], "client_secret": creds["client_secret"], "static token": sim.reseller_static_token(),
            "wrong password": WRONG_PASSWORD}


@pytest.mark.parametrize("case", ["read", "write", "wrong password", "access token", "access token refused"])
def test_no_secret_at_vvvv(ansible, case):
    """The password, the client secret and any access token appear nowhere in the output or the result at -vvvv."""
    sim = ansible.sim
    module, module_args, succeeds = "assetops.licensing.reseller_asset_info", "id=100001", True
    env = password_env(sim)
    if case == "write":
        module, module_args = "assetops.licensing.reseller_asset", "id=100001 name='Renamed at -vvvv'"
    elif case == "wrong password":
        env, succeeds = password_env(sim, WRONG_PASSWORD), False
    elif case.startswith("access token"):
        env = {"RESELLER_API_URL": sim.reseller_url, "RESELLER_ACCESS_TOKEN": sim.reseller_static_token()}
        if case == "access token refused":
            sim.add_faults({"method": "GET", "path": "/api/v1/assets/*", "count": 1, "kind": "status", "status": 401,
                            "errorNumber": "Unauthorized"})
            succeeds = False
    sim.clear_log()
    run = ansible.adhoc(module, module_args, env=env, verbosity=4)
    assert (run["rc"] == 0) is succeeds, run["output"]
    assert "<localhost> EXEC" in run["output"]  # really ran at -vvvv
    everything = run["output"] + json.dumps(run["result"])
    for what, secret in secrets(sim).items():
        assert secret not in everything, "the {0} is in the output".format(what)
    assert BEARER.search(everything) is None, "an access token is in the output"
    if case == "write":
        assert run["result"]["changed"] is True
        assert sim.reseller_asset(100001)["Name"] == "Renamed at -vvvv"
    if case == "wrong password":
        assert run["result"]["msg"].startswith("reseller login failed")
        assert counts(sim) == {"POST /api/v1/connect/token": 1}
    if case == "access token refused":
        assert counts(sim) == {"GET /api/v1/assets/{id}": 1}, "a refused access token must not lead to a login"
