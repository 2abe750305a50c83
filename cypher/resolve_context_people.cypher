// Entity resolution: the people linked to the organizations or deals named beside a mention
// ("Bob at Acme", "Priya from the Northwind deal"), in one tenant.
// $organizations: organization ids; $leads: lead ids. One row per (person, link):
// link = 'current' | 'past' (WORKS_AT), 'deal' (a lead of the organization, or one of $leads,
// came through the person's contact). Bounded: the organizations' people and deals only.
CALL () {
  UNWIND $organizations AS organization_id
  MATCH (o:Organization {id: organization_id})
  WHERE o.tenant_id = $tenant
  MATCH (p:Person)-[w:WORKS_AT]->(o)
  WHERE p.tenant_id = $tenant
  RETURN p, CASE WHEN coalesce(w.current, false) THEN 'current' ELSE 'past' END AS link, o.name AS via
  UNION
  UNWIND $organizations AS organization_id
  MATCH (o:Organization {id: organization_id})
  WHERE o.tenant_id = $tenant
  MATCH (l:Lead)-[:FOR_ORGANIZATION]->(o)
  WHERE l.tenant_id = $tenant
  MATCH (l)-[:VIA_CONTACT]->(c:Contact)-[:FOR_PERSON]->(p:Person)
  WHERE c.tenant_id = $tenant AND p.tenant_id = $tenant
  RETURN p, 'deal' AS link, l.name AS via
  UNION
  UNWIND $leads AS lead_id
  MATCH (l:Lead {id: lead_id})
  WHERE l.tenant_id = $tenant
  MATCH (l)-[:VIA_CONTACT]->(c:Contact)-[:FOR_PERSON]->(p:Person)
  WHERE c.tenant_id = $tenant AND p.tenant_id = $tenant
  RETURN p, 'deal' AS link, l.name AS via
}
RETURN p.id AS id, p.first_name AS first_name, p.last_name AS last_name, link, via
LIMIT $max_rows
