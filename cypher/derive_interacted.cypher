// INTERACTED, derived from interactions: one tie per pair of people who took part
// in the same interaction, aggregated (count, first and last time, kinds).
// Stored once per pair, from the smaller id to the larger; read it undirected.
UNWIND $ids AS person_id
MATCH (a:Person {id: person_id})-[:PARTICIPATED_IN]->(i:Interaction)<-[:PARTICIPATED_IN]-(b:Person)
WHERE a <> b AND a.tenant_id = b.tenant_id
WITH CASE WHEN a.id < b.id THEN a ELSE b END AS x,
     CASE WHEN a.id < b.id THEN b ELSE a END AS y,
     i
WITH x, y,
     count(DISTINCT i) AS interactions,
     min(i.occurred_at) AS first_at,
     max(i.occurred_at) AS last_at,
     collect(DISTINCT i.kind) AS kinds
MERGE (x)-[r:INTERACTED]->(y)
SET r.tenant_id = x.tenant_id,
    r.count = interactions,
    r.first_at = first_at,
    r.last_at = last_at,
    r.kinds = kinds
