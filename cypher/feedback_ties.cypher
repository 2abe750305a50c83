// Feedback (issue 14) the connections search honours, for the people $ids of $tenant:
// - 'dismissed': ties a user dismissed ("they don't really know each other"), left out of paths;
// - 'same': SAME_AS partners (a confirmed duplicate), joined to them as one person
//   ($only: when not null, only partners among these people).
CALL () {
  MATCH (f:Feedback)
  WHERE f.tenant_id = $tenant AND f.kind = 'tie' AND f.decision = 'dismiss'
    AND (f.subject_id IN $ids OR f.object_id IN $ids)
  RETURN 'dismissed' AS what, f.subject_id AS a, f.object_id AS b, f.id AS id, null AS name
  UNION ALL
  MATCH (p:Person)-[s:SAME_AS]-(q:Person)
  WHERE p.id IN $ids AND p.tenant_id = $tenant AND q.tenant_id = $tenant AND ($only IS NULL OR q.id IN $only)
  RETURN 'same' AS what, p.id AS a, q.id AS b, s.feedback_id AS id, q.name AS name
}
RETURN what, a, b, id, name
