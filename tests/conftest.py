"""Fixtures shared by every test folder, one plugin module per backing service.

- ``tests/support/neo4j_fixtures.py``: the real Neo4j (``neo4j_driver``, ``clean_graph`` …)
- ``tests/support/crm_fixtures.py``: the relational CRM on SQLite and PostgreSQL (``engine``, ``rows`` …)
- ``tests/support/browser_fixtures.py``: a seeded two-tenant demo graph (``seeded_graph``)
"""

pytest_plugins = [
    "tests.support.neo4j_fixtures",
    "tests.support.crm_fixtures",
    "tests.support.browser_fixtures",
]
