"""vpp_location_info's work against the simulator (in-process): every returned key, the token's own expiry, no secret out."""
from __future__ import annotations

import datetime
import json
from types import SimpleNamespace

import pytest

from ansible_collections.assetops.licensing.plugins.module_utils.vpp.location import config_record, location_info, token_days_left
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import ClientConfig
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import VppModule
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.token import parse_stoken
from tests.simulator.core import DEFAULT_LIMITS
from tests.utils.inprocess import BASE_URL
from tests.utils.stokens import EXPIRES, ORG_NAME, make_stoken
from tests.utils.vpp_seeds import LOCATION, LOCATION_UID

API_URL = BASE_URL + "/mdm/v2"
CLIENT_CONFIG, SERVICE_CONFIG = "/mdm/v2/client/config", "/mdm/v2/service/config"
OWNER = {"id": "jamf-7781", "name": "Jamf Pro", "metadata": "11.4"}
NOTIFY_URL = "https://mdm.example.test/vpp/notifications"
NOTIFY_SECRET = "notify-SECRET-5e0b7c1d9a"
SNAKE_LIMITS = {
    "maxAssets": "max_assets", "maxSerialNumbers": "max_serial_numbers", "maxClientUserIds": "max_client_user_ids",
    "maxRevokeSerialNumbers": "max_revoke_serial_numbers", "maxRevokeClientUserIds": "max_revoke_client_user_ids",
    "maxUsers": "max_users", "maxRequestPerSecond": "max_request_per_second",
}


@pytest.fixture
def build(vpp_client):
    """build(sim, token=..., hidden=[...]) -> a read-only VppClient on the simulator with a private limits cache."""
    return lambda sim, token=None, hidden=None: vpp_client(
        sim, token=token, api_url=API_URL, pace=True, hide=(lambda *secrets: hidden.extend(secrets)) if hidden is not None else None)


def claim(sim, **body):
    """A raw POST /client/config as the location, as an MDM would send it."""
    with sim.api_client(LOCATION) as http:
        answer = http.post("/client/config", json=body)
    assert answer.status_code == 200, answer.text


def test_every_key_of_a_claimed_location(apple, build):
    sim = apple()
    claim(sim, mdmInfo=OWNER, notificationUrl=NOTIFY_URL, notificationAuthToken=NOTIFY_SECRET,
          notificationTypes=["ASSET_MANAGEMENT", "USER_MANAGEMENT"])
    now = datetime.datetime.now(datetime.timezone.utc)
    # Same location (same inner token), but the token file says it expires in 45.5 days; Apple's answer says 2099.
    token = make_stoken(exp=now + datetime.timedelta(days=45, hours=12))
    with sim.api_client(LOCATION) as http:
        service_urls = http.get("/service/config").json()["urls"]
    hidden = []
    sim.clear_log()

    result = location_info(build(sim, token=token, hidden=hidden), SimpleNamespace(check_mode=False))

    assert result == {"changed": False, "location": {
        "location_name": LOCATION,
        "org_name": ORG_NAME,
        "uid": LOCATION_UID,
        "country_code": "US",
        "default_platform": "volumestore",
        "token_expiration_date": EXPIRES.strftime("%Y-%m-%dT%H:%M:%S+0000"),  # as Apple reports it
        "token_days_left": 45,  # from the token's own expDate
        "mdm_info": OWNER,
        "notification_url": NOTIFY_URL,
        "notification_types": ["ASSET_MANAGEMENT", "USER_MANAGEMENT"],
        "limits": {SNAKE_LIMITS[name]: value for name, value in DEFAULT_LIMITS.items() if name in SNAKE_LIMITS},
        "urls": service_urls,
    }}
    assert set(result["location"]["limits"]) == set(SNAKE_LIMITS.values())
    assert result["location"]["urls"]["clientConfig"] == API_URL + "/client/config"
    # the notification auth token: handed to the module's hide(), and nowhere in the result
    assert hidden == [NOTIFY_SECRET]
    assert NOTIFY_SECRET not in json.dumps(result)
    assert "auth" not in json.dumps(result).lower()
    # one GET /client/config and the service config, nothing else
    assert sorted(sim.requests()) == [("GET", CLIENT_CONFIG), ("GET", SERVICE_CONFIG)]


def test_an_unowned_location_and_the_default_secret(apple, build):
    sim = apple()
    seeded_secret = sim.state()["vpp"]["locations"][0]["clientConfig"]["notificationAuthToken"]
    hidden = []

    location = location_info(build(sim, hidden=hidden), SimpleNamespace(check_mode=True))["location"]

    assert location["mdm_info"] is None
    assert location["notification_url"] is None
    assert location["notification_types"] == []
    assert location["token_days_left"] == (EXPIRES - datetime.datetime.now(datetime.timezone.utc)).days
    assert hidden == [seeded_secret]
    assert seeded_secret not in json.dumps(location)


def test_limits_and_urls_come_from_the_cache_when_fresh(apple, build):
    sim = apple()
    location_info(build(sim), SimpleNamespace())
    sim.clear_log()

    second = location_info(build(sim), SimpleNamespace())

    assert sim.requests() == [("GET", CLIENT_CONFIG)]
    assert second["location"]["urls"]["clientConfig"] == API_URL + "/client/config"
    assert second["location"]["limits"]["max_assets"] == DEFAULT_LIMITS["maxAssets"]


def test_token_days_left_counts_whole_days_to_the_tokens_expiry():
    def at(*args):
        return datetime.datetime(*args, tzinfo=datetime.timezone.utc)

    token = parse_stoken(make_stoken(exp=at(2030, 1, 31, 12, 0)))
    assert token_days_left(token, at(2030, 1, 1, 12, 0)) == 30
    assert token_days_left(token, at(2030, 1, 1, 12, 1)) == 29
    assert token_days_left(token, at(2030, 1, 31, 11, 59)) == 0


def test_record_from_a_sparse_answer():
    """Apple's other spelling of the country, explicit nulls, no tokenExpirationDate: the token fills in the expiry."""
    token = parse_stoken(make_stoken(org=None))
    config = ClientConfig.model_validate({
        "locationName": "North", "countryCode": "DE", "mdmInfo": None, "notificationTypes": ["ASSET_COUNT"],
        "notificationAuthToken": NOTIFY_SECRET, "uId": 42,
    })

    record = config_record(config, token, now=datetime.datetime(2099, 11, 1, tzinfo=datetime.timezone.utc))

    assert record == {
        "location_name": "North", "org_name": None, "uid": "42", "country_code": "DE", "default_platform": None,
        "token_expiration_date": "2099-11-08T22:33:22+0000", "token_days_left": 7, "mdm_info": None,
        "notification_url": None, "notification_types": ["ASSET_COUNT"],
    }
    assert NOTIFY_SECRET not in repr(config)


def test_an_empty_mdm_info_is_no_owner():
    config = ClientConfig.model_validate({"mdmInfo": {}})
    assert config_record(config, parse_stoken(make_stoken()))["mdm_info"] is None


def test_the_module_base_gives_the_client_its_hide(monkeypatch, tmp_path):
    """A secret the client finds in an answer lands in the module's no_log_values (masked at any verbosity)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # nothing is sent
    module = VppModule.__new__(VppModule)
    module.params = {"token": make_stoken(), "token_path": None, "api_url": API_URL, "timeout": 5.0, "validate_certs": True,
                     "ca_path": None, "retries": 0}
    module.no_log_values = set()
    client = module.build_client(read_only=True)
    try:
        assert client.token.org_name == ORG_NAME
        client.hide(NOTIFY_SECRET)
    finally:
        client.close()
    assert NOTIFY_SECRET in module.no_log_values
