"""Feedback that sticks (issue 14): a user's decisions about what kgcrm proposed, in the CRM.

One ``feedback`` row per decision (:class:`kgcrm.crm.models.Feedback`):

=============  ===================  ==========================================================
kind           decision             what it names
=============  ===================  ==========================================================
duplicate      confirm | reject     ``subject_id``, ``object_id``: two people or two organizations
resolution     confirm | reject     ``mention`` (free text) and ``subject_id``, the entity it means
suggestion     dismiss              ``suggestion_key`` and ``evidence_hash`` (the evidence as it was)
tie            dismiss              ``subject_id``, ``object_id``: two people who don't know each other
=============  ===================  ==========================================================

Later runs read the decisions from the graph (the sync mirrors the table as ``(:Feedback)``):
dedupe never proposes a decided pair again, a confirmed pair is a ``SAME_AS`` edge, the
resolver uses a confirmed mention as an alias and drops a rejected one, connections leave a
dismissed tie out, and suggestions leave a dismissed suggestion out until its evidence changes.

Writes here follow :mod:`kgcrm.crm.actions`: one transaction, the acting user in
``created_by``/``updated_by``, ``via_agent`` when an agent made the decision (its prompt and
reasoning then annotate the change_log rows). Every id must be a row of the caller's tenant:
an id of another tenant is reported exactly like an id that does not exist
(:class:`~kgcrm.core.errors.NotFoundError` naming the field), and nothing is written.
Deleting a decision (:func:`revert`) stamps the row with who reverted it, then deletes it;
change_log keeps both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kgcrm.core.errors import InactiveUserError, NotFoundError, invalid_input
from kgcrm.crm.actions import Actor, acting_user, find_subject, row_ref, written_seqs
from kgcrm.crm.changes import agent_changes, begin_capture
from kgcrm.crm.database import data_error_from
from kgcrm.crm.models import AppUser, Feedback, FeedbackDecision, FeedbackKind

#: The decisions each kind allows.
DECISIONS: dict[str, tuple[str, ...]] = {
    FeedbackKind.DUPLICATE: (FeedbackDecision.CONFIRM, FeedbackDecision.REJECT),
    FeedbackKind.RESOLUTION: (FeedbackDecision.CONFIRM, FeedbackDecision.REJECT),
    FeedbackKind.SUGGESTION: (FeedbackDecision.DISMISS,),
    FeedbackKind.TIE: (FeedbackDecision.DISMISS,),
}
#: The tables a duplicate pair may be of (both ends the same).
DUPLICATE_TABLES = ("individual", "organization")
MAX_MENTION = 500
MAX_KEY = 300
MAX_REASON = 2000


@dataclass(frozen=True)
class FeedbackInput:
    """One decision as a caller states it (ids only: the tables are looked up in the tenant)."""

    kind: str
    decision: str
    subject_id: str | None = None
    object_id: str | None = None
    mention: str | None = None
    suggestion_key: str | None = None
    evidence_hash: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class FeedbackOutcome:
    row: dict[str, Any]
    change_seqs: list[int]
    acting_user_id: str


def _text(field: str, value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > limit:
        raise invalid_input(field, f"at most {limit} characters")
    return value


def validate(data: FeedbackInput) -> FeedbackInput:
    """The decision's shape (no database): kind and decision agree, the fields the kind needs are there."""
    if data.kind not in DECISIONS:
        raise invalid_input("kind", f"one of {', '.join(DECISIONS)}, not {data.kind[:40]!r}")
    if data.decision not in DECISIONS[data.kind]:
        raise invalid_input("decision", f"a {data.kind} decision is one of {', '.join(DECISIONS[data.kind])}")
    mention = _text("mention", data.mention, MAX_MENTION)
    key = _text("suggestion_key", data.suggestion_key, MAX_KEY)
    evidence = _text("evidence_hash", data.evidence_hash, MAX_KEY)
    reason = _text("reason", data.reason, MAX_REASON)
    subject = _text("subject_id", data.subject_id, 64)
    obj = _text("object_id", data.object_id, 64)
    if data.kind in (FeedbackKind.DUPLICATE, FeedbackKind.TIE):
        for field, value in (("subject_id", subject), ("object_id", obj)):
            if value is None:
                raise invalid_input(field, f"required for a {data.kind} decision")
        if subject == obj:
            raise invalid_input("object_id", "the same id as subject_id: a pair needs two records")
    elif data.kind == FeedbackKind.RESOLUTION:
        if mention is None:
            raise invalid_input("mention", "required for a resolution decision (the text that was resolved)")
        if subject is None:
            raise invalid_input("subject_id", "required for a resolution decision (the entity it resolves to)")
    elif key is None:
        raise invalid_input("suggestion_key", "required to dismiss a suggestion")
    return FeedbackInput(data.kind, data.decision, subject, obj, mention, key, evidence, reason)


def _write(session: Session, tenant_id: str, user: AppUser, data: FeedbackInput, via_agent: bool) -> Feedback:
    subject = obj = None
    if data.subject_id is not None:
        subject = find_subject(session, tenant_id, data.subject_id, None, field="subject_id")
    if data.object_id is not None:
        obj = find_subject(session, tenant_id, data.object_id, None, field="object_id")
    if data.kind == FeedbackKind.DUPLICATE:
        assert subject is not None and obj is not None  # validate() required both
        if subject[0] not in DUPLICATE_TABLES or subject[0] != obj[0]:
            raise invalid_input("object_id", "a duplicate pair is two people or two organizations")
    if data.kind == FeedbackKind.TIE:
        assert subject is not None and obj is not None
        for field, (table, _) in (("subject_id", subject), ("object_id", obj)):
            if table != "individual":
                raise invalid_input(field, "a tie is between two people (individual ids)")
    # a pair is stored in id order: the same pair is one key whichever way it was given
    swap = obj is not None and subject is not None and obj[1].id < subject[1].id
    first, second = (obj, subject) if swap else (subject, obj)
    row = Feedback(
        tenant_id=tenant_id,
        kind=data.kind,
        decision=data.decision,
        subject_type=first[0] if first else None,
        subject_id=first[1].id if first else None,
        object_type=second[0] if second else None,
        object_id=second[1].id if second else None,
        mention=data.mention,
        suggestion_key=data.suggestion_key,
        evidence_hash=data.evidence_hash,
        reason=data.reason,
        created_by=user.id,
        updated_by=user.id,
        via_agent=via_agent,
    )
    session.add(row)
    session.flush()
    return row


def record(
    engine: sa.Engine,
    tenant_id: str,
    actor: Actor,
    data: FeedbackInput,
    *,
    via_agent: bool = False,
    prompt: str | None = None,
    reasoning: str | None = None,
) -> FeedbackOutcome:
    """Write one decision in one transaction; the row as written and its change_log seqs."""
    data = validate(data)
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            user = acting_user(session, tenant_id, actor)
            if via_agent and prompt:
                with agent_changes(session, prompt=prompt, reasoning=reasoning) as capture:
                    row = _write(session, tenant_id, user, data, via_agent)
                since = capture.since_seq
            else:
                since = begin_capture(session)
                row = _write(session, tenant_id, user, data, via_agent)
            session.refresh(row)
            seqs = written_seqs(session, since)
            values = dict(row_ref("feedback", row).values)
    except IntegrityError as exc:
        raise data_error_from(exc) from exc
    return FeedbackOutcome(row=values, change_seqs=seqs, acting_user_id=user.id)


def revert(
    engine: sa.Engine, tenant_id: str, actor: Actor, feedback_id: str, *, via_agent: bool = False
) -> FeedbackOutcome:
    """Delete one decision of the tenant (NotFoundError for an id of another tenant or none)."""
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            user = acting_user(session, tenant_id, actor)
            row = session.scalars(
                sa.select(Feedback).where(Feedback.id == feedback_id, Feedback.tenant_id == tenant_id)
            ).one_or_none()
            if row is None:
                raise NotFoundError(f"feedback {feedback_id[:64]}: no decision with this id in this tenant", field="id")
            since = begin_capture(session)
            # who reverted it: the delete's change_log row takes its actor from updated_by
            row.updated_by = user.id
            row.via_agent = via_agent
            session.flush()
            values = dict(row_ref("feedback", row).values)
            session.delete(row)
            session.flush()
            seqs = written_seqs(session, since)
    except IntegrityError as exc:
        raise data_error_from(exc) from exc
    return FeedbackOutcome(row=values, change_seqs=seqs, acting_user_id=user.id)


def decisions(engine: sa.Engine, tenant_id: str, *, kind: str | None = None) -> list[dict[str, Any]]:
    """The tenant's decisions (of one kind), newest first."""
    query = sa.select(Feedback).where(Feedback.tenant_id == tenant_id)
    if kind is not None:
        query = query.where(Feedback.kind == kind)
    with Session(engine) as session:
        rows = session.scalars(query.order_by(Feedback.created_at.desc(), Feedback.id)).all()
        return [dict(row_ref("feedback", row).values) for row in rows]


__all__ = ["DECISIONS", "FeedbackInput", "FeedbackOutcome", "InactiveUserError", "decisions", "record", "revert"]
