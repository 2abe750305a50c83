// Nearest entities to a query embedding, inside one tenant, through the tenant's own
// vector index ($index: graph/tenant_vectors.py, over the tenant's label only, or over its
// names label: its people and organizations): no
// other tenant's entity is in it; tenant_id is still checked right after the call, as
// defence in depth. Only the labels are filtered after it, so $fetch over-fetches by
// the labels' share of the tenant alone (`fetched` and `matching` size the next fetch).
CALL db.index.vector.queryNodes($index, $fetch, $embedding) YIELD node, score
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
