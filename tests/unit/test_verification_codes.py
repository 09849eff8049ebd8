"""Verification codes: drawn with `secrets`, stored as a keyed hash, compared in constant time, masked."""

from __future__ import annotations

import hmac
import secrets

import pytest

from messenger.verification import codes


def test_codes_come_from_the_secrets_module_with_every_digit_kept(monkeypatch):
    drawn = []

    def randbelow(n):
        drawn.append(n)
        return 42

    monkeypatch.setattr(secrets, "randbelow", randbelow)
    assert codes.new_code(6) == "000042"  # a leading zero never shortens the code
    assert codes.new_code(4) == "0042"
    assert drawn == [10**6, 10**4]


@pytest.mark.parametrize("length", [4, 6, 10])
def test_codes_have_the_configured_length(length):
    assert all(len(c) == length and c.isdigit() for c in (codes.new_code(length) for _ in range(50)))


def test_the_hash_is_keyed_and_bound_to_the_verification():
    h = codes.code_hash(b"key-1", "v1", "123456")
    assert "123456" not in h and len(h) == 64
    assert h != codes.code_hash(b"key-2", "v1", "123456")
    assert h != codes.code_hash(b"key-1", "v2", "123456")


def test_the_comparison_is_hmac_compare_digest(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def recording(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    stored = codes.code_hash(b"k", "v1", "123456")
    assert codes.same_code(stored, b"k", "v1", "123456") is True
    assert codes.same_code(stored, b"k", "v1", "654321") is False
    assert len(calls) == 2


def test_the_code_is_masked_in_the_recorded_text():
    assert codes.masked("123456 is your code", "123456") == "****** is your code"
