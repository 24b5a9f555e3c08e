"""The Apple client's tests run against the real simulator, in-process, on a location of their own."""
from __future__ import annotations

import itertools
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional

import httpx
import pytest

from ansible_collections.assetops.licensing.plugins.module_utils.http import RequestPacer
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.client import VppClient
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.limits import LimitsCache
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.token import parse_stoken
from tests.utils.inprocess import InProcessSimulator
from tests.utils.stokens import make_stoken
from tests.utils.vpp_seeds import write_seed

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")

# No rate limit: the tests' pacers do not really wait, and pacing has tests of its own.
UNIT_SETTINGS = {"rateLimit": False}


@pytest.fixture
def apple(simulator_factory: Callable[..., InProcessSimulator], tmp_path) -> Callable[..., InProcessSimulator]:
    """apple(assets=[...], assignments=[...], users=[...], pageSize=3, ...) -> a simulator holding that location.

    Keyword arguments other than the three are simulator settings (see tests/simulator/README.md)."""
    numbers = itertools.count(1)

    def make(assets: Iterable[Dict[str, Any]] = (), assignments: Iterable[Dict[str, Any]] = (), users: Optional[Iterable[str]] = None,
             **settings: Any) -> InProcessSimulator:
        seed = write_seed(tmp_path / "seed-{0}.json".format(next(numbers)), assets, assignments, users)
        return simulator_factory(seed, **dict(UNIT_SETTINGS, **settings))

    return make


@pytest.fixture
def vpp_client(tmp_path, monkeypatch) -> Iterator[Callable[..., VppClient]]:
    """vpp_client(sim, token=None, api_url=None, cache_dir=None, cache_clock=None, pace=False, drop_error=..., **options)
    -> a VppClient on the simulator, closed after the test.

    It has a private limits cache, ``retries`` 0 and no real sleeping unless ``options`` say otherwise, and
    no pacing unless ``pace`` (pacing has tests of its own); ``drop_error`` is the httpx error a drop fault
    raises. Proxy variables are removed: httpx honours them and they would bypass the transport.
    """
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    made: List[VppClient] = []

    def make(sim: InProcessSimulator, token: Optional[str] = None, api_url: Optional[str] = None, cache_dir: Any = None,
             cache_clock: Optional[Callable[[], float]] = None, pace: bool = False,
             drop_error: type = httpx.RemoteProtocolError, **options: Any) -> VppClient:
        api_url = api_url or sim.vpp_url
        cache = LimitsCache(api_url, directory=str(cache_dir or tmp_path), **({"clock": cache_clock} if cache_clock else {}))
        client = VppClient(parse_stoken(token or make_stoken()), api_url=api_url, limits_cache=cache,
                           httpx_transport=sim.transport(drop_error), **dict({"retries": 0, "sleep": lambda seconds: None}, **options))
        if not pace:
            client.transport.pacer = RequestPacer(sleep=lambda seconds: None)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
