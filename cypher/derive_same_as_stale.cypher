// SAME_AS edges (of one tenant, or all: $tenant null) whose feedback row is gone from the graph:
// their feedback ids, for derive_same_as (a full sync removes stale Feedback nodes first).
MATCH (a:__Entity__)-[r:SAME_AS]->(:__Entity__)
WHERE ($tenant IS NULL OR a.tenant_id = $tenant)
  AND NOT EXISTS { MATCH (f:Feedback {id: r.feedback_id}) }
RETURN DISTINCT r.feedback_id AS id
