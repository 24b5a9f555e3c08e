"""The simulator in-process for unit tests: the real ASGI app behind starlette's TestClient, no socket.

``InProcessSimulator`` is the same ``SimulatorControl`` the integration tests use, with its HTTP client
swapped for a TestClient, plus ``transport()``: an httpx transport that the collection's clients take
as ``httpx_transport``, so module_utils code talks to the simulator exactly as it talks to a server.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import httpx

with warnings.catch_warnings():
    # starlette 1.x suggests httpx2 for its TestClient; the collection's transport is httpx, so stay on it.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from tests.simulator import DEFAULT_SEED
from tests.simulator.control import SimulatorControl
from tests.simulator.core import Simulator
from tests.simulator.server import create_simulator

BASE_URL = "http://simulator.test"


class InProcessSimulator(SimulatorControl):
    """Control API, request log and API transport of one in-process simulator."""

    def __init__(self, seed: str | Path = DEFAULT_SEED, **settings: Any) -> None:
        self.app: Simulator = create_simulator(seed, **settings)
        self._client = TestClient(self.app, base_url=BASE_URL, raise_server_exceptions=True)
        super().__init__(BASE_URL)
        self._http.close()
        self._http = TestClient(self.app, base_url=BASE_URL + "/_sim", raise_server_exceptions=True)

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport into the ASGI app (each request runs the app as a server would)."""
        return self._client._transport  # pylint: disable=protected-access

    def close(self) -> None:
        self._client.close()
        super().close()

    def requests(self, since: int = 0) -> list[tuple[str, str]]:
        """(method, route template) of each API request so far, in arrival order."""
        return [(entry["method"], entry["route"]) for entry in self.log(since)]

    def writes(self, since: int = 0) -> list[dict[str, Any]]:
        """The log entries of requests that are not GETs."""
        return [entry for entry in self.log(since) if entry["method"] != "GET"]
