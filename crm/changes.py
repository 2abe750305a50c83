"""The change log: annotating agent writes, and reading it safely.

Database triggers (:mod:`kgcrm.crm.triggers`) write one ``change_log`` row per change.
A write made by an AI agent through kgcrm's API also records the prompt and the
reasoning that led to it: wrap the write in :func:`agent_changes`, in the same
transaction::

    with session.begin():
        with agent_changes(session, prompt=prompt, reasoning=reasoning):
            contact.title = "CTO"
            contact.via_agent = True
            contact.updated_by = user_id
    # every change_log row the block wrote now carries the prompt and reasoning

How the rows of "this transaction" are found: the sequence number before the
block (:func:`begin_capture`), then every later row of this transaction
(:func:`annotate_changes`). On PostgreSQL the rows also carry the writing
transaction's id, which excludes concurrent writers. On SQLite
:func:`begin_capture` first takes the database's write lock, so no other writer
can add rows until this transaction ends.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

_PG_TXID = "pg_current_xact_id()::text::bigint"


def _connection(target: Session | Connection) -> Connection:
    return target.connection() if isinstance(target, Session) else target


def begin_capture(target: Session | Connection) -> int:
    """Start capturing this transaction's changes: the current last ``seq`` (0 when empty).

    On SQLite this takes the write lock now (an empty UPDATE), so that the rows
    after the returned ``seq`` can only be this transaction's.
    """
    connection = _connection(target)
    if connection.dialect.name == "sqlite":
        connection.execute(sa.text("UPDATE change_log SET seq = seq WHERE 0"))
    return int(connection.execute(sa.text("SELECT coalesce(max(seq), 0) FROM change_log")).scalar_one())


def annotate_changes(
    target: Session | Connection,
    *,
    since_seq: int,
    prompt: str,
    reasoning: str | None = None,
    entity_ids: Collection[str] | None = None,
) -> int:
    """Mark this transaction's change_log rows after ``since_seq`` as an agent's write.

    Sets ``via_agent``, ``agent_prompt`` and ``agent_reasoning``; ``entity_ids``
    limits it to the changes of those rows. Returns the number of rows annotated.
    A :class:`~sqlalchemy.orm.Session` is flushed first.
    """
    if isinstance(target, Session):
        target.flush()
    connection = _connection(target)
    query = (
        "UPDATE change_log SET via_agent = :via_agent, agent_prompt = :prompt, agent_reasoning = :reasoning"
        " WHERE seq > :since_seq"
    )
    params: dict[str, object] = {
        "via_agent": True,
        "prompt": prompt,
        "reasoning": reasoning,
        "since_seq": since_seq,
    }
    if connection.dialect.name == "postgresql":
        query += f" AND txid = {_PG_TXID}"
    statement = sa.text(query)
    if entity_ids is not None:
        statement = sa.text(query + " AND entity_id IN :entity_ids").bindparams(
            sa.bindparam("entity_ids", expanding=True)
        )
        params["entity_ids"] = list(entity_ids)
    result = connection.execute(statement, params)
    return int(result.rowcount)


@dataclass
class AgentWrite:
    """What :func:`agent_changes` captured: the ``seq`` before the block and the rows annotated."""

    since_seq: int
    annotated: int = 0


@contextmanager
def agent_changes(target: Session | Connection, *, prompt: str, reasoning: str | None = None) -> Iterator[AgentWrite]:
    """Annotate every change_log row written inside the block with the agent's prompt and reasoning.

    Use it inside the caller's transaction; nothing is committed here. When the
    block raises, nothing is annotated (the caller rolls back).
    """
    capture = AgentWrite(since_seq=begin_capture(target))
    yield capture
    capture.annotated = annotate_changes(target, since_seq=capture.since_seq, prompt=prompt, reasoning=reasoning)


def committed_txid_horizon(connection: Connection) -> int | None:
    """PostgreSQL: every transaction with a smaller ``txid`` has ended (committed or not).

    ``seq`` values are taken in write order, not commit order: on PostgreSQL a
    row with a smaller ``seq`` can become visible after one with a larger
    ``seq``. A reader that must not miss rows consumes only the rows whose
    ``txid`` is below this horizon. ``None`` on SQLite, where writers are
    serialised and ``seq`` order is commit order.
    """
    if connection.dialect.name != "postgresql":
        return None
    query = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
    return int(connection.execute(sa.text(query)).scalar_one())
