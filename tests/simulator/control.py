"""Run the simulator as a process and drive its /_sim control API (tests, benchmarks, the demo).

    with SimulatorProcess(page_size=50, rate_limit=False) as sim:   # sim is a SimulatorControl
        token = sim.tokens()["Main"]
        ... point the collection at sim.vpp_url ...
        assert ("361309726", "STDQ", "serial", "C02MAIN0001") in sim.assignments("Main")

For HTTPS, make a throwaway CA and server certificate (trustme, at test time) and pass them on:

    tls = make_test_certificates(tmp_path)                 # ca.pem, server.pem, server-key.pem
    with SimulatorProcess(**tls.options()) as sim:         # https://127.0.0.1:PORT; the control client trusts tls.ca

Only httpx and the standard library are imported at load time, so importing this module is cheap.
"""
from __future__ import annotations

import os
import queue
import ssl
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from . import DEFAULT_SEED, DEMO_SEED

REPO_ROOT = Path(__file__).resolve().parents[2]  # `python -m tests.simulator` runs from here
START_TIMEOUT = 20.0
__all__ = ["DEFAULT_SEED", "DEMO_SEED", "SimulatorControl", "SimulatorProcess", "TlsFiles", "make_test_certificates"]
TEST_CERTIFICATE_NAMES = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of a test CA and of a server certificate it signed (with its private key)."""

    ca: Path
    cert: Path
    key: Path

    def options(self) -> dict[str, Path]:
        """The keyword arguments of SimulatorProcess that serve HTTPS with these files."""
        return {"tls_cert": self.cert, "tls_key": self.key, "tls_ca": self.ca}


def make_test_certificates(directory: str | Path, names: tuple[str, ...] = TEST_CERTIFICATE_NAMES) -> TlsFiles:
    """A fresh CA and a server certificate for ``names`` (default 127.0.0.1 and localhost), written to ``directory``."""
    import trustme  # pylint: disable=import-outside-toplevel  # a test-only dependency, needed only here

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA()
    server = authority.issue_cert(*names)
    files = TlsFiles(ca=directory / "ca.pem", cert=directory / "server.pem", key=directory / "server-key.pem")
    authority.cert_pem.write_to_path(str(files.ca))
    for position, pem in enumerate(server.cert_chain_pems):
        pem.write_to_path(str(files.cert), append=position > 0)
    files.key.touch(mode=0o600)
    os.chmod(files.key, 0o600)  # also when the file was there before: 0600 before the key goes in
    server.private_key_pem.write_to_path(str(files.key))
    return files


class SimulatorControl:
    """A thin client for the /_sim control API of a running simulator."""

    def __init__(self, url: str, timeout: float = 10.0, ca_path: str | Path | None = None) -> None:
        """``ca_path``: the PEM CA bundle to verify an https:// simulator with (default: the system's trust store)."""
        self.url = url.rstrip("/")
        self.vpp_url = self.url + "/mdm/v2"
        self.reseller_url = self.url  # the reseller API's base URL (its paths start with /api/v1)
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(ca_path)) if ca_path else True
        self._http = httpx.Client(base_url=self.url + "/_sim", timeout=timeout, verify=verify)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SimulatorControl:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.is_error:
            raise RuntimeError(f"simulator {method} /_sim{path}: HTTP {response.status_code}: {response.text}")
        return response.json()

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def tokens(self) -> dict[str, str]:
        """Location name -> sToken (what a client sends as the bearer token)."""
        return {entry["name"]: entry["sToken"] for entry in self._call("GET", "/tokens") if "sToken" in entry}

    def log(self, since: int = 0) -> list[dict[str, Any]]:
        """Finished API requests with seq > since, in arrival order."""
        return self._call("GET", "/log", params={"since": since})["entries"]

    def clear_log(self) -> None:
        self._call("DELETE", "/log")

    def summary(self) -> dict[str, Any]:
        return self._call("GET", "/log/summary")

    def add_faults(self, *rules: dict[str, Any]) -> list[dict[str, Any]]:
        return self._call("POST", "/faults", json={"faults": list(rules)})["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/faults")["faults"]

    def settings(self, **changes: Any) -> dict[str, Any]:
        """The current settings; with keyword arguments (pageSize=..., limits={...}) change them first."""
        if changes:
            return self._call("POST", "/settings", json=changes)
        return self._call("GET", "/settings")

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/state")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def location_state(self, location: str) -> dict[str, Any]:
        """One location of /_sim/state, by name or uId."""
        for entry in self.state()["vpp"]["locations"]:
            if location in (entry["name"], entry["uId"]):
                return entry
        raise KeyError(f"no location {location!r} in the simulator")

    def rule_breaks(self, location: str) -> list[dict[str, Any]]:
        """Apple's written rules the clients of ``location`` broke (see the setting statusIntervalSeconds)."""
        return self.location_state(location)["ruleBreaks"]

    def assignments(self, location: str) -> set[tuple[str, str, str, str]]:
        """{(adamId, pricingParam, "serial"|"user", serialNumber|clientUserId)} after due events are applied."""
        result = set()
        for item in self.location_state(location)["assignments"]:
            kind, target = ("serial", item["serialNumber"]) if "serialNumber" in item else ("user", item["clientUserId"])
            result.add((item["adamId"], item["pricingParam"], kind, target))
        return result

    # ------------------------------------------------------------------ the reseller half
    def reseller_credentials(self) -> dict[str, str]:
        """{"client_id", "client_secret", "username", "password"} of the first seeded client and user."""
        credentials = self._call("GET", "/reseller/credentials")
        client, user = credentials["clients"][0], credentials["users"][0]
        return {"client_id": client["clientId"], "client_secret": client["clientSecret"], "username": user["username"], "password": user["password"]}

    def reseller_static_token(self) -> str:
        """The first seeded static token (what the access_token option takes)."""
        return self._call("GET", "/reseller/credentials")["staticTokens"][0]["token"]

    def expire_reseller_tokens(self) -> int:
        """Make every token issued so far invalid (static tokens stay valid); returns how many."""
        return self._call("POST", "/reseller/expire-tokens")["expired"]

    def reseller_state(self) -> dict[str, Any]:
        """{"assets", "invoiceProfiles", "tokensIssued", "tokensValid"}; prices are exact decimal strings."""
        return self.state()["reseller"]

    def reseller_asset(self, asset_id: int) -> dict[str, Any]:
        """One reseller asset as the server holds it (PascalCase keys, prices as exact decimal strings)."""
        for asset in self.reseller_state()["assets"]:
            if asset["Id"] == int(asset_id):
                return asset
        raise KeyError(f"no reseller asset {asset_id} in the simulator")


def _cli_arguments(seed: Path, options: dict[str, Any]) -> list[str]:
    """page_size=5 -> --page-size 5; rate_limit=False -> --no-rate-limit; None is left out."""
    arguments = ["--seed", str(seed)]
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            arguments.append(flag)
        elif value is False:
            arguments.append("--no-" + name.replace("_", "-"))
        elif value is not None:
            arguments += [flag, str(value)]
    return arguments


def _first_line(stream: IO[str] | None, timeout: float) -> str:
    """The first line of the child's stdout, read in a thread so a silent child cannot hang us."""
    if stream is None:
        return ""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout).strip()
    except queue.Empty:
        return ""


class SimulatorProcess:
    """``python -m tests.simulator`` as a child process. As a context manager it starts the
    process and gives the SimulatorControl; leaving the block stops it.

    With ``tls_cert`` and ``tls_key`` it serves HTTPS; ``tls_ca`` (the CA that signed the
    certificate) is what the control client trusts, so it is required with them."""

    def __init__(self, seed: str | Path = DEFAULT_SEED, tls_cert: str | Path | None = None, tls_key: str | Path | None = None,
                 tls_ca: str | Path | None = None, **cli_options: Any) -> None:
        if (tls_cert is None) != (tls_key is None) or (tls_cert is not None and tls_ca is None):
            raise ValueError("HTTPS needs tls_cert, tls_key and tls_ca (the CA that signed tls_cert) together")
        self.seed = Path(seed).resolve()
        self.tls_ca = Path(tls_ca).resolve() if tls_ca is not None else None
        if tls_cert is not None and tls_key is not None:
            cli_options.update(tls_cert=Path(tls_cert).resolve(), tls_key=Path(tls_key).resolve())
        self.cli_options = cli_options
        self.url = ""
        self.control: SimulatorControl | None = None
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self._stderr_text = ""

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-m", "tests.simulator", *_cli_arguments(self.seed, self.cli_options)]

    def start(self) -> SimulatorControl:
        if self._process is not None:
            raise RuntimeError("the simulator is already running")
        # stderr goes to a file: a pipe nobody reads would fill up and stall the server
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # pylint: disable=consider-using-with
        self._process = subprocess.Popen(  # pylint: disable=consider-using-with
            self.command, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr, text=True
        )
        line = _first_line(self._process.stdout, START_TIMEOUT)
        if not line.startswith(self.scheme + "://"):
            exit_status = self._process.poll()
            stderr = self.stderr()
            self.stop()
            problem = line or (f"it exited with status {exit_status}" if exit_status is not None else f"no URL within {START_TIMEOUT} s")
            raise RuntimeError(f"the simulator did not start ({' '.join(self.command)}): {problem}\n{stderr}")
        self.url = line
        self.control = SimulatorControl(self.url, ca_path=self.tls_ca)
        return self.control

    @property
    def scheme(self) -> str:
        return "https" if "tls_cert" in self.cli_options else "http"

    def stderr(self) -> str:
        """What the simulator wrote to stderr (kept after stop())."""
        if self._stderr is not None:
            self._stderr.flush()
            self._stderr.seek(0)
            self._stderr_text = self._stderr.read()
        return self._stderr_text

    def stop(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None
        if self._stderr is not None:
            self.stderr()
            self._stderr.close()
            self._stderr = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> SimulatorControl:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
