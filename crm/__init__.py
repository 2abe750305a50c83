"""The relational CRM that kgcrm mirrors into Neo4j.

- :mod:`kgcrm.crm.models`: the SQLAlchemy models (the schema contract in code);
- :mod:`kgcrm.crm.database`: engines, sessions, migrations (:func:`kgcrm.crm.database.upgrade`);
- :mod:`kgcrm.crm.triggers`: change capture, tenant isolation and type rules, in the database;
- :mod:`kgcrm.crm.changes`: agent annotations of the change log;
- :mod:`kgcrm.cli.crm`: ``kgcrm db upgrade`` / ``kgcrm db current``.
"""
