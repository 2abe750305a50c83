"""Pure generation of a synthetic CRM: rows per table from one ``random.Random(seed)``.

:class:`SyntheticCrm` turns a :class:`SeedConfig` into a stream of
``(table, row)`` items (plus :class:`Mark` barriers) in foreign-key order, and,
once the stream is consumed, a ground truth describing what was planted. No
database, no clock, no global state: the same config (seed and ``now``
included) yields the same rows, ids included (UUIDs come from the RNG).

Each tenant is built by a :class:`~kgcrm.crm.seed_generate.tenant.TenantBuilder` in three phases, because
``app_user`` and ``individual`` refer to each other (``app_user.individual_id``
and every row's ``created_by``):

1. ``tenant``, the tenant's own organization and its team's individuals
   (``created_by`` null: created at sign-up);
2. ``app_user`` rows (the first one, the admin, creates the others);
3. everything else, written by the team (``created_by`` = a team member).

A :data:`Mark.FLUSH` separates the phases (everything before it must be
written first); :data:`Mark.COMMIT` ends a tenant. Within phase 3 a child row
is always yielded after its parents, and :data:`TABLES` is a valid insert order,
so a loader may buffer rows per table and flush them in that order.

What is planted, per tenant (all recorded in the ground truth):

- look-alike anchors shared by every tenant (an "Acme", "Robert Smith" …) with
  tenant-specific ids and slightly different spellings;
- near-duplicate individuals (nickname, typo, missing e-mail, case/whitespace)
  and organizations ("Acme Corp." vs "ACME Corporation");
- warm-introduction paths: user → frequent recent interactions → connector →
  explicit relationship (strength 0.9) → target, beside weaker alternatives;
  targets and connectors take part in nothing random, so the planted path
  stays the strongest;
- meetings "yesterday" and "last week" and a call last week (no random meeting or
  call falls from the start of last week on, so "the company we met last week" and
  "the person we called last week" have one answer);
- opportunities over the last eight quarters and the current one, whose
  counts and sums by stage and quarter the truth records.

The modules, one concern each:

- :mod:`~kgcrm.crm.seed_generate.config`: :class:`SeedConfig`, :data:`TABLES`, :class:`Mark`;
- :mod:`~kgcrm.crm.seed_generate.synthetic`: :class:`SyntheticCrm`, every tenant in one stream;
- :mod:`~kgcrm.crm.seed_generate.tenant`: one tenant's builder, the order of its rows;
- :mod:`~kgcrm.crm.seed_generate.base`: the builder's state and primitives (times, ids, audit columns);
- :mod:`~kgcrm.crm.seed_generate.world`: the team, organizations, people and their roles;
- :mod:`~kgcrm.crm.seed_generate.duplicates`: the planted near-duplicates;
- :mod:`~kgcrm.crm.seed_generate.deals`: accounts and leads (opportunities, jobs, partnerships);
- :mod:`~kgcrm.crm.seed_generate.activity`: interactions, relationships, notes and tasks;
- :mod:`~kgcrm.crm.seed_generate.planted`: warm paths, time references, mentions and the ground truth;
- :mod:`~kgcrm.crm.seed_generate.records` and :mod:`~kgcrm.crm.seed_generate.helpers`: the in-memory world and
  pure helpers.

Every random choice is drawn from one ``random.Random`` per tenant in a fixed order, so the same
config yields byte-identical rows whichever module a step lives in.
"""

from kgcrm.crm.seed_generate.config import (
    HISTORY_DAYS,
    MAX_TENANTS,
    MIN_ROWS_PER_TENANT,
    TABLES,
    Item,
    Mark,
    Row,
    SeedConfig,
    default_now,
    tenant_identity,
)
from kgcrm.crm.seed_generate.synthetic import SyntheticCrm, generate_rows

__all__ = [
    "HISTORY_DAYS",
    "MAX_TENANTS",
    "MIN_ROWS_PER_TENANT",
    "TABLES",
    "Item",
    "Mark",
    "Row",
    "SeedConfig",
    "SyntheticCrm",
    "default_now",
    "generate_rows",
    "tenant_identity",
]
