// Entity resolution: fulltext candidates from an index, for one tenant.
// $index: 'entity_names' or 'content_text' (a value: the procedure takes the name as a string).
// $query: a Lucene query built by retrieval.resolve.lucene_query (user words escaped).
// Neo4j 5.26 fulltext indexes cannot filter by tenant: the call over-fetches $fetch hits
// and keeps the caller's tenant (and labels) right after it. `fetched` (= $fetch: the
// over-fetch may have been cut short) and `matching` (how many of them were the caller's)
// size the next over-fetch (retrieval.overfetch).
CALL db.index.fulltext.queryNodes($index, $query, {limit: $fetch}) YIELD node, score
WITH collect({node: node, score: score}) AS hits
WITH size(hits) AS fetched,
     [hit IN hits
      WHERE hit.node.tenant_id = $tenant AND any(label IN labels(hit.node) WHERE label IN $labels)
      | {id: hit.node.id, score: hit.score}] AS mine
RETURN fetched, size(mine) AS matching, mine[..$limit] AS hits
