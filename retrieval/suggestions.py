"""Context-aware suggestions (issue 14): what a user should look at next, computed from the graph.

Deterministic, no LLM: each kind is one named query (``cypher/suggest_*.cypher``) bound to the
caller's tenant, and a little Python that scores and explains what it returns.

=====================  =================================================================================
kind                   when
=====================  =================================================================================
deal_at_risk           an open deal past its expected close date, or with no interaction with anyone at
                       its organization for ``silent_days``, or not updated for ``stale_days``
relationship_cooling   a team member's tie to someone at an organization with an open deal or an active
                       account: interactions of the last window fell against the window before
                       (:func:`kgcrm.retrieval.strength.trend` says ``falling``)
warm_intro             an organization with an open deal where nobody on the team has a direct tie, but
                       a path of at most 3 hops exists (the connections finder's best path comes with it)
follow_up_owed         a task past due; a meeting of the last ``meeting_days`` with no note or task after it
duplicate_to_review    a ``POSSIBLY_SAME_AS`` pair whose score is in the review band, not decided yet
nobody_owns_it         an open deal or an active account without an owner
=====================  =================================================================================

Each suggestion has a stable ``key`` (kind and the ids it is about) and an ``evidence_hash``
(over its evidence rows' table, id and ``updated_at``). A suggestion dismissed through
feedback (kind ``suggestion``, with key and hash) is left out while its evidence is unchanged;
when a row behind it changes (a deal is updated, a new interaction happens), the hash differs
and it comes back.

``for``: a user (their deals, ties, tasks and meetings; duplicates and unowned rows of the
whole tenant) or an organization (everything about it); none: the whole team.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field

from kgcrm import cypher
from kgcrm.core.errors import DataError, NotFoundError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval import strength as st
from kgcrm.retrieval.types import Connections, EntityRef, RowEvidence

DEAL_AT_RISK = "deal_at_risk"
COOLING = "relationship_cooling"
WARM_INTRO = "warm_intro"
FOLLOW_UP = "follow_up_owed"
DUPLICATE = "duplicate_to_review"
UNOWNED = "nobody_owns_it"
KINDS: tuple[str, ...] = (DEAL_AT_RISK, COOLING, WARM_INTRO, FOLLOW_UP, DUPLICATE, UNOWNED)
MAX_LIMIT = 100
WARM_INTRO_HOPS = 3


class Evidence(BaseModel):
    """A relational row behind a suggestion, as it was when the suggestion was made."""

    table: str
    id: str
    updated_at: str | None = None


class Suggestion(BaseModel):
    kind: str
    key: str = Field(description="Stable id of the suggestion: its kind and the ids it is about.")
    reason: str = Field(description="One sentence.")
    score: float = Field(ge=0.0, le=1.0)
    entities: list[EntityRef]
    evidence: list[Evidence]
    evidence_hash: str = Field(description="Changes when a row of the evidence changes; dismissals keep it.")
    path: dict[str, Any] | None = Field(default=None, description="warm_intro: the best path (connections' shape).")


class Suggestions(BaseModel):
    for_: EntityRef | None = Field(default=None, alias="for")
    suggestions: list[Suggestion]
    dismissed: int = Field(default=0, description="Suggestions left out because a user dismissed them.")

    model_config = {"populate_by_name": True}


@dataclass(frozen=True)
class SuggestionSettings:
    """The thresholds (kgcrm.core.settings ``suggest_*``)."""

    deal_silent_days: int = 30
    deal_stale_days: int = 45
    cooling_window_days: int = 90
    cooling_min_previous: int = 3
    meeting_followup_days: int = 14
    review_band_low: float = 0.8
    review_band_high: float = 0.99
    warm_intro_candidates: int = 3


class PathFinder(Protocol):
    """What the warm-intro kind needs of :class:`kgcrm.retrieval.connections.ConnectionFinder`."""

    def connections(
        self, target_id: str, tenant_id: str, from_user: str | None = ..., max_hops: int = ..., limit: int = ...
    ) -> Connections: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    to_native = getattr(value, "to_native", None)
    if to_native is not None:
        value = to_native()
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


def evidence_hash(rows: Sequence[Evidence]) -> str:
    """SHA-256 (first 16 hex digits) of the evidence rows' table, id and updated_at, in a fixed order."""
    text = "\n".join(sorted(f"{e.table}|{e.id}|{e.updated_at or ''}" for e in rows))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _suggestion(
    kind: str,
    about: Sequence[str],
    reason: str,
    score: float,
    entities: Sequence[EntityRef],
    evidence: Sequence[Evidence],
    path: dict[str, Any] | None = None,
) -> Suggestion:
    return Suggestion(
        kind=kind,
        key=f"{kind}:{'|'.join(about)}",
        reason=reason,
        score=round(min(1.0, max(0.0, score)), 6),
        entities=list(entities),
        evidence=list(evidence),
        evidence_hash=evidence_hash(evidence),
        path=path,
    )


def _name(value: Any, fallback: str) -> str:
    return str(value) if value else fallback


class SuggestionEngine:
    """Suggestions for one user, one organization or the whole team of a tenant."""

    def __init__(
        self,
        gateway: GraphGateway,
        *,
        paths: PathFinder | None = None,
        settings: SuggestionSettings = SuggestionSettings(),
        clock: Callable[[], datetime] = utc_now,
        workers: Executor | None = None,
    ) -> None:
        """``workers``: the threads that run a call's queries side by side (a server's, shared by its requests:
        starting threads per call cost ~20 ms of a call at 1M rows on a busy 2-core machine); None: a pool per call.
        Only :meth:`suggest`'s own thread waits on them, so requests sharing them never wait on each other's tasks."""
        self.gateway = gateway
        self.paths = paths
        self.settings = settings
        self.clock = clock
        self.workers = workers

    def suggest(
        self,
        tenant_id: str,
        *,
        for_id: str | None = None,
        limit: int = 10,
        kinds: Sequence[str] | None = None,
    ) -> Suggestions:
        """The ranked suggestions (best first, at most ``limit``); ``for_id``: a user or organization id."""
        if not 1 <= limit <= MAX_LIMIT:
            raise DataError(f"must be between 1 and {MAX_LIMIT}, not {limit}", field="limit")
        wanted = tuple(kinds) if kinds else KINDS
        unknown = [k for k in wanted if k not in KINDS]
        if unknown:
            raise DataError(f"unknown kind {unknown[0]!r}; one of {', '.join(KINDS)}", field="kinds")
        now = self.clock()
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        user = org = None
        target: EntityRef | None = None
        if for_id is not None:
            row = self._read("suggest_scope", {"tenant": tenant_id, "id": for_id})[0]
            if row["user_id"] is not None:
                user, target = row["user_id"], EntityRef(id=row["user_id"], type="User", name=row["user_name"])
            elif row["org_id"] is not None:
                org, target = row["org_id"], EntityRef(id=row["org_id"], type="Organization", name=row["org_name"])
            else:
                raise NotFoundError(f"{for_id[:64]}: no user or organization with this id in this tenant", field="for")
        params = {"tenant": tenant_id, "user": user, "org": org, "now": now, "today": now.date()}
        # the kinds are independent queries: run them side by side (the driver is thread-safe); the warm intros'
        # searches too, submitted from this thread once their candidates are read (no task waits on another)
        pool = self.workers or ThreadPoolExecutor(
            max_workers=len(wanted) + self.settings.warm_intro_candidates, thread_name_prefix="suggest"
        )
        try:
            dismissed_rows = pool.submit(self._read, "suggest_dismissed", {"tenant": tenant_id})
            per_kind = [pool.submit(getattr(self, f"_{kind}"), params, now) for kind in wanted if kind != WARM_INTRO]
            found = self._warm_intro(params, pool) if WARM_INTRO in wanted else []
            found += [s for future in per_kind for s in future.result()]
            dismissed = {(r["key"], r["evidence_hash"]) for r in dismissed_rows.result()}
        finally:
            if pool is not self.workers:
                pool.shutdown()
        kept = [s for s in found if (s.key, s.evidence_hash) not in dismissed]
        kept.sort(key=lambda s: (-s.score, s.kind, s.key))
        return Suggestions(**{"for": target}, suggestions=kept[:limit], dismissed=len(found) - len(kept))

    # --- the kinds ------------------------------------------------------------------------------

    def _deal_at_risk(self, params: dict[str, Any], now: datetime) -> list[Suggestion]:
        s = self.settings
        rows = self._read(
            "suggest_deal_at_risk", {**params, "silent_days": s.deal_silent_days, "stale_days": s.deal_stale_days}
        )
        out = []
        for r in rows:
            deal = _name(r["name"], "an opportunity")
            why = []
            if r["overdue"]:
                why.append(f"was expected to close on {r['close_on']}")
            if r["silent"]:
                why.append(
                    f"has had no interaction with anyone at {_name(r['org_name'], 'its organization')} "
                    f"in {self.settings.deal_silent_days} days"
                )
            if r["stale"]:
                why.append(f"has not been updated since {(_iso(r['updated_at']) or '')[:10]}")
            reason = f"Deal '{deal}' " + ", ".join(why[:-1]) + (" and " if len(why) > 1 else "") + why[-1] + "."
            amount = float(r["amount"] or 0)
            score = 0.45 + 0.15 * r["overdue"] + 0.15 * r["silent"] + 0.1 * r["stale"] + 0.1 * min(1.0, amount / 1e5)
            entities = [EntityRef(id=r["id"], type="Lead", name=r["name"])]
            evidence = [Evidence(table="lead", id=r["id"], updated_at=_iso(r["updated_at"]))]
            if r["org_id"]:
                entities.append(EntityRef(id=r["org_id"], type="Organization", name=r["org_name"]))
            if r["silent"] and r["org_id"]:
                evidence.append(Evidence(table="organization", id=r["org_id"], updated_at=_iso(r["org_updated_at"])))
            out.append(_suggestion(DEAL_AT_RISK, [r["id"]], reason, score, entities, evidence))
        return out

    def _relationship_cooling(self, params: dict[str, Any], now: datetime) -> list[Suggestion]:
        s = self.settings
        rows = self._read(
            "suggest_cooling",
            {**params, "window_days": s.cooling_window_days, "min_previous": s.cooling_min_previous},
        )
        best: dict[tuple[str, str], dict[str, Any]] = {}
        for r in rows:  # one per (user, person): their organization with the most at stake is as good as any
            if r["previous"] < s.cooling_min_previous or st.trend(r["recent"], r["previous"]) != "falling":
                continue
            best.setdefault((r["user_id"], r["person_id"]), r)
        out = []
        for (user_id, person_id), r in sorted(best.items()):
            drop = 1.0 - r["recent"] / r["previous"]
            reason = (
                f"{_name(r['user_name'], 'A team member')}'s contact with {_name(r['person_name'], 'someone')} "
                f"at {_name(r['org_name'], 'an organization')} is cooling: {r['recent']} interactions in the last "
                f"{s.cooling_window_days} days against {r['previous']} in the {s.cooling_window_days} days before."
            )
            score = 0.4 + 0.35 * drop + 0.15 * min(1.0, r["previous"] / 10)
            entities = [
                EntityRef(id=person_id, type="Person", name=r["person_name"]),
                EntityRef(id=r["org_id"], type="Organization", name=r["org_name"]),
                EntityRef(id=user_id, type="User", name=r["user_name"]),
            ]
            evidence = [Evidence(table="individual", id=person_id, updated_at=_iso(r["person_updated_at"]))]
            latest = r["latest"]
            if latest:
                evidence.append(Evidence(table="interaction", id=latest["id"], updated_at=_iso(latest["updated_at"])))
            out.append(_suggestion(COOLING, [user_id, person_id], reason, score, entities, evidence))
        return out

    def _warm_intro(self, params: dict[str, Any], pool: Executor) -> list[Suggestion]:
        """Called from :meth:`suggest`'s own thread (never a task of ``pool``, which runs the searches)."""
        if self.paths is None or self.settings.warm_intro_candidates == 0:
            return []
        rows = self._read("suggest_untied_orgs", {**params, "candidates": self.settings.warm_intro_candidates})
        paths = self.paths

        def best_path(org_id: str) -> Connections | None:
            try:
                return paths.connections(
                    org_id, params["tenant"], from_user=params["user"], max_hops=WARM_INTRO_HOPS, limit=1
                )
            except NotFoundError:  # e.g. the user has no person record: no path can start from them
                return None

        # one search per candidate, side by side (each is a few small queries; they share the team's side
        # when the finder caches it, and wait for one another while it is computed)
        searches = list(pool.map(best_path, [r["org_id"] for r in rows]))
        out = []
        for r, found in zip(rows, searches, strict=True):
            if found is None or not found.paths:
                continue
            path = found.paths[0]
            deal = r["deals"][0]
            via = [n.name or n.id for n in path.nodes[1:-1]]
            reason = (
                f"Nobody on the team knows anyone at {_name(r['org_name'], 'this organization')} "
                f"(open deal '{_name(deal['name'], 'an opportunity')}'), but "
                f"{path.from_user.name or 'a team member'} can be introduced through {' and '.join(via)}."
            )
            entities = [
                EntityRef(id=r["org_id"], type="Organization", name=r["org_name"]),
                EntityRef(id=deal["id"], type="Lead", name=deal["name"]),
                *[n for n in path.nodes[1:-1]],
            ]
            evidence = [
                Evidence(table="lead", id=deal["id"], updated_at=_iso(deal["updated_at"])),
                *[
                    Evidence(table=e.table, id=e.id, updated_at=e.updated_at)
                    for hop in path.hops
                    for e in hop.evidence
                    if isinstance(e, RowEvidence)
                ],
            ]
            score = 0.35 + 0.5 * path.score
            out.append(
                _suggestion(
                    WARM_INTRO,
                    [r["org_id"]],
                    reason,
                    score,
                    entities,
                    evidence,
                    path=path.model_dump(by_alias=True),
                )
            )
        return out

    def _follow_up_owed(self, params: dict[str, Any], now: datetime) -> list[Suggestion]:
        out = []
        for r in self._read("suggest_overdue_tasks", params):
            due = _iso(r["due_at"]) or ""
            late = max(0, (now.date() - date.fromisoformat(due[:10])).days) if due else 0
            about = f" about {r['subject_name']}" if r["subject_name"] else ""
            reason = f"Task '{_name(r['name'], 'a task')}'{about} was due on {due[:10]} and is not done."
            entities = [EntityRef(id=r["id"], type="Task", name=r["name"])]
            if r["subject_id"]:
                labels = [x for x in r["subject_labels"] or [] if x != "__Entity__"]
                entities.append(
                    EntityRef(id=r["subject_id"], type=labels[0] if labels else "Entity", name=r["subject_name"])
                )
            evidence = [Evidence(table="task", id=r["id"], updated_at=_iso(r["updated_at"]))]
            out.append(_suggestion(FOLLOW_UP, [r["id"]], reason, 0.55 + 0.3 * min(1.0, late / 30), entities, evidence))
        days = self.settings.meeting_followup_days
        for r in self._read("suggest_meetings_without_followup", {**params, "days": days}):
            people = ", ".join(_name(p["name"], "someone") for p in r["people"][:3])
            when = (_iso(r["occurred_at"]) or "")[:10]
            reason = f"Meeting '{_name(r['name'], 'a meeting')}' with {people} on {when} has no note or task after it."
            entities = [EntityRef(id=r["id"], type="Interaction", name=r["name"])]
            entities += [EntityRef(id=p["id"], type="Person", name=p["name"]) for p in r["people"]]
            evidence = [Evidence(table="interaction", id=r["id"], updated_at=_iso(r["updated_at"]))]
            out.append(_suggestion(FOLLOW_UP, [r["id"]], reason, 0.5, entities, evidence))
        return out

    def _duplicate_to_review(self, params: dict[str, Any], now: datetime) -> list[Suggestion]:
        s = self.settings
        rows = self._read(
            "suggest_duplicates",
            {"tenant": params["tenant"], "org": params["org"], "low": s.review_band_low, "high": s.review_band_high},
        )
        out = []
        table = {"Person": "individual", "Organization": "organization"}
        for r in rows:
            reasons = "; ".join((r["reasons"] or [])[:2])
            reason = (
                f"{_name(r['a_name'], 'One record')} and {_name(r['b_name'], 'another')} may be the same "
                f"{r['type'].lower()} (score {float(r['score']):.2f}{': ' + reasons if reasons else ''}):"
                " confirm or reject."
            )
            entities = [
                EntityRef(id=r["a_id"], type=r["type"], name=r["a_name"]),
                EntityRef(id=r["b_id"], type=r["type"], name=r["b_name"]),
            ]
            evidence = [
                Evidence(table=table[r["type"]], id=r["a_id"], updated_at=_iso(r["a_updated_at"])),
                Evidence(table=table[r["type"]], id=r["b_id"], updated_at=_iso(r["b_updated_at"])),
            ]
            score = 0.3 + 0.4 * float(r["score"])
            out.append(_suggestion(DUPLICATE, sorted([r["a_id"], r["b_id"]]), reason, score, entities, evidence))
        return out

    def _nobody_owns_it(self, params: dict[str, Any], now: datetime) -> list[Suggestion]:
        out = []
        for r in self._read("suggest_unowned", {"tenant": params["tenant"], "org": params["org"]}):
            what = "Deal" if r["table"] == "lead" else "Account"
            org = f" with {r['org_name']}" if r["org_name"] and r["table"] == "account" else ""
            org = f" for {r['org_name']}" if r["org_name"] and r["table"] == "lead" else org
            reason = f"{what} '{_name(r['name'], r['id'])}'{org} has no owner."
            entities = [EntityRef(id=r["id"], type=r["type"], name=r["name"])]
            if r["org_id"]:
                entities.append(EntityRef(id=r["org_id"], type="Organization", name=r["org_name"]))
            evidence = [Evidence(table=r["table"], id=r["id"], updated_at=_iso(r["updated_at"]))]
            score = 0.5 + 0.1 * min(1.0, float(r["amount"] or 0) / 1e5)
            out.append(_suggestion(UNOWNED, [r["id"]], reason, score, entities, evidence))
        return out

    def _read(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.gateway.read(name, cypher.load(name), params)
