"""sToken parsing and the local expiry check; no message may ever carry the token or its inner token."""
from __future__ import annotations

import base64
import datetime
import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ansible_collections.assetops.licensing.plugins.module_utils.vpp.token import (
    EXPIRY_WARNING_DAYS,
    SToken,
    TokenError,
    check_expiry,
    parse_stoken,
)
from tests.utils.stokens import INNER_TOKEN, make_stoken

UTC = datetime.timezone.utc
EXPIRES = datetime.datetime(2030, 11, 8, 22, 33, 22, tzinfo=UTC)


def test_valid_token_is_parsed():
    raw = make_stoken(exp=EXPIRES, org="Example School")
    token = parse_stoken(raw)
    assert token.value == raw  # the outer string is what gets sent
    assert token.inner_token == INNER_TOKEN
    assert token.expires == EXPIRES and token.expires.tzinfo is not None
    assert token.org_name == "Example School"
    assert token.expiry_day == "2030-11-08"


def test_whitespace_and_line_breaks_around_and_inside_are_removed():
    raw = make_stoken(exp=EXPIRES)
    wrapped = "\n".join(raw[i:i + 20] for i in range(0, len(raw), 20))
    token = parse_stoken("  \r\n" + wrapped + "\n\n\t ")
    assert token.value == raw
    assert token.inner_token == INNER_TOKEN


def test_missing_padding_and_urlsafe_alphabet_are_accepted():
    payload = json.dumps({"token": "a?b>c~~~", "expDate": "2030-11-08T22:33:22+0000"}).encode()
    urlsafe = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    assert parse_stoken(urlsafe).inner_token == "a?b>c~~~"


@pytest.mark.parametrize("expdate, expected", [
    ("2030-11-08T22:33:22+0000", EXPIRES),
    ("2030-11-08T22:33:22Z", EXPIRES),
    ("2030-11-08T22:33:22+00:00", EXPIRES),
    ("2030-11-09T00:33:22+0200", EXPIRES),
    ("2030-11-08T22:33:22.000+0000", EXPIRES),
])
def test_expdate_forms(expdate, expected):
    assert parse_stoken(make_stoken(exp=expdate)).expires == expected


@pytest.mark.parametrize("raw", ["", "   \n", None])
def test_empty_token(raw):
    with pytest.raises(TokenError, match="token is empty"):
        parse_stoken(raw)


@pytest.mark.parametrize("raw", ["not a token at all!", "%%%%", "ééé"])
def test_not_base64(raw):
    with pytest.raises(TokenError, match="not an sToken") as caught:
        parse_stoken(raw)
    assert ".vpptoken" in str(caught.value)


def test_inner_token_sent_alone_is_recognised():
    with pytest.raises(TokenError) as caught:
        parse_stoken(INNER_TOKEN)
    assert "inner token alone does not work" in str(caught.value)
    assert INNER_TOKEN not in str(caught.value)


def test_base64_of_something_else():
    with pytest.raises(TokenError, match="not an sToken"):
        parse_stoken(base64.b64encode(b"\xff\xfe\x00 binary").decode())
    with pytest.raises(TokenError, match="something other than the token JSON"):
        parse_stoken(base64.b64encode(b'["token", "expDate"]').decode())


@pytest.mark.parametrize("drop, extra, missing", [
    (("token",), None, "lacks token:"),
    (("expDate",), None, "lacks expDate:"),
    (("token", "expDate"), None, "lacks token and expDate:"),
    ((), {"token": ""}, "lacks token:"),
    ((), {"expDate": 20301108}, "lacks expDate:"),
])
def test_json_lacking_fields(drop, extra, missing):
    with pytest.raises(TokenError, match=missing):
        parse_stoken(make_stoken(drop=drop, extra=extra))


@pytest.mark.parametrize("expdate", ["tomorrow", "2030-11-08", "08/11/2030 22:33", "2030-13-45T99:99:99+0000",
                                     "2030-11-08T22:33:22"])
def test_bad_expdate(expdate):
    with pytest.raises(TokenError, match="unreadable expDate") as caught:
        parse_stoken(make_stoken(exp=expdate))
    assert expdate not in str(caught.value) or len(expdate) < 5


def test_org_name_optional_and_only_a_string():
    assert parse_stoken(make_stoken(org=None)).org_name is None
    assert parse_stoken(make_stoken(org=None, extra={"orgName": 42})).org_name is None


def test_expired_token_message_has_the_date_and_where_to_get_one():
    token = parse_stoken(make_stoken(exp=EXPIRES))
    with pytest.raises(TokenError) as caught:
        check_expiry(token, now=EXPIRES + datetime.timedelta(seconds=1))
    message = str(caught.value)
    assert "expired on 2030-11-08" in message
    assert "Apple Business Manager" in message and "Apple School Manager" in message


def test_token_expiring_at_this_very_moment_is_expired():
    token = parse_stoken(make_stoken(exp=EXPIRES))
    with pytest.raises(TokenError, match="expired"):
        check_expiry(token, now=EXPIRES)


@pytest.mark.parametrize("days_left", [1, 10, EXPIRY_WARNING_DAYS])
def test_expiring_within_30_days_warns(days_left):
    token = parse_stoken(make_stoken(exp=EXPIRES, org="Example School"))
    warning = check_expiry(token, now=EXPIRES - datetime.timedelta(days=days_left))
    assert warning is not None
    assert "2030-11-08" in warning and "in {0} days".format(days_left) in warning
    assert "Example School" in warning and "Apple Business Manager" in warning


def test_far_from_expiry_no_warning():
    token = parse_stoken(make_stoken(exp=EXPIRES))
    assert check_expiry(token, now=EXPIRES - datetime.timedelta(days=EXPIRY_WARNING_DAYS, seconds=1)) is None
    assert check_expiry(token, now=EXPIRES - datetime.timedelta(days=200)) is None


def test_default_now_is_the_real_clock():
    assert check_expiry(parse_stoken(make_stoken(exp=datetime.datetime(2099, 1, 1, tzinfo=UTC)))) is None
    with pytest.raises(TokenError):
        check_expiry(parse_stoken(make_stoken(exp=datetime.datetime(2001, 1, 1, tzinfo=UTC))))


def test_repr_hides_the_secrets():
    raw = make_stoken(exp=EXPIRES)
    token = parse_stoken(raw)
    text = repr(token) + str(token)
    assert INNER_TOKEN not in text and raw not in text
    assert "Example School" in repr(token) and "2030-11-08" in repr(token)
    assert not hasattr(token, "__dict__")  # slots: nothing else to leak


secret_text = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_", min_size=16, max_size=80)


@settings(max_examples=150)
@given(inner=secret_text, org=st.one_of(st.none(), st.text(max_size=30)),
       case=st.sampled_from(["expired", "warning", "bad_date", "no_exp", "inner_alone"]))
def test_messages_never_contain_the_token_or_the_inner_token(inner, org, case):
    assume(org is None or inner not in org)  # the org name is shown on purpose
    now = datetime.datetime(2030, 1, 1, tzinfo=UTC)
    exp = {"expired": now - datetime.timedelta(days=3), "warning": now + datetime.timedelta(days=5)}.get(case, now)
    raw = make_stoken(inner=inner, exp="not-a-date" if case == "bad_date" else exp, org=org,
                      drop=("expDate",) if case == "no_exp" else ())
    messages = []
    try:
        token = parse_stoken(inner if case == "inner_alone" else raw)
        messages.append(repr(token))
        messages.append(check_expiry(token, now=now) or "")
    except TokenError as exc:
        messages.append(str(exc))
    if case != "inner_alone":
        assert messages and messages[-1]  # every case says something
    for message in messages:
        assert inner not in message
        assert raw not in message


def test_stoken_can_be_built_directly():
    token = SToken("outer", "inner", EXPIRES, None)
    assert token.expiry_day == "2030-11-08" and "inner" not in repr(token) and "outer" not in repr(token)
