"""Least privilege for exploring in Browser: a read-only user, where the server can have one.

Exploring never writes, so Browser should log in as a user that cannot. Neo4j Enterprise
has roles: :meth:`ReadOnlyAccess.create_reader` creates (or re-creates, with a new password)
a user with the built-in ``reader`` role. That role reads *every* database and every tenant:
tenant isolation in Browser still rests on the ``$tenant_id`` filter of each query.
(Enterprise's property-based privileges could restrict a role to one tenant; kgcrm does not
set that up.)

Neo4j Community has no roles beyond the one admin user, so there is nothing to create: the
honest advice is to run Browser only against the local server kgcrm runs on loopback.

The Enterprise path cannot be checked against a real server here (kgcrm's own server is
Community); its statements are tested against a recording gateway.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any, Protocol

READER_ROLE = "reader"
DEFAULT_READER = "kgcrm_reader"

COMMUNITY_ADVICE = (
    "Neo4j Community has one database and no roles beyond its admin user: a read-only user for "
    "Browser cannot be created. Run Browser only against the local server kgcrm runs (loopback, "
    "with the password kgcrm generated), never against a shared server, and explore with the "
    "guide's and the favourites' read-only queries."
)


class Gateway(Protocol):
    def read(self, name: str, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def write(self, name: str, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class ReaderOutcome:
    edition: str
    created: bool
    user: str | None = None
    password: str | None = None  # the caller stores it (never logged)
    advice: str = ""


def generate_password(length: int = 32) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


class ReadOnlyAccess:
    """Creates the read-only Browser user; ``system`` is a gateway on the ``system`` database."""

    def __init__(self, system: Gateway) -> None:
        self.system = system

    def edition(self) -> str:
        # The system database takes only CALL … YIELD … RETURN: the filtering is done here.
        rows = self.system.read("browser_edition", "CALL dbms.components() YIELD name, edition RETURN name, edition")
        kernel = [r for r in rows if r.get("name") in (None, "Neo4j Kernel")]
        return str(kernel[0]["edition"]).lower() if kernel else "unknown"

    def create_reader(self, user: str = DEFAULT_READER, password: str | None = None) -> ReaderOutcome:
        edition = self.edition()
        if edition != "enterprise":
            return ReaderOutcome(edition=edition, created=False, advice=COMMUNITY_ADVICE)
        secret = password or generate_password()
        self.system.write(
            "browser_reader_user",
            "CREATE OR REPLACE USER $user SET PLAINTEXT PASSWORD $password CHANGE NOT REQUIRED",
            {"user": user, "password": secret},
        )
        self.system.write("browser_reader_role", f"GRANT ROLE {READER_ROLE} TO $user", {"user": user})
        return ReaderOutcome(
            edition=edition,
            created=True,
            user=user,
            password=secret,
            advice=(
                f"'{user}' has the '{READER_ROLE}' role: it reads every database and every tenant, and "
                "writes nothing. Tenant isolation in Browser still rests on each query's $tenant_id."
            ),
        )
