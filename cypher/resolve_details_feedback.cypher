// Entity resolution: what the scorer needs to know about each candidate, in one tenant, and the
// feedback the resolver honours, in one round trip (one row):
// - hits, fetched, matching: resolve_fulltext's, for $query (null: no fulltext lookup, no hits) over
//   $index with $fetch, $labels and $limit, so that a mention that is only a name is resolved in one
//   round trip; the candidates are $ids and these hits;
// - records: resolve_details's rows, as maps ($ids: candidate entity ids; $types: the labels asked for);
// - feedback: feedback_resolutions's rows ($text: the mention, trimmed and lower-cased; its 'same' rows
//   for all of the candidates: the caller keeps those of the candidates it answers with).
CALL () {
  WITH $query AS query
  WHERE query IS NOT NULL
  CALL db.index.fulltext.queryNodes($index, query, {limit: $fetch}) YIELD node, score
  WITH collect({node: node, score: score}) AS found
  WITH size(found) AS fetched,
       [hit IN found
        WHERE hit.node.tenant_id = $tenant AND any(label IN labels(hit.node) WHERE label IN $labels)
        | {id: hit.node.id, score: hit.score}] AS mine
  RETURN fetched, size(mine) AS matching, mine[..$limit] AS hits
}
WITH fetched, matching, hits, $ids + [hit IN hits WHERE NOT hit.id IN $ids | hit.id] AS ids
CALL (ids) {
  UNWIND ids AS entity_id
  MATCH (n:__Entity__ {id: entity_id})
  WHERE n.tenant_id = $tenant
  WITH n, [label IN labels(n) WHERE label IN $types] AS types
  WHERE size(types) > 0
  WITH n.id AS id,
       types[0] AS type,
       n.name AS name,
       n.first_name AS first_name,
       n.last_name AS last_name,
       n.full_name AS full_name,
       n.email AS email,
       n.phone AS phone,
       n.location AS location,
       n.domain AS domain,
       n.industry AS industry,
       n.description AS description,
       n.title AS title,
       CASE WHEN n:Person THEN COLLECT {
         MATCH (n)-[w:WORKS_AT]->(o:Organization)
         WHERE o.tenant_id = $tenant
         RETURN {id: o.id, name: o.name, current: coalesce(w.current, false), title: w.title}
       } ELSE [] END AS employers,
       CASE WHEN n:Person THEN EXISTS {
         MATCH (n)<-[:IS]-(u:User) WHERE u.tenant_id = $tenant
       } ELSE false END AS is_user,
       CASE WHEN n:Person THEN COLLECT {
         MATCH (n)-[r:INTERACTED]-(m:Person)
         WHERE m.tenant_id = $tenant AND r.last_at IS NOT NULL
         RETURN r.last_at ORDER BY r.last_at DESC LIMIT 1
       } ELSE [] END AS last_interaction,
       CASE WHEN n:Organization THEN COLLECT {
         MATCH (p:Person)-[w:WORKS_AT]->(n)
         WHERE p.tenant_id = $tenant
         RETURN {id: p.id, current: coalesce(w.current, false)} LIMIT $max_people
       } ELSE [] END AS people,
       COLLECT {
         MATCH (n)-[s:POSSIBLY_SAME_AS]-(d:__Entity__)
         WHERE d.tenant_id = $tenant
         RETURN d.id
       } AS same_as
  RETURN collect({id: id, type: type, name: name, first_name: first_name, last_name: last_name,
                  full_name: full_name, email: email, phone: phone, location: location, domain: domain,
                  industry: industry, description: description, title: title, employers: employers,
                  is_user: is_user, last_interaction: last_interaction, people: people, same_as: same_as}) AS records
}
CALL (ids) {
  CALL (ids) {
    MATCH (f:Feedback)
    WHERE f.tenant_id = $tenant AND f.kind = 'resolution' AND toLower(trim(f.mention)) = $text
    MATCH (e:__Entity__ {id: f.subject_id})
    WHERE e.tenant_id = $tenant
    RETURN f.decision AS what, e.id AS id, [l IN labels(e) WHERE l <> '__Entity__' AND NOT l STARTS WITH 'VecT_'][0] AS type, e.name AS name,
           null AS other, f.id AS feedback_id
    UNION ALL
    MATCH (e:__Entity__)-[s:SAME_AS]-(o:__Entity__)
    WHERE e.id IN ids AND e.tenant_id = $tenant AND o.tenant_id = $tenant
    RETURN 'same' AS what, e.id AS id, null AS type, o.name AS name, o.id AS other, s.feedback_id AS feedback_id
  }
  RETURN collect({what: what, id: id, type: type, name: name, other: other, feedback_id: feedback_id}) AS feedback
}
RETURN fetched, matching, hits, records, feedback
