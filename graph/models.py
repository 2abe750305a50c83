"""neomodel classes describing the mirrored graph, for reads and for people who use the OGM.

The graph model itself is declared once, as data, in ``graph/mapping.py``; these
classes describe the same labels, keys and relationships, and
``tests/graph/test_models.py`` checks that the three (mapping, models,
``cypher/schema.cypher``) agree. The schema is applied by ``kgcrm graph init``
from ``cypher/``, never by neomodel's ``install_labels``: one source of truth for
constraints.

neomodel reserves the name ``id``; the row id is the ``row_id`` attribute, stored as
the ``id`` property. Connect neomodel to kgcrm's driver with
``neomodel.db.set_connection(driver=driver)``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from neomodel import (
    ArrayProperty,
    BooleanProperty,
    DateTimeNeo4jFormatProperty,
    FloatProperty,
    IntegerProperty,
    RelationshipFrom,
    RelationshipTo,
    StringProperty,
    StructuredNode,
    StructuredRel,
)
from neomodel.properties import DateProperty


class NativeDateProperty(DateProperty):
    """A date stored as a native Neo4j ``Date`` (as the sync writes it), not as text."""

    def deflate(self, value: Any, obj: Any = None, skip_empty: bool = False) -> Any:
        if value is None:
            return None
        if not isinstance(value, date):
            raise ValueError(f"datetime.date object expected, got {value!r}")
        return value


def _key() -> StringProperty:
    return StringProperty(db_property="id", unique_index=True, required=True)


class _Audited(StructuredNode):
    __abstract_node__ = True

    tenant_id = StringProperty(index=True)
    created_at = DateTimeNeo4jFormatProperty()
    updated_at = DateTimeNeo4jFormatProperty()
    created_by = StringProperty()
    updated_by = StringProperty()
    via_agent = BooleanProperty()


class Tenant(StructuredNode):
    row_id = _key()
    name = StringProperty()
    slug = StringProperty(unique_index=True)


class Status(_Audited):
    row_id = _key()
    entity_type = StringProperty()
    name = StringProperty()
    category = StringProperty()
    position = IntegerProperty()
    is_terminal = BooleanProperty()


class Entity(_Audited):
    """An entity: LlamaIndex's ``__Entity__`` label, a display name and an embedding."""

    __label__ = "__Entity__"

    row_id = _key()
    name = StringProperty()
    embedding = ArrayProperty(FloatProperty())
    embedding_hash = StringProperty()


# --- relationships with properties -----------------------------------------------------------


class WorksAt(StructuredRel):
    contact_id = StringProperty(index=True)
    tenant_id = StringProperty()
    title = StringProperty()
    since = NativeDateProperty()
    until = NativeDateProperty()
    current = BooleanProperty()


class Knows(StructuredRel):
    row_id = StringProperty(db_property="id", unique_index=True)
    tenant_id = StringProperty()
    kind = StringProperty()
    strength = FloatProperty()
    since = NativeDateProperty()
    row_source = StringProperty(db_property="source")  # neomodel reserves 'source'


class Interacted(StructuredRel):
    tenant_id = StringProperty()
    count = IntegerProperty()
    first_at = DateTimeNeo4jFormatProperty()
    last_at = DateTimeNeo4jFormatProperty()
    kinds = ArrayProperty(StringProperty())


class ParticipatedIn(StructuredRel):
    row_id = StringProperty(db_property="id", unique_index=True)
    tenant_id = StringProperty()
    role = StringProperty()


# --- entities ----------------------------------------------------------------------------------


class Person(Entity):
    first_name = StringProperty()
    last_name = StringProperty()
    email = StringProperty(index=True)
    phone = StringProperty()
    linkedin_url = StringProperty()
    location = StringProperty()
    bio = StringProperty()
    source = StringProperty()  # 'email' / 'calendar': created by kgcrm ingest

    works_at = RelationshipTo("Organization", "WORKS_AT", model=WorksAt)
    knows = RelationshipTo("Person", "KNOWS", model=Knows)
    interacted = RelationshipTo("Person", "INTERACTED", model=Interacted)
    participated_in = RelationshipTo("Interaction", "PARTICIPATED_IN", model=ParticipatedIn)
    user = RelationshipFrom("User", "IS")


class User(Entity):
    email = StringProperty()
    full_name = StringProperty()
    individual_id = StringProperty()
    is_active = BooleanProperty()

    person = RelationshipTo("Person", "IS")


class Organization(Entity):
    name = StringProperty()
    domain = StringProperty(index=True)
    industry = StringProperty()
    location = StringProperty()
    description = StringProperty()
    parent_id = StringProperty()
    source = StringProperty()  # 'email' / 'calendar': created by kgcrm ingest

    parent = RelationshipTo("Organization", "SUBSIDIARY_OF")
    people = RelationshipFrom("Person", "WORKS_AT", model=WorksAt)


class Contact(Entity):
    individual_id = StringProperty()
    organization_id = StringProperty()
    title = StringProperty()
    email = StringProperty()
    phone = StringProperty()
    started_on = NativeDateProperty()
    ended_on = NativeDateProperty()
    owner_id = StringProperty()
    status_id = StringProperty()

    person = RelationshipTo("Person", "FOR_PERSON")
    organization = RelationshipTo("Organization", "AT")
    owner = RelationshipTo("User", "OWNED_BY")
    status = RelationshipTo("Status", "HAS_STATUS")


class Account(Entity):
    organization_id = StringProperty()
    tier = StringProperty()
    owner_id = StringProperty()
    status_id = StringProperty()

    organization = RelationshipTo("Organization", "WITH")
    owner = RelationshipTo("User", "OWNED_BY")
    status = RelationshipTo("Status", "HAS_STATUS")


class Lead(Entity):
    lead_type = StringProperty()
    title = StringProperty()
    description = StringProperty()
    organization_id = StringProperty()
    account_id = StringProperty()
    contact_id = StringProperty()
    owner_id = StringProperty()
    status_id = StringProperty()
    source = StringProperty()

    organization = RelationshipTo("Organization", "FOR_ORGANIZATION")
    account = RelationshipTo("Account", "FOR_ACCOUNT")
    contact = RelationshipTo("Contact", "VIA_CONTACT")
    owner = RelationshipTo("User", "OWNED_BY")
    status = RelationshipTo("Status", "HAS_STATUS")


class Job(Lead):
    role_title = StringProperty()
    location = StringProperty()
    employment_type = StringProperty()
    salary_min = FloatProperty()
    salary_max = FloatProperty()
    currency = StringProperty()


class Opportunity(Lead):
    amount = FloatProperty()
    currency = StringProperty()
    expected_close_on = NativeDateProperty()
    closed_at = DateTimeNeo4jFormatProperty()
    probability = FloatProperty()


class Partnership(Lead):
    partnership_type = StringProperty()
    started_on = NativeDateProperty()
    ended_on = NativeDateProperty()


class Task(Entity):
    subject_type = StringProperty()
    subject_id = StringProperty()
    title = StringProperty()
    description = StringProperty()
    due_at = DateTimeNeo4jFormatProperty()
    completed_at = DateTimeNeo4jFormatProperty()
    assignee_id = StringProperty()
    status_id = StringProperty()

    about = RelationshipTo("Entity", "ABOUT")
    assignee = RelationshipTo("User", "ASSIGNED_TO")
    status = RelationshipTo("Status", "HAS_STATUS")


class Note(Entity):
    subject_type = StringProperty()
    subject_id = StringProperty()
    body = StringProperty()

    about = RelationshipTo("Entity", "ABOUT")


class Interaction(Entity):
    kind = StringProperty()
    subject = StringProperty()
    summary = StringProperty()
    occurred_at = DateTimeNeo4jFormatProperty()
    source = StringProperty()
    external_id = StringProperty()

    participants = RelationshipFrom("Person", "PARTICIPATED_IN", model=ParticipatedIn)


class Feedback(_Audited):
    """A user's decision (the feedback table, issue 14): not an entity; readers match its ids."""

    row_id = _key()
    kind = StringProperty()
    decision = StringProperty()
    subject_type = StringProperty()
    subject_id = StringProperty()
    object_type = StringProperty()
    object_id = StringProperty()
    mention = StringProperty()
    suggestion_key = StringProperty()
    evidence_hash = StringProperty()
    reason = StringProperty()


#: Every node class of the mirrored graph, by its primary label.
NODE_CLASSES: dict[str, type[StructuredNode]] = {
    cls.__name__: cls
    for cls in (Tenant, Status, Person, User, Organization, Contact, Account, Lead, Task, Note, Interaction, Feedback)
}
SUBTYPE_CLASSES: dict[str, type[StructuredNode]] = {cls.__name__: cls for cls in (Job, Opportunity, Partnership)}
