"""Secret hygiene: every module, succeeding and failing, at -vvvv; no secret anywhere it could end up.

One generated playbook runs every module at least once successfully and once failing, with the
credentials given as options or as a token file; four ad-hoc ``ansible`` runs give them through
the environment only (VPP_*, RESELLER_*), as an AWX/AAP credential does, and keep their results
with ``-t``. Then the whole console output, the registered and tree results, every file under the
run's XDG_CACHE_HOME and the ansible temporary folder are searched for every sToken of the
simulator, their inner tokens, the reseller password and client secret, the static access token,
every access token the simulator issued, the notification auth token given to vpp_client_config and
the notification auth tokens Apple holds (and answers with) for every location, and the metadata
cookie (``itvt=<sToken>``) that vpp_app_info and include_metadata send. Cache files must be private (0600).
"""
from __future__ import annotations

import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Tuple

import httpx
import pytest

from tests.integration.conftest import BIN, AnsibleRunner
from tests.reliability import report
from tests.reliability.inputs_playbook import COLLECTION, inner_token, run_playbook

pytestmark = pytest.mark.reliability

WRONG_PASSWORD = "not-the-password-0b5e77"
NOTIFY_TOKEN = "eda-notify-secret-51c8d2"  # vpp_client_config's notification_auth_token
BEARER = re.compile(r"Bearer\s+[A-Za-z0-9_.~+/=-]{8,}")
VPP_OPTION = {"token": "{{ tokens.Main }}", "api_url": "{{ vpp_url }}"}
VPP_FILE = {"token_path": "{{ files.Main }}", "api_url": "{{ vpp_url }}"}
PASSWORD_GRANT = {"api_url": "{{ reseller_url }}", "client_id": "{{ reseller.client_id }}", "client_secret": "{{ reseller.client_secret }}",
                  "username": "{{ reseller.username }}", "password": "{{ reseller.password }}"}
ACCESS_TOKEN = {"api_url": "{{ reseller_url }}", "access_token": "{{ reseller_static }}"}


@dataclass(frozen=True)
class Run:
    """One module run of the secret search."""

    name: str
    module: str
    args: Dict[str, Any]
    credentials: str  # how the secret reaches the module, for the report
    succeeds: bool
    expect: str = ""  # failing runs: part of the message, so they fail for the intended reason
    adhoc_env: Any = None  # ad-hoc runs: a function of the simulator giving the environment

    @property
    def adhoc(self) -> bool:
        return self.adhoc_env is not None


def vpp_env(sim: Any, workdir: Path, location: str, as_file: bool) -> Dict[str, str]:
    token = sim.tokens()[location]
    if not as_file:
        return {"VPP_TOKEN": token, "VPP_API_URL": sim.vpp_url}
    token_file = workdir / (location + "-env.vpptoken")
    token_file.write_text(token + "\n")
    return {"VPP_TOKEN_PATH": str(token_file), "VPP_API_URL": sim.vpp_url}


def reseller_env(sim: Any, _workdir: Path, password: str = "") -> Dict[str, str]:
    creds = sim.reseller_credentials()
    return {"RESELLER_API_URL": sim.reseller_url, "RESELLER_CLIENT_ID": creds["client_id"], "RESELLER_CLIENT_SECRET": creds["client_secret"],
            "RESELLER_USERNAME": creds["username"], "RESELLER_PASSWORD": password or creds["password"]}


RUNS: List[Run] = [
    Run("asset_info", "vpp_asset_info", dict(VPP_OPTION, adam_ids=["361309726"]), "token option", True),
    Run("asset_info_revoked", "vpp_asset_info", {"token_path": "{{ files.Revoked }}", "api_url": "{{ vpp_url }}"},
        "token_path (a revoked token, refused by the server)", False, "revoked"),
    Run("assignment_info", "vpp_assignment_info", dict(VPP_FILE, serial_numbers=["C02MAIN0001"]), "token_path", True),
    Run("assignment_info_expired", "vpp_assignment_info", {"token": "{{ tokens.Expired }}", "api_url": "{{ vpp_url }}"},
        "token option (expired, refused before any request)", False, "token expired on"),
    Run("assignment", "vpp_assignment", dict(VPP_OPTION, adam_ids=["361304891"], serial_numbers=["C02SECRET01"], wait=False),
        "token option", True),
    Run("assignment_book", "vpp_assignment", dict(VPP_FILE, adam_ids=["1485035550"], serial_numbers=["C02SECRET01"]),
        "token_path (a Book to a device)", False, "cannot be assigned to devices"),
    Run("event_info", "vpp_event_info", dict(VPP_OPTION, event_ids=["{{ run_assignment.events[0].event_id }}"]),
        "token option", True),
    Run("event_info_unknown", "vpp_event_info", dict(VPP_OPTION, event_ids=["5d1a63c4-2b1e-4d43-9d7f-000000000000"]),
        "token option (an unknown event)", False, "Apple does not know event id"),
    Run("revoke", "vpp_revoke", dict(VPP_FILE, serial_numbers=["C02SECRET01"], wait=False), "token_path", True),
    Run("revoke_inner_token", "vpp_revoke", {"token": "{{ inner.Main }}", "api_url": "{{ vpp_url }}", "serial_numbers": ["C02SECRET01"]},
        "token option (the inner token instead of the sToken)", False, "not an sToken"),
    Run("reclaim_over_cap", "vpp_reclaim", {"token_path": "{{ files.Reclaim }}", "api_url": "{{ vpp_url }}", "keep_serial_numbers": [],
                                            "max_reclaims": 1},
        "token_path (more than max_reclaims: refused before any write)", False, "more than max_reclaims 1"),
    Run("reclaim", "vpp_reclaim", {"token": "{{ tokens.Reclaim }}", "api_url": "{{ vpp_url }}", "keep_serial_numbers": [],
                                   "adam_ids": ["361285480"], "max_reclaims": 0, "wait": False},
        "token option", True),
    Run("client_config", "vpp_client_config",
        dict(VPP_OPTION, notification_url="https://eda.example.org/vpp", notification_auth_token="{{ notify_token }}",
             notification_types=["ASSET_MANAGEMENT", "ASSET_COUNT"]),
        "token option; notification_auth_token option (Apple's own token read, then replaced)", True),
    Run("client_config_owned", "vpp_client_config",
        {"token": "{{ tokens.Owned }}", "api_url": "{{ vpp_url }}", "notification_url": "https://eda.example.org/vpp",
         "notification_auth_token": "{{ notify_token }}"},
        "token option; notification_auth_token option (a location another MDM owns: its token read, the task refused)", False,
        "location is managed by 'Jamf Pro'"),
    Run("user", "vpp_user", dict(VPP_FILE, users=[{"client_user_id": "secret-user-1", "email": "secret-user-1@example.org"}], wait=False),
        "token_path", True),
    Run("user_owned", "vpp_user", {"token": "{{ tokens.Owned }}", "api_url": "{{ vpp_url }}", "users": [{"client_user_id": "secret-user-2"}]},
        "token option (a location another MDM owns: refused before any write)", False, "location is managed by 'Jamf Pro'"),
    Run("user_info", "vpp_user_info", dict(VPP_OPTION, client_user_ids=["user-2"]), "token option", True),
    Run("user_info_revoked", "vpp_user_info", {"token_path": "{{ files.Revoked }}", "api_url": "{{ vpp_url }}"},
        "token_path (a revoked token, refused by the server)", False, "revoked"),
    Run("location_info", "vpp_location_info", dict(VPP_OPTION), "token option", True),
    Run("location_info_expired", "vpp_location_info", {"token": "{{ tokens.Expired }}", "api_url": "{{ vpp_url }}"},
        "token option (expired, refused before any request)", False, "token expired on"),
    # the token also goes to the metadata lookup, as the cookie itvt=<sToken>: Main's custom app answers only to it
    Run("app_info", "vpp_app_info", dict(VPP_OPTION, adam_ids=["361309726", "1000000003", "999999999"]), "token option (as the itvt cookie)", True),
    Run("app_info_revoked", "vpp_app_info", {"token_path": "{{ files.Revoked }}", "api_url": "{{ vpp_url }}", "adam_ids": ["361309726"]},
        "token_path (a revoked token, refused by the server)", False, "revoked"),
    Run("asset_info_metadata", "vpp_asset_info", dict(VPP_FILE, include_metadata=True), "token_path (as the itvt cookie)", True),
    # the first reseller GET meets the injected 401 (access token refused), the second a 401 after which a
    # password-grant client logs in again: two access tokens issued in one run
    Run("reseller_info_refused", "reseller_asset_info", dict(ACCESS_TOKEN, id=100001), "access_token option (refused by the server)",
        False, "401"),
    Run("reseller_info", "reseller_asset_info", dict(PASSWORD_GRANT, id=100001), "password grant options (token renewed once)", True),
    Run("reseller_info_wrong_password", "reseller_asset_info", dict(PASSWORD_GRANT, id=100001, password=WRONG_PASSWORD),
        "password grant options (wrong password)", False, "reseller login failed"),
    Run("reseller_asset", "reseller_asset", dict(PASSWORD_GRANT, id=100004, name="Renamed at -vvvv"), "password grant options", True),
    Run("reseller_asset_static", "reseller_asset", dict(ACCESS_TOKEN, id=100001, auto_renew_enabled=False), "access_token option", True),
    Run("reseller_asset_ambiguous", "reseller_asset", dict(ACCESS_TOKEN, external_order_id="ORD-1001-MULTI", reseller_customer_id=1001, name="x"),
        "access_token option (an ambiguous lookup)", False, "2 assets match"),
    Run("adhoc_asset_info", "vpp_asset_info", {"adam_ids": "361309726"}, "VPP_TOKEN", True,
        adhoc_env=lambda sim, workdir: vpp_env(sim, workdir, "Main", as_file=False)),
    Run("adhoc_assignment_info_revoked", "vpp_assignment_info", {"serial_numbers": "C02MAIN0001"}, "VPP_TOKEN_PATH (a revoked token)", False,
        "revoked", adhoc_env=lambda sim, workdir: vpp_env(sim, workdir, "Revoked", as_file=True)),
    Run("adhoc_app_info", "vpp_app_info", {"adam_ids": "1000000003,909000001"}, "VPP_TOKEN (as the itvt cookie)", True,
        adhoc_env=lambda sim, workdir: vpp_env(sim, workdir, "Main", as_file=False)),
    Run("adhoc_reseller_info", "reseller_asset_info", {"id": "100002"}, "RESELLER_* password grant", True, adhoc_env=reseller_env),
    Run("adhoc_reseller_wrong_password", "reseller_asset", {"id": "100001", "name": "x"}, "RESELLER_* (wrong password)", False,
        "reseller login failed", adhoc_env=lambda sim, workdir: reseller_env(sim, workdir, WRONG_PASSWORD)),
]
PLACES = ("console output", "module results", "cache files", "ansible temporary files")

REPORT = report.Section(
    order=40,
    title="Secrets",
    intro="""
Every module runs at `-vvvv`, succeeding and failing, with the credentials as options, as a token
file, or only in the environment (`tests/reliability/test_secrets.py`). Afterwards the console
output, the module results (registered and `ansible -t`), every file under the run's
`XDG_CACHE_HOME` and the ansible temporary folder are searched for every sToken of the simulator,
their inner tokens, the reseller password and client secret, the static access token, every access
token the simulator issued during the run, the notification auth token given to `vpp_client_config`
and those Apple holds for every location (which its client config answers carry), the metadata
lookup's cookie (`itvt=<sToken>`), and any `Bearer <token>` text: none may appear. The
limits cache files must exist and be private (mode 0600, folder 0700).
""",
    columns=["Module", "Run by", "Credentials from", "Outcome", "Secrets found (" + ", ".join(PLACES) + ")"],
    rows=[[run.module, "ad-hoc `ansible -m` with `-t`" if run.adhoc else "playbook", run.credentials,
           "succeeds" if run.succeeds else "fails: \"...{0}...\"".format(run.expect), "none"]
          for run in RUNS],
)


def adhoc(runner: AnsibleRunner, run: Run) -> Tuple[int, str, Path]:
    """``ansible localhost -m <module> -vvvv -t <tree>`` with the credentials only in the environment."""
    tree = runner.workdir / ("tree-" + run.name)
    module_args = " ".join("{0}={1}".format(key, value) for key, value in run.args.items())
    command = [str(BIN / "ansible"), "localhost", "-m", COLLECTION + run.module, "-a", module_args, "-t", str(tree), "-vvvv"]
    done = subprocess.run(command, cwd=runner.workdir, env=runner.env(run.adhoc_env(runner.sim, runner.workdir)), capture_output=True,
                          text=True, timeout=300, check=False)
    return done.returncode, done.stdout + done.stderr, tree


@pytest.fixture(scope="module")
def searched(simulator, tmp_path_factory) -> Dict[str, Any]:
    """Runs everything once; returns the results, the texts to search per place and the secrets."""
    workdir = tmp_path_factory.mktemp("secrets")
    (workdir / "tmp").mkdir()
    runner = AnsibleRunner(workdir, simulator)
    simulator.reset()
    tokens = simulator.tokens()
    files = {}
    for location in ("Main", "Revoked", "Reclaim"):
        files[location] = str(workdir / (location + ".vpptoken"))
        Path(files[location]).write_text(tokens[location] + "\n")
    simulator.add_faults(
        {"method": "GET", "path": "/api/v1/assets/*", "count": 1, "kind": "status", "status": 401, "errorNumber": "Unauthorized"},
        {"method": "GET", "path": "/api/v1/assets/*", "after": 1, "count": 1, "kind": "status", "status": 401, "errorNumber": "Unauthorized"},
    )
    results_file = workdir / "results.json"
    tasks = [{"name": run.name, COLLECTION + run.module: run.args, "register": "run_" + run.name, "ignore_errors": True}
             for run in RUNS if not run.adhoc]
    content = "{{ {" + ", ".join("'{0}': run_{0}".format(run.name) for run in RUNS if not run.adhoc) + "} | to_json }}"
    tasks.append({"name": "keep the results", "ansible.builtin.copy": {"content": content, "dest": str(results_file), "mode": "0600"}})
    apple_notify_tokens = {location["name"]: location["clientConfig"]["notificationAuthToken"]
                           for location in simulator.state()["vpp"]["locations"]}  # what Apple holds and answers with
    extra_vars = {"vpp_url": simulator.vpp_url, "reseller_url": simulator.reseller_url, "tokens": tokens, "files": files,
                  "inner": {name: inner_token(token) for name, token in tokens.items()},
                  "reseller": simulator.reseller_credentials(), "reseller_static": simulator.reseller_static_token(),
                  "notify_token": NOTIFY_TOKEN}
    done = run_playbook(runner, [{"name": "secrets", "hosts": "localhost", "gather_facts": False, "tasks": tasks}], extra_vars, "secrets",
                        verbosity=4)
    output = done.stdout + done.stderr
    assert results_file.exists(), output[-6000:]
    results = json.loads(results_file.read_text())
    tree_texts = []
    adhoc_runs = [run for run in RUNS if run.adhoc]
    with ThreadPoolExecutor(max_workers=len(adhoc_runs)) as pool:  # side by side: they share nothing but the simulator
        answers = list(pool.map(lambda run: adhoc(runner, run), adhoc_runs))
    for run, (code, run_output, tree) in zip(adhoc_runs, answers):
        output += run_output
        result_file = tree / "localhost"
        results[run.name] = dict(json.loads(result_file.read_text()) if result_file.exists() else {}, rc=code)
        tree_texts += [path.read_text(errors="replace") for path in sorted(tree.glob("*"))]
    issued = httpx.get(simulator.url + "/_sim/reseller/issued-tokens", timeout=10).json()["tokens"]
    creds = simulator.reseller_credentials()
    secrets = {"sToken " + name: token for name, token in tokens.items()}
    secrets.update({"inner token " + name: inner_token(token) for name, token in tokens.items()})
    secrets.update({"reseller password": creds["password"], "client secret": creds["client_secret"], "wrong password": WRONG_PASSWORD,
                    "static access token": simulator.reseller_static_token()})
    secrets.update({"issued access token {0}".format(number): token for number, token in enumerate(issued, start=1)})
    secrets["notification auth token option"] = NOTIFY_TOKEN
    secrets.update({"metadata cookie " + name: "itvt=" + token for name, token in tokens.items()})
    secrets.update({"notification auth token of " + name: token for name, token in apple_notify_tokens.items()})
    lookups = [entry for entry in simulator.log() if entry["path"].endswith("/lookup")]
    cache_files = sorted(path for path in runner.cache_home.rglob("*") if path.is_file())
    temp_files = sorted(path for path in (workdir / "tmp").rglob("*") if path.is_file())
    return {
        "results": results, "secrets": secrets, "issued": issued, "lookups": lookups, "cache_home": runner.cache_home, "cache_files": cache_files,
        "planted": (workdir / "secrets-vars.json").read_text(),  # the test's own input: it holds the secrets by design
        "texts": {
            "console output": output,
            "module results": json.dumps(results) + "".join(tree_texts),
            "cache files": "".join(path.read_text(errors="replace") for path in cache_files),
            "ansible temporary files": "".join(path.read_text(errors="replace") for path in temp_files),
        },
    }


@pytest.mark.parametrize("run", RUNS, ids=lambda run: run.name)
def test_run_outcome(searched, run):
    """Each run succeeded or failed as planned, so the search covers both paths."""
    result = searched["results"][run.name]
    failed = bool(result.get("failed")) or result.get("rc", 0) != 0
    assert failed is not run.succeeds, result
    if not run.succeeds:
        assert run.expect in result["msg"], result["msg"]


def test_every_module_runs_succeeding_and_failing():
    """A new module cannot miss the search: each one is in RUNS at least once succeeding and once failing."""
    modules = sorted(path.stem for path in (Path(__file__).resolve().parents[2] / "plugins" / "modules").glob("*.py") if path.stem != "__init__")
    assert [module for module in modules if {run.succeeds for run in RUNS if run.module == module} != {True, False}] == []


def test_really_ran_at_vvvv(searched):
    assert "<localhost> EXEC" in searched["texts"]["console output"]
    assert len(searched["issued"]) >= 3, "the password-grant runs should have been issued access tokens (one renewed)"


def test_the_metadata_cookie_was_sent_and_taken(searched):
    """The cookie really went out: Main's custom app, which answers only to it, has its name in the results."""
    assert len(searched["lookups"]) >= 4
    custom = [app for app in searched["results"]["app_info"]["apps"] if app["adam_id"] == "1000000003"]
    assert custom and custom[0]["is_custom_app"] is True
    assert searched["results"]["adhoc_app_info"]["missing_adam_ids"] == ["909000001"]  # another organisation's custom app


def secrets_in(searched: Dict[str, Any], text: str) -> List[str]:
    return sorted(what for what, secret in searched["secrets"].items() if secret and secret in text)


def test_the_search_finds_planted_secrets(searched):
    """The search itself works: the playbook's variables file, written by the test, holds them."""
    assert {"sToken Main", "inner token Main", "reseller password", "client secret", "static access token",
            "notification auth token option"} <= set(secrets_in(searched, searched["planted"]))


@pytest.mark.parametrize("place", PLACES)
def test_no_secret(searched, place):
    text = searched["texts"][place]
    found = secrets_in(searched, text)
    assert not found, "{0} hold: {1}".format(place, ", ".join(found))
    assert BEARER.search(text) is None, "an access token is in the " + place


def test_cache_files_are_private(searched):
    assert searched["cache_files"], "the vpp modules cache the service limits"
    for path in searched["cache_files"]:
        assert path.stat().st_mode & 0o777 == 0o600, path
        assert path.parent.stat().st_mode & 0o777 == 0o700, path.parent
