"""The one error tree of kgcrm.

Every error kgcrm raises on purpose derives from :class:`KgcrmError`, so a
caller (the CLI, the HTTP API) can catch one type and show a clear message.

    KgcrmError
    ├── ConfigurationError        a setting is missing or invalid
    ├── ServiceError              a backing service cannot be reached or started
    │   ├── Neo4jUnavailable
    │   └── DatabaseUnavailable
    ├── Neo4jServerError          the local Neo4j cannot be installed or started
    ├── SchemaError               graph schema could not be applied / came online
    ├── DataError                 a row or input value is invalid (names the field)
    │   └── TenantIsolationError  a row refers to another tenant's row
    └── NotFoundError             an id or name that does not exist (in this tenant)

Messages name the thing and the problem: "individual 8f1c…: field 'email': not an
email address".
"""

from __future__ import annotations


class KgcrmError(Exception):
    """Base of every error kgcrm raises on purpose."""


class ConfigurationError(KgcrmError):
    """A setting is missing or invalid."""


class ServiceError(KgcrmError):
    """A backing service (Neo4j, the SQL database) is unavailable.

    ``retry_after_s``: when known (a circuit breaker is open), the seconds after which a retry may succeed.
    """

    retry_after_s: int | None = None


class Neo4jUnavailable(ServiceError):
    """Neo4j does not answer."""


class DatabaseUnavailable(ServiceError):
    """The relational database does not answer."""


class Neo4jServerError(KgcrmError):
    """The local Neo4j server could not be installed, configured or started."""


class SchemaError(KgcrmError):
    """The graph schema could not be applied, or an index did not come online."""


class DataError(KgcrmError):
    """An input row or value is invalid.

    ``table``/``row_id``/``field`` say where; the message says what is wrong.
    """

    def __init__(
        self,
        message: str,
        *,
        table: str | None = None,
        row_id: str | None = None,
        field: str | None = None,
    ) -> None:
        self.table = table
        self.row_id = row_id
        self.field = field
        where = " ".join(p for p in (table, row_id) if p)
        prefix = f"{where}: " if where else ""
        if field:
            prefix += f"field '{field}': "
        super().__init__(prefix + message)
        self.reason = message


class TenantIsolationError(DataError):
    """A row refers to a row of another tenant."""


class NotFoundError(KgcrmError):
    """An id or name does not exist (in the caller's tenant)."""
