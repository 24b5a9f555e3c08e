"""The shared HTTP transport: Retry-After, backoff, retries, write safety, TLS errors, user-agent, pacing."""
from __future__ import annotations

import datetime
import email.utils
import random
import socket
import ssl
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.assetops.licensing.plugins.module_utils import http
from ansible_collections.assetops.licensing.plugins.module_utils.http import (
    ApiError,
    RequestPacer,
    RetryPolicy,
    Transport,
    parse_retry_after,
)

REPO_ROOT = Path(__file__).resolve().parents[4]
BASE = "https://api.example.test/v2"
SECRET = "Bearer c2VjcmV0LXN0b2tlbi12YWx1ZS1kby1ub3QtbGVhaw=="


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


class Recorder:
    """A scripted server: each request gets the next answer (a Response, an exception, or a callable)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


def make_transport(recorder, retries=3, **kwargs):
    sleeps, warnings = [], []
    transport = Transport(BASE, retries=retries, sleep=sleeps.append, warn=warnings.append,
                          httpx_transport=httpx.MockTransport(recorder), **kwargs)
    return transport, sleeps, warnings


def ok(body=None):
    return httpx.Response(200, json=body if body is not None else {"ok": True})


# -- Retry-After ------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [("0", 0.0), ("7", 7.0), ("  12 ", 12.0), ("2.5", 2.5), ("-3", 0.0)])
def test_retry_after_seconds(value, expected):
    assert parse_retry_after(value) == expected


@pytest.mark.parametrize("value", [None, "", "   ", "soon", "Wed, 99 Foo 2015 25:61:00 GMT", "1 2 3"])
def test_retry_after_garbage_is_none(value):
    assert parse_retry_after(value) is None


def test_retry_after_http_date_in_the_future():
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 42, usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(42.0)


def test_retry_after_http_date_in_the_past_is_zero():
    now = 1_700_000_000.0
    assert parse_retry_after(email.utils.formatdate(now - 3600, usegmt=True), now=now) == 0.0


@pytest.mark.parametrize("header", [
    "Tue, 14 Nov 2023 22:14:20 GMT",       # IMF-fixdate
    "Tuesday, 14-Nov-23 22:14:20 GMT",     # obsolete RFC 850 form
    "Tue Nov 14 22:14:20 2023",            # obsolete asctime form: no zone, always GMT
])
def test_retry_after_http_date_forms_are_gmt_whatever_the_local_zone(header, monkeypatch):
    # HTTP-dates are GMT (RFC 9110 5.6.7): a controller in another time zone must read the same delay.
    when = datetime.datetime(2023, 11, 14, 22, 14, 20, tzinfo=datetime.timezone.utc).timestamp()
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        assert parse_retry_after(header, now=when - 30) == pytest.approx(30.0)
    finally:
        monkeypatch.undo()
        time.tzset()


@given(st.integers(min_value=0, max_value=10 ** 6))
def test_retry_after_any_delta_seconds_round_trips(seconds):
    assert parse_retry_after(str(seconds)) == float(seconds)


@given(st.text(max_size=40))
def test_retry_after_never_raises_and_is_never_negative(text):
    value = parse_retry_after(text, now=1_700_000_000.0)
    assert value is None or value >= 0.0


# -- RetryPolicy --------------------------------------------------------------------------------


@given(
    attempt=st.integers(min_value=1, max_value=5000),
    base=st.floats(min_value=0.001, max_value=5.0),
    cap=st.floats(min_value=0.01, max_value=300.0),
    seed=st.integers(min_value=0, max_value=2 ** 32),
)
def test_backoff_is_full_jitter_under_the_exponential_ceiling_and_the_cap(attempt, base, cap, seed):
    policy = RetryPolicy(retries=attempt, base_delay=base, max_delay=cap, rng=random.Random(seed))
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, 1000))
    delay = policy.delay(attempt)
    assert 0.0 <= delay <= ceiling
    assert delay <= cap


@given(retry_after=st.floats(min_value=0.0, max_value=1e9), attempt=st.integers(min_value=1, max_value=20))
def test_retry_after_is_honoured_in_full(retry_after, attempt):
    policy = RetryPolicy(max_delay=1.0, rng=random.Random(0))
    assert policy.delay(attempt, retry_after) == retry_after


def test_backoff_uses_the_whole_jitter_range():
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0, rng=random.Random(1))
    delays = [policy.delay(4) for _number in range(400)]  # ceiling 8 s
    assert max(delays) <= 8.0
    assert min(delays) < 1.0 and max(delays) > 7.0  # full jitter, not "ceiling plus a little"


def test_negative_retries_mean_none():
    assert RetryPolicy(retries=-2).retries == 0


# -- retries --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_get_retried_up_to_retries_then_api_error_with_attempts(status):
    recorder = Recorder(httpx.Response(status, json={"error": "busy"}))
    transport, sleeps, warnings = make_transport(recorder, retries=3)
    with pytest.raises(ApiError) as caught:
        transport.request("GET", "/things")
    error = caught.value
    assert len(recorder.requests) == 4
    assert len(sleeps) == 3
    assert error.status == status
    assert error.details["attempts"] == 4
    assert "gave up after 3 retries" in error.message and str(error) == error.message
    assert (error.method, error.path) == ("GET", "/things")
    assert len(warnings) == 3
    for number, warning in enumerate(warnings, start=1):
        assert "retry {0} of 3".format(number) in warning
        assert "GET /things" in warning


@pytest.mark.parametrize("status", [429, 500, 503])
def test_get_recovers_after_transient_errors(status):
    recorder = Recorder(httpx.Response(status), httpx.Response(status), ok({"value": 1}))
    transport, sleeps, warnings = make_transport(recorder, retries=5)
    assert transport.request("GET", "/things") == {"value": 1}
    assert len(recorder.requests) == 3 and len(sleeps) == 2 and len(warnings) == 2


def test_zero_retries_means_one_attempt():
    recorder = Recorder(httpx.Response(503))
    transport, sleeps, warnings = make_transport(recorder, retries=0)
    with pytest.raises(ApiError) as caught:
        transport.request("GET", "/x")
    assert len(recorder.requests) == 1 and sleeps == [] and warnings == []
    assert caught.value.details["attempts"] == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_client_errors_are_not_retried(status):
    recorder = Recorder(httpx.Response(status))
    transport, sleeps, _warnings = make_transport(recorder)
    with pytest.raises(ApiError) as caught:
        transport.request("GET", "/x")
    assert len(recorder.requests) == 1 and sleeps == []
    assert caught.value.status == status and not caught.value.retryable
    assert "attempts" not in caught.value.details


def test_retry_after_header_sets_the_whole_wait():
    recorder = Recorder(httpx.Response(503, headers={"Retry-After": "7"}),
                        httpx.Response(429, headers={"Retry-After": "400"}), ok())
    transport, sleeps, _warnings = make_transport(recorder, retry_policy=RetryPolicy(retries=3))
    transport.request("GET", "/x")
    assert sleeps == [7.0, 400.0]


def test_retry_after_beyond_the_deadline_fails_at_once_saying_when_to_run_again():
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "90"}), ok())
    now = [1000.0]
    transport, sleeps, _warnings = make_transport(recorder, clock=lambda: now[0])
    transport.deadline = 1060.0
    before = datetime.datetime.now(datetime.timezone.utc)
    with pytest.raises(ApiError) as caught:
        transport.request("POST", "/assets/associate", json={"a": 1})
    assert len(recorder.requests) == 1 and sleeps == []
    error = caught.value
    assert "asks to wait 90 s, more than this task has left: run it again after " in error.message
    when = datetime.datetime.strptime(error.message.rsplit("after ", 1)[1], "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=datetime.timezone.utc)
    assert before + datetime.timedelta(seconds=88) <= when <= before + datetime.timedelta(seconds=92)
    assert error.details["retry_after"] == 90 and error.retryable is False and error.status == 429


def test_without_a_deadline_retry_after_fits_the_default_budget():
    recorder = Recorder(httpx.Response(503, headers={"Retry-After": str(http.WAIT_BUDGET + 1)}), ok())
    transport, sleeps, _warnings = make_transport(recorder, clock=lambda: 0.0)
    with pytest.raises(ApiError, match="more than this task has left"):
        transport.request("GET", "/x")
    recorder = Recorder(httpx.Response(503, headers={"Retry-After": str(http.WAIT_BUDGET)}), ok())
    transport, sleeps, _warnings = make_transport(recorder, clock=lambda: 0.0)
    assert transport.request("GET", "/x") == {"ok": True}
    assert sleeps == [http.WAIT_BUDGET]


def test_retry_after_http_date_header_is_used():
    recorder = Recorder(httpx.Response(503, headers={"Retry-After": email.utils.formatdate(time.time() + 20, usegmt=True)}), ok())
    transport, sleeps, _warnings = make_transport(recorder)
    transport.request("GET", "/x")
    assert len(sleeps) == 1 and 15.0 <= sleeps[0] <= 20.0


def test_post_retried_when_the_server_refused_it():
    recorder = Recorder(httpx.Response(429), ok({"eventId": "e"}))
    transport, sleeps, _warnings = make_transport(recorder)
    assert transport.request("POST", "/assets/associate", json={"a": 1}) == {"eventId": "e"}
    assert len(recorder.requests) == 2 and len(sleeps) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_not_resent_after_a_server_failure_outcome_unknown(status):
    recorder = Recorder(httpx.Response(status), ok())
    transport, sleeps, _warnings = make_transport(recorder)
    with pytest.raises(ApiError) as caught:
        transport.request("POST", "/assets/associate", json={"a": 1})
    assert len(recorder.requests) == 1 and sleeps == []
    assert caught.value.outcome_unknown is True
    assert caught.value.retryable is False
    assert caught.value.to_dict()["outcome_unknown"] is True


@pytest.mark.parametrize("exc", [httpx.ReadTimeout("read timed out"), httpx.RemoteProtocolError("server hung up"),
                                 httpx.WriteTimeout("write timed out")])
def test_post_not_resent_after_the_request_may_have_arrived(exc):
    recorder = Recorder(exc, ok())
    transport, sleeps, _warnings = make_transport(recorder)
    with pytest.raises(ApiError) as caught:
        transport.request("POST", "/assets/associate", json={"a": 1})
    assert len(recorder.requests) == 1 and sleeps == []
    assert caught.value.outcome_unknown is True
    assert "api.example.test" in caught.value.message


@pytest.mark.parametrize("exc", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("pool")])
def test_post_resent_when_the_request_never_left(exc):
    recorder = Recorder(exc, ok({"eventId": "e"}))
    transport, sleeps, warnings = make_transport(recorder)
    assert transport.request("POST", "/assets/associate", json={"a": 1}) == {"eventId": "e"}
    assert len(recorder.requests) == 2 and len(sleeps) == 1 and len(warnings) == 1


@pytest.mark.parametrize("exc", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("eof")])
def test_get_retried_on_connection_errors(exc):
    recorder = Recorder(exc, exc, ok({"v": 2}))
    transport, sleeps, warnings = make_transport(recorder)
    assert transport.request("GET", "/x") == {"v": 2}
    assert len(recorder.requests) == 3 and len(sleeps) == 2
    assert "retry 1 of 3" in warnings[0] and "retry 2 of 3" in warnings[1]


def test_get_connection_errors_give_up_with_a_clear_message():
    recorder = Recorder(httpx.ConnectError("refused"))
    transport, _sleeps, _warnings = make_transport(recorder, retries=2)
    with pytest.raises(ApiError) as caught:
        transport.request("GET", "/x")
    assert len(recorder.requests) == 3
    assert "connection to api.example.test failed (ConnectError)" in caught.value.message
    assert caught.value.details["attempts"] == 3
    assert caught.value.outcome_unknown is False


def test_timeout_message_names_the_host_and_kind():
    recorder = Recorder(httpx.ReadTimeout("slow"))
    transport, _sleeps, _warnings = make_transport(recorder, retries=0)
    with pytest.raises(ApiError) as caught:
        transport.request("GET", "/x")
    assert "no answer from api.example.test within the timeout (ReadTimeout)" in caught.value.message


def test_certificate_error_is_explained_and_not_retried():
    recorder = Recorder(httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"))
    transport, sleeps, _warnings = make_transport(recorder)
    with pytest.raises(ApiError) as caught:
        transport.request("GET", "/x")
    message = caught.value.message
    assert len(recorder.requests) == 1 and sleeps == []
    assert "TLS certificate of api.example.test could not be verified" in message
    assert "ca_path" in message and "validate_certs" in message


@pytest.fixture
def self_signed_server(tmp_path):
    """A real TLS server on localhost whose certificate no CA signed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert_file), str(key_file))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    stop = threading.Event()
    connections = []

    def serve():
        while not stop.is_set():
            try:
                conn, _address = listener.accept()
            except OSError:
                continue
            connections.append(conn)
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1024)
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            except (OSError, ssl.SSLError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield "https://localhost:{0}".format(listener.getsockname()[1]), str(cert_file), connections
    stop.set()
    thread.join(2)
    listener.close()


def test_real_untrusted_certificate_gives_the_tls_message(self_signed_server):
    url, _ca_file, connections = self_signed_server
    sleeps = []
    with Transport(url, retries=3, timeout=5, sleep=sleeps.append) as transport:
        with pytest.raises(ApiError) as caught:
            transport.request("GET", "/service/config")
    assert "TLS certificate of localhost could not be verified" in caught.value.message
    assert sleeps == [] and len(connections) == 1


def test_real_certificate_accepted_with_ca_path_or_without_validation(self_signed_server):
    url, ca_file, _connections = self_signed_server
    with Transport(url, retries=0, timeout=5, ca_path=ca_file) as transport:
        assert transport.request("GET", "/service/config") == {}
    with Transport(url, retries=0, timeout=5, validate_certs=False) as transport:
        assert transport.request("GET", "/service/config") == {}


# -- identity and secrecy -------------------------------------------------------------------------


def test_collection_version_matches_galaxy_yml():
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    assert http.COLLECTION_VERSION == str(galaxy["version"])


def test_user_agent_carries_the_collection_version():
    recorder = Recorder(ok())
    transport, _sleeps, _warnings = make_transport(recorder)
    transport.request("GET", "/x")
    agent = recorder.requests[0].headers["user-agent"]
    assert agent.startswith("assetops.licensing/{0} ".format(http.COLLECTION_VERSION))
    assert recorder.requests[0].headers["accept"] == "application/json"


def test_request_id_method_and_path_recorded_on_errors():
    recorder = Recorder(httpx.Response(400, headers={"X-Apple-Request-UUID": "req-123"}))
    transport, _sleeps, _warnings = make_transport(recorder)
    with pytest.raises(ApiError) as caught:
        transport.request("get", "/assets", params={"adamId": "1"})
    assert caught.value.to_dict() == {
        "status": 400, "error_number": None, "error_code": None, "error_message": None, "request_id": "req-123",
        "method": "GET", "path": "/assets", "outcome_unknown": False, "details": {},
    }
    assert recorder.requests[0].url.params["adamId"] == "1"


def test_success_bodies_are_decoded_and_empty_bodies_are_none():
    recorder = Recorder(ok({"a": [1, 2]}), httpx.Response(204), httpx.Response(200, text="not json"))
    transport, _sleeps, _warnings = make_transport(recorder)
    assert transport.request("GET", "/a") == {"a": [1, 2]}
    assert transport.request("GET", "/b") is None
    assert transport.request("GET", "/c") is None


@pytest.mark.parametrize("answers, method", [
    ((httpx.Response(401, json={"errorNumber": 9622}),), "GET"),
    ((httpx.Response(503),), "GET"),
    ((httpx.Response(500),), "POST"),
    ((httpx.ReadTimeout("t"),), "POST"),
    ((httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] x"),), "GET"),
])
def test_authorization_never_appears_in_errors_or_warnings(answers, method):
    recorder = Recorder(*answers)
    transport, _sleeps, warnings = make_transport(recorder, retries=2)
    with pytest.raises(ApiError) as caught:
        transport.request(method, "/assets", json={"x": 1} if method == "POST" else None, headers={"Authorization": SECRET})
    assert recorder.requests[0].headers["authorization"] == SECRET  # it was really sent
    token = SECRET.split()[1]
    for text in [caught.value.message, str(caught.value), repr(caught.value.to_dict())] + warnings:
        assert token not in text and "Authorization" not in text


# -- pacing ---------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self, start=1000.0):
        self.now = start
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.slept.append(seconds)
        self.now += seconds


def max_in_any_second(starts):
    starts = sorted(starts)
    best, low = 0, 0
    for high, start in enumerate(starts):
        while starts[low] <= start - 1.0:
            low += 1
        best = max(best, high - low + 1)
    return best


@settings(max_examples=150)
@given(rate=st.integers(min_value=1, max_value=60),
       gaps=st.lists(st.floats(min_value=0.0, max_value=0.5), min_size=1, max_size=120))
def test_pacer_never_starts_more_than_rate_in_any_second(rate, gaps):
    clock = FakeClock()
    pacer = RequestPacer(rate, clock=clock, sleep=clock.sleep)
    starts = []
    for gap in gaps:
        clock.now += gap
        pacer.wait()
        starts.append(clock.now)
    assert max_in_any_second(starts) <= rate
    assert all(later >= earlier for earlier, later in zip(starts, starts[1:]))


@settings(max_examples=200)
@given(rate=st.integers(min_value=1, max_value=30), plan=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=80))
def test_pacer_holds_the_window_when_a_start_comes_late(rate, plan):
    """Threads share the pacer: while one sleeps towards its slot, others take later slots and may start
    first, so the sleeper starts late, next to them. ``plan`` says how many requests run inside each sleep."""
    clock = FakeClock()
    todo = list(plan)
    starts = []

    def sleep(seconds):
        clock.now += seconds
        for _number in range(todo.pop(0) if todo else 0):
            if todo:
                todo.pop(0)
                request()

    def request():
        pacer.wait()
        starts.append(clock.now)

    pacer = RequestPacer(rate, clock=clock, sleep=sleep)
    while todo:
        todo.pop(0)
        request()
    assert len(starts) >= 1
    assert max_in_any_second(starts) <= rate


@given(rate=st.integers(min_value=1, max_value=60), count=st.integers(min_value=2, max_value=200))
def test_pacer_burst_takes_the_expected_time(rate, count):
    clock = FakeClock()
    pacer = RequestPacer(rate, clock=clock, sleep=clock.sleep)
    start = clock.now
    for _number in range(count):
        pacer.wait()
    # back-to-back requests are spaced by 1/rate plus the 5 % margin, no more
    assert clock.now - start == pytest.approx((count - 1) * 1.05 / rate)


@pytest.mark.parametrize("rate", [None, 0])
def test_pacer_without_rate_never_sleeps(rate):
    clock = FakeClock()
    pacer = RequestPacer(rate, clock=clock, sleep=clock.sleep)
    for _number in range(50):
        pacer.wait()
    assert clock.slept == [] and pacer.interval == 0.0


def test_pacer_rate_can_change():
    clock = FakeClock()
    pacer = RequestPacer(15, clock=clock, sleep=clock.sleep)
    assert pacer.interval == pytest.approx(1.05 / 15)
    pacer.set_rate(2)
    assert pacer.interval == pytest.approx(1.05 / 2)


def test_pacer_is_thread_safe():
    now = 500.0
    local = threading.local()

    def clock():  # each thread's own time: the start plus what it slept
        time.sleep(0)  # give other threads a chance to interleave
        return now + getattr(local, "slept", 0.0)

    def sleep(seconds):
        local.slept = getattr(local, "slept", 0.0) + seconds

    rate = 20
    pacer = RequestPacer(rate, clock=clock, sleep=sleep)
    starts, lock = [], threading.Lock()

    def worker():
        for _number in range(25):
            pacer.wait()
            with lock:
                starts.append(clock())

    threads = [threading.Thread(target=worker) for _number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    starts.sort()
    assert len(starts) == 200
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:])]
    assert min(gaps) >= pacer.interval - 1e-9  # no two threads got the same slot
    assert max_in_any_second(starts) <= rate


def test_transport_paces_every_attempt():
    recorder = Recorder(httpx.Response(503), ok())
    calls = []

    class CountingPacer(RequestPacer):
        def wait(self):
            calls.append(1)

    transport, _sleeps, _warnings = make_transport(recorder, pacer=CountingPacer())
    transport.request("GET", "/x")
    assert len(calls) == 2


def test_parse_answer_reports_the_shape_without_values():
    from ansible_collections.assetops.licensing.plugins.module_utils.http import parse_answer
    from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import EventStatus

    with pytest.raises(ApiError) as caught:
        parse_answer(EventStatus, {"eventType": "ASSOCIATE", "numCompleted": "s3cret-value"}, "Apple's /status answer")
    message = caught.value.message
    assert message.startswith("Apple's /status answer has an unexpected shape (")
    assert "eventStatus" in message and "numCompleted" in message
    assert "s3cret-value" not in message and "s3cret-value" not in str(caught.value.to_dict())


@pytest.mark.parametrize("url, shown", [
    ("https://vpp.itunes.apple.com/mdm/v2", "https://vpp.itunes.apple.com/mdm/v2"),
    ("https://user:s3cret@proxy.example.test:8443/vpp/service/config?key=s3cret#top", "https://proxy.example.test:8443/vpp/service/config"),
    ("http://[::1]:8080/mdm", "http://[::1]:8080/mdm"),
])
def test_a_url_in_a_message_has_no_user_password_or_query(url, shown):
    assert http.shown_url(url) == shown


def test_endpoint_not_found_names_the_url_and_the_api_url_given():
    error = ApiError("HTTP 404", status=404, method="GET", path="/service/config")
    assert http.endpoint_not_found(error, "https://user:s3cret@proxy.example.test/", "The API", "it ends in /v2") is error
    assert str(error) == error.message == ("The API answered HTTP 404 (no such endpoint) for GET https://proxy.example.test/service/config: "
                                           "check api_url, it ends in /v2 (given: https://proxy.example.test/)")
    assert error.to_dict()["status"] == 404 and error.details == {"url": "https://proxy.example.test/service/config"}
