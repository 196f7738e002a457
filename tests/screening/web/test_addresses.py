"""The client's address (screening.web.addresses): REMOTE_ADDR, or behind the trusted proxies
of TRUSTED_PROXIES the first X-Forwarded-For entry from the right that is not one of them."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from screening.web.addresses import client_ip, forwarded_client, parse_address, trusted_networks

PROXY = "10.0.0.5"


def _request(remote: str | None = PROXY, forwarded_for: str | None = None):
    meta = {}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    request = RequestFactory().get("/", **meta)
    if remote is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote
    return request


@pytest.fixture
def proxies(settings):
    """Set TRUSTED_PROXIES: `proxies("10.0.0.5", "::1")`."""

    def set_proxies(*values: str) -> None:
        settings.TRUSTED_PROXIES = list(values)

    return set_proxies


# --- Without trusted proxies: REMOTE_ADDR, whatever the header says -------------------------


def test_the_default_trusts_no_proxy(settings):
    assert settings.TRUSTED_PROXIES == []


@pytest.mark.parametrize("header", [None, "", "203.0.113.9", "203.0.113.9, 10.0.0.1"])
def test_without_trusted_proxies_the_address_is_remote_addr(header):
    assert client_ip(_request(PROXY, header)) == PROXY


def test_without_an_address_there_is_none(proxies):
    assert client_ip(_request(None)) is None
    proxies(PROXY)
    assert client_ip(_request(None, "203.0.113.9")) is None


# --- Behind trusted proxies -----------------------------------------------------------------


def test_behind_a_trusted_proxy_the_client_is_its_forwarded_for_entry(proxies):
    proxies(PROXY)
    assert client_ip(_request(PROXY, "203.0.113.9")) == "203.0.113.9"


def test_a_header_from_anyone_else_is_ignored(proxies):
    proxies(PROXY)
    assert client_ip(_request("198.51.100.20", "203.0.113.9")) == "198.51.100.20"
    assert client_ip(_request("10.0.0.6", "203.0.113.9")) == "10.0.0.6"


def test_entries_a_client_wrote_left_of_the_proxys_are_ignored(proxies):
    """nginx's $proxy_add_x_forwarded_for keeps what the client sent and appends the peer."""
    proxies(PROXY)
    spoofed = "198.51.100.1, 10.0.0.5, 127.0.0.1, 203.0.113.9"
    assert client_ip(_request(PROXY, spoofed)) == "203.0.113.9"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(proxies):
    proxies("10.0.0.0/24", "192.0.2.10")
    header = "198.51.100.1, 203.0.113.9, 192.0.2.10, 10.0.0.7"
    assert client_ip(_request(PROXY, header)) == "203.0.113.9"


def test_a_client_inside_a_trusted_network_is_the_leftmost_hop(proxies):
    proxies("10.0.0.0/8")
    assert client_ip(_request(PROXY, "10.1.2.3, 10.0.0.4")) == "10.1.2.3"


@pytest.mark.parametrize("header", [None, "", " ", ","])
def test_a_trusted_proxy_without_a_forwarded_for_is_the_client(proxies, header):
    """The proxy's own requests (a health probe): counted as the proxy."""
    proxies(PROXY)
    assert client_ip(_request(PROXY, header)) == PROXY


@pytest.mark.parametrize(
    ("header", "client"),
    [
        ("203.0.113.9, not-an-address", PROXY),  # garbage where the proxy writes: its own
        ("203.0.113.9, 10.0.0.6, unknown", PROXY),
        ("garbage, 203.0.113.9", "203.0.113.9"),  # a client's garbage: never reached
        ("203.0.113.9,,10.0.0.6", "10.0.0.6"),  # 10.0.0.6 is untrusted: the client
        ("\x00\u202e, 203.0.113.9", "203.0.113.9"),
    ],
)
def test_an_entry_that_is_not_an_address_stops_at_the_last_trusted_hop(proxies, header, client):
    proxies(PROXY)
    assert client_ip(_request(PROXY, header)) == client


def test_several_forwarded_for_headers_joined_by_the_server_read_as_one(proxies):
    """gunicorn joins repeated headers with commas; the proxy's is the last."""
    proxies(PROXY)
    assert client_ip(_request(PROXY, "198.51.100.1,203.0.113.9")) == "203.0.113.9"


# --- IPv6 -------------------------------------------------------------------------------------


def test_ipv6_proxy_and_client(proxies):
    proxies("::1", "2001:db8:ffff::/48")
    assert client_ip(_request("::1", "2001:db8:1::7")) == "2001:db8:1::7"
    assert client_ip(_request("2001:db8:ffff::2", "2001:DB8:0001:0::7")) == "2001:db8:1::7"
    assert client_ip(_request("::1", "2001:db8:1::7, 2001:db8:ffff::3")) == "2001:db8:1::7"


def test_ipv4_mapped_addresses_are_their_ipv4_address(proxies):
    """gunicorn on [::] sees an IPv4 proxy as ::ffff:10.0.0.5."""
    proxies(PROXY)
    assert client_ip(_request("::ffff:10.0.0.5", "::ffff:203.0.113.9")) == "203.0.113.9"


def test_an_ipv4_proxy_does_not_trust_ipv6_and_back(proxies):
    proxies("0.0.0.0/0")
    assert client_ip(_request("2001:db8::5", "203.0.113.9")) == "2001:db8::5"
    proxies("::/0")
    assert client_ip(_request(PROXY, "203.0.113.9")) == PROXY


# --- Parsing one entry -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("203.0.113.9", "203.0.113.9"),
        (" 203.0.113.9\t", "203.0.113.9"),
        ("203.0.113.9:443", "203.0.113.9"),
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("[2001:db8::1]:8443", "2001:db8::1"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("fe80::1%eth0", "fe80::1"),
        ("2001:0DB8:0000::0001", "2001:db8::1"),
    ],
)
def test_parse_address(text, address):
    assert parse_address(text) == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "unknown",
        "_hidden",
        "unix:",
        "unix:/run/gunicorn.sock",
        "203.0.113",
        "203.0.113.256",
        "203.0.113.9:",
        "203.0.113.9:http",
        "203.0.113.9:443:1",
        "203.0.113.9:١٢",
        "٢٠٣.0.113.9",
        "203.0.113.9%eth0",
        "[2001:db8::1",
        "2001:db8::1]",
        "[2001:db8::1]x",
        "[2001:db8::1]:",
        "[203.0.113.9]:80x",
        "2001:db8::1::2",
        "for=203.0.113.9",
        "203.0.113.9/32",
        "1" * 5000,
    ],
)
def test_parse_address_refuses_what_is_not_an_address(text):
    assert parse_address(text) is None


def test_forwarded_client_returns_an_unparsable_remote_addr_as_it_is():
    networks = trusted_networks(("127.0.0.1",))
    assert forwarded_client("unix:", "203.0.113.9", networks) == "unix:"


# --- The setting ---------------------------------------------------------------------------------


def test_trusted_networks_takes_addresses_and_networks():
    assert trusted_networks(("10.0.0.5", " 10.1.0.0/16", "2001:db8::/64", "10.2.0.1/24")) == (
        ipaddress.ip_network("10.0.0.5/32"),
        ipaddress.ip_network("10.1.0.0/16"),
        ipaddress.ip_network("2001:db8::/64"),
        ipaddress.ip_network("10.2.0.0/24"),
    )


@pytest.mark.parametrize("value", ["*", "localhost", "10.0.0.0/33", "", "10.0.0.5:80"])
def test_trusted_networks_refuses_anything_else(value):
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        trusted_networks((value,))
