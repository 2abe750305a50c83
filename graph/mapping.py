"""The graph model, declared once as data: tables → labels, columns → properties,
foreign keys → relationships.

Everything else in the sync (extract, transform, load, cleanup, verify), the
neomodel classes in ``graph/models.py`` and ``cypher/schema.cypher`` are checked
against this module (``tests/sync/test_mapping.py``).

The mirror is faithful: every business row of the relational CRM becomes one node
(or, for the two link tables ``interaction_participant`` and ``relationship``, one
relationship), keyed by its row id and carrying ``tenant_id`` and the audit
columns. Every foreign key becomes a named relationship. Derived relationships
for traversal (``WORKS_AT``, ``INTERACTED``) are computed in the graph from the
mirrored ones (``cypher/derive.cypher``).

::

    (:User)-[:IS]->(:Person)<-[:FOR_PERSON]-(:Contact)-[:AT]->(:Organization)-[:SUBSIDIARY_OF]->(:Organization)
    (:Person)-[:WORKS_AT {title, since, until, current}]->(:Organization)        derived from Contact
    (:Person)-[:KNOWS {kind, strength, since}]->(:Person)                        a relationship row
    (:Person)-[:PARTICIPATED_IN {role}]->(:Interaction)                          an interaction_participant row
    (:Person)-[:INTERACTED {count, first_at, last_at, kinds}]->(:Person)         derived from interactions
    (:Account)-[:WITH]->(:Organization)
    (:Lead:Opportunity|Job|Partnership)-[:FOR_ORGANIZATION|FOR_ACCOUNT|VIA_CONTACT]->(…)
    (:Task|Note)-[:ABOUT]->(:Person|Contact|Organization|Account|Lead)
    (:Task)-[:ASSIGNED_TO]->(:User)   (…)-[:OWNED_BY]->(:User)   (…)-[:HAS_STATUS]->(:Status)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kgcrm.crm.models import ENUM_COLUMNS, LeadType, SubjectType

ENTITY_LABEL = "__Entity__"  # the label LlamaIndex's Neo4jPropertyGraphStore works with

AUDIT_COLUMNS = ("created_at", "updated_at", "created_by", "updated_by", "via_agent")

# subject_type value → table: each value of the contract's enumeration is also its table's name.
SUBJECT_TYPES: Mapping[str, str] = MappingProxyType({v.value: v.value for v in SubjectType})


@dataclass(frozen=True)
class Reference:
    """A foreign key, mirrored as ``(row)-[type]->(target row)``."""

    column: str
    type: str
    target_table: str
    required: bool = False  # a not-null FK: the row cannot be mirrored without its target


@dataclass(frozen=True)
class PolymorphicReference:
    """``subject_type`` / ``subject_id``, mirrored as ``(row)-[type]->(subject)``."""

    type_column: str
    id_column: str
    type: str
    targets: Mapping[str, str] = field(default_factory=lambda: SUBJECT_TYPES)


@dataclass(frozen=True)
class Subtype:
    """A joined-table subtype of a node table (lead → job / opportunity / partnership)."""

    table: str
    label: str
    properties: tuple[str, ...]


@dataclass(frozen=True)
class NodeMapping:
    """A table whose rows become nodes."""

    table: str
    label: str
    properties: tuple[str, ...]
    references: tuple[Reference, ...] = ()
    polymorphic: PolymorphicReference | None = None
    subtypes: tuple[Subtype, ...] = ()
    discriminator: str | None = None  # the column naming the subtype (lead.lead_type)
    entity: bool = True  # carries __Entity__, a name and an embedding
    audited: bool = True
    tenant_scoped: bool = True

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the sync reads, besides the subtype tables'."""
        scoped = ("tenant_id",) if self.tenant_scoped else ()
        audit = AUDIT_COLUMNS if self.audited else ()
        return ("id", *scoped, *self.properties, *audit)

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.label, ENTITY_LABEL) if self.entity else (self.label,)


@dataclass(frozen=True)
class EdgeMapping:
    """A link table whose rows become relationships ``(start)-[type {id, …}]->(end)``."""

    table: str
    type: str
    start: Reference
    end: Reference
    properties: tuple[str, ...]
    audited: bool = True

    @property
    def columns(self) -> tuple[str, ...]:
        audit = AUDIT_COLUMNS if self.audited else ()
        return ("id", "tenant_id", self.start.column, self.end.column, *self.properties, *audit)


@dataclass(frozen=True)
class Enumeration:
    """A contract enumeration: column values the CRM schema allows."""

    table: str
    column: str
    values: frozenset[str] = field(default_factory=frozenset)


def _owner(column: str = "owner_id") -> Reference:
    return Reference(column, "OWNED_BY", "app_user")


def _status() -> Reference:
    return Reference("status_id", "HAS_STATUS", "status")


NODES: tuple[NodeMapping, ...] = (
    NodeMapping("tenant", "Tenant", ("name", "slug"), entity=False, audited=False, tenant_scoped=False),
    NodeMapping(
        "status",
        "Status",
        ("entity_type", "name", "category", "position", "is_terminal"),
        entity=False,
    ),
    NodeMapping(
        "individual",
        "Person",
        ("first_name", "last_name", "email", "phone", "linkedin_url", "location", "bio", "source"),
    ),
    NodeMapping(
        "app_user",
        "User",
        ("email", "full_name", "individual_id", "is_active"),
        references=(Reference("individual_id", "IS", "individual"),),
    ),
    NodeMapping(
        "organization",
        "Organization",
        ("name", "domain", "industry", "location", "description", "parent_id", "source"),
        references=(Reference("parent_id", "SUBSIDIARY_OF", "organization"),),
    ),
    NodeMapping(
        "contact",
        "Contact",
        (
            "individual_id",
            "organization_id",
            "title",
            "email",
            "phone",
            "started_on",
            "ended_on",
            "owner_id",
            "status_id",
        ),
        references=(
            Reference("individual_id", "FOR_PERSON", "individual", required=True),
            Reference("organization_id", "AT", "organization"),
            _owner(),
            _status(),
        ),
    ),
    NodeMapping(
        "account",
        "Account",
        ("organization_id", "name", "tier", "owner_id", "status_id"),
        references=(
            Reference("organization_id", "WITH", "organization", required=True),
            _owner(),
            _status(),
        ),
    ),
    NodeMapping(
        "lead",
        "Lead",
        (
            "lead_type",
            "title",
            "description",
            "organization_id",
            "account_id",
            "contact_id",
            "owner_id",
            "status_id",
            "source",
        ),
        references=(
            Reference("organization_id", "FOR_ORGANIZATION", "organization"),
            Reference("account_id", "FOR_ACCOUNT", "account"),
            Reference("contact_id", "VIA_CONTACT", "contact"),
            _owner(),
            _status(),
        ),
        discriminator="lead_type",
        subtypes=(
            Subtype(
                "job", "Job", ("role_title", "location", "employment_type", "salary_min", "salary_max", "currency")
            ),
            Subtype(
                "opportunity", "Opportunity", ("amount", "currency", "expected_close_on", "closed_at", "probability")
            ),
            Subtype("partnership", "Partnership", ("partnership_type", "started_on", "ended_on")),
        ),
    ),
    NodeMapping(
        "task",
        "Task",
        ("subject_type", "subject_id", "title", "description", "due_at", "completed_at", "assignee_id", "status_id"),
        references=(Reference("assignee_id", "ASSIGNED_TO", "app_user"), _status()),
        polymorphic=PolymorphicReference("subject_type", "subject_id", "ABOUT"),
    ),
    NodeMapping(
        "note",
        "Note",
        ("subject_type", "subject_id", "body"),
        polymorphic=PolymorphicReference("subject_type", "subject_id", "ABOUT"),
    ),
    NodeMapping(
        "interaction",
        "Interaction",
        ("kind", "subject", "summary", "occurred_at", "source", "external_id"),
    ),
    # A user's decision (issue 14). Not an entity, and no edge to what it is about: readers find
    # decisions by (tenant_id, kind) and the ids they name; a confirmed duplicate also becomes a
    # derived SAME_AS edge (cypher/derive_same_as.cypher).
    NodeMapping(
        "feedback",
        "Feedback",
        (
            "kind",
            "decision",
            "subject_type",
            "subject_id",
            "object_type",
            "object_id",
            "mention",
            "suggestion_key",
            "evidence_hash",
            "reason",
        ),
        entity=False,
    ),
)

EDGES: tuple[EdgeMapping, ...] = (
    EdgeMapping(
        "interaction_participant",
        "PARTICIPATED_IN",
        start=Reference("individual_id", "", "individual", required=True),
        end=Reference("interaction_id", "", "interaction", required=True),
        properties=("role",),
    ),
    EdgeMapping(
        "relationship",
        "KNOWS",
        start=Reference("from_individual_id", "", "individual", required=True),
        end=Reference("to_individual_id", "", "individual", required=True),
        properties=("kind", "strength", "since_on", "source"),
    ),
)

# Relationships computed in the graph from the mirrored ones (cypher/derive.cypher).
DERIVED_RELATIONSHIPS: tuple[str, ...] = ("WORKS_AT", "INTERACTED")

# The contract's enumerations, from the CRM models' own lists (the CHECK constraints use the same).
ENUMERATIONS: tuple[Enumeration, ...] = (
    *(
        Enumeration(model.__tablename__, column, frozenset(v.value for v in values))
        for model, column, values in ENUM_COLUMNS
    ),
    Enumeration("lead", "lead_type", frozenset(v.value for v in LeadType)),
)

NODES_BY_TABLE: Mapping[str, NodeMapping] = MappingProxyType({m.table: m for m in NODES})
EDGES_BY_TABLE: Mapping[str, EdgeMapping] = MappingProxyType({m.table: m for m in EDGES})
SUBTYPE_PARENT: Mapping[str, str] = MappingProxyType({s.table: m.table for m in NODES for s in m.subtypes})
LABEL_OF_TABLE: Mapping[str, str] = MappingProxyType({m.table: m.label for m in NODES})
TABLE_OF_LABEL: Mapping[str, str] = MappingProxyType({m.label: m.table for m in NODES})


# --- values: how columns become properties, and the name every node shows --------------------

DATE_COLUMNS = frozenset({"started_on", "ended_on", "expected_close_on", "since_on"})
TIMESTAMP_COLUMNS = frozenset({"created_at", "updated_at", "due_at", "completed_at", "occurred_at", "closed_at"})
BOOLEAN_COLUMNS = frozenset({"via_agent", "is_active", "is_terminal"})
NUMBER_COLUMNS = frozenset({"amount", "salary_min", "salary_max", "strength", "probability", "position"})

# Neo4j property names for columns whose name would read wrongly in the graph.
PROPERTY_NAMES: Mapping[str, str] = {"since_on": "since"}


def _join(*parts: Any) -> str | None:
    text = " ".join(str(p).strip() for p in parts if p is not None and str(p).strip())
    return text or None


def display_name(table: str, row: Mapping[str, Any]) -> str | None:
    """The human name of a row, as shown in answers and Neo4j Browser captions."""
    if table == "individual":
        return _join(row.get("first_name"), row.get("last_name")) or row.get("email")
    if table == "app_user":
        return row.get("full_name") or row.get("email")
    if table in {"organization", "account", "tenant", "status"}:
        return row.get("name")
    if table in {"lead", "task"}:
        return row.get("title")
    if table == "interaction":
        return row.get("subject") or _join(row.get("kind"), row.get("occurred_at"))
    if table == "note":
        body = (row.get("body") or "").strip()
        return (body[:77] + "…") if len(body) > 80 else (body or None)
    if table == "contact":
        return row.get("title")  # completed with the person's and organization's names in the graph
    return None
