"""CLI: ``python -m tests.simulator --seed FILE [options]`` from the repository root.

Prints exactly one line, the base URL (``http://127.0.0.1:PORT``, or ``https://`` with --tls-cert and
--tls-key), once it listens; logs go to stderr. Stops on SIGTERM/SIGINT, after --max-seconds, or after --max-requests requests.
"""
from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from . import DEFAULT_SEED
from .server import run


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.simulator", description="Serve the API simulator on a loopback port.")
    parser.add_argument("--seed", default=str(DEFAULT_SEED), help="seed JSON file (default: data/default.json)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    parser.add_argument("--page-size", type=int, help="items per page (default 500)")
    parser.add_argument("--latency-ms", type=float, help="added to every API request (default 0)")
    parser.add_argument("--event-seconds", type=float, help="how long write events stay PENDING (default 1.0)")
    parser.add_argument("--rate-limit", action=argparse.BooleanOptionalAction, default=None, help="enforce maxRequestPerSecond (default on)")
    parser.add_argument("--max-seconds", type=float, default=3600, help="stop after this long (default 3600)")
    parser.add_argument("--max-requests", type=int, default=200000, help="stop after this many requests (default 200000)")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain); needs --tls-key")
    parser.add_argument("--tls-key", help="the PEM private key of --tls-cert")
    return parser.parse_args(argv)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """CLI options that override the seed's settings; unset ones are left to the seed."""
    candidates = {"pageSize": args.page_size, "latencyMs": args.latency_ms, "eventSeconds": args.event_seconds, "rateLimit": args.rate_limit}
    return {key: value for key, value in candidates.items() if value is not None}


def _exit_on_sigterm(_signum: int, _frame: Any) -> None:
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it: end quietly with status 0.
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        run(args.seed, host=args.host, port=args.port, max_seconds=args.max_seconds, max_requests=args.max_requests, verbose=args.verbose,
            tls_cert=args.tls_cert, tls_key=args.tls_key, **_settings(args))
    except KeyboardInterrupt:
        pass
    except (OSError, ValueError) as exc:  # an unreadable seed (SeedError is a ValueError) or bad settings
        print(f"simulator: cannot start: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
