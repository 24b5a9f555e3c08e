"""The simulator in-process for unit tests: the real ASGI app behind starlette's TestClient, no socket.

``InProcessSimulator`` is the same ``SimulatorControl`` the integration tests use, with its HTTP client
swapped for a TestClient, plus ``transport()``: an httpx transport that the collection's clients take
as ``httpx_transport``, so module_utils code talks to the simulator exactly as it talks to a server.

Every request runs on one event loop, as under uvicorn: parallel requests overlap only where the
simulator waits (latencyMs, delay faults), so its state is never touched by two threads at once. A
drop fault reaches the client as the httpx transport error a dropped connection gives over a socket.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Callable

import httpx

with warnings.catch_warnings():
    # starlette 1.x suggests httpx2 for its TestClient; the collection's transport is httpx, so stay on it.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from tests.simulator import DEFAULT_SEED
from tests.simulator.control import SimulatorControl
from tests.simulator.core import ConnectionDropped, Simulator
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
        self._client.__enter__()  # pylint: disable=unnecessary-dunder-call  # one event loop (portal) for every request
        self._http.portal = self._client.portal
        self._sent: list[httpx.Request] = []

    def transport(self, drop_error: type[httpx.TransportError] = httpx.RemoteProtocolError) -> httpx.BaseTransport:
        """An httpx transport into the ASGI app (each request runs the app as a server would).

        A drop fault raises ``drop_error`` in the client (over a socket: RemoteProtocolError, "Server
        disconnected without sending a response"; a test may pick e.g. ReadTimeout or ReadError)."""
        return _ApiTransport(self._client._transport, drop_error, self._sent)  # pylint: disable=protected-access

    def close(self) -> None:
        self._client.__exit__(None, None, None)
        self._client.close()
        super().close()

    def requests(self, since: int = 0) -> list[tuple[str, str]]:
        """(method, route template) of each API request so far, in arrival order."""
        return [(entry["method"], entry["route"]) for entry in self.log(since)]

    def writes(self, since: int = 0) -> list[dict[str, Any]]:
        """The log entries of requests that are not GETs."""
        return [entry for entry in self.log(since) if entry["method"] != "GET"]

    # ------------------------------------------------------------------ test support (the Apple half's unit tests)
    def use_clock(self, clock: Callable[[], float], advance: Callable[[float], None]) -> None:
        """Run the simulator on a test's clock: requests are stamped with ``clock()`` (log ``time``),
        eventSeconds counts on it, and latencyMs and delay faults call ``advance(seconds)`` instead of
        sleeping, so "a slow answer" costs no real time. ``advance`` should move the clock only."""

        async def sleep(seconds: float) -> None:
            advance(seconds)

        self.app.use_clock(clock, sleep)

    def sent(self) -> list[httpx.Request]:
        """Every request that went through transport(), as the client sent it (headers included): the
        wire, for what the simulator's log leaves out on purpose (the Authorization header)."""
        return list(self._sent)

    def queries(self, path: str, since: int = 0) -> list[dict[str, Any]]:
        """The query parameters of each request to ``path`` (e.g. "/mdm/v2/assets"), in arrival order."""
        return [entry["query"] for entry in self.log(since) if entry["path"] == path]

    def api_client(self, location: str) -> httpx.Client:
        """An httpx client on the Apple API as ``location`` (its sToken), through transport(): for a
        test's own set-up requests (e.g. writes whose events a test then follows). Close it after use."""
        headers = {"Authorization": "Bearer " + self.tokens()[location]}
        return httpx.Client(base_url=self.vpp_url, headers=headers, transport=self.transport(), trust_env=False)

    # ------------------------------------------------------------------ test support (the reseller half's unit tests)
    def reseller_issued_tokens(self) -> list[str]:
        """Every reseller access token issued since the seed was loaded (expired ones too), oldest first."""
        return self._call("GET", "/reseller/issued-tokens")["tokens"]


class _ApiTransport(httpx.BaseTransport):
    """The simulator's API transport: notes each request and turns a drop fault into ``drop_error``."""

    def __init__(self, inner: httpx.BaseTransport, drop_error: type[httpx.TransportError], sent: list[httpx.Request]) -> None:
        self._inner = inner
        self._drop_error = drop_error
        self._sent = sent

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # the raw body stays readable in sent()
        self._sent.append(request)
        try:
            return self._inner.handle_request(request)
        except ConnectionDropped:
            raise self._drop_error("the simulator dropped the connection (drop fault)", request=request) from None
