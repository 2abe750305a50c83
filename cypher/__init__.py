"""The Cypher text of kgcrm, one ``.cypher`` file per concern, loaded by name.

Static Cypher lives here rather than in Python strings so that it can be read,
reviewed and run by hand in Neo4j Browser. Values are always ``$parameters``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from kgcrm.core.errors import KgcrmError


@cache
def load(name: str) -> str:
    """The text of ``cypher/<name>.cypher``."""
    try:
        return resources.files(__name__).joinpath(f"{name}.cypher").read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise KgcrmError(f"no Cypher file named '{name}.cypher' in the cypher package") from exc


def statements(name: str) -> list[str]:
    """The statements of a multi-statement file: split on ``;`` at line ends, comments dropped."""
    text = "\n".join(line for line in load(name).splitlines() if not line.lstrip().startswith("//"))
    return [stmt.strip() for stmt in text.split(";\n") if stmt.strip().rstrip(";").strip()]
