"""ResellerModule.credentials on a stand-in for the module: an access token, or all four password-grant values."""
from __future__ import annotations

import pytest

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError
from ansible_collections.assetops.licensing.plugins.module_utils.reseller.module import ResellerModule
from ansible_collections.assetops.licensing.plugins.module_utils.reseller.client import Credentials

FOUR = {"client_id": "cid", "client_secret": "csecret-X1", "username": "user@example.test", "password": "pw-X2"}


def fake_module(**params):
    """A ResellerModule with only the state credentials() and hide() use (AnsibleModule's own set-up skipped)."""
    module = ResellerModule.__new__(ResellerModule)
    module.params = dict({"access_token": None, "client_id": None, "client_secret": None, "username": None, "password": None},
                         **params)
    module.no_log_values = set()
    return module


def test_access_token_alone():
    module = fake_module(access_token="tok-X3")
    credentials = module.credentials()
    assert isinstance(credentials, Credentials)
    assert credentials.access_token == "tok-X3"
    assert (credentials.client_id, credentials.client_secret, credentials.username, credentials.password) == (None,) * 4
    assert "tok-X3" in module.no_log_values


def test_all_four():
    module = fake_module(**FOUR)
    credentials = module.credentials()
    assert credentials.access_token is None
    assert (credentials.client_id, credentials.client_secret, credentials.username, credentials.password) == \
        ("cid", "csecret-X1", "user@example.test", "pw-X2")
    assert {"csecret-X1", "pw-X2"} <= module.no_log_values
    assert "cid" not in module.no_log_values and "user@example.test" not in module.no_log_values  # not secrets


@pytest.mark.parametrize("extra", [FOUR, {"client_id": "cid"}, {"password": "pw-X2"}])
def test_token_and_password_grant_values_are_exclusive(extra):
    module = fake_module(access_token="tok-X3", **extra)
    with pytest.raises(InputError) as caught:
        module.credentials()
    message = str(caught.value)
    assert "either access_token or" in message and "not both" in message and "RESELLER_" in message
    for secret in ("tok-X3", "csecret-X1", "pw-X2"):
        assert secret not in message
    assert "tok-X3" in module.no_log_values  # hidden even though it failed
    if "password" in extra:
        assert "pw-X2" in module.no_log_values


@pytest.mark.parametrize("missing", [
    ("client_id",), ("client_secret",), ("username",), ("password",),
    ("client_secret", "password"), ("client_id", "client_secret", "username", "password"),
])
def test_missing_values_are_named(missing):
    module = fake_module(**{name: value for name, value in FOUR.items() if name not in missing})
    with pytest.raises(InputError) as caught:
        module.credentials()
    message = str(caught.value)
    assert "missing {0};".format(", ".join(missing)) in message
    named = message.split("missing ")[1].split(";")[0]
    assert set(named.split(", ")) == set(missing)
    assert "csecret-X1" not in message and "pw-X2" not in message
    for name in ("client_secret", "password"):
        if name not in missing:
            assert FOUR[name] in module.no_log_values  # hidden even though it failed


def test_empty_strings_count_as_not_given():
    given = dict(FOUR)
    given["username"] = ""
    module = fake_module(access_token="", **given)
    with pytest.raises(InputError, match="missing username;"):
        module.credentials()
    assert fake_module(access_token="", **FOUR).credentials().access_token is None
    assert fake_module(access_token="tok", client_id="").credentials().access_token == "tok"


def test_blank_secrets_are_not_hidden():
    module = fake_module(access_token="tok-X3", password=" ", client_secret="")
    with pytest.raises(InputError):
        module.credentials()  # " " is a given password, so both kinds are given
    assert module.no_log_values == {"tok-X3"}


def test_secrets_are_hidden_with_and_without_surrounding_space():
    given = dict(FOUR)
    given["password"] = " pw-X2 "
    module = fake_module(**given)
    module.credentials()
    assert {" pw-X2 ", "pw-X2", "csecret-X1"} <= module.no_log_values
