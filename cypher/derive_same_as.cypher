// SAME_AS, derived from confirmed duplicate decisions (Feedback nodes, the feedback table):
// (a)-[:SAME_AS {feedback_id}]->(b), keyed by the feedback row. Never a merge: both records stay.
// $ids: feedback ids written or deleted in this batch; their old edges go, and a decision that
// still exists, confirms a duplicate, and names two entities of its tenant gets its edge again.
UNWIND $ids AS feedback_id
OPTIONAL MATCH ()-[old:SAME_AS {feedback_id: feedback_id}]->()
DELETE old
WITH DISTINCT feedback_id
MATCH (f:Feedback {id: feedback_id})
WHERE f.kind = 'duplicate' AND f.decision = 'confirm'
MATCH (a:__Entity__ {id: f.subject_id})
WHERE a.tenant_id = f.tenant_id
MATCH (b:__Entity__ {id: f.object_id})
WHERE b.tenant_id = f.tenant_id AND a <> b
CREATE (a)-[r:SAME_AS {feedback_id: f.id}]->(b)
SET r.tenant_id = f.tenant_id
