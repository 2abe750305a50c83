"""The Neo4j side of kgcrm: connection gateway, graph schema, the local server."""
