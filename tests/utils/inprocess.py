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
from tests.simulator.core import DroppedConnection, Simulator
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
        """An httpx transport into the ASGI app (each request runs the app as a server would).
        A drop fault raises httpx.RemoteProtocolError, as a closed socket does; see ``sent()``."""
        return _ClientTransport(self._client._transport, self._wire())  # pylint: disable=protected-access

    def close(self) -> None:
        self._client.close()
        super().close()

    def requests(self, since: int = 0) -> list[tuple[str, str]]:
        """(method, route template) of each API request so far, in arrival order."""
        return [(entry["method"], entry["route"]) for entry in self.log(since)]

    def writes(self, since: int = 0) -> list[dict[str, Any]]:
        """The log entries of requests that are not GETs."""
        return [entry for entry in self.log(since) if entry["method"] != "GET"]

    # ------------------------------------------------------------------ added for the reseller tests
    def _wire(self) -> list[httpx.Request]:
        if not hasattr(self, "_sent"):
            self._sent: list[httpx.Request] = []  # pylint: disable=attribute-defined-outside-init
        return self._sent

    def sent(self) -> list[httpx.Request]:
        """Every API request as the client sent it through ``transport()``, in order: headers and raw body
        (what the request log leaves out or parses: Authorization, Content-Type, exact bytes, query order)."""
        return list(self._wire())

    def reseller_issued_tokens(self) -> list[str]:
        """Every reseller access token issued since the seed was loaded (expired ones too), oldest first."""
        return self._call("GET", "/reseller/issued-tokens")["tokens"]


class _ClientTransport(httpx.BaseTransport):
    """The TestClient's transport as the collection's client sees a server: requests are kept for
    ``InProcessSimulator.sent()``, and a drop fault (``DroppedConnection`` in the app) becomes the
    httpx error a client gets when the server closes the connection without an answer."""

    def __init__(self, inner: httpx.BaseTransport, sent: list[httpx.Request]) -> None:
        self._inner = inner
        self._sent = sent

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self._sent.append(request)
        try:
            return self._inner.handle_request(request)
        except DroppedConnection:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request) from None

    def close(self) -> None:
        """The simulator's TestClient owns the inner transport: a client closing its own keeps it open."""
