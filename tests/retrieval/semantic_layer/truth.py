"""Expected answers computed straight from the relational CRM (SQL), never through the graph."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa


def moment(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).replace(" ", "T", 1).replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def day(value: Any) -> date | None:
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def sql_rows(engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]


DEALS_SQL = """
    SELECT l.id, l.owner_id, l.organization_id, l.source, l.created_at, o.amount, o.currency, o.closed_at,
           o.expected_close_on, o.probability, s.name AS status, s.category, org.industry, org.location, a.tier
    FROM lead l JOIN opportunity o ON o.id = l.id
    LEFT JOIN status s ON s.id = l.status_id
    LEFT JOIN organization org ON org.id = l.organization_id
    LEFT JOIN account a ON a.id = l.account_id
    WHERE l.tenant_id = :tenant
"""


def deals(engine, tenant_id: str) -> list[dict[str, Any]]:
    rows = sql_rows(engine, DEALS_SQL, tenant=tenant_id)
    for r in rows:
        r["amount"] = None if r["amount"] is None else Decimal(str(r["amount"]))
        r["created_at"], r["closed_at"] = moment(r["created_at"]), moment(r["closed_at"])
        r["expected_close_on"] = day(r["expected_close_on"])
    return rows


def per_currency(rows: list[dict[str, Any]], field: str = "amount") -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for r in rows:
        if r[field] is not None:
            sums[r["currency"]] = sums.get(r["currency"], Decimal(0)) + r[field]
    return sums
