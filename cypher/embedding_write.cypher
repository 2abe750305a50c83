// Store each entity's embedding and the hash of the text it was made from.
// $rows: [{id, embedding, hash}]; a null embedding and hash remove both (the
// entity has no text to embed, or its text was rejected).
UNWIND $rows AS row
MATCH (n:__Entity__ {id: row.id})
SET n.embedding = row.embedding,
    n.embedding_hash = row.hash
