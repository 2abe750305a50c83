// The naive baseline of the context-pack evaluation: an entity's whole 2-hop neighbourhood
// (entities of $tenant only, through entities of $tenant only; at most $limit nodes), with
// every property but the embedding, and the relationships among those nodes with theirs.
MATCH (n:__Entity__ {id: $id})
WHERE n.tenant_id = $tenant
CALL (n) {
  MATCH (n)--(m:__Entity__)
  WHERE m.tenant_id = $tenant AND m <> n
  RETURN collect(DISTINCT m) AS first
}
CALL (n, first) {
  UNWIND first AS f
  MATCH (f)--(m:__Entity__)
  WHERE m.tenant_id = $tenant AND m <> n
  RETURN collect(DISTINCT m) AS second
}
WITH n, first, [m IN second WHERE NOT m IN first] AS second
WITH ([n] + first + second)[..$limit] AS nodes, size(first) + size(second) + 1 AS reachable
CALL (nodes) {
  UNWIND nodes AS a
  MATCH (a)-[r]->(b)
  WHERE b IN nodes
  RETURN collect({from: a.id, to: b.id, type: type(r), properties: properties(r)}) AS relationships
}
RETURN [x IN nodes | {labels: [l IN labels(x) WHERE l <> '__Entity__'],
                      properties: x {.*, embedding: null, embedding_hash: null}}] AS nodes,
       relationships, reachable
