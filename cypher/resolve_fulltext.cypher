// Entity resolution: fulltext candidates from an index, for one tenant.
// $index: 'entity_names' or 'content_text' (a value: the procedure takes the name as a string).
// $query: a Lucene query built by retrieval.resolve.lucene_query (user words escaped).
// Neo4j 5.26 fulltext indexes cannot filter by tenant: the call over-fetches $fetch hits
// and keeps the caller's tenant (and labels) right after it; `fetched` tells the caller
// whether the over-fetch was cut short (fetched = $fetch), so that it can ask for more.
CALL db.index.fulltext.queryNodes($index, $query, {limit: $fetch}) YIELD node, score
WITH collect({node: node, score: score}) AS hits
RETURN size(hits) AS fetched,
       [hit IN hits
        WHERE hit.node.tenant_id = $tenant AND any(label IN labels(hit.node) WHERE label IN $labels)
        | {id: hit.node.id, score: hit.score}][..$limit] AS hits
