"""Ad-hoc ``ansible localhost -m assetops.licensing.reseller_*`` runs with the connection in RESELLER_* variables only.

Secret hygiene at -vvvv is tested in tests/reliability/test_secrets.py."""
from __future__ import annotations

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
