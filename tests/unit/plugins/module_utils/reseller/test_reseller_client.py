"""The reseller client against the simulator in-process: OAuth, token reuse and refresh, paging, retries, writes."""
from __future__ import annotations

import base64
import decimal
import json
import urllib.parse

import pytest

from ansible_collections.assetops.licensing.plugins.module_utils.errors import WriteBlockedError
from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError
from ansible_collections.assetops.licensing.plugins.module_utils.reseller import client as client_module
from ansible_collections.assetops.licensing.plugins.module_utils.reseller.client import Credentials, ResellerClient
from reseller_helpers import (
    ASSETS_PATH,
    LIST_ROUTE,
    TOKEN_PATH,
    asset,
    asset_writes,
    auth,
    dumps,
    entries,
    loads,
    logins,
    param,
    sent,
    tags,
)

D = decimal.Decimal
ASSET_ROUTE = ASSETS_PATH + "{id}"


def password_grant(sim, **changes):
    """The seeded client and user (sim.reseller_credentials()), with ``changes``."""
    return Credentials(**dict(sim.reseller_credentials(), **changes))


def basic(client_id, client_secret):
    return "Basic " + base64.b64encode("{0}:{1}".format(client_id, client_secret).encode()).decode()


def secrets(sim):
    creds = sim.reseller_credentials()
    return (creds["client_secret"], creds["password"], sim.reseller_static_token(),
            basic(creds["client_id"], creds["client_secret"]).split()[1])


@pytest.fixture
def build():
    """build(sim, ...) -> ResellerClient talking to the simulator; sleeps recorded, never slept."""
    made = []

    def make(sim, credentials=None, warnings=None, sleeps=None, read_only=True, retries=3, api_url=None):
        client = ResellerClient(credentials or password_grant(sim), api_url=api_url or sim.reseller_url, retries=retries, read_only=read_only,
                                warn=warnings.append if warnings is not None else None, httpx_transport=sim.transport(),
                                sleep=sleeps.append if sleeps is not None else (lambda seconds: None))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def many(count, **fields):
    return [asset(1000 + number, **fields) for number in range(count)]


def server_ids(sim):
    return sorted(record["Id"] for record in sim.reseller_state()["assets"])


def assert_no_secret(sim, error, *also):
    text = " ".join([str(error), error.message, json.dumps(error.to_dict(), default=str), repr(error.args)])
    for secret in secrets(sim) + also:
        assert secret not in text


def fault(sim, method, path, **rule):
    """One status fault (see tests/simulator/README.md); ``count`` times, once by default."""
    sim.add_faults(dict({"method": method, "path": path, "kind": "status"}, **rule))


# -- login ---------------------------------------------------------------------------------------


def test_login_is_the_password_grant_with_basic_client_auth(build, reseller):
    sim = reseller(many(1))
    build(sim).get_asset(1000)
    creds = sim.reseller_credentials()
    (login,) = logins(sim)
    assert login["status"] == 200 and login["body"] == {"grant_type": "password", "scope": "CustomerApi", "username": creds["username"]}
    (login, read) = sim.sent()
    assert (login.method, login.url.path) == ("POST", TOKEN_PATH)
    assert auth(login) == basic(creds["client_id"], creds["client_secret"])
    assert login.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert urllib.parse.parse_qs(login.content.decode("ascii")) == {
        "grant_type": ["password"], "username": [creds["username"]], "password": [creds["password"]], "scope": ["CustomerApi"]}
    (token,) = sim.reseller_issued_tokens()
    assert auth(read) == "Bearer " + token
    assert read.headers["accept"] == "application/json"


def test_the_token_is_reused_across_requests(build, reseller):
    sim = reseller(many(3))
    client = build(sim)
    client.get_asset(1000)
    client.list_assets([("Status", 15)])
    client.get_asset(1001)
    assert len(logins(sim)) == 1
    (token,) = sim.reseller_issued_tokens()
    assert {auth(request) for request in sent(sim, "GET")} == {"Bearer " + token}


def test_no_request_before_it_is_needed(build, reseller):
    sim = reseller(many(1))
    build(sim)
    assert sim.log() == [] and sim.sent() == []


def test_an_expired_token_means_one_new_login_and_a_retry(build, reseller):
    sim = reseller(many(2))
    client = build(sim)
    client.get_asset(1000)
    sim.expire_reseller_tokens()
    assert client.get_asset(1001).id == 1001
    assert len(logins(sim)) == 2
    first, second = sim.reseller_issued_tokens()
    assert [auth(request) for request in sent(sim, "GET")] == ["Bearer " + first, "Bearer " + first, "Bearer " + second]
    assert [entry["status"] for entry in entries(sim, "GET")] == [200, 401, 200]
    client.get_asset(1000)  # the new token is kept
    assert len(logins(sim)) == 2


def test_an_expired_token_during_a_write_is_refreshed_and_the_write_resent_once(build, reseller):
    sim = reseller(many(1))
    client = build(sim, read_only=False)
    client.get_asset(1000)
    sim.expire_reseller_tokens()
    client.put_asset(1000, dict(asset(1000), Name="renamed"))
    assert len(entries(sim, "PUT")) == 2 and len(logins(sim)) == 2
    assert sim.reseller_asset(1000)["Name"] == "renamed"


def test_a_second_401_after_logging_in_again_fails_clearly(build, reseller):
    sim = reseller(many(1), resellerTokenSeconds=0)  # every token the login hands out is refused
    with pytest.raises(ApiError) as caught:
        build(sim).get_asset(1000)
    assert len(logins(sim)) == 2 and len(entries(sim, "GET")) == 2
    assert caught.value.status == 401
    assert "access token was refused" in caught.value.message and "logging in again did not help" in caught.value.message
    issued = sim.reseller_issued_tokens()
    assert len(issued) == 2
    assert_no_secret(sim, caught.value, *issued)


def test_an_access_token_is_used_as_given_without_login(build, reseller):
    sim = reseller(many(2))
    static_token = sim.reseller_static_token()
    client = build(sim, credentials=Credentials(access_token=static_token))
    client.get_asset(1000)
    client.list_assets([])
    assert logins(sim) == [] and sim.reseller_issued_tokens() == []
    assert {auth(request) for request in sim.sent()} == {"Bearer " + static_token}


def test_a_refused_access_token_fails_without_login(build, reseller):
    sim = reseller(many(1))
    with pytest.raises(ApiError) as caught:
        build(sim, credentials=Credentials(access_token="wrong-TOKEN")).get_asset(1000)
    assert logins(sim) == [] and len(sim.log()) == 1
    assert caught.value.status == 401
    assert "the access token was refused" in caught.value.message and "access_token" in caught.value.message
    assert_no_secret(sim, caught.value, "wrong-TOKEN")


@pytest.mark.parametrize("changes, status, code", [
    ({"password": "wrong-PASS-1"}, 400, "invalid_grant"),
    ({"username": "nobody"}, 400, "invalid_grant"),
    ({"client_secret": "wrong-SECRET-2"}, 401, "invalid_client"),
    ({"client_id": "other"}, 401, "invalid_client"),
])
def test_bad_credentials_fail_in_one_line_without_secrets(build, reseller, changes, status, code):
    sim = reseller(many(1))
    with pytest.raises(ApiError) as caught:
        build(sim, credentials=password_grant(sim, **changes)).get_asset(1000)
    failure = caught.value
    assert len(logins(sim)) == 1 and entries(sim, "GET") == []  # not retried, no API call
    assert failure.status == status and failure.error_code == code
    assert failure.message.startswith("reseller login failed ({0})".format(code))
    assert "\n" not in failure.message and str(failure) == failure.message
    assert_no_secret(sim, failure, "wrong-PASS-1", "wrong-SECRET-2")


def test_login_without_an_error_code_names_the_status(build, reseller):
    sim = reseller(many(1))
    fault(sim, "POST", TOKEN_PATH, status=401, body="")  # no body at all
    with pytest.raises(ApiError) as caught:
        build(sim).get_asset(1000)
    assert caught.value.message.startswith("reseller login failed (HTTP 401)")
    assert_no_secret(sim, caught.value)


def test_a_throttled_login_is_retried(build, reseller):
    sim = reseller(many(1))
    fault(sim, "POST", TOKEN_PATH, status=429, body={"Message": "slow down"}, retryAfter="2")
    warnings, sleeps = [], []
    assert build(sim, warnings=warnings, sleeps=sleeps).get_asset(1000).id == 1000
    assert len(logins(sim)) == 2 and sleeps == [2.0]
    assert len(warnings) == 1 and "429" in warnings[0]
    assert all(secret not in warnings[0] for secret in secrets(sim))


# -- errors --------------------------------------------------------------------------------------


def test_the_platform_error_body_is_reported(build, reseller):
    sim = reseller(many(1))
    body = {"ErrorCode": "InvalidFilter", "Message": "Search is too long", "Parameters": {"Search": "x" * 10},
            "ObjectErrors": [{"Field": "Search"}]}
    fault(sim, "GET", ASSETS_PATH + "*", status=400, body=body)
    with pytest.raises(ApiError) as caught:
        build(sim).list_assets([])
    failure = caught.value
    assert failure.status == 400 and failure.error_code == "InvalidFilter" and failure.error_message == "Search is too long"
    assert failure.message == "reseller API answered HTTP 400: Search is too long (InvalidFilter)"
    assert failure.details == {"parameters": {"Search": "x" * 10}, "objecterrors": [{"Field": "Search"}]}
    assert failure.to_dict()["method"] == "GET" and failure.to_dict()["path"] == ASSETS_PATH


def test_a_refused_page_size_falls_back_to_the_sdks_20(build, reseller):
    sim = reseller(many(45), resellerRefusePageSizeAbove=20)
    warnings = []
    assets = build(sim, warnings=warnings).list_assets([])
    assert sorted(item.id for item in assets) == [1000 + number for number in range(45)]
    sizes = [(param(entry, "PageSize"), entry["status"]) for entry in entries(sim, "GET")]
    assert sizes == [(["100"], 400), (["20"], 200), (["20"], 200), (["20"], 200)]
    assert warnings == ["the reseller API refused PageSize 100; reading pages of 20"]


def test_overlapping_pages_count_each_asset_once(build, reseller):
    sim = reseller(many(3))
    plain = [json.loads(dumps(asset(1000 + number))) for number in range(3)]  # prices as plain JSON numbers
    page = {"Items": plain[0:2], "TotalHits": 3}
    again = {"Items": plain[1:3], "TotalHits": 3}  # an asset moved between the two reads
    fault(sim, "GET", ASSETS_PATH, status=200, body=page)
    sim.add_faults({"method": "GET", "path": ASSETS_PATH, "kind": "status", "status": 200, "body": again})
    assets = build(sim).list_assets([])
    assert [item.id for item in assets] == [1000, 1001, 1002]


def test_a_token_answer_with_an_error_field_is_a_clear_login_failure(build, reseller):
    sim = reseller(many(1))
    fault(sim, "POST", TOKEN_PATH, status=200, body={"Error": "invalid_grant", "ErrorDescription": "The user is locked"})
    with pytest.raises(ApiError) as caught:
        build(sim).list_assets([])
    assert caught.value.message == ("reseller login failed (The user is locked): check client_id, client_secret, "
                                    "username and password")
    assert caught.value.error_code == "invalid_grant"
    assert_no_secret(sim, caught.value)


@pytest.mark.parametrize("status", [204, 200])
def test_an_empty_answer_for_one_asset_means_not_found(build, reseller, status):
    sim = reseller(many(1))
    fault(sim, "GET", ASSETS_PATH + "1000", status=status, body="")
    assert build(sim).get_asset(1000) is None


def test_unknown_asset_is_none(build, reseller):
    sim = reseller(many(1))
    assert build(sim).get_asset(4242) is None
    assert entries(sim, "GET")[-1]["status"] == 404


def test_unknown_asset_with_an_access_token_is_none_after_one_look_at_the_list(build, reseller):
    sim = reseller(many(1))
    assert build(sim, credentials=Credentials(access_token=sim.reseller_static_token())).get_asset(4242) is None
    assert [(entry["route"], entry["status"]) for entry in entries(sim, "GET")] == [(ASSET_ROUTE, 404), (LIST_ROUTE, 200)]


# -- a wrong api_url: the endpoints the platform always has answer 404 ---------------------------

CHECK_API_URL = "check api_url, the modules add /api/v1 to it, so it is the server's address, as in https://api.crayon.com"
WRONG_URLS = ["/api/v1", "/mdm/v2", "/crayon"]  # under api_url: the reseller half's JSON 404, Apple's half's, and no API


@pytest.mark.parametrize("call", ["list", "get"])
@pytest.mark.parametrize("suffix", WRONG_URLS)
def test_a_wrong_api_url_fails_the_login_naming_the_url(build, reseller, suffix, call):
    sim = reseller(many(1))
    api_url = sim.reseller_url + suffix
    client = build(sim, api_url=api_url)
    with pytest.raises(ApiError) as caught:  # get: the login's 404 is not taken for an unknown asset
        client.list_assets([]) if call == "list" else client.get_asset(1000)  # pylint: disable=expression-not-assigned
    error = caught.value
    assert error.message == "the reseller API answered HTTP 404 (no such endpoint) for POST {0}{1}: {2} (given: {0})".format(
        api_url, TOKEN_PATH, CHECK_API_URL)
    assert error.status == 404 and error.to_dict()["details"]["url"] == api_url + TOKEN_PATH
    assert len(sim.log()) == 1  # not retried
    assert_no_secret(sim, error)


@pytest.mark.parametrize("call", ["list", "get"])
def test_a_wrong_api_url_with_an_access_token_names_the_url(build, reseller, call):
    sim = reseller(many(1))
    api_url = sim.reseller_url + "/api/v1"
    client = build(sim, api_url=api_url, credentials=Credentials(access_token=sim.reseller_static_token()))
    with pytest.raises(ApiError) as caught:
        client.list_assets([]) if call == "list" else client.get_asset(1000)  # pylint: disable=expression-not-assigned
    assert caught.value.message == "the reseller API answered HTTP 404 (no such endpoint) for GET {0}{1}: {2} (given: {0})".format(
        api_url, ASSETS_PATH, CHECK_API_URL)
    assert caught.value.status == 404
    assert_no_secret(sim, caught.value)


def test_a_failed_login_before_a_tags_write_is_not_taken_for_the_other_verb(build, reseller):
    sim = reseller(many(1))
    with pytest.raises(ApiError, match="^reseller login failed"):
        build(sim, credentials=password_grant(sim, password="not-the-password"), read_only=False).write_tags(
            1000, {"cost_center": "CC-1"}, asset_has_tags=True)
    assert len(logins(sim)) == 1 and asset_writes(sim) == []


def test_tags_that_are_not_there_are_still_an_answer_not_a_wrong_url(build, reseller):
    sim = reseller(many(1))  # no tags yet: PUT finds none (404), POST follows
    build(sim, read_only=False).write_tags(1000, {"cost_center": "CC-1"}, asset_has_tags=True)
    assert [(entry["method"], entry["status"]) for entry in asset_writes(sim)] == [("PUT", 404), ("POST", 200)]


@pytest.mark.parametrize("status", [429, 503])
def test_throttling_and_unavailability_are_retried_with_warnings(build, reseller, status):
    sim = reseller(many(1))
    fault(sim, "GET", ASSETS_PATH + "*", status=status, errorNumber="Busy", message="try later", count=2)
    warnings, sleeps = [], []
    assert build(sim, warnings=warnings, sleeps=sleeps).get_asset(1000).id == 1000
    assert len(entries(sim, "GET")) == 3 and len(sleeps) == 2
    assert len(warnings) == 2 and all("HTTP {0}".format(status) in warning and "retry" in warning for warning in warnings)


def test_retries_give_up_with_a_clear_message(build, reseller):
    sim = reseller(many(1))
    fault(sim, "GET", ASSETS_PATH + "*", status=503, errorNumber="Busy", message="try later", count=5)
    sleeps = []
    with pytest.raises(ApiError) as caught:
        build(sim, sleeps=sleeps, retries=2).get_asset(1000)
    assert "gave up after 2 retries" in caught.value.message and len(sleeps) == 2


def test_a_throttled_write_is_resent(build, reseller):
    sim = reseller(many(1))
    fault(sim, "PUT", ASSETS_PATH + "*", status=429, errorNumber="TooManyRequests", message="slow down")
    sleeps = []
    build(sim, read_only=False, sleeps=sleeps).put_asset(1000, dict(asset(1000), Name="x"))
    assert len(entries(sim, "PUT")) == 2 and sim.reseller_asset(1000)["Name"] == "x" and len(sleeps) == 1


# -- list_assets ---------------------------------------------------------------------------------


def list_requests(sim):
    return entries(sim, "GET", LIST_ROUTE)


def page_params(sim):
    return [(entry["query"].get("Page"), entry["query"].get("PageSize")) for entry in list_requests(sim)]


def test_paging_starts_at_1_and_stops_at_total_hits(build, reseller):
    size = client_module.PAGE_SIZE
    sim = reseller(many(2 * size))  # two full pages exactly: TotalHits, not an empty third page, ends it
    assets = build(sim).list_assets([("Status", 15)])
    assert [record.id for record in assets] == server_ids(sim)
    assert page_params(sim) == [("1", str(size)), ("2", str(size))]


def test_paging_with_an_overstated_total_stops_at_the_empty_page(build, reseller):
    size = client_module.PAGE_SIZE
    # TotalHits overstated: a short page is no end (the server may cap PageSize), the empty one is
    sim = reseller(many(size + 3), resellerTotalHits=10 ** 6)
    assert len(build(sim).list_assets([("Status", 15)])) == size + 3
    assert [page for page, _size in page_params(sim)] == ["1", "2", "3"]


def test_paging_stops_at_an_empty_page(build, reseller):
    size = client_module.PAGE_SIZE
    sim = reseller(many(size), resellerTotalHits=10 ** 6)
    assert len(build(sim).list_assets([("Status", 15)])) == size
    assert [page for page, _size in page_params(sim)] == ["1", "2"]


def test_nothing_found_is_one_request(build, reseller):
    sim = reseller([])
    assert build(sim).list_assets([("Status", 15)]) == []
    assert len(list_requests(sim)) == 1


@pytest.mark.parametrize("count", [0, 1, 99, 100, 101, 250])
def test_a_bare_array_is_paged_too(build, reseller, count):
    size = client_module.PAGE_SIZE
    sim = reseller(many(count), resellerBareArray=True)
    assert [record.id for record in build(sim).list_assets([("Status", 15)])] == server_ids(sim)
    # a short first page may be a server's cap, so the next page is asked for before stopping
    expected = 2 if 0 < count < size else count // size + 1
    assert len(list_requests(sim)) == expected


@pytest.mark.parametrize("count, cap", [(24, 5), (25, 5), (3, 5), (250, 40)])
def test_a_bare_array_from_a_server_capping_page_size_loses_nothing(build, reseller, count, cap):
    sim = reseller(many(count), resellerBareArray=True, resellerMaxPageSize=cap)
    assert [record.id for record in build(sim).list_assets([("Status", 15)])] == server_ids(sim)
    # full pages, then the short (or empty) one that ends it; a short first page is followed by an empty one
    expected = 2 if 0 < count < cap else count // cap + 1
    assert len(list_requests(sim)) == expected


def test_camel_case_answers_are_read(build, reseller):
    sim = reseller(many(3, Tags=None), resellerCamelCase=True)
    assets = build(sim).list_assets([("Status", 15)])
    assert [record.id for record in assets] == [1000, 1001, 1002]
    assert assets[0].to_result()["purchase_price"] == "1234.567890123456789012345"


def test_a_server_capping_page_size_still_yields_every_asset(build, reseller):
    sim = reseller(many(45), resellerMaxPageSize=20)
    assert len(build(sim).list_assets([("Status", 15)])) == 45


def test_filters_go_into_the_query_with_repeated_keys(build, reseller):
    sim = reseller(many(3) + [asset(7, ExternalOrderId="B"), asset(8, ExternalOrderId="A")])
    assets = build(sim).list_assets([("Status", 15), ("ResellerCustomerId", 501), ("ExternalOrderIds", "A"),
                                     ("ExternalOrderIds", "B")])
    assert [record.id for record in assets] == [7, 8]
    (request,) = sent(sim, "GET", ASSETS_PATH)
    assert list(request.url.params.multi_items()) == [
        ("Status", "15"), ("ResellerCustomerId", "501"), ("ExternalOrderIds", "A"), ("ExternalOrderIds", "B"), ("Page", "1"),
        ("PageSize", str(client_module.PAGE_SIZE))]
    (entry,) = list_requests(sim)
    assert entry["query"]["ExternalOrderIds"] == ["A", "B"] and entry["status"] == 200


def test_endless_full_pages_are_refused(build, reseller, monkeypatch):
    monkeypatch.setattr(client_module, "MAX_PAGES", 3)
    # a server that answers the first page whatever Page asks, without a total
    sim = reseller(many(client_module.PAGE_SIZE), resellerBareArray=True, resellerIgnoredQuery=["Page"])
    with pytest.raises(ApiError, match="kept returning full pages"):
        build(sim).list_assets([])
    assert len(list_requests(sim)) == 3


# -- writes --------------------------------------------------------------------------------------


def test_put_asset_sends_the_whole_object_with_exact_decimals(build, reseller):
    sim = reseller(many(1))
    client = build(sim, read_only=False)
    client.get_asset(1000)
    body = client.as_sent(1000)
    assert body["PurchasePrice"] == D("1234.567890123456789012345") and isinstance(body["SalesPrice"], D)
    body["Name"] = "renamed"
    client.put_asset(1000, body)
    (put,) = sent(sim, "PUT")
    assert put.url.path == ASSETS_PATH + "1000" and put.headers["content-type"] == "application/json"
    (token,) = sim.reseller_issued_tokens()
    assert auth(put) == "Bearer " + token
    assert b'"PurchasePrice":1234.567890123456789012345' in put.content and b'"SalesPrice":0.1' in put.content
    assert loads(put.content) == dict(asset(1000), Name="renamed")
    assert list(loads(put.content)) == list(asset(1000))  # every field, in the API's order
    assert entries(sim, "PUT", ASSET_ROUTE)[0]["status"] == 200 and sim.reseller_asset(1000)["Name"] == "renamed"


def test_write_tags_posts_when_the_asset_has_none_and_puts_when_it_has(build, reseller):
    sim = reseller([asset(1, Tags=None), asset(2, Tags=tags(2, Owner="old"))])
    client = build(sim, read_only=False)
    client.write_tags(1, {"cost_center": "CC", "owner": "me"}, asset_has_tags=False)
    client.write_tags(2, {"project": "P"}, asset_has_tags=True)
    post, put = asset_writes(sim)
    assert (post["method"], post["path"]) == ("POST", ASSETS_PATH + "1/tags")
    assert post["body"] == {"AssetId": 1, "CostCenter": "CC", "Department": None, "Project": None, "Custom": None, "Owner": "me"}
    assert (put["method"], put["path"]) == ("PUT", ASSETS_PATH + "2/tags")
    assert put["body"] == {"AssetId": 2, "CostCenter": None, "Department": None, "Project": "P", "Custom": None, "Owner": None}
    assert sim.reseller_asset(2)["Tags"] == tags(2, Project="P")


def test_delete_tags(build, reseller):
    sim = reseller([asset(1, Tags=tags(1, Owner="x"))])
    build(sim, read_only=False).delete_tags(1)
    (delete,) = asset_writes(sim)
    assert (delete["method"], delete["path"], delete["body"]) == ("DELETE", ASSETS_PATH + "1/tags", None)
    (request,) = sent(sim, "DELETE")
    assert request.content == b""
    assert sim.reseller_asset(1)["Tags"] is None


@pytest.mark.parametrize("call", [
    lambda client: client.put_asset(1000, asset(1000)),
    lambda client: client.write_tags(1000, {"owner": "x"}, asset_has_tags=False),
    lambda client: client.write_tags(1000, {"owner": "x"}, asset_has_tags=True),
    lambda client: client.delete_tags(1000),
    lambda client: client.request("POST", ASSETS_PATH),
])
def test_a_read_only_client_refuses_writes(build, reseller, call):
    sim = reseller(many(1))
    client = build(sim)  # read_only is the default
    with pytest.raises(WriteBlockedError, match="read-only"):
        call(client)
    assert asset_writes(sim) == []


def test_as_sent_is_a_copy_of_the_last_answer_and_reads_when_needed(build, reseller):
    sim = reseller(many(2))
    client = build(sim)
    first = client.as_sent(1000)  # never read: one GET
    assert first == asset(1000) and len(entries(sim, "GET")) == 1
    first["Name"] = "changed locally"
    assert client.as_sent(1000)["Name"] == "Asset 1000"  # a copy each time, no new GET
    assert len(entries(sim, "GET")) == 1
    client.list_assets([("Status", 15)])  # list items are remembered too
    # the server's copy changes behind the client's back (at the latest, just before the next read of it)
    sim.add_faults({"method": "GET", "path": ASSETS_PATH + "1001", "kind": "mutate", "action": "update_asset", "assetId": 1001,
                    "fields": {"Name": "changed on the server"}})
    assert client.as_sent(1001)["Name"] == "Asset 1001" and len(entries(sim, "GET")) == 2
    client.get_asset(1001)
    assert client.as_sent(1001)["Name"] == "changed on the server"


def test_a_read_only_client_may_still_log_in_and_read(build, reseller):
    sim = reseller(many(1))
    assert build(sim).get_asset(1000).id == 1000
    assert len(logins(sim)) == 1


def test_credentials_repr_hides_secrets():
    text = repr(Credentials(client_id="client-7f3a", client_secret="client-SECRET-9d2e41", username="ops@example.test",
                            password="pass-SECRET-b81c07"))
    assert "client-SECRET-9d2e41" not in text and "pass-SECRET-b81c07" not in text
    assert "static-TOKEN-51aa" not in repr(Credentials(access_token="static-TOKEN-51aa"))


def test_a_token_answer_without_an_access_token_is_a_clear_api_error(build, reseller):
    sim = reseller(many(1))
    fault(sim, "POST", TOKEN_PATH, status=200, body={"token": "SECRET-TOKEN-zz", "ExpiresIn": 5})
    with pytest.raises(ApiError) as caught:
        build(sim).get_asset(1000)
    assert_no_secret(sim, caught.value, "SECRET-TOKEN-zz")
