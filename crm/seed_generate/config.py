"""What a seed is asked for (:class:`SeedConfig`), the insert order and the item stream's barriers."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kgcrm.core.errors import DataError
from kgcrm.crm import seed_vocab as vocab

#: Insert order: every table after the tables it refers to (``app_user`` is
#: written in its own phase, see the module docstring).
TABLES: tuple[str, ...] = (
    "tenant",
    "app_user",
    "status",
    "organization",
    "individual",
    "contact",
    "account",
    "lead",
    "job",
    "opportunity",
    "partnership",
    "relationship",
    "interaction",
    "interaction_participant",
    "note",
    "task",
)

#: Smallest supported number of rows per tenant (the planted structures need room).
MIN_ROWS_PER_TENANT = 500
MAX_TENANTS = 100
HISTORY_DAYS = 3 * 365

Row = dict[str, Any]


class Mark(enum.Enum):
    """Barriers in the item stream."""

    FLUSH = "flush"  # everything yielded so far must be written before what follows
    COMMIT = "commit"  # a tenant is complete: flush and commit


Item = tuple[str, Row] | Mark


def default_now() -> datetime:
    """The current UTC time truncated to the hour (the default ``now`` of a seed)."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class SeedConfig:
    """What to generate. Same config → same rows."""

    tenants: int = 2
    scale: int = 10_000
    seed: int = 42
    now: datetime = field(default_factory=default_now)
    #: Append the situations the suggestions are evaluated on (crm/seed_generate/suggestions.py).
    plant_suggestions: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.tenants <= MAX_TENANTS:
            raise DataError(f"must be between 1 and {MAX_TENANTS}, got {self.tenants}", field="tenants")
        if self.scale < MIN_ROWS_PER_TENANT * self.tenants:
            raise DataError(
                f"must be at least {MIN_ROWS_PER_TENANT} rows per tenant "
                f"({MIN_ROWS_PER_TENANT * self.tenants} for {self.tenants} tenants), got {self.scale}",
                field="scale",
            )
        now = self.now if self.now.tzinfo else self.now.replace(tzinfo=UTC)
        object.__setattr__(self, "now", now.astimezone(UTC))

    def budgets(self) -> list[int]:
        """Rows per tenant: ``scale`` split evenly."""
        base, extra = divmod(self.scale, self.tenants)
        return [base + (1 if i < extra else 0) for i in range(self.tenants)]


def tenant_identity(index: int) -> tuple[str, str, str]:
    """(name, slug, domain) of the ``index``-th tenant (its own company)."""
    name, slug, domain = vocab.TENANT_NAMES[index % len(vocab.TENANT_NAMES)]
    if index >= len(vocab.TENANT_NAMES):
        n = index // len(vocab.TENANT_NAMES) + 1
        name, slug, domain = f"{name} {n}", f"{slug}-{n}", f"{slug}{n}.{domain.split('.')[-1]}"
    return name, slug, domain
