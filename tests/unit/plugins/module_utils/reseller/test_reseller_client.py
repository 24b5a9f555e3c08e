"""The reseller client against an in-memory reseller platform: OAuth, token reuse and refresh, paging, retries, writes."""
from __future__ import annotations

import base64
import decimal
import json

import httpx
import pytest

from ansible_collections.assetops.licensing.plugins.module_utils.errors import WriteBlockedError
from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError
from ansible_collections.assetops.licensing.plugins.module_utils.reseller import client as client_module
from ansible_collections.assetops.licensing.plugins.module_utils.reseller.client import Credentials, ResellerClient
from fake_reseller import (
    API_URL,
    ASSETS_PATH,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    STATIC_TOKEN,
    TOKEN_PATH,
    USERNAME,
    FakeReseller,
    asset,
    error,
    json_response,
    loads,
    tags,
)

D = decimal.Decimal
PASSWORD_GRANT = Credentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, username=USERNAME, password=PASSWORD)
SECRETS = (CLIENT_SECRET, PASSWORD, STATIC_TOKEN, base64.b64encode("{0}:{1}".format(CLIENT_ID, CLIENT_SECRET).encode()).decode())


@pytest.fixture
def build(monkeypatch):
    """build(fake, ...) -> ResellerClient talking to the fake; sleeps recorded, never slept."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)  # httpx honours them (trust_env): keep them from bypassing the mock
    made = []

    def make(fake, credentials=PASSWORD_GRANT, warnings=None, sleeps=None, read_only=True, retries=3):
        client = ResellerClient(credentials, api_url=API_URL, retries=retries, read_only=read_only,
                                warn=warnings.append if warnings is not None else None, httpx_transport=fake.transport(),
                                sleep=sleeps.append if sleeps is not None else (lambda seconds: None))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def many(count, **fields):
    return [asset(1000 + number, **fields) for number in range(count)]


def assert_no_secret(error, *also):
    text = " ".join([str(error), error.message, json.dumps(error.to_dict(), default=str), repr(error.args)])
    for secret in SECRETS + also:
        assert secret not in text


# -- login ---------------------------------------------------------------------------------------


def test_login_is_the_password_grant_with_basic_client_auth(build):
    fake = FakeReseller(many(1))
    build(fake).get_asset(1000)
    (login,) = fake.logins()
    assert login.auth == "Basic " + base64.b64encode(b"client-7f3a:client-SECRET-9d2e41").decode()
    assert login.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert login.form() == {"grant_type": ["password"], "username": [USERNAME], "password": [PASSWORD], "scope": ["CustomerApi"]}
    (read,) = fake.requests("GET")
    assert read.auth == "Bearer issued-TOKEN-1"
    assert read.headers["accept"] == "application/json"


def test_the_token_is_reused_across_requests(build):
    fake = FakeReseller(many(3))
    client = build(fake)
    client.get_asset(1000)
    client.list_assets([("Status", 15)])
    client.get_asset(1001)
    assert len(fake.logins()) == 1
    assert {entry.auth for entry in fake.requests("GET")} == {"Bearer issued-TOKEN-1"}


def test_no_request_before_it_is_needed(build):
    fake = FakeReseller(many(1))
    build(fake)
    assert fake.log == []


def test_an_expired_token_means_one_new_login_and_a_retry(build):
    fake = FakeReseller(many(2))
    client = build(fake)
    client.get_asset(1000)
    fake.expire_tokens()
    assert client.get_asset(1001).id == 1001
    assert len(fake.logins()) == 2
    assert [entry.auth for entry in fake.requests("GET")] == ["Bearer issued-TOKEN-1", "Bearer issued-TOKEN-1",
                                                              "Bearer issued-TOKEN-2"]
    client.get_asset(1000)  # the new token is kept
    assert len(fake.logins()) == 2


def test_an_expired_token_during_a_write_is_refreshed_and_the_write_resent_once(build):
    fake = FakeReseller(many(1))
    client = build(fake, read_only=False)
    client.get_asset(1000)
    fake.expire_tokens()
    client.put_asset(1000, dict(asset(1000), Name="renamed"))
    assert len(fake.requests("PUT")) == 2 and len(fake.logins()) == 2
    assert fake.assets[1000]["Name"] == "renamed"


def test_a_second_401_after_logging_in_again_fails_clearly(build):
    fake = FakeReseller(many(1))
    fake.issue_bad_tokens = True
    with pytest.raises(ApiError) as caught:
        build(fake).get_asset(1000)
    assert len(fake.logins()) == 2 and len(fake.requests("GET")) == 2
    assert caught.value.status == 401
    assert "access token was refused" in caught.value.message and "logging in again did not help" in caught.value.message
    assert_no_secret(caught.value, "issued-TOKEN-1", "issued-TOKEN-2")


def test_an_access_token_is_used_as_given_without_login(build):
    fake = FakeReseller(many(2))
    client = build(fake, credentials=Credentials(access_token=STATIC_TOKEN))
    client.get_asset(1000)
    client.list_assets([])
    assert fake.logins() == []
    assert {entry.auth for entry in fake.log} == {"Bearer " + STATIC_TOKEN}


def test_a_refused_access_token_fails_without_login(build):
    fake = FakeReseller(many(1))
    with pytest.raises(ApiError) as caught:
        build(fake, credentials=Credentials(access_token="wrong-TOKEN")).get_asset(1000)
    assert fake.logins() == [] and len(fake.log) == 1
    assert caught.value.status == 401
    assert "the access token was refused" in caught.value.message and "access_token" in caught.value.message
    assert_no_secret(caught.value, "wrong-TOKEN")


@pytest.mark.parametrize("credentials, status, code", [
    (Credentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, username=USERNAME, password="wrong-PASS-1"), 400, "invalid_grant"),
    (Credentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, username="nobody", password=PASSWORD), 400, "invalid_grant"),
    (Credentials(client_id=CLIENT_ID, client_secret="wrong-SECRET-2", username=USERNAME, password=PASSWORD), 401, "invalid_client"),
    (Credentials(client_id="other", client_secret=CLIENT_SECRET, username=USERNAME, password=PASSWORD), 401, "invalid_client"),
])
def test_bad_credentials_fail_in_one_line_without_secrets(build, credentials, status, code):
    fake = FakeReseller(many(1))
    with pytest.raises(ApiError) as caught:
        build(fake, credentials=credentials).get_asset(1000)
    failure = caught.value
    assert len(fake.logins()) == 1 and fake.requests("GET") == []  # not retried, no API call
    assert failure.status == status and failure.error_code == code
    assert failure.message.startswith("reseller login failed ({0})".format(code))
    assert "\n" not in failure.message and str(failure) == failure.message
    assert_no_secret(failure, "wrong-PASS-1", "wrong-SECRET-2")


def test_login_without_an_error_code_names_the_status(build):
    fake = FakeReseller(many(1))
    fake.faults.append(("POST", TOKEN_PATH, httpx.Response(401)))
    with pytest.raises(ApiError) as caught:
        build(fake).get_asset(1000)
    assert caught.value.message.startswith("reseller login failed (HTTP 401)")
    assert_no_secret(caught.value)


def test_a_throttled_login_is_retried(build):
    fake = FakeReseller(many(1))
    fake.faults.append(("POST", TOKEN_PATH, json_response(429, {"Message": "slow down"}, {"Retry-After": "2"})))
    warnings, sleeps = [], []
    assert build(fake, warnings=warnings, sleeps=sleeps).get_asset(1000).id == 1000
    assert len(fake.logins()) == 2 and sleeps == [2.0]
    assert len(warnings) == 1 and "429" in warnings[0]
    assert all(secret not in warnings[0] for secret in SECRETS)


# -- errors --------------------------------------------------------------------------------------


def test_the_platform_error_body_is_reported(build):
    fake = FakeReseller(many(1))
    fake.faults.append(("GET", ASSETS_PATH, error(400, "InvalidFilter", "PageSize is too large",
                                                  Parameters={"PageSize": "1000"}, ObjectErrors=[{"Field": "PageSize"}])))
    with pytest.raises(ApiError) as caught:
        build(fake).list_assets([])
    failure = caught.value
    assert failure.status == 400 and failure.error_code == "InvalidFilter" and failure.error_message == "PageSize is too large"
    assert failure.message == "reseller API answered HTTP 400: PageSize is too large (InvalidFilter)"
    assert failure.details == {"parameters": {"PageSize": "1000"}, "objecterrors": [{"Field": "PageSize"}]}
    assert failure.to_dict()["method"] == "GET" and failure.to_dict()["path"] == ASSETS_PATH


def test_unknown_asset_is_none(build):
    fake = FakeReseller(many(1))
    assert build(fake).get_asset(4242) is None


@pytest.mark.parametrize("status", [429, 503])
def test_throttling_and_unavailability_are_retried_with_warnings(build, status):
    fake = FakeReseller(many(1))
    fake.faults += [("GET", ASSETS_PATH, error(status, "Busy", "try later"))] * 2
    warnings, sleeps = [], []
    assert build(fake, warnings=warnings, sleeps=sleeps).get_asset(1000).id == 1000
    assert len(fake.requests("GET")) == 3 and len(sleeps) == 2
    assert len(warnings) == 2 and all("HTTP {0}".format(status) in warning and "retry" in warning for warning in warnings)


def test_retries_give_up_with_a_clear_message(build):
    fake = FakeReseller(many(1))
    fake.faults += [("GET", ASSETS_PATH, error(503, "Busy", "try later"))] * 5
    sleeps = []
    with pytest.raises(ApiError) as caught:
        build(fake, sleeps=sleeps, retries=2).get_asset(1000)
    assert "gave up after 2 retries" in caught.value.message and len(sleeps) == 2


def test_a_throttled_write_is_resent(build):
    fake = FakeReseller(many(1))
    fake.faults.append(("PUT", ASSETS_PATH, error(429, "TooManyRequests", "slow down")))
    sleeps = []
    build(fake, read_only=False, sleeps=sleeps).put_asset(1000, dict(asset(1000), Name="x"))
    assert len(fake.requests("PUT")) == 2 and fake.assets[1000]["Name"] == "x" and len(sleeps) == 1


# -- list_assets ---------------------------------------------------------------------------------


def page_params(fake):
    return [(entry.param("Page"), entry.param("PageSize")) for entry in fake.requests("GET", ASSETS_PATH)]


def test_paging_starts_at_1_and_stops_at_total_hits(build):
    size = client_module.PAGE_SIZE
    fake = FakeReseller(many(2 * size))  # two full pages exactly: TotalHits, not an empty third page, ends it
    assets = build(fake).list_assets([("Status", 15)])
    assert [record.id for record in assets] == sorted(fake.assets)
    assert page_params(fake) == [(["1"], [str(size)]), (["2"], [str(size)])]


def test_paging_with_an_overstated_total_stops_at_the_empty_page(build):
    size = client_module.PAGE_SIZE
    # TotalHits overstated: a short page is no end (the server may cap PageSize), the empty one is
    fake = FakeReseller(many(size + 3), total_hits_override=10 ** 6)
    assert len(build(fake).list_assets([("Status", 15)])) == size + 3
    assert [page for page, _size in page_params(fake)] == [["1"], ["2"], ["3"]]


def test_paging_stops_at_an_empty_page(build):
    size = client_module.PAGE_SIZE
    fake = FakeReseller(many(size), total_hits_override=10 ** 6)
    assert len(build(fake).list_assets([("Status", 15)])) == size
    assert [page for page, _size in page_params(fake)] == [["1"], ["2"]]


def test_nothing_found_is_one_request(build):
    fake = FakeReseller([])
    assert build(fake).list_assets([("Status", 15)]) == []
    assert len(fake.requests("GET", ASSETS_PATH)) == 1


@pytest.mark.parametrize("count", [0, 1, 99, 100, 101, 250])
def test_a_bare_array_is_paged_too(build, count):
    size = client_module.PAGE_SIZE
    fake = FakeReseller(many(count), bare_array=True)
    assert [record.id for record in build(fake).list_assets([("Status", 15)])] == sorted(fake.assets)
    # a short first page may be a server's cap, so the next page is asked for before stopping
    expected = 2 if 0 < count < size else count // size + 1
    assert len(fake.requests("GET", ASSETS_PATH)) == expected


@pytest.mark.parametrize("count, cap", [(24, 5), (25, 5), (3, 5), (250, 40)])
def test_a_bare_array_from_a_server_capping_page_size_loses_nothing(build, count, cap):
    fake = FakeReseller(many(count), bare_array=True, page_size_cap=cap)
    assert [record.id for record in build(fake).list_assets([("Status", 15)])] == sorted(fake.assets)
    # full pages, then the short (or empty) one that ends it; a short first page is followed by an empty one
    expected = 2 if 0 < count < cap else count // cap + 1
    assert len(fake.requests("GET", ASSETS_PATH)) == expected


def test_camel_case_answers_are_read(build):
    fake = FakeReseller(many(3, Tags=None), camel_case=True)
    assets = build(fake).list_assets([("Status", 15)])
    assert [record.id for record in assets] == [1000, 1001, 1002]
    assert assets[0].to_result()["purchase_price"] == "1234.567890123456789012345"


def test_a_server_capping_page_size_still_yields_every_asset(build):
    fake = FakeReseller(many(45), page_size_cap=20)
    assert len(build(fake).list_assets([("Status", 15)])) == 45


def test_filters_go_into_the_query_with_repeated_keys(build):
    fake = FakeReseller(many(3) + [asset(7, ExternalOrderId="B"), asset(8, ExternalOrderId="A")])
    assets = build(fake).list_assets([("Status", 15), ("ResellerCustomerId", 501), ("ExternalOrderIds", "A"),
                                      ("ExternalOrderIds", "B")])
    assert [record.id for record in assets] == [7, 8]
    (request,) = fake.requests("GET", ASSETS_PATH)
    assert request.query == [("Status", "15"), ("ResellerCustomerId", "501"), ("ExternalOrderIds", "A"),
                             ("ExternalOrderIds", "B"), ("Page", "1"), ("PageSize", str(client_module.PAGE_SIZE))]


def test_endless_full_pages_are_refused(build, monkeypatch):
    monkeypatch.setattr(client_module, "MAX_PAGES", 3)
    fake = FakeReseller(many(1))
    full = [asset(number) for number in range(client_module.PAGE_SIZE)]
    fake.before = lambda entry: json_response(200, full) if entry.path == ASSETS_PATH else None
    with pytest.raises(ApiError, match="kept returning full pages"):
        build(fake).list_assets([])
    assert len(fake.requests("GET", ASSETS_PATH)) == 3


# -- writes --------------------------------------------------------------------------------------


def test_put_asset_sends_the_whole_object_with_exact_decimals(build):
    fake = FakeReseller(many(1))
    client = build(fake, read_only=False)
    client.get_asset(1000)
    body = client.as_sent(1000)
    assert body["PurchasePrice"] == D("1234.567890123456789012345") and isinstance(body["SalesPrice"], D)
    body["Name"] = "renamed"
    client.put_asset(1000, body)
    (put,) = fake.requests("PUT")
    assert put.path == ASSETS_PATH + "1000" and put.headers["content-type"] == "application/json"
    assert put.auth == "Bearer issued-TOKEN-1"
    assert b'"PurchasePrice":1234.567890123456789012345' in put.content and b'"SalesPrice":0.1' in put.content
    assert loads(put.content) == dict(asset(1000), Name="renamed")
    assert list(loads(put.content)) == list(asset(1000))  # every field, in the API's order


def test_write_tags_posts_when_the_asset_has_none_and_puts_when_it_has(build):
    fake = FakeReseller([asset(1, Tags=None), asset(2, Tags=tags(2, Owner="old"))])
    client = build(fake, read_only=False)
    client.write_tags(1, {"cost_center": "CC", "owner": "me"}, asset_has_tags=False)
    client.write_tags(2, {"project": "P"}, asset_has_tags=True)
    post, put = fake.writes()
    assert (post.method, post.path) == ("POST", ASSETS_PATH + "1/tags")
    assert post.json() == {"AssetId": 1, "CostCenter": "CC", "Department": None, "Project": None, "Custom": None, "Owner": "me"}
    assert (put.method, put.path) == ("PUT", ASSETS_PATH + "2/tags")
    assert put.json() == {"AssetId": 2, "CostCenter": None, "Department": None, "Project": "P", "Custom": None, "Owner": None}
    assert fake.assets[2]["Tags"] == tags(2, Project="P")


def test_delete_tags(build):
    fake = FakeReseller([asset(1, Tags=tags(1, Owner="x"))])
    build(fake, read_only=False).delete_tags(1)
    (delete,) = fake.writes()
    assert (delete.method, delete.path, delete.content) == ("DELETE", ASSETS_PATH + "1/tags", b"")
    assert fake.assets[1]["Tags"] is None


@pytest.mark.parametrize("call", [
    lambda client: client.put_asset(1000, asset(1000)),
    lambda client: client.write_tags(1000, {"owner": "x"}, asset_has_tags=False),
    lambda client: client.write_tags(1000, {"owner": "x"}, asset_has_tags=True),
    lambda client: client.delete_tags(1000),
    lambda client: client.request("POST", ASSETS_PATH),
])
def test_a_read_only_client_refuses_writes(build, call):
    fake = FakeReseller(many(1))
    client = build(fake)  # read_only is the default
    with pytest.raises(WriteBlockedError, match="read-only"):
        call(client)
    assert fake.writes() == []


def test_as_sent_is_a_copy_of_the_last_answer_and_reads_when_needed(build):
    fake = FakeReseller(many(2))
    client = build(fake)
    first = client.as_sent(1000)  # never read: one GET
    assert first == asset(1000) and len(fake.requests("GET")) == 1
    first["Name"] = "changed locally"
    assert client.as_sent(1000)["Name"] == "Asset 1000"  # a copy each time, no new GET
    assert len(fake.requests("GET")) == 1
    client.list_assets([("Status", 15)])  # list items are remembered too
    fake.assets[1001]["Name"] = "changed on the server"
    assert client.as_sent(1001)["Name"] == "Asset 1001" and len(fake.requests("GET")) == 2
    client.get_asset(1001)
    assert client.as_sent(1001)["Name"] == "changed on the server"


def test_a_read_only_client_may_still_log_in_and_read(build):
    fake = FakeReseller(many(1))
    assert build(fake).get_asset(1000).id == 1000
    assert len(fake.logins()) == 1


def test_credentials_repr_hides_secrets():
    text = repr(Credentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, username=USERNAME, password=PASSWORD))
    assert CLIENT_SECRET not in text and PASSWORD not in text
    assert STATIC_TOKEN not in repr(Credentials(access_token=STATIC_TOKEN))


def test_a_token_answer_without_an_access_token_is_a_clear_api_error(build):
    fake = FakeReseller(many(1))
    fake.faults.append(("POST", TOKEN_PATH, json_response(200, {"token": "SECRET-TOKEN-zz", "ExpiresIn": 5})))
    with pytest.raises(ApiError) as caught:
        build(fake).get_asset(1000)
    assert_no_secret(caught.value, "SECRET-TOKEN-zz")
