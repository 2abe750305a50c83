// The value index (retrieval/semantic_layer/values.py): the distinct values of one tenant's
// categorical properties, with how many rows carry each. Every read is bound to $tenant_id;
// labels and properties are fixed here, never from input.
MATCH (o:Organization {tenant_id: $tenant_id}) WHERE o.industry IS NOT NULL
RETURN 'industry' AS dimension, 'organization' AS entity_type, o.industry AS value, count(*) AS rows
UNION ALL
MATCH (o:Organization {tenant_id: $tenant_id}) WHERE o.location IS NOT NULL
RETURN 'location' AS dimension, 'organization' AS entity_type, o.location AS value, count(*) AS rows
UNION ALL
MATCH (p:Person {tenant_id: $tenant_id}) WHERE p.location IS NOT NULL
RETURN 'location' AS dimension, 'person' AS entity_type, p.location AS value, count(*) AS rows
UNION ALL
MATCH (a:Account {tenant_id: $tenant_id}) WHERE a.tier IS NOT NULL
RETURN 'tier' AS dimension, 'account' AS entity_type, a.tier AS value, count(*) AS rows
UNION ALL
MATCH (l:Lead {tenant_id: $tenant_id}) WHERE l:Opportunity AND l.currency IS NOT NULL
RETURN 'currency' AS dimension, 'opportunity' AS entity_type, l.currency AS value, count(*) AS rows
UNION ALL
MATCH (l:Lead {tenant_id: $tenant_id}) WHERE l:Job AND l.currency IS NOT NULL
RETURN 'currency' AS dimension, 'job' AS entity_type, l.currency AS value, count(*) AS rows
UNION ALL
MATCH (l:Lead {tenant_id: $tenant_id}) WHERE l:Job AND l.location IS NOT NULL
RETURN 'location' AS dimension, 'job' AS entity_type, l.location AS value, count(*) AS rows
UNION ALL
MATCH (l:Lead {tenant_id: $tenant_id}) WHERE l:Job AND l.employment_type IS NOT NULL
RETURN 'employment_type' AS dimension, 'job' AS entity_type, l.employment_type AS value, count(*) AS rows
UNION ALL
MATCH (l:Lead {tenant_id: $tenant_id}) WHERE l:Partnership AND l.partnership_type IS NOT NULL
RETURN 'partnership_type' AS dimension, 'partnership' AS entity_type, l.partnership_type AS value, count(*) AS rows
UNION ALL
MATCH (l:Lead {tenant_id: $tenant_id}) WHERE l.source IS NOT NULL
RETURN 'source' AS dimension, 'lead' AS entity_type, l.source AS value, count(*) AS rows
UNION ALL
MATCH (i:Interaction {tenant_id: $tenant_id}) WHERE i.kind IS NOT NULL
RETURN 'kind' AS dimension, 'interaction' AS entity_type, i.kind AS value, count(*) AS rows
UNION ALL
MATCH (i:Interaction {tenant_id: $tenant_id}) WHERE i.source IS NOT NULL
RETURN 'source' AS dimension, 'interaction' AS entity_type, i.source AS value, count(*) AS rows
UNION ALL
MATCH (:Person {tenant_id: $tenant_id})-[k:KNOWS]->(:Person {tenant_id: $tenant_id}) WHERE k.kind IS NOT NULL
RETURN 'kind' AS dimension, 'relationship' AS entity_type, k.kind AS value, count(*) AS rows
