"""The simulator over HTTPS, with a CA and server certificate made by trustme at test time."""
from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.simulator.control import REPO_ROOT, SimulatorControl, SimulatorProcess, TlsFiles, make_test_certificates
from tests.simulator.tests.helpers import Vpp

KEYNOTE = {"adamId": "361285480", "pricingParam": "STDQ"}
ASSOCIATE = {"assets": [KEYNOTE], "serialNumbers": ["F1"]}


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_test_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https_process(tls: TlsFiles) -> Iterator[SimulatorControl]:
    with SimulatorProcess(event_seconds=0, rate_limit=False, **tls.options()) as control:
        yield control


@pytest.fixture
def https(https_process: SimulatorControl) -> SimulatorControl:
    https_process.reset()
    return https_process


def trusting(tls: TlsFiles) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(tls.ca))


def test_certificate_files(tls: TlsFiles) -> None:
    assert tls.ca.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert tls.cert.read_text().count("-----BEGIN CERTIFICATE-----") >= 1
    assert "PRIVATE KEY-----" in tls.key.read_text()
    assert tls.key.stat().st_mode & 0o077 == 0  # the key is readable by its owner only


def test_both_apis_and_the_control_api_over_https(https: SimulatorControl, tls: TlsFiles) -> None:
    assert https.url.startswith("https://127.0.0.1:")
    assert https.vpp_url.startswith("https://") and https.reseller_url.startswith("https://")
    assert https.health()["ok"] is True  # the control client trusts the test CA
    with httpx.Client(base_url=https.url, verify=trusting(tls), timeout=5) as http:
        vpp = Vpp(http, https.tokens())
        assets = vpp.get("/assets")
        assert assets.status_code == 200 and assets.json()["assets"]
        event_id = vpp.submit("/assets/associate", ASSOCIATE)
        assert vpp.wait(event_id)["eventStatus"] == "COMPLETE"
        creds = https.reseller_credentials()
        token = http.post("/api/v1/connect/token", auth=(creds["client_id"], creds["client_secret"]), data={
            "grant_type": "password", "scope": "CustomerApi", "username": creds["username"], "password": creds["password"]})
        assert token.status_code == 200 and token.json()["TokenType"] == "Bearer"
    assert ("361285480", "STDQ", "serial", "F1") in https.assignments("Main")
    assert [entry["path"] for entry in https.log()][:2] == ["/mdm/v2/assets", "/mdm/v2/assets/associate"]


def test_the_certificate_also_names_localhost(https: SimulatorControl, tls: TlsFiles) -> None:
    url = https.url.replace("127.0.0.1", "localhost")
    response = httpx.get(url + "/_sim/health", verify=trusting(tls), timeout=5)
    assert response.status_code == 200


def test_clients_without_the_ca_are_refused(https: SimulatorControl) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(https.url + "/_sim/health", timeout=5)
    with pytest.raises(httpx.TransportError):  # plain HTTP on the TLS port gets no HTTP answer
        httpx.get(https.url.replace("https://", "http://") + "/_sim/health", timeout=5)
    assert https.log() == []


def test_a_drop_fault_closes_the_tls_connection(https: SimulatorControl, tls: TlsFiles) -> None:
    https.add_faults({"method": "GET", "path": "/mdm/v2/assets", "kind": "drop_before"})
    with httpx.Client(base_url=https.url, verify=trusting(tls), timeout=5) as http:
        vpp = Vpp(http, https.tokens())
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            vpp.get("/assets")
        assert vpp.get("/assets").status_code == 200  # a new connection works
    assert [entry["fault"] for entry in https.log()] == ["drop_before", None]


def test_process_needs_the_ca_with_a_certificate(tls: TlsFiles) -> None:
    with pytest.raises(ValueError, match="tls_ca"):
        SimulatorProcess(tls_cert=tls.cert, tls_key=tls.key)
    with pytest.raises(ValueError, match="tls_key"):
        SimulatorProcess(tls_cert=tls.cert, tls_ca=tls.ca)


@pytest.mark.parametrize("arguments, problem", [
    (["--tls-cert", "{cert}"], "needs both a certificate and its key"),
    (["--tls-cert", "{ca}", "--tls-key", "{key}"], "cannot start"),  # a key that does not match the certificate
    (["--tls-cert", "{missing}", "--tls-key", "{key}"], "cannot start"),
])
def test_cli_refuses_bad_tls_files(tls: TlsFiles, tmp_path: Path, arguments: list[str], problem: str) -> None:
    files = {"cert": tls.cert, "key": tls.key, "ca": tls.ca, "missing": tmp_path / "missing.pem"}
    command = [sys.executable, "-m", "tests.simulator", "--max-seconds", "5", *[argument.format(**files) for argument in arguments]]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""  # never announced a URL
    assert problem in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
