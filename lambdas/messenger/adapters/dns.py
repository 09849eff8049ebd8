"""Name resolution for the webhook URL checks (webhooks/safety.py takes it injected): the addresses a
host name resolves to, none when it does not resolve."""

from __future__ import annotations

import socket


def system_resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []  # safety.check: "host does not resolve"
    return sorted({info[4][0] for info in infos})
