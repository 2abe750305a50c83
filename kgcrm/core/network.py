"""Addresses: whether a host name stays on this machine (servers bind to loopback by default)."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """True when ``host`` names this machine only: ``localhost``, ``127.0.0.0/8``, ``::1``.

    Accepts an IPv6 address bare or in brackets (``[::1]``, as in a URL) and an IPv4 address
    mapped into IPv6 (``::ffff:127.0.0.1``). Any other name is not loopback: nothing is resolved.
    """
    name = host.strip()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name.lower().rstrip(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
