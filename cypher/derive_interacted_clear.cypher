// Remove the INTERACTED ties of these people before they are recomputed.
UNWIND $ids AS person_id
MATCH (:Person {id: person_id})-[r:INTERACTED]-()
DELETE r
