"""vpp_client_config: the pure comparison, the input cleaners, and the work against the in-process simulator
(default seed: Main has no owner, Owned is managed by Jamf Pro, mdmInfo id jamf-7781)."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError, ReportedError, WriteBlockedError
from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import client_config as cc

OURS = {"id": "assetops", "name": "assetops.licensing", "metadata": "ansible"}
JAMF = {"id": "jamf-7781", "name": "Jamf Pro", "metadata": "jamf.example.org tenant 7781"}
JAMF_TOKEN = "sim-jamf-notify-4e1f0a9c2d"  # Owned's notification auth token in the seed
EDA = "https://eda.example.org/vpp"
SECRET = "eda-secret-7d2c"
PATH = "/mdm/v2/client/config"


def opts(**given):
    base = {"mdm_info": None, "takeover": False, "notification_url": None, "notification_auth_token": None,
            "notification_types": None, "mdm_id": None, "check_mode": False}
    return SimpleNamespace(**dict(base, **given))


def settings(mdm=None, url=None, token=None, types=()):
    return {"mdmInfo": mdm, "notificationUrl": url, "notificationAuthToken": token, "notificationTypes": list(types)}


# ------------------------------------------------------------------ the comparison (pure)
def test_wanted_holds_only_the_options_given():
    assert cc.wanted(opts(mdm_info=dict(OURS))) == {"mdmInfo": OURS}
    assert cc.wanted(opts(notification_types=["ASSET_COUNT", "ASSET_COUNT", "USER_MANAGEMENT"])) == {
        "notificationTypes": ["ASSET_COUNT", "USER_MANAGEMENT"]}
    assert cc.wanted(opts(notification_url=EDA, notification_auth_token=SECRET)) == {"notificationUrl": EDA, "notificationAuthToken": SECRET}


@pytest.mark.parametrize(("held", "want", "body"), [
    (settings(), {"mdmInfo": OURS}, {"mdmInfo": OURS}),
    (settings(OURS), {"mdmInfo": OURS}, {}),
    (settings(dict(OURS, metadata="old")), {"mdmInfo": OURS}, {"mdmInfo": OURS}),
    (settings(url=EDA, token=SECRET), {"notificationUrl": EDA, "notificationAuthToken": SECRET}, {}),
    (settings(url=EDA, token="old"), {"notificationUrl": EDA, "notificationAuthToken": SECRET},
     {"notificationUrl": EDA, "notificationAuthToken": SECRET}),  # the token alone differs: both go, as Apple needs
    (settings(url="https://old.example.org/x", token=SECRET), {"notificationUrl": EDA, "notificationAuthToken": SECRET},
     {"notificationUrl": EDA, "notificationAuthToken": SECRET}),
    (settings(types=["ASSET_COUNT", "ASSET_MANAGEMENT"]), {"notificationTypes": ["ASSET_MANAGEMENT", "ASSET_COUNT"]}, {}),
    (settings(types=["ASSET_COUNT"]), {"notificationTypes": ["ASSET_MANAGEMENT", "ASSET_COUNT"]},
     {"notificationTypes": ["ASSET_MANAGEMENT", "ASSET_COUNT"]}),
    (settings(types=["ASSET_COUNT"]), {"notificationTypes": []}, {"notificationTypes": []}),
    (settings(OURS, EDA, SECRET, ["ASSET_COUNT"]), {}, {}),
])
def test_changes_are_what_differs(held, want, body):
    assert cc.changes(held, want) == body
    assert cc.changes(cc.applied(held, body), want) == {}  # once applied, nothing is left to send


def test_owner_refusal():
    want_ours = {"mdmInfo": OURS}
    assert cc.owner_refusal(None, want_ours, None, False) is None  # an unowned location is never refused
    assert cc.owner_refusal(dict(OURS, name="old name"), want_ours, None, False) is None  # ours: updated
    assert cc.owner_refusal(JAMF, want_ours, None, True) is None  # taken over
    refused = cc.owner_refusal(JAMF, want_ours, "jamf-7781", False)  # acting for Jamf does not claim it for us
    assert refused.startswith("location is managed by 'Jamf Pro' (mdmInfo id jamf-7781): set takeover: true to claim it for "
                              "mdmInfo id assetops")
    assert refused.endswith("nothing was sent")
    notifications = {"notificationTypes": ["ASSET_COUNT"]}
    assert cc.owner_refusal(None, notifications, None, False) is None
    assert cc.owner_refusal(JAMF, notifications, "jamf-7781", False) is None  # acting for the owner
    assert cc.owner_refusal(JAMF, notifications, None, False) == (
        "location is managed by 'Jamf Pro' (mdmInfo id jamf-7781): set mdm_id: jamf-7781 to act for it, or claim it with "
        "mdm_info and takeover: true; nothing was sent")
    assert "mdmInfo id jamf-7781: set mdm_id" in cc.owner_refusal({"id": "jamf-7781", "name": None}, notifications, "other", False)


def test_the_diff_names_the_token_only_as_set_or_changed():
    want = {"notificationUrl": EDA, "notificationAuthToken": SECRET, "notificationTypes": ["ASSET_COUNT"]}
    held = settings(url=EDA, token="apple-held-token", types=["ASSET_COUNT"])
    result = cc.diff(held, want, cc.changes(held, want))
    assert result == {"before": {"notification_url": EDA, "notification_types": ["ASSET_COUNT"], "notification_auth_token": "(set)"},
                      "after": {"notification_url": EDA, "notification_types": ["ASSET_COUNT"], "notification_auth_token": "(changed)"}}
    held = settings()
    assert cc.diff(held, want, cc.changes(held, want))["after"]["notification_auth_token"] == "(set)"
    assert cc.diff(held, want, cc.changes(held, want))["before"]["notification_auth_token"] == "(not set)"
    held = settings(url=EDA, token=SECRET, types=["ASSET_COUNT"])
    same = cc.diff(held, want, {})
    assert same["before"] == same["after"] and SECRET not in json.dumps(same)
    assert cc.diff(settings(JAMF), {"mdmInfo": OURS}, {"mdmInfo": OURS}) == {"before": {"mdm_info": JAMF}, "after": {"mdm_info": OURS}}


def test_unconfirmed_names_the_options_the_re_read_does_not_show():
    want = {"mdmInfo": OURS, "notificationUrl": EDA, "notificationAuthToken": SECRET, "notificationTypes": ["ASSET_COUNT"]}
    assert cc.unconfirmed(settings(OURS, EDA, SECRET, ["ASSET_COUNT"]), want) == []
    assert cc.unconfirmed(settings(OURS, EDA, None, ["ASSET_COUNT"]), want) == []  # a token Apple does not return
    assert cc.unconfirmed(settings(OURS, EDA, "other", ["ASSET_COUNT"]), want) == ["notification_auth_token"]
    elsewhere = settings(JAMF, "https://x.example.org/y", "other", [])
    assert cc.unconfirmed(elsewhere, want) == ["mdm_info", "notification_url", "notification_types"]


def test_new_owner():
    assert cc.new_owner(settings(OURS), "assetops") is None
    assert cc.new_owner(settings(), None) is None
    assert "now managed by 'Jamf Pro' (mdmInfo id jamf-7781): another management service claimed it" in cc.new_owner(settings(JAMF), "assetops")
    assert "shows no owner" in cc.new_owner(settings(), "assetops")


# ------------------------------------------------------------------ input
@pytest.mark.parametrize(("limit", "field", "length"), [
    ("maxMdmIdLength", "id", 100), ("maxMdmNameLength", "name", 100), ("maxMdmMetadataLength", "metadata", 255)])
def test_mdm_text(limit, field, length):
    clean = cc.mdm_text(limit)
    assert clean("mdm_info." + field, "  x  ") == "x"
    assert clean("mdm_info." + field, "x" * length) == "x" * length
    with pytest.raises(InputError, match=r"^mdm_info\.{0} is {1} characters long: Apple allows at most {2} \({3}\)$".format(
            field, length + 1, length, limit)):
        clean("mdm_info." + field, "x" * (length + 1))
    with pytest.raises(InputError, match=r"^mdm_info\.{0} must not be blank: Apple needs an id, a name and metadata".format(field)):
        clean("mdm_info." + field, "  ")


@pytest.mark.parametrize("url", ["https://eda.example.org/vpp", " https://eda.example.org:8443/hooks/vpp ", "https://eda.example.org",
                                 "HTTPS://EDA.example.org/vpp"])
def test_notification_url_accepted(url):
    assert cc.notification_url("notification_url", url) == url.strip()


@pytest.mark.parametrize("url", ["http://eda.example.org/vpp", "hooks.example.net/vpp", "https://eda.example.org/vpp?token=abc",
                                 "https://eda.example.org/vpp#x", "https://user:pw@eda.example.org/vpp", "https:///vpp",
                                 "https://eda.example.org:port/vpp", "https://eda.example.org/a path"])
def test_notification_url_refused_without_echoing_it(url):
    with pytest.raises(InputError) as caught:
        cc.notification_url("notification_url", url)
    message = str(caught.value)
    assert message.startswith("notification_url must be an https:// URL with a host and a path only")
    assert url not in message


def test_blank_values():
    with pytest.raises(InputError, match="^notification_url must not be blank"):
        cc.notification_url("notification_url", " ")
    with pytest.raises(InputError, match="^notification_auth_token must not be blank"):
        cc.secret_text("notification_auth_token", "\n")
    assert cc.secret_text("notification_auth_token", " s3cret\n") == "s3cret"


def test_takeover_needs_mdm_info():
    with pytest.raises(InputError, match="^takeover needs mdm_info"):
        cc.check_input(opts(takeover=True, notification_types=[]))
    cc.check_input(opts(takeover=True, mdm_info=dict(OURS)))
    cc.check_input(opts(notification_types=[]))


# ------------------------------------------------------------------ the work, against the simulator
@pytest.fixture
def sim(simulator_factory):
    return simulator_factory(rateLimit=False)


@pytest.fixture
def build(vpp_client):
    """build(sim, location="Main", read_only=False) -> (client, hidden, warnings)."""

    def make(sim, location="Main", read_only=False):
        hidden, warnings = [], []
        client = vpp_client(sim, token=sim.tokens()[location], read_only=read_only, hide=lambda *secrets: hidden.extend(secrets),
                            warn=warnings.append)
        return client, hidden, warnings

    return make


def config_posts(sim):
    return [entry for entry in sim.writes() if entry["path"] == PATH]


def apple_holds(sim, location="Main"):
    return sim.location_state(location)["clientConfig"]


def test_claims_an_unowned_location_then_sends_nothing(sim, build):
    client, hidden, _warnings = build(sim)
    result = cc.configure(client, opts(mdm_info=dict(OURS)))
    assert result["changed"] is True and "error" not in result
    assert result["client_config"]["mdm_info"] == OURS
    assert [entry["body"] for entry in config_posts(sim)] == [{"mdmInfo": OURS}]
    assert sim.requests()[-1] == ("GET", PATH)  # read back after the write
    assert apple_holds(sim)["mdmInfo"] == OURS
    assert result["diff"] == {"before": {"mdm_info": None}, "after": {"mdm_info": OURS}}
    assert apple_holds(sim)["notificationAuthToken"] in hidden  # Apple's token went to hide() at once
    sim.clear_log()
    again = cc.configure(client, opts(mdm_info=dict(OURS)))
    assert again["changed"] is False and again["client_config"] == result["client_config"]
    assert sim.requests() == [("GET", PATH)]


def test_the_record(sim, build):
    client, _hidden, _warnings = build(sim, "Owned")
    record = cc.configure(client, opts(notification_types=["ASSET_COUNT", "ASSET_MANAGEMENT"], mdm_id="jamf-7781"))["client_config"]
    token_expiration = record.pop("token_expiration_date")
    days_left = record.pop("token_days_left")
    assert record == {"location_name": "Owned", "org_name": "Owned Org", "uid": "2049025000431444", "country_code": "US",
                      "default_platform": "enterprisestore", "mdm_info": JAMF, "notification_url": "https://jamf.example.org/vpp/notify",
                      "notification_types": ["ASSET_MANAGEMENT", "ASSET_COUNT"], "notification_auth_token_set": True}
    assert token_expiration.endswith("+0000") and 298 <= days_left <= 300


def test_check_mode_predicts_and_sends_nothing(sim, build):
    client, _hidden, _warnings = build(sim, read_only=True)
    options = opts(mdm_info=dict(OURS), notification_url=EDA, notification_auth_token=SECRET, notification_types=["ASSET_COUNT"],
                   check_mode=True)
    result = cc.configure(client, options)
    assert result["changed"] is True
    assert sim.writes() == [] and sim.requests() == [("GET", "/mdm/v2/service/config"), ("GET", PATH)]
    predicted = result["client_config"]
    assert (predicted["mdm_info"], predicted["notification_url"], predicted["notification_types"]) == (OURS, EDA, ["ASSET_COUNT"])
    assert SECRET not in json.dumps(result)
    with pytest.raises(WriteBlockedError):
        cc.configure(client, opts(mdm_info=dict(OURS)))  # not in check mode, the read-only client refuses the write
    writer, _hidden, _warnings = build(sim)
    assert cc.configure(writer, dict_options(options, check_mode=False))["client_config"] == predicted


def dict_options(options, **changes):
    return SimpleNamespace(**dict(vars(options), **changes))


def test_another_owner_is_refused_before_any_write(sim, build):
    client, _hidden, _warnings = build(sim, "Owned")
    with pytest.raises(ReportedError) as caught:
        cc.configure(client, opts(mdm_info=dict(OURS)))
    assert caught.value.message.startswith("location is managed by 'Jamf Pro' (mdmInfo id jamf-7781): set takeover: true")
    assert caught.value.details["client_config"]["mdm_info"] == JAMF and caught.value.details["changed"] is False
    with pytest.raises(ReportedError, match="set mdm_id: jamf-7781 to act for it"):
        cc.configure(client, opts(notification_types=["ASSET_COUNT"]))
    with pytest.raises(ReportedError, match="set takeover: true"):
        cc.configure(client, opts(mdm_info=dict(OURS), check_mode=True))  # check mode predicts the refusal
    assert sim.writes() == [] and apple_holds(sim, "Owned")["mdmInfo"] == JAMF


def test_nothing_to_send_is_not_refused(sim, build):
    client, _hidden, _warnings = build(sim, "Owned")
    result = cc.configure(client, opts(notification_types=["ASSET_COUNT", "ASSET_MANAGEMENT"]))
    assert result["changed"] is False and sim.writes() == []


def test_acting_for_the_owner(sim, build):
    client, _hidden, _warnings = build(sim, "Owned")
    result = cc.configure(client, opts(notification_types=["USER_MANAGEMENT"], mdm_id="jamf-7781"))
    assert result["changed"] is True and result["client_config"]["mdm_info"] == JAMF
    assert [entry["body"] for entry in config_posts(sim)] == [{"notificationTypes": ["USER_MANAGEMENT"]}]


def test_takeover(sim, build):
    client, _hidden, warnings = build(sim, "Owned")
    result = cc.configure(client, opts(mdm_info=dict(OURS), takeover=True, mdm_id="jamf-7781"))
    assert result["changed"] is True and "error" not in result
    assert result["client_config"]["mdm_info"] == OURS and apple_holds(sim, "Owned")["mdmInfo"] == OURS
    assert result["diff"] == {"before": {"mdm_info": JAMF}, "after": {"mdm_info": OURS}}
    assert warnings == ["mdm_id jamf-7781 is not the mdm_info id assetops this task sets: the modules that write act as mdm_id, so set "
                        "mdm_id: assetops for them"]
    sim.clear_log()
    assert cc.configure(client, opts(mdm_info=dict(OURS), takeover=True))["changed"] is False and sim.writes() == []


def test_the_notification_token_is_compared_never_shown(sim, build):
    client, hidden, _warnings = build(sim)
    options = opts(notification_url=EDA, notification_auth_token=SECRET, notification_types=["ASSET_MANAGEMENT", "ASSET_COUNT"])
    first = cc.configure(client, options)
    assert first["changed"] is True
    assert config_posts(sim)[-1]["body"] == {"notificationUrl": EDA, "notificationAuthToken": "<redacted>",
                                             "notificationTypes": ["ASSET_MANAGEMENT", "ASSET_COUNT"]}
    assert apple_holds(sim)["notificationAuthToken"] == SECRET and SECRET in hidden
    assert first["diff"]["before"]["notification_auth_token"] == "(set)"  # the simulator's made-up token
    assert first["diff"]["after"]["notification_auth_token"] == "(changed)"
    sim.clear_log()
    same = cc.configure(client, dict_options(options, notification_types=["ASSET_COUNT", "ASSET_MANAGEMENT"]))
    assert same["changed"] is False and sim.writes() == []
    new_token = cc.configure(client, dict_options(options, notification_auth_token="rotated-token-91"))
    assert new_token["changed"] is True
    assert [sorted(entry["body"]) for entry in config_posts(sim)] == [["notificationAuthToken", "notificationUrl"]]
    assert new_token["diff"]["after"] == {"notification_url": EDA, "notification_types": ["ASSET_MANAGEMENT", "ASSET_COUNT"],
                                          "notification_auth_token": "(changed)"}
    for result in (first, same, new_token):
        text = json.dumps(result)
        assert SECRET not in text and "rotated-token-91" not in text and "notificationAuthToken" not in text
        assert result["client_config"]["notification_auth_token_set"] is True


def test_an_unreachable_receiver_is_apples_9728(sim, build):
    sim.settings(notificationReachable=False)
    client, _hidden, _warnings = build(sim)
    with pytest.raises(ApiError) as caught:
        cc.configure(client, opts(notification_url=EDA, notification_auth_token=SECRET))
    assert caught.value.error_number == 9728
    assert caught.value.message.startswith("Apple could not deliver its test notification to the notification URL: start the receiver first")
    assert "notificationUrl" not in apple_holds(sim)


def test_another_owner_back_on_the_re_read_is_named(sim, build):
    client, _hidden, _warnings = build(sim)
    post = client.post

    def post_then_jamf_claims(path, body):
        answer = post(path, body)
        with sim.api_client("Main") as jamf:  # another MDM with the same location's token, right after our write
            assert jamf.post("/client/config", json={"mdmInfo": JAMF}).status_code == 200
        return answer

    client.post = post_then_jamf_claims
    result = cc.configure(client, opts(mdm_info=dict(OURS)))
    assert result["changed"] is True
    assert result["error"].startswith("Apple accepted the configuration, but the location is now managed by 'Jamf Pro' (mdmInfo id jamf-7781)")
    assert result["client_config"]["mdm_info"] == JAMF


def test_a_lost_answer_is_read_back(sim, build):
    sim.add_faults({"method": "POST", "path": PATH, "kind": "drop_after"})
    client, _hidden, warnings = build(sim)
    result = cc.configure(client, opts(mdm_info=dict(OURS)))
    assert result["changed"] is True and "error" not in result and result["client_config"]["mdm_info"] == OURS
    assert warnings == ["the answer to the client config write was lost; reading it back shows it was applied"]
    assert len(config_posts(sim)) == 1  # never sent twice


def test_a_lost_write_that_did_not_happen_fails(sim, build):
    sim.add_faults({"method": "POST", "path": PATH, "kind": "drop_before"})
    client, _hidden, _warnings = build(sim)
    with pytest.raises(ApiError) as caught:
        cc.configure(client, opts(mdm_info=dict(OURS)))
    assert caught.value.outcome_unknown is True
    assert "mdmInfo" not in apple_holds(sim)


def test_an_answer_of_the_wrong_shape(sim, build):
    sim.add_faults({"method": "GET", "path": PATH, "kind": "status", "status": 200, "body": {"mdmInfo": "jamf", "notificationAuthToken": SECRET}})
    client, hidden, _warnings = build(sim)
    with pytest.raises(ApiError) as caught:
        cc.configure(client, opts(mdm_info=dict(OURS)))
    assert "Apple's /client/config answer has an unexpected shape" in caught.value.message and SECRET not in caught.value.message
    assert SECRET in hidden
