"""The relational CRM that kgcrm mirrors into Neo4j.

- :mod:`crm.models`: the SQLAlchemy models (the schema contract in code);
- :mod:`crm.database`: engines, sessions, migrations (:func:`crm.database.upgrade`);
- :mod:`crm.triggers`: change capture, tenant isolation and type rules, in the database;
- :mod:`crm.changes`: agent annotations of the change log;
- :mod:`crm.cli`: ``kgcrm db upgrade`` / ``kgcrm db current``.
"""
