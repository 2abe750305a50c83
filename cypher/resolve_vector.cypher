// Entity resolution: nearest entities by embedding, for one tenant.
// The vector index 'entity' (on __Entity__.embedding) has no in-index filter on Neo4j
// 5.26: over-fetch $fetch neighbours and keep the caller's tenant and labels right after
// the call; `fetched` and `matching` size the next over-fetch (retrieval.overfetch).
CALL db.index.vector.queryNodes('entity', $fetch, $embedding) YIELD node, score
WITH collect({node: node, score: score}) AS hits
WITH size(hits) AS fetched,
     [hit IN hits
      WHERE hit.node.tenant_id = $tenant AND any(label IN labels(hit.node) WHERE label IN $labels)
      | {id: hit.node.id, score: hit.score}] AS mine
RETURN fetched, size(mine) AS matching, mine[..$limit] AS hits
