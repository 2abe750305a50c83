// Entity resolution: organizations by web domain, in one tenant (range index (tenant_id, domain)).
// $domains: spellings of one domain (bare, with "www.", lower and upper case).
UNWIND $domains AS domain
MATCH (o:Organization)
WHERE o.tenant_id = $tenant AND o.domain = domain
RETURN DISTINCT o.id AS id
