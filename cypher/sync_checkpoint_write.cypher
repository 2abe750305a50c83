// Written in the same transaction as the batch it covers.
MERGE (s:SyncState {id: $source})
SET s.last_seq = $last_seq, s.last_run_at = datetime()
