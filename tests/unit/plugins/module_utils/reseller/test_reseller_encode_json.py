"""http.encode_json, the request-body writer of the reseller PUT: decimals exact, nothing else touched."""
from __future__ import annotations

import decimal
import json

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.assetops.licensing.plugins.module_utils.http import _decode_body, encode_json

D = decimal.Decimal

finite_decimals = st.decimals(allow_nan=False, allow_infinity=False, places=None)
exact_texts = st.builds(lambda digits, exponent: D("{0}E{1}".format(digits, exponent)),
                        st.integers(-(10 ** 30) + 1, 10 ** 30 - 1), st.integers(-40, 10))
decimals = st.one_of(finite_decimals, exact_texts)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20), decimals)
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=20)


def exact_loads(data: bytes):
    """The transport's own decoder with exact decimals (as the client reads answers)."""
    return _decode_body(httpx.Response(200, content=data), exact_decimals=True)


def same(left, right):
    """Equal, with Decimals compared by value and never against a float."""
    if isinstance(left, dict):
        return isinstance(right, dict) and list(left) == list(right) and all(same(left[k], right[k]) for k in left)
    if isinstance(left, (list, tuple)):
        return isinstance(right, list) and len(left) == len(right) and all(same(a, b) for a, b in zip(left, right))
    if isinstance(left, D):
        return isinstance(right, (D, int)) and not isinstance(right, bool) and D(right) == left
    return type(left) is type(right) and left == right


@settings(max_examples=300, deadline=None)
@given(value=decimals)
def test_a_decimal_is_written_with_every_digit(value):
    data = encode_json(value)
    assert data == format(value, "f").encode("ascii")
    assert D(data.decode("ascii")) == value
    assert b"e" not in data.lower()


@pytest.mark.parametrize("text", ["0.1", "12.345678901234567890123", "-0.000", "1E+3", "1E-30",
                                  "123456789012345678901234567890.123456789"])
def test_known_float_traps(text):
    assert encode_json({"P": D(text)}) == '{{"P":{0}}}'.format(format(D(text), "f")).encode()


def test_nested_decimals_in_dicts_and_lists():
    body = {"Price": D("0.1"), "Lines": [{"Amount": D("12.345678901234567890123")}, [D("3"), D("-0.50")]],
            "Tuple": (D("1.10"),), "Float": 0.5, "Text": "0.1"}
    assert encode_json(body) == (b'{"Price":0.1,"Lines":[{"Amount":12.345678901234567890123},[3,-0.50]],'
                                 b'"Tuple":[1.10],"Float":0.5,"Text":"0.1"}')


def test_many_decimals_each_in_its_place():
    values = [D("{0}.{0}".format(number)) for number in range(25)]  # decimal1 vs decimal10 .. decimal19
    assert encode_json(values) == ("[" + ",".join(str(value) for value in values) + "]").encode()


@settings(max_examples=300, deadline=None)
@given(document=documents)
def test_round_trip_with_exact_decimal_decoding(document):
    data = encode_json(document)
    assert same(document, exact_loads(data))
    json.loads(data)  # strict JSON (no NaN, no bare placeholders)


@settings(max_examples=200, deadline=None)
@given(document=documents)
def test_without_decimals_it_is_plain_json(document):
    def has_decimal(value):
        if isinstance(value, D):
            return True
        if isinstance(value, dict):
            return any(has_decimal(item) for item in value.values())
        if isinstance(value, list):
            return any(has_decimal(item) for item in value)
        return False

    if not has_decimal(document):
        assert encode_json(document) == json.dumps(document, separators=(",", ":")).encode()


@pytest.mark.parametrize("lookalike", ["decimal0", "\\u0000decimal0\\u0000", "\u0000decimal", "x\u0000decimal0\u0000",
                                       "\u0000decimal0\u0000x"])
def test_strings_resembling_the_placeholder_are_not_touched(lookalike):
    body = {"Name": lookalike, "Price": D("1.5")}
    assert exact_loads(encode_json(body)) == {"Name": lookalike, "Price": D("1.5")}


@pytest.mark.parametrize("body", [
    ["\u0000decimal0\u0000", D("1.5")],
    {"Name": "\u0000decimal0\u0000", "Price": D("1.5")},
    {"\u0000decimal0\u0000": "key", "Price": D("1.5")},
])
def test_a_string_equal_to_the_placeholder_is_not_touched(body):
    assert same(body, exact_loads(encode_json(body)))
