// Duplicate pairs of $tenant a user decided (feedback kind 'duplicate', confirmed or rejected):
// "a.id|b.id" with a < b, as DuplicatePair.key spells it. Dedupe never proposes them again.
MATCH (f:Feedback)
WHERE f.tenant_id = $tenant AND f.kind = 'duplicate' AND f.subject_id IS NOT NULL AND f.object_id IS NOT NULL
RETURN DISTINCT CASE WHEN f.subject_id < f.object_id THEN f.subject_id + '|' + f.object_id
                     ELSE f.object_id + '|' + f.subject_id END AS key, f.decision AS decision
