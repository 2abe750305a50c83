// Context pack (GET /v1/context): what is open around a person or an organization, and its notes.
// - contacts: the entity's roles (a person's contact rows; an organization's contact rows);
// - accounts: an organization's own; a person's current organizations' (at most $limit);
// - leads: open leads (status category 'open', or no status and not closed) for the
//   organization, its accounts or its contacts; for a person, via their contact rows;
// - tasks: open tasks about the entity, its contacts, its own accounts or any of its leads;
// - notes: notes about the same, at most $notes: nearest to $embedding first when it is given
//   (vector.similarity.cosine on the notes' stored embeddings), then the newest.
// - org_notes: a person's only: notes about their current organizations and those organizations'
//   accounts (at most $org_notes, ranked as notes are); the caller keeps the ones that name them.
// `relevance` is that cosine (null without $embedding or a stored embedding).
// Every node returned or passed through belongs to $tenant.
MATCH (e:__Entity__ {id: $id})
WHERE e.tenant_id = $tenant AND (e:Person OR e:Organization)
CALL (e) {
  OPTIONAL MATCH (c:Contact)-[:FOR_PERSON|AT]->(e)
  WHERE c.tenant_id = $tenant
  RETURN collect(DISTINCT c) AS contacts
}
CALL (e) {
  OPTIONAL MATCH (e)-[w:WORKS_AT]->(o:Organization)
  WHERE w.until IS NULL AND o.tenant_id = $tenant
  WITH e, collect(DISTINCT o) AS current
  RETURN CASE WHEN e:Organization THEN [e] ELSE current END AS orgs
}
CALL (e, orgs) {
  UNWIND orgs AS o
  MATCH (a:Account)-[:WITH]->(o)
  WHERE a.tenant_id = $tenant
  OPTIONAL MATCH (a)-[:HAS_STATUS]->(s:Status)
  WHERE s.tenant_id = $tenant
  OPTIONAL MATCH (a)-[:OWNED_BY]->(u:User)
  WHERE u.tenant_id = $tenant
  WITH a, o, s, u
  ORDER BY s.category = 'active' DESC, a.updated_at DESC, a.id
  LIMIT $limit
  RETURN collect(a) AS account_nodes,
         collect({id: a.id, name: a.name, tier: a.tier, status: s.name, category: s.category, owner: u.name,
                  org_id: o.id, org: o.name, updated_at: a.updated_at}) AS accounts
}
WITH e, contacts, account_nodes, accounts, orgs,
     CASE WHEN e:Organization THEN account_nodes ELSE [] END AS own_accounts
CALL (e, contacts, own_accounts) {
  UNWIND [e] + contacts + own_accounts AS s
  MATCH (l:Lead)-[:FOR_ORGANIZATION|FOR_ACCOUNT|VIA_CONTACT]->(s)
  WHERE l.tenant_id = $tenant
  RETURN collect(DISTINCT l) AS all_leads
}
CALL (all_leads) {
  UNWIND all_leads AS l
  OPTIONAL MATCH (l)-[:HAS_STATUS]->(st:Status)
  WHERE st.tenant_id = $tenant
  WITH l, st
  WHERE (st IS NULL AND l.closed_at IS NULL) OR (st.category = 'open' AND coalesce(st.is_terminal, false) = false)
  OPTIONAL MATCH (l)-[:OWNED_BY]->(u:User)
  WHERE u.tenant_id = $tenant
  WITH l, st, u
  ORDER BY l.expected_close_on IS NULL, l.expected_close_on, l.id
  LIMIT $limit
  RETURN collect({id: l.id, title: l.title, lead_type: l.lead_type, status: st.name, owner: u.name,
                  amount: l.amount, currency: l.currency, expected_close_on: toString(l.expected_close_on),
                  probability: l.probability, role_title: l.role_title, partnership_type: l.partnership_type,
                  updated_at: l.updated_at,
                  relevance: CASE WHEN $embedding IS NULL OR l.embedding IS NULL THEN null
                                  ELSE vector.similarity.cosine(l.embedding, $embedding) END}) AS leads
}
CALL (e, contacts, own_accounts, all_leads) {
  UNWIND [e] + contacts + own_accounts + all_leads AS s
  MATCH (t:Task)-[:ABOUT]->(s)
  WHERE t.tenant_id = $tenant AND t.completed_at IS NULL
  OPTIONAL MATCH (t)-[:HAS_STATUS]->(st:Status)
  WHERE st.tenant_id = $tenant
  WITH t, s, st
  WHERE st IS NULL OR NOT (st.is_terminal = true OR st.category = 'done')
  OPTIONAL MATCH (t)-[:ASSIGNED_TO]->(u:User)
  WHERE u.tenant_id = $tenant
  WITH t, s, st, u
  ORDER BY t.due_at IS NULL, t.due_at, t.id
  LIMIT $limit
  RETURN collect({id: t.id, title: t.title, due_at: t.due_at, status: st.name, assignee: u.name,
                  subject: s.name, updated_at: t.updated_at,
                  relevance: CASE WHEN $embedding IS NULL OR t.embedding IS NULL THEN null
                                  ELSE vector.similarity.cosine(t.embedding, $embedding) END}) AS tasks
}
CALL (e, contacts, own_accounts, all_leads) {
  UNWIND [e] + contacts + own_accounts + all_leads AS s
  MATCH (n:Note)-[:ABOUT]->(s)
  WHERE n.tenant_id = $tenant
  WITH n, s, CASE WHEN $embedding IS NULL OR n.embedding IS NULL THEN null
                  ELSE vector.similarity.cosine(n.embedding, $embedding) END AS relevance
  ORDER BY coalesce(relevance, -2.0) DESC, n.created_at DESC, n.id
  LIMIT $notes
  RETURN collect({id: n.id, body: n.body, created_at: n.created_at, updated_at: n.updated_at,
                  subject_type: n.subject_type, subject: s.name, relevance: relevance}) AS notes
}
CALL (e, orgs, account_nodes) {
  UNWIND CASE WHEN e:Person THEN orgs + account_nodes ELSE [] END AS s
  MATCH (n:Note)-[:ABOUT]->(s)
  WHERE n.tenant_id = $tenant
  WITH n, s, CASE WHEN $embedding IS NULL OR n.embedding IS NULL THEN null
                  ELSE vector.similarity.cosine(n.embedding, $embedding) END AS relevance
  ORDER BY coalesce(relevance, -2.0) DESC, n.created_at DESC, n.id
  LIMIT $org_notes
  RETURN collect({id: n.id, body: n.body, created_at: n.created_at, updated_at: n.updated_at,
                  subject_type: n.subject_type, subject: s.name, relevance: relevance}) AS org_notes
}
RETURN accounts, leads, tasks, notes, org_notes
