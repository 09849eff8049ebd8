"""What the API function reads from AppSync's request headers: the request's trace Root (the aliases
of one GraphQL request share it) and the API key."""

import pytest
from messenger.clients.access import api_key_of
from messenger.core import request


def event(headers) -> dict:
    return {"request": {"headers": headers}}


@pytest.mark.parametrize(("trace", "expected"), [
    ("Root=1-5f84c7a1-abc;Parent=53995c3f;Sampled=1", "1-5f84c7a1-abc"),
    ("Parent=53995c3f; Root=1-2-3 ;Sampled=0", "1-2-3"),
    ("Root=" + "r" * 128, "r" * 128),
    ("Root=r", "r"),
    ("Root=" + "r" * 129, None),
    ("Root=", None),
    ("Parent=53995c3f;Sampled=1", None),
    (None, None),
    (7, None),
])
def test_the_request_id_is_the_trace_headers_root(trace, expected):
    assert request.request_id_of(event({"x-amzn-trace-id": trace})) == expected


@pytest.mark.parametrize("shape", [{}, {"request": None}, {"request": {}}, {"request": {"headers": None}}])
def test_an_event_without_headers_has_no_request_id_and_no_key(shape):
    assert request.request_id_of(shape) is None and api_key_of(shape) is None


def test_a_bound_request_id_holds_until_it_is_unbound():
    token = request.bind(event({"x-amzn-trace-id": "Root=1-a-b"}))
    try:
        assert request.current_request_id() == "1-a-b"
    finally:
        request.unbind(token)
    assert request.current_request_id() is None


@pytest.mark.parametrize(("key", "expected"), [(" da2-abc ", "da2-abc"), (None, None), (["da2-abc"], None)])
def test_the_api_key_is_the_headers_text_trimmed(key, expected):
    assert api_key_of(event({"x-api-key": key})) == expected
