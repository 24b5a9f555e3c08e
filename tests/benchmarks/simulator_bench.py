"""The simulator alone: is it fast enough to measure the client?

    python -m tests.benchmarks.simulator_bench [--devices 20000] [--apps 25] [--requests 1000] [--simulator-root DIR]

Seeds one location with apps x devices assignments (25 x 20,000 = 500,000 by default), starts the
simulator as a real uvicorn process on 127.0.0.1 (no latency, no rate limit, pages of 1000, events due
at once) and sends a fixed mix of requests from 5 concurrent clients, like the collection's client:
a full walk of GET /assignments, pages filtered by serialNumber and by adamId, GET /assets, and
associate/disassociate writes that change the data under the walk. Prints the startup (seed) time,
requests/s, per-request latency percentiles and the server's resident memory (current and peak).

``--simulator-root`` runs the simulator of another checkout (e.g. main) with the same load, for a
before/after comparison. Exits 1 when a request gets an unexpected answer.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCATION = "Bench"
ADAM_ID_START = 700000001
SERIAL_PREFIX = "SB"
PAGE_SIZE = 1000
CONCURRENCY = 5
START_TIMEOUT = 600.0
WRITE_SERIALS = 100  # serials per write request (unassigned ones, so a write really changes the data)

Request = Tuple[str, str, Dict[str, Any]]  # (kind, method + path, query or JSON body)


def build_seed(apps: int, devices: int) -> Dict[str, Any]:
    """One location: ``apps`` apps, each assigned to the same ``devices`` serials, with licenses to spare for the writes."""
    adam_ids = [str(ADAM_ID_START + offset) for offset in range(apps)]
    return {
        "settings": {"pageSize": PAGE_SIZE, "latencyMs": 0, "rateLimit": False, "eventSeconds": 0},
        "vpp": {"locations": [{
            "name": LOCATION, "uId": "9900000001", "token": {"token": "bench-token", "orgName": "Bench"},
            "generate": {
                "assets": [{"adamIdStart": ADAM_ID_START, "count": apps, "totalCount": devices + 10 * WRITE_SERIALS * CONCURRENCY}],
                "assignments": [{"adamId": adam_id, "serialPrefix": SERIAL_PREFIX, "count": devices} for adam_id in adam_ids],
            },
        }]},
    }


def plan_requests(apps: int, devices: int, total: int, rng: random.Random) -> List[Request]:
    """The mix: half a full walk (capped at its page count), then serial pages, adamId pages, /assets and writes."""
    pages = -(-apps * devices // PAGE_SIZE)
    walk = min(pages, total // 2)
    writes = max(2, total // 20) // 2 * 2  # pairs of associate + disassociate
    assets = total // 20
    rest = total - walk - writes - assets
    serial_pages, adam_pages = rest // 2, rest - rest // 2
    per_asset_pages = -(-devices // PAGE_SIZE)
    adam_ids = [str(ADAM_ID_START + offset) for offset in range(apps)]
    requests: List[Request] = [("walk", "GET /assignments", {"pageIndex": index}) for index in range(walk)]
    requests += [("serial", "GET /assignments", {"serialNumber": f"{SERIAL_PREFIX}{rng.randint(1, devices):06d}"}) for _number in range(serial_pages)]
    requests += [("adamId", "GET /assignments", {"adamId": rng.choice(adam_ids), "pageIndex": rng.randrange(per_asset_pages)})
                 for _number in range(adam_pages)]
    requests += [("assets", "GET /assets", {}) for _number in range(assets)]
    for number in range(writes // 2):  # new serials are associated, then taken back: the data changes twice
        body = {"assets": [{"adamId": rng.choice(adam_ids), "pricingParam": "STDQ"}],
                "serialNumbers": [f"SBW{number:04d}{index:04d}" for index in range(WRITE_SERIALS)]}
        requests += [("write", "POST /assets/associate", body), ("write", "POST /assets/disassociate", body)]
    # a random interleaving in which the walk keeps its page order and starts with page 0, as a client's does
    order = [rng.random() for _request in requests]
    walk_keys = sorted(order[:walk])
    order[:walk] = [-1.0] + walk_keys[1:] if walk else []
    return [request for _key, request in sorted(zip(order, requests), key=lambda pair: pair[0])]


def _read_first_line(process: subprocess.Popen, timeout: float) -> str:
    result: List[str] = []
    reader = threading.Thread(target=lambda: result.append(process.stdout.readline() if process.stdout else ""), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0].strip() if result else ""


def memory_kib(pid: int) -> Dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, in KiB (Linux /proc)."""
    values: Dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _colon, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def _send(client: httpx.AsyncClient, requests: List[Request], latencies: Dict[str, List[float]], problems: List[str]) -> None:
    queue: asyncio.Queue = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)

    async def worker() -> None:
        while not queue.empty():
            kind, route, data = queue.get_nowait()
            method, path = route.split(" ", 1)
            started = time.perf_counter()
            if method == "GET":
                response = await client.get("/mdm/v2" + path, params=data)
            else:
                response = await client.post("/mdm/v2" + path, json=data)
            body = response.json()
            latencies.setdefault(kind, []).append(time.perf_counter() - started)
            if response.status_code != 200 or (kind in ("walk", "adamId") and len(body.get("assignments", [])) != PAGE_SIZE):
                problems.append(f"{route} {data}: HTTP {response.status_code} {str(body)[:200]}")

    await asyncio.gather(*(worker() for _worker in range(CONCURRENCY)))


def run(apps: int, devices: int, total: int, simulator_root: Path) -> Dict[str, Any]:
    rng = random.Random(18)
    requests = plan_requests(apps, devices, total, rng)
    with tempfile.TemporaryDirectory(prefix="simbench-") as folder:
        seed = Path(folder) / "seed.json"
        seed.write_text(json.dumps(build_seed(apps, devices)), encoding="utf-8")
        started = time.perf_counter()
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, "-m", "tests.simulator", "--seed", str(seed), "--max-seconds", "1800"],
            cwd=simulator_root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            url = _read_first_line(process, START_TIMEOUT)
            if not url.startswith("http://"):
                raise SystemExit(f"the simulator did not start: {url or 'no URL'}")
            startup = time.perf_counter() - started
            memory_after_seed = memory_kib(process.pid)
            with httpx.Client(base_url=url, timeout=60) as control:
                token = next(entry["sToken"] for entry in control.get("/_sim/tokens").json() if entry["name"] == LOCATION)
            latencies: Dict[str, List[float]] = {}
            problems: List[str] = []

            async def load() -> None:
                limits = httpx.Limits(max_connections=CONCURRENCY)
                async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=600, limits=limits) as client:
                    await _send(client, requests, latencies, problems)

            began, cpu_before = time.perf_counter(), cpu_seconds(process.pid)
            asyncio.run(load())
            elapsed, server_cpu = time.perf_counter() - began, cpu_seconds(process.pid) - cpu_before
            memory_after_load = memory_kib(process.pid)
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    every = [value for values in latencies.values() for value in values]
    return {
        "assignments": apps * devices, "requests": len(every), "concurrency": CONCURRENCY, "startup_s": startup,
        "elapsed_s": elapsed, "requests_per_s": len(every) / elapsed, "server_cpu_ms_per_request": server_cpu / len(every) * 1000,
        "latency_ms": {"p50": percentile(every, 0.5) * 1000, "p90": percentile(every, 0.9) * 1000,
                       "p99": percentile(every, 0.99) * 1000, "max": max(every) * 1000},
        "by_kind_ms": {kind: {"count": len(values), "median": statistics.median(values) * 1000, "max": max(values) * 1000}
                       for kind, values in sorted(latencies.items())},
        "rss_mib_after_seed": memory_after_seed["VmRSS"] / 1024, "rss_mib_after_load": memory_after_load["VmRSS"] / 1024,
        "peak_rss_mib": memory_after_load["VmHWM"] / 1024, "problems": problems,
    }


def format_result(result: Dict[str, Any]) -> str:
    latency = result["latency_ms"]
    lines = [
        f"simulator alone: {result['assignments']:,} assignments, {result['requests']} requests, {result['concurrency']} concurrent clients",
        f"  startup (seed load to listening): {result['startup_s']:.1f} s; resident memory {result['rss_mib_after_seed']:.0f} MiB",
        f"  {result['elapsed_s']:.2f} s, {result['requests_per_s']:.0f} requests/s; latency p50 {latency['p50']:.1f} ms, "
        f"p90 {latency['p90']:.1f} ms, p99 {latency['p99']:.1f} ms, max {latency['max']:.1f} ms",
        f"  server CPU {result['server_cpu_ms_per_request']:.1f} ms per request (the rest of a request's time is the clients' and waiting)",
        f"  memory after the load {result['rss_mib_after_load']:.0f} MiB, peak {result['peak_rss_mib']:.0f} MiB",
    ]
    lines += [f"  {kind:7} {values['count']:4} requests, median {values['median']:.1f} ms, max {values['max']:.1f} ms"
              for kind, values in result["by_kind_ms"].items()]
    lines += [f"  PROBLEM {problem}" for problem in result["problems"][:10]]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.simulator_bench", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--apps", type=int, default=25)
    parser.add_argument("--devices", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--simulator-root", type=Path, default=REPO_ROOT, help="checkout whose tests/simulator is run (default: this one)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run(args.apps, args.devices, args.requests, args.simulator_root.resolve())
    print(json.dumps(result, indent=2) if args.json else format_result(result))
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
