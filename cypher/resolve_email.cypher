// Entity resolution: people by e-mail address, in one tenant.
// $emails: spellings of one address (as typed, lower and upper case): the range index
// (tenant_id, email) serves exact values only. A past role's work address lives on the
// Contact: it is found through the organization of the address's $domains (index
// (tenant_id, domain)), then that organization's contacts (a bounded traversal).
UNWIND $emails AS email
MATCH (p:Person)
WHERE p.tenant_id = $tenant AND p.email = email
RETURN p.id AS id, 'person' AS via
UNION
UNWIND $domains AS domain
MATCH (o:Organization)
WHERE o.tenant_id = $tenant AND o.domain = domain
MATCH (c:Contact)-[:AT]->(o)
WHERE c.tenant_id = $tenant AND c.email IN $emails
MATCH (c)-[:FOR_PERSON]->(p:Person)
WHERE p.tenant_id = $tenant
RETURN p.id AS id, 'contact' AS via
