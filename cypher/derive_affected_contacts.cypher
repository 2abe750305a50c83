// The contacts whose WORKS_AT or name depend on these people or organizations.
UNWIND $ids AS entity_id
MATCH (c:Contact)-[:FOR_PERSON|AT]->(:__Entity__ {id: entity_id})
RETURN DISTINCT c.id AS id
