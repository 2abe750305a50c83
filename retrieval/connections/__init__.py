"""Relationship inference: "who connects us to X".

:class:`ConnectionFinder` finds warm-introduction paths from the tenant's own team
(active ``app_user`` rows, through ``(:User)-[:IS]->(:Person)``) to a target
Person or Organization, over three kinds of tie between people:

- ``KNOWS``: an explicit ``relationship`` row (either direction);
- ``INTERACTED``: people who took part in the same interactions (undirected);
- co-workers: two ``WORKS_AT`` to one organization with overlapping tenure.

An Organization is reached through anyone who works there now or worked there,
or at one of its subsidiaries or the groups it belongs to (``SUBSIDIARY_OF``); that
last hop (``WORKS_AT``) counts as a hop.

**Strategies.** ``weighted`` (the default, :mod:`~kgcrm.retrieval.connections.weighted`): the graph
weighs the ties and walks two levels out from the target in one query, the team's own ties (one and two
hops out) are cached while the sync's checkpoint stands still, the halves meet in the middle and the few
strongest candidates are scored again exactly on their facts. ``beam`` (the search below, kept as the
benchmarks' baseline): the subgraph grown round by round, every tie scored in Python. Both answer with
the same models, evidence and explanations; the tests run every case with both.

**Search (beam).** The team is large and well connected (every user has hundreds of
interaction partners), the target usually is not, so the search grows from the
target, one bounded query per round (``cypher/connections_ties.cypher``): round
``r`` fetches the ties of the ``beam_width`` people found so far with the best
path to the target (at most ``per_kind`` explicit and interaction ties each per
person, ``per_coworkers`` co-workers per organization, those tied to the team
first), and the last round fetches only the ties that reach the team. Branch and
bound: a path through a person scores at most that person's best path to the
target, so once ``limit`` whole paths score more, that person is not expanded.
Paths are then enumerated best-first on the subgraph (scores only decrease along
a path, so they come out strongest first), keeping one path per chain of
intermediaries; the interactions behind the chosen hops are read last.

**Scoring** is :mod:`kgcrm.retrieval.strength`: a hop's strength combines all the evidence
between two people; a path scores the product of its hops.

Related questions: :meth:`ConnectionFinder.who_we_know_at` (the people of an
organization with a direct tie to the team) and
:meth:`ConnectionFinder.how_well_do_we_know` (the strongest tie and the trend of
interactions, last 90 days against the 90 before).

Tenant isolation: every query takes ``$tenant`` and checks it on every node it
returns or passes through; an id of another tenant (target or user) is a
:class:`~kgcrm.core.errors.NotFoundError`.

The modules: :mod:`~kgcrm.retrieval.connections.facts` (ties, facts, the subgraph, the answers'
models), :mod:`~kgcrm.retrieval.connections.finder` (the search),
:mod:`~kgcrm.retrieval.connections.weighted` (the weighted strategy's pieces) and
:mod:`~kgcrm.retrieval.connections.explain` (evidence and explanations, pure).
"""

from kgcrm.core.errors import AmbiguousTargetError
from kgcrm.retrieval.connections.explain import explain
from kgcrm.retrieval.connections.facts import (
    COWORKER,
    INTERACTED,
    KNOWS,
    ORGANIZATION,
    PERSON,
    TARGET_TYPES,
    USER,
    WORKS_AT,
    AffiliationFact,
    CoworkerFact,
    InteractedFact,
    KnownPerson,
    KnowsFact,
    PeopleWeKnow,
    RoleFact,
    Subgraph,
    Tie,
    TieReport,
)
from kgcrm.retrieval.connections.finder import (
    MAX_HOPS,
    MAX_LIMIT,
    STRATEGIES,
    ConnectionFinder,
    Resolver,
    SearchLimits,
    Strategy,
    utc_now,
)
from kgcrm.retrieval.connections.weighted import TeamTies, WeightedLimits

__all__ = [
    "COWORKER",
    "INTERACTED",
    "KNOWS",
    "MAX_HOPS",
    "MAX_LIMIT",
    "ORGANIZATION",
    "PERSON",
    "STRATEGIES",
    "TARGET_TYPES",
    "USER",
    "WORKS_AT",
    "AffiliationFact",
    "AmbiguousTargetError",
    "ConnectionFinder",
    "CoworkerFact",
    "InteractedFact",
    "KnownPerson",
    "KnowsFact",
    "PeopleWeKnow",
    "Resolver",
    "RoleFact",
    "SearchLimits",
    "Strategy",
    "Subgraph",
    "TeamTies",
    "Tie",
    "TieReport",
    "WeightedLimits",
    "explain",
    "utc_now",
]
