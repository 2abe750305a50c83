// The naive baseline of the context-pack evaluation: an entity's whole 2-hop neighbourhood
// (entities of $tenant only, through entities of $tenant only), with every property but the
// embedding, and the relationships walked to reach them (at most $limit nodes and 5 × $limit
// relationships; `reachable` says when that cut it).
MATCH (n:__Entity__ {id: $id})
WHERE n.tenant_id = $tenant
CALL (n) {
  MATCH (n)-[r]-(m:__Entity__)
  WHERE m.tenant_id = $tenant AND m <> n
  WITH r, m
  LIMIT $limit
  RETURN collect(DISTINCT m) AS first, collect(r) AS first_rels
}
CALL (n, first) {
  UNWIND first AS f
  MATCH (f)-[r]-(m:__Entity__)
  WHERE m.tenant_id = $tenant AND m <> n
  WITH r, m
  LIMIT 5 * $limit
  RETURN collect(m) AS second, collect(r) AS second_rels
}
CALL (n, first, second) {
  UNWIND [n] + first + second AS x
  WITH DISTINCT x
  RETURN collect(x) AS reached
}
CALL (first_rels, second_rels) {
  UNWIND first_rels + second_rels AS r
  WITH DISTINCT r
  RETURN collect(r) AS rels
}
RETURN [x IN reached[..$limit] | {labels: [l IN labels(x) WHERE l <> '__Entity__' AND NOT l STARTS WITH 'VecT_'],
                                  properties: x {.*, embedding: null, embedding_hash: null}}] AS nodes,
       [r IN rels | {from: startNode(r).id, to: endNode(r).id, type: type(r), properties: properties(r)}]
         AS relationships,
       size(reached) AS reachable
