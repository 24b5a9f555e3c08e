"""The Apple client against the simulator (in-process): limits cache, pacing, the parallel page walker, read strategies.

Each test seeds a location of its own (``apple`` in conftest.py) and checks what the client did in the
simulator's request log; the simulator's settings and fault rules make it change data under a walk,
throttle, or ignore filters.
"""
from __future__ import annotations

import json
import os
import stat
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError, RequestPacer
from ansible_collections.assetops.licensing.plugins.module_utils.errors import WriteBlockedError
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import paging, reads
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.client import PACING_SAFETY, VppClient
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.limits import LimitsCache
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import AssetsPage, Assignment, AssignmentsPage
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.token import parse_stoken
from tests.simulator.core import DEFAULT_LIMITS
from tests.utils.inprocess import BASE_URL
from tests.utils.stokens import INNER_TOKEN, make_stoken
from tests.utils.vpp_seeds import LOCATION, LOCATION_UID, asset, assignment

API_URL = BASE_URL + "/mdm/v2"
OTHER_API_URL = "https://other.example.test/mdm/v2"
TOKEN = make_stoken()  # the seeded location's sToken
CONFIG, ASSETS, ASSIGNMENTS = "/mdm/v2/service/config", "/mdm/v2/assets", "/mdm/v2/assignments"
NO_LIMITS = {name: None for name in DEFAULT_LIMITS}  # /service/config without any limit


class Clock:
    def __init__(self, now=1_700_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def build(tmp_path, monkeypatch):
    """build(sim, ...) -> VppClient talking to the simulator, with a private limits cache and no real sleeping."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)  # httpx honours them (trust_env): keep them from bypassing the transport
    made = []

    def make(sim, warnings=None, clock=None, api_url=API_URL, read_only=True, cache_dir=None, retries=2, sleeps=None, token=None):
        cache = LimitsCache(api_url, directory=str(cache_dir or tmp_path), clock=clock or Clock())
        client = VppClient(parse_stoken(token or TOKEN), api_url=api_url, retries=retries,
                           warn=warnings.append if warnings is not None else None, read_only=read_only,
                           limits_cache=cache, httpx_transport=sim.transport(),
                           sleep=sleeps.append if sleeps is not None else (lambda seconds: None))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def many_assets(count, pricing=("STDQ",)):
    return [asset(str(1000 + number), pricing=p) for number in range(count) for p in pricing]


def config_reads(sim):
    return len(sim.queries(CONFIG))


def page_requests(sim, path, index):
    return sum(1 for params in sim.queries(path) if int(params.get("pageIndex", 0)) == index)


# -- limits ---------------------------------------------------------------------------------------


def test_limits_read_once_and_shared_through_the_cache(build, apple, tmp_path):
    sim = apple(many_assets(4), pageSize=10, limits=dict(maxAssets=20, maxRequestPerSecond=4))
    first = build(sim)
    assert first.limits().max_assets == 20
    reads.find_assets(first)
    reads.find_assets(first, ["1001"])
    assert first.limits().max_assets == 20
    assert config_reads(sim) == 1
    second = build(sim)  # another task of the same run
    assert second.limits().max_assets == 20
    assert second.transport.pacer.interval == pytest.approx(PACING_SAFETY / 4)
    assert config_reads(sim) == 1


def test_service_config_needs_no_token_and_the_outer_token_is_sent(build, apple):
    sim = apple(many_assets(2))
    reads.find_assets(build(sim))
    auth = {request.url.path: request.headers.get("authorization") for request in sim.sent()}
    assert auth[CONFIG] is None
    assert auth[ASSETS] == "Bearer " + TOKEN
    assert all(INNER_TOKEN not in (request.headers.get("authorization") or "") for request in sim.sent())
    assert [entry["uId"] for entry in sim.log() if entry["path"] == ASSETS] == [LOCATION_UID]  # the simulator took it as the location's


def test_limits_file_is_private_and_holds_no_secret(build, apple, tmp_path):
    sim = apple(many_assets(2))
    client = build(sim)
    reads.find_assets(client)
    files = list((tmp_path / "assetops.licensing").iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "assetops.licensing").stat().st_mode) == 0o700
    content = files[0].read_text(encoding="utf-8")
    assert TOKEN not in content and INNER_TOKEN not in content and "Bearer" not in content
    cached = json.loads(content)
    assert cached["api_url"] == API_URL and cached["limits"]["maxRequestPerSecond"] == 15


def test_limits_expire_after_five_minutes(build, apple):
    sim = apple()
    clock = Clock()
    build(sim, clock=clock).limits()
    clock.now += 299
    build(sim, clock=clock).limits()
    assert config_reads(sim) == 1
    clock.now += 2  # 301 s after the read
    build(sim, clock=clock).limits()
    assert config_reads(sim) == 2
    clock.now += 100  # fresh again from the second read
    build(sim, clock=clock).limits()
    assert config_reads(sim) == 2
    clock.now -= 10_000  # a clock that went backwards does not trust the file
    build(sim, clock=clock).limits()
    assert config_reads(sim) == 3


def test_limits_cache_is_keyed_by_api_url(build, apple, tmp_path):
    sim = apple(limits={"maxAssets": 25, "maxRequestPerSecond": 15})
    other = apple(limits={"maxAssets": 3, "maxRequestPerSecond": 2})
    assert build(sim).limits().max_assets == 25
    assert build(other, api_url=OTHER_API_URL).limits().max_assets == 3
    assert build(sim).limits().max_assets == 25
    assert build(other, api_url=OTHER_API_URL).limits().max_assets == 3
    assert config_reads(sim) == 1 and config_reads(other) == 1
    assert len(list((tmp_path / "assetops.licensing").iterdir())) == 2


def test_limits_cache_refuses_a_file_for_another_url(tmp_path):
    clock = Clock()
    cache = LimitsCache("https://a.example.test", directory=str(tmp_path), clock=clock)
    cache.save({"maxAssets": 1})
    assert cache.load() == {"maxAssets": 1}
    with open(cache.path, "w", encoding="utf-8") as handle:
        json.dump({"api_url": "https://b.example.test", "fetched_at": clock.now, "limits": {"maxAssets": 1}}, handle)
    assert cache.load() is None


@pytest.mark.parametrize("content", ["not json", "[]", '{"api_url": "%s", "fetched_at": 0}' % API_URL, ""])
def test_corrupt_cache_file_means_asking_apple_again(build, apple, tmp_path, content):
    sim = apple()
    cache = LimitsCache(API_URL, directory=str(tmp_path))
    os.makedirs(cache.directory, exist_ok=True)
    with open(cache.path, "w", encoding="utf-8") as handle:
        handle.write(content)
    assert build(sim).limits().max_assets == 25
    assert config_reads(sim) == 1


def test_unwritable_cache_is_not_an_error(build, apple, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    sim = apple()
    client = build(sim, cache_dir=blocker)  # its "directory" is a file: saving fails quietly
    assert client.limits().max_assets == 25
    assert build(sim, cache_dir=blocker).limits().max_assets == 25
    assert config_reads(sim) == 2


# Simulator limit changes: a limit set to None is left out of /service/config.
@pytest.mark.parametrize("limits, interval", [({"maxRequestPerSecond": 5}, PACING_SAFETY / 5), ({"maxRequestPerSecond": None}, PACING_SAFETY / 15),
                                              (NO_LIMITS, PACING_SAFETY / 15), ({"maxRequestPerSecond": 40}, PACING_SAFETY / 40)],
                         ids=["5 per second", "maxRequestPerSecond missing", "no limits at all", "40 per second"])
def test_pacer_rate_from_max_request_per_second(build, apple, limits, interval):
    client = build(apple(limits=limits))
    client.limits()
    assert client.transport.pacer.interval == pytest.approx(interval)


def test_pacer_rate_from_the_cached_limits(build, apple):
    sim = apple(limits={"maxRequestPerSecond": 3})
    build(sim).limits()
    cached_client = build(sim)
    cached_client.limits()
    assert cached_client.transport.pacer.interval == pytest.approx(PACING_SAFETY / 3)
    assert config_reads(sim) == 1


def test_token_rejected_is_not_retried(build, apple):
    sim = apple()  # its location knows only TOKEN's inner token
    client = build(sim, token=make_stoken(inner="a-revoked-one"))
    with pytest.raises(ApiError) as caught:
        reads.find_assets(client)
    assert caught.value.error_number == 9622 and caught.value.status == 401
    assert len(sim.queries(ASSETS)) == 1


# -- a wrong api_url -----------------------------------------------------------------------------

CHECK_API_URL = "check api_url, it usually ends in /mdm/v2, as in https://vpp.itunes.apple.com/mdm/v2"


@pytest.mark.parametrize("api_url", [BASE_URL, BASE_URL + "/mdm", BASE_URL + "/api/v1"])  # /api/v1: the reseller half's JSON 404
def test_an_api_url_without_mdm_v2_names_the_url_that_answered_404(build, apple, api_url):
    sim = apple([asset("1000")])
    with pytest.raises(ApiError) as caught:
        reads.find_assets(build(sim, api_url=api_url, token=TOKEN), ["1000"])
    error = caught.value
    assert error.message == "Apple's API answered HTTP 404 (no such endpoint) for GET {0}/service/config: {1} (given: {0})".format(
        api_url, CHECK_API_URL)
    assert error.to_dict()["status"] == 404 and error.details["url"] == api_url + "/service/config"
    assert [(entry["path"], entry["status"]) for entry in sim.log()] == [(urlsplit(api_url).path + "/service/config", 404)]  # not retried
    shown = error.message + json.dumps(error.to_dict())
    assert TOKEN not in shown and INNER_TOKEN not in shown


def test_a_404_of_an_authenticated_read_names_its_url_without_the_query(build, apple, tmp_path):
    sim = apple([asset("1000")])
    build(sim, cache_dir=tmp_path).limits()  # the limits are cached, so the first request of the next client is GET /assets
    sim.add_faults({"method": "GET", "path": ASSETS, "kind": "status", "status": 404})
    with pytest.raises(ApiError) as caught:
        reads.find_assets(build(sim, cache_dir=tmp_path), ["1000"])
    assert caught.value.message == "Apple's API answered HTTP 404 (no such endpoint) for GET {0}/assets: {1} (given: {0})".format(
        API_URL, CHECK_API_URL)
    assert sim.queries(ASSETS) == [{"adamId": "1000"}] and config_reads(sim) == 1


def test_a_404_with_apples_error_body_keeps_apples_meaning(build, apple):
    sim = apple([asset("1000")])
    sim.add_faults({"method": "GET", "path": ASSETS, "kind": "status", "status": 404, "errorNumber": 9602})
    with pytest.raises(ApiError) as caught:
        reads.find_assets(build(sim), ["1000"])
    assert caught.value.error_number == 9602 and caught.value.message.startswith("Apple rejected an argument")


# -- writes ---------------------------------------------------------------------------------------


def test_read_only_client_refuses_writes(build, apple):
    sim = apple([asset("1")])
    client = build(sim)
    assert client.read_only is True
    with pytest.raises(WriteBlockedError, match="/assets/associate"):
        client.post("/assets/associate", {"assets": [{"adamId": "1", "pricingParam": "STDQ"}], "serialNumbers": ["S"]})
    assert sim.log() == [] and sim.sent() == []  # nothing at all went out


def test_write_client_posts_json_with_the_token(build, apple):
    sim = apple([asset("1")])
    body = {"assets": [{"adamId": "1", "pricingParam": "STDQ"}], "serialNumbers": ["S"]}
    event_id = build(sim, read_only=False).post("/assets/associate", body)["eventId"]
    assert [event["eventId"] for event in sim.location_state(LOCATION)["events"]] == [event_id]  # the event it made
    assert [(entry["path"], entry["body"]) for entry in sim.writes()] == [("/mdm/v2/assets/associate", body)]
    assert [request.headers.get("authorization") for request in sim.sent() if request.method == "POST"] == ["Bearer " + TOKEN]


# -- the walker ---------------------------------------------------------------------------------


def test_walk_reads_every_page_once_in_order(build, apple):
    sim = apple(many_assets(40), pageSize=3)
    items = paging.walk(build(sim), "/assets", [{}], AssetsPage)
    assert [item.adam_id for item in items] == [str(1000 + number) for number in range(40)]
    assert sorted(int(params.get("pageIndex", 0)) for params in sim.queries(ASSETS)) == list(range(14))
    assert "pageIndex" not in sim.queries(ASSETS)[0]  # the first page is asked without pageIndex


def test_walk_passes_the_filters_on_every_page(build, apple):
    sim = apple(many_assets(20, pricing=("STDQ", "PLUS")), pageSize=4)
    items = paging.walk(build(sim), "/assets", [{"pricingParam": "PLUS"}], AssetsPage)
    assert len(items) == 20 and {item.pricing_param for item in items} == {"PLUS"}
    assert all(params["pricingParam"] == "PLUS" for params in sim.queries(ASSETS))


def test_walk_never_has_more_than_five_requests_in_flight(build, apple):
    sim = apple(many_assets(60), pageSize=3, latencyMs=10)  # each request stays in flight 10 ms
    items = paging.walk(build(sim), "/assets", [{}], AssetsPage)
    assert len(items) == 60
    assert 2 <= sim.summary()["peak_concurrency"] <= 5  # parallel, within Apple's rule


def test_parallel_keyed_walks_share_the_five_request_budget(build, apple):
    records = [assignment(str(adam), serial="S{0:03d}".format(n)) for adam in range(8) for n in range(12)]
    sim = apple(assignments=records, pageSize=4, latencyMs=5)
    client = build(sim)
    # eight keyed walks of three pages each, side by side
    found = paging.walk(client, "/assignments", [{"adamId": str(adam)} for adam in range(8)], AssignmentsPage)
    assert len(found) == 96
    assert 2 <= sim.summary()["peak_concurrency"] <= 5


def test_walk_follows_total_pages_growing_mid_walk(build, apple):
    sim = apple(many_assets(9), pageSize=3)
    # before the second page is answered nine assets are bought (3 pages -> 6), and the versionId does not show it
    sim.add_faults({"method": "GET", "path": ASSETS, "after": 1, "kind": "mutate", "action": "add_assets", "count": 9, "keepVersion": True})
    items = paging.walk(build(sim), "/assets", [{}], AssetsPage)
    assert len(items) == 18 and len({item.adam_id for item in items}) == 18
    indexes = sorted(int(params.get("pageIndex", 0)) for params in sim.queries(ASSETS))
    assert indexes == [0, 1, 2, 3, 4, 5]


def test_walk_follows_next_page_index_beyond_total_pages(build, apple):
    sim = apple(many_assets(9), pageSize=3, hideTotalPages=True)  # every page under-reports totalPages but points on
    assert len(paging.walk(build(sim), "/assets", [{}], AssetsPage)) == 9


def test_walk_stops_cleanly_when_the_set_shrinks_and_walks_again(build, apple):
    sim = apple(many_assets(15), pageSize=3)  # 5 pages
    # after page 0, the last six assets go (3 pages: pages 3 and 4 are now out of range)
    sim.add_faults({"method": "GET", "path": ASSETS, "after": 1, "kind": "mutate", "action": "remove_assets", "count": 6})
    warnings = []
    items = paging.walk(build(sim, warnings=warnings), "/assets", [{}], AssetsPage)
    assert [item.adam_id for item in items] == [str(1000 + n) for n in range(9)]
    assert page_requests(sim, ASSETS, 0) == 2  # walked again after the 9650
    assert page_requests(sim, ASSETS, 3) == 1 and page_requests(sim, ASSETS, 4) == 1
    assert warnings == []


def test_walk_repeats_when_the_version_changes(build, apple):
    sim = apple(many_assets(12), pageSize=3)
    sim.add_faults({"method": "GET", "path": ASSETS, "after": 1, "kind": "mutate", "action": "bump_version"})  # once, after page 0
    warnings = []
    items = paging.walk(build(sim, warnings=warnings), "/assets", [{}], AssetsPage)
    assert len(items) == 12
    assert page_requests(sim, ASSETS, 0) == 2
    assert warnings == []


def test_walk_gives_up_after_three_walks_with_a_warning(build, apple):
    sim = apple(many_assets(12), pageSize=3)
    sim.add_faults({"method": "GET", "path": ASSETS, "kind": "mutate", "action": "bump_version", "times": None})  # every page
    warnings = []
    items = paging.walk(build(sim, warnings=warnings), "/assets", [{}], AssetsPage)
    assert len(items) == 12  # the last walk's records
    assert page_requests(sim, ASSETS, 0) == paging.MAX_WALKS == 3
    assert len(warnings) == 1 and "/assets" in warnings[0] and "3 attempts" in warnings[0]


def test_walk_raises_other_errors(build, apple):
    sim = apple(many_assets(30), pageSize=3)
    sim.add_faults({"method": "GET", "path": ASSETS, "after": 4, "kind": "status", "status": 400, "errorNumber": 9602})
    with pytest.raises(ApiError) as caught:
        paging.walk(build(sim), "/assets", [{}], AssetsPage)
    assert caught.value.error_number == 9602 and caught.value.path == "/assets"


def test_walk_retries_a_throttled_page(build, apple):
    sim = apple(many_assets(9), pageSize=3)
    sim.add_faults({"method": "GET", "path": ASSETS, "after": 2, "kind": "status", "status": 429, "errorNumber": 9646, "retryAfter": "3"})
    sleeps, warnings = [], []
    items = paging.walk(build(sim, sleeps=sleeps, warnings=warnings), "/assets", [{}], AssetsPage)
    assert len(items) == 9 and 3.0 in sleeps
    assert len(warnings) == 1 and "retry 1 of 2" in warnings[0]


THROTTLED_HINT = ("the likely cause is several processes using this location at once, such as a task run once per host with forks, "
                  "or another controller or job slice: make one batched call (vpp_assignment with assignments, or the "
                  "device_onboarding role), or use fewer forks")


def test_the_first_429_warning_of_a_task_names_the_likely_cause_and_the_fix(build, apple):
    sim = apple(many_assets(9), pageSize=3)
    sim.add_faults({"method": "GET", "path": ASSETS, "after": 2, "kind": "status", "status": 429, "errorNumber": 9646, "count": 2})
    warnings = []
    assert len(paging.walk(build(sim, warnings=warnings, retries=3), "/assets", [{}], AssetsPage)) == 9
    assert [entry["status"] for entry in sim.log() if entry["path"] == ASSETS].count(429) == 2
    first, second = warnings
    assert first.startswith("GET /assets: too many requests to Apple for this location (Apple error 9646); retry 1 of 3 in ")
    assert first.endswith("; " + THROTTLED_HINT) and "\n" not in first
    for words in ("once per host with forks", "vpp_assignment with assignments", "device_onboarding role", "fewer forks"):
        assert words in first
    assert "retry 2 of 3" in second and THROTTLED_HINT not in second  # said once: the next warnings stay short


def test_giving_up_on_apples_rate_limit_names_the_likely_cause(build, apple):
    """The simulator's own limiter (one request a second), and a client that does not share the location's pace."""
    sim = apple(many_assets(9), pageSize=3, rateLimit=True, limits={"maxRequestPerSecond": 1})
    sim.use_clock(Clock(), lambda seconds: None)  # every request in the same second
    with pytest.raises(ApiError) as caught:
        paging.walk(build(sim, retries=0), "/assets", [{}], AssetsPage)
    assert caught.value.status == 429 and caught.value.error_number == 9646
    assert caught.value.message == "too many requests to Apple for this location (Apple error 9646) (gave up after 0 retries); " + THROTTLED_HINT


def test_a_429_asking_to_wait_longer_than_the_task_has_names_the_likely_cause_too(build, apple):
    sim = apple(many_assets(3))
    sim.add_faults({"method": "GET", "path": ASSETS, "kind": "status", "status": 429, "errorNumber": 9646, "retryAfter": "900"})
    with pytest.raises(ApiError) as caught:  # over the ten minutes a task waits at most without wait_timeout
        reads.find_assets(build(sim), ["1000"])
    assert "the server asks to wait 900 s, more than this task has left: run it again after " in caught.value.message
    assert caught.value.message.endswith(" UTC; " + THROTTLED_HINT)


def test_a_429_widens_the_pacing_for_the_rest_of_the_run(build, apple):
    sim = apple(many_assets(9), pageSize=3)
    sim.add_faults({"method": "GET", "path": ASSETS, "after": 2, "kind": "status", "status": 429, "errorNumber": 9646})  # no Retry-After
    client = build(sim)
    before = client.transport.pacer.interval
    assert len(paging.walk(client, "/assets", [{}], AssetsPage)) == 9
    assert client.transport.pacer.interval == pytest.approx(before * 1.25)


def test_the_pacer_widens_at_most_to_twice_its_start():
    pacer = RequestPacer(15, sleep=lambda seconds: None, safety=PACING_SAFETY)
    assert pacer.interval == pytest.approx(PACING_SAFETY / 15)
    for _number in range(10):
        pacer.throttled()
    assert pacer.interval == pytest.approx(2 * PACING_SAFETY / 15)
    pacer.set_rate(5)  # fresh limits keep the widened spacing
    assert pacer.interval == pytest.approx(2 * PACING_SAFETY / 5)


def test_walk_of_an_empty_location(build, apple):
    sim = apple([])
    assert paging.walk(build(sim), "/assets", [{}], AssetsPage) == []
    assert len(sim.queries(ASSETS)) == 1


# -- find_assets ------------------------------------------------------------------------------


def test_find_assets_one_adam_id_asks_for_it_directly(build, apple):
    sim = apple(many_assets(60, pricing=("STDQ", "PLUS")), pageSize=3)
    found = reads.find_assets(build(sim), ["1007"])
    assert [item.key for item in found] == [("1007", "PLUS"), ("1007", "STDQ")]
    assert sim.queries(ASSETS) == [{"adamId": "1007"}]


def test_find_assets_small_location_is_one_walk(build, apple):
    sim = apple(many_assets(20), pageSize=100)
    found = reads.find_assets(build(sim), ["1003", "1011", "1019", "9999"])
    assert [item.adam_id for item in found] == ["1003", "1011", "1019"]
    assert sim.queries(ASSETS) == [{}]


def test_find_assets_large_location_uses_keyed_queries(build, apple):
    sim = apple(many_assets(60), pageSize=3)  # 20 pages
    found = reads.find_assets(build(sim), ["1003", "1011", "1059"])
    assert [item.adam_id for item in found] == ["1003", "1011", "1059"]
    requests = sim.queries(ASSETS)
    assert len(requests) == 4  # the probe plus three keyed queries, not 20 pages
    assert requests[0] == {}
    assert sorted(params["adamId"] for params in requests[1:]) == ["1003", "1011", "1059"]


def test_find_assets_with_pricing_settles_ids_seen_on_the_probe(build, apple):
    sim = apple(many_assets(60), pageSize=3)
    found = reads.find_assets(build(sim), ["1001", "1040", "1050"], pricing_param="STDQ")
    assert [item.adam_id for item in found] == ["1001", "1040", "1050"]
    keyed = sorted(params["adamId"] for params in sim.queries(ASSETS) if "adamId" in params)
    assert keyed == ["1040", "1050"]  # 1001 was on page 0
    assert all(params["pricingParam"] == "STDQ" for params in sim.queries(ASSETS))


def test_find_assets_walk_when_it_is_cheaper_than_the_keys(build, apple):
    sim = apple(many_assets(12), pageSize=3)  # 4 pages: 3 more vs 5 keyed
    ids = ["1000", "1003", "1006", "1009", "1011"]
    assert [item.adam_id for item in reads.find_assets(build(sim), ids)] == ids
    assert len(sim.queries(ASSETS)) == 4
    assert all("adamId" not in params for params in sim.queries(ASSETS))


def test_find_assets_filters_locally_even_if_apple_ignores_them(build, apple):
    records = [asset("1", "STDQ", "App"), asset("2", "PLUS", "App"), asset("3", "STDQ", "Book", device_assignable=False, revocable=False),
               asset("4", "STDQ", "App", revocable=False)]
    sim = apple(records, pageSize=2, ignoreFilters=True)
    client = build(sim)
    assert [a.adam_id for a in reads.find_assets(client, pricing_param="STDQ")] == ["1", "3", "4"]
    assert [a.adam_id for a in reads.find_assets(client, product_type="Book")] == ["3"]
    assert [a.adam_id for a in reads.find_assets(client, device_assignable=True, revocable=True)] == ["1", "2"]
    assert [a.adam_id for a in reads.find_assets(client, revocable=False, pricing_param="STDQ")] == ["3", "4"]
    sent = sim.queries(ASSETS)
    assert {"revocable": "false", "pricingParam": "STDQ"}.items() <= sent[-1].items()


def test_find_assets_reports_unlimited_assets(build, apple):
    sim = apple([asset("1", unlimited=True), asset("2")], [assignment("1", serial="S{0}".format(n)) for n in range(5)], pageSize=5)
    found = {a.adam_id: a.unlimited for a in reads.find_assets(build(sim))}
    assert found == {"1": True, "2": False}


def test_find_assets_deduplicates_by_key(build, apple):
    sim = apple([asset("1"), asset("2")], pageSize=1, pageOverlap=1)  # page 1 repeats asset 1
    assert [a.adam_id for a in paging.walk(build(sim), "/assets", [{}], AssetsPage)] == ["1", "1", "2"]
    assert [a.key for a in reads.find_assets(build(sim))] == [("1", "STDQ"), ("2", "STDQ")]


asset_records = st.lists(
    st.builds(asset, adam_id=st.sampled_from(["1", "2", "3", "4", "5", "6"]), pricing=st.sampled_from(["STDQ", "PLUS"]),
              product=st.sampled_from(["App", "Book"]), device_assignable=st.booleans(), revocable=st.booleans()),
    max_size=25,
).map(lambda records: list({(r["adamId"], r["pricingParam"]): r for r in records}.values()))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=asset_records, page_size=st.integers(1, 6),
       adam_ids=st.one_of(st.none(), st.lists(st.sampled_from(["1", "2", "3", "4", "5", "6", "7"]), min_size=1, max_size=5, unique=True)),
       pricing=st.sampled_from([None, "STDQ", "PLUS"]), product=st.sampled_from([None, "App", "Book"]),
       revocable=st.sampled_from([None, True, False]))
def test_find_assets_equals_a_plain_filter(build, apple, records, page_size, adam_ids, pricing, product, revocable):
    with apple(records, pageSize=page_size) as sim:
        found = reads.find_assets(build(sim), adam_ids, pricing_param=pricing, product_type=product, revocable=revocable)
    expected = sorted(
        (r["adamId"], r["pricingParam"]) for r in records
        if (adam_ids is None or r["adamId"] in adam_ids) and pricing in (None, r["pricingParam"])
        and product in (None, r["productType"]) and revocable in (None, r["revocable"])
    )
    assert [a.key for a in found] == expected


# -- find_assignments ---------------------------------------------------------------------------


def assignment_set(assets=10, serials=30, users=10):
    records = [assignment(str(a), serial="S{0:02d}".format(s)) for a in range(assets) for s in range(serials) if (a + s) % 3 == 0]
    records += [assignment(str(a), "PLUS", user="u{0}".format(u)) for a in range(assets) for u in range(users) if (a + u) % 4 == 0]
    return records


def expected_assignments(records, adam_ids=None, serials=None, users=None, pricing=None):
    result = []
    for r in records:
        if adam_ids is not None and r["adamId"] not in adam_ids:
            continue
        if pricing is not None and r["pricingParam"] != pricing:
            continue
        if serials is not None or users is not None:
            if "serialNumber" in r and r["serialNumber"] not in (serials or ()):
                continue
            if "clientUserId" in r and r["clientUserId"] not in (users or ()):
                continue
        kind = Assignment.SERIAL if "serialNumber" in r else Assignment.USER
        result.append(Assignment(r["adamId"], r["pricingParam"], kind, r.get("serialNumber", r.get("clientUserId"))))
    return sorted(set(result))


def test_find_assignments_one_serial_is_one_keyed_query(build, apple):
    records = assignment_set()
    sim = apple(assignments=records, pageSize=5)
    found = reads.find_assignments(build(sim), serial_numbers=["S04"])
    assert found == expected_assignments(records, serials=["S04"]) and found
    assert sim.queries(ASSIGNMENTS) == [{"serialNumber": "S04"}]


def test_find_assignments_one_asset_narrows_the_target_queries(build, apple):
    records = assignment_set()
    sim = apple(assignments=records, pageSize=5)
    found = reads.find_assignments(build(sim), adam_ids=["2"], serial_numbers=["S01"], pricing_param="STDQ")
    assert found == expected_assignments(records, adam_ids=["2"], serials=["S01"], pricing="STDQ") and found
    assert sim.queries(ASSIGNMENTS) == [{"serialNumber": "S01", "adamId": "2", "pricingParam": "STDQ"}]


def test_find_assignments_small_location_is_one_walk(build, apple):
    records = assignment_set(assets=3, serials=6, users=2)
    sim = apple(assignments=records, pageSize=1000)
    found = reads.find_assignments(build(sim), serial_numbers=["S00", "S01", "S02"])
    assert found == expected_assignments(records, serials=["S00", "S01", "S02"])
    assert sim.queries(ASSIGNMENTS) == [{}]


def test_find_assignments_large_location_uses_per_target_queries(build, apple):
    records = assignment_set()
    sim = apple(assignments=records, pageSize=3)  # dozens of pages
    found = reads.find_assignments(build(sim), serial_numbers=["S01", "S02"], client_user_ids=["u1"])
    assert found == expected_assignments(records, serials=["S01", "S02"], users=["u1"])
    requests = sim.queries(ASSIGNMENTS)
    assert requests[0] == {}  # the probe
    keyed = sorted((p.get("serialNumber", ""), p.get("clientUserId", "")) for p in requests[1:] if "pageIndex" not in p)
    assert keyed == [("", "u1"), ("S01", ""), ("S02", "")]
    assert len(requests) < 10


def test_find_assignments_serials_and_users_are_a_union(build, apple):
    records = assignment_set()
    sim = apple(assignments=records, pageSize=7)
    found = reads.find_assignments(build(sim), serial_numbers=["S03"], client_user_ids=["u2"])
    kinds = {item.target_kind for item in found}
    assert kinds == {Assignment.SERIAL, Assignment.USER}
    assert {item.target_id for item in found} == {"S03", "u2"}
    assert found == expected_assignments(records, serials=["S03"], users=["u2"])


def test_find_assignments_one_asset_narrows_each_target_query(build, apple):
    records = assignment_set()
    sim = apple(assignments=records, pageSize=4)
    serials = ["S00", "S03", "S06"]
    found = reads.find_assignments(build(sim), adam_ids=["0"], serial_numbers=serials)
    assert found == expected_assignments(records, adam_ids=["0"], serials=serials) and found
    keyed = [params for params in sim.queries(ASSIGNMENTS) if "serialNumber" in params]
    assert sorted(params["serialNumber"] for params in keyed) == serials
    assert all(params.get("adamId") == "0" for params in keyed)


def test_find_assignments_per_asset_without_targets(build, apple):
    records = assignment_set()
    sim = apple(assignments=records, pageSize=1000)
    found = reads.find_assignments(build(sim), adam_ids=["0", "2"])
    assert found == expected_assignments(records, adam_ids=["0", "2"]) and found
    # one page holds everything: the probe page is the whole walk
    assert len(sim.queries(ASSIGNMENTS)) == 1


@pytest.mark.parametrize("filters", [
    {"adam_ids": []},
    {"serial_numbers": []},
    {"serial_numbers": [], "client_user_ids": []},
    {"adam_ids": [], "serial_numbers": ["S00"]},
])
def test_find_assignments_empty_list_matches_nothing_without_requests(build, apple, filters):
    sim = apple(assignments=assignment_set(), pageSize=4)
    assert reads.find_assignments(build(sim), **filters) == []
    assert sim.queries(ASSIGNMENTS) == []


def test_find_assets_empty_list_matches_nothing_without_requests(build, apple):
    sim = apple(many_assets(4), pageSize=4)
    assert reads.find_assets(build(sim), adam_ids=[]) == []
    assert sim.queries(ASSETS) == []


def test_find_assignments_without_filters_walks(build, apple):
    records = assignment_set(assets=4, serials=10, users=4)
    sim = apple(assignments=records, pageSize=4)
    found = reads.find_assignments(build(sim))
    assert found == expected_assignments(records) and len(found) == len(records)
    assert all("serialNumber" not in p and "adamId" not in p for p in sim.queries(ASSIGNMENTS))


def test_find_assignments_filters_locally_even_if_apple_ignores_them(build, apple):
    records = assignment_set(assets=4, serials=10, users=6)
    sim = apple(assignments=records, pageSize=1000, ignoreFilters=True)
    client = build(sim)
    assert reads.find_assignments(client, serial_numbers=["S02"]) == expected_assignments(records, serials=["S02"])
    assert reads.find_assignments(client, adam_ids=["1", "3"], pricing_param="PLUS") == \
        expected_assignments(records, adam_ids=["1", "3"], pricing="PLUS")
    assert reads.find_assignments(client, client_user_ids=["u0", "u4"], adam_ids=["0"]) == \
        expected_assignments(records, users=["u0", "u4"], adam_ids=["0"])


def test_find_assignments_drops_repeated_records(build, apple):
    sim = apple(assignments=[assignment("1", serial="S1"), assignment("1", user="u")], pageSize=1, pageOverlap=1)  # page 1 repeats S1
    assert [item.target_id for item in paging.walk(build(sim), "/assignments", [{}], AssignmentsPage)] == ["S1", "S1", "u"]
    assert reads.find_assignments(build(sim)) == [Assignment("1", "STDQ", Assignment.USER, "u"),
                                                  Assignment("1", "STDQ", Assignment.SERIAL, "S1")]


assignment_records = st.lists(
    st.one_of(
        st.builds(assignment, st.sampled_from(["1", "2", "3"]), st.sampled_from(["STDQ", "PLUS"]),
                  serial=st.sampled_from(["S1", "S2", "S3", "S4"])),
        st.builds(assignment, st.sampled_from(["1", "2", "3"]), st.sampled_from(["STDQ", "PLUS"]),
                  user=st.sampled_from(["u1", "u2", "u3"])),
    ),
    max_size=30,
)


def maybe_list(values):
    return st.one_of(st.none(), st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=assignment_records, page_size=st.integers(1, 5), adam_ids=maybe_list(["1", "2", "3", "4"]),
       serials=maybe_list(["S1", "S2", "S3", "S9"]), users=maybe_list(["u1", "u2", "u9"]),
       pricing=st.sampled_from([None, "STDQ", "PLUS"]))
def test_find_assignments_equals_a_plain_filter(build, apple, records, page_size, adam_ids, serials, users, pricing):
    with apple(assignments=records, pageSize=page_size) as sim:  # a pair listed twice is held once
        found = reads.find_assignments(build(sim), adam_ids, serials, users, pricing)
    assert found == expected_assignments(records, adam_ids, serials, users, pricing)
