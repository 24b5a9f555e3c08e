"""CLI: ``python -m tests.simulator.env URL [--location NAME]``: the environment for a running simulator.

Prints shell ``export`` lines that point the collection's modules at the simulator at URL (what
``python -m tests.simulator`` printed): ``VPP_API_URL`` and ``VPP_TOKEN`` of one location (the seed's
first, or ``--location``), and, when the seed has a reseller part with a static token,
``RESELLER_API_URL`` and ``RESELLER_ACCESS_TOKEN``. In a shell:

    eval "$(python -m tests.simulator.env http://127.0.0.1:PORT)"

The tokens are the simulator's own, made up when it loaded its seed; they open nothing else.
"""
from __future__ import annotations

import argparse
import shlex
import sys

import httpx

from .control import SimulatorControl


def exports(control: SimulatorControl, location: str | None = None) -> list[str]:
    """The ``export NAME=value`` lines for ``location`` (default: the first one) of the simulator behind ``control``."""
    tokens = control.tokens()
    if not tokens:
        raise LookupError("the simulator has no location with a token")
    name = location if location is not None else next(iter(tokens))
    if name not in tokens:
        raise LookupError(f"no location {name!r}; the simulator has: {', '.join(tokens)}")
    values = {"VPP_API_URL": control.vpp_url, "VPP_TOKEN": tokens[name]}
    try:
        reseller_token = control.reseller_static_token()
    except IndexError:  # a seed without a reseller static token
        reseller_token = None
    if reseller_token:
        values.update(RESELLER_API_URL=control.reseller_url, RESELLER_ACCESS_TOKEN=reseller_token)
    return [f"export {key}={shlex.quote(value)}" for key, value in values.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.simulator.env",
                                     description="Print export lines (VPP_API_URL, VPP_TOKEN...) for a running simulator.")
    parser.add_argument("url", help="the simulator's URL, as `python -m tests.simulator` printed it")
    parser.add_argument("--location", help="the location whose token to export (default: the seed's first)")
    args = parser.parse_args(argv)
    try:
        with SimulatorControl(args.url) as control:
            lines = exports(control, args.location)
    except (httpx.HTTPError, RuntimeError, LookupError) as exc:
        print(f"simulator env: {args.url}: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
