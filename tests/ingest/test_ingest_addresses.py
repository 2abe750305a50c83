"""Addresses: normalisation, machine senders, bulk headers, free mail, names, organization domains."""

from __future__ import annotations

import pytest

from kgcrm.ingest.addresses import (
    automated_address,
    bulk_reason,
    is_free_mail,
    match_keys,
    normalize_email,
    organization_domains,
    organization_name,
    split_name,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" <Jane.Doe@ACME.com> ", "jane.doe@acme.com"),
        ("mailto:ann@us.example", "ann@us.example"),
        ("not an address", None),
        ("jane@localhost", None),
        ("", None),
    ],
)
def test_normalize_email(text, expected):
    assert normalize_email(text) == expected


def test_plus_addressing_matches_the_base_address_too():
    assert match_keys("jane+crm@acme.com") == ("jane+crm@acme.com", "jane@acme.com")
    assert match_keys("jane@acme.com") == ("jane@acme.com",)


@pytest.mark.parametrize(
    "email",
    [
        "noreply@x.com",
        "no-reply@x.com",
        "do-not-reply@x.com",
        "github-noreply@x.com",
        "mailer-daemon@x.com",
        "postmaster@x.com",
        "notifications+abc@x.com",
        "bounces-123@x.com",
        "calendar-notification@google.com",
    ],
)
def test_machine_senders(email):
    assert automated_address(email)


@pytest.mark.parametrize("email", ["nora@x.com", "news.anchor@x.com", "noel@x.com", "ann@notify.example"])
def test_people_are_not_machine_senders(email):
    assert not automated_address(email)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"list-id": "<a.lists.example>"}, "mailing list (List-Id)"),
        ({"list-unsubscribe": "<mailto:u@x>"}, "bulk mail (List-Unsubscribe)"),
        ({"precedence": "Bulk"}, "bulk mail (Precedence: bulk)"),
        ({"precedence": "junk"}, "bulk mail (Precedence: junk)"),
        ({"auto-submitted": "auto-replied"}, "automatic reply (Auto-Submitted)"),
        ({"auto-submitted": "no"}, None),
        ({}, None),
    ],
)
def test_bulk_reason(headers, reason):
    assert bulk_reason(headers) == reason


def test_free_mail_domains_come_from_the_maintained_list():
    assert is_free_mail("gmail.com") and is_free_mail("outlook.com") and is_free_mail("gmx.de")
    assert not is_free_mail("acme.com")


@pytest.mark.parametrize(
    ("display", "email", "expected"),
    [
        ("Jane Doe", None, ("Jane", "Doe")),
        ("Doe, Jane", None, ("Jane", "Doe")),
        ('"Müller, Jürgen"', None, ("Jürgen", "Müller")),
        ("Jane Q. Doe", None, ("Jane", "Doe")),
        ("Jane van der Berg", None, ("Jane", "van der Berg")),
        ("José García (Acme)", None, ("José", "García")),
        ("Jane", None, ("Jane", None)),
        ("", "jane.doe@acme.com", ("Jane", "Doe")),
        ("jane@acme.com", "jane@acme.com", (None, None)),
        ("", "jdoe@acme.com", (None, None)),
    ],
)
def test_split_name(display, email, expected):
    assert split_name(display, email) == expected


def test_organization_domains_climb_to_the_registered_name():
    assert organization_domains("mail.eu.acme.co.uk") == ["mail.eu.acme.co.uk", "eu.acme.co.uk", "acme.co.uk"]
    assert organization_domains("acme.com") == ["acme.com"]
    assert organization_name("northwind-traders.co.uk") == "Northwind Traders"
    assert organization_name("mail.acme.com") == "Acme"
