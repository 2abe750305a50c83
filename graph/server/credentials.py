"""The local Neo4j's login: the ``neo4j`` user and its generated password, stored mode 0600.

Nothing here logs the password.
"""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path

from kgcrm.core.errors import Neo4jServerError

USER = "neo4j"

_PASSWORD_ALPHABET = string.ascii_letters + string.digits
_PASSWORD_LENGTH = 32  # about 190 bits; letters and digits only, so no @file quoting is needed


def generate_password() -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(_PASSWORD_LENGTH))


def read_password(password_file: Path) -> str:
    """The stored password of the ``neo4j`` user."""
    try:
        value = password_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise Neo4jServerError(
            f"the local Neo4j has no password yet ({password_file} is missing): " + "run `kgcrm neo4j start` first"
        ) from None
    if not value:
        raise Neo4jServerError(f"{password_file} is empty")
    return value


def write_private(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` with mode 0600 from the first byte on, in a 0700 dir."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
