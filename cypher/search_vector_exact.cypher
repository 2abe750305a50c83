// Nearest entities to a query embedding, inside one tenant, by an exact scan: every
// entity of the tenant (the entity_tenant range index) with the wanted labels, scored
// with vector.similarity.cosine (the same [0, 1] score as the vector index's cosine).
// For a tenant small enough that scoring all of it costs less than over-fetching from
// the index of every tenant (retrieval/vector_strategy.py).
MATCH (n:__Entity__ {tenant_id: $tenant})
WHERE n.embedding IS NOT NULL
  AND ($labels IS NULL OR any(label IN labels(n) WHERE label IN $labels))
WITH n, vector.similarity.cosine(n.embedding, $embedding) AS score
ORDER BY score DESC, n.id
LIMIT $limit
RETURN collect({
          id: n.id,
          type: [label IN labels(n) WHERE label <> '__Entity__' AND NOT label STARTS WITH 'VecT_'][0],
          name: n.name,
          text: coalesce(n.body, n.summary, n.description, n.bio, n.title, n.name),
          updated_at: n.updated_at,
          updated_by: n.updated_by,
          score: score}) AS hits
