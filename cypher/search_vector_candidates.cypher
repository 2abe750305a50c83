// How many entities an exact scan of one tenant would score, counted only up to $cap
// (the count stops there: cheap on a large tenant). retrieval/vector_strategy.py.
MATCH (n:__Entity__ {tenant_id: $tenant})
WHERE n.embedding IS NOT NULL
  AND ($labels IS NULL OR any(label IN labels(n) WHERE label IN $labels))
WITH n LIMIT $cap
RETURN count(n) AS candidates
