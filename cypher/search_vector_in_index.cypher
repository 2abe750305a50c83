// Nearest entities to a query embedding, inside one tenant, filtered inside the vector
// index (Cypher 25's SEARCH … WHERE, Neo4j 2026.01+, on an index created WITH
// [m.tenant_id]: cypher/vector_index_filtered.cypher). Only the labels are kept after
// the call, so $fetch over-fetches by the labels' share of the tenant alone
// (retrieval/vector_strategy.py; `fetched` and `matching` size the next fetch).
CYPHER 25
MATCH (node:__Entity__)
  SEARCH node IN (VECTOR INDEX entity FOR $embedding WHERE node.tenant_id = $tenant LIMIT $fetch) SCORE AS score
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
