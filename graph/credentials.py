"""Where kgcrm's Neo4j is and how to log in: what the gateway needs to make a driver.

Kept apart from :mod:`kgcrm.graph.server` (the local server's JVM manager), so that talking to a
Neo4j does not load the code that installs and runs one.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr


@dataclass(frozen=True)
class Neo4jCredentials:
    """Where kgcrm's Neo4j is and how to log in; the password never shows in a repr."""

    uri: str
    user: str
    password: SecretStr

    @property
    def auth(self) -> tuple[str, str]:
        """``(user, password)`` as the neo4j driver wants it."""
        return (self.user, self.password.get_secret_value())
