"""The client's address, read in one place: the audit log, staff sign-in (django-axes, through
AXES_CLIENT_IP_CALLABLE) and the rate limits all call `client_ip`.

Without TRUSTED_PROXIES (the default) it is REMOTE_ADDR, the peer of the connection, and
X-Forwarded-For is ignored: a client can write anything there.

Behind a reverse proxy REMOTE_ADDR is the proxy, the same for every client; the proxy
appends the peer it saw to X-Forwarded-For (nginx: `$proxy_add_x_forwarded_for`,
docs/nginx.conf). With the proxies' addresses or networks in TRUSTED_PROXIES, and
REMOTE_ADDR one of them, the header is read from the right: each entry was written by the
proxy one step nearer, so entries are skipped while they are trusted proxies themselves,
and the first that is not is the client. What a client wrote into the header itself sits
left of that and is never reached. A header that reaches the app from anyone else
(REMOTE_ADDR not trusted) is ignored whole.

An entry that is not an address (garbage a trusted proxy should never write) stops the
walk at the last trusted hop: the client then counts as that proxy, which shares a limit
with others but can never be chosen by the client. docs/security.md, "The client address
and proxies".
"""

from __future__ import annotations

import functools
import ipaddress
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"
_PORT = re.compile(r":[0-9]{1,5}")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, or None when the server gave none (see the module docstring)."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if remote is None or not proxies:
        return remote
    return forwarded_client(remote, request.META.get(FORWARDED_FOR, ""), proxies)


def forwarded_client(remote: str, forwarded_for: str, proxies: tuple[IPNetwork, ...]) -> str:
    """The client behind the chain of trusted `proxies`: `remote` (REMOTE_ADDR) when it is
    not one of them, else the first entry of `forwarded_for` from the right that is not."""
    hop = parse_address(remote)
    if hop is None or not is_trusted(hop, proxies):
        return remote
    for entry in reversed(forwarded_for.split(",")):
        address = parse_address(entry)
        if address is None:
            break  # not an address: stop at the last proxy we trust
        hop = address
        if not is_trusted(hop, proxies):
            return str(hop)
    return str(hop)  # every hop a trusted proxy (or no header): the furthest one seen


def parse_address(text: str) -> IPAddress | None:
    """An address as proxies write it: `203.0.113.5`, `2001:db8::1`, with or without a
    port (`203.0.113.5:443`, `[2001:db8::1]:443`); an IPv4-mapped IPv6 address as its
    IPv4 address; a zone (`fe80::1%eth0`) dropped. None for anything else."""
    text = text.strip()
    if text.startswith("["):
        host, bracket, port = text[1:].partition("]")
        if not bracket or (port and not _PORT.fullmatch(port)):
            return None
    elif text.count(":") == 1:
        host, _colon, port = text.partition(":")
        if not _PORT.fullmatch(":" + port):
            return None
    else:
        host = text
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id is not None:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
    return address


def is_trusted(address: IPAddress, proxies: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


@functools.lru_cache(maxsize=8)
def trusted_networks(values: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """TRUSTED_PROXIES as networks: `10.0.0.5`, `10.0.0.0/24`, `2001:db8::/64`.
    Anything else raises ImproperlyConfigured (settings.py checks it at start-up)."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES holds addresses or networks (10.0.0.5, 10.0.0.0/24, "
                f"2001:db8::/64), separated by commas; {value!r} is neither."
            ) from None
    return tuple(networks)
