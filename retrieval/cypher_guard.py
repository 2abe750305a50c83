"""The guard every generated Cypher query passes before it runs.

A query written by a language model is untrusted input. :func:`guard` accepts a
small read-only subset of Cypher and rewrites it so that it can only see the
caller's tenant; :func:`run_guarded` checks the rewritten query again on the
server and runs it read-only, with a timeout and a row limit.

``guard(cypher)``, in order (the first failure raises :class:`UnsafeCypherError`,
whose ``reason`` says what was refused, in words the model can act on):

1. **Characters.** NFKC-normalise (full-width letters, U+FF23 …, become ``CREATE``);
   refuse control characters, zero-width and bidi format characters, unusual
   spaces; outside string literals every character must be ASCII, so a keyword or
   identifier spelled with look-alike letters (a Cyrillic U+0421 for the C of ``CREATE``) is
   refused rather than read as a name.
2. **Tokens** (the ANTLR lexer of ``antlr4-cypher``): no comments, no parameters
   (``$x``: the model gets none, and ``__tenant`` is reserved), no string with a
   backslash escape or a line break, backtick-quoted names only as plain words
   that are not keywords, plain ASCII identifiers and decimal numbers, one
   statement (a trailing ``;`` is dropped), and no write, admin or procedure
   keyword (CREATE, MERGE, SET, DELETE, DETACH, REMOVE, FOREACH, LOAD CSV, CALL,
   USING PERIODIC COMMIT, IN TRANSACTIONS, SHOW, ALTER, GRANT, DROP …).
3. **Parse** (the ANTLR parser of ``antlr4-cypher``, an openCypher grammar): what
   does not parse is refused. The grammar knows only reading clauses, updating
   clauses and procedure calls: ``CALL { … }`` subqueries, ``FOREACH``,
   ``LOAD CSV``, schema and admin commands, query options and hints do not parse.
   The tree is then checked: no updating clause, no procedure call (the
   allow-list :data:`ALLOWED_PROCEDURES` is empty), no function outside the
   built-in namespaces (every ``apoc.*``, ``db.*``, ``dbms.*`` … is refused).
4. **Tenant scoping, by construction.** Every node pattern of the tree (MATCH,
   OPTIONAL MATCH, pattern predicates, pattern comprehensions, ``EXISTS { … }``,
   UNION branches, ``shortestPath``, anonymous ``()`` included) gets
   ``tenant_id: $__tenant`` in its property map: a textual insertion at the
   pattern's token positions, merged into an existing map (which may not name
   ``tenant_id`` itself). The rewritten text is parsed again and every node
   pattern checked to carry the filter.

``run_guarded(gateway, guarded, tenant_id)`` then, on a read-routed session
(``READ`` access mode, so a single server refuses writes too):

5. ``EXPLAIN`` the rewritten query: it must plan, as a read-only query
   (``query_type == 'r'``), with no operator that loads data or calls a
   procedure or writes (LoadCSV, ProcedureCall, Create, Merge, Set …);
6. runs it in a read transaction with a timeout, consuming at most ``max_rows``
   rows.

Relationships are not filtered: the sync never links nodes of two tenants, and
both ends of every pattern relationship are tenant-filtered nodes.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import neo4j
from antlr4 import CommonTokenStream, InputStream, Token
from antlr4.error.ErrorListener import ErrorListener
from antlr4.tree.Tree import ParseTree, TerminalNode
from antlr4_cypher import CypherLexer, CypherParser
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired
from neo4j.graph import Node, Path, Relationship

from kgcrm.core.errors import GraphQueryError, Neo4jUnavailable, UnsafeCypherError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.mapping import ENTITY_LABEL, TABLE_OF_LABEL
from kgcrm.graph.tenant_vectors import LABEL_PREFIX as TENANT_LABEL_PREFIX
from kgcrm.retrieval.types import SourceRow

log = logging.getLogger(__name__)

TENANT_PARAMETER = "__tenant"
TENANT_PROPERTY = "tenant_id"
TENANT_FILTER = f"{TENANT_PROPERTY}: ${TENANT_PARAMETER}"

MAX_QUERY_CHARS = 4000
MAX_NESTING = 16  # brackets inside brackets; the Python ANTLR runtime parses recursively

# Procedures a generated query may CALL: none yet. An entry is a full lower-case name.
ALLOWED_PROCEDURES: frozenset[str] = frozenset()

# Namespaces of the built-in functions a query may use (un-namespaced built-ins are fine).
ALLOWED_FUNCTION_NAMESPACES: frozenset[str] = frozenset(
    {"date", "datetime", "localdatetime", "localtime", "time", "duration", "point", "vector"}
)

# Words that start a write, an admin command or a procedure call. Refused wherever they
# stand as a word of their own (not as a property key, label or map key).
FORBIDDEN_WORDS: frozenset[str] = frozenset(
    {
        "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "FOREACH", "LOAD", "CSV", "CALL", "USING",
        "PERIODIC", "TRANSACTIONS", "SHOW", "ALTER", "GRANT", "DENY", "REVOKE", "DROP", "RENAME",
        "TERMINATE", "USE", "EXPLAIN", "PROFILE", "CYPHER",
    }
)  # fmt: skip


# Operators in an EXPLAIN plan that a read-only query never needs.
FORBIDDEN_OPERATOR_PREFIXES: tuple[str, ...] = (
    "LoadCSV", "ProcedureCall", "EagerProcedureCall", "Create", "Merge", "Set", "Remove", "Delete",
    "DetachDelete", "Foreach", "TransactionApply", "TransactionForeach", "LockingMerge", "EmptyResult",
)  # fmt: skip

# Node properties left out of rows: vectors are large and mean nothing to a reader.
HIDDEN_NODE_PROPERTIES: frozenset[str] = frozenset({"embedding", "embedding_hash"})

_L = CypherLexer
_WORD_TOKENS = frozenset(range(_L.CALL, _L.DROP + 1)) | {_L.ID}  # the grammar's keywords, and names
# Words a backtick-quoted name may not spell (it could pass for a keyword to a reader).
_KEYWORDS = FORBIDDEN_WORDS | {_L.symbolicNames[t].removesuffix("_W") for t in range(_L.CALL, _L.DROP + 1)}
_PUNCTUATION = frozenset(
    {
        _L.ASSIGN, _L.ADD_ASSIGN, _L.LE, _L.GE, _L.GT, _L.LT, _L.NOT_EQUAL, _L.RANGE, _L.DOT, _L.COMMA,
        _L.LPAREN, _L.RPAREN, _L.LBRACE, _L.RBRACE, _L.LBRACK, _L.RBRACK, _L.SUB, _L.PLUS, _L.DIV, _L.MOD,
        _L.CARET, _L.MULT, _L.COLON, _L.STICK,
    }
)  # fmt: skip
_ALLOWED_TOKEN_TYPES = (
    _WORD_TOKENS
    | _PUNCTUATION
    | {
        _L.SP,
        _L.SEMI,
        _L.DOLLAR,
        _L.STRING_LITERAL,
        _L.CHAR_LITERAL,
        _L.ESC_LITERAL,
        _L.Integer,
        _L.DIGIT,
        _L.FLOAT,
        Token.EOF,
    }
)

_OPENING = frozenset({_L.LPAREN, _L.LBRACK, _L.LBRACE})
_CLOSING = frozenset({_L.RPAREN, _L.RBRACK, _L.RBRACE})
_SPACE = re.compile(r"[ \t\r\n]+")
_STRING = re.compile(r"'[^'\\\r\n]*'|\"[^\"\\\r\n]*\"")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUOTED_NAME = re.compile(r"`([A-Za-z_][A-Za-z0-9_ ]*)`")
_INTEGER = re.compile(r"[0-9]+")
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_ALLOWED_CONTROL = frozenset("\t\n\r")


@dataclass(frozen=True)
class GuardedQuery:
    """A query that passed :func:`guard`: ``cypher`` is the rewritten, tenant-scoped text."""

    original: str
    cypher: str
    node_patterns: int
    parameter: str = TENANT_PARAMETER

    def parameters(self, tenant_id: str) -> dict[str, str]:
        return {self.parameter: tenant_id}


@dataclass
class GuardedRows:
    """What :func:`run_guarded` read: plain rows, whether more were left, the nodes seen."""

    cypher: str
    rows: list[dict[str, Any]]
    truncated: bool
    sources: list[SourceRow] = field(default_factory=list)


# --- guard ------------------------------------------------------------------------------------


def guard(cypher: str) -> GuardedQuery:
    """Check ``cypher`` (untrusted) and rewrite it tenant-scoped; raise :class:`UnsafeCypherError`."""
    if not isinstance(cypher, str):
        raise UnsafeCypherError(f"the query must be a string, not {type(cypher).__name__}")
    text = unicodedata.normalize("NFKC", cypher).strip()
    if not text:
        raise UnsafeCypherError("the query is empty", cypher)
    if len(text) > MAX_QUERY_CHARS:
        raise UnsafeCypherError(f"the query is longer than {MAX_QUERY_CHARS} characters", cypher)
    _check_characters(text, cypher)
    stream = _lex(text, cypher)
    text, stream = _drop_trailing_semicolon(text, stream, cypher)
    _check_tokens(stream.tokens, cypher, allow_tenant_parameter=False)
    tree = _parse(stream, cypher)
    insertions = _check_tree(tree, cypher)
    rewritten = _apply(text, insertions)
    node_patterns = _verify_rewritten(rewritten, cypher)
    if node_patterns != len(insertions):  # pragma: no cover - a bug in the rewrite, not an attack
        raise UnsafeCypherError("internal error: the tenant rewrite did not cover every node pattern", cypher)
    return GuardedQuery(original=cypher, cypher=rewritten, node_patterns=node_patterns)


def _check_characters(text: str, cypher: str) -> None:
    for position, char in enumerate(text):
        category = unicodedata.category(char)
        if category[0] == "C" and char not in _ALLOWED_CONTROL:
            kind = "control" if category == "Cc" else "invisible or format" if category == "Cf" else "unassigned"
            raise UnsafeCypherError(f"{kind} character {_describe(char)} at offset {position}", cypher)
        if category in {"Zl", "Zp"} or (category == "Zs" and char != " "):
            raise UnsafeCypherError(f"unusual space {_describe(char)} at offset {position}", cypher)


def _describe(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED')}"


class _RaiseOnError(ErrorListener):  # type: ignore[misc]
    def __init__(self, what: str, cypher: str) -> None:
        self.what = what
        self.cypher = cypher

    def syntaxError(self, recognizer: Any, offendingSymbol: Any, line: int, column: int, msg: str, e: Any) -> None:
        raise UnsafeCypherError(f"{self.what} at line {line}, column {column + 1}: {msg}", self.cypher)


def _lex(text: str, cypher: str) -> CommonTokenStream:
    lexer = CypherLexer(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(_RaiseOnError("the query does not parse (unknown character)", cypher))
    stream = CommonTokenStream(lexer)
    stream.fill()
    return stream


def _drop_trailing_semicolon(text: str, stream: CommonTokenStream, cypher: str) -> tuple[str, CommonTokenStream]:
    significant = [t for t in stream.tokens if t.type not in (_L.SP, Token.EOF)]
    if significant and significant[-1].type == _L.SEMI:
        text = text[: significant[-1].start].rstrip()
        return text, _lex(text, cypher)
    return text, stream


def _check_tokens(tokens: list[Token], cypher: str, *, allow_tenant_parameter: bool) -> None:
    words = [t for t in tokens if t.type != _L.SP]
    for index, token in enumerate(words):
        kind, value = token.type, token.text
        where = f"at line {token.line}, column {token.column + 1}"
        if kind == Token.EOF:
            continue
        if kind not in _ALLOWED_TOKEN_TYPES:
            raise UnsafeCypherError(f"unexpected {value!r} {where}", cypher)
        if kind in (_L.STRING_LITERAL, _L.CHAR_LITERAL):
            if not _STRING.fullmatch(value):
                raise UnsafeCypherError(f"string literal {where} has a backslash escape or a line break", cypher)
            continue
        if not value.isascii():
            odd = next(c for c in value if not c.isascii())
            raise UnsafeCypherError(
                f"non-ASCII character {_describe(odd)} outside a string literal {where}"
                " (only plain ASCII keywords and names are accepted)",
                cypher,
            )
        if kind == _L.SEMI:
            raise UnsafeCypherError(f"more than one statement (';' {where})", cypher)
        if kind == _L.DOLLAR:
            following = words[index + 1].text if index + 1 < len(words) else ""
            if allow_tenant_parameter and following == TENANT_PARAMETER:
                continue
            raise UnsafeCypherError(
                f"parameters are not allowed (${following} {where}): write literal values in the query", cypher
            )
        if TENANT_PARAMETER in value.lower() and not (allow_tenant_parameter and value == TENANT_PARAMETER):
            raise UnsafeCypherError(f"the name {TENANT_PARAMETER!r} is reserved ({where})", cypher)
        if kind == _L.ID and not (_IDENTIFIER.fullmatch(value) or _INTEGER.fullmatch(value)):
            raise UnsafeCypherError(f"invalid name {value!r} {where}", cypher)
        if kind == _L.Integer and not _INTEGER.fullmatch(value):
            raise UnsafeCypherError(f"only decimal numbers are accepted ({value!r} {where})", cypher)
        if kind in (_L.DIGIT, _L.FLOAT) and not _NUMBER.fullmatch(value):
            raise UnsafeCypherError(f"only decimal numbers are accepted ({value!r} {where})", cypher)
        if kind == _L.ESC_LITERAL:
            quoted = _QUOTED_NAME.fullmatch(value)
            if quoted is None:
                raise UnsafeCypherError(
                    f"backtick-quoted name {value!r} {where}: only letters, digits, '_' and spaces", cypher
                )
            if quoted.group(1).strip().upper() in _KEYWORDS:
                raise UnsafeCypherError(f"backtick-quoted keyword {value!r} {where}", cypher)
        if kind in _WORD_TOKENS and value.upper() in FORBIDDEN_WORDS:
            before = words[index - 1].type if index > 0 else None
            after = words[index + 1].type if index + 1 < len(words) else None
            if before not in (_L.DOT, _L.COLON) and after != _L.COLON:  # not n.set, :Set, {set: …}
                raise UnsafeCypherError(
                    f"{value.upper()} {where}: only read-only queries are allowed"
                    " (no writes, procedure calls, LOAD CSV, subquery CALLs or admin commands)",
                    cypher,
                )
    depth = 0
    for token in tokens:
        depth += token.type in _OPENING
        depth -= token.type in _CLOSING
        if depth > MAX_NESTING:
            raise UnsafeCypherError(f"brackets are nested more than {MAX_NESTING} deep", cypher)
        if token.type == _L.SP and not _SPACE.fullmatch(token.text):
            what = "comments are" if ("//" in token.text or "/*" in token.text) else "this whitespace is"
            raise UnsafeCypherError(f"{what} not allowed (at line {token.line}, column {token.column + 1})", cypher)


def _parse(stream: CommonTokenStream, cypher: str) -> CypherParser.ScriptContext:
    # The grammar puts whitespace tokens (SP) on the default channel, and places them
    # inconsistently (``RETURN n UNION …`` fails); hide them, except where it needs one.
    previous: Token | None = None
    for token in stream.tokens:
        if token.type == _L.SP and not (previous is not None and previous.type in (_L.OPTIONAL, _L.DETACH)):
            token.channel = Token.HIDDEN_CHANNEL
        previous = token
    parser = CypherParser(stream)
    parser.removeErrorListeners()
    parser.addErrorListener(_RaiseOnError("the query does not parse", cypher))
    try:
        return parser.script()
    except RecursionError as exc:  # MAX_NESTING should prevent it
        raise UnsafeCypherError("the query is nested too deeply", cypher) from exc


def _walk(tree: ParseTree) -> Iterator[ParseTree]:
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, TerminalNode) and node.children:
            stack.extend(reversed(node.children))


_P = CypherParser
_WRITES: tuple[type[Any], ...] = (_P.UpdatingStatementContext, _P.CreateStContext, _P.MergeStContext)
_WRITES += (_P.DeleteStContext,)
_WRITES += (_P.SetStContext, _P.RemoveStContext, _P.MergeActionContext, _P.SetItemContext, _P.RemoveItemContext)


def _name(ctx: Any) -> str:
    text: str = ctx.getText()
    return text[1:-1] if text.startswith("`") and text.endswith("`") else text


def _check_tree(tree: CypherParser.ScriptContext, cypher: str) -> list[tuple[int, str]]:
    """Refuse writes, calls and foreign functions; the tenant-filter insertions, by offset."""
    insertions: list[tuple[int, str]] = []
    for node in _walk(tree):
        if isinstance(node, _WRITES):
            raise UnsafeCypherError(f"the query writes ({node.getText()[:40]!r}): only read-only queries", cypher)
        if isinstance(node, (_P.QueryCallStContext, _P.StandaloneCallContext)):
            procedure = ".".join(_name(s) for s in node.invocationName().symbol()).lower()
            if procedure not in ALLOWED_PROCEDURES:
                raise UnsafeCypherError(f"procedure {procedure} is not allowed (no procedure may be called)", cypher)
        if isinstance(node, _P.FunctionInvocationContext):
            function = ".".join(_name(s) for s in node.invocationName().symbol()).lower()
            namespace = function.rpartition(".")[0]
            if namespace and namespace.split(".")[0] not in ALLOWED_FUNCTION_NAMESPACES:
                raise UnsafeCypherError(f"function {function} is not allowed (only built-in Cypher functions)", cypher)
        if isinstance(node, _P.ParameterContext):
            raise UnsafeCypherError(f"parameters are not allowed ({node.getText()})", cypher)
        if isinstance(node, _P.NodePatternContext):
            insertions.append(_tenant_insertion(node, cypher))
    return insertions


def _tenant_insertion(node: CypherParser.NodePatternContext, cypher: str) -> tuple[int, str]:
    properties = node.properties()
    if properties is None:
        closing = node.stop  # the ')'
        return closing.start, f" {{{TENANT_FILTER}}}"
    map_literal = properties.mapLit()
    if map_literal is None:  # a parameter: refused before, kept as a second line of defence
        raise UnsafeCypherError(f"node properties from a parameter ({properties.getText()})", cypher)
    pairs = map_literal.mapPair()
    for pair in pairs:
        if _name(pair.name()) == TENANT_PROPERTY:
            raise UnsafeCypherError(
                f"node pattern {node.getText()!r} sets {TENANT_PROPERTY}: leave the tenant out, it is added for you",
                cypher,
            )
    opening = map_literal.start  # the '{'
    return opening.stop + 1, f"{TENANT_FILTER}, " if pairs else TENANT_FILTER


def _apply(text: str, insertions: list[tuple[int, str]]) -> str:
    result = text
    for offset, insert in sorted(insertions, reverse=True):
        if insert.startswith(" ") and offset > 0 and result[offset - 1] in " \t\r\n(":
            insert = insert[1:]
        result = result[:offset] + insert + result[offset:]
    return result


def _verify_rewritten(rewritten: str, cypher: str) -> int:
    """Parse the rewritten text again: every node pattern must start its map with the filter."""
    stream = _lex(rewritten, cypher)
    _check_tokens(stream.tokens, cypher, allow_tenant_parameter=True)
    tree = _parse(stream, cypher)
    count = 0
    for node in _walk(tree):
        if isinstance(node, _P.NodePatternContext):
            properties = node.properties()
            map_literal = properties.mapLit() if properties is not None else None
            pairs = map_literal.mapPair() if map_literal is not None else []
            first = pairs[0] if pairs else None
            if (
                first is None
                or _name(first.name()) != TENANT_PROPERTY
                or first.expression().getText() != (f"${TENANT_PARAMETER}")
            ):
                raise UnsafeCypherError(f"internal error: node pattern {node.getText()!r} escaped the tenant filter")
            count += 1
    return count


# --- run ----------------------------------------------------------------------------------------


def run_guarded(
    gateway: GraphGateway,
    guarded: GuardedQuery,
    tenant_id: str,
    *,
    max_rows: int = 200,
    timeout_s: float = 10.0,
) -> GuardedRows:
    """EXPLAIN, then run ``guarded`` read-only for ``tenant_id``; at most ``max_rows`` rows."""
    if not isinstance(guarded, GuardedQuery):
        raise TypeError("run_guarded takes a GuardedQuery: pass the query through guard() first")
    if not isinstance(tenant_id, str) or not tenant_id:
        raise UnsafeCypherError("a tenant id is required")
    if max_rows < 1:
        raise ValueError("max_rows must be at least 1")
    params = guarded.parameters(tenant_id)
    started = time.perf_counter()
    try:
        with gateway.driver.session(
            database=gateway.database,
            default_access_mode=neo4j.READ_ACCESS,
            fetch_size=max_rows + 1,
            notifications_min_severity="OFF",
        ) as session:
            summary = session.run(neo4j.Query(f"EXPLAIN {guarded.cypher}", timeout=timeout_s), params).consume()
            _check_plan(summary, guarded)
            with session.begin_transaction(timeout=timeout_s, metadata={"app": "kgcrm", "query": "text2cypher"}) as tx:
                result = tx.run(guarded.cypher, params)
                records: list[neo4j.Record] = []
                truncated = False
                for record in result:
                    if len(records) == max_rows:
                        truncated = True
                        break
                    records.append(record)
                sources: dict[str, SourceRow] = {}
                rows = [
                    {key: plain(value, sources) for key, value in record.items()}  # type: ignore[no-untyped-call]
                    for record in records
                ]
                tx.rollback()  # read-only: nothing to commit; the rest of the result is discarded
    except Neo4jError as exc:
        raise GraphQueryError("text2cypher", exc.code, exc.message) from exc
    except (ServiceUnavailable, SessionExpired, OSError) as exc:
        raise Neo4jUnavailable(f"Neo4j is unavailable (while running 'text2cypher'): {exc}") from exc
    finally:
        log.debug("neo4j query text2cypher took %.1f ms", (time.perf_counter() - started) * 1e3)
    return GuardedRows(guarded.cypher, rows, truncated, list(sources.values()))


def _check_plan(summary: neo4j.ResultSummary, guarded: GuardedQuery) -> None:
    if summary.query_type != "r":
        raise UnsafeCypherError(
            f"Neo4j plans the query as {summary.query_type!r}, not read-only ('r')", guarded.original
        )
    for operator in _operators(summary.plan or {}):
        if operator.startswith(FORBIDDEN_OPERATOR_PREFIXES):
            raise UnsafeCypherError(f"the plan uses the operator {operator}", guarded.original)


def _operators(plan: Mapping[str, Any]) -> Iterator[str]:
    yield str(plan.get("operatorType", "")).split("@")[0]
    for child in plan.get("children", ()):
        yield from _operators(child)


def plain(value: Any, sources: dict[str, SourceRow] | None = None) -> Any:
    """A Neo4j value as plain data: a node as its properties (and ``_labels``), temporals as ISO text.

    Nodes with an ``id`` are collected into ``sources`` (provenance of the answer).
    """
    if isinstance(value, Node):
        properties = {k: plain(v) for k, v in value.items() if k not in HIDDEN_NODE_PROPERTIES}
        # The mapped label first (Lead before Job), __Entity__ last; the internal tenant vector label left out.
        shown = (label for label in value.labels if not label.startswith(TENANT_LABEL_PREFIX))
        labels = sorted(shown, key=lambda label: (label not in TABLE_OF_LABEL, label == ENTITY_LABEL, label))
        if sources is not None and properties.get("id") is not None and labels:
            key = str(properties["id"])
            sources.setdefault(
                key,
                SourceRow(
                    id=key,
                    type=labels[0],
                    name=_text(properties.get("name")),
                    table=TABLE_OF_LABEL.get(labels[0]),
                    updated_at=_text(properties.get("updated_at")),
                    updated_by=_text(properties.get("updated_by")),
                ),
            )
        return {"_labels": labels, **properties}
    if isinstance(value, Relationship):
        return {"_type": value.type, **{k: plain(v) for k, v in value.items()}}
    if isinstance(value, Path):
        return {
            "nodes": [plain(n, sources) for n in value.nodes],
            "relationships": [plain(r, sources) for r in value.relationships],
        }
    if isinstance(value, list):
        return [plain(v, sources) for v in value]
    if isinstance(value, dict):
        return {k: plain(v, sources) for k, v in value.items()}
    if hasattr(value, "iso_format"):  # neo4j.time Date, DateTime, Time, Duration
        return value.iso_format()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
