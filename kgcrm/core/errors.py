"""The one error tree of kgcrm.

Every error kgcrm raises on purpose derives from :class:`KgcrmError`, so a
caller (the CLI, the HTTP API) can catch one type and show a clear message.
Every class is defined in this module, except the two of the API layer, which
carry an HTTP answer and live there (marked ``api/``):

    KgcrmError
    ├── ConfigurationError        a setting is missing or invalid
    ├── ServiceError              a backing service cannot be reached or started
    │   ├── Neo4jUnavailable
    │   ├── DatabaseUnavailable
    │   └── LLMError              the chat model cannot be reached or answers nothing usable
    ├── Neo4jServerError          the local Neo4j cannot be installed or started
    ├── GuideServerError          the Browser guide server cannot be started or stopped
    ├── SchemaError               graph schema could not be applied / came online, or an index is missing
    ├── GraphConflictError        the graph holds data the requested sync may not remove (names the fix)
    ├── GraphQueryError           Neo4j refused a query (``code``: Neo4j's status code)
    ├── EmbeddingError            the embedding pipeline failed (read, encode or write)
    ├── UnsafeCypherError         the guard refused a generated query (``reason``)
    ├── Text2CypherError          no generated query passed the guard and ran
    ├── DataError                 a row or input value is invalid (names the field)
    │   ├── TenantIsolationError  a row refers to another tenant's row
    │   ├── AmbiguousTargetError  a free-text target names several entities (``candidates``)
    │   ├── QueryError            a structured question the semantic model cannot answer (``suggestions``)
    │   └── TerminalStatusError   a row in a terminal status does not move any more
    ├── NotFoundError             an id or name that does not exist (in this tenant)
    │   ├── TenantNotFound        no tenant has this slug
    │   └── InactiveUserError     the user a write acts for is gone or deactivated
    ├── ApiError                  api/errors.py: an HTTP answer other than success
    └── ToolFailure               api/mcp_server.py: an MCP tool call's failure, as the API's body

Messages name the thing and the problem: "individual 8f1c…: field 'email': not an
email address". An error that is about one input value names it in ``field``; an
invalid input of a request or a command (:func:`invalid_input`) reads "status: no
status 'Won' for tasks in this tenant".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class KgcrmError(Exception):
    """Base of every error kgcrm raises on purpose."""


class ConfigurationError(KgcrmError):
    """A setting is missing or invalid."""


class ServiceError(KgcrmError):
    """A backing service (Neo4j, the SQL database, the LLM) is unavailable.

    ``retry_after_s``: when known (a circuit breaker is open), the seconds after which a retry may succeed.
    """

    retry_after_s: int | None = None


class Neo4jUnavailable(ServiceError):
    """Neo4j does not answer."""


class DatabaseUnavailable(ServiceError):
    """The relational database does not answer."""


class LLMError(ServiceError):
    """The chat model could not be reached, refused the request, or answered nothing usable."""


class Neo4jServerError(KgcrmError):
    """The local Neo4j server could not be installed, configured or started."""


class GuideServerError(KgcrmError):
    """The guide server could not be started or stopped."""


class SchemaError(KgcrmError):
    """The graph schema could not be applied, or an index did not come online."""


class GraphConflictError(KgcrmError):
    """The graph holds data that collides with the CRM's and that this sync may not remove.

    E.g. a tenant-scoped full sync, when the graph has another tenant with the same slug:
    only a full sync of every tenant removes tenants that are not in SQL.
    """


class GraphQueryError(KgcrmError):
    """Neo4j refused a query (syntax, constraint, permission); ``code`` is Neo4j's status code."""

    def __init__(self, name: str, code: str | None, message: str | None) -> None:
        self.query_name = name
        self.code = code
        super().__init__(f"query '{name}' failed: {code}: {message}")


class EmbeddingError(KgcrmError):
    """The embedding pipeline failed: reading texts, encoding them, or writing embeddings."""


class UnsafeCypherError(KgcrmError):
    """A generated query was refused; ``reason`` says why (it is sent back to the model)."""

    def __init__(self, reason: str, cypher: str | None = None) -> None:
        self.reason = reason
        self.cypher = cypher
        super().__init__(f"unsafe Cypher refused: {reason}")


class Text2CypherError(KgcrmError):
    """The model produced no query that passed the guard and ran, after one repair round."""

    def __init__(self, question: str, attempts: Sequence[tuple[str, str]]) -> None:
        self.question = question
        self.attempts = list(attempts)  # (cypher, error) per attempt
        detail = "; ".join(f"attempt {n}: {error}" for n, (_, error) in enumerate(self.attempts, 1))
        super().__init__(f"text-to-Cypher found no safe, working query for the question ({detail})")


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


def invalid_input(field: str, reason: str) -> DataError:
    """An invalid value of a request or a command's input, its message as the API shows it: ``field: reason``."""
    error = DataError(f"{field}: {reason}")
    error.field = field
    return error


class TenantIsolationError(DataError):
    """A row refers to a row of another tenant."""


class Candidate(Protocol):
    """One entity an ambiguous text may name (``kgcrm.retrieval.types.Candidate`` is one)."""

    @property
    def id(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def name(self) -> str | None: ...

    @property
    def score(self) -> float: ...

    def model_dump(self) -> dict[str, Any]: ...


class AmbiguousTargetError(DataError):
    """A free-text target names several entities; ``candidates`` lists them, best first (the API answers 409).

    The message is the reason alone (no "field '…'" prefix): it is shown as it is.
    """

    def __init__(self, text: str, candidates: Sequence[Candidate], *, field: str = "target") -> None:
        super().__init__(f"'{text[:100]}' could be several people or organizations: name one by id")
        self.field = field
        self.text = text
        self.candidates: list[Candidate] = list(candidates)


class TerminalStatusError(DataError):
    """A row in a terminal status (Closed Won, Done …) does not move any more; ``field`` names the status input.

    The message is shown as it is (no "field '…'" prefix).
    """

    def __init__(self, message: str, *, field: str = "status") -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(KgcrmError):
    """An id or name does not exist (in the caller's tenant); ``field`` names the input that named it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TenantNotFound(NotFoundError):
    """No tenant has this slug: in the relational CRM, or (``in_graph``) in the graph."""

    def __init__(self, slug: str, *, in_graph: bool = False) -> None:
        if in_graph:
            message = f"tenant '{slug}' is not in the graph (is the CRM synced? `kgcrm sync --full`)"
        else:
            message = f"tenant '{slug}' does not exist"
        super().__init__(message)
        self.slug = slug


class InactiveUserError(NotFoundError):
    """The user a write acts for does not exist (any more) in the tenant, or is deactivated."""


class QueryError(DataError):
    """A structured query the semantic model cannot answer; ``suggestions`` holds close valid names."""

    def __init__(self, message: str, *, field: str | None = None, suggestions: list[str] | None = None) -> None:
        self.suggestions = suggestions or []
        hint = f" (did you mean: {', '.join(self.suggestions)}?)" if self.suggestions else ""
        super().__init__(message + hint, field=field)
