"""The benchmark scenarios: the seed they need, what each runs, and its lower bounds.

Every scenario has its own location in one generated seed, so each starts from a known state and
has its own rate-limit budget. Bounds are computed from the sizes here and Apple's limits, with
plan.request_lower_bound for the writes; they are what no client can go below, not what ours does.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List

from ansible_collections.assetops.licensing.plugins.module_utils.vpp import plan
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import Assignment

# Apple-like simulator settings. Apple pages "on the order of several hundred" records and shows 549,
# 999 and 1000 in its examples; 1000 is taken (the bounds scale with it the same way for any size).
PAGE_SIZE = 1000
LATENCY_SECONDS = 0.1
EVENT_SECONDS = 3.0
RATE = 15  # maxRequestPerSecond, enforced by the simulator with 429
APPLE_STATUS_INTERVAL = 30  # Apple: at least 30 s between status queries of a PENDING event; the simulator records breaks
LIMITS = {"max_assets": 25, "max_serial_numbers": 1000, "max_revoke_serial_numbers": 100}
FLOOR_RUNS = 5  # runs of playbooks/floor.yml (one no-request module task each); the median is the floor
ENDPOINTS = ("config", "assets", "assignments", "writes", "status")


@dataclass
class Sizes:
    """The sizes of one benchmark run (full, or --quick for a fast check)."""

    devices: int = 2000
    apps: int = 25
    held_apps: int = 20
    revoke_devices: int = 1000
    reclaim_location: int = 5000  # devices of the location
    reclaim_devices: int = 1000  # of them, dropped from the inventory
    assets: int = 5000
    assignment_sizes: List[int] = field(default_factory=lambda: [25000, 50000, 100000, 500000])
    onboarding_hosts: int = 2000
    series: List[int] = field(default_factory=lambda: [25, 50, 100, 2000])
    naive: List[int] = field(default_factory=lambda: [25, 50, 100])
    series_apps: int = 5
    per_host: int = 100  # devices of the per-host style, one task each
    per_host_forks: List[int] = field(default_factory=lambda: [10, 25])
    scale_devices: int = 20000  # x scale_apps: report pairs against report summary, then the cached re-run
    scale_apps: int = 25
    wide_devices: int = 100000  # one app to this many devices, report summary
    # the cold assign of scale_apps apps at these pair counts, pairs and summary (the plot; scale_* is the largest point)
    sweep_pairs: List[int] = field(default_factory=lambda: [25000, 100000, 250000])


QUICK = Sizes(devices=200, revoke_devices=100, reclaim_location=500, reclaim_devices=100, assets=1000, assignment_sizes=[5000, 10000, 20000, 50000],
              onboarding_hosts=200, series=[10, 20, 40, 200], naive=[10, 20, 40], per_host=40,
              scale_devices=2000, wide_devices=10000, sweep_pairs=[2500, 10000, 25000])
FULL = Sizes()

# Onboarding: apps every device gets, and three groups with their own extra apps (share of the hosts).
CORE_APPS = 6
GROUPS = {"grade5": 0.4, "grade6": 0.4, "lab": 0.2}
EXTRA_APPS_PER_GROUP = 3


def ceil_div(count: int, size: int) -> int:
    return -(-count // size)


def serials(prefix: str, count: int) -> List[str]:
    """What the simulator's generate rules produce: prefix + 6 digits, from 1."""
    return ["{0}{1:06d}".format(prefix, number) for number in range(1, count + 1)]


def adam_ids(start: int, count: int) -> List[str]:
    return [str(start + offset) for offset in range(count)]


@dataclass
class Scenario:
    """One measured run: a playbook, its variables, the location, and the bounds."""

    name: str
    title: str
    location: str
    playbook: str
    variables: Dict[str, Any]
    bound: Dict[str, int]
    chain: int  # requests that must follow one another (each waits for the one before)
    events: bool  # whether Apple's event time is part of the run
    module: str = ""
    devices: int = 0
    kind: str = "main"  # main | floor | empty_play | memory | series | naive | per_host | sweep
    forks: int = 25
    cache: bool = False  # run with assignment_cache (a snapshot file per location, kept across scenarios)

    @property
    def bound_requests(self) -> int:
        return sum(self.bound.values())

    @property
    def time_bound(self) -> float:
        """max(requests / rate, latency chain) plus the event time when the run waits for events."""
        return max(self.bound_requests / float(RATE), self.chain * LATENCY_SECONDS) + (EVENT_SECONDS if self.events else 0.0)


def location(name: str, number: int, assets: List[Dict[str, Any]], assignments: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {"name": name, "uId": str(9100000000000000 + number), "countryCode": "US",
            "token": {"token": "bench-location-{0:02d}".format(number), "expiresInDays": 300, "orgName": "Benchmark"},
            "assets": [], "generate": {"assets": assets, "assignments": assignments}}


def app_rule(start: int, count: int, total: int) -> Dict[str, Any]:
    return {"count": count, "adamIdStart": start, "totalCount": total, "productType": "App"}


def write_bound(app_ids: List[str], devices: List[str]) -> int:
    pairs = plan.desired_pairs([(adam_id, "STDQ") for adam_id in app_ids], devices)
    return plan.request_lower_bound(pairs, LIMITS["max_assets"], {Assignment.SERIAL: LIMITS["max_serial_numbers"]})


def onboarding_groups(hosts: int) -> Dict[str, Dict[str, Any]]:
    """group -> {"apps": its extra apps, "hosts": [(name, serial)]}; the core apps are 850000001..6."""
    groups, number = {}, 0
    for index, (group, share) in enumerate(GROUPS.items()):
        count = hosts - number if index == len(GROUPS) - 1 else int(hosts * share)
        extra = adam_ids(850000101 + index * 10, EXTRA_APPS_PER_GROUP)
        members = [("{0}-{1:05d}".format(group, offset + 1), "ONB{0:06d}".format(number + offset + 1)) for offset in range(count)]
        groups[group] = {"apps": extra, "hosts": members}
        number += count
    return groups


def build(sizes: Sizes) -> tuple:
    """(seed, scenarios) for these sizes."""
    locations: List[Dict[str, Any]] = []
    scenarios: List[Scenario] = []
    devices = sizes.devices

    # the fixed cost of a module task, for reading the times below
    locations.append(location("Floor", 13, [app_rule(890000001, 1, 10)], []))
    scenarios.append(Scenario(
        "module_floor", "module task that sends no request (median of {0})".format(FLOOR_RUNS), "Floor", "floor.yml", {},
        {"config": 0, "assets": 0, "assignments": 0, "writes": 0, "status": 0},
        chain=0, events=False, module="vpp_assignment_info", kind="floor"))

    # cold assign and its idempotent re-run
    cold_apps = adam_ids(810000001, sizes.apps)
    cold_serials = ["COLD{0:06d}".format(number) for number in range(1, devices + 1)]
    locations.append(location("Cold assign", 1, [app_rule(810000001, sizes.apps, devices)], []))
    cold_vars = {"bench_adam_ids": cold_apps, "bench_serials": cold_serials}
    writes = write_bound(cold_apps, cold_serials)
    scenarios.append(Scenario(
        "cold_assign", "cold assign: {0} apps to {1} devices".format(sizes.apps, devices), "Cold assign", "assign.yml",
        dict(cold_vars, bench_expect=sizes.apps * devices),
        # assignedCount 0 on every asset (from the assets page) proves nobody holds them: no assignment read
        {"config": 1, "assets": ceil_div(sizes.apps, PAGE_SIZE), "assignments": 0, "writes": writes, "status": writes},
        chain=4, events=True, module="vpp_assignment", devices=devices))
    held = sizes.apps * devices
    scenarios.append(Scenario(
        "idempotent", "idempotent re-run of it", "Cold assign", "assign.yml", dict(cold_vars, bench_expect=0),
        # the cheapest exact read of who holds the apps: per-asset pages, the full walk or per device
        {"config": 1, "assets": 1, "assignments": min(ceil_div(held, PAGE_SIZE), sizes.apps * ceil_div(devices, PAGE_SIZE), devices),
         "writes": 0, "status": 0},
        chain=4, events=False, module="vpp_assignment", devices=devices))

    # add apps to devices that hold some already
    add_apps = adam_ids(820000001, sizes.apps)
    add_serials = serials("ADD", devices)
    locations.append(location("Add apps", 2, [app_rule(820000001, sizes.apps, devices)],
                              [{"adamId": adam_id, "serialPrefix": "ADD", "count": devices} for adam_id in add_apps[:sizes.held_apps]]))
    held = sizes.held_apps * devices
    writes = write_bound(add_apps[sizes.held_apps:], add_serials)
    scenarios.append(Scenario(
        "add_apps", "add {0} apps to {1} devices holding {2}".format(sizes.apps - sizes.held_apps, devices, sizes.held_apps),
        "Add apps", "assign.yml",
        {"bench_adam_ids": add_apps, "bench_serials": add_serials, "bench_expect": (sizes.apps - sizes.held_apps) * devices},
        {"config": 1, "assets": 1, "assignments": min(ceil_div(held, PAGE_SIZE), sizes.held_apps * ceil_div(devices, PAGE_SIZE), devices),
         "writes": writes, "status": writes},
        chain=6, events=True, module="vpp_assignment", devices=devices))

    # revoke: half of the devices of a location go; each holds five apps
    revoke_apps = 5
    keep = sizes.revoke_devices
    locations.append(location("Revoke", 3, [app_rule(830000001, revoke_apps, sizes.revoke_devices + keep)],
                              [{"adamId": adam_id, "serialPrefix": prefix, "count": count}
                               for adam_id in adam_ids(830000001, revoke_apps)
                               for prefix, count in (("REV", sizes.revoke_devices), ("KEEP", keep))]))
    held = revoke_apps * (sizes.revoke_devices + keep)
    writes = ceil_div(sizes.revoke_devices, LIMITS["max_revoke_serial_numbers"])
    scenarios.append(Scenario(
        "revoke", "revoke {0} devices".format(sizes.revoke_devices), "Revoke", "revoke.yml",
        {"bench_serials": serials("REV", sizes.revoke_devices), "bench_expect": revoke_apps * sizes.revoke_devices},
        # what the devices hold (walk vs one query per device), then whether those assets are revocable
        {"config": 1, "assets": 1, "assignments": min(ceil_div(held, PAGE_SIZE), sizes.revoke_devices), "writes": writes, "status": writes},
        chain=6, events=True, module="vpp_revoke", devices=sizes.revoke_devices))

    # reclaim: the inventory drops some devices of a location; every device holds five revocable apps and a custom app
    # Apple cannot revoke (its assignments are read by no exact plan: only revocable assets matter)
    reclaim_apps, kiosk = adam_ids(832000001, 5), "832000101"
    everyone = sizes.reclaim_location
    locations.append(location("Reclaim", 14, [app_rule(832000001, len(reclaim_apps), everyone),
                                              dict(app_rule(int(kiosk), 1, everyone), revocable=False)],
                              [{"adamId": adam_id, "serialPrefix": "RCL", "count": everyone} for adam_id in reclaim_apps + [kiosk]]))
    dropped = serials("RCL", everyone)[:sizes.reclaim_devices]
    pairs = plan.desired_pairs([(adam_id, "STDQ") for adam_id in reclaim_apps], dropped)
    writes = min(write_bound(reclaim_apps, dropped), ceil_div(len(dropped), LIMITS["max_revoke_serial_numbers"]))
    # who holds the revocable apps: per-asset pages or the full walk (the custom app's assignments included)
    reads = min(len(reclaim_apps) * ceil_div(everyone, PAGE_SIZE), ceil_div((len(reclaim_apps) + 1) * everyone, PAGE_SIZE))
    scenarios.append(Scenario(
        "reclaim", "reclaim {0} devices of {1}".format(sizes.reclaim_devices, everyone), "Reclaim", "reclaim.yml",
        {"bench_keep": serials("RCL", everyone)[sizes.reclaim_devices:], "bench_expect": len(pairs)},
        {"config": 1, "assets": 1, "assignments": reads, "writes": writes, "status": writes},
        chain=6, events=True, module="vpp_reclaim", devices=sizes.reclaim_devices))

    # vpp_asset_info over many assets
    locations.append(location("Many assets", 4, [app_rule(840000001, sizes.assets, 10)], []))
    scenarios.append(Scenario(
        "asset_info", "vpp_asset_info, {0} assets".format(sizes.assets), "Many assets", "asset_info.yml", {"bench_expect": sizes.assets},
        {"config": 1, "assets": ceil_div(sizes.assets, PAGE_SIZE), "assignments": 0, "writes": 0, "status": 0},
        chain=3, events=False, module="vpp_asset_info"))

    # vpp_assignment_info at three sizes: 1000 devices holding 25, 50, 100 apps
    for number, total in enumerate(sizes.assignment_sizes):
        apps = max(1, total // 1000)
        start = 860000001 + number * 1000
        name = "Assignments {0}".format(total)
        locations.append(location(name, 5 + number, [app_rule(start, apps, 1000)],
                                  [{"adamId": adam_id, "serialPrefix": "BIG", "count": total // apps} for adam_id in adam_ids(start, apps)]))
        scenarios.append(Scenario(
            "assignment_info_{0}".format(total), "vpp_assignment_info, {0:,} assignments".format(total), name, "assignment_info.yml",
            {"bench_expect": apps * (total // apps)},
            {"config": 1, "assets": 0, "assignments": ceil_div(total, PAGE_SIZE), "writes": 0, "status": 0},
            chain=3, events=False, module="vpp_assignment_info",
            kind="memory" if total < 100000 and number < len(sizes.assignment_sizes) - 1 else "main"))

    # the onboarding role over an inventory
    groups = onboarding_groups(sizes.onboarding_hosts)
    core = adam_ids(850000001, CORE_APPS)
    locations.append(location("Onboarding", 10, [app_rule(850000001, CORE_APPS, sizes.onboarding_hosts)]
                              + [app_rule(int(group["apps"][0]), EXTRA_APPS_PER_GROUP, sizes.onboarding_hosts) for group in groups.values()], []))
    pairs = set()
    for group in groups.values():
        pairs |= plan.desired_pairs([(adam_id, "STDQ") for adam_id in core + group["apps"]], [serial for _host, serial in group["hosts"]])
    writes = plan.request_lower_bound(pairs, LIMITS["max_assets"], {Assignment.SERIAL: LIMITS["max_serial_numbers"]})
    scenarios.append(Scenario(
        "onboarding", "device_onboarding role, {0} hosts".format(sizes.onboarding_hosts), "Onboarding", "onboard.yml",
        {"groups": groups, "core": core},
        # one assets page (licenses; every assignedCount is 0, so no assignments read is needed), the writes, one look per event
        {"config": 1, "assets": 1, "assignments": 0, "writes": writes, "status": writes},
        chain=4, events=True, module="role", devices=sizes.onboarding_hosts))

    # the same play over the same hosts without the role's work: its per-host task and its run-once task, empty
    scenarios.append(Scenario(
        "onboarding_empty_play", "empty play of the role's shape, {0} hosts".format(sizes.onboarding_hosts), "Onboarding",
        "onboard_empty.yml", {"groups": groups, "core": core},
        {"config": 0, "assets": 0, "assignments": 0, "writes": 0, "status": 0},
        chain=0, events=False, module="", devices=sizes.onboarding_hosts, kind="empty_play"))
    # ... and as a role with the same argument spec, which ansible-core validates on every host: the role's reference
    scenarios.append(Scenario(
        "onboarding_empty_role", "empty role of the role's shape (same argument spec), {0} hosts".format(sizes.onboarding_hosts),
        "Onboarding", "onboard_empty_role.yml", {"groups": groups, "core": core},
        {"config": 0, "assets": 0, "assignments": 0, "writes": 0, "status": 0},
        chain=0, events=False, module="", devices=sizes.onboarding_hosts, kind="empty_play"))

    # ours against the naive playbook, same work: a few apps to N devices
    locations.append(location("Naive", 12, [app_rule(880000001, sizes.series_apps, 10 * max(sizes.series))], []))
    for number, count in enumerate(sizes.series):
        apps = adam_ids(870000001, sizes.series_apps)
        found = ["S{0}X{1:06d}".format(count, index) for index in range(1, count + 1)]
        name = "Series {0}".format(count)  # a fresh location for each size: nobody holds the apps yet
        locations.append(location(name, 20 + number, [app_rule(870000001, sizes.series_apps, count)], []))
        writes = write_bound(apps, found)
        scenarios.append(Scenario(
            "ours_{0}".format(count), "ours: {0} apps to {1} devices".format(sizes.series_apps, count), name, "assign.yml",
            {"bench_adam_ids": apps, "bench_serials": found, "bench_expect": sizes.series_apps * count},
            {"config": 1, "assets": 1, "assignments": 0, "writes": writes, "status": writes},
            chain=4, events=True, module="vpp_assignment", devices=count, kind="series"))
    for count in sizes.naive:
        apps = adam_ids(880000001, sizes.series_apps)
        found = ["N{0}X{1:06d}".format(count, number) for number in range(1, count + 1)]
        scenarios.append(Scenario(
            "naive_{0}".format(count), "naive uri loop: {0} apps to {1} devices".format(sizes.series_apps, count), "Naive", "naive.yml",
            {"bench_adam_ids": apps, "bench_serials": found, "bench_assets": [{"adamId": adam_id} for adam_id in apps]},
            {"config": 0, "assets": 0, "assignments": 0, "writes": math.ceil(count / LIMITS["max_serial_numbers"]), "status": 1},
            chain=2, events=True, module="uri", devices=count, kind="naive"))

    # the per-host style over the same work as a batched series row: one task per device, at two fork counts
    for number, forks in enumerate(sizes.per_host_forks):
        apps = adam_ids(895000001 + number * 100, sizes.series_apps)
        name = "Per host {0}".format(forks)
        devices = [("ipad-{0:04d}".format(index), "PH{0}X{1:06d}".format(forks, index)) for index in range(1, sizes.per_host + 1)]
        locations.append(location(name, 40 + number, [app_rule(895000001 + number * 100, sizes.series_apps, sizes.per_host)], []))
        writes = write_bound(apps, [serial for _host, serial in devices])
        scenarios.append(Scenario(
            "per_host_{0}".format(forks), "per host, forks {0}: {1} apps to {2} devices".format(forks, sizes.series_apps, sizes.per_host),
            name, "per_host.yml", {"bench_adam_ids": apps, "bench_expect": sizes.series_apps, "devices": devices},
            # the bound is the batched one: the same work sent as one call
            {"config": 1, "assets": 1, "assignments": 0, "writes": writes, "status": writes},
            chain=4, events=True, module="vpp_assignment", devices=sizes.per_host, kind="per_host", forks=forks))

    # 500,000 pairs in one task: the same cold assign reported pair by pair and as counts, side by side
    scale_apps, scale_devices = sizes.scale_apps, sizes.scale_devices
    for number, mode in enumerate(("pairs", "summary")):
        apps = adam_ids(900000001 + number * 100, scale_apps)
        found = ["SC{0}X{1:06d}".format(number, index) for index in range(1, scale_devices + 1)]
        name = "Scale {0}".format(mode)
        locations.append(location(name, 50 + number, [app_rule(900000001 + number * 100, scale_apps, scale_devices)], []))
        writes = write_bound(apps, found)
        scenarios.append(Scenario(
            "scale_{0}".format(mode), "cold assign, report {0}: {1} apps to {2:,} devices".format(mode, scale_apps, scale_devices),
            name, "assign_scale.yml", {"bench_adam_ids": apps, "bench_serials": found, "bench_expect": scale_apps * scale_devices,
                                       "bench_report": mode},
            {"config": 1, "assets": 1, "assignments": 0, "writes": writes, "status": writes},
            chain=4, events=True, module="vpp_assignment", devices=scale_devices))
    held = scale_apps * scale_devices
    rerun = {"bench_adam_ids": adam_ids(900000101, scale_apps), "bench_expect": 0, "bench_report": "summary",
             "bench_serials": ["SC1X{0:06d}".format(index) for index in range(1, scale_devices + 1)]}
    scenarios.append(Scenario(
        "scale_fill", "re-run with assignment_cache, no snapshot yet (read in full, saved)", "Scale summary", "assign_scale.yml", rerun,
        {"config": 1, "assets": 1, "assignments": min(ceil_div(held, PAGE_SIZE), scale_apps * ceil_div(scale_devices, PAGE_SIZE), scale_devices),
         "writes": 0, "status": 0},
        chain=4, events=False, module="vpp_assignment", devices=scale_devices, cache=True))
    scenarios.append(Scenario(
        "scale_cached", "re-run with an exact snapshot", "Scale summary", "assign_scale.yml", rerun,
        # the snapshot's versionId on the first assignments page: nothing more to read
        {"config": 1, "assets": 1, "assignments": 1, "writes": 0, "status": 0},
        chain=3, events=False, module="vpp_assignment", devices=scale_devices, cache=True))
    wide = ["WIDE{0:07d}".format(index) for index in range(1, sizes.wide_devices + 1)]
    locations.append(location("Wide", 52, [app_rule(910000001, 1, sizes.wide_devices)], []))
    writes = write_bound(["910000001"], wide)
    scenarios.append(Scenario(
        "wide_summary", "cold assign, report summary: 1 app to {0:,} devices".format(sizes.wide_devices), "Wide", "assign_scale.yml",
        {"bench_adam_ids": ["910000001"], "bench_serials": wide, "bench_expect": sizes.wide_devices, "bench_report": "summary"},
        {"config": 1, "assets": 1, "assignments": 0, "writes": writes, "status": writes},
        chain=4, events=True, module="vpp_assignment", devices=sizes.wide_devices))

    # the cold assign at several pair counts, reported pairs and summary: memory and time against pairs (the plot)
    for number, pairs_count in enumerate(sizes.sweep_pairs):
        sweep_devices = max(1, pairs_count // scale_apps)
        for offset, mode in enumerate(("pairs", "summary")):
            start = 920000001 + (number * 2 + offset) * 100
            apps = adam_ids(start, scale_apps)
            found = ["SW{0}{1}X{2:06d}".format(number, offset, index) for index in range(1, sweep_devices + 1)]
            name = "Sweep {0} {1}".format(pairs_count, mode)
            locations.append(location(name, 60 + number * 2 + offset, [app_rule(start, scale_apps, sweep_devices)], []))
            writes = write_bound(apps, found)
            scenarios.append(Scenario(
                "sweep_{0}_{1}".format(mode, pairs_count), "cold assign, report {0}: {1:,} pairs".format(mode, scale_apps * sweep_devices),
                name, "assign_scale.yml", {"bench_adam_ids": apps, "bench_serials": found, "bench_expect": scale_apps * sweep_devices,
                                           "bench_report": mode},
                {"config": 1, "assets": 1, "assignments": 0, "writes": writes, "status": writes},
                chain=4, events=True, module="vpp_assignment", devices=sweep_devices, kind="sweep"))

    seed = {"settings": {"eventSeconds": EVENT_SECONDS, "pageSize": PAGE_SIZE, "latencyMs": LATENCY_SECONDS * 1000, "rateLimit": True,
                         "statusIntervalSeconds": APPLE_STATUS_INTERVAL},
            "vpp": {"locations": locations}}
    return seed, scenarios
