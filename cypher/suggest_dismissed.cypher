// Suggestions the tenant's users dismissed: (suggestion_key, evidence_hash) of each decision.
MATCH (f:Feedback)
WHERE f.tenant_id = $tenant AND f.kind = 'suggestion' AND f.decision = 'dismiss'
RETURN f.suggestion_key AS key, f.evidence_hash AS evidence_hash
