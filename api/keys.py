"""API keys: made by the CLI, shown once, stored hashed, checked in constant time.

A key reads ``kg_<lookup>_<secret>``:

- ``lookup`` (12 hex characters) is public: it finds the key's row (``api_key.prefix``
  holds ``kg_<lookup>``) and is what ``kgcrm keys list`` shows;
- ``secret`` (``secrets.token_urlsafe(32)``, 256 random bits) is never stored: the row
  keeps its SHA-256, compared with :func:`hmac.compare_digest`. A plain hash is enough
  for a secret of this entropy (no dictionary to try), and keeps checking a key cheap.

A key belongs to one tenant and optionally to one ``app_user`` of that tenant (then
"us" in "who connects us to X" is that user). Revoking sets ``revoked_at``; a revoked
key, a key of a deleted user or an inactive user is refused like an unknown one.

The ``api_key`` table is created by the migration ``0002_api_keys``. It is not a
business table: it is not mirrored into the graph and has no change-capture trigger.
Its definition below lives outside ``kgcrm.crm.models.Base`` for that reason, and
``tests/api/test_api_keys.py`` checks that the migration and this definition agree.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from kgcrm.core.errors import ConfigurationError, NotFoundError
from kgcrm.crm import tenants
from kgcrm.crm.models import AppUser, Tenant
from kgcrm.crm.types import UTCDateTime, utcnow

log = logging.getLogger(__name__)

KEY_PREFIX = "kg_"
LOOKUP_HEX_CHARS = 12
SECRET_BYTES = 32
#: ``last_used_at`` is written at most once per this interval per key (reads stay reads).
LAST_USED_RESOLUTION = timedelta(minutes=1)

_KEY_PATTERN = re.compile(rf"^{KEY_PREFIX}(?P<lookup>[0-9a-f]{{{LOOKUP_HEX_CHARS}}})_(?P<secret>[A-Za-z0-9_-]{{43}})$")
_PREFIX_PATTERN = re.compile(rf"^(?:{KEY_PREFIX})?[0-9a-f]{{{LOOKUP_HEX_CHARS}}}$")

API_KEY_METADATA = sa.MetaData()

#: The ``api_key`` table (created by the migration ``0002_api_keys``).
api_key_table = sa.Table(
    "api_key",
    API_KEY_METADATA,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "tenant_id",
        sa.String(36),
        sa.ForeignKey(Tenant.__table__.c.id, name="fk_api_key_tenant_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "user_id",
        sa.String(36),
        sa.ForeignKey(AppUser.__table__.c.id, name="fk_api_key_user_id", ondelete="CASCADE"),
        nullable=True,
        index=True,
    ),
    sa.Column("prefix", sa.String(32), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("name", sa.Text(), nullable=True),
    sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    sa.Column("last_used_at", UTCDateTime(), nullable=True),
    sa.UniqueConstraint("prefix", name="uq_api_key_prefix"),
)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's tenant, and its user when the key has one."""

    key_id: str
    tenant_id: str
    tenant_slug: str | None
    user_id: str | None = None
    user_email: str | None = None
    individual_id: str | None = None  # the user's own Person, the start of their intro paths


@dataclass(frozen=True)
class NewKey:
    """A key just made: ``key`` is the only time the secret is seen."""

    id: str
    prefix: str
    key: str
    tenant_id: str
    user_id: str | None


@dataclass(frozen=True)
class KeyInfo:
    """A stored key, without its secret."""

    id: str
    prefix: str
    tenant_slug: str | None
    user_email: str | None
    name: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_key(presented: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a well-formed key; ``None`` for anything else (never touches the database)."""
    match = _KEY_PATTERN.match(presented)
    if match is None:
        return None
    return f"{KEY_PREFIX}{match['lookup']}", match["secret"]


def _now() -> datetime:
    return datetime.now(UTC)


def _missing_table(exc: Exception) -> ConfigurationError:
    return ConfigurationError(
        f"the CRM database has no api_key table (run `kgcrm db upgrade`): {str(exc).splitlines()[0]}"
    )


def create_key(engine: Engine, tenant_slug: str, *, user_email: str | None = None, name: str | None = None) -> NewKey:
    """Make a key for a tenant (and one of its users, by email); the secret is returned once."""
    users = AppUser.__table__
    with engine.begin() as conn:
        tenant_id = tenants.tenant_id(conn, tenant_slug)
        user_id = None
        if user_email is not None:
            user_id = conn.execute(
                sa.select(users.c.id).where(
                    users.c.tenant_id == tenant_id, sa.func.lower(users.c.email) == user_email.strip().lower()
                )
            ).scalar_one_or_none()
            if user_id is None:
                raise NotFoundError(f"tenant '{tenant_slug}' has no user with email '{user_email}'")
        prefix = f"{KEY_PREFIX}{secrets.token_hex(LOOKUP_HEX_CHARS // 2)}"
        secret = secrets.token_urlsafe(SECRET_BYTES)
        key_id = str(uuid.uuid4())
        try:
            conn.execute(
                api_key_table.insert().values(
                    id=key_id,
                    tenant_id=tenant_id,
                    user_id=user_id,
                    prefix=prefix,
                    secret_hash=hash_secret(secret),
                    name=name,
                    created_at=_now(),
                )
            )
        except (OperationalError, ProgrammingError) as exc:
            if "api_key" in str(exc):
                raise _missing_table(exc) from exc
            raise
    return NewKey(id=key_id, prefix=prefix, key=f"{prefix}_{secret}", tenant_id=tenant_id, user_id=user_id)


def _info_query() -> sa.Select[Any]:
    users = AppUser.__table__
    tenant = Tenant.__table__
    return (
        sa.select(
            api_key_table.c.id,
            api_key_table.c.prefix,
            tenant.c.slug,
            users.c.email,
            api_key_table.c.name,
            api_key_table.c.created_at,
            api_key_table.c.last_used_at,
            api_key_table.c.revoked_at,
        )
        .join(tenant, tenant.c.id == api_key_table.c.tenant_id)
        .outerjoin(users, users.c.id == api_key_table.c.user_id)
    )


def list_keys(engine: Engine, tenant_slug: str) -> list[KeyInfo]:
    """Every key of a tenant, oldest first (never the secrets)."""
    with engine.connect() as conn:
        tenant_id = tenants.tenant_id(conn, tenant_slug)
        try:
            rows = conn.execute(
                _info_query()
                .where(api_key_table.c.tenant_id == tenant_id)
                .order_by(api_key_table.c.created_at, api_key_table.c.id)
            ).all()
        except (OperationalError, ProgrammingError) as exc:
            raise _missing_table(exc) from exc
    return [KeyInfo(*row) for row in rows]


def revoke_key(engine: Engine, key_id: str) -> KeyInfo:
    """Revoke a key by its id or its prefix (``kg_…``); revoking twice keeps the first time."""
    key_id = key_id.strip()
    column, value = api_key_table.c.id, key_id
    if _PREFIX_PATTERN.match(key_id):
        column, value = api_key_table.c.prefix, KEY_PREFIX + key_id.removeprefix(KEY_PREFIX)
    with engine.begin() as conn:
        try:
            conn.execute(
                api_key_table.update()
                .where(column == value, api_key_table.c.revoked_at.is_(None))
                .values(revoked_at=_now())
            )
            row = conn.execute(_info_query().where(column == value)).one_or_none()
        except (OperationalError, ProgrammingError) as exc:
            raise _missing_table(exc) from exc
    if row is None:
        raise NotFoundError(f"no API key with id or prefix '{key_id}'")
    return KeyInfo(*row)


def _key_by_prefix() -> sa.Select[Any]:
    users = AppUser.__table__
    tenant = Tenant.__table__
    return (
        sa.select(
            api_key_table.c.id,
            api_key_table.c.tenant_id,
            api_key_table.c.user_id,
            api_key_table.c.secret_hash,
            api_key_table.c.revoked_at,
            api_key_table.c.last_used_at,
            tenant.c.slug,
            users.c.email,
            users.c.individual_id,
            users.c.is_active,
        )
        .join(tenant, tenant.c.id == api_key_table.c.tenant_id)
        .outerjoin(users, users.c.id == api_key_table.c.user_id)
        .where(api_key_table.c.prefix == sa.bindparam("prefix"))
    )


#: Built once: every request authenticates with it (building it and its cache key took ~0.1 ms a request).
_KEY_BY_PREFIX = _key_by_prefix()


def authenticate(engine: Engine, presented: str) -> Caller | None:
    """The caller a presented key stands for; ``None`` when it is malformed, unknown, wrong or revoked."""
    parsed = parse_key(presented)
    if parsed is None:
        return None
    prefix, secret = parsed
    with engine.connect() as conn:
        row = conn.execute(_KEY_BY_PREFIX, {"prefix": prefix}).one_or_none()
    expected = row.secret_hash if row is not None else hash_secret("")  # compare anyway: same time either way
    matches = hmac.compare_digest(expected.encode("ascii"), hash_secret(secret).encode("ascii"))
    if row is None or not matches or row.revoked_at is not None or row.is_active is False:
        return None
    now = _now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        _touch(engine, row.id, now)
    return Caller(
        key_id=row.id,
        tenant_id=row.tenant_id,
        tenant_slug=row.slug,
        user_id=row.user_id,
        user_email=row.email,
        individual_id=row.individual_id,
    )


def _touch(engine: Engine, key_id: str, now: datetime) -> None:
    """Record the key's use; best effort (a busy database must not refuse the request)."""
    try:
        with engine.begin() as conn:
            conn.execute(api_key_table.update().where(api_key_table.c.id == key_id).values(last_used_at=now))
    except OperationalError as exc:  # e.g. SQLite busy: the next request records it
        log.info("api key %s: last use not recorded: %s", key_id, str(exc).splitlines()[0])
