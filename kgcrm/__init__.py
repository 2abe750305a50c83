"""kgcrm: a self-hosted knowledge-graph CRM with GraphRAG retrieval.

One import namespace; each layer is a subpackage and imports only the layers below it
(enforced by import-linter, see ``[tool.importlinter]`` in pyproject.toml and ARCHITECTURE.md):

- ``kgcrm.cli``: the ``kgcrm`` command line (top)
- ``kgcrm.api`` | ``kgcrm.eval``: the FastAPI/MCP service; the evaluations
- ``kgcrm.services``: the composition root, building drivers, gateways and the retrieval stack from the settings
- ``kgcrm.retrieval``: entity resolution, connections and answers over the graph
- ``kgcrm.sync`` | ``kgcrm.ingest``: mirroring the CRM into the graph; bringing mail and calendars into the CRM
- ``kgcrm.graph``: the Neo4j side: the graph model, connection, schema, the local server
- ``kgcrm.crm``: the relational CRM (the source of truth): models, migrations, change capture, seed data
- ``kgcrm.cypher``: the Cypher text, one file per query
- ``kgcrm.core``: errors, settings, names, the embedding model (bottom)

In the repository each layer keeps its own folder at the root (``graph/`` is ``kgcrm.graph``);
``setup.py`` maps them.
"""

__version__ = "0.1.0"
