// The incremental sync's checkpoint moved on, in the transaction of the batch it covers.
// Returns the value it replaces: the caller rolls the batch back unless that is the
// checkpoint it read the batch's changes after (another run may have moved it meanwhile).
MERGE (s:SyncState {id: $source})
WITH s, s.last_seq AS before
SET s.last_seq = $last_seq, s.last_run_at = datetime()
RETURN before
