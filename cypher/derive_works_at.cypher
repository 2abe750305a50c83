// WORKS_AT, derived from Contact rows: one relationship per contact (past roles
// kept), keyed by contact_id. Also completes each contact's display name.
// $ids: contact ids whose contact changed, or whose person or organization did.
UNWIND $ids AS contact_id
OPTIONAL MATCH ()-[old:WORKS_AT {contact_id: contact_id}]->()
DELETE old
WITH DISTINCT contact_id
MATCH (c:Contact {id: contact_id})-[:FOR_PERSON]->(p:Person)
OPTIONAL MATCH (c)-[:AT]->(o:Organization)
SET c.name = p.name + coalesce(', ' + c.title, '') + coalesce(' at ' + o.name, '')
WITH c, p, o
WHERE o IS NOT NULL
CREATE (p)-[w:WORKS_AT {contact_id: c.id}]->(o)
SET w.tenant_id = c.tenant_id,
    w.title = c.title,
    w.since = c.started_on,
    w.until = c.ended_on,
    w.current = c.ended_on IS NULL
