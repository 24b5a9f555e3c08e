"""Apple's error parser: keyed on errorNumber, error bodies with HTTP 200, proxies' HTML pages."""
from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError, Transport
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.errors import (
    APPLE_ERRORS,
    SHOW_APPLE_TEXT,
    apple_error_parser,
    describe,
)


def parse(status, body=None, text=None):
    if text is not None:
        response = httpx.Response(status, text=text)
        decoded = None
    elif body is not None:
        response = httpx.Response(status, json=body)
        decoded = body
    else:
        response = httpx.Response(status)
        decoded = None
    return apple_error_parser(response, decoded)


def test_success_without_error_number_is_no_error():
    assert parse(200, {"assets": [], "totalPages": 1}) is None
    assert parse(200) is None
    assert parse(204) is None


def test_token_errors_have_distinct_actionable_messages():
    messages = {number: parse(401, {"errorNumber": number, "errorMessage": "x"}).message for number in (9621, 9622, 9625, 9722)}
    assert len(set(messages.values())) == 4
    assert "expired" in messages[9621] and "new token" in messages[9621]
    assert "revoked" in messages[9625] and "newer token" in messages[9625] and "expired" not in messages[9625]
    assert "inner token" in messages[9622] and ".vpptoken" in messages[9622]
    assert "Bearer" in messages[9722]
    for number, message in messages.items():
        assert "(Apple error {0})".format(number) in message


@pytest.mark.parametrize("number, status", [(9621, 401), (9622, 401), (9625, 401), (9602, 400), (9650, 400),
                                            (9708, 400), (9634, 410)])
def test_final_errors_are_not_retryable(number, status):
    error = parse(status, {"errorNumber": number, "errorMessage": "Apple text"})
    assert error.retryable is False
    assert error.error_number == number and error.status == status
    assert error.error_message == "Apple text"


@pytest.mark.parametrize("number, status", [(9646, 429), (9646, 400), (9646, 200), (9603, 500), (9729, 503)])
def test_transient_errors_are_retryable_whatever_the_status(number, status):
    error = parse(status, {"errorNumber": number})
    assert error is not None and error.retryable is True and error.error_number == number


def test_error_body_with_http_200_is_an_error():
    error = parse(200, {"errorNumber": 9602, "errorMessage": "Invalid argument", "errorInfo": {"adamId": "x"}})
    assert isinstance(error, ApiError)
    assert error.status == 200 and error.error_number == 9602 and not error.retryable
    assert error.details == {"error_info": {"adamId": "x"}}


def test_error_number_given_as_string():
    assert parse(429, {"errorNumber": "9646"}).error_number == 9646


def test_unreadable_error_number_falls_back_to_the_status():
    assert parse(200, {"errorNumber": "oops"}) is None
    error = parse(400, {"errorNumber": "oops"})
    assert error.error_number is None and error.message == "Apple answered HTTP 400" and not error.retryable


def test_unknown_error_number_keeps_apples_message():
    error = parse(400, {"errorNumber": 9999, "errorMessage": "Something new"})
    assert error.message == "Apple error 9999: Something new" and not error.retryable
    assert parse(503, {"errorNumber": 9999}).retryable is True
    assert describe(9999) == "Apple error 9999: no message"


def test_429_without_body_is_too_many_requests():
    error = parse(429)
    assert error.retryable and "too many requests" in error.message and error.error_number is None


@pytest.mark.parametrize("status, body", [(429, None), (429, {"errorNumber": 9646}), (400, {"errorNumber": 9646})])
def test_being_throttled_carries_the_hint_on_its_likely_cause(status, body):
    hint = parse(status, body).hint
    assert hint.startswith("the likely cause is several processes using this location at once") and "fewer forks" in hint


@pytest.mark.parametrize("status, body", [(503, None), (500, {"errorNumber": 9603}), (400, {"errorNumber": 9602})])
def test_other_errors_carry_no_hint(status, body):
    assert parse(status, body).hint is None


def test_html_502_from_a_proxy_is_retryable_and_explained():
    error = parse(502, text="<html><body><h1>502 Bad Gateway</h1></body></html>")
    assert error.retryable is True and error.status == 502
    assert "HTTP 502" in error.message and "non-JSON" in error.message


def test_empty_5xx_body_is_described_as_empty():
    error = parse(503)
    assert error.retryable is True
    assert "HTTP 503" in error.message and "empty" in error.message


def test_html_502_through_the_transport_is_retried_then_reported():
    answers = [httpx.Response(502, text="<html>Bad Gateway</html>", headers={"Content-Type": "text/html"})] * 2 \
        + [httpx.Response(200, json={"uId": "1"})]
    seen = []

    def handler(request):
        seen.append(request)
        return answers[len(seen) - 1]

    warnings = []
    with Transport("https://vpp.example.test/mdm/v2", retries=3, error_parser=apple_error_parser, sleep=lambda s: None,
                   warn=warnings.append, httpx_transport=httpx.MockTransport(handler)) as transport:
        assert transport.request("GET", "/client/config") == {"uId": "1"}
    assert len(seen) == 3
    assert all("non-JSON" in warning for warning in warnings) and len(warnings) == 2


def test_error_body_with_http_200_through_the_transport_raises():
    def handler(request):
        return httpx.Response(200, json={"errorNumber": 9625, "errorMessage": "revoked"})

    with Transport("https://vpp.example.test/mdm/v2", retries=3, error_parser=apple_error_parser, sleep=lambda s: None,
                   httpx_transport=httpx.MockTransport(handler)) as transport:
        with pytest.raises(ApiError) as caught:
            transport.request("GET", "/assets")
    assert caught.value.error_number == 9625 and caught.value.path == "/assets"


def test_every_known_number_has_a_message_and_a_flag():
    for number, (message, retryable) in APPLE_ERRORS.items():
        assert message and isinstance(retryable, bool)
        assert describe(number).endswith("(Apple error {0})".format(number))
    retryable = {number for number, (_message, flag) in APPLE_ERRORS.items() if flag}
    assert retryable == {9603, 9646, 9729}


def test_the_whole_error_table_from_apples_documentation_is_known():
    documented = {9601, 9602, 9603, 9609, 9621, 9622, 9625, 9634, 9635, 9637, 9641, 9644, 9646, 9647, 9650}
    documented |= set(range(9700, 9730))
    assert documented <= set(APPLE_ERRORS)


@pytest.mark.parametrize("status, number", [(500, 9603), (503, 9729), (429, 9646)])
def test_a_5xx_with_apples_error_body_was_refused_not_lost(status, number):
    error = parse(status, {"errorNumber": number, "errorMessage": "busy"})
    assert error.refused is True and error.retryable is True


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_without_apples_body_is_not_known_to_be_refused(status):
    assert parse(status, text="<html>Service Unavailable</html>").refused is False


def test_undocumented_meaning_keeps_apples_words_beside_ours():
    error = parse(403, {"errorNumber": 9647, "errorMessage": "Forbidden for this organization"})
    assert error.message.startswith("Apple refused access for this token (HTTP 403)")
    assert error.message.endswith("(Apple error 9647: Forbidden for this organization)")


@given(number=st.sampled_from(sorted(APPLE_ERRORS)), status=st.sampled_from([200, 400, 401, 404, 429, 500, 503]),
       apple_message=st.text(max_size=30))
def test_known_numbers_use_our_text_not_apples(number, status, apple_message):
    error = parse(status, {"errorNumber": number, "errorMessage": apple_message})
    if number in SHOW_APPLE_TEXT and apple_message:
        assert error.message == describe(number)[:-1] + ": " + apple_message + ")"
    else:
        assert error.message == describe(number)
    assert error.error_message == apple_message
    assert error.retryable == (APPLE_ERRORS[number][1] or status == 429 or status >= 500)
