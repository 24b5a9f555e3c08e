"""The content metadata lookup and the icons: seeded names, custom apps behind the cookie, the request log."""
from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.simulator.metadata import LOOKUP_PATH, catalogue_from_seed
from tests.simulator.server import create_simulator
from tests.simulator.state import SeedError

QUERY = {"version": "2", "p": "mdm-lockup", "caller": "MDM", "platform": "volumestore", "cc": "us", "l": "en"}


def lookup(client: Any, adam_id: str, cookie: str | None = None, **changes: str) -> Any:
    headers = {"Cookie": f"itvt={cookie}"} if cookie is not None else {}
    return client.get(LOOKUP_PATH, params={**QUERY, "id": adam_id, **changes}, headers=headers)


def test_service_config_names_the_lookup_on_the_same_host(client: Any) -> None:
    urls = client.get("/mdm/v2/service/config").json()["urls"]
    assert urls["contentMetadataLookup"] == "http://127.0.0.1" + LOOKUP_PATH


def test_public_app_answers_without_cookie_with_the_seeded_record(client: Any) -> None:
    answer = lookup(client, "361309726")
    assert answer.status_code == 200
    record = answer.json()["results"]["361309726"]
    assert (record["name"], record["bundleId"], record["artistName"]) == ("Pages", "com.apple.Pages", "Apple")
    assert record["offers"][0]["version"]["display"] == "14.2"
    assert record["isB2BCustomApp"] is False
    assert record["artwork"]["url"] == "http://127.0.0.1/artwork/361309726/{w}x{h}bb.{f}"
    assert record["deviceFamilies"] == ["iphone", "ipad"]


def test_book_has_no_bundle_id_and_is_an_ebook(client: Any) -> None:
    record = lookup(client, "1485035550").json()["results"]["1485035550"]
    assert record["kind"] == "ebook" and "bundleId" not in record


def test_unknown_id_and_asset_without_metadata_answer_empty_results(client: Any) -> None:
    for adam_id in ("999", "1000000002"):
        answer = lookup(client, adam_id)
        assert (answer.status_code, answer.json()) == (200, {"results": {}})


def test_custom_app_answers_only_to_the_cookie_of_a_location_holding_it(client: Any, tokens: dict[str, str]) -> None:
    assert lookup(client, "1000000003").json() == {"results": {}}
    assert lookup(client, "1000000003", cookie="garbage").json() == {"results": {}}
    assert lookup(client, "1000000003", cookie=tokens["Reclaim"]).json() == {"results": {}}  # another organisation's
    assert lookup(client, "1000000003", cookie=tokens["Expired"]).json() == {"results": {}}
    record = lookup(client, "1000000003", cookie=tokens["Main"]).json()["results"]["1000000003"]
    assert record["isB2BCustomApp"] is True and record["name"] == "Assetops Field Service"
    assert lookup(client, "909000001", cookie=tokens["Reclaim"]).json()["results"]["909000001"]["name"] == "Reclaim Kiosk"


@pytest.mark.parametrize("changes", [
    {"id": "361309726,361285480"}, {"id": "abc"}, {"p": "mdm-lookup"}, {"version": "1"}, {"caller": "X"},
    {"platform": "itunes"}, {"cc": "US"}, {"cc": "usa"}, {"l": ""},
])
def test_a_malformed_query_is_refused(client: Any, changes: dict[str, str]) -> None:
    answer = lookup(client, "361309726", **changes)
    assert answer.status_code == 400 and "bad lookup query" in answer.json()["errorMessage"]


def test_lookups_are_counted_and_the_cookie_is_never_logged(client: Any, tokens: dict[str, str]) -> None:
    client.delete("/_sim/log")
    for adam_id in ("361309726", "1000000003", "999"):
        lookup(client, adam_id, cookie=tokens["Main"])
    summary = client.get("/_sim/log/summary").json()
    assert summary["counts"] == {"GET " + LOOKUP_PATH: 3}
    log = client.get("/_sim/log").json()["entries"]
    assert [entry["query"]["id"] for entry in log] == ["361309726", "1000000003", "999"]
    assert tokens["Main"] not in json.dumps(log)
    assert tokens["Main"] not in json.dumps(client.get("/_sim/state").json())


def _png_size(content: bytes) -> tuple[int, int]:
    assert content[:8] == b"\x89PNG\r\n\x1a\n" and content[12:16] == b"IHDR"
    return struct.unpack(">II", content[16:24])


def test_icons_are_served_in_the_size_asked(client: Any) -> None:
    png = client.get("/artwork/361309726/64x48bb.png")
    assert (png.status_code, png.headers["content-type"]) == (200, "image/png")
    assert _png_size(png.content) == (64, 48) and len(png.content) < 2000
    assert client.get("/artwork/361309726/32x32bb.jpg").headers["content-type"] == "image/png"  # documented: PNG bytes
    svg = client.get("/artwork/1485035550/100x100bb.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and ">A</text>" in svg.text
    for path in ("/artwork/999/64x64bb.png", "/artwork/361309726/64x64bb.gif", "/artwork/361309726/5000x5000bb.png", "/artwork/361309726/big"):
        assert client.get(path).status_code == 404


def test_generated_assets_number_their_names(tmp_path: Path) -> None:
    seed = {"vpp": {"locations": [{"name": "G", "uId": "1", "token": {"token": "g"}, "generate": {"assets": [
        {"count": 3, "adamIdStart": 500, "totalCount": 5, "metadata": {"name": "Bulk App"}}]}}]}}
    catalogue = catalogue_from_seed(seed)
    assert [catalogue[str(number)].name for number in (500, 501, 502)] == ["Bulk App 1", "Bulk App 2", "Bulk App 3"]
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed), encoding="utf-8")
    assert create_simulator(path) is not None


@pytest.mark.parametrize("metadata", [{}, {"name": ""}, {"name": "X", "colour": "#fff"}, "Pages"])
def test_a_bad_metadata_block_is_a_seed_error(metadata: Any) -> None:
    with pytest.raises(SeedError):
        catalogue_from_seed({"vpp": {"locations": [{"token": {"token": "t"}, "assets": [{"adamId": "1", "metadata": metadata}]}]}})
