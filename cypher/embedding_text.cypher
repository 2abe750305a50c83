// The text each entity is embedded from: its own fields and its graph context.
// $ids: entity ids. $expand: those of $ids whose dependents are wanted too: the
// entities whose text is built from theirs (an organization's people, leads,
// accounts and contacts; a person's contacts; a contact's person).
// One row per entity found: id, tenant_id (for its tenant vector label), text (null:
// nothing to embed), stored_hash (the hash of the text its current embedding was made
// from) and has_embedding.
UNWIND $ids AS entity_id
MATCH (changed:__Entity__ {id: entity_id})
CALL (changed) {
    RETURN changed AS n
  UNION
    WITH changed WHERE changed:Organization AND changed.id IN $expand
    MATCH (n:__Entity__)-[:WORKS_AT|FOR_ORGANIZATION|WITH|AT]->(changed)
    RETURN n
  UNION
    WITH changed WHERE changed:Person AND changed.id IN $expand
    MATCH (n:Contact)-[:FOR_PERSON]->(changed)
    RETURN n
  UNION
    WITH changed WHERE changed:Contact AND changed.id IN $expand
    MATCH (changed)-[:FOR_PERSON]->(n:Person)
    RETURN n
}
WITH DISTINCT n
WITH n, CASE
  WHEN n:Person THEN
    [n.name]
    + COLLECT {
        MATCH (n)-[w:WORKS_AT]->(o:Organization)
        WITH w, o ORDER BY coalesce(w.current, false) DESC, w.since DESC, o.name
        RETURN CASE WHEN coalesce(w.current, false) THEN 'Works at ' ELSE 'Worked at ' END
               + o.name + coalesce(' as ' + w.title, '')
      }
    + ['Location: ' + n.location, n.bio]
  WHEN n:Organization THEN
    [n.name, 'Industry: ' + n.industry, 'Location: ' + n.location, n.description, 'Website: ' + n.domain]
  WHEN n:Note THEN [n.body]
  WHEN n:Task THEN [n.title, n.description]
  WHEN n:Interaction THEN [n.subject, n.summary]
  WHEN n:Lead THEN
    [n.title, n.description]
    + COLLECT { MATCH (n)-[:FOR_ORGANIZATION]->(o:Organization) RETURN 'Organization: ' + o.name }
  WHEN n:Account THEN
    [n.name] + COLLECT { MATCH (n)-[:WITH]->(o:Organization) RETURN 'Account of ' + o.name }
  WHEN n:User THEN [coalesce(n.full_name, n.name)]
  ELSE [n.name]  // Contact: its derived name (person, title, organization)
END AS parts
WITH n, [part IN parts WHERE part IS NOT NULL AND trim(part) <> '' | trim(part)] AS parts
RETURN n.id AS id,
       n.tenant_id AS tenant_id,
       CASE size(parts) WHEN 0 THEN null
         ELSE reduce(text = head(parts), part IN tail(parts) | text + '\n' + part)
       END AS text,
       n.embedding_hash AS stored_hash,
       n.embedding IS NOT NULL AS has_embedding
