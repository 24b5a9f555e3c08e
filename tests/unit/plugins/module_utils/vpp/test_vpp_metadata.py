"""The metadata client and its disk cache, against the in-process simulator (lookups counted in its request log)."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List

import pytest

from ansible_collections.assetops.licensing.plugins.module_utils.vpp import metadata
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.app_info import app_info, asset_info
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.metadata import MetadataLookup, artwork_url, lookup_target
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.metadata_cache import HIT_TTL_SECONDS, MISS_TTL_SECONDS, MetadataCache
from tests.simulator.metadata import LOOKUP_PATH
from tests.utils.stokens import make_stoken
from tests.utils.vpp_seeds import asset, location_seed

LOOKUP = ("GET", LOOKUP_PATH)


class Clock:
    """Wall time for the cache, moved by the test."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def named(adam_id: str, name: str, product: str = "App", **more: Any) -> Dict[str, Any]:
    return dict(asset(adam_id, product=product), metadata=dict({"name": name, "version": "2.1"}, **more))


def lookups(sim: Any, since: int = 0) -> int:
    return sum(1 for request in sim.requests(since) if request == LOOKUP)


def last_seq(sim: Any) -> int:
    entries = sim.log()
    return entries[-1]["seq"] if entries else 0


@pytest.fixture
def cache_for(tmp_path: Path):
    def make(client: Any, clock: Any = None, directory: Any = None, warnings: List[str] = None) -> MetadataCache:
        url, _cookie = lookup_target(client)
        return MetadataCache(url, client.token.value, directory=str(directory or tmp_path / "cache"), clock=clock or Clock(),
                             warn=(warnings.append if warnings is not None else None))
    return make


def test_thirty_apps_thirty_lookups_cold_none_warm(apple, vpp_client, cache_for) -> None:
    sim = apple(assets=[named(str(1000 + number), "App {0}".format(number)) for number in range(30)])
    client = vpp_client(sim)
    ids = [str(1000 + number) for number in range(30)]
    clock = Clock()
    cold = MetadataLookup(client, "us", "volumestore", cache=cache_for(client, clock)).records(ids)
    assert lookups(sim) == 30 and [cold[adam_id]["name"] for adam_id in ids] == ["App {0}".format(number) for number in range(30)]
    since = last_seq(sim)
    warm = MetadataLookup(client, "us", "volumestore", cache=cache_for(client, clock)).records(ids)  # a new run, the same file
    assert lookups(sim, since) == 0 and warm == cold


def test_lookups_run_in_parallel_at_most_five_at_once(apple, vpp_client, cache_for) -> None:
    sim = apple(assets=[named(str(1000 + number), "App {0}".format(number)) for number in range(12)], latencyMs=40)
    client = vpp_client(sim)
    MetadataLookup(client, "us", "volumestore", cache=cache_for(client)).records([str(1000 + number) for number in range(12)])
    assert lookups(sim) == 12
    assert 2 <= sim.summary()["peak_concurrency"] <= 5


def test_one_id_per_request_with_the_documented_query(apple, vpp_client, cache_for) -> None:
    sim = apple(assets=[named("1001", "One"), named("1002", "Two")])
    client = vpp_client(sim)
    MetadataLookup(client, "DE", "enterprisestore", "de", cache=cache_for(client)).records(["1001", "1002", "1001"])
    queries = sim.queries(LOOKUP_PATH)
    assert sorted(query["id"] for query in queries) == ["1001", "1002"]
    assert all({key: value for key, value in query.items() if key != "id"} == {
        "version": "2", "p": "mdm-lockup", "caller": "MDM", "platform": "enterprisestore", "cc": "de", "l": "de"} for query in queries)


def test_hit_kept_24_hours_miss_one_hour(apple, vpp_client, cache_for) -> None:
    sim = apple(assets=[named("1001", "Kept")])
    client = vpp_client(sim)
    clock = Clock()

    def run(*ids: str) -> int:
        since = last_seq(sim)
        MetadataLookup(client, "us", "volumestore", cache=cache_for(client, clock)).records(list(ids))
        return lookups(sim, since)

    start = clock.now
    assert run("1001", "999") == 2
    clock.now = start + MISS_TTL_SECONDS - 60  # 59 minutes: both cached
    assert run("1001", "999") == 0
    clock.now = start + MISS_TTL_SECONDS  # one hour: the miss is asked again, the hit is not
    assert run("1001", "999") == 1
    clock.now = start + HIT_TTL_SECONDS - 60  # 23 h 59 min after the first answer
    assert run("1001") == 0
    clock.now = start + HIT_TTL_SECONDS  # 24 h
    assert run("1001") == 1


def test_cache_key_has_country_platform_and_language(apple, vpp_client, cache_for) -> None:
    sim = apple(assets=[named("1001", "Keyed")])
    client = vpp_client(sim)
    clock = Clock()
    for country, platform, language, expected in (("us", "volumestore", "en", 1), ("us", "volumestore", "en", 0), ("gb", "volumestore", "en", 1),
                                                  ("us", "enterprisestore", "en", 1), ("us", "volumestore", "fr", 1)):
        since = last_seq(sim)
        MetadataLookup(client, country, platform, language, cache=cache_for(client, clock)).records(["1001"])
        assert lookups(sim, since) == expected, (country, platform, language)


def test_cache_file_is_private_and_holds_no_secret(apple, vpp_client, cache_for, tmp_path) -> None:
    sim = apple(assets=[named("1001", "Private", customApp=True)])
    client = vpp_client(sim)
    cache = cache_for(client)
    records = MetadataLookup(client, "us", "volumestore", cache=cache).records(["1001"])
    assert records["1001"]["is_custom_app"] is True
    assert stat.S_IMODE(os.stat(cache.path).st_mode) == 0o600
    content = Path(cache.path).read_text(encoding="utf-8")
    assert client.token.value not in content and client.token.inner_token not in content and "itvt" not in content
    assert json.loads(content)["entries"]["1001|us|volumestore|en"]["record"]["name"] == "Private"


def test_cookie_is_a_header_per_request_and_opens_custom_apps(apple, vpp_client, cache_for) -> None:
    sim = apple(assets=[named("1001", "Ours", customApp=True)])
    client = vpp_client(sim)
    assert MetadataLookup(client, "us", "volumestore", cache=cache_for(client)).records(["1001"])["1001"]["name"] == "Ours"
    sent = [request for request in sim.sent() if request.url.path == LOOKUP_PATH]
    assert [request.headers.get("cookie") for request in sent] == ["itvt=" + client.token.value]
    assert all("authorization" not in request.headers for request in sent)
    assert client.token.value not in json.dumps(sim.log())
    other = vpp_client(sim, token=make_stoken(inner="another-location"))  # a token Apple does not know: no custom app
    assert MetadataLookup(other, "us", "volumestore", cache=cache_for(other)).records(["1001"]) == {"1001": None}


def test_cookie_stays_home_when_the_lookup_is_on_another_host(apple, vpp_client) -> None:
    client = vpp_client(apple())
    client.limits()
    client._urls[metadata.LOOKUP_URL_NAME] = "https://metadata.example.org/lookup"  # pylint: disable=protected-access
    assert lookup_target(client) == ("https://metadata.example.org/lookup", False)
    client._urls[metadata.LOOKUP_URL_NAME] = None  # pylint: disable=protected-access
    with pytest.raises(Exception, match="names no contentMetadataLookup URL"):
        lookup_target(client)


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'{"version": 1, "entries": {"1001|us|volumestore|en": "x"}}', b"\xff\xfe"])
def test_corrupted_cache_is_a_miss(apple, vpp_client, cache_for, content) -> None:
    sim = apple(assets=[named("1001", "Fine")])
    client = vpp_client(sim)
    warnings: List[str] = []
    cache = cache_for(client, warnings=warnings)
    os.makedirs(os.path.dirname(cache.path), exist_ok=True)
    Path(cache.path).write_bytes(content)
    assert MetadataLookup(client, "us", "volumestore", cache=cache).records(["1001"])["1001"]["name"] == "Fine"
    assert lookups(sim) == 1
    assert json.loads(Path(cache.path).read_text(encoding="utf-8"))["entries"]  # rewritten whole
    assert all(client.token.value not in warning for warning in warnings)


def test_unwritable_cache_warns_and_still_answers(apple, vpp_client, cache_for, tmp_path) -> None:
    sim = apple(assets=[named("1001", "Still")])
    client = vpp_client(sim)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    warnings: List[str] = []
    cache = cache_for(client, directory=blocker, warnings=warnings)
    assert MetadataLookup(client, "us", "volumestore", cache=cache).records(["1001"])["1001"]["name"] == "Still"
    assert len(warnings) == 1 and "cannot be written" in warnings[0]


def test_artwork_url_fills_the_template() -> None:
    assert artwork_url("https://is1.example/x/{w}x{h}bb.{f}") == "https://is1.example/x/512x512bb.png"
    assert artwork_url(None) is None


def test_app_info_takes_product_type_from_assets(apple, vpp_client, cache_for, tmp_path) -> None:
    seed = location_seed([named("1001", "An App"), named("2001", "A Book", product="Book")])
    seed["vpp"]["locations"].append({"name": "Other", "uId": "9", "token": {"token": "other-inner"},
                                     "assets": [named("3001", "Elsewhere")]})
    path = tmp_path / "two.json"
    path.write_text(json.dumps(seed), encoding="utf-8")
    from tests.utils.inprocess import InProcessSimulator  # pylint: disable=import-outside-toplevel
    sim = InProcessSimulator(path, rateLimit=False)
    try:
        client = vpp_client(sim)
        options = SimpleNamespace(adam_ids=["2001", "1001", "3001", "999"], country=None, language="en", check_mode=False)
        result = app_info(client, options, cache=cache_for(client))
        assert [(app["adam_id"], app["name"], app["product_type"]) for app in result["apps"]] == [
            ("2001", "A Book", "Book"), ("1001", "An App", "App"), ("3001", "Elsewhere", None)]
        assert result["missing_adam_ids"] == ["999"]
        assert set(result["apps"][0]) == {"adam_id", "name", "bundle_id", "version", "artwork_url", "is_custom_app", "platforms", "product_type"}
        assert sim.queries(LOOKUP_PATH)[0]["cc"] == "us"  # the location's countryISO2ACode, lower-cased
    finally:
        sim.close()


def test_check_mode_writes_no_cache_file(apple, vpp_client, cache_for) -> None:
    sim = apple(assets=[named("1001", "Checked")])
    client = vpp_client(sim)
    cache = cache_for(client)
    options = SimpleNamespace(adam_ids=["1001"], country="us", language="en", check_mode=True)
    assert app_info(client, options, cache=cache)["apps"][0]["name"] == "Checked"
    assert not os.path.exists(cache.path)


def test_asset_info_with_metadata_nulls_for_assets_without_record(apple, vpp_client, cache_for) -> None:
    sim = apple(assets=[named("1001", "Known"), asset("1002")])
    client = vpp_client(sim)
    options = SimpleNamespace(adam_ids=None, pricing_param=None, product_type=None, device_assignable=None, revocable=None,
                              include_metadata=True, check_mode=False)
    assets = {item["adam_id"]: item for item in asset_info(client, options, cache=cache_for(client))["assets"]}
    assert assets["1001"]["name"] == "Known" and assets["1001"]["is_custom_app"] is False
    assert {key: assets["1002"][key] for key in ("name", "bundle_id", "version", "artwork_url", "is_custom_app")} == dict.fromkeys(
        ("name", "bundle_id", "version", "artwork_url", "is_custom_app"))
    since = last_seq(sim)
    plain = asset_info(client, SimpleNamespace(**dict(vars(options), include_metadata=False)))
    assert "name" not in plain["assets"][0] and lookups(sim, since) == 0
