// Feedback (issue 14) the resolver honours, inside $tenant:
// - 'confirm' / 'reject': decisions on the mention $text (compared trimmed and lower-cased),
//   with the entity each names (confirmed: an alias the resolver uses; rejected: left out);
// - 'same': SAME_AS partners (confirmed duplicates) of the candidates $ids: one person, both cited.
CALL () {
  MATCH (f:Feedback)
  WHERE f.tenant_id = $tenant AND f.kind = 'resolution' AND toLower(trim(f.mention)) = $text
  MATCH (e:__Entity__ {id: f.subject_id})
  WHERE e.tenant_id = $tenant
  RETURN f.decision AS what, e.id AS id, [l IN labels(e) WHERE l <> '__Entity__' AND NOT l STARTS WITH 'VecT_'][0] AS type, e.name AS name,
         null AS other, f.id AS feedback_id
  UNION ALL
  MATCH (e:__Entity__)-[s:SAME_AS]-(o:__Entity__)
  WHERE e.id IN $ids AND e.tenant_id = $tenant AND o.tenant_id = $tenant
  RETURN 'same' AS what, e.id AS id, null AS type, o.name AS name, o.id AS other, s.feedback_id AS feedback_id
}
RETURN what, id, type, name, other, feedback_id
