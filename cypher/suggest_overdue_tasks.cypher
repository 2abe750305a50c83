// Suggestions, "follow-up owed" (1/2): tasks of $tenant past due and not completed (no
// completed_at, no status of category 'done' or terminal). $user: assigned to that user;
// $org: about that organization, or about one of its accounts, leads or current people.
// The tasks come from $user's own (ASSIGNED_TO) when given, else the tenant's (the task_tenant index).
CALL () {
  MATCH (:User {id: $user, tenant_id: $tenant})<-[:ASSIGNED_TO]-(t:Task)
  RETURN t
  UNION
  UNWIND CASE WHEN $user IS NULL THEN [$tenant] ELSE [] END AS everyone  // no seek when anchored
  MATCH (t:Task)
  WHERE t.tenant_id = everyone
  RETURN t
}
WITH t
WHERE t.tenant_id = $tenant AND t.due_at IS NOT NULL AND t.due_at < $now AND t.completed_at IS NULL
  AND NOT EXISTS { MATCH (t)-[:HAS_STATUS]->(s:Status) WHERE s.category = 'done' OR s.is_terminal }
  AND ($user IS NULL OR EXISTS { MATCH (t)-[:ASSIGNED_TO]->(:User {id: $user}) })
OPTIONAL MATCH (t)-[:ABOUT]->(subject)
WITH t, subject
WHERE $org IS NULL OR subject.id = $org
   OR EXISTS { MATCH (subject)-[:FOR_ORGANIZATION|WITH|AT]->(:Organization {id: $org}) }
   OR EXISTS { MATCH (subject)-[:WORKS_AT]->(:Organization {id: $org}) }
OPTIONAL MATCH (t)-[:ASSIGNED_TO]->(u:User)
RETURN t.id AS id, t.name AS name, t.updated_at AS updated_at, t.due_at AS due_at,
       subject.id AS subject_id, subject.name AS subject_name, [l IN labels(subject) WHERE NOT l STARTS WITH 'VecT_'] AS subject_labels,
       u.id AS assignee_id, u.name AS assignee_name
ORDER BY id
