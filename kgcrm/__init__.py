"""kgcrm: a self-hosted knowledge-graph CRM with GraphRAG retrieval.

The top-level packages show the architecture:

- ``crm``: the relational CRM (the source of truth): models, migrations, change capture, seed data
- ``graph``: the Neo4j side: connection, schema, the local server kgcrm starts
- ``sync``: mirrors the relational CRM into the graph
- ``retrieval``: entity resolution, connections and answers over the graph
- ``api``: the FastAPI service

This package holds what they share: settings, the error tree and the CLI.
"""

__version__ = "0.1.0"
