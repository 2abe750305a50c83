// Nearest entities to a query embedding, inside one tenant. Neo4j 5.26 cannot
// filter inside the vector index, so the caller over-fetches ($fetch) and the
// tenant filter runs right after the index call, before anything is returned;
// `fetched` and `matching` size the next over-fetch (retrieval.overfetch).
CALL db.index.vector.queryNodes('entity', $fetch, $embedding) YIELD node, score
WITH collect({node: node, score: score}) AS hits
WITH size(hits) AS fetched,
     [hit IN hits
      WHERE hit.node.tenant_id = $tenant
        AND ($labels IS NULL OR any(label IN labels(hit.node) WHERE label IN $labels))] AS mine
RETURN fetched,
       size(mine) AS matching,
       [hit IN mine[..$limit] | {
          id: hit.node.id,
          type: [label IN labels(hit.node) WHERE label <> '__Entity__' AND NOT label STARTS WITH 'VecT_'][0],
          name: hit.node.name,
          text: coalesce(hit.node.body, hit.node.summary, hit.node.description, hit.node.bio, hit.node.title,
                         hit.node.name),
          updated_at: hit.node.updated_at,
          updated_by: hit.node.updated_by,
          score: hit.score}] AS hits
