"""The reseller tests' server: the real simulator in-process, seeded with the assets a test names."""
from __future__ import annotations

import itertools
from typing import Any, Callable, Dict, Sequence

import pytest

from reseller_helpers import write_seed
from tests.utils.inprocess import InProcessSimulator

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture
def reseller(tmp_path, simulator_factory, monkeypatch) -> Callable[..., InProcessSimulator]:
    """``reseller(assets, **settings)``: a fresh simulator whose reseller half holds exactly ``assets``
    (reseller_helpers.asset records, in this order); ``settings`` are /_sim/settings keys."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)  # httpx honours them (trust_env): keep them from bypassing the transport
    numbers = itertools.count(1)

    def make(assets: Sequence[Dict[str, Any]], **settings: Any) -> InProcessSimulator:
        return simulator_factory(write_seed(tmp_path / "reseller-seed-{0}.json".format(next(numbers)), assets), **settings)

    return make
