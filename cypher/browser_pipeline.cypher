// kgcrm: the deal pipeline by stage
// Opportunities of the tenant $tenant_id by status, in the pipeline's order: how many,
// how much (per currency) and how much weighted by their probability.
MATCH (d:Opportunity)-[:HAS_STATUS]->(s:Status)
WHERE d.tenant_id = $tenant_id AND s.tenant_id = $tenant_id
RETURN s.position AS position, s.name AS stage, s.category AS category, d.currency AS currency,
       count(d) AS deals, sum(coalesce(d.amount, 0)) AS amount,
       round(sum(coalesce(d.amount, 0) * coalesce(d.probability, 0) / 100.0)) AS weighted,
       collect(d.title)[..3] AS examples
ORDER BY position, currency
