"""Alembic migrations of the relational CRM (run them with :func:`kgcrm.crm.database.upgrade`)."""
