"""Wiring: the API halves behind the core pipeline, served by uvicorn on a loopback address."""
from __future__ import annotations

import asyncio
import logging
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn

from . import DEFAULT_SEED
from .apple import AppleApi
from .core import ApiHalf, Simulator
from .metadata import ArtworkApi, MetadataApi
from .reseller import ResellerApi

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def api_halves() -> list[ApiHalf]:
    """Every simulated API: Apple's under /mdm/v2, the reseller's under /api/v1, Apple's metadata lookup and icons."""
    apple = AppleApi()
    metadata = MetadataApi(apple)  # a custom app answers to the cookie of a location of the Apple half
    return [apple, ResellerApi(), metadata, ArtworkApi(metadata)]


def create_simulator(seed: str | Path = DEFAULT_SEED, max_requests: int | None = None, **settings: Any) -> Simulator:
    """The ASGI app (also usable with starlette's TestClient). ``settings`` use /_sim/settings keys."""
    return Simulator(seed, api_halves(), settings, max_requests=max_requests)


class _Server(uvicorn.Server):
    """Announces its URL on stdout once it listens: the one line a parent process waits for."""

    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self.url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            print(self.url, flush=True)


async def _serve(server: _Server, sock: socket.socket, max_seconds: float) -> None:
    async def stop_later() -> None:
        await asyncio.sleep(max_seconds)
        server.should_exit = True

    deadline = asyncio.create_task(stop_later())
    try:
        await server.serve(sockets=[sock])
    finally:
        deadline.cancel()


def run(
    seed: str | Path,
    host: str = "127.0.0.1",
    port: int = 0,
    max_seconds: float = 3600,
    max_requests: int = 200000,
    verbose: bool = False,
    tls_cert: str | Path | None = None,
    tls_key: str | Path | None = None,
    **settings: Any,
) -> None:
    """Serve until SIGTERM/SIGINT, ``max_seconds`` or ``max_requests``; HTTPS when ``tls_cert`` and ``tls_key`` are given."""
    if host not in LOOPBACK_HOSTS:
        raise SystemExit(f"the simulator only listens on loopback ({', '.join(LOOPBACK_HOSTS)}), not {host!r}")
    if (tls_cert is None) != (tls_key is None):
        raise ValueError("HTTPS needs both a certificate and its key (--tls-cert and --tls-key)")
    logging.basicConfig(stream=sys.stderr, level=logging.INFO if verbose else logging.WARNING, format="simulator %(levelname)s %(name)s: %(message)s")
    app = create_simulator(seed, max_requests=max_requests, **settings)
    # h11 explicitly: dropping connections relies on its per-request object holding the transport.
    config = uvicorn.Config(
        app, host=host, port=port, http="h11", lifespan="off", log_config=None, access_log=verbose, timeout_graceful_shutdown=5,
        ssl_certfile=tls_cert, ssl_keyfile=tls_key,
    )
    config.load()  # reads the certificate and key now: a bad file fails before anything listens
    sock = config.bind_socket()
    bound_host, bound_port = sock.getsockname()[:2]
    scheme = "https" if config.is_ssl else "http"
    url = f"{scheme}://[{bound_host}]:{bound_port}" if ":" in bound_host else f"{scheme}://{bound_host}:{bound_port}"
    server = _Server(config, url)

    def exhausted() -> None:
        server.should_exit = True

    app.on_exhausted = exhausted
    asyncio.run(_serve(server, sock, max_seconds))
