"""Database triggers: change capture, ``updated_at``, tenant isolation, type rules.

Every rule lives in the database, so that writes from ANY client (kgcrm's ORM,
another CRM front end, a person typing SQL) are logged and checked alike. The
DDL is generated here from the lists below, for SQLite and for PostgreSQL; the
migrations execute it (:func:`create_statements`, :func:`drop_statements`).

What the triggers do
--------------------

- **Change capture**: every INSERT / UPDATE / DELETE of a row of a
  :data:`LOGGED_TABLES` table adds one ``change_log`` row in the same
  transaction: ``entity_type`` is the table name (a subtype row of ``job`` is
  logged as ``job``), ``actor_id`` the row's ``updated_by`` (``created_by`` when
  an insert has none), ``via_agent`` the row's flag.
- **updated_at**: an UPDATE that does not change ``updated_at`` gets the current
  time (PostgreSQL: a BEFORE trigger; SQLite: the AFTER UPDATE trigger updates
  the row once more, before logging it. SQLite's ``recursive_triggers`` must stay
  off, its default, or that update would be logged twice).
- **Tenant isolation**: a row may only refer to rows of its own tenant, through
  a foreign key (:data:`TENANT_REFERENCES`) or through the polymorphic
  ``subject_type``/``subject_id`` of ``task`` and ``note`` (the subject must
  exist); ``tenant_id`` cannot be changed.
- **Types**: a ``job``/``opportunity``/``partnership`` row belongs to a lead of
  that ``lead_type``; a ``status_id`` refers to a status of the referring
  entity's type (:data:`STATUS_OWNERS`); ``lead.lead_type`` and
  ``status.entity_type`` cannot be changed.
- Deleting a subject deletes its tasks and notes (as ``ON DELETE CASCADE`` would).

Error messages are the same on both databases and read
``[tenant isolation: ]<table>.<column>: <problem>``; PostgreSQL adds the values
in the error's DETAIL. :func:`kgcrm.crm.database.data_error_from` turns them into
:class:`kgcrm.core.errors.DataError` / :class:`~kgcrm.core.errors.TenantIsolationError`.

The migrations call these functions: a change here changes what a *new*
database gets, so ship it with a migration that drops and recreates the triggers.
"""

# ruff: noqa: S608  (this module writes DDL from the constants below, never from data)
from __future__ import annotations

from dataclasses import dataclass

#: The business tables of the initial schema (migrations 0001 and 0004 create their triggers).
INITIAL_LOGGED_TABLES: tuple[str, ...] = (
    "app_user",
    "individual",
    "organization",
    "status",
    "contact",
    "account",
    "lead",
    "job",
    "opportunity",
    "partnership",
    "task",
    "note",
    "interaction",
    "interaction_participant",
    "relationship",
)

#: Business tables, in creation order: every table but ``tenant`` and ``change_log``.
#: ``feedback`` (migration 0005): a user's confirm / reject / dismiss decisions (issue 14).
LOGGED_TABLES: tuple[str, ...] = (*INITIAL_LOGGED_TABLES, "feedback")

#: Tables whose ``updated_at`` a trigger keeps fresh.
TOUCHED_TABLES: tuple[str, ...] = ("tenant", *LOGGED_TABLES)

#: The audit references every business table has (to ``app_user``).
AUDIT_REFERENCES: tuple[tuple[str, str], ...] = (("created_by", "app_user"), ("updated_by", "app_user"))

#: Foreign keys between tenant-scoped tables, besides the audit ones: table -> ((column, target table), ...).
TENANT_REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "app_user": (("individual_id", "individual"),),
    "individual": (),
    "organization": (("parent_id", "organization"),),
    "status": (),
    "contact": (
        ("individual_id", "individual"),
        ("organization_id", "organization"),
        ("owner_id", "app_user"),
        ("status_id", "status"),
    ),
    "account": (("organization_id", "organization"), ("owner_id", "app_user"), ("status_id", "status")),
    "lead": (
        ("organization_id", "organization"),
        ("account_id", "account"),
        ("contact_id", "contact"),
        ("owner_id", "app_user"),
        ("status_id", "status"),
    ),
    "job": (("id", "lead"),),
    "opportunity": (("id", "lead"),),
    "partnership": (("id", "lead"),),
    "task": (("assignee_id", "app_user"), ("status_id", "status")),
    "note": (),
    "interaction": (),
    "interaction_participant": (("interaction_id", "interaction"), ("individual_id", "individual")),
    "relationship": (("from_individual_id", "individual"), ("to_individual_id", "individual")),
    "feedback": (),
}

#: Tables with a polymorphic subject (``subject_type``, ``subject_id``).
SUBJECT_TABLES: tuple[str, ...] = ("task", "note")

#: Every polymorphic reference (type column, id column) that must name a row of the tenant:
#: the subject of a task or note (deleting the subject deletes them), and the subject and
#: object of a feedback decision (not deleted with them: a decision is history).
POLYMORPHIC_REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "task": (("subject_type", "subject_id"),),
    "note": (("subject_type", "subject_id"),),
    "feedback": (("subject_type", "subject_id"), ("object_type", "object_id")),
}

#: The values of ``subject_type``; each is the subject's table name.
SUBJECT_TYPES: tuple[str, ...] = ("individual", "contact", "organization", "account", "lead")

#: The lead subtype tables; each is also the ``lead_type`` value of its leads.
LEAD_SUBTYPES: tuple[str, ...] = ("job", "opportunity", "partnership")

#: Tables with a ``status_id``, and the ``status.entity_type`` it must have.
#: ``None``: a lead, whose status is a ``'lead'`` status or one of its ``lead_type``.
STATUS_OWNERS: dict[str, str | None] = {"contact": "contact", "account": "account", "task": "task", "lead": None}

#: Columns that cannot change once written (besides ``tenant_id``).
IMMUTABLE_COLUMNS: dict[str, tuple[str, ...]] = {"lead": ("lead_type",), "status": ("entity_type",)}

TENANT_ISOLATION = "tenant isolation"


def references(table: str) -> tuple[tuple[str, str], ...]:
    """Every (column, target table) reference of ``table`` that must stay in the tenant."""
    return TENANT_REFERENCES[table] + AUDIT_REFERENCES


# --- the rules, independent of the dialect -------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """One refusal: ``message`` when the condition holds (conditions are rendered per dialect)."""

    kind: str  # tenant_required | reference | subject_missing | subject_tenant | lead_type | status | immutable
    table: str
    column: str
    target: str = ""  # the referenced table / subject type / lead_type / status entity type
    type_column: str = "subject_type"  # a polymorphic reference's type column (``column`` is its id column)

    @property
    def message(self) -> str:
        where = f"{self.table}.{self.column}"
        if self.kind == "tenant_required":
            return f"{where}: required (every {self.table} row names its tenant)"
        if self.kind in ("reference", "subject_tenant"):
            return f"{TENANT_ISOLATION}: {where}: the referenced {self.target} row belongs to another tenant"
        if self.kind == "subject_missing":
            return f"{where}: no {self.target} row has this id ({self.type_column} '{self.target}')"
        if self.kind == "lead_type":
            return f"{where}: the lead's lead_type is not '{self.target}'"
        if self.kind == "status":
            wanted = f"'{self.target}'" if self.target else "'lead' or the lead's lead_type"
            return f"{where}: the status is for another entity type (status.entity_type must be {wanted})"
        if self.kind == "immutable":
            prefix = f"{TENANT_ISOLATION}: " if self.column == "tenant_id" else ""
            return f"{prefix}{where}: cannot be changed"
        raise ValueError(f"unknown rule kind {self.kind!r}")


def _rules(table: str) -> list[_Rule]:
    """The row-level checks of ``table`` (immutability rules apply to updates only)."""
    # First: without a tenant every other check would compare with NULL and blame "another tenant".
    rules = [_Rule("tenant_required", table, "tenant_id"), _Rule("immutable", table, "tenant_id")]
    rules += [_Rule("immutable", table, column) for column in IMMUTABLE_COLUMNS.get(table, ())]
    rules += [_Rule("reference", table, column, target) for column, target in references(table)]
    for type_column, id_column in POLYMORPHIC_REFERENCES.get(table, ()):
        for subject_type in SUBJECT_TYPES:
            rules.append(_Rule("subject_missing", table, id_column, subject_type, type_column))
            rules.append(_Rule("subject_tenant", table, id_column, subject_type, type_column))
    if table in LEAD_SUBTYPES:
        rules.append(_Rule("lead_type", table, "id", table))
    if table in STATUS_OWNERS:
        rules.append(_Rule("status", table, "status_id", STATUS_OWNERS[table] or ""))
    return rules


def _checked_columns(table: str) -> list[str]:
    """The columns whose change re-runs the checks of ``table``."""
    columns = ["tenant_id", *IMMUTABLE_COLUMNS.get(table, ())]
    columns += [column for column, _ in references(table) if column != "id"]
    for type_column, id_column in POLYMORPHIC_REFERENCES.get(table, ()):
        columns += [type_column, id_column]
    if table in LEAD_SUBTYPES:
        columns.append("id")
    return list(dict.fromkeys(columns))


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- SQLite ------------------------------------------------------------------------------------

_SQLITE_NOW = "strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')"


def _sqlite_condition(rule: _Rule) -> str:
    if rule.kind == "tenant_required":
        return "NEW.tenant_id IS NULL"
    if rule.kind == "immutable":
        return f"NEW.{rule.column} IS NOT OLD.{rule.column}"
    if rule.kind == "reference":
        return f"EXISTS (SELECT 1 FROM {rule.target} WHERE id = NEW.{rule.column} AND tenant_id IS NOT NEW.tenant_id)"
    if rule.kind == "subject_missing":
        return (
            f"NEW.{rule.type_column} = '{rule.target}' AND NEW.{rule.column} IS NOT NULL"
            f" AND NOT EXISTS (SELECT 1 FROM {rule.target} WHERE id = NEW.{rule.column})"
        )
    if rule.kind == "subject_tenant":
        return (
            f"NEW.{rule.type_column} = '{rule.target}' AND EXISTS (SELECT 1 FROM {rule.target}"
            f" WHERE id = NEW.{rule.column} AND tenant_id IS NOT NEW.tenant_id)"
        )
    if rule.kind == "lead_type":
        return f"EXISTS (SELECT 1 FROM lead WHERE id = NEW.id AND lead_type IS NOT '{rule.target}')"
    if rule.kind == "status":
        allowed = f"('{rule.target}')" if rule.target else "('lead', NEW.lead_type)"
        return (
            "EXISTS (SELECT 1 FROM status WHERE id = NEW.status_id"
            f" AND (entity_type IS NULL OR entity_type NOT IN {allowed}))"
        )
    raise ValueError(f"unknown rule kind {rule.kind!r}")


def _sqlite_raises(rules: list[_Rule]) -> str:
    return "\n".join(
        f"  SELECT RAISE(ABORT, {_sql_string(rule.message)}) WHERE {_sqlite_condition(rule)};" for rule in rules
    )


def _sqlite_log_insert(table: str, op: str, row: str, actor: str) -> str:
    return (
        "  INSERT INTO change_log (tenant_id, entity_type, entity_id, op, actor_id, via_agent)\n"
        f"  VALUES ({row}.tenant_id, '{table}', {row}.id, '{op}', {actor}, coalesce({row}.via_agent, 0));"
    )


def _sqlite_table_statements(table: str) -> list[str]:
    """The change-capture, touch and check triggers of one business table (SQLite)."""
    touch = f"  UPDATE {table} SET updated_at = {_SQLITE_NOW} WHERE id = NEW.id AND NEW.updated_at IS OLD.updated_at;"
    return [
        f"CREATE TRIGGER kgcrm_{table}_after_insert AFTER INSERT ON {table} FOR EACH ROW\nBEGIN\n"
        f"{_sqlite_log_insert(table, 'insert', 'NEW', 'coalesce(NEW.updated_by, NEW.created_by)')}\nEND",
        # One trigger touches then logs: a separate touch trigger's UPDATE would be logged too.
        f"CREATE TRIGGER kgcrm_{table}_after_update AFTER UPDATE ON {table} FOR EACH ROW\nBEGIN\n"
        f"{touch}\n{_sqlite_log_insert(table, 'update', 'NEW', 'NEW.updated_by')}\nEND",
        f"CREATE TRIGGER kgcrm_{table}_after_delete AFTER DELETE ON {table} FOR EACH ROW\nBEGIN\n"
        f"{_sqlite_log_insert(table, 'delete', 'OLD', 'OLD.updated_by')}\nEND",
    ]


def _sqlite_check_statements(table: str) -> list[str]:
    rules = _rules(table)
    insert_rules = [rule for rule in rules if rule.kind != "immutable"]
    columns = ", ".join(_checked_columns(table))
    return [
        f"CREATE TRIGGER kgcrm_{table}_check_insert BEFORE INSERT ON {table} FOR EACH ROW\nBEGIN\n"
        f"{_sqlite_raises(insert_rules)}\nEND",
        f"CREATE TRIGGER kgcrm_{table}_check_update BEFORE UPDATE OF {columns} ON {table} FOR EACH ROW\n"
        f"BEGIN\n{_sqlite_raises(rules)}\nEND",
    ]


def _sqlite_table_trigger_names(table: str) -> list[str]:
    return [
        f"kgcrm_{table}_after_insert",
        f"kgcrm_{table}_after_delete",
        f"kgcrm_{table}_check_insert",
        f"kgcrm_{table}_check_update",
    ]


def sqlite_create_statements(tables: tuple[str, ...] = LOGGED_TABLES) -> list[str]:
    """The CREATE TRIGGER statements for SQLite (``tables``: the business tables to log)."""
    statements: list[str] = []
    touch = f"  UPDATE tenant SET updated_at = {_SQLITE_NOW} WHERE id = NEW.id AND NEW.updated_at IS OLD.updated_at;"
    statements.append(
        "CREATE TRIGGER kgcrm_tenant_after_update AFTER UPDATE ON tenant FOR EACH ROW\n"
        f"WHEN NEW.updated_at IS OLD.updated_at\nBEGIN\n{touch}\nEND"
    )
    for table in tables:
        statements += _sqlite_table_statements(table)
    for table in tables:
        statements += _sqlite_check_statements(table)
    for subject_type in SUBJECT_TYPES:
        deletes = "\n".join(
            f"  DELETE FROM {table} WHERE subject_type = '{subject_type}' AND subject_id = OLD.id;"
            for table in SUBJECT_TABLES
        )
        statements.append(
            f"CREATE TRIGGER kgcrm_{subject_type}_delete_subject_rows AFTER DELETE ON {subject_type}"
            f" FOR EACH ROW\nBEGIN\n{deletes}\nEND"
        )
    return statements


def sqlite_drop_statements(tables: tuple[str, ...] = LOGGED_TABLES) -> list[str]:
    """DROP TRIGGER statements undoing :func:`sqlite_create_statements`."""
    names = [f"kgcrm_{table}_after_update" for table in ("tenant", *tables)]
    for table in tables:
        names += _sqlite_table_trigger_names(table)
    names += [f"kgcrm_{subject_type}_delete_subject_rows" for subject_type in SUBJECT_TYPES]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in names]


# --- PostgreSQL -------------------------------------------------------------------------------

_PG_ERRCODES = {
    "tenant_required": "not_null_violation",
    "reference": "foreign_key_violation",
    "subject_missing": "foreign_key_violation",
    "subject_tenant": "foreign_key_violation",
    "lead_type": "check_violation",
    "status": "check_violation",
    "immutable": "integrity_constraint_violation",
}

_PG_FUNCTION_HEADER = "RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$"


def _pg_raise(rule: _Rule, detail_column: str, indent: str) -> str:
    if rule.kind == "immutable":
        detail = f"format('{rule.table}.{detail_column}: old %s, new %s', OLD.{detail_column}, NEW.{detail_column})"
    else:
        detail = f"format('{rule.table}.{detail_column} = %s, tenant_id = %s', NEW.{detail_column}, NEW.tenant_id)"
    return (
        f"{indent}RAISE EXCEPTION USING MESSAGE = {_sql_string(rule.message)},\n"
        f"{indent}  DETAIL = {detail},\n"
        f"{indent}  ERRCODE = '{_PG_ERRCODES[rule.kind]}';"
    )


def _pg_check_function(table: str) -> str:
    rules = _rules(table)
    body: list[str] = []
    immutables = [rule for rule in rules if rule.kind == "immutable"]
    for rule in rules:
        if rule.kind == "tenant_required":
            body.append("  IF NEW.tenant_id IS NULL THEN")
            body.append(_pg_raise(rule, "id", "    "))
            body.append("  END IF;")
    body.append("  IF TG_OP = 'UPDATE' THEN")
    for rule in immutables:
        body.append(f"    IF NEW.{rule.column} IS DISTINCT FROM OLD.{rule.column} THEN")
        body.append(_pg_raise(rule, rule.column, "      "))
        body.append("    END IF;")
    body.append("  END IF;")
    for rule in rules:
        if rule.kind == "reference":
            body.append(
                f"  IF EXISTS (SELECT 1 FROM {rule.target} WHERE id = NEW.{rule.column}"
                " AND tenant_id <> NEW.tenant_id) THEN"
            )
            body.append(_pg_raise(rule, rule.column, "    "))
            body.append("  END IF;")
        elif rule.kind == "lead_type":
            body.append(f"  IF EXISTS (SELECT 1 FROM lead WHERE id = NEW.id AND lead_type <> '{rule.target}') THEN")
            body.append(_pg_raise(rule, "id", "    "))
            body.append("  END IF;")
        elif rule.kind == "status":
            allowed = f"('{rule.target}')" if rule.target else "('lead', NEW.lead_type)"
            body.append(
                "  IF EXISTS (SELECT 1 FROM status WHERE id = NEW.status_id"
                f" AND (entity_type IS NULL OR entity_type NOT IN {allowed})) THEN"
            )
            body.append(_pg_raise(rule, "status_id", "    "))
            body.append("  END IF;")
    for type_column, id_column in POLYMORPHIC_REFERENCES.get(table, ()):
        by_type = {r.target: r for r in rules if r.kind == "subject_missing" and r.column == id_column}
        other_tenant = {r.target: r for r in rules if r.kind == "subject_tenant" and r.column == id_column}
        keyword = "IF"
        pair = type_column.removesuffix("_type")
        body.append(f"  IF NEW.{id_column} IS NOT NULL THEN  -- (a NULL one breaks a CHECK: {pair}_pair)")
        for subject_type in SUBJECT_TYPES:
            # FOR KEY SHARE: a concurrent delete of the subject waits for this transaction,
            # then its cascade (kgcrm_delete_subject_rows) sees this row.
            body += [
                f"  {keyword} NEW.{type_column} = '{subject_type}' THEN",
                f"    SELECT tenant_id INTO ref_tenant FROM {subject_type} WHERE id = NEW.{id_column} FOR KEY SHARE;",
                "    IF NOT FOUND THEN",
                _pg_raise(by_type[subject_type], id_column, "      "),
                "    ELSIF ref_tenant <> NEW.tenant_id THEN",
                _pg_raise(other_tenant[subject_type], id_column, "      "),
                "    END IF;",
            ]
            keyword = "ELSIF"
        body.append("  END IF;")
        body.append("  END IF;")
    return (
        f"CREATE OR REPLACE FUNCTION kgcrm_check_{table}() {_PG_FUNCTION_HEADER}\n"
        "DECLARE\n  ref_tenant text;\nBEGIN\n" + "\n".join(body) + "\n  RETURN NEW;\nEND\n$fn$"
    )


#: The channel the PostgreSQL change-log trigger notifies (``pg_notify``), its payload the schema
#: (``current_schema()``) so that a follower of one schema ignores another's; PostgreSQL folds the
#: identical notifications of one transaction into one, delivered at commit. SQLite has no NOTIFY:
#: its followers poll.
CHANGE_LOG_CHANNEL = "kgcrm_change_log"


def pg_log_function(*, notify: bool = True) -> str:
    """``kgcrm_log_change()``: one ``change_log`` row per changed row, and (``notify``) a NOTIFY.

    ``notify=False`` is the function of migrations 0001-0004 (for 0005's downgrade)."""
    notification = f"\n  PERFORM pg_notify('{CHANGE_LOG_CHANNEL}', current_schema());" if notify else ""
    return _PG_LOG_FUNCTION.replace("\n  RETURN NULL;", notification + "\n  RETURN NULL;")


_PG_LOG_FUNCTION = f"""CREATE OR REPLACE FUNCTION kgcrm_log_change() {_PG_FUNCTION_HEADER}
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO change_log (tenant_id, entity_type, entity_id, op, changed_at, actor_id, via_agent, txid)
    VALUES (OLD.tenant_id, TG_TABLE_NAME, OLD.id, 'delete', now(), OLD.updated_by,
            coalesce(OLD.via_agent, false), pg_current_xact_id()::text::bigint);
  ELSE
    INSERT INTO change_log (tenant_id, entity_type, entity_id, op, changed_at, actor_id, via_agent, txid)
    VALUES (NEW.tenant_id, TG_TABLE_NAME, NEW.id, lower(TG_OP), now(),
            CASE WHEN TG_OP = 'INSERT' THEN coalesce(NEW.updated_by, NEW.created_by) ELSE NEW.updated_by END,
            coalesce(NEW.via_agent, false), pg_current_xact_id()::text::bigint);
  END IF;
  RETURN NULL;
END
$fn$"""

_PG_TOUCH_FUNCTION = f"""CREATE OR REPLACE FUNCTION kgcrm_touch_updated_at() {_PG_FUNCTION_HEADER}
BEGIN
  IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END
$fn$"""


def _pg_subject_function() -> str:
    deletes = "\n".join(
        f"  DELETE FROM {table} WHERE subject_type = TG_TABLE_NAME AND subject_id = OLD.id;" for table in SUBJECT_TABLES
    )
    return (
        f"CREATE OR REPLACE FUNCTION kgcrm_delete_subject_rows() {_PG_FUNCTION_HEADER}\n"
        f"BEGIN\n{deletes}\n  RETURN NULL;\nEND\n$fn$"
    )


def _pg_table_statements(table: str) -> list[str]:
    """The check function and the check and log triggers of one business table (PostgreSQL)."""
    return [
        _pg_check_function(table),
        f"CREATE TRIGGER kgcrm_check BEFORE INSERT OR UPDATE ON {table}"
        f" FOR EACH ROW EXECUTE FUNCTION kgcrm_check_{table}()",
        f"CREATE TRIGGER kgcrm_log AFTER INSERT OR UPDATE OR DELETE ON {table}"
        " FOR EACH ROW EXECUTE FUNCTION kgcrm_log_change()",
    ]


def _pg_touch_statement(table: str) -> str:
    return f"CREATE TRIGGER kgcrm_touch BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION kgcrm_touch_updated_at()"


def _pg_table_drop_statements(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS kgcrm_check ON {table}",
        f"DROP TRIGGER IF EXISTS kgcrm_log ON {table}",
        f"DROP FUNCTION IF EXISTS kgcrm_check_{table}()",
    ]


def postgresql_create_statements(tables: tuple[str, ...] = LOGGED_TABLES) -> list[str]:
    """CREATE FUNCTION / CREATE TRIGGER statements for PostgreSQL (the schema is the search_path's)."""
    statements = [pg_log_function(), _PG_TOUCH_FUNCTION, _pg_subject_function()]
    statements += [_pg_touch_statement(table) for table in ("tenant", *tables)]
    for table in tables:
        statements += _pg_table_statements(table)
    for subject_type in SUBJECT_TYPES:
        statements.append(
            f"CREATE TRIGGER kgcrm_delete_subject_rows AFTER DELETE ON {subject_type}"
            " FOR EACH ROW EXECUTE FUNCTION kgcrm_delete_subject_rows()"
        )
    return statements


def postgresql_drop_statements(tables: tuple[str, ...] = LOGGED_TABLES) -> list[str]:
    """DROP statements undoing :func:`postgresql_create_statements`."""
    statements = [f"DROP TRIGGER IF EXISTS kgcrm_touch ON {table}" for table in ("tenant", *tables)]
    for table in tables:
        statements += _pg_table_drop_statements(table)
    statements += [f"DROP TRIGGER IF EXISTS kgcrm_delete_subject_rows ON {t}" for t in SUBJECT_TYPES]
    statements += [
        "DROP FUNCTION IF EXISTS kgcrm_log_change()",
        "DROP FUNCTION IF EXISTS kgcrm_touch_updated_at()",
        "DROP FUNCTION IF EXISTS kgcrm_delete_subject_rows()",
    ]
    return statements


def create_statements(dialect_name: str, tables: tuple[str, ...] = LOGGED_TABLES) -> list[str]:
    """The trigger DDL for a dialect (``"sqlite"`` or ``"postgresql"``); ``tables``: the business tables
    (a migration passes the list of its own time, e.g. :data:`INITIAL_LOGGED_TABLES`)."""
    if dialect_name == "sqlite":
        return sqlite_create_statements(tables)
    if dialect_name == "postgresql":
        return postgresql_create_statements(tables)
    raise ValueError(f"no trigger DDL for the {dialect_name!r} database: kgcrm supports sqlite and postgresql")


def drop_statements(dialect_name: str, tables: tuple[str, ...] = LOGGED_TABLES) -> list[str]:
    """The DDL removing the triggers of :func:`create_statements`."""
    if dialect_name == "sqlite":
        return sqlite_drop_statements(tables)
    if dialect_name == "postgresql":
        return postgresql_drop_statements(tables)
    raise ValueError(f"no trigger DDL for the {dialect_name!r} database: kgcrm supports sqlite and postgresql")


def table_create_statements(dialect_name: str, table: str) -> list[str]:
    """The triggers of ONE business table added after the initial schema (``feedback``, migration 0005):
    change capture, ``updated_at`` and its checks; PostgreSQL's shared functions already exist."""
    if dialect_name == "sqlite":
        return [*_sqlite_table_statements(table), *_sqlite_check_statements(table)]
    if dialect_name == "postgresql":
        return [_pg_touch_statement(table), *_pg_table_statements(table)]
    raise ValueError(f"no trigger DDL for the {dialect_name!r} database: kgcrm supports sqlite and postgresql")


def table_drop_statements(dialect_name: str, table: str) -> list[str]:
    """The DDL removing :func:`table_create_statements`."""
    if dialect_name == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {name}"
            for name in [f"kgcrm_{table}_after_update", *_sqlite_table_trigger_names(table)]
        ]
    if dialect_name == "postgresql":
        return [f"DROP TRIGGER IF EXISTS kgcrm_touch ON {table}", *_pg_table_drop_statements(table)]
    raise ValueError(f"no trigger DDL for the {dialect_name!r} database: kgcrm supports sqlite and postgresql")
