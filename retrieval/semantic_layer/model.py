"""The semantic model: what can be asked about the CRM graph, declared once as data.

Like a Cube cube or a MetricFlow semantic model, each :class:`Entity` names a graph
label (from ``sync/mapping.py``), its **dimensions** (what a question filters or
groups by), its **measures** (count, and sum/avg/min/max of its number fields) and
its **relations** (the paths to other nodes: a deal's organization, a task's
assignee, an interaction's participants). Every name has **synonyms**, the words
people use for it. The compiler builds Cypher only from these declarations: a
label, a property or a relationship type that is not here cannot appear in a query
(``tests/retrieval/semantic_layer/test_model.py`` checks them against the mapping).

A dimension is a property of the entity's own node, or of a node at the end of one
of its relations. A relation is ``many`` when it can reach several nodes (an
interaction's participants); the compiler then never lets it multiply the rows
that are counted or summed.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

DimensionType = Literal["text", "ref", "number", "money", "datetime", "date", "bool"]
DATE_TYPES = frozenset({"datetime", "date"})
NUMBER_TYPES = frozenset({"number", "money"})


@dataclass(frozen=True)
class Hop:
    """One relationship step: ``(a)-[:type]->(b:label)`` (``out``) or ``(a)<-[:type]-(b:label)`` (``in``)."""

    type: str
    direction: Literal["out", "in"]
    label: str
    where: str | None = None  # a constant condition on the relationship, bound as ``r``: "r.current = true"


@dataclass(frozen=True)
class Relation:
    """A path from an entity's node to another node."""

    key: str
    hops: tuple[Hop, ...]
    target: str  # the entity key reached, or "status"
    many: bool = False
    synonyms: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.hops[-1].label


@dataclass(frozen=True)
class Dimension:
    """Something a question filters, groups or orders by."""

    key: str
    type: DimensionType
    property: str  # the property read, on the entity's node or at the end of ``via``
    via: str | None = None  # a relation key
    synonyms: tuple[str, ...] = ()
    label: str | None = None  # how the interpretation names it ("status category")
    currency: str | None = None  # money: the property holding its currency, on the same node

    @builtins.property  # the field ``property`` shadows the builtin in this class body
    def words(self) -> str:
        return self.label or self.key.replace("_", " ")


@dataclass(frozen=True)
class Entity:
    key: str
    labels: tuple[str, ...]  # the node's labels (mapping labels), the first is the primary one
    table: str
    singular: str
    plural: str
    synonyms: tuple[str, ...]
    dimensions: tuple[Dimension, ...]
    relations: tuple[Relation, ...] = ()
    status_type: tuple[str, ...] = ()  # status.entity_type values of its statuses
    mine: str | None = None  # the dimension "my …" filters on (owner, assignee …), valued by the caller's user id
    default_date: str | None = None  # the date a bare time window applies to ("deals last month")
    default_fields: tuple[str, ...] = ()  # what a listed row shows besides id and name
    ref_type: str = ""  # the EntityRef type of its rows

    def dimension(self, key: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.key == key), None)

    def relation(self, key: str) -> Relation | None:
        return next((r for r in self.relations if r.key == key), None)

    @property
    def dimension_keys(self) -> tuple[str, ...]:
        return tuple(d.key for d in self.dimensions)

    @property
    def number_fields(self) -> tuple[str, ...]:
        return tuple(d.key for d in self.dimensions if d.type in NUMBER_TYPES and d.via is None)


# --- relations ----------------------------------------------------------------------------------

_STATUS = Relation("status", (Hop("HAS_STATUS", "out", "Status"),), "status")
_OWNER = Relation("owner", (Hop("OWNED_BY", "out", "User"),), "user", synonyms=("rep", "seller", "owner"))
_LEAD_ORG = Relation("organization", (Hop("FOR_ORGANIZATION", "out", "Organization"),), "organization")
_LEAD_ACCOUNT = Relation("account", (Hop("FOR_ACCOUNT", "out", "Account"),), "account")
_LEAD_CONTACT = Relation("contact", (Hop("VIA_CONTACT", "out", "Contact"),), "contact")
_SUBJECT = Relation("subject", (Hop("ABOUT", "out", "__Entity__"),), "any")


def _status_dims() -> tuple[Dimension, ...]:
    return (
        Dimension("status", "text", "name", via="status", synonyms=("status", "stage", "phase", "state")),
        Dimension(
            "status_category",
            "text",
            "category",
            via="status",
            label="status category",
            synonyms=("category", "status category", "outcome"),
        ),
    )


def _audit_dims() -> tuple[Dimension, ...]:
    return (
        Dimension(
            "created_at",
            "datetime",
            "created_at",
            label="creation date",
            synonyms=("created", "added", "new", "entered", "made"),
        ),
        Dimension(
            "updated_at", "datetime", "updated_at", label="last update", synonyms=("updated", "touched", "modified")
        ),
    )


def _owner_dim() -> Dimension:
    return Dimension(
        "owner",
        "ref",
        "id",
        via="owner",
        synonyms=(
            "owner",
            "rep",
            "sales rep",
            "seller",
            "salesperson",
            "account owner",
            "owned by",
            "closer",
            "consultant",
            "recruiter",
        ),
    )


def _org_dims(relation: str = "organization") -> tuple[Dimension, ...]:
    return (
        Dimension("organization", "ref", "id", via=relation, synonyms=("organization", "company", "org", "firm")),
        Dimension("industry", "text", "industry", via=relation, synonyms=("industry", "sector", "vertical")),
    )


def _lead_dims(*, location: bool = True) -> tuple[Dimension, ...]:
    dims = (
        *_status_dims(),
        _owner_dim(),
        *_org_dims(),
        Dimension("account", "ref", "id", via="account", synonyms=("account",)),
        Dimension("source", "text", "source", synonyms=("source", "lead source", "channel")),
        Dimension("name", "text", "name", label="title", synonyms=("title", "name")),
        *_audit_dims(),
    )
    if location:
        dims += (Dimension("location", "text", "location", via="organization", synonyms=("location", "city", "place")),)
    return dims


_LEAD_RELATIONS = (_STATUS, _OWNER, _LEAD_ORG, _LEAD_ACCOUNT, _LEAD_CONTACT)

ENTITIES: tuple[Entity, ...] = (
    Entity(
        "deal",
        ("Lead", "Opportunity"),
        "opportunity",
        "opportunity",
        "opportunities",
        ("deal", "deals", "opportunity", "opportunities", "opp", "opps", "oppty", "sale", "sales"),
        (
            *_lead_dims(),
            Dimension("amount", "money", "amount", currency="currency", synonyms=("amount", "value", "size", "worth")),
            Dimension("probability", "number", "probability", synonyms=("probability", "likelihood", "chance")),
            Dimension("currency", "text", "currency", synonyms=("currency",)),
            Dimension(
                "expected_close_on",
                "date",
                "expected_close_on",
                label="expected close date",
                synonyms=("closing", "close date", "expected close", "due to close"),
            ),
            Dimension("closed_at", "datetime", "closed_at", label="close date", synonyms=("closed", "won", "lost")),
            Dimension("tier", "text", "tier", via="account", label="account tier", synonyms=("tier",)),
        ),
        _LEAD_RELATIONS,
        status_type=("opportunity",),
        mine="owner",
        default_date="created_at",
        default_fields=("amount", "currency", "status", "organization", "owner", "expected_close_on"),
        ref_type="Lead",
    ),
    Entity(
        "job",
        ("Lead", "Job"),
        "job",
        "job lead",
        "job leads",
        (
            "job",
            "jobs",
            "job lead",
            "job leads",
            "role",
            "roles",
            "position",
            "positions",
            "opening",
            "openings",
            "vacancy",
            "vacancies",
            "job order",
            "job orders",
            "requisition",
            "requisitions",
        ),
        (
            *_lead_dims(location=False),
            Dimension("location", "text", "location", synonyms=("location", "city", "place")),
            Dimension("title", "text", "role_title", label="role", synonyms=("role title",)),
            Dimension("kind", "text", "employment_type", label="employment type", synonyms=("employment type",)),
            Dimension("salary_min", "money", "salary_min", currency="currency", label="minimum salary"),
            Dimension("salary_max", "money", "salary_max", currency="currency", label="maximum salary"),
            Dimension("currency", "text", "currency", synonyms=("currency",)),
        ),
        _LEAD_RELATIONS,
        status_type=("job",),
        mine="owner",
        default_date="created_at",
        default_fields=("status", "organization", "location", "salary_min", "salary_max", "currency"),
        ref_type="Lead",
    ),
    Entity(
        "partnership",
        ("Lead", "Partnership"),
        "partnership",
        "partnership",
        "partnerships",
        ("partnership", "partnerships", "partner deal", "partner deals", "alliance", "alliances"),
        (
            *_lead_dims(),
            Dimension("kind", "text", "partnership_type", label="partnership type", synonyms=("type", "kind")),
            Dimension("started_on", "date", "started_on", label="start date", synonyms=("started", "began")),
            Dimension("ended_on", "date", "ended_on", label="end date", synonyms=("ended", "finished")),
        ),
        _LEAD_RELATIONS,
        status_type=("partnership",),
        mine="owner",
        default_date="created_at",
        default_fields=("status", "organization", "kind", "owner"),
        ref_type="Lead",
    ),
    Entity(
        "lead",
        ("Lead",),
        "lead",
        "lead",
        "leads",
        ("lead", "leads", "prospect", "prospects"),
        (*_lead_dims(), Dimension("kind", "text", "lead_type", label="lead type", synonyms=("type", "kind"))),
        _LEAD_RELATIONS,
        status_type=("lead", "opportunity", "job", "partnership"),
        mine="owner",
        default_date="created_at",
        default_fields=("kind", "status", "organization", "owner"),
        ref_type="Lead",
    ),
    Entity(
        "organization",
        ("Organization",),
        "organization",
        "organization",
        "organizations",
        (
            "organization",
            "organizations",
            "organisation",
            "organisations",
            "company",
            "companies",
            "org",
            "orgs",
            "firm",
            "firms",
            "business",
            "businesses",
        ),
        (
            Dimension("name", "text", "name", synonyms=("name",)),
            Dimension("industry", "text", "industry", synonyms=("industry", "sector", "vertical")),
            Dimension("location", "text", "location", synonyms=("location", "city", "place", "based")),
            Dimension("domain", "text", "domain", synonyms=("domain", "website")),
            Dimension("source", "text", "source", synonyms=("source",)),
            *_audit_dims(),
        ),
        (),
        default_date="created_at",
        default_fields=("industry", "location", "domain"),
        ref_type="Organization",
    ),
    Entity(
        "person",
        ("Person",),
        "individual",
        "person",
        "people",
        ("person", "people", "persons", "individual", "individuals"),
        (
            Dimension("name", "text", "name", synonyms=("name",)),
            Dimension("location", "text", "location", synonyms=("location", "city", "place", "based")),
            Dimension(
                "employer",
                "ref",
                "id",
                via="employer",
                synonyms=("employer", "works at", "company", "current employer", "current company"),
            ),
            Dimension("industry", "text", "industry", via="employer", synonyms=("industry", "sector")),
            Dimension("source", "text", "source", synonyms=("source",)),
            *_audit_dims(),
        ),
        (
            Relation(
                "employer",
                (Hop("WORKS_AT", "out", "Organization", where="r.current = true"),),
                "organization",
                synonyms=("works at", "employer"),
            ),
            Relation("past_employer", (Hop("WORKS_AT", "out", "Organization"),), "organization", many=True),
            Relation("ties", (Hop("KNOWS", "out", "Person"),), "person", many=True),
        ),
        default_date="created_at",
        default_fields=("location", "employer"),
        ref_type="Person",
    ),
    Entity(
        "contact",
        ("Contact",),
        "contact",
        "contact",
        "contacts",
        ("contact", "contacts", "role", "roles"),
        (
            *_status_dims(),
            _owner_dim(),
            *_org_dims(),
            Dimension("person", "ref", "id", via="person", synonyms=("person",)),
            Dimension("title", "text", "title", synonyms=("title", "job title")),
            Dimension("location", "text", "location", via="organization", synonyms=("location", "city")),
            Dimension("started_on", "date", "started_on", label="start date", synonyms=("started", "joined")),
            Dimension("ended_on", "date", "ended_on", label="end date", synonyms=("ended", "left")),
            *_audit_dims(),
        ),
        (
            _STATUS,
            _OWNER,
            Relation("organization", (Hop("AT", "out", "Organization"),), "organization"),
            Relation("person", (Hop("FOR_PERSON", "out", "Person"),), "person"),
        ),
        status_type=("contact",),
        mine="owner",
        default_date="created_at",
        default_fields=("title", "organization", "status"),
        ref_type="Contact",
    ),
    Entity(
        "account",
        ("Account",),
        "account",
        "account",
        "accounts",
        (
            "account",
            "accounts",
            "acct",
            "accts",
            "customer",
            "customers",
            "client",
            "clients",
            "book of business",
        ),
        (
            *_status_dims(),
            _owner_dim(),
            *_org_dims(),
            Dimension("tier", "text", "tier", synonyms=("tier", "segment")),
            Dimension("location", "text", "location", via="organization", synonyms=("location", "city")),
            Dimension("name", "text", "name", synonyms=("name",)),
            *_audit_dims(),
        ),
        (_STATUS, _OWNER, Relation("organization", (Hop("WITH", "out", "Organization"),), "organization")),
        status_type=("account",),
        mine="owner",
        default_date="created_at",
        default_fields=("tier", "status", "organization", "owner"),
        ref_type="Account",
    ),
    Entity(
        "task",
        ("Task",),
        "task",
        "task",
        "tasks",
        (
            "task",
            "tasks",
            "to-do",
            "to-dos",
            "todo",
            "todos",
            "action item",
            "action items",
            "follow-up",
            "follow-ups",
        ),
        (
            *_status_dims(),
            Dimension("assignee", "ref", "id", via="assignee", synonyms=("assignee", "assigned to", "owner", "rep")),
            Dimension("subject", "ref", "id", via="subject", synonyms=("about", "subject")),
            Dimension("name", "text", "name", label="title", synonyms=("title",)),
            Dimension("due_at", "datetime", "due_at", label="due date", synonyms=("due", "deadline")),
            Dimension(
                "completed_at",
                "datetime",
                "completed_at",
                label="completion date",
                synonyms=("completed", "done", "finished"),
            ),
            *_audit_dims(),
        ),
        (_STATUS, Relation("assignee", (Hop("ASSIGNED_TO", "out", "User"),), "user"), _SUBJECT),
        status_type=("task",),
        mine="assignee",
        default_date="due_at",
        default_fields=("status", "due_at", "assignee", "subject"),
        ref_type="Task",
    ),
    Entity(
        "note",
        ("Note",),
        "note",
        "note",
        "notes",
        ("note", "notes"),
        (
            Dimension("subject", "ref", "id", via="subject", synonyms=("about", "subject")),
            Dimension("author", "ref", "created_by", synonyms=("author", "written by", "by")),
            *_audit_dims(),
        ),
        (_SUBJECT,),
        mine="author",
        default_date="created_at",
        default_fields=("subject", "created_at"),
        ref_type="Note",
    ),
    Entity(
        "interaction",
        ("Interaction",),
        "interaction",
        "interaction",
        "interactions",
        (
            "interaction",
            "interactions",
            "touchpoint",
            "touch",
            "touches",
            "touchpoints",
            "touch point",
            "touch points",
            "activity",
            "activities",
            "conversation",
            "conversations",
        ),
        (
            Dimension("kind", "text", "kind", synonyms=("kind", "type", "channel")),
            Dimension("source", "text", "source", synonyms=("source",)),
            Dimension("name", "text", "name", label="subject", synonyms=("subject", "title")),
            Dimension(
                "occurred_at",
                "datetime",
                "occurred_at",
                label="date",
                synonyms=("when", "date", "happened", "occurred", "occurred at", "occurred on", "took place"),
            ),
            Dimension("participant", "ref", "id", via="participant", synonyms=("participant", "with", "attendee")),
            Dimension(
                "team_member",
                "ref",
                "id",
                via="team_member",
                label="team member",
                synonyms=("team member", "participant", "attendee"),
            ),
            Dimension("organization", "ref", "id", via="organization", synonyms=("organization", "company")),
            *_audit_dims(),
        ),
        (
            Relation("participant", (Hop("PARTICIPATED_IN", "in", "Person"),), "person", many=True),
            Relation(
                "team_member",
                (Hop("PARTICIPATED_IN", "in", "Person"), Hop("IS", "in", "User")),
                "user",
                many=True,
            ),
            Relation(
                "organization",
                (
                    Hop("PARTICIPATED_IN", "in", "Person"),
                    Hop("WORKS_AT", "out", "Organization", where="r.current = true"),
                ),
                "organization",
                many=True,
            ),
        ),
        mine="team_member",
        default_date="occurred_at",
        default_fields=("kind", "occurred_at", "participant"),
        ref_type="Interaction",
    ),
    Entity(
        "user",
        ("User",),
        "app_user",
        "team member",
        "team members",
        (
            "user",
            "users",
            "team member",
            "team members",
            "ae",
            "aes",
            "account executive",
            "account executives",
            "teammate",
            "teammates",
            "colleague",
            "colleagues",
            "rep",
            "reps",
        ),
        (
            Dimension("name", "text", "name", synonyms=("name",)),
            Dimension("email", "text", "email", synonyms=("email",)),
            Dimension("is_active", "bool", "is_active", label="active", synonyms=("active",)),
            *_audit_dims(),
        ),
        (),
        default_fields=("email",),
        ref_type="User",
    ),
)

ENTITY: Mapping[str, Entity] = MappingProxyType({e.key: e for e in ENTITIES})

#: Interaction kinds as entity words: "meetings" = interactions of kind meeting.
KIND_WORDS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        **{w: ("interaction", "meeting") for w in ("meeting", "meetings", "meet")},
        **{w: ("interaction", "call") for w in ("call", "calls", "phone call", "phone calls")},
        **{w: ("interaction", "email") for w in ("email", "emails", "e-mail", "e-mails", "mail", "mails")},
        **{w: ("interaction", "message") for w in ("message", "messages", "dm", "dms")},
    }
)

#: Status categories of the contract, with their words.
STATUS_CATEGORIES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "open": ("open", "in progress", "ongoing", "pending", "outstanding", "live", "in flight", "pipeline"),
        "won": ("won", "closed won", "closed-won", "win", "wins", "signed", "landed"),
        "lost": ("lost", "closed lost", "closed-lost", "lose", "losses"),
        "active": ("active", "live"),
        "inactive": ("inactive", "churned", "paused", "dormant"),
        "done": ("done", "completed", "finished", "ended"),
    }
)

#: Value-linking dimensions (h17-grammar's ``ValueMatch.dimension``) → the entity dimension they fill.
VALUE_DIMENSIONS: Mapping[str, str] = MappingProxyType(
    {
        "status": "status",
        "category": "status_category",
        "status_category": "status_category",
        "industry": "industry",
        "location": "location",
        "tier": "tier",
        "currency": "currency",
        "source": "source",
        "kind": "kind",
        "employment_type": "kind",
        "partnership_type": "kind",
        "lead_type": "kind",
    }
)


def money_dimensions() -> dict[str, tuple[str, ...]]:
    """Entity → its money fields (summed per currency)."""
    return {e.key: tuple(d.key for d in e.dimensions if d.type == "money") for e in ENTITIES}
