"""report: summary and assignment_cache, against the simulator (in-process).

A location of 2 apps x 60 devices at 10 assignments a page: a full read is 12 pages, a re-run with an
exact snapshot reads one assets page and one assignments page.
"""
from __future__ import annotations

import gzip
import json
import os
import stat
from types import SimpleNamespace

import pytest

from ansible_collections.assetops.licensing.plugins.module_utils.vpp import reads, writes
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import Assignment
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.reclaim import reclaim
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.snapshot import AssignmentSnapshot, clean_cache_path
from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError
from tests.utils.stokens import INNER_TOKEN, make_stoken
from tests.utils.vpp_seeds import LOCATION, LOCATION_UID, asset, assignment

TOKEN = make_stoken()
PREFIX = "/mdm/v2"
APPS = ("100", "200")
SERIALS = ["S{0:03d}".format(number) for number in range(60)]
EVERY_PAIR = [assignment(adam_id, serial=serial) for adam_id in APPS for serial in SERIALS]


def task(**options):
    return SimpleNamespace(**dict({"wait": True, "wait_timeout": 600, "poll_interval": 30, "resend_after": 600, "mdm_id": None,
                                   "check_mode": False, "report": "pairs", "diff": False}, **options))


def assign_task(**options):
    return task(**dict({"adam_ids": list(APPS), "pricing_param": "STDQ", "serial_numbers": list(SERIALS), "client_user_ids": None,
                        "assignments": None, "state": "present"}, **options))


@pytest.fixture
def site(apple):
    """site(held=EVERY_PAIR, **settings) -> a simulator of the location holding ``held``."""
    def make(held=EVERY_PAIR, **settings):
        return apple([asset(adam_id, total=1000) for adam_id in APPS], list(held), pageSize=10, eventSeconds=0, **settings)
    return make


@pytest.fixture
def client(vpp_client):
    """client(sim, cache=None) -> a client on the simulator; ``cache`` a path for assignment_cache. ``.warnings`` collects warnings."""
    def make(sim, cache=None, writable=True):
        warnings = []
        snapshot = AssignmentSnapshot(str(cache), writable=writable, warn=warnings.append) if cache else None
        made = vpp_client(sim, token=TOKEN, read_only=False, warn=warnings.append, assignment_cache=snapshot)
        made.warnings = warnings
        return made
    return make


def api_requests(sim, since=0):
    """The API requests after ``since`` other than /service/config (the limits are cached for five minutes)."""
    return [entry["path"][len(PREFIX):] for entry in sim.log(since) if not entry["path"].endswith("/service/config")]


def last_seq(sim):
    log = sim.log()
    return log[-1]["seq"] if log else 0


def snapshot_content(path):
    with gzip.open(str(path), "rt", encoding="utf-8") as stream:
        return json.load(stream)


# -- report: summary --------------------------------------------------------------------------------

def test_summary_gives_per_asset_counts_and_no_pair_list(site, client):
    sim = site(held=[])
    result = writes.assign(client(sim), assign_task(report="summary"))
    assert result["changed"] is True
    assert result["changes"] == [{"adam_id": adam_id, "pricing_param": "STDQ", "count": 60} for adam_id in APPS]
    assert result["changed_count"] == 120
    assert (result["failures"], result["failures_truncated"], result["error"]) == ([], 0, None)
    assert "diff" not in result  # without --diff no diff view is built
    assert len(sim.assignments(LOCATION)) == 120


def test_summary_counts_are_the_pairs_of_pairs_mode(site, client):
    pairs = writes.assign(client(site(held=EVERY_PAIR[::3])), assign_task())
    summary = writes.assign(client(site(held=EVERY_PAIR[::3])), assign_task(report="summary"))
    counted = {}
    for record in pairs["changes"]:
        counted[record["adam_id"]] = counted.get(record["adam_id"], 0) + 1
    assert {row["adam_id"]: row["count"] for row in summary["changes"]} == counted
    assert summary["changed_count"] == len(pairs["changes"]) == 80
    assert "changed_count" not in pairs and "failures_truncated" not in pairs


def test_summary_diff_counts_devices_per_asset(site, client):
    result = writes.assign(client(site(held=EVERY_PAIR[:60])), assign_task(report="summary", diff=True))
    assert result["diff"]["before"] == {"100 (STDQ)": "60 devices"}
    assert result["diff"]["after"] == {"100 (STDQ)": "60 devices", "200 (STDQ)": "60 devices"}
    assert result["diff"]["before_header"].startswith("assigned 60 pairs to 60 devices")


def test_summary_check_mode_predicts_counts(site, client):
    sim = site(held=[])
    result = writes.assign(client(sim), assign_task(report="summary", check_mode=True))
    assert result["changed_count"] == 120 and result["changes"][0]["count"] == 60
    assert not [entry for entry in sim.log() if entry["method"] == "POST"]


def test_summary_rerun_is_unchanged(site, client):
    result = writes.assign(client(site()), assign_task(report="summary"))
    assert (result["changed"], result["changes"], result["changed_count"]) == (False, [], 0)


@pytest.mark.parametrize("report", ["summary", "pairs"])
def test_a_refused_plan_keeps_the_keys_of_its_report_mode(apple, client, report):
    sim = apple([asset(adam_id, total=30) for adam_id in APPS], [], pageSize=10, eventSeconds=0)  # 60 devices, 30 licenses
    with pytest.raises(writes.PreflightError) as refused:
        writes.assign(client(sim), assign_task(report=report))
    details = refused.value.details
    assert "not enough licenses" in refused.value.message and details["shortages"][0]["needed"] == 60
    assert (details["changed"], details["changes"], details["failures"]) == (False, [], [])
    if report == "summary":
        assert (details["changed_count"], details["failures_truncated"]) == (0, 0)
    else:
        assert "changed_count" not in details and "failures_truncated" not in details
    assert not [entry for entry in sim.log() if entry["method"] == "POST"]


def test_summary_caps_failures_and_counts_the_rest(site, client):
    sim = site(held=[], limits={"maxSerialNumbers": 1, "maxAssets": 1})  # 120 requests, each refused
    sim.add_faults({"method": "POST", "path": PREFIX + "/assets/associate", "kind": "status", "status": 400, "errorNumber": 9602,
                    "count": None})
    result = writes.assign(client(sim), assign_task(report="summary"))
    assert len(result["failures"]) == writes.FAILURES_SHOWN == 100
    assert result["failures_truncated"] == 20
    assert result["failures"][0]["error_number"] == 9602
    assert "120 failure(s)" in result["error"]
    assert (result["changed"], result["changes"], result["changed_count"]) == (False, [], 0)


def test_summary_on_revoke_and_reclaim(site, client):
    sim = site()
    revoked = writes.revoke(client(sim), task(serial_numbers=SERIALS[:10], client_user_ids=None, report="summary"))
    assert revoked["revoked"] == [{"adam_id": adam_id, "pricing_param": "STDQ", "count": 10} for adam_id in APPS]
    assert revoked["changed_count"] == 20
    reclaimed = reclaim(client(sim), task(keep_serial_numbers=SERIALS[:30], keep_client_user_ids=None, adam_ids=None,
                                          max_reclaims=0, report="summary"))
    assert reclaimed["reclaimed"] == [{"adam_id": adam_id, "pricing_param": "STDQ", "count": 30} for adam_id in APPS]  # S030-S059
    assert reclaimed["changed_count"] == 60
    assert len(sim.assignments(LOCATION)) == 40


# -- assignment_cache -------------------------------------------------------------------------------

def test_cache_rerun_reads_one_assets_page_and_one_assignments_page(site, client, tmp_path):
    sim = site()
    cache = tmp_path / "vpp-assignments.json.gz"
    first = writes.assign(client(sim, cache), assign_task())
    assert first["changed"] is False
    assert api_requests(sim).count("/assignments") == 12  # a miss: the full walk, kept as the snapshot
    assert snapshot_content(cache)["locations"][LOCATION_UID]["versionId"]
    since = last_seq(sim)
    again = client(sim, cache)
    second = writes.assign(again, assign_task())
    assert api_requests(sim, since) == ["/assets", "/assignments"]
    assert second["changed"] is False and again.warnings == []


def test_cache_hit_serves_assignment_info_with_one_request(site, client, tmp_path):
    sim = site()
    cache = tmp_path / "snapshot"
    options = task(adam_ids=None, serial_numbers=None, client_user_ids=None, pricing_param=None)
    walked = reads.assignment_info(client(sim, cache), options)
    since = last_seq(sim)
    cached = reads.assignment_info(client(sim, cache), options)
    assert api_requests(sim, since) == ["/assignments"]
    assert cached == walked and len(cached["assignments"]) == 120


def test_cache_miss_when_the_version_changed_reads_again_and_refreshes(site, client, tmp_path):
    sim = site()
    cache = tmp_path / "snapshot"
    writes.assign(client(sim, cache), assign_task())
    old_version = snapshot_content(cache)["locations"][LOCATION_UID]["versionId"]
    sim.add_faults({"method": "GET", "path": PREFIX + "/assignments", "kind": "mutate", "action": "remove_assignments", "count": 1})
    since = last_seq(sim)
    result = writes.assign(client(sim, cache), assign_task(check_mode=True))
    assert api_requests(sim, since).count("/assignments") == 12  # the snapshot's version is gone: read as without it
    assert result["changes"] == [Assignment(EVERY_PAIR[0]["adamId"], "STDQ", Assignment.SERIAL, EVERY_PAIR[0]["serialNumber"]).to_result()]
    refreshed = snapshot_content(cache)["locations"][LOCATION_UID]
    assert refreshed["versionId"] != old_version


def test_cache_miss_after_bump_version(site, client, tmp_path):
    sim = site()
    cache = tmp_path / "snapshot"
    writes.assign(client(sim, cache), assign_task())
    sim.add_faults({"method": "GET", "path": PREFIX + "/assignments", "kind": "mutate", "action": "bump_version", "count": 1})
    since = last_seq(sim)
    writes.assign(client(sim, cache), assign_task())
    assert api_requests(sim, since).count("/assignments") == 12


def test_cache_never_saves_a_walk_whose_version_changed_on_every_attempt(site, client, tmp_path):
    sim = site()
    cache = tmp_path / "snapshot"
    sim.add_faults({"method": "GET", "path": PREFIX + "/assignments", "after": 1, "kind": "mutate", "action": "bump_version", "times": None})
    made = client(sim, cache)
    reads.assignment_info(made, task(adam_ids=None, serial_numbers=None, client_user_ids=None, pricing_param=None))
    assert not cache.exists()
    assert any("kept changing" in warning for warning in made.warnings)


def test_cache_is_dropped_at_the_first_write_and_rebuilt_by_the_next_read(site, client, tmp_path):
    sim = site(held=EVERY_PAIR[1:])
    cache = tmp_path / "snapshot"
    assert writes.assign(client(sim, cache), assign_task())["changed"] is True
    assert not cache.exists()  # the one location's snapshot was dropped before the write
    writes.assign(client(sim, cache), assign_task())  # a miss: walks, saves
    since = last_seq(sim)
    assert writes.assign(client(sim, cache), assign_task())["changed"] is False
    assert api_requests(sim, since) == ["/assets", "/assignments"]


def test_cache_file_is_private_and_holds_no_secret(site, client, tmp_path):
    cache = tmp_path / "snapshot"
    writes.assign(client(site(), cache), assign_task())
    assert stat.S_IMODE(os.stat(str(cache)).st_mode) == 0o600
    text = json.dumps(snapshot_content(cache))
    assert TOKEN not in text and INNER_TOKEN not in text
    assert not [name for name in os.listdir(str(tmp_path)) if name.startswith(".vpp-assignments-")]  # no temporary file left


@pytest.mark.parametrize("content", [b"not gzip at all", gzip.compress(b"{not json"), gzip.compress(b'{"format": 99}')],
                         ids=["not gzip", "not json", "other format"])
def test_cache_unreadable_is_a_miss_with_a_warning(site, client, tmp_path, content):
    sim = site()
    cache = tmp_path / "snapshot"
    cache.write_bytes(content)
    made = client(sim, cache)
    result = writes.assign(made, assign_task())
    assert result["changed"] is False and result["error"] is None
    assert api_requests(sim).count("/assignments") == 12
    assert any("assignment_cache" in warning for warning in made.warnings)
    assert snapshot_content(cache)["locations"][LOCATION_UID]["versionId"]  # replaced by a good snapshot


def test_cache_damaged_entry_at_the_current_version_is_a_miss(site, client, tmp_path):
    sim = site()
    cache = tmp_path / "snapshot"
    writes.assign(client(sim, cache), assign_task())
    content = snapshot_content(cache)
    content["locations"][LOCATION_UID]["assets"] = "oops"
    with gzip.open(str(cache), "wt", encoding="utf-8") as stream:
        json.dump(content, stream)
    made = client(sim, cache)
    since = last_seq(sim)
    assert writes.assign(made, assign_task())["changed"] is False
    assert api_requests(sim, since).count("/assignments") == 12
    assert any("damaged" in warning for warning in made.warnings)


def test_cache_not_written_when_not_writable(site, client, tmp_path):
    cache = tmp_path / "snapshot"
    writes.assign(client(site(), cache, writable=False), assign_task(check_mode=True))
    assert not cache.exists()


def test_cache_keeps_other_locations(site, client, tmp_path):
    cache = tmp_path / "snapshot"
    other = AssignmentSnapshot(str(cache))
    other.save("other-uid", "v1", [Assignment("9", "STDQ", Assignment.USER, "u9")])
    writes.assign(client(site(), cache), assign_task())
    assert set(snapshot_content(cache)["locations"]) == {"other-uid", LOCATION_UID}
    assert AssignmentSnapshot(str(cache)).assignments("other-uid") == {Assignment("9", "STDQ", Assignment.USER, "u9")}


def test_cache_path_checks(tmp_path):
    assert clean_cache_path("assignment_cache", str(tmp_path / "file")) == str(tmp_path / "file")
    with pytest.raises(InputError, match="does not exist"):
        clean_cache_path("assignment_cache", str(tmp_path / "missing" / "file"))
    with pytest.raises(InputError, match="is a folder"):
        clean_cache_path("assignment_cache", str(tmp_path))
