"""The tenant named by its slug, and a user of it named by e-mail: the one lookup of each.

Every command that takes ``--tenant SLUG`` (and the API's key commands) asks here, so a
missing tenant is always the same error, :class:`~kgcrm.core.errors.TenantNotFound`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from kgcrm.core.errors import NotFoundError, TenantNotFound
from kgcrm.crm.models import AppUser, Tenant


def tenant_id(conn: Connection, slug: str) -> str:
    """The id of the tenant with this slug; :class:`TenantNotFound` otherwise."""
    tenants = Tenant.__table__
    found = conn.execute(sa.select(tenants.c.id).where(tenants.c.slug == slug)).scalar_one_or_none()
    if found is None:
        raise TenantNotFound(slug)
    return str(found)


def tenant_and_user(engine: Engine, slug: str, email: str | None) -> tuple[str, str | None]:
    """The tenant's id and the user's (by e-mail, any case; ``None`` when no e-mail is given)."""
    users = AppUser.__table__
    with engine.connect() as conn:
        tenant = tenant_id(conn, slug)
        if email is None:
            return tenant, None
        user_id = conn.execute(
            sa.select(users.c.id).where(
                users.c.tenant_id == tenant, sa.func.lower(users.c.email) == email.strip().lower()
            )
        ).scalar_one_or_none()
    if user_id is None:
        raise NotFoundError(f"tenant '{slug}' has no user with e-mail '{email}'")
    return tenant, str(user_id)
