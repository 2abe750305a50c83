"""Alembic migrations of the relational CRM (run them with :func:`crm.database.upgrade`)."""
