// GET /v1/entities/{id}/neighborhood: the entities within $depth (1 or 2) hops of one
// entity, and the relationships between them. Every node, the ones passed through
// included, is an entity of the caller's tenant; each ring is capped at $limit nodes
// (the caller asks for one more than it shows, to know when it cut).
MATCH (n:__Entity__ {id: $id})
WHERE n.tenant_id = $tenant
CALL (n) {
  MATCH (n)--(m:__Entity__)
  WHERE m.tenant_id = $tenant AND m <> n
  WITH DISTINCT m
  ORDER BY m.id
  LIMIT $limit
  RETURN collect(m) AS first
}
CALL (n, first) {
  UNWIND CASE WHEN $depth >= 2 THEN first ELSE [] END AS f
  MATCH (f)--(m:__Entity__)
  WHERE m.tenant_id = $tenant AND m <> n AND NOT m IN first
  WITH DISTINCT m
  ORDER BY m.id
  LIMIT $limit
  RETURN collect(m) AS second
}
WITH [n] + first + second AS nodes, size(first) AS first_count, size(second) AS second_count
CALL (nodes) {
  UNWIND nodes AS a
  MATCH (a)-[r]->(b)
  WHERE b IN nodes
  WITH DISTINCT a.id AS from, b.id AS to, type(r) AS type
  ORDER BY from, to, type
  LIMIT $max_relationships
  RETURN collect({from: from, to: to, type: type}) AS relationships
}
RETURN [x IN nodes | {id: x.id, labels: [l IN labels(x) WHERE NOT l STARTS WITH 'VecT_'], name: x.name}] AS nodes,
       first_count,
       second_count,
       relationships
