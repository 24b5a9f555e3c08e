"""``python -m tests.simulator.env``: the export lines that point the modules at a running simulator."""
from __future__ import annotations

import shlex
from typing import Iterator

import pytest

from tests.simulator import DATA_DIR, DEFAULT_SEED, DEMO_SEED
from tests.simulator.env import exports, main
from tests.utils.inprocess import InProcessSimulator


def simulator(seed) -> Iterator[InProcessSimulator]:
    sim = InProcessSimulator(seed)
    yield sim
    sim.close()


@pytest.fixture
def demo() -> Iterator[InProcessSimulator]:
    yield from simulator(DEMO_SEED)


def parsed(lines: list[str]) -> dict[str, str]:
    """What a shell's eval would export."""
    values = {}
    for line in lines:
        word, assignment = shlex.split(line)
        assert word == "export"
        key, value = assignment.split("=", 1)
        values[key] = value
    return values


def test_the_first_location_and_the_reseller_static_token(demo) -> None:
    values = parsed(exports(demo))
    assert values == {
        "VPP_API_URL": demo.vpp_url,
        "VPP_TOKEN": demo.tokens()["Demo School"],
        "RESELLER_API_URL": demo.reseller_url,
        "RESELLER_ACCESS_TOKEN": demo.reseller_static_token(),
    }


def test_a_named_location_and_no_reseller_part() -> None:
    for sim in simulator(DATA_DIR / "onboarding_demo.json"):
        assert parsed(exports(sim, "Onboarding Demo School")) == {
            "VPP_API_URL": sim.vpp_url, "VPP_TOKEN": sim.tokens()["Onboarding Demo School"]}
    for sim in simulator(DEFAULT_SEED):
        assert parsed(exports(sim, "Expiring"))["VPP_TOKEN"] == sim.tokens()["Expiring"]


def test_an_unknown_location_names_the_known_ones(demo) -> None:
    with pytest.raises(LookupError, match="no location 'Nowhere'; the simulator has: Demo School"):
        exports(demo, "Nowhere")


def test_no_simulator_at_the_url_is_one_line_and_status_2(capsys) -> None:
    assert main(["http://127.0.0.1:9"]) == 2  # the discard port: nothing listens there
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("simulator env: http://127.0.0.1:9: ")
