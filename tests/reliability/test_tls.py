"""TLS: real ``ansible`` ad-hoc runs against the simulator serving HTTPS with a certificate from a CA made at test time.

Without a CA the modules fail with one line naming the certificate problem and the fix; with ``ca_path`` (or
VPP_CA_PATH) they work; ``validate_certs: false`` works and warns; a ca_path that is missing or holds no
certificate is refused before any request; an https:// URL on a plain-HTTP port fails at once, without retries.
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

from tests.integration.conftest import BIN, AnsibleRunner
from tests.reliability import report
from tests.simulator.control import SimulatorControl, SimulatorProcess, make_test_certificates

pytestmark = pytest.mark.reliability

HOST = "127.0.0.1"
CERT_FAILURE = ("TLS certificate of " + HOST + " could not be verified (unable to get local issuer certificate): "
                "set ca_path to the PEM file of the CA that signed it, or validate_certs to false for a test server")
MISSING_FILE = "ca_path {missing} does not exist: give the PEM file of the CA that signed the server's certificate"
NOT_A_CA_FILE = "ca_path {not_a_ca} holds no PEM certificate: give the PEM file of the CA that signed the server's certificate"
DIRECTORY = "ca_path {directory} is a directory: give a PEM file of CA certificates"
PLAIN_HTTP = ("TLS handshake with " + HOST + " failed (wrong version number): check that api_url has the right scheme and port "
              "(https:// for a server that speaks TLS, http:// for one that does not)")
NOT_CHECKED = "validate_certs is false: the TLS certificate of {netloc} is not checked"

# How the placeholders of the case table read in docs/reliability.md.
REPORT_NAMES = {
    "ca": "ca.pem (the test CA)", "other_ca": "another CA's ca.pem", "missing": "<a path that does not exist>",
    "not_a_ca": "<a text file>", "directory": "<a directory>", "netloc": "127.0.0.1:<port>",
}


@dataclass(frozen=True)
class TlsCase:
    """One ad-hoc run: the module, its TLS arguments/environment, and what must come out.

    ``message`` is the exact failure message (``succeeds`` False) or a warning that must be present;
    placeholders name files of the test (see REPORT_NAMES).
    """

    name: str
    module: str
    tried: str
    module_args: str = ""
    env: Dict[str, str] = field(default_factory=dict)
    succeeds: bool = True
    message: Optional[str] = None
    check_mode: bool = False
    plain_http: bool = False  # the https:// URL of the plain-HTTP simulator

    def outcome(self) -> str:
        names = dict(REPORT_NAMES)
        if not self.succeeds:
            return "fails at once (no retry, no request handled): `{0}`".format(self.message.format(**names))
        done = "works" + (" (check mode: changed, nothing written)" if self.check_mode else "")
        if self.message:
            return "{0} and warns: `{1}`".format(done, self.message.format(**names))
        return done + ", no warning"


CASES: List[TlsCase] = [
    TlsCase("vpp-no-ca", "vpp_asset_info", "validate_certs true (default), no CA", succeeds=False, message=CERT_FAILURE),
    TlsCase("vpp-other-ca", "vpp_asset_info", "ca_path of a CA that did not sign the certificate", "ca_path={other_ca}",
            succeeds=False, message=CERT_FAILURE),
    TlsCase("vpp-ca-path", "vpp_asset_info", "ca_path option", "ca_path={ca}"),
    TlsCase("vpp-ca-env", "vpp_asset_info", "VPP_CA_PATH environment variable", env={"VPP_CA_PATH": "{ca}"}),
    TlsCase("vpp-no-validation", "vpp_asset_info", "VPP_VALIDATE_CERTS=false", env={"VPP_VALIDATE_CERTS": "false"},
            message=NOT_CHECKED),
    TlsCase("vpp-missing-ca-file", "vpp_asset_info", "ca_path that does not exist", "ca_path={missing}", succeeds=False,
            message=MISSING_FILE),
    TlsCase("vpp-not-a-ca-file", "vpp_asset_info", "ca_path of a text file, not a certificate", "ca_path={not_a_ca}",
            succeeds=False, message=NOT_A_CA_FILE),
    TlsCase("vpp-https-on-plain-http", "vpp_asset_info", "https:// URL of a plain-HTTP server", "ca_path={ca}", succeeds=False,
            message=PLAIN_HTTP, plain_http=True),
    TlsCase("vpp-write-check-mode", "vpp_assignment", "write module in check mode with ca_path",
            "adam_ids=361309726 serial_numbers=C02TLS00001 ca_path={ca}", check_mode=True),
    TlsCase("reseller-no-ca", "reseller_asset_info", "validate_certs true (default), no CA", succeeds=False,
            message=CERT_FAILURE),
    TlsCase("reseller-ca-path", "reseller_asset_info", "ca_path option", "ca_path={ca}"),
    TlsCase("reseller-no-validation", "reseller_asset_info", "validate_certs=false", "validate_certs=false", message=NOT_CHECKED),
    TlsCase("reseller-ca-directory", "reseller_asset_info", "ca_path naming a directory", "ca_path={directory}",
            succeeds=False, message=DIRECTORY),
]

REPORT = report.Section(
    order=50,
    title="TLS",
    intro="""
The simulator serves HTTPS with a certificate for 127.0.0.1 and localhost, signed by a CA that the test
creates with `trustme` (nothing is committed). Each row is one `ansible localhost -m assetops.licensing.<module>`
run; `vpp_*` rows read the `Main` location (connection in `VPP_TOKEN`/`VPP_API_URL`), `reseller_*` rows log in with the
password grant (`RESELLER_*`). Failures are checked to be the exact one-line message, without a traceback, with no request
handled by the server and no secret in the output; successes are checked against the simulator's data and request log.
""",
    columns=["Module", "What was tried", "Outcome (asserted)"],
    rows=[[case.module, case.tried, case.outcome()] for case in CASES],
)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, str]:
    """The CA and server certificate of the HTTPS simulator, another CA, and the bad ca_path values."""
    directory = tmp_path_factory.mktemp("tls")
    files = make_test_certificates(directory / "server")
    other = make_test_certificates(directory / "other")
    not_a_ca = directory / "notes.txt"
    not_a_ca.write_text("this file holds no certificate\n")
    return {"ca": str(files.ca), "cert": str(files.cert), "key": str(files.key), "other_ca": str(other.ca),
            "missing": str(directory / "missing" / "ca.pem"), "not_a_ca": str(not_a_ca), "directory": str(directory)}


@pytest.fixture(scope="module")
def https_simulator(tls_files: Dict[str, str]) -> Iterator[SimulatorControl]:
    with SimulatorProcess(tls_cert=tls_files["cert"], tls_key=tls_files["key"], tls_ca=tls_files["ca"]) as sim:
        yield sim


def run_module(runner: AnsibleRunner, module: str, module_args: str, env: Dict[str, str], check_mode: bool) -> Dict[str, object]:
    """``ansible localhost -m assetops.licensing.<module>`` (with --check when asked); the result, output and exit code."""
    tree = runner.workdir / "tree"
    command = [str(BIN / "ansible"), "localhost", "-m", "assetops.licensing." + module, "-a", module_args, "-t", str(tree)]
    if check_mode:
        command.append("--check")
    done = subprocess.run(command, cwd=runner.workdir, env=runner.env(env), capture_output=True, text=True, timeout=300, check=False)
    result_file = tree / "localhost"
    result = json.loads(result_file.read_text()) if result_file.exists() else {}
    return {"rc": done.returncode, "output": done.stdout + done.stderr, "result": result}


def connection_env(module: str, sim: SimulatorControl, url: str) -> Dict[str, str]:
    if module.startswith("vpp_"):
        return {"VPP_TOKEN": sim.tokens()["Main"], "VPP_API_URL": url + "/mdm/v2"}
    creds = sim.reseller_credentials()
    return {"RESELLER_API_URL": url, "RESELLER_CLIENT_ID": creds["client_id"], "RESELLER_CLIENT_SECRET": creds["client_secret"],
            "RESELLER_USERNAME": creds["username"], "RESELLER_PASSWORD": creds["password"]}


def secrets_of(sim: SimulatorControl) -> List[str]:
    creds = sim.reseller_credentials()
    return [sim.tokens()["Main"], creds["client_secret"], creds["password"]]


def check_success(case: TlsCase, result: Dict[str, object], sim: SimulatorControl) -> None:
    served = sim.log()
    if case.module == "vpp_asset_info":
        assert ("361309726", "STDQ") in {(asset["adam_id"], asset["pricing_param"]) for asset in result["assets"]}
        assert any(entry["path"] == "/mdm/v2/assets" and entry["status"] == 200 for entry in served)
    elif case.module == "reseller_asset_info":
        assert 100001 in {asset["id"] for asset in result["assets"]}
        assert any(entry["path"] == "/api/v1/connect/token" and entry["status"] == 200 for entry in served)
    else:  # the write module in check mode: it read over HTTPS and sent no write
        assert result["changed"] is True
        assert served and all(entry["method"] == "GET" for entry in served)
        assert sim.summary()["writes"] == 0


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_tls(case: TlsCase, https_simulator: SimulatorControl, tls_files: Dict[str, str], tmp_path: Path,
             request: pytest.FixtureRequest) -> None:
    https_simulator.reset()
    (tmp_path / "tmp").mkdir()
    runner = AnsibleRunner(tmp_path, https_simulator)
    target = request.getfixturevalue("simulator") if case.plain_http else https_simulator
    if case.plain_http:
        target.reset()
    url = target.url.replace("http://", "https://", 1)
    netloc = url.split("://", 1)[1]
    env = connection_env(case.module, target, url)
    env.update({name: value.format(**tls_files) for name, value in case.env.items()})

    run = run_module(runner, case.module, case.module_args.format(**tls_files), env, case.check_mode)
    result, output = run["result"], run["output"]

    assert "Traceback" not in output and "exception" not in result, output
    everything = output + json.dumps(result)
    for secret in secrets_of(target):
        assert secret not in everything
    console = " ".join(output.split())  # warnings are printed (and wrapped), not kept in the result tree
    if case.succeeds:
        assert run["rc"] == 0, output
        check_success(case, result, https_simulator)
        if case.message:
            assert "[WARNING]: " + case.message.format(netloc=netloc) in console, output
        else:
            assert "[WARNING]" not in console, output
    else:
        assert run["rc"] != 0, output
        assert result["msg"] == case.message.format(netloc=netloc, **tls_files), result["msg"]
        assert "\n" not in result["msg"]
        assert "retry" not in output  # a TLS problem is not retried
        assert target.log() == [], "the server handled a request"
