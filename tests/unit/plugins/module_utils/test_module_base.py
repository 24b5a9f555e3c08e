"""Input checks of the shared module base: list cleaning, the API URL, where the token comes from."""
from __future__ import annotations


import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError
from ansible_collections.assetops.licensing.plugins.module_utils.module import clean_list, http_url
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import DEFAULT_API_URL as DEFAULT_VPP_API_URL
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import VppModule

check_api_url = http_url(DEFAULT_VPP_API_URL)


def test_clean_list_strips_and_keeps_order():
    assert clean_list("serial_numbers", [" C02X ", "C02Y\n", "\tC02Z"]) == ["C02X", "C02Y", "C02Z"]


def test_clean_list_none_stays_none_and_empty_stays_empty():
    assert clean_list("adam_ids", None) is None
    assert clean_list("adam_ids", []) == []


def test_clean_list_numbers_become_strings():
    assert clean_list("adam_ids", [408709785, "361309726"]) == ["408709785", "361309726"]


@pytest.mark.parametrize("values, position", [(["a", ""], 2), (["  "], 1), (["a", "b", None], 3), (["a", "b", "c", "\n"], 4)])
def test_clean_list_empty_value_names_its_position(values, position):
    with pytest.raises(InputError) as caught:
        clean_list("client_user_ids", values)
    assert str(caught.value).startswith("client_user_ids has an empty value at position {0}".format(position))


def test_clean_list_dedupes_after_stripping():
    assert clean_list("serial_numbers", ["B", "A", " B", "C", "A "]) == ["B", "A", "C"]


@given(st.lists(st.text(alphabet="ab \t", min_size=0, max_size=4), max_size=20))
def test_clean_list_properties(values):
    try:
        result = clean_list("x", values)
    except InputError as exc:
        first_empty = next(i for i, v in enumerate(values, start=1) if not v.strip())
        assert "position {0}".format(first_empty) in str(exc)
        return
    stripped = [v.strip() for v in values]
    assert result == sorted(set(stripped), key=stripped.index)  # first-seen order, no repeats
    assert all(v and v == v.strip() for v in result)


@pytest.mark.parametrize("url, expected", [
    ("https://vpp.itunes.apple.com/mdm/v2", "https://vpp.itunes.apple.com/mdm/v2"),
    ("https://vpp.itunes.apple.com/mdm/v2/", "https://vpp.itunes.apple.com/mdm/v2"),
    ("  http://127.0.0.1:8080/mdm/v2//  ", "http://127.0.0.1:8080/mdm/v2"),
])
def test_check_api_url_accepts_http_urls(url, expected):
    assert check_api_url("api_url", url) == expected


@pytest.mark.parametrize("url", ["", None, "vpp.itunes.apple.com/mdm/v2", "ftp://vpp.example.test", "https://", "https:///path",
                                 "file:///etc/passwd"])
def test_check_api_url_refuses_others(url):
    with pytest.raises(InputError) as caught:
        check_api_url("api_url", url)
    message = str(caught.value)
    assert message.startswith("api_url must be an http(s) URL")
    assert DEFAULT_VPP_API_URL in message


# -- resolve_token, called on a stand-in for the module ------------------------------------------


def fake_module(token=None, token_path=None):
    """A VppModule with only the state resolve_token and hide use (AnsibleModule's own set-up skipped)."""
    module = VppModule.__new__(VppModule)
    module.params = {"token": token, "token_path": token_path}
    module.no_log_values = set()
    return module


@pytest.mark.parametrize("blank", ["", " ", "\n"])
def test_hide_never_masks_blank_values(blank):
    module = fake_module()
    module.hide(blank, "s3cret ")
    assert module.no_log_values == {"s3cret ", "s3cret"}


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv("VPP_TOKEN", raising=False)
    monkeypatch.delenv("VPP_TOKEN_PATH", raising=False)
    return monkeypatch


def test_token_option_wins_and_is_hidden(no_env):
    no_env.setenv("VPP_TOKEN", "from-env")
    module = fake_module(token="from-task")
    assert VppModule.resolve_token(module) == "from-task"
    assert "from-task" in module.no_log_values


def test_token_path_is_read_and_hidden(no_env, tmp_path):
    path = tmp_path / "location.vpptoken"
    path.write_text("c2VjcmV0\n", encoding="utf-8")
    module = fake_module(token_path=str(path))
    assert VppModule.resolve_token(module) == "c2VjcmV0\n"
    assert {"c2VjcmV0\n", "c2VjcmV0"} <= module.no_log_values


def test_token_and_token_path_are_exclusive(no_env, tmp_path):
    with pytest.raises(InputError, match="mutually exclusive"):
        VppModule.resolve_token(fake_module(token="x", token_path=str(tmp_path / "t")))


def test_environment_fallbacks(no_env, tmp_path):
    no_env.setenv("VPP_TOKEN", "env-token")
    assert VppModule.resolve_token(fake_module()) == "env-token"
    no_env.delenv("VPP_TOKEN")
    path = tmp_path / "t.vpptoken"
    path.write_text("env-path-token", encoding="utf-8")
    no_env.setenv("VPP_TOKEN_PATH", str(path))
    assert VppModule.resolve_token(fake_module()) == "env-path-token"
    no_env.setenv("VPP_TOKEN", "env-token")
    with pytest.raises(InputError, match="both VPP_TOKEN and VPP_TOKEN_PATH"):
        VppModule.resolve_token(fake_module())


def test_no_token_anywhere(no_env):
    with pytest.raises(InputError, match="no token"):
        VppModule.resolve_token(fake_module())


def test_unreadable_token_path(no_env, tmp_path):
    with pytest.raises(InputError) as caught:
        VppModule.resolve_token(fake_module(token_path=str(tmp_path / "missing.vpptoken")))
    assert "cannot read token_path" in str(caught.value) and "missing.vpptoken" in str(caught.value)
    binary = tmp_path / "binary.vpptoken"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(InputError, match="not a text file"):
        VppModule.resolve_token(fake_module(token_path=str(binary)))
