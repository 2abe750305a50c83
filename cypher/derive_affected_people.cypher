// The people whose INTERACTED ties depend on these interactions or participant rows.
UNWIND $interaction_ids AS interaction_id
MATCH (:Interaction {id: interaction_id})<-[:PARTICIPATED_IN]-(p:Person)
RETURN DISTINCT p.id AS id
UNION
UNWIND $participant_ids AS participant_id
MATCH (p:Person)-[:PARTICIPATED_IN {id: participant_id}]->(:Interaction)<-[:PARTICIPATED_IN]-(other:Person)
UNWIND [p.id, other.id] AS id
RETURN DISTINCT id
