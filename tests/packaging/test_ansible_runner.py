"""AWX's engine, ansible-runner, runs credential-free playbooks with the connection injected the way the
credential types in extensions/awx/credential_types/ make AWX inject it, against the simulator."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Dict, Iterable, List

import ansible_runner
import pytest

from tests.conftest import COLLECTIONS_ROOT
from tests.packaging.awx_injection import inject, load_credential_type
from tests.packaging.conftest import BIN, HERE

pytestmark = pytest.mark.integration


def private_data_dir(root: Path, playbook: str) -> Path:
    """The layout AWX hands to ansible-runner: project/ with the playbook, inventory/ with localhost."""
    pdd = root / "pdd"
    (pdd / "project").mkdir(parents=True)
    (pdd / "inventory").mkdir()
    shutil.copy(HERE / playbook, pdd / "project" / playbook)
    (pdd / "inventory" / "hosts").write_text(
        "localhost ansible_connection=local ansible_python_interpreter={0}\n".format(sys.executable))
    return pdd


def run_job(pdd: Path, playbook: str, credential_env: Dict[str, str]):
    envvars = {
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT),
        "PATH": str(BIN) + ":/usr/bin:/bin",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_LOCAL_TEMP": str(pdd / "tmp"),
        "XDG_CACHE_HOME": str(pdd / "cache"),
    }
    envvars.update(credential_env)
    # suppress_env_files: AWX's default (AWX_RUNNER_OMIT_ENV_FILES), no env/envvars copy of the secrets
    return ansible_runner.run(private_data_dir=str(pdd), playbook=playbook, envvars=envvars, quiet=True, timeout=120,
                              suppress_env_files=True)


def task_results(runner) -> Dict[str, dict]:
    """Task name -> module result, from the runner_on_ok / runner_on_failed events."""
    results = {}
    for event in runner.events:
        if event.get("event") in ("runner_on_ok", "runner_on_failed"):
            results[event["event_data"]["task"]] = event["event_data"]["res"]
    return results


def assert_secrets_absent(pdd: Path, secrets: Iterable[str], allowed: List[Path], stdout: str) -> None:
    """No secret in runner's stdout nor in any file under the private data dir, except the credential files."""
    secrets = [s for s in secrets if s]
    for secret in secrets:
        assert secret not in stdout
    scanned = 0
    for path in pdd.rglob("*"):
        if not path.is_file() or path in allowed:
            continue
        data = path.read_bytes()
        scanned += 1
        for secret in secrets:
            assert secret.encode() not in data, "a secret leaked into {0}".format(path.relative_to(pdd))
    assert scanned > 5, "ansible-runner wrote no artifacts?"


def test_vpp_job_with_token_file_credential(sim, clean_environ, tmp_path):
    sim.settings(eventSeconds=0.2)
    sim.clear_log()
    token = sim.tokens()["Main"]
    before = sim.assignments("Main")
    assert ("361309726", "STDQ", "serial", "AWX-RUNNER-1") not in before
    pdd = private_data_dir(tmp_path, "awx_vpp_job.yml")
    # the simulator serves plain http: the TLS option only has to reach the module, so leave it unchecked
    env, files = inject(load_credential_type("apple_vpp"), {"token": token, "api_url": sim.vpp_url}, pdd)
    assert set(env) == {"VPP_TOKEN_PATH", "VPP_API_URL", "VPP_VALIDATE_CERTS"}
    assert env["VPP_TOKEN_PATH"] == str(files[0]) and files[0].read_text() == token
    assert env["VPP_API_URL"] == sim.vpp_url and env["VPP_VALIDATE_CERTS"] == "True"

    runner = run_job(pdd, "awx_vpp_job.yml", env)
    stdout = runner.stdout.read()
    assert runner.status == "successful", stdout
    assert runner.rc == 0

    results = task_results(runner)
    assets = results["Read the assets of the location"]
    assert assets["changed"] is False
    assert [(a["adam_id"], a["pricing_param"]) for a in assets["assets"]] == [("361309726", "STDQ")]
    first = results["Give Pages to a new device"]
    assert first["changed"] is True and first["failures"] == []
    assert [(c["adam_id"], c["serial_number"]) for c in first["changes"]] == [("361309726", "AWX-RUNNER-1")]
    assert results["Give Pages to the same device again"]["changed"] is False
    assert sim.assignments("Main") == before | {("361309726", "STDQ", "serial", "AWX-RUNNER-1")}

    counts = sim.summary()["counts"]
    assert sum(n for key, n in counts.items() if key.startswith("POST ") and "assets/associate" in key) == 1, counts
    assert any(key.startswith("GET ") and key.endswith("/assets") for key in counts), counts
    log = sim.log()
    assert log and all(entry["path"].startswith("/mdm/v2/") for entry in log if "path" in entry)

    # with the file injector the token is only in the credential file: not in env/envvars, not in artifacts/
    assert_secrets_absent(pdd, [token], allowed=files, stdout=stdout)


def test_vpp_token_file_keeps_multiline_content(tmp_path):
    """A token pasted with line breaks reaches the file byte for byte (an env var would be fragile)."""
    token = "line-one\nline-two\n"
    env, files = inject(load_credential_type("apple_vpp"), {"token": token, "skip_tls_verify": True}, tmp_path)
    assert files[0].read_text() == token
    assert env["VPP_API_URL"] == "https://vpp.itunes.apple.com/mdm/v2"
    assert env["VPP_VALIDATE_CERTS"] == "False"
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("grant", ["password", "access_token"])
def test_reseller_job_with_env_credential(sim, clean_environ, tmp_path, grant):
    if grant == "password":
        inputs = dict(sim.reseller_credentials())
        secrets = [inputs["client_secret"], inputs["password"]]
    else:
        inputs = {"access_token": sim.reseller_static_token()}
        secrets = [inputs["access_token"]]
    inputs["api_url"] = sim.reseller_url
    pdd = private_data_dir(tmp_path, "awx_reseller_job.yml")
    env, files = inject(load_credential_type("reseller"), inputs, pdd)
    assert files == []
    assert env["RESELLER_API_URL"] == sim.reseller_url
    # the fields left empty are injected as "" and must count as not given
    assert all(env[name] == "" for name in env if name != "RESELLER_API_URL" and name[len("RESELLER_"):].lower() not in inputs)

    runner = run_job(pdd, "awx_reseller_job.yml", env)
    stdout = runner.stdout.read()
    assert runner.status == "successful", stdout
    result = task_results(runner)["Read one asset"]
    assert result["changed"] is False
    assert [asset["id"] for asset in result["assets"]] == [100001]
    assert result["assets"][0]["purchase_price"] == "12.345678901234567890"
    expected = {"GET /api/v1/assets/{id}": 1}
    if grant == "password":
        expected["POST /api/v1/connect/token"] = 1
    assert sim.summary()["counts"] == expected

    # ansible-runner always records the process environment in artifacts/<id>/command (mode 0600; AWX
    # removes the private data dir after the job): env-injected secrets are there and nowhere else
    assert not (pdd / "env" / "envvars").exists()
    command_file = Path(runner.config.artifact_dir) / "command"
    assert oct(command_file.stat().st_mode & 0o777) == "0o600"
    assert all(secret in command_file.read_text() for secret in secrets)
    assert_secrets_absent(pdd, secrets, allowed=[command_file], stdout=stdout)
