"""The exploration queries of the Browser pack, and the favourites file made from them.

The Cypher lives in ``cypher/browser_*.cypher`` (one file per query, its first line
``// kgcrm: <title>`` naming it). Every query but the tenant list reads one tenant only:
``$tenant_id`` is a parameter of each, and every node it matches is checked against it.
The other parameters are names a person types (``$person``, ``$organization``), where
``''`` picks a sensible default so that each query runs in one click on any data.

Browser keeps favourites in its own storage; it imports them from a ``.zip`` of
``.cypher`` files dropped onto its window (each file a favourite, named by its first
comment line, in a folder named by the file's directory in the zip).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from kgcrm import cypher

FAVORITES_FOLDER = "kgcrm"
FAVORITES_FILE_NAME = "kgcrm-favorites.zip"
SETUP_TITLE = "Set the parameters"

# The parameters the queries may use, and what sets them to their defaults.
PARAM_DEFAULTS: Mapping[str, str] = MappingProxyType({"person": "''", "organization": "''"})
FIRST_TENANT = "COLLECT { MATCH (t:Tenant) RETURN t.id ORDER BY t.name LIMIT 1 }[0]"


@dataclass(frozen=True)
class ExploreQuery:
    """One query of the guide and of the favourites."""

    name: str  # cypher/<name>.cypher
    title: str
    params: tuple[str, ...] = ("tenant_id",)
    view: str = "graph"  # what Browser shows best: "graph" or "table"
    tenant_scoped: bool = True

    @property
    def cypher(self) -> str:
        return cypher.load(self.name)

    @property
    def body(self) -> str:
        """The query without its leading comment lines (what the guide shows)."""
        lines = self.cypher.strip().splitlines()
        while lines and lines[0].lstrip().startswith("//"):
            lines.pop(0)
        return "\n".join(lines)


TENANTS = ExploreQuery("browser_tenants", "Tenants (pick one)", params=(), view="table", tenant_scoped=False)

QUERIES: tuple[ExploreQuery, ...] = (
    ExploreQuery("browser_person_network", "A person's network", params=("tenant_id", "person")),
    ExploreQuery("browser_warm_paths", "Warm paths from us to an organization", params=("tenant_id", "organization")),
    ExploreQuery(
        "browser_org_people", "An organization's people, past and present", params=("tenant_id", "organization")
    ),
    ExploreQuery("browser_pipeline", "The deal pipeline by stage", view="table"),
    ExploreQuery("browser_changes", "What changed this week", view="table"),
    ExploreQuery("browser_duplicates", "Possible duplicates"),
)

ALL_QUERIES: tuple[ExploreQuery, ...] = (TENANTS, *QUERIES)


def query(name: str) -> ExploreQuery:
    for q in ALL_QUERIES:
        if q.name == name:
            return q
    raise KeyError(name)


def tenant_param_command(tenant_expression: str = FIRST_TENANT) -> str:
    """The ``:param`` command that chooses the tenant (the first one by name by default).

    Browser evaluates the expression after ``=>`` with ``RETURN``; it must not hold a ``$``.
    """
    return f":param tenant_id => {tenant_expression}"


def params_setup_commands(tenant_expression: str = FIRST_TENANT) -> list[str]:
    """Every ``:param`` the queries need, at its default."""
    return [tenant_param_command(tenant_expression)] + [
        f":param {name} => {value}" for name, value in PARAM_DEFAULTS.items()
    ]


def favorites() -> dict[str, str]:
    """Favourite file name (in the zip) → content: the parameters first, then every query.

    Browser names a favourite by its first comment line and lists them by name, so the
    first line is ``// <NN> <title>``: the drawer shows them in the guide's order.
    """
    setup = "\n".join(
        [
            f"// 00 {SETUP_TITLE}",
            "// Run once per session: the queries read $tenant_id, $person and $organization. This picks",
            "// the first tenant by name; for another, put its id (from the tenants query) in quotes instead.",
            tenant_param_command() + ";",
            *(f":param {name} => {value};" for name, value in PARAM_DEFAULTS.items()),
            "",
        ]
    )
    files = {f"{FAVORITES_FOLDER}/00 {SETUP_TITLE}.cypher": setup}
    for number, q in enumerate(ALL_QUERIES, start=1):
        rest = q.cypher.strip().split("\n", 1)[1]  # the first line is "// kgcrm: <title>"
        files[f"{FAVORITES_FOLDER}/{number:02d} {q.title}.cypher"] = f"// {number:02d} {q.title}\n{rest}\n"
    return files


def favorites_zip() -> bytes:
    """The favourites as the ``.zip`` Browser imports (drop it onto Browser's window)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in favorites().items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))  # stable bytes for the same queries
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()
