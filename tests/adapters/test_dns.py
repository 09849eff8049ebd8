"""The resolver the webhook URL checks are given (adapters/dns.py)."""

import socket

from messenger.adapters import dns
from messenger.webhooks import safety


def test_a_literal_resolves_to_itself_and_a_name_that_does_not_resolve_to_nothing(monkeypatch):
    assert dns.system_resolve("127.0.0.1", 443) == ["127.0.0.1"]

    def fails(*args, **kwargs):
        raise socket.gaierror("no such name")

    monkeypatch.setattr(dns.socket, "getaddrinfo", fails)
    assert dns.system_resolve("nothing.example", 443) == []
    try:
        safety.check("https://nothing.example/h", allow_loopback=False, resolve=dns.system_resolve)
    except safety.UnsafeUrl as refused:
        assert str(refused) == "host does not resolve"  # as before the resolver moved
    else:
        raise AssertionError("an unresolvable host was accepted")
