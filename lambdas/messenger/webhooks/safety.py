"""Which webhook URLs may be called: checked at creation and again before every POST (DNS rebinding).

Deployed stacks accept only `https://` URLs whose host resolves to public addresses only: no private,
loopback, link-local (the instance metadata 169.254.169.254 among them), shared, reserved, multicast or
unspecified address, in IPv4 or IPv6, including IPv4 addresses inside IPv6 (::ffff:a.b.c.d, 6to4,
NAT64, Teredo) and the AWS IPv6 metadata address fd00:ec2::254. A host written as a number in another form
(2130706433, 0x7f.1, 0177.0.0.1) is refused outright. The POST then connects to the address that
was checked (adapters/webhook_http.py), so a name cannot resolve differently between check and
connect. With `allow_loopback` (the local mode only) `http://127.0.0.1:<port>` is accepted too.
Names are resolved by the injected `resolve` (adapters/dns.py in the functions): no I/O here.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_NUMERIC_LIKE = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}

Resolve = Callable[[str, int], list[str]]


class UnsafeUrl(ValueError):
    pass


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(text: str) -> bool:
    address = ipaddress.ip_address(text)  # a scoped IPv6 address ("fe80::1%eth0") included
    if address in _METADATA:
        return False
    if isinstance(address, ipaddress.IPv6Address) and (inner := _embedded_ipv4(address)) is not None:
        return is_public(str(inner))
    return address.is_global and not address.is_multicast


def _literal(host: str):
    try:
        return ipaddress.ip_address(host)  # urlsplit's hostname has no brackets
    except ValueError:
        return None


def check(url: str, *, allow_loopback: bool, resolve: Resolve) -> tuple[str, int, list[str]]:
    """(host, port, the addresses to connect to) of a URL that may be called; UnsafeUrl otherwise."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise UnsafeUrl("not a URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("not a URL") from None
    host = (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("credentials in the URL are not accepted")
    if allow_loopback and parts.scheme == "http" and host == "127.0.0.1" and port:
        return host, port, ["127.0.0.1"]
    if parts.scheme != "https":
        raise UnsafeUrl("only https:// URLs are accepted")
    port = port or 443
    literal = _literal(host)
    if literal is None:
        if _NUMERIC_LIKE.match(host):
            raise UnsafeUrl("an IP address in a non-standard form is not accepted")
        if not _HOSTNAME.match(host) or "." not in host:
            raise UnsafeUrl("not a valid host name")
        addresses = resolve(host, port)
    else:
        addresses = [str(literal)]
    if not addresses:
        raise UnsafeUrl("host does not resolve")
    if not all(is_public(address) for address in addresses):
        raise UnsafeUrl("host resolves to a private, loopback, link-local or metadata address")
    return host, port, addresses
