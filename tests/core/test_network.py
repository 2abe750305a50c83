"""is_loopback: which hosts stay on this machine (every server kgcrm starts binds to loopback by default)."""

from __future__ import annotations

import pytest

from kgcrm.core.network import is_loopback


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "[::1]",
        "0:0:0:0:0:0:0:1",
        "::ffff:127.0.0.1",
        "[::ffff:127.0.0.1]",
        "localhost",
        "LocalHost",
        "localhost.",
    ],
)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.1",
        "0.0.0.0",  # noqa: S104 (every interface: the opposite of loopback)
        "::",
        "[::]",
        "192.168.1.20",
        "::ffff:10.0.0.1",
        "fe80::1",
        "2001:db8::1",
        "[::1",
        "localhost.example.com",
        "example.com",
        "",
    ],
)
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)
