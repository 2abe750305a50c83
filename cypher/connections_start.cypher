// Where a connections search starts: the target (a Person or an Organization of the
// tenant; null when $id is of another tenant, of another kind, or unknown) and the team
// (the tenant's active users and the people they are; $user: one user, or null for all).
CALL () {
  OPTIONAL MATCH (t:__Entity__ {id: $id})
  WHERE t.tenant_id = $tenant AND (t:Person OR t:Organization)
  RETURN t
}
CALL () {
  MATCH (u:User)
  WHERE u.tenant_id = $tenant AND coalesce(u.is_active, true) AND ($user IS NULL OR u.id = $user)
  MATCH (u)-[:IS]->(p:Person)
  WHERE p.tenant_id = $tenant
  WITH u, p
  ORDER BY u.id
  RETURN collect({user_id: u.id, user_name: u.name, person_id: p.id, person_name: p.name}) AS team
}
RETURN t.id AS id, t.name AS name, CASE WHEN t:Person THEN 'Person' ELSE 'Organization' END AS type, team
